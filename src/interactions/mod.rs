//! Logging an interaction — the core gesture — and the interest decision made in it.

pub mod db;
pub mod handlers;

use axum::{Router, routing::post};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/prospects/{id}/interactions", post(handlers::log))
}

pub use crate::process::{Channel, Decision, Outcome};
