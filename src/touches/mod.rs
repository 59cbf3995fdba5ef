//! Touches: the scheduled steps a rep works, from a cadence or a re-engage date; the Today
//! queue and its keyboard-driven work mode; the dead-ends list.

pub mod actions;
pub mod db;
pub mod handlers;
pub mod queue;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub use crate::process::{TouchKind, TouchStatus};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/today", get(handlers::today))
        .route("/today/work", get(handlers::work))
        .route("/touches/{id}/complete", post(handlers::complete))
        .route("/touches/{id}/skip", post(handlers::skip))
        .route("/touches/{id}/snooze", post(handlers::snooze))
        .route("/dead-ends", get(handlers::dead_ends))
}
