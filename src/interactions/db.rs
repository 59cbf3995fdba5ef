//! Writing an interaction and everything its decision implies, in the caller's transaction.

use sqlx::PgConnection;

use super::{
    Channel, Decision, Outcome,
    form::{DecisionInput, ValidLog},
};
use crate::{
    auth::Scope,
    process::{self, Event, store},
    prospects,
};

pub struct Logged {
    pub interaction_id: i64,
    pub opportunity_id: Option<i64>,
}

/// Logs the interaction and what it means for the prospect's plan (the engine decides:
/// `process::rules`), from the touch `touch_id` if it was worked from one. `None` when the
/// prospect is not in scope.
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
    touch_id: Option<i64>,
) -> sqlx::Result<Option<Logged>> {
    let Some(loaded) = store::load(conn, scope, prospect_id).await? else {
        return Ok(None);
    };
    log_for(conn, &loaded, actor_id, log, touch_id)
        .await
        .map(Some)
}

/// Logs the interaction for a prospect already loaded (and locked) by the caller.
pub async fn log_for(
    conn: &mut PgConnection,
    loaded: &store::Loaded,
    actor_id: i64,
    log: &ValidLog,
    touch_id: Option<i64>,
) -> sqlx::Result<Logged> {
    let prospect_id = loaded.state.prospect_id;
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

    let event = Event::InteractionLogged(process::Logged {
        interaction_id,
        outcome: log.outcome,
        decision: log.decision.clone(),
        touch_id,
    });
    let change = loaded.decide(&event, log.occurred_at, Some(actor_id));
    let applied = store::apply(conn, &[change]).await?;

    sqlx::query!(
        r#"update prospects
           set last_interaction_at = greatest(coalesce(last_interaction_at, $2), $2), updated_at = now()
           where id = $1"#,
        prospect_id,
        log.occurred_at
    )
    .execute(&mut *conn)
    .await?;

    Ok(Logged {
        interaction_id,
        opportunity_id: log
            .decision
            .decision()
            .filter(|d| *d == Decision::Current)
            .and_then(|_| applied.opportunities.get(&prospect_id).copied()),
    })
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
