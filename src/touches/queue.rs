//! Reading touches: a rep's queue for Today and work mode, and the dead-ends list.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use super::TouchKind;
use crate::{
    auth::Scope,
    cadences::template::{self, MergeValues},
    interactions::Channel,
    prospects::InterestState,
};

/// How far ahead Today looks.
pub const HORIZON_DAYS: i64 = 7;
/// The most touches Today lists (overdue first); work mode goes through all of them.
pub const QUEUE_LIMIT: i64 = 100;

/// Runs a checked `query_as!` for [`QueuedTouch`] rows from the view `queued_touches`
/// (migration 0006): the select list written once, followed by the caller's own
/// condition, order and limit (a string literal). A view's columns all read as nullable
/// to sqlx, hence the `!` on those the view cannot make null.
macro_rules! select_queued {
    ($rest:literal, $($args:tt)*) => {
        sqlx::query_as!(
            QueuedTouch,
            r#"select q.id as "id!", q.prospect_id as "prospect_id!", q.kind as "kind!: TouchKind",
                      q.channel as "channel!: Channel", q.due_at as "due_at!",
                      q.first_name as "first_name!", q.last_name as "last_name!", q.title as "title!",
                      q.email, q.account_name, q.owner_name as "owner_name!",
                      q.interest as "interest!: InterestState", q.position, q.step_count,
                      q.instructions, q.template, q.cadence_name
               from queued_touches q
               "# + $rest,
            $($args)*
        )
    };
}

#[derive(Debug, Clone)]
pub struct QueuedTouch {
    pub id: i64,
    pub prospect_id: i64,
    pub kind: TouchKind,
    pub channel: Channel,
    pub due_at: OffsetDateTime,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub email: Option<String>,
    pub account_name: Option<String>,
    pub owner_name: String,
    pub interest: InterestState,
    pub position: Option<i32>,
    pub step_count: Option<i64>,
    pub instructions: Option<String>,
    pub template: Option<String>,
    pub cadence_name: Option<String>,
}

impl QueuedTouch {
    pub fn prospect_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }

    /// "Step 3 of 8 · Pursue — new opportunity", or "Re-engage".
    pub fn step_label(&self) -> String {
        match (
            self.kind,
            self.position,
            self.step_count,
            &self.cadence_name,
        ) {
            (TouchKind::Step, Some(n), Some(m), Some(cadence)) => {
                format!("Step {n} of {m} · {cadence}")
            }
            (TouchKind::ReEngage, ..) => "Re-engage: their chosen date has come".to_string(),
            _ => self.kind.label().to_string(),
        }
    }

    /// The step's message with this prospect's merge fields, or why it cannot be rendered.
    pub fn message(&self) -> Option<String> {
        let template = self.template.as_deref().filter(|t| !t.trim().is_empty())?;
        let values = MergeValues {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            title: self.title.clone(),
            account: self.account_name.clone().unwrap_or_default(),
            owner_name: self.owner_name.clone(),
            email: self.email.clone().unwrap_or_default(),
        };
        Some(
            template::render(template, &values)
                .unwrap_or_else(|e| format!("(Template problem: {e})")),
        )
    }
}

/// The open touches of one rep due before `until`, oldest first.
pub async fn due_for_owner(
    db: impl PgExecutor<'_>,
    owner_id: i64,
    until: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<QueuedTouch>> {
    due_for_owner_after(db, owner_id, until, None, limit).await
}

/// The same queue from after a `(due_at, id)` position, for paging through it.
pub async fn due_for_owner_after(
    db: impl PgExecutor<'_>,
    owner_id: i64,
    until: OffsetDateTime,
    after: Option<(OffsetDateTime, i64)>,
    limit: i64,
) -> sqlx::Result<Vec<QueuedTouch>> {
    let (after_at, after_id) = after.unzip();
    select_queued!(
        "where q.owner_id = $1 and q.status = 'pending' and q.due_at < $2
           and ($4::timestamptz is null or (q.due_at, q.id) > ($4, $5))
         order by q.due_at, q.id
         limit $3",
        owner_id,
        until,
        limit,
        after_at,
        after_id
    )
    .fetch_all(db)
    .await
}

/// How many touches the rep has due before `until` (the count `touches_owner_pending_idx`
/// answers on its own).
pub async fn count_due(
    db: impl PgExecutor<'_>,
    owner_id: i64,
    until: OffsetDateTime,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(*) as "count!" from touches
           where owner_id = $1 and status = 'pending' and due_at < $2"#,
        owner_id,
        until
    )
    .fetch_one(db)
    .await
}

