//! People who use Prospector, their roles and teams.

pub mod create;
pub mod db;

/// A user's role is what sessions and visibility are decided by, so it lives with them.
pub use crate::auth::Role;

/// An IANA time zone name, checked against the bundled tz database.
pub fn parse_time_zone(raw: &str) -> Option<String> {
    let raw = raw.trim();
    jiff::tz::TimeZone::get(raw).ok().map(|_| raw.to_string())
}
