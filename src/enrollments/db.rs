//! The enrollment state machine, run inside the caller's transaction.
//!
//! enroll → active ⇄ paused; active → completed (last step done) or exited (with a reason).
//! Entering a live state schedules the current step's touch; leaving it cancels open touches.

use sqlx::PgConnection;
use time::OffsetDateTime;

use super::EnrollmentStatus;
use crate::{
    cadences::{
        Purpose,
        db::{self as cadences_db, CadenceVersion},
    },
    interactions::{Decision, Outcome},
    prospects::db::{NewEvent, insert_event},
    touches::db as touches_db,
};

#[derive(Debug, Clone)]
pub struct LiveEnrollment {
    pub id: i64,
    pub cadence_id: i64,
    pub version_id: i64,
    pub status: EnrollmentStatus,
    pub current_position: i32,
    pub purpose: Purpose,
    pub cadence_name: String,
}

/// The prospect's active or paused enrollment, locked.
pub async fn lock_live(
    conn: &mut PgConnection,
    prospect_id: i64,
) -> sqlx::Result<Option<LiveEnrollment>> {
    sqlx::query_as!(
        LiveEnrollment,
        r#"select e.id, e.cadence_id, e.version_id, e.status as "status: EnrollmentStatus",
                  e.current_position, c.purpose as "purpose: Purpose", c.name as cadence_name
           from enrollments e join cadences c on c.id = e.cadence_id
           where e.prospect_id = $1 and e.status in ('active', 'paused')
           for update of e"#,
        prospect_id
    )
    .fetch_optional(conn)
    .await
}

/// Who acts, on which prospect (owned by whom), and when.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    pub user_id: i64,
    pub prospect_id: i64,
    pub owner_id: i64,
    pub at: OffsetDateTime,
}

async fn event(
    conn: &mut PgConnection,
    actor: &Actor,
    kind: &str,
    enrollment_id: i64,
    note: Option<&str>,
) -> sqlx::Result<()> {
    insert_event(
        conn,
        NewEvent {
            note,
            enrollment_id: Some(enrollment_id),
            occurred_at: Some(actor.at),
            ..NewEvent::new(actor.prospect_id, actor.user_id, kind)
        },
    )
    .await
}

/// Enrolls the prospect, exiting any other live enrollment with `reason_to_leave`. The
/// first step is scheduled from `actor.at`. Returns `None` if already live in this cadence.
pub async fn enroll(
    conn: &mut PgConnection,
    actor: &Actor,
    cadence: CadenceVersion,
    reason_to_leave: &str,
) -> sqlx::Result<Option<i64>> {
    if let Some(live) = lock_live(conn, actor.prospect_id).await? {
        if live.cadence_id == cadence.cadence_id {
            return Ok(None);
        }
        exit(conn, actor, &live, reason_to_leave).await?;
    }
    let id = sqlx::query_scalar!(
        r#"insert into enrollments (prospect_id, cadence_id, version_id, enrolled_by, started_at)
           values ($1, $2, $3, $4, $5) returning id"#,
        actor.prospect_id,
        cadence.cadence_id,
        cadence.version_id,
        actor.user_id,
        actor.at
    )
    .fetch_one(&mut *conn)
    .await?;
    let name = sqlx::query_scalar!(
        "select name from cadences where id = $1",
        cadence.cadence_id
    )
    .fetch_one(&mut *conn)
    .await?;
    event(conn, actor, "enrolled", id, Some(&name)).await?;
    clear_no_next_step(conn, actor.prospect_id).await?;
    schedule_current(conn, actor, id, cadence.version_id, 1).await?;
    Ok(Some(id))
}

/// Schedules the step at `position`, or completes the enrollment when there is none.
async fn schedule_current(
    conn: &mut PgConnection,
    actor: &Actor,
    enrollment_id: i64,
    version_id: i64,
    position: i32,
) -> sqlx::Result<()> {
    match cadences_db::step_at(&mut *conn, version_id, position).await? {
        Some(step) => {
            touches_db::schedule_step(
                conn,
                enrollment_id,
                actor.prospect_id,
                actor.owner_id,
                &step,
                actor.at,
            )
            .await?;
        }
        None => {
            sqlx::query!(
                r#"update enrollments set status = 'completed', ended_at = $2, updated_at = $2
                   where id = $1"#,
                enrollment_id,
                actor.at
            )
            .execute(&mut *conn)
            .await?;
            event(conn, actor, "enrollment_completed", enrollment_id, None).await?;
        }
    }
    Ok(())
}

