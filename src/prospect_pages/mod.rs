//! The prospect pages: the list, the prospect page, the new/edit form, reassignment, and
//! logging an interaction from the prospect page (templates in `templates/prospects/`).
//! They stand apart from the prospect data (`prospects`) because they compose several
//! features — the plan panel of `enrollments`, the log form of `interactions`, the open
//! opportunities — while those features read and write prospects: the data sits below
//! them, these pages above.

pub mod handlers;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/prospects", get(handlers::index).post(handlers::create))
        .route("/prospects/new", get(handlers::new))
        .route(
            "/prospects/{id}",
            get(handlers::show).post(handlers::update),
        )
        .route("/prospects/{id}/edit", get(handlers::edit))
        .route("/prospects/{id}/owner", post(handlers::reassign))
        .route("/prospects/{id}/interactions", post(handlers::log))
}
