//! The follow-up process: what happens next for a prospect. Its words (interest, outcomes,
//! decisions, cadence purposes, enrollment and touch states) live here, below every feature
//! that uses them.

mod vocabulary;

pub(crate) use vocabulary::labelled_enum;
pub use vocabulary::{
    Channel, Decision, EnrollmentStatus, InterestState, Outcome, Purpose, Stage, TouchKind,
    TouchStatus,
};
