//! Integration tests: the whole application served over real HTTP on a loopback port,
//! each test with a fresh PostgreSQL database made by `#[sqlx::test]` from ./migrations.

mod accounts;
mod admin;
mod api;
mod auth;
mod cadences;
mod calendar;
mod cli;
mod dashboard;
mod e2e;
mod edge;
mod export;
mod hostile_input;
mod import;
mod interactions;
mod layers;
mod mail;
mod openapi;
mod prospects;
mod recovery;
mod reminders;
mod rollups;
mod scale;
mod scheduler;
mod support;
mod touches;
