//! CSV exports of a filtered prospect list, of interactions and of opportunities, streamed
//! page by page (`stream`), within the viewer's scope. The prospect export's headers are
//! ones the import recognises, so that an export imports back as it is.

pub mod db;
pub mod handlers;
pub mod stream;

use axum::{Router, routing::get};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/prospects/export.csv", get(handlers::prospects))
        .route("/interactions/export.csv", get(handlers::interactions))
        .route("/opportunities/export.csv", get(handlers::opportunities))
}
