//! Signing in and out, and choosing a new password with an emailed link: the pages over
//! the sessions, throttling and recovery tokens of `auth`.

pub mod handlers;

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
