//! Working a touch: complete (by logging an interaction from it), skip, snooze. The pages
//! (Today, work mode) and the API call these, each in the caller's transaction, so that a
//! touch is finished the same way wherever it is finished.
//!
//! Each returns `None` when the touch is not in the caller's scope, `Some(false)` when it
//! was already closed (done or skipped: nothing changes), `Some(true)` when it was worked.

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};

use super::db as touches_db;
use crate::{
    auth::Scope,
    interactions::{self, handlers::ValidLog},
    schedule,
    web::format,
};

/// The longest skip reason.
pub const MAX_REASON: usize = 500;

/// A skip reason as typed: trimmed, required, at most [`MAX_REASON`] characters.
pub fn parse_skip_reason(raw: &str) -> Result<&str, &'static str> {
    let reason = raw.trim();
    if let Some(problem) = crate::input::text_problem(reason) {
        Err(problem)
    } else if reason.is_empty() || reason.chars().count() > MAX_REASON {
        Err("Say why the touch is skipped (at most 500 characters).")
    } else {
        Ok(reason)
    }
}

/// A snooze date: after today in the user's time zone.
pub fn check_snooze_until(until: Option<Date>, time_zone: &str) -> Result<Date, &'static str> {
    let today = format::today(time_zone);
    until
        .filter(|d| *d > today)
        .ok_or("Snooze to a date after today.")
}

/// Completes the touch by logging `log` from it: the interaction, its decision, and the
/// cadence's next step.
pub async fn complete(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    touch_id: i64,
    log: &ValidLog,
) -> sqlx::Result<Option<bool>> {
    let Some(touch) = touches_db::lock(conn, scope, touch_id).await? else {
        return Ok(None);
    };
    if !touch.is_open() {
        return Ok(Some(false));
    }
    let logged = interactions::db::log_interaction(
        conn,
        scope,
        actor_id,
        touch.prospect_id,
        log,
        Some(&touch),
    )
    .await?;
    Ok(logged.map(|_| true))
}

/// Skips the touch with a reason (already checked by [`parse_skip_reason`]); a cadence
/// step moves the cadence on (`touches::db::skip`).
pub async fn skip(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    touch_id: i64,
    reason: &str,
) -> sqlx::Result<Option<bool>> {
    let Some(touch) = touches_db::lock(conn, scope, touch_id).await? else {
        return Ok(None);
    };
    if !touch.is_open() {
        return Ok(Some(false));
    }
    touches_db::skip(conn, actor_id, &touch, reason, OffsetDateTime::now_utc()).await?;
    Ok(Some(true))
}

/// Snoozes the touch until the start of the owner's working day on `until` (already
/// checked by [`check_snooze_until`]), through `touches::db::snooze`.
pub async fn snooze(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    touch_id: i64,
    until: Date,
) -> sqlx::Result<Option<bool>> {
    let Some(touch) = touches_db::lock(conn, scope, touch_id).await? else {
        return Ok(None);
    };
    if !touch.is_open() {
        return Ok(Some(false));
    }
    let hours = touches_db::working_hours(&mut *conn, touch.owner_id).await?;
    let at = schedule::local_instant(until, hours.start, &hours.time_zone)
        .unwrap_or_else(|| until.midnight().assume_utc());
    let note = format!("Until {}", format::date(until));
    touches_db::snooze(conn, actor_id, &touch, at, &note).await?;
    Ok(Some(true))
}