/// One open touch in scope, with everything work mode shows.
pub async fn get(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: i64,
) -> sqlx::Result<Option<QueuedTouch>> {
    select_queued!(
        "where q.id = $1 and q.status = 'pending'
           and ($2::bigint[] is null or q.prospect_owner_id = any($2))",
        id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_optional(db)
    .await
}

/// A prospect's open touches, for the prospect page.
pub async fn open_for_prospect(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    prospect_id: i64,
) -> sqlx::Result<Vec<OpenTouch>> {
    sqlx::query_as!(
        OpenTouch,
        r#"select t.id, t.kind as "kind: TouchKind", t.channel as "channel: Channel", t.due_at,
                  t.snoozed_until, s.position as "position?", s.instructions as "instructions?"
           from touches t
           join prospects p on p.id = t.prospect_id
           left join cadence_steps s on s.id = t.step_id
           where t.prospect_id = $1 and t.status in ('pending', 'snoozed')
             and ($2::bigint[] is null or p.owner_id = any($2))
           order by coalesce(t.snoozed_until, t.due_at), t.id"#,
        prospect_id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(db)
    .await
}

pub struct OpenTouch {
    pub id: i64,
    pub kind: TouchKind,
    pub channel: Channel,
    pub due_at: OffsetDateTime,
    pub snoozed_until: Option<OffsetDateTime>,
    pub position: Option<i32>,
    pub instructions: Option<String>,
}

/// Why a prospect is stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadEndCause {
    NeverEnrolled,
    CadenceFinished,
    TouchSkipped,
    EnrollmentEnded,
}

impl DeadEndCause {
    fn parse(raw: &str) -> Self {
        match raw {
            "finished" => DeadEndCause::CadenceFinished,
            "skipped" => DeadEndCause::TouchSkipped,
            "ended" => DeadEndCause::EnrollmentEnded,
            _ => DeadEndCause::NeverEnrolled,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeadEndCause::NeverEnrolled => "Never enrolled",
            DeadEndCause::CadenceFinished => "Cadence finished with no follow-up",
            DeadEndCause::TouchSkipped => "A touch was skipped with nothing after it",
            DeadEndCause::EnrollmentEnded => "Enrollment ended or paused, nothing scheduled",
        }
    }
}

pub struct DeadEnd {
    pub prospect_id: i64,
    pub name: String,
    pub account_name: Option<String>,
    pub owner_name: String,
    pub interest: InterestState,
    pub last_interaction_at: Option<OffsetDateTime>,
    pub cause: DeadEndCause,
}

pub const DEAD_END_LIMIT: i64 = 500;

/// Open prospects (new, current or future; contactable) with no touch to do and no
/// recorded reason why not: the prospects the process has dropped. `prospects_dead_end_idx`
/// holds every part of the condition but the count of open touches, which changes too
/// often to be indexed (see migration 0006).
pub async fn dead_ends(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    owner_id: Option<i64>,
) -> sqlx::Result<Vec<DeadEnd>> {
    let rows = sqlx::query!(
        r#"select p.id, trim(p.first_name || ' ' || p.last_name) as "name!", a.name as "account_name?",
                  u.name as owner_name, p.interest as "interest: InterestState", p.last_interaction_at,
                  case
                      when last_enrollment.status is null then 'never'
                      when last_touch.status = 'skipped' and last_enrollment.status <> 'paused' then 'skipped'
                      when last_enrollment.status = 'completed' then 'finished'
                      else 'ended'
                  end as "cause!"
           from prospects p
           join users u on u.id = p.owner_id
           left join accounts a on a.id = p.account_id
           left join lateral (select status from enrollments e where e.prospect_id = p.id
                              order by e.started_at desc, e.id desc limit 1) last_enrollment on true
           left join lateral (select status from touches t where t.prospect_id = p.id
                              order by coalesce(t.completed_at, t.due_at) desc, t.id desc limit 1) last_touch on true
           -- The condition of `prospects_dead_end_idx` (and of the dashboard's count):
           -- `open_touches` is the prospect's pending and snoozed touches, kept by trigger.
           where p.interest in ('new', 'current', 'future')
             and not p.do_not_contact
             and p.no_next_step_reason is null
             and p.open_touches = 0
             and ($1::bigint[] is null or p.owner_id = any($1))
             and ($2::bigint is null or p.owner_id = $2)
           order by coalesce(p.last_interaction_at, '-infinity') desc, p.id desc
           limit $3"#,
        scope.owner_ids() as Option<&[i64]>,
        owner_id,
        DEAD_END_LIMIT
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DeadEnd {
            prospect_id: r.id,
            name: r.name,
            account_name: r.account_name,
            owner_name: r.owner_name,
            interest: r.interest,
            last_interaction_at: r.last_interaction_at,
            cause: DeadEndCause::parse(&r.cause),
        })
        .collect())
}
