//! Sample data.
pub mod demo;
pub mod scale;
