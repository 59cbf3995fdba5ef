//! The scheduler's batches: each claims rows with `skip locked` and acts on them inside the
//! caller's transaction, so a batch commits or vanishes as a whole, and never waits for a
//! row another scheduler or a request holds: it leaves it for the next pass.
//!
//! The enrollment and re-engage batches walk the table in id order (`after_id`): a row the
//! batch leaves untouched (say, its touch was inserted meanwhile by a request) is not
//! claimed again in the same pass, so a pass always ends.

use std::collections::{HashMap, hash_map::Entry};

use sqlx::{PgConnection, PgExecutor};
use time::{Date, OffsetDateTime};

use crate::{
    cadences::db::{self as cadences_db, Step},
    schedule::WorkingHours,
    touches::db as touches_db,
};

/// Snoozed touches whose snooze has ended become pending, due when the snooze ended.
/// Returns how many.
pub(super) async fn end_snoozes(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<u64> {
    let woken = sqlx::query!(
        r#"with due as (
               select id from touches
               where status = 'snoozed' and snoozed_until <= $1
               order by snoozed_until, id
               limit $2
               for no key update skip locked
           )
           update touches t set status = 'pending', due_at = t.snoozed_until, snoozed_until = null
           from due where t.id = due.id"#,
        now,
        limit
    )
    .execute(conn)
    .await?;
    Ok(woken.rows_affected())
}

/// What one batch of claimed rows came to.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// Rows claimed; fewer than the limit means the work is done (or held by others).
    pub claimed: usize,
    /// The highest id claimed, where the next batch starts.
    pub last_id: Option<i64>,
    pub scheduled: u64,
    pub completed: u64,
}

