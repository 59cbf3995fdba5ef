//! The profile page: who you are, your personal API tokens and your calendar feed.

pub mod handlers;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/profile", get(handlers::show))
        .route("/profile/tokens", post(handlers::create_token))
        .route("/profile/tokens/{id}/revoke", post(handlers::revoke_token))
        .route("/profile/calendar", post(handlers::replace_feed))
        .route("/profile/calendar/revoke", post(handlers::revoke_feed))
}
