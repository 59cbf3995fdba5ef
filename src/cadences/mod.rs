//! Cadences: named multi-step, multi-channel plans. *Pursue* cadences are short and dense,
//! for current interest; *nurture* cadences are long and sparse, for future interest.

pub mod db;
pub mod demo;
pub mod form;
pub mod handlers;
pub mod template;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub use crate::process::Purpose;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/cadences", get(handlers::index).post(handlers::create))
        .route("/cadences/new", get(handlers::new))
        .route("/cadences/preview", post(handlers::preview))
        .route("/cadences/{id}", get(handlers::show).post(handlers::update))
        .route("/cadences/{id}/edit", get(handlers::edit))
        .route("/cadences/{id}/archive", post(handlers::archive))
}

impl Purpose {
    pub fn hint(self) -> &'static str {
        match self {
            Purpose::Pursue => {
                "Current interest: short and dense, toward a meeting and a decision."
            }
            Purpose::Nurture => {
                "Future interest: long and sparse, adding value until they are ready."
            }
        }
    }

    pub fn badge_class(self) -> String {
        format!("badge badge-{}", self.as_str())
    }
}