/// After a step's touch is done or skipped: on to the next step, counted from now.
pub async fn advance(
    conn: &mut PgConnection,
    actor: &Actor,
    enrollment_id: i64,
) -> sqlx::Result<()> {
    let row = sqlx::query!(
        r#"update enrollments set current_position = current_position + 1, updated_at = $2
           where id = $1 and status = 'active'
           returning version_id, current_position"#,
        enrollment_id,
        actor.at
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = row {
        schedule_current(
            conn,
            actor,
            enrollment_id,
            row.version_id,
            row.current_position,
        )
        .await?;
    }
    Ok(())
}

pub async fn exit(
    conn: &mut PgConnection,
    actor: &Actor,
    live: &LiveEnrollment,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update enrollments set status = 'exited', exit_reason = $2, ended_at = $3, updated_at = $3
           where id = $1"#,
        live.id,
        reason,
        actor.at
    )
    .execute(&mut *conn)
    .await?;
    touches_db::cancel_open(
        conn,
        actor.prospect_id,
        Some(live.id),
        &format!("Left {}: {reason}", live.cadence_name),
        actor.at,
    )
    .await?;
    event(
        conn,
        actor,
        "enrollment_exited",
        live.id,
        Some(&format!("{} — {reason}", live.cadence_name)),
    )
    .await
}

pub async fn pause(
    conn: &mut PgConnection,
    actor: &Actor,
    live: &LiveEnrollment,
    reason: &str,
) -> sqlx::Result<()> {
    if live.status != EnrollmentStatus::Active {
        return Ok(());
    }
    sqlx::query!(
        "update enrollments set status = 'paused', updated_at = $2 where id = $1",
        live.id,
        actor.at
    )
    .execute(&mut *conn)
    .await?;
    touches_db::cancel_open(
        conn,
        actor.prospect_id,
        Some(live.id),
        &format!("Paused: {reason}"),
        actor.at,
    )
    .await?;
    event(conn, actor, "enrollment_paused", live.id, Some(reason)).await
}

/// Resumes a paused enrollment: its current step is scheduled again, counted from now.
pub async fn resume(
    conn: &mut PgConnection,
    actor: &Actor,
    live: &LiveEnrollment,
) -> sqlx::Result<()> {
    if live.status != EnrollmentStatus::Paused {
        return Ok(());
    }
    sqlx::query!(
        "update enrollments set status = 'active', updated_at = $2 where id = $1",
        live.id,
        actor.at
    )
    .execute(&mut *conn)
    .await?;
    event(conn, actor, "enrollment_resumed", live.id, None).await?;
    // A step touch cancelled by the pause keeps its unique key: schedule a fresh copy by
    // moving the cancelled one back to pending with a new due time.
    if let Some(step) =
        cadences_db::step_at(&mut *conn, live.version_id, live.current_position).await?
    {
        let hours = touches_db::working_hours(&mut *conn, actor.owner_id).await?;
        let due_at = touches_db::step_due_at(&step, actor.at, &hours);
        let reopened = sqlx::query!(
            r#"update touches set status = 'pending', due_at = $3, skip_reason = null, cancelled = false,
                                  completed_at = null
               where enrollment_id = $1 and step_id = $2 and kind = 'step' and status = 'skipped'"#,
            live.id,
            step.id,
            due_at
        )
        .execute(&mut *conn)
        .await?;
        if reopened.rows_affected() == 0 {
            touches_db::schedule_step(
                conn,
                live.id,
                actor.prospect_id,
                actor.owner_id,
                &step,
                actor.at,
            )
            .await?;
        }
    } else {
        schedule_current(conn, actor, live.id, live.version_id, live.current_position).await?;
    }
    Ok(())
}

/// Exits the live enrollment and closes every open touch: no interest, or do-not-contact.
pub async fn stop_everything(
    conn: &mut PgConnection,
    actor: &Actor,
    reason: &str,
) -> sqlx::Result<()> {
    if let Some(live) = lock_live(conn, actor.prospect_id).await? {
        exit(conn, actor, &live, reason).await?;
    }
    touches_db::cancel_open(conn, actor.prospect_id, None, reason, actor.at).await?;
    Ok(())
}

