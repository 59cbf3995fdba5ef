//! Scheduling and working touches. Inserts are idempotent (unique keys, `on conflict do
//! nothing`), so a request and any number of schedulers can race on the same work.

use sqlx::{PgConnection, PgExecutor};
use time::{Date, OffsetDateTime};

use super::{TouchKind, TouchStatus};
use crate::{
    auth::Scope,
    cadences::db::Step,
    enrollments::db::{self as enrollments_db, Actor},
    interactions::Channel,
    prospects::db::{NewEvent, insert_event},
    schedule::{self, Window, WorkingHours},
};

/// The owner's working hours, for placing touches in their day.
pub async fn working_hours(db: impl PgExecutor<'_>, owner_id: i64) -> sqlx::Result<WorkingHours> {
    let row = sqlx::query!(
        "select time_zone, work_day_start, work_day_end from users where id = $1",
        owner_id
    )
    .fetch_one(db)
    .await?;
    Ok(hours_from(
        &row.time_zone,
        row.work_day_start,
        row.work_day_end,
    ))
}

/// A user's working hours from their columns; a zone or hours that no longer parse fall
/// back to UTC, then to 09:00–17:30.
pub fn hours_from(time_zone: &str, start: time::Time, end: time::Time) -> WorkingHours {
    WorkingHours::new(time_zone, start, end)
        .or_else(|_| WorkingHours::new("UTC", start, end))
        .unwrap_or_else(|_| {
            WorkingHours::new("UTC", time::macros::time!(9:00), time::macros::time!(17:30))
                .expect("valid default hours")
        })
}

/// When a step falls due after the previous touch was done at `after`.
pub fn step_due_at(step: &Step, after: OffsetDateTime, hours: &WorkingHours) -> OffsetDateTime {
    let window = match (step.window_start, step.window_end) {
        (Some(start), Some(end)) => Some(Window { start, end }),
        _ => None,
    };
    schedule::due_at(
        after,
        step.delay_business_days.max(0) as u16,
        hours,
        window.as_ref(),
    )
}

/// Schedules an enrollment's step; does nothing if it is already scheduled.
pub async fn schedule_step(
    conn: &mut PgConnection,
    enrollment_id: i64,
    prospect_id: i64,
    owner_id: i64,
    step: &Step,
    after: OffsetDateTime,
) -> sqlx::Result<Option<i64>> {
    let hours = working_hours(&mut *conn, owner_id).await?;
    let due_at = step_due_at(step, after, &hours);
    sqlx::query_scalar!(
        r#"insert into touches (prospect_id, owner_id, kind, enrollment_id, step_id, channel, due_at)
           values ($1, $2, 'step', $3, $4, $5, $6)
           on conflict (enrollment_id, step_id) where kind = 'step' do nothing
           returning id"#,
        prospect_id,
        owner_id,
        enrollment_id,
        step.id,
        step.channel as Channel,
        due_at
    )
    .fetch_optional(conn)
    .await
}

/// A re-engage touch at the start of the owner's working day on `on`. It replaces any earlier open re-engage touch: the latest decision's date wins.
pub async fn schedule_re_engage(
    conn: &mut PgConnection,
    prospect_id: i64,
    owner_id: i64,
    on: Date,
    now: OffsetDateTime,
) -> sqlx::Result<Option<i64>> {
    let hours = working_hours(&mut *conn, owner_id).await?;
    let due_at = schedule::local_instant(on, hours.start, &hours.time_zone).unwrap_or(now);
    sqlx::query!(
        r#"update touches set status = 'skipped', skip_reason = 'Replaced by a later re-engage date',
                  cancelled = true, completed_at = $3
           where prospect_id = $1 and kind = 're_engage' and status in ('pending', 'snoozed')
             and due_at <> $2"#,
        prospect_id,
        due_at,
        now
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar!(
        r#"insert into touches (prospect_id, owner_id, kind, channel, due_at)
           values ($1, $2, 're_engage', 'call', $3)
           on conflict (prospect_id, due_at) where kind = 're_engage' do nothing
           returning id"#,
        prospect_id,
        owner_id,
        due_at
    )
    .fetch_optional(conn)
    .await
}

/// Withdraws every open touch of an enrollment (or, with `None`, of the prospect): the plan
/// ended or changed, which is not a rep skipping a touch.
pub async fn cancel_open(
    conn: &mut PgConnection,
    prospect_id: i64,
    enrollment_id: Option<i64>,
    reason: &str,
    now: OffsetDateTime,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        r#"update touches set status = 'skipped', skip_reason = $3, cancelled = true, completed_at = $4,
                              snoozed_until = null
           where prospect_id = $1 and status in ('pending', 'snoozed')
             and ($2::bigint is null or enrollment_id = $2)"#,
        prospect_id,
        enrollment_id,
        reason,
        now
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone)]
pub struct LockedTouch {
    pub id: i64,
    pub prospect_id: i64,
    pub owner_id: i64,
    pub kind: TouchKind,
    pub enrollment_id: Option<i64>,
    pub step_id: Option<i64>,
    pub channel: Channel,
    pub status: TouchStatus,
}

