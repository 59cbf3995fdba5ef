//! Writing an interaction and everything its decision implies, in the caller's transaction.

use sqlx::PgConnection;

use super::{
    Channel, Decision, Outcome,
    handlers::{DecisionInput, ValidLog},
};
use crate::{
    auth::Scope,
    enrollments::db::{self as enrollments_db, Actor},
    opportunities::{
        self,
        db::{NewOpportunity, StageChange},
    },
    prospects::{
        self, InterestState,
        db::{InterestChange, NewEvent},
    },
    touches::{
        TouchKind,
        db::{self as touches_db, LockedTouch},
    },
};

pub struct Logged {
    pub interaction_id: i64,
    pub opportunity_id: Option<i64>,
}

/// Logs the interaction and applies its decision. `None` when the prospect is not in scope.
///
/// Current interest opens an opportunity or advances the open one; future interest sets
/// the re-engage date; no interest records the reason and, if asked, do-not-contact. The
/// prospect's interest state follows the latest decision by the time it happened, so a
/// back-dated log does not overwrite a newer assessment.
pub async fn log_interaction(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    prospect_id: i64,
    log: &ValidLog,
    from_touch: Option<&LockedTouch>,
) -> sqlx::Result<Option<Logged>> {
    let Some(prospect) = prospects::db::lock(conn, scope, prospect_id).await? else {
        return Ok(None);
    };
    let (re_engage_on, no_interest_reason) = match &log.decision {
        DecisionInput::Future { re_engage_on } => (Some(*re_engage_on), None),
        DecisionInput::None { reason, .. } => (None, Some(reason.as_str())),
        _ => (None, None),
    };
    let interaction_id = sqlx::query_scalar!(
        r#"insert into interactions
               (prospect_id, logged_by, channel, outcome, decision, notes, no_interest_reason,
                re_engage_on, occurred_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           returning id"#,
        prospect_id,
        actor_id,
        log.channel as Channel,
        log.outcome as Outcome,
        log.decision.decision() as Option<Decision>,
        log.notes,
        no_interest_reason,
        re_engage_on,
        log.occurred_at,
    )
    .fetch_one(&mut *conn)
    .await?;

    let actor = Actor {
        user_id: actor_id,
        prospect_id,
        owner_id: prospect.owner_id,
        at: log.occurred_at,
    };
    // Working a touch completes it; a cadence step moves on to the next step, counted
    // from when this one was done.
    if let Some(touch) = from_touch.filter(|t| t.is_open() && t.prospect_id == prospect_id) {
        touches_db::mark_done(conn, touch.id, interaction_id, log.occurred_at).await?;
        if let (TouchKind::Step, Some(enrollment_id)) = (touch.kind, touch.enrollment_id) {
            enrollments_db::advance(conn, &actor, enrollment_id).await?;
        }
    }

    let facts = log.qualifying.entries();
    prospects::db::record_facts(
        conn,
        prospect_id,
        &facts,
        actor_id,
        Some(interaction_id),
        log.occurred_at,
    )
    .await?;

    let mut opportunity_id = None;
    match &log.decision {
        DecisionInput::Current {
            name,
            stage,
            value_cents,
            expected_close_on,
        } => {
            let id = match opportunities::db::lock_open_for_prospect(conn, prospect_id).await? {
                Some(open) => {
                    opportunities::db::move_stage(
                        conn,
                        actor_id,
                        &open,
                        &StageChange {
                            to: *stage,
                            lost_reason: None,
                            revisit_on: None,
                            occurred_at: Some(log.occurred_at),
                        },
                    )
                    .await?;
                    sqlx::query!(
                        r#"update opportunities
                           set value_cents = coalesce($2, value_cents),
                               expected_close_on = coalesce($3, expected_close_on),
                               name = coalesce($4, name), updated_at = now()
                           where id = $1"#,
                        open.id,
                        *value_cents,
                        *expected_close_on,
                        name.as_deref(),
                    )
                    .execute(&mut *conn)
                    .await?;
                    open.id
                }
                None => {
                    let default_name = prospect.default_opportunity_name();
                    opportunities::db::open(
                        conn,
                        actor_id,
                        &NewOpportunity {
                            prospect_id,
                            name: name.as_deref().unwrap_or(&default_name),
                            stage: *stage,
                            value_cents: value_cents.unwrap_or(0),
                            expected_close_on: *expected_close_on,
                        },
                        Some(interaction_id),
                        Some(log.occurred_at),
                    )
                    .await?
                }
            };
            sqlx::query!(
                "update interactions set opportunity_id = $2 where id = $1",
                interaction_id,
                id
            )
            .execute(&mut *conn)
            .await?;
            opportunity_id = Some(id);
        }
        DecisionInput::None {
            do_not_contact: true,
            ..
        } if !prospect.do_not_contact => {
            sqlx::query!(
                "update prospects set do_not_contact = true where id = $1",
                prospect_id
            )
            .execute(&mut *conn)
            .await?;
            prospects::db::insert_event(
                &mut *conn,
                NewEvent {
                    from_value: Some("false"),
                    to_value: Some("true"),
                    note: no_interest_reason,
                    interaction_id: Some(interaction_id),
                    occurred_at: Some(log.occurred_at),
                    ..NewEvent::new(prospect_id, actor_id, "do_not_contact")
                },
            )
            .await?;
        }
        _ => {}
    }

    if let Some(decision) = log.decision.decision() {
        let state = sqlx::query!(
            r#"select interest as "interest: InterestState",
                      not exists (select 1 from interactions
                                  where prospect_id = $1 and id <> $2 and decision is not null
                                    and occurred_at > $3) as "is_latest!"
               from prospects where id = $1"#,
            prospect_id,
            interaction_id,
            log.occurred_at,
        )
        .fetch_one(&mut *conn)
        .await?;
        // A customer stays a customer; their interest in more is an opportunity's business.
        if state.is_latest && state.interest != InterestState::Customer {
            prospects::db::set_interest(
                conn,
                &InterestChange {
                    prospect_id,
                    from: state.interest,
                    to: decision.interest(),
                    re_engage_on,
                    actor_id,
                    note: None,
                    interaction_id: Some(interaction_id),
                    occurred_at: Some(log.occurred_at),
                },
            )
            .await?;
        }
    }

    let do_not_contact = matches!(
        log.decision,
        DecisionInput::None {
            do_not_contact: true,
            ..
        }
    );
    enrollments_db::follow_interaction(
        conn,
        &actor,
        log.outcome,
        log.decision.decision(),
        re_engage_on,
        do_not_contact || prospect.do_not_contact,
    )
    .await?;

    sqlx::query!(
        r#"update prospects
           set last_interaction_at = greatest(coalesce(last_interaction_at, $2), $2), updated_at = now()
           where id = $1"#,
        prospect_id,
        log.occurred_at
    )
    .execute(&mut *conn)
    .await?;

    Ok(Some(Logged {
        interaction_id,
        opportunity_id,
    }))
}

/// A logged interaction, as the API and exports read it.
#[derive(Debug, Clone)]
pub struct InteractionRow {
    pub id: i64,
    pub prospect_id: i64,
    pub prospect_name: String,
    pub logged_by_id: i64,
    pub logged_by_name: String,
    pub channel: Channel,
    pub outcome: Outcome,
    pub decision: Option<Decision>,
    pub notes: String,
    pub no_interest_reason: Option<String>,
    pub re_engage_on: Option<time::Date>,
    pub opportunity_id: Option<i64>,
    pub occurred_at: time::OffsetDateTime,
}

/// A prospect's interactions in the scope, latest first, after a `(occurred_at, id)`
/// position; the prospect timeline's index serves it.
pub async fn list_for_prospect(
    db: impl sqlx::PgExecutor<'_>,
    scope: &Scope,
    prospect_id: i64,
    before: Option<(time::OffsetDateTime, i64)>,
    limit: i64,
) -> sqlx::Result<Vec<InteractionRow>> {
    rows(db, scope, Some(prospect_id), None, before, limit).await
}

/// One interaction in the scope.
pub async fn get(
    db: impl sqlx::PgExecutor<'_>,
    scope: &Scope,
    id: i64,
) -> sqlx::Result<Option<InteractionRow>> {
    Ok(rows(db, scope, None, Some(id), None, 1).await?.pop())
}

async fn rows(
    db: impl sqlx::PgExecutor<'_>,
    scope: &Scope,
    prospect_id: Option<i64>,
    id: Option<i64>,
    before: Option<(time::OffsetDateTime, i64)>,
    limit: i64,
) -> sqlx::Result<Vec<InteractionRow>> {
    let (before_at, before_id) = before.unzip();
    sqlx::query_as!(
        InteractionRow,
        r#"select i.id, i.prospect_id, trim(p.first_name || ' ' || p.last_name) as "prospect_name!",
                  i.logged_by as logged_by_id, u.name as logged_by_name,
                  i.channel as "channel: Channel", i.outcome as "outcome: Outcome",
                  i.decision as "decision: Decision", i.notes, i.no_interest_reason,
                  i.re_engage_on, i.opportunity_id, i.occurred_at
           from interactions i
           join prospects p on p.id = i.prospect_id
           join users u on u.id = i.logged_by
           where ($2::bigint is null or i.prospect_id = $2) and ($3::bigint is null or i.id = $3)
             and ($1::bigint[] is null or p.owner_id = any($1))
             and ($4::timestamptz is null or (i.occurred_at, i.id) < ($4, $5))
           order by i.occurred_at desc, i.id desc
           limit $6"#,
        scope.owner_ids() as Option<&[i64]>,
        prospect_id,
        id,
        before_at,
        before_id,
        limit
    )
    .fetch_all(db)
    .await
}
