//! The calendar feed: each rep's touches and meetings as an iCalendar (RFC 5545) document
//! at a secret URL, for Google Calendar, Outlook and Apple Calendar to subscribe to.
//!
//! A subscription cannot sign in, so the URL is the credential: 256 random bits, stored
//! only as a hash, replaced or revoked from the profile page. A wrong or revoked URL is a
//! plain 404 that says nothing about whether it ever existed.

pub mod db;
pub mod handlers;
pub mod ics;

use axum::{Router, routing::get};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/calendar/{file}", get(handlers::feed))
}

/// Every feed secret starts with this.
pub const PREFIX: &str = "cal_";

/// The feed's address for a secret.
pub fn feed_url(base_url: &url::Url, secret: &str) -> String {
    format!(
        "{}/calendar/{secret}.ics",
        base_url.as_str().trim_end_matches('/')
    )
}
