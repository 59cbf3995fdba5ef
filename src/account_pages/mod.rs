//! The account pages: the list, the account with its prospects, the new/edit form
//! (templates in `templates/accounts/`). They stand apart from the account data
//! (`accounts`) because they show prospects, while saving a prospect finds or creates its
//! account: the data sits below prospects, these pages above.

pub mod handlers;

use axum::{Router, routing::get};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(handlers::index).post(handlers::create))
        .route("/accounts/new", get(handlers::new))
        .route("/accounts/{id}", get(handlers::show).post(handlers::update))
        .route("/accounts/{id}/edit", get(handlers::edit))
}
