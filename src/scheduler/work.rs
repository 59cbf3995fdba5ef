//! The scheduler's batches: each claims rows with `skip locked` and acts on them inside the
//! caller's transaction, so a batch commits or vanishes as a whole, and never waits for a
//! row another scheduler or a request holds: it leaves it for the next pass.
//!
//! The enrollment and re-engage batches walk the table in id order (`after_id`): a row the
//! batch leaves untouched (say, its touch was inserted meanwhile by a request) is not
//! claimed again in the same pass, so a pass always ends.

use std::collections::HashMap;

use sqlx::{PgConnection, PgExecutor};
use time::{Date, OffsetDateTime};

use crate::{
    auth::Scope,
    process::{
        Event,
        store::{self, Change, Loaded},
    },
};

/// Snoozed touches whose snooze has ended become pending, due when the snooze ended.
/// Returns how many.
pub(super) async fn end_snoozes(
    conn: &mut PgConnection,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<u64> {
    let due = sqlx::query!(
        r#"select t.id, t.prospect_id, t.snoozed_until as "snoozed_until!"
           from touches t join prospects p on p.id = t.prospect_id
           where t.status = 'snoozed' and t.snoozed_until <= $1
           order by t.snoozed_until, t.id
           limit $2
           for no key update of t skip locked
           for no key update of p skip locked"#,
        now,
        limit
    )
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<i64> = due.iter().map(|row| row.prospect_id).collect();
    let loaded = loaded_by_id(conn, &ids).await?;
    let changes: Vec<Change> = due
        .iter()
        .filter_map(|row| {
            let event = Event::SnoozeEnded {
                touch_id: row.id,
                until: row.snoozed_until,
            };
            Some(loaded.get(&row.prospect_id)?.decide(&event, now, None))
        })
        .collect();
    Ok(store::apply(conn, &changes).await?.touches_woken)
}

/// The prospects of `ids` (already locked by the caller's claim), loaded, by id.
async fn loaded_by_id(conn: &mut PgConnection, ids: &[i64]) -> sqlx::Result<HashMap<i64, Loaded>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    Ok(
        store::load_many(conn, &Scope::everyone(), &ids, store::Detail::Plan)
            .await?
            .into_iter()
            .map(|loaded| (loaded.state.prospect_id, loaded))
            .collect(),
    )
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
           select c.id, c.prospect_id,
                  case when c.current_position = 1 then c.started_at
                       else (select max(t.completed_at) from touches t
                             join cadence_steps s on s.id = t.step_id
                             where t.enrollment_id = c.id and t.kind = 'step'
                               and s.position = c.current_position - 1)
                  end as after
           from claimed c
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
    let ids: Vec<i64> = claimed.iter().map(|row| row.prospect_id).collect();
    let loaded = loaded_by_id(conn, &ids).await?;
    let changes: Vec<Change> = claimed
        .iter()
        .filter_map(|row| {
            // Without a recorded end to the previous step (data written by hand), count
            // from now.
            let event = Event::StepOwed {
                after: row.after.unwrap_or(now),
            };
            Some(loaded.get(&row.prospect_id)?.decide(&event, now, None))
        })
        .collect();
    let applied = store::apply(conn, &changes).await?;
    batch.scheduled = applied.touches_scheduled;
    batch.completed = applied.enrollments_completed;
    Ok(batch)
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
    let ids: Vec<i64> = claimed.iter().map(|row| row.id).collect();
    let changes: Vec<Change> = loaded_by_id(conn, &ids)
        .await?
        .into_values()
        .filter_map(|loaded| {
            let on = loaded.state.re_engage_on?;
            Some(loaded.decide(&Event::ReEngageDateReached { on }, now, None))
        })
        .collect();
    batch.scheduled = store::apply(conn, &changes).await?.touches_scheduled;
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
