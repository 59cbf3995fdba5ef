//! Administration: users (role, team, time zone, active), teams, and the mail outbox.
//! Every page takes the `Admin` extractor, so to anyone else these pages do not exist (404).

pub mod handlers;
pub mod mail;

use axum::{
    Router,
    routing::{get, post},
};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/users",
            get(handlers::users).post(handlers::create_user),
        )
        .route("/admin/users/new", get(handlers::new_user))
        .route("/admin/users/{id}", post(handlers::update_user))
        .route("/admin/users/{id}/edit", get(handlers::edit_user))
        .route(
            "/admin/teams",
            get(handlers::teams).post(handlers::create_team),
        )
        .route("/admin/teams/{id}", post(handlers::rename_team))
        .route("/admin/mail", get(mail::mail))
        .route("/admin/mail/{id}/retry", post(mail::retry))
}

/// Suggestions for the time zone field; any IANA name is accepted.
pub const COMMON_TIME_ZONES: &[&str] = &[
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Toronto",
    "America/Vancouver",
    "America/Mexico_City",
    "America/Bogota",
    "America/Lima",
    "America/Santiago",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "Pacific/Honolulu",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Madrid",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Zurich",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "Europe/Kyiv",
    "Europe/Moscow",
    "Africa/Casablanca",
    "Africa/Lagos",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Africa/Nairobi",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Taipei",
    "Asia/Manila",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Perth",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Melbourne",
    "Pacific/Auckland",
];

#[cfg(test)]
mod tests {
    use super::COMMON_TIME_ZONES;

    #[test]
    fn suggested_time_zones_are_known() {
        for zone in COMMON_TIME_ZONES {
            assert!(crate::users::parse_time_zone(zone).is_some(), "{zone}");
        }
    }
}
