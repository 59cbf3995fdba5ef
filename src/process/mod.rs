//! The follow-up engine: what happens next for a prospect, in one place.
//!
//! A caller (a page, the API, the import, bulk enrollment, the scheduler) loads the
//! prospect's process state (`store::load`), asks the pure core what an event means
//! (`rules::decide`: state + event + context → effects) and applies the effects in its
//! transaction (`store::apply`). Nothing else changes an enrollment, a touch's status or
//! the interest state. The process's words (interest, outcomes, decisions, cadence
//! purposes, enrollment and touch states) live here too, below every feature that uses them.

#[cfg(test)]
mod model;
pub mod rules;
pub mod store;
#[cfg(test)]
mod tests;
mod vocabulary;

pub use rules::{
    Cadence, Cadences, Context, DecisionInput, Effect, EnrollRefusal, Event, Logged, ProcessState,
    Step, decide, enrollment_target,
};

pub(crate) use vocabulary::labelled_enum;
pub use vocabulary::{
    Channel, Decision, EnrollmentStatus, InterestState, Outcome, Purpose, Stage, TouchKind,
    TouchStatus,
};
