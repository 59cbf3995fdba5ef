//! Enrollments: a prospect following a cadence, one live enrollment at a time. This is
//! where interaction outcomes and interest decisions turn into the next step, so that no
//! prospect is left at a dead end.

pub mod db;
pub mod handlers;

use axum::{Router, routing::post};

use crate::state::AppState;

pub use crate::process::EnrollmentStatus;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/prospects/enroll", post(handlers::bulk_enroll))
        .route("/prospects/{id}/enroll", post(handlers::enroll))
        .route("/prospects/{id}/enrollment/pause", post(handlers::pause))
        .route("/prospects/{id}/enrollment/resume", post(handlers::resume))
        .route("/prospects/{id}/enrollment/exit", post(handlers::exit))
        .route("/prospects/{id}/no-next-step", post(handlers::no_next_step))
        .route("/prospects/{id}/data-fixed", post(handlers::data_fixed))
}