/// Active enrollments with no touch to do and none for their current step: schedules the
/// step at `current_position`, counted from the enrollment's start (first step) or from
/// when the previous step's touch was closed, or completes the enrollment when its cadence
/// has no such step.
pub(super) async fn schedule_enrollments(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Batch> {
    let claimed = sqlx::query!(
        r#"with claimed as (
               select e.id, e.prospect_id, e.version_id, e.current_position, e.started_at,
                      p.owner_id
               from enrollments e join prospects p on p.id = e.prospect_id
               -- The backlog, as `enrollments_to_schedule_idx` holds it: active, and the
               -- step it is on not yet scheduled (kept by the touches' trigger).
               where e.status = 'active' and e.id > $1
                 and e.scheduled_position is distinct from e.current_position
                 -- `t.enrollment_id > $1` is implied, but said so that the anti-joins
                 -- read the touches index from where the batch starts, not from the top.
                 and not exists (select 1 from touches t
                                 where t.enrollment_id = e.id and t.enrollment_id > $1
                                   and t.kind = 'step' and t.status in ('pending', 'snoozed'))
                 and not exists (select 1 from touches t
                                 join cadence_steps s on s.id = t.step_id
                                 where t.enrollment_id = e.id and t.enrollment_id > $1
                                   and t.kind = 'step' and s.position = e.current_position)
               order by e.id
               limit $2
               -- The prospect too: a request locks the prospect, then its enrollment,
               -- and inserting our touch updates the prospect (its count of open
               -- touches). Taking both up front, or skipping the row, means never
               -- waiting on a request that waits on us.
               for no key update of e skip locked
               for no key update of p skip locked
           )
           -- With the owner's working hours: a batch has hundreds of owners, and a query
           -- for each would cost a round trip each.
           select c.id, c.prospect_id, c.version_id, c.current_position, c.owner_id,
                  u.time_zone, u.work_day_start, u.work_day_end,
                  case when c.current_position = 1 then c.started_at
                       else (select max(t.completed_at) from touches t
                             join cadence_steps s on s.id = t.step_id
                             where t.enrollment_id = c.id and t.kind = 'step'
                               and s.position = c.current_position - 1)
                  end as after
           from claimed c
           join users u on u.id = c.owner_id
           order by c.id"#,
        after_id,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut batch = Batch {
        claimed: claimed.len(),
        last_id: claimed.last().map(|row| row.id),
        ..Batch::default()
    };
    // A batch touches few distinct steps and owners: look each step up once, and work out
    // each owner's hours once.
    let mut steps: HashMap<(i64, i32), Option<Step>> = HashMap::new();
    let mut hours: HashMap<i64, WorkingHours> = HashMap::new();
    let mut new_touches = NewTouches::default();
    let mut finished = Vec::new();
    for row in claimed {
        let step = match steps.entry((row.version_id, row.current_position)) {
            Entry::Occupied(found) => found.into_mut(),
            Entry::Vacant(slot) => slot.insert(
                cadences_db::step_at(&mut *conn, row.version_id, row.current_position).await?,
            ),
        };
        let Some(step) = step else {
            finished.push(row.id);
            continue;
        };
        let owner_hours = hours.entry(row.owner_id).or_insert_with(|| {
            touches_db::hours_from(&row.time_zone, row.work_day_start, row.work_day_end)
        });
        // Without a recorded end to the previous step (data written by hand), count from now.
        let after = row.after.unwrap_or(now);
        new_touches.enrollment_ids.push(row.id);
        new_touches.prospect_ids.push(row.prospect_id);
        new_touches.owner_ids.push(row.owner_id);
        new_touches.step_ids.push(step.id);
        let due_at = touches_db::step_due_at(step, after, owner_hours);
        new_touches.due_ats.push(due_at);
        new_touches.due_ons.push(owner_hours.local_date(due_at));
    }

    batch.scheduled = insert_step_touches(&mut *conn, &new_touches).await?;
    batch.completed = complete(&mut *conn, &finished, now).await?;
    Ok(batch)
}

/// Step touches to insert, column by column.
#[derive(Default)]
struct NewTouches {
    enrollment_ids: Vec<i64>,
    prospect_ids: Vec<i64>,
    owner_ids: Vec<i64>,
    step_ids: Vec<i64>,
    due_ats: Vec<OffsetDateTime>,
    /// The owner's day of each `due_at`, worked out here so that the touches' trigger need
    /// not look up the owner's zone row by row (`None`: it does).
    due_ons: Vec<Option<Date>>,
}

/// The batch's touches in one statement: the same row and the same idempotency as
/// `touches::db::schedule_step`, without a round trip per touch. A touch that exists
/// already (a racing scheduler or request) is left alone and not counted.
async fn insert_step_touches(conn: &mut PgConnection, new: &NewTouches) -> sqlx::Result<u64> {
    if new.enrollment_ids.is_empty() {
        return Ok(0);
    }
    let inserted = sqlx::query!(
        r#"insert into touches (prospect_id, owner_id, kind, enrollment_id, step_id, channel, due_at,
                                due_on)
           select n.prospect_id, n.owner_id, 'step', n.enrollment_id, n.step_id, s.channel, n.due_at,
                  n.due_on
           from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[],
                       $6::date[])
                as n (enrollment_id, prospect_id, owner_id, step_id, due_at, due_on)
           join cadence_steps s on s.id = n.step_id
           on conflict (enrollment_id, step_id) where kind = 'step' do nothing"#,
        &new.enrollment_ids,
        &new.prospect_ids,
        &new.owner_ids,
        &new.step_ids,
        &new.due_ats,
        &new.due_ons as &[Option<Date>],
    )
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected())
}

/// Completes enrollments whose cadence has run out of steps, each with a timeline event
/// (no actor: nobody did it, the plan ended).
async fn complete(conn: &mut PgConnection, ids: &[i64], now: OffsetDateTime) -> sqlx::Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let noted = sqlx::query!(
        r#"with completed as (
               update enrollments set status = 'completed', ended_at = $2, updated_at = $2
               where id = any($1) and status = 'active'
               returning id, prospect_id
           )
           insert into prospect_events (prospect_id, kind, enrollment_id, occurred_at)
           select prospect_id, 'enrollment_completed', id, $2 from completed"#,
        ids,
        now
    )
    .execute(conn)
    .await?;
    Ok(noted.rows_affected())
}