impl LockedTouch {
    pub fn is_open(&self) -> bool {
        matches!(self.status, TouchStatus::Pending | TouchStatus::Snoozed)
    }
}

/// Locks an open-or-closed touch whose prospect is in scope, after the prospect (the
/// lock order every write to a prospect's plan follows; see `opportunities::db::lock`).
pub async fn lock(
    conn: &mut PgConnection,
    scope: &Scope,
    id: i64,
) -> sqlx::Result<Option<LockedTouch>> {
    let Some(prospect_id) =
        sqlx::query_scalar!("select prospect_id from touches where id = $1", id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(None);
    };
    if crate::prospects::db::lock(conn, scope, prospect_id)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    sqlx::query_as!(
        LockedTouch,
        r#"select id, prospect_id, owner_id, kind as "kind: TouchKind", enrollment_id,
                  step_id, channel as "channel: Channel", status as "status: TouchStatus"
           from touches where id = $1
           for update"#,
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn mark_done(
    conn: &mut PgConnection,
    touch_id: i64,
    interaction_id: i64,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update touches set status = 'done', interaction_id = $2, completed_at = $3, snoozed_until = null
           where id = $1"#,
        touch_id,
        interaction_id,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_skipped(
    conn: &mut PgConnection,
    touch_id: i64,
    reason: &str,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update touches set status = 'skipped', skip_reason = $2, cancelled = false, completed_at = $3,
                              snoozed_until = null
           where id = $1"#,
        touch_id,
        reason,
        at
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn mark_snoozed(
    conn: &mut PgConnection,
    touch_id: i64,
    until: OffsetDateTime,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update touches set status = 'snoozed', snoozed_until = $2 where id = $1",
        touch_id,
        until
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Skips an open touch for `reason`, on the prospect's timeline; a cadence step's plan moves
/// on to its next step, counted from `at`.
pub async fn skip(
    conn: &mut PgConnection,
    actor_id: i64,
    touch: &LockedTouch,
    reason: &str,
    at: OffsetDateTime,
) -> sqlx::Result<()> {
    if !touch.is_open() {
        return Ok(());
    }
    mark_skipped(conn, touch.id, reason, at).await?;
    insert_event(
        &mut *conn,
        NewEvent {
            note: Some(reason),
            touch_id: Some(touch.id),
            occurred_at: Some(at),
            ..NewEvent::new(touch.prospect_id, actor_id, "touch_skipped")
        },
    )
    .await?;
    if let (TouchKind::Step, Some(enrollment_id)) = (touch.kind, touch.enrollment_id) {
        let actor = Actor {
            user_id: actor_id,
            prospect_id: touch.prospect_id,
            owner_id: touch.owner_id,
            at,
        };
        enrollments_db::advance(conn, &actor, enrollment_id).await?;
    }
    Ok(())
}

/// Snoozes an open touch until `until`, on the prospect's timeline with `note`, and wakes
/// a sleeping scheduler (at commit) to the new wake-up time.
pub async fn snooze(
    conn: &mut PgConnection,
    actor_id: i64,
    touch: &LockedTouch,
    until: OffsetDateTime,
    note: &str,
) -> sqlx::Result<()> {
    if !touch.is_open() {
        return Ok(());
    }
    mark_snoozed(conn, touch.id, until).await?;
    crate::wakeup::notify(&mut *conn).await?;
    insert_event(
        &mut *conn,
        NewEvent {
            note: Some(note),
            touch_id: Some(touch.id),
            ..NewEvent::new(touch.prospect_id, actor_id, "touch_snoozed")
        },
    )
    .await
}
