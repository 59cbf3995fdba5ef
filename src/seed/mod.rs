//! Sample data.
pub mod demo;