/// Moves the prospect onto the default cadence for `purpose`, unless already on a cadence of
/// that purpose. Without a default cadence nothing happens (the dead-ends list shows it).
async fn ensure_purpose(
    conn: &mut PgConnection,
    actor: &Actor,
    purpose: Purpose,
    why: &str,
) -> sqlx::Result<()> {
    if let Some(live) = lock_live(conn, actor.prospect_id).await?
        && live.purpose == purpose
    {
        if live.status == EnrollmentStatus::Paused {
            resume(conn, actor, &live).await?;
        }
        return Ok(());
    }
    if let Some(cadence) = cadences_db::default_for(&mut *conn, purpose).await? {
        enroll(conn, actor, cadence, why).await?;
    }
    Ok(())
}

/// Future interest that came without an interaction (an opportunity lost with a date to
/// revisit): the plan follows as for a decision of future interest, onto the nurture
/// cadence with a re-engage touch on the date.
pub async fn follow_future(
    conn: &mut PgConnection,
    actor: &Actor,
    re_engage_on: time::Date,
    why: &str,
) -> sqlx::Result<()> {
    ensure_purpose(conn, actor, Purpose::Nurture, why).await?;
    touches_db::schedule_re_engage(
        conn,
        actor.prospect_id,
        actor.owner_id,
        re_engage_on,
        actor.at,
    )
    .await?;
    clear_no_next_step(conn, actor.prospect_id).await
}

/// What an interaction's outcome and decision mean for the prospect's plan:
/// current interest → the pursue cadence (an appointment starts a follow-up);
/// future interest → the nurture cadence and a re-engage touch on the chosen date;
/// no interest or do-not-contact → every enrollment exits;
/// a reply or a booked meeting leaves nurture for pursue; bad data pauses and flags.
pub async fn follow_interaction(
    conn: &mut PgConnection,
    actor: &Actor,
    outcome: Outcome,
    decision: Option<Decision>,
    re_engage_on: Option<time::Date>,
    do_not_contact: bool,
) -> sqlx::Result<()> {
    if do_not_contact {
        return stop_everything(conn, actor, "Do not contact").await;
    }
    match decision {
        Some(Decision::Current) => {
            ensure_purpose(conn, actor, Purpose::Pursue, "Current interest").await?
        }
        Some(Decision::Future) => {
            ensure_purpose(conn, actor, Purpose::Nurture, "Future interest").await?;
            if let Some(on) = re_engage_on {
                touches_db::schedule_re_engage(
                    conn,
                    actor.prospect_id,
                    actor.owner_id,
                    on,
                    actor.at,
                )
                .await?;
                clear_no_next_step(conn, actor.prospect_id).await?;
            }
        }
        Some(Decision::None) => stop_everything(conn, actor, "No interest").await?,
        None => match outcome {
            Outcome::Replied | Outcome::MeetingBooked => {
                let in_nurture = lock_live(conn, actor.prospect_id)
                    .await?
                    .is_some_and(|live| live.purpose == Purpose::Nurture);
                if in_nurture {
                    ensure_purpose(
                        conn,
                        actor,
                        Purpose::Pursue,
                        "They engaged: back to pursuing",
                    )
                    .await?;
                }
            }
            Outcome::BadData => {
                if let Some(live) = lock_live(conn, actor.prospect_id).await? {
                    pause(
                        conn,
                        actor,
                        &live,
                        "Bad data: fix the contact details, then resume",
                    )
                    .await?;
                }
                let flagged = sqlx::query!(
                    "update prospects set data_flagged = true where id = $1 and not data_flagged",
                    actor.prospect_id
                )
                .execute(&mut *conn)
                .await?;
                if flagged.rows_affected() == 1 {
                    insert_event(
                        &mut *conn,
                        NewEvent {
                            occurred_at: Some(actor.at),
                            ..NewEvent::new(actor.prospect_id, actor.user_id, "data_flagged")
                        },
                    )
                    .await?;
                }
            }
            _ => {}
        },
    }
    Ok(())
}

