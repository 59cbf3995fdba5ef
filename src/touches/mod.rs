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
use serde::{Deserialize, Serialize};

use crate::{interactions::labelled_enum, state::AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/today", get(handlers::today))
        .route("/today/work", get(handlers::work))
        .route("/touches/{id}/complete", post(handlers::complete))
        .route("/touches/{id}/skip", post(handlers::skip))
        .route("/touches/{id}/snooze", post(handlers::snooze))
        .route("/dead-ends", get(handlers::dead_ends))
}

labelled_enum!(
    TouchStatus, "touch_status", {
        Pending => ("pending", "Due"),
        Done => ("done", "Done"),
        Skipped => ("skipped", "Skipped"),
        Snoozed => ("snoozed", "Snoozed"),
    }
);

labelled_enum!(
    TouchKind, "touch_kind", {
        Step => ("step", "Cadence step"),
        ReEngage => ("re_engage", "Re-engage"),
    }
);