/// Future-interest prospects whose re-engage date is tomorrow (in UTC) or up to
/// [`RE_ENGAGE_LOOKBACK_DAYS`] earlier and who have no open re-engage touch get one, at the
/// start of the owner's working day on that date. A closed re-engage touch for the same
/// date means the rep has dealt with it: it is not made again. Scheduling a day ahead puts
/// the touch on the agenda in every zone by the time that day starts there.
///
/// Logging a future-interest decision schedules its touch at once; this pass is for the
/// dates set otherwise (an opportunity lost with a date to revisit, an import) and for a
/// request that failed midway. The lookback bounds each pass to the dates of the last weeks
/// instead of every future-interest prospect; a date older than that which never got a
/// touch leaves the prospect on the dead-ends list (unless a cadence keeps it going).
pub(super) async fn schedule_re_engages(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Batch> {
    let horizon = re_engage_horizon(now);
    let claimed = sqlx::query!(
        // The dates in the window first, from their index; ordering by id before that
        // would walk every prospect (the primary key) to find them, most of a second at
        // a million prospects. The locked rows are checked again: they may have changed
        // since the snapshot the window was read in.
        r#"with dated as materialized (
               select p.id, p.re_engage_on from prospects p
               where p.interest = 'future' and not p.do_not_contact
                 and p.re_engage_on <= $1 and p.re_engage_on >= $1 - $4::integer and p.id > $2
           ),
           due as (
               select d.id from dated d
               where not exists (
                   select 1 from touches t
                   where t.prospect_id = d.id and t.kind = 're_engage'
                     and (t.status in ('pending', 'snoozed')
                          -- The date's touch, whatever the owner's zone (UTC-12 to UTC+14).
                          or (t.due_at >= (d.re_engage_on - 1)::timestamp at time zone 'UTC'
                              and t.due_at < (d.re_engage_on + 2)::timestamp at time zone 'UTC')))
               order by d.id
               limit $3
           )
           select p.id, p.owner_id, p.re_engage_on as "re_engage_on!"
           from prospects p
           where p.id in (select id from due)
             and p.interest = 'future' and not p.do_not_contact
             and p.re_engage_on <= $1 and p.re_engage_on >= $1 - $4::integer
           order by p.id
           for no key update of p skip locked"#,
        horizon,
        after_id,
        limit,
        RE_ENGAGE_LOOKBACK_DAYS
    )
    .fetch_all(&mut *conn)
    .await?;

    let mut batch = Batch {
        claimed: claimed.len(),
        last_id: claimed.last().map(|row| row.id),
        ..Batch::default()
    };
    for row in claimed {
        let made =
            touches_db::schedule_re_engage(&mut *conn, row.id, row.owner_id, row.re_engage_on, now)
                .await?;
        batch.scheduled += u64::from(made.is_some());
    }
    Ok(batch)
}

/// How far back a pass looks for re-engage dates that have no touch yet.
pub const RE_ENGAGE_LOOKBACK_DAYS: i32 = 30;

/// How far ahead `next_due` looks for re-engage dates to wake up for; beyond it the
/// scheduler's regular wake-ups come first.
const RE_ENGAGE_LOOKAHEAD_DAYS: i32 = 2;

/// The latest re-engage date a pass at `now` schedules: tomorrow, in UTC.
fn re_engage_horizon(now: OffsetDateTime) -> Date {
    let today = now.to_offset(time::UtcOffset::UTC).date();
    today.next_day().unwrap_or(today)
}

/// Pending touches past due at `now`.
pub(super) async fn count_overdue(
    db: impl PgExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "count!" from touches where status = 'pending' and due_at < $1"#,
        now
    )
    .fetch_one(db)
    .await
}

/// When work next falls due after a pass at `now`: the earliest snooze ending, or the
/// midnight (UTC) from which the earliest re-engage date still to schedule is within the
/// horizon. `None` when nothing is waiting on the clock.
pub(super) async fn next_due(
    db: impl PgExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Option<OffsetDateTime>> {
    let row = sqlx::query!(
        r#"select (select min(snoozed_until) from touches where status = 'snoozed') as snooze_ends,
                  (select min(p.re_engage_on) from prospects p
                   where p.interest = 'future' and not p.do_not_contact and p.re_engage_on > $1
                     and p.re_engage_on <= $1 + $2::integer
                     and not exists (select 1 from touches t
                                     where t.prospect_id = p.id and t.kind = 're_engage'
                                       and t.status in ('pending', 'snoozed'))) as re_engage_on"#,
        re_engage_horizon(now),
        RE_ENGAGE_LOOKAHEAD_DAYS
    )
    .fetch_one(db)
    .await?;
    let re_engage = row
        .re_engage_on
        .map(|on| on.previous_day().unwrap_or(on).midnight().assume_utc());
    Ok(match (row.snooze_ends, re_engage) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn the_horizon_is_tomorrow_in_utc() {
        assert_eq!(
            re_engage_horizon(datetime!(2026-07-01 23:59 UTC)),
            date!(2026 - 07 - 02)
        );
        // 23:30 in New York on the 1st is already the 2nd in UTC.
        assert_eq!(
            re_engage_horizon(datetime!(2026-07-01 23:30 -4)),
            date!(2026 - 07 - 03)
        );
    }
}