async fn clear_no_next_step(conn: &mut PgConnection, prospect_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update prospects set no_next_step_reason = null where id = $1 and no_next_step_reason is not null",
        prospect_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What asking to enroll one prospect came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrollOutcome {
    Enrolled {
        enrollment_id: i64,
        cadence: String,
    },
    AlreadyFollowing {
        cadence: String,
    },
    DoNotContact,
    /// The cadence asked for does not exist or is archived (or, without one, no default
    /// cadence fits the prospect).
    NoCadence,
}

/// Enrolls one prospect (locked here; `None` if outside the scope) in `cadence_id`, or
/// without one in the default cadence that fits its interest: nurture for future
/// interest, pursue otherwise. Another live enrollment is exited ("Moved to …").
pub async fn enroll_prospect(
    conn: &mut PgConnection,
    scope: &crate::auth::Scope,
    actor_id: i64,
    prospect_id: i64,
    cadence_id: Option<i64>,
) -> sqlx::Result<Option<EnrollOutcome>> {
    use crate::prospects::InterestState;
    let Some(prospect) = crate::prospects::db::lock(conn, scope, prospect_id).await? else {
        return Ok(None);
    };
    if prospect.do_not_contact {
        return Ok(Some(EnrollOutcome::DoNotContact));
    }
    let cadence = match cadence_id {
        Some(id) => cadences_db::latest_version(&mut *conn, id).await?,
        None => {
            let purpose = if prospect.interest == InterestState::Future {
                Purpose::Nurture
            } else {
                Purpose::Pursue
            };
            cadences_db::default_for(&mut *conn, purpose).await?
        }
    };
    let Some(cadence) = cadence else {
        return Ok(Some(EnrollOutcome::NoCadence));
    };
    let name = sqlx::query_scalar!(
        "select name from cadences where id = $1",
        cadence.cadence_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let actor = Actor {
        user_id: actor_id,
        prospect_id,
        owner_id: prospect.owner_id,
        at: OffsetDateTime::now_utc(),
    };
    Ok(Some(
        match enroll(conn, &actor, cadence, &format!("Moved to {name}")).await? {
            Some(enrollment_id) => EnrollOutcome::Enrolled {
                enrollment_id,
                cadence: name,
            },
            None => EnrollOutcome::AlreadyFollowing { cadence: name },
        },
    ))
}

/// Enrolls many prospects at once, for a bulk action or an import: those of `prospect_ids`
/// that are contactable, open (new, current or future interest) and not already on a
/// cadence. Only the enrollments (and their timeline events) are written here, in one
/// statement; the scheduler, woken at commit, schedules their first touches in batches.
/// Returns how many were enrolled. The caller has checked the ids against its scope.
pub async fn enroll_many(
    conn: &mut PgConnection,
    actor_id: i64,
    cadence: CadenceVersion,
    prospect_ids: &[i64],
) -> sqlx::Result<i64> {
    if prospect_ids.is_empty() {
        return Ok(0);
    }
    let enrolled = sqlx::query_scalar!(
        r#"with chosen as (
               select p.id from prospects p
               where p.id = any($1) and not p.do_not_contact
                 and p.interest in ('new', 'current', 'future')
                 and not exists (select 1 from enrollments e where e.prospect_id = p.id
                                 and e.status in ('active', 'paused'))
           ), enrolled as (
               insert into enrollments (prospect_id, cadence_id, version_id, enrolled_by)
               select id, $2, $3, $4 from chosen
               on conflict (prospect_id) where status in ('active', 'paused') do nothing
               returning id, prospect_id
           ), noted as (
               insert into prospect_events (prospect_id, actor_id, kind, note, enrollment_id)
               select prospect_id, $4, 'enrolled', (select name from cadences where id = $2), id
               from enrolled returning prospect_id
           ), cleared as (
               update prospects set no_next_step_reason = null
               where id in (select prospect_id from enrolled) and no_next_step_reason is not null
           )
           select count(*) as "count!" from enrolled"#,
        prospect_ids,
        cadence.cadence_id,
        cadence.version_id,
        actor_id
    )
    .fetch_one(&mut *conn)
    .await?;
    // Delivered at commit: the scheduler wakes and schedules the first touches.
    crate::wakeup::notify(&mut *conn).await?;
    Ok(enrolled)
}
