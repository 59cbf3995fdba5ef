//! Queries on opportunities. Visibility follows the prospect's owner, via the `Scope`.

use sqlx::{PgConnection, PgExecutor};
use time::{Date, OffsetDateTime};

use super::Stage;
use crate::{
    auth::Scope,
    process::{Event, store},
};

pub const BOARD_CARDS_PER_STAGE: i64 = 50;
pub const LIST_PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone)]
pub struct Opportunity {
    pub id: i64,
    pub prospect_id: i64,
    pub prospect_name: String,
    pub account_name: Option<String>,
    pub owner_id: i64,
    pub owner_name: String,
    pub name: String,
    pub stage: Stage,
    pub value_cents: i64,
    pub expected_close_on: Option<Date>,
    pub probability: i16,
    pub lost_reason: Option<String>,
    pub revisit_on: Option<Date>,
    pub closed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Runs a checked `query_as!` for [`Opportunity`] rows: the select list and joins written
/// once, followed by the caller's own conditions, order and limit (a string literal), so
/// that each query keeps the plan of its own `where`, with no optional filter standing in
/// the way of an index.
macro_rules! select_opportunities {
    ($rest:literal, $($args:tt)*) => {
        sqlx::query_as!(
            Opportunity,
            r#"select o.id, o.prospect_id, trim(p.first_name || ' ' || p.last_name) as "prospect_name!",
                      a.name as "account_name?", p.owner_id, u.name as owner_name, o.name,
                      o.stage as "stage: Stage", o.value_cents, o.expected_close_on, o.probability,
                      o.lost_reason, o.revisit_on, o.closed_at, o.created_at, o.updated_at
               from opportunities o
               join prospects p on p.id = o.prospect_id
               join users u on u.id = p.owner_id
               left join accounts a on a.id = p.account_id
               "# + $rest,
            $($args)*
        )
    };
}

pub async fn get(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: i64,
) -> sqlx::Result<Option<Opportunity>> {
    select_opportunities!(
        r#"where o.id = $1 and ($2::bigint[] is null or p.owner_id = any($2))"#,
        id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_optional(db)
    .await
}

pub async fn for_prospect(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    prospect_id: i64,
) -> sqlx::Result<Vec<Opportunity>> {
    select_opportunities!(
        r#"where o.prospect_id = $1 and ($2::bigint[] is null or p.owner_id = any($2))
           order by o.stage in ('won', 'lost'), o.updated_at desc, o.id desc"#,
        prospect_id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(db)
    .await
}

/// A change of stage asked for.
pub struct StageChange<'a> {
    pub to: Stage,
    pub lost_reason: Option<&'a str>,
    /// For a lost opportunity: when to come back. Lost is not dead.
    pub revisit_on: Option<Date>,
    /// When the change happened; `None` for now.
    pub occurred_at: Option<OffsetDateTime>,
}

/// Moves an opportunity in the scope to a new stage (`false` if it is not there), and the
/// prospect's process with it (the engine decides: won makes a customer, lost goes to
/// future or no interest). The stage form, the API and the demo seed move stages here.
pub async fn change_stage(
    conn: &mut PgConnection,
    scope: &Scope,
    actor_id: i64,
    id: i64,
    change: &StageChange<'_>,
) -> sqlx::Result<bool> {
    let Some(prospect_id) =
        sqlx::query_scalar!("select prospect_id from opportunities where id = $1", id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(false);
    };
    // The prospect first, then the opportunity: the lock order of every write to a plan.
    let Some(loaded) = store::load(conn, scope, prospect_id).await? else {
        return Ok(false);
    };
    let from = sqlx::query_scalar!(
        r#"select stage as "stage: Stage" from opportunities where id = $1 for update"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let event = Event::StageChanged {
        opportunity_id: id,
        from,
        to: change.to,
        lost_reason: change.lost_reason.map(str::to_string),
        revisit_on: change.revisit_on,
    };
    let at = change.occurred_at.unwrap_or_else(OffsetDateTime::now_utc);
    store::apply(conn, &[loaded.decide(&event, at, Some(actor_id))]).await?;
    Ok(true)
}

pub struct OpportunityEdit<'a> {
    pub name: &'a str,
    pub value_cents: i64,
    pub expected_close_on: Option<Date>,
    pub probability: i16,
}

pub async fn update_details(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: i64,
    edit: &OpportunityEdit<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"update opportunities o
           set name = $3, value_cents = $4, expected_close_on = $5, probability = $6, updated_at = now()
           from prospects p
           where o.id = $1 and p.id = o.prospect_id and ($2::bigint[] is null or p.owner_id = any($2))"#,
        id,
        scope.owner_ids() as Option<&[i64]>,
        edit.name,
        edit.value_cents,
        edit.expected_close_on,
        edit.probability,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub struct StageTotal {
    pub stage: Stage,
    pub count: i64,
    pub value_cents: i64,
}

/// Count and total value per stage, for the board's column heads and summary.
pub async fn stage_totals(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    owner_id: Option<i64>,
) -> sqlx::Result<Vec<StageTotal>> {
    let rows = sqlx::query!(
        r#"select o.stage as "stage: Stage", count(*) as "count!",
                  coalesce(sum(o.value_cents), 0)::bigint as "value_cents!"
           from opportunities o join prospects p on p.id = o.prospect_id
           where ($1::bigint[] is null or p.owner_id = any($1))
             and ($2::bigint is null or p.owner_id = $2)
           group by o.stage"#,
        scope.owner_ids() as Option<&[i64]>,
        owner_id
    )
    .fetch_all(db)
    .await?;
    Ok(Stage::ALL
        .iter()
        .map(|&stage| {
            let row = rows.iter().find(|r| r.stage == stage);
            StageTotal {
                stage,
                count: row.map_or(0, |r| r.count),
                value_cents: row.map_or(0, |r| r.value_cents),
            }
        })
        .collect())
}

/// Opportunities in one stage, most recently updated first, after the cursor's id.
pub async fn in_stage(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    owner_id: Option<i64>,
    stage: Stage,
    after: Option<(OffsetDateTime, i64)>,
    limit: i64,
) -> sqlx::Result<Vec<Opportunity>> {
    let (after_at, after_id) = after.map_or((None, None), |(at, id)| (Some(at), Some(id)));
    select_opportunities!(
        r#"where o.stage = $1
             and ($2::bigint[] is null or p.owner_id = any($2))
             and ($3::bigint is null or p.owner_id = $3)
             and ($4::timestamptz is null or (o.updated_at, o.id) < ($4, $5))
           order by o.updated_at desc, o.id desc
           limit $6"#,
        stage as Stage,
        scope.owner_ids() as Option<&[i64]>,
        owner_id,
        after_at,
        after_id,
        limit
    )
    .fetch_all(db)
    .await
}

pub struct StageHistoryEntry {
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub note: Option<String>,
    pub actor: Option<String>,
    pub occurred_at: OffsetDateTime,
}

impl StageHistoryEntry {
    pub fn from_label(&self) -> &'static str {
        self.from_value
            .as_deref()
            .and_then(Stage::parse)
            .map_or("—", Stage::label)
    }

    pub fn to_label(&self) -> &'static str {
        self.to_value
            .as_deref()
            .and_then(Stage::parse)
            .map_or("—", Stage::label)
    }
}

