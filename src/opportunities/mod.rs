//! Opportunities: what current interest becomes, moved through stages to won or lost.

pub mod db;
pub mod handlers;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub use crate::process::Stage;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/opportunities", get(handlers::index))
        .route(
            "/opportunities/{id}",
            get(handlers::show).post(handlers::update),
        )
        .route("/opportunities/{id}/stage", post(handlers::move_stage))
}

impl Stage {
    pub const OPEN: [Stage; 4] = [
        Stage::Qualifying,
        Stage::Meeting,
        Stage::Proposal,
        Stage::Negotiation,
    ];

    pub fn is_open(self) -> bool {
        !matches!(self, Stage::Won | Stage::Lost)
    }

    /// The probability an opportunity gets when it enters this stage.
    pub fn default_probability(self) -> i16 {
        match self {
            Stage::Qualifying => 10,
            Stage::Meeting => 25,
            Stage::Proposal => 50,
            Stage::Negotiation => 75,
            Stage::Won => 100,
            Stage::Lost => 0,
        }
    }

    pub fn badge_class(self) -> String {
        format!("badge badge-{}", self.as_str())
    }
}
