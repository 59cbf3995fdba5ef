//! Working a touch: complete (by logging an interaction from it), skip, snooze. The pages
//! (Today, work mode) and the API call these, each in the caller's transaction, so that a
//! touch is finished the same way wherever it is finished.
//!
//! Each returns `None` when the touch is not in the caller's scope, `Some(false)` when it
//! was already closed (done or skipped: nothing changes), `Some(true)` when it was worked.

use sqlx::PgConnection;
use time::{Date, OffsetDateTime};

use crate::{
    auth::Scope,
    interactions::{self, form::ValidLog},
    process::{Event, store},
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
    let Some(loaded) = store::load_for_touch(conn, scope, touch_id).await? else {
        return Ok(None);
    };
    if loaded.state.open_touch(touch_id).is_none() {
        return Ok(Some(false));
    }
    interactions::db::log_for(conn, &loaded, actor_id, log, Some(touch_id)).await?;
    Ok(Some(true))
}

/// Skips the touch with a reason (already checked by [`parse_skip_reason`]); a cadence
/// step moves the cadence on to its next step.
pub async fn skip(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    touch_id: i64,
    reason: &str,
) -> sqlx::Result<Option<bool>> {
    let event = Event::TouchSkipped {
        touch_id,
        reason: reason.to_string(),
    };
    work(conn, scope, actor_id, touch_id, |_| event).await
}

/// Snoozes the touch until the start of the owner's working day on `until` (already
/// checked by [`check_snooze_until`]).
pub async fn snooze(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    touch_id: i64,
    until: Date,
) -> sqlx::Result<Option<bool>> {
    work(conn, scope, actor_id, touch_id, |hours| {
        Event::TouchSnoozed {
            touch_id,
            until: schedule::local_instant(until, hours.start, &hours.time_zone)
                .unwrap_or_else(|| until.midnight().assume_utc()),
            note: format!("Until {}", format::date(until)),
        }
    })
    .await
}

/// Loads the touch's prospect, and if the touch is open, applies `event` (made with the
/// owner's working hours) now.
async fn work(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    touch_id: i64,
    event: impl FnOnce(&schedule::WorkingHours) -> Event,
) -> sqlx::Result<Option<bool>> {
    let Some(loaded) = store::load_for_touch(conn, scope, touch_id).await? else {
        return Ok(None);
    };
    if loaded.state.open_touch(touch_id).is_none() {
        return Ok(Some(false));
    }
    let change = loaded.decide(
        &event(&loaded.hours),
        OffsetDateTime::now_utc(),
        Some(actor_id),
    );
    store::apply(conn, &[change]).await?;
    Ok(Some(true))
}