pub async fn stage_history(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    opportunity_id: i64,
) -> sqlx::Result<Vec<StageHistoryEntry>> {
    sqlx::query_as!(
        StageHistoryEntry,
        r#"select e.from_value, e.to_value, e.note, u.name as "actor?", e.occurred_at
           from prospect_events e
           join prospects p on p.id = e.prospect_id
           left join users u on u.id = e.actor_id
           where e.opportunity_id = $1 and e.kind in ('opportunity_opened', 'stage_changed')
             and ($2::bigint[] is null or p.owner_id = any($2))
           order by e.occurred_at, e.id"#,
        opportunity_id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(db)
    .await
}

/// Opportunities in the scope, newest first, before an id: the API's list and the CSV
/// export walk them this way. The owner kept on the opportunity (`opportunities_owner_idx`)
/// narrows the scope without reading the prospects.
pub async fn list_page(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    owner_id: Option<i64>,
    stage: Option<Stage>,
    before_id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Opportunity>> {
    select_opportunities!(
        r#"where ($1::bigint[] is null or o.owner_id = any($1))
             and ($2::bigint is null or o.owner_id = $2)
             and ($3::opportunity_stage is null or o.stage = $3)
             and ($4::bigint is null or o.id < $4)
           order by o.id desc
           limit $5"#,
        scope.owner_ids() as Option<&[i64]>,
        owner_id,
        stage as Option<Stage>,
        before_id,
        limit
    )
    .fetch_all(db)
    .await
}
