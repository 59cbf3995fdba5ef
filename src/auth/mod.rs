//! Who is asking, and what they may see.
//!
//! `CurrentUser` is the signed-in user, loaded (and checked still active) on every request;
//! `Scope` is what that user may see, and every query on prospect data takes one.

pub mod csrf;
pub mod device;
pub mod handlers;
pub mod password;
pub mod recovery;
pub mod scope;
pub mod secret;
pub mod session;
pub mod throttle;

pub use scope::Scope;
pub use session::CurrentUser;

use axum::{Router, routing::get};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(handlers::login_page).post(handlers::login))
        .route("/logout", axum::routing::post(handlers::logout))
        .route(
            "/password/forgot",
            get(handlers::forgot_page).post(handlers::forgot),
        )
        .route(
            "/password/reset",
            get(handlers::reset_page).post(handlers::reset),
        )
}
