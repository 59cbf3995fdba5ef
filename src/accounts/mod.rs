//! Accounts: the companies prospects work at, with the segment they belong to
//! (industry, size, territory). Visible to whoever may see the account owner's data.

pub mod db;
pub mod form;
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
