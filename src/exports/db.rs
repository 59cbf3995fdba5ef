//! The rows the exports read, a keyset page at a time.

use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};

use crate::{
    auth::Scope,
    interactions::{Channel, Decision, Outcome},
    prospects::{InterestState, db::ListFilter},
};

#[derive(Debug, sqlx::FromRow)]
pub struct ProspectRow {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub title: String,
    pub phone: String,
    pub linkedin_url: String,
    pub account_name: Option<String>,
    pub account_domain: Option<String>,
    pub industry: Option<String>,
    pub employee_count: Option<i32>,
    pub territory: Option<String>,
    pub tags: Vec<String>,
    pub source: String,
    pub do_not_contact: bool,
    pub interest: InterestState,
    pub re_engage_on: Option<Date>,
    pub owner_name: String,
    pub owner_email: String,
    pub last_interaction_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// The filtered list's prospects after `after_id`, in id order.
pub async fn prospects(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    filter: &ListFilter,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<ProspectRow>> {
    let mut q = QueryBuilder::<Postgres>::new(
        "select p.id, p.first_name, p.last_name, p.email::text as email, p.title, p.phone,
                p.linkedin_url, a.name as account_name, a.domain::text as account_domain,
                a.industry, a.employee_count, a.territory, p.tags, p.source, p.do_not_contact,
                p.interest, p.re_engage_on, u.name as owner_name, u.email::text as owner_email,
                p.last_interaction_at, p.created_at
         from prospects p
         join users u on u.id = p.owner_id
         left join accounts a on a.id = p.account_id
         where p.id > ",
    );
    q.push_bind(after_id);
    crate::prospects::db::push_filter(&mut q, scope, filter);
    q.push(" order by p.id limit ").push_bind(limit);
    q.build_query_as().fetch_all(db).await
}

pub struct InteractionRow {
    pub id: i64,
    pub occurred_at: OffsetDateTime,
    pub prospect_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub account_name: Option<String>,
    pub channel: Channel,
    pub outcome: Outcome,
    pub decision: Option<Decision>,
    pub re_engage_on: Option<Date>,
    pub no_interest_reason: Option<String>,
    pub opportunity_id: Option<i64>,
    pub notes: String,
    pub logged_by: String,
}

/// Interactions with prospects in the scope (of one owner, in a time range), after an id.
pub async fn interactions(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    owner_id: Option<i64>,
    from: Option<OffsetDateTime>,
    to: Option<OffsetDateTime>,
    after_id: i64,
    limit: i64,
) -> sqlx::Result<Vec<InteractionRow>> {
    sqlx::query_as!(
        InteractionRow,
        r#"select i.id, i.occurred_at, p.id as prospect_id, p.first_name, p.last_name,
                  p.email::text as email, a.name as "account_name?",
                  i.channel as "channel: Channel", i.outcome as "outcome: Outcome",
                  i.decision as "decision: Decision", i.re_engage_on, i.no_interest_reason,
                  i.opportunity_id, i.notes, u.name as logged_by
           from interactions i
           join prospects p on p.id = i.prospect_id
           join users u on u.id = i.logged_by
           left join accounts a on a.id = p.account_id
           where i.id > $1
             and ($2::bigint[] is null or p.owner_id = any($2))
             and ($3::bigint is null or p.owner_id = $3)
             and ($4::timestamptz is null or i.occurred_at >= $4)
             and ($5::timestamptz is null or i.occurred_at < $5)
           order by i.id
           limit $6"#,
        after_id,
        scope.owner_ids() as Option<&[i64]>,
        owner_id,
        from,
        to,
        limit
    )
    .fetch_all(db)
    .await
}
