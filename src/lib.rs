//! Prospector: sales prospecting as a process, not an event.
//!
//! Each feature lives in its own module with its router, handlers and queries; `routes`
//! puts them together and `startup::app` wraps them in the middleware.

pub mod account_pages;
pub mod accounts;
pub mod admin;
pub mod api;
pub mod auth;
pub mod cadences;
pub mod calendar;
pub mod charts;
pub mod config;
pub mod dashboard;
pub mod enrollments;
pub mod error;
pub mod exports;
pub mod home;
pub mod imports;
pub mod input;
pub mod interactions;
pub mod mail;
pub mod opportunities;
pub mod process;
pub mod profile;
pub mod prospect_pages;
pub mod prospects;
pub mod reminders;
pub mod schedule;
pub mod scheduler;
pub mod search;
pub mod seed;
pub mod sign_in;
pub mod startup;
pub mod state;
pub mod tokens;
pub mod touches;
pub mod users;
pub mod wakeup;
pub mod web;

use axum::Router;

use state::AppState;

/// Every page, without middleware. The JSON API (`api::router`) is apart: it has no
/// session and no CSRF token, and `startup::app` gives it its own middleware.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(home::router())
        .merge(sign_in::router())
        .merge(prospect_pages::router())
        .merge(account_pages::router())
        .merge(opportunities::router())
        .merge(dashboard::router())
        .merge(cadences::router())
        .merge(touches::router())
        .merge(enrollments::router())
        .merge(admin::router())
        .merge(reminders::router())
        .merge(profile::router())
        .merge(imports::router())
        .merge(exports::router())
        .merge(calendar::router())
}
