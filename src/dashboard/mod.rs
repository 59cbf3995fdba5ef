//! The pipeline dashboard: whether a team's prospecting is a process that keeps going or a
//! string of events that dead-end.
//!
//! Managers see their team, admins every team or one, reps their own figures; a rep filter
//! narrows to one person. Each widget (pipeline, funnel, activity, interest,
//! follow-through, cadences) has headline numbers, server-drawn SVG charts with their data
//! tables one click away, and a CSV export. Every number links to the list behind it.
//!
//! How each figure is defined (the module docs of `metrics` and `behind` say how it is
//! computed):
//!
//! * **Pipeline** — open opportunities now by stage: count, total value and value ×
//!   probability; *stalled* ones have had no interaction and no stage change for N days.
//! * **Funnel** — a cohort: the prospects first touched in the range (the day of their
//!   first interaction, on the clock of the rep who logged it), and how far each has come
//!   since: touched → connected (a call answered or a reply) → meeting booked → meeting held
//!   → opportunity → won. A prospect counts in every step up to the furthest it reached,
//!   so each step's rate is its share of the one before.
//! * **Activity** — interactions per rep (who logged them) per week (Monday to Sunday,
//!   clipped to the range) per channel.
//! * **Interest** — the decisions made in interactions per week; the prospects in each
//!   interest state now (the future-interest pool); future-interest prospects brought back
//!   to current interest in the range, credited to whoever brought them back, with the
//!   median time they had been future interest.
//! * **Follow-through** — touches overdue now and dead ends now per rep; the re-engage
//!   dates that fell due in the range (and by now) and the share honoured on time.
//! * **Cadences** — per cadence and step, the touches closed in the range: done, skipped,
//!   reply rate and meeting rate of the done ones; how enrollments ended, by reason.
//!
//! The figures come from rollup tables that triggers keep exact in every writing
//! transaction (`migrations/0004_dashboard.sql`), so a request sums a few hundred rows;
//! "now" figures are counted live over indexes that hold just the rows concerned.

pub mod behind;
pub mod cache;
pub mod filters;
pub mod handlers;
pub mod metrics;
pub mod rollups;
pub mod widgets;

use std::sync::Arc;

use axum::{Extension, Router, routing::get};

use crate::state::AppState;

/// The dashboard's pages, with the cache of their figures: one per application, kept by
/// the router rather than the shared state, which knows nothing of the features.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(handlers::index))
        .route("/dashboard/list", get(handlers::list))
        .route("/dashboard/{file}", get(handlers::export))
        .layer(Extension(Arc::new(cache::FiguresCache::default())))
}
