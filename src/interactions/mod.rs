//! Logging an interaction — the core gesture — and the interest decision made in it.

pub mod db;
pub mod form;

pub use crate::process::{Channel, Decision, Outcome};
