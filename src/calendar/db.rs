//! Feed secrets, and what a feed shows.

use std::collections::BTreeMap;

use sqlx::{PgConnection, PgExecutor};
use time::{Date, OffsetDateTime};

use super::PREFIX;
use crate::{auth::secret, interactions::Channel, touches::TouchKind};

/// Makes a new feed secret for the user, revoking the previous one. Returns the secret.
pub async fn replace(conn: &mut PgConnection, user_id: i64) -> sqlx::Result<String> {
    revoke(&mut *conn, user_id).await?;
    let token = secret::generate(PREFIX);
    sqlx::query!(
        "insert into calendar_feeds (user_id, token_hash) values ($1, $2)",
        user_id,
        secret::hash(&token)
    )
    .execute(conn)
    .await?;
    Ok(token)
}

/// Revokes the user's feed; `false` if there was none.
pub async fn revoke(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update calendar_feeds set revoked_at = now() where user_id = $1 and revoked_at is null",
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub struct Feed {
    pub created_at: OffsetDateTime,
    pub last_fetched_at: Option<OffsetDateTime>,
}

/// The user's live feed, if any.
pub async fn current(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<Option<Feed>> {
    sqlx::query_as!(
        Feed,
        r#"select created_at, last_fetched_at from calendar_feeds
           where user_id = $1 and revoked_at is null"#,
        user_id
    )
    .fetch_optional(db)
    .await
}

pub struct Subscriber {
    pub user_id: i64,
    pub name: String,
    pub time_zone: String,
}

/// Whose feed this secret opens (a live feed of an active user), recording the fetch.
pub async fn subscriber(db: &sqlx::PgPool, token: &str) -> sqlx::Result<Option<Subscriber>> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    sqlx::query_as!(
        Subscriber,
        r#"update calendar_feeds f set last_fetched_at = now()
           from users u
           where f.token_hash = $1 and f.revoked_at is null and u.id = f.user_id and u.active
           returning u.id as user_id, u.name, u.time_zone"#,
        secret::hash(token)
    )
    .fetch_optional(db)
    .await
}

/// One entry of the feed: an open touch, or a meeting that was logged.
pub struct Entry {
    pub kind: EntryKind,
    pub id: i64,
    pub starts_at: OffsetDateTime,
    pub channel: Channel,
    pub prospect_id: i64,
    pub prospect_name: String,
    pub account_name: Option<String>,
    pub title: String,
    pub detail: String,
    /// When the row last changed, for the event's DTSTAMP and LAST-MODIFIED.
    pub changed_at: OffsetDateTime,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    Touch(TouchKind),
    Meeting,
}

/// What a feed holds beyond its events: the days whose touches or meetings were more
/// than [`DAY_LIMIT`], with how many were left out, so that the feed says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overflow {
    /// The day, on the rep's clock.
    pub day: Date,
    pub touches: i64,
    pub meetings: i64,
}

/// At most this many touches, and this many meetings, of one day are events of their
/// own; the rest of that day is one all-day event that counts them and links to Today.
/// A calendar cannot show more in a day anyway, and the feed stays a size a calendar
/// application will fetch.
pub const DAY_LIMIT: i64 = 30;

pub struct Contents {
    pub entries: Vec<Entry>,
    pub overflow: Vec<Overflow>,
}

/// What the user's feed holds:
/// - every open re-engage touch, whatever its date: the dates prospects asked to be called
///   back on, often months ahead, are never left out;
/// - the other open touches (pending, or snoozed: shown when the snooze ends) due in
///   `[from, to)`, and the meetings logged with their prospects in that range, each day's
///   first [`DAY_LIMIT`] of each on the rep's clock (`time_zone`), and the count of the
///   rest in [`Overflow`].
pub async fn entries(
    db: &sqlx::PgPool,
    user_id: i64,
    time_zone: &str,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> sqlx::Result<Contents> {
    let touches = sqlx::query!(
        r#"with open as (
               select t.id, t.kind, coalesce(t.snoozed_until, t.due_at) as starts_at
               from touches t
               where t.owner_id = $1 and t.status in ('pending', 'snoozed')
                 and (t.kind = 're_engage'
                      or (coalesce(t.snoozed_until, t.due_at) >= $2
                          and coalesce(t.snoozed_until, t.due_at) < $3))
           ), counted as (
               select id, starts_at,
                      (starts_at at time zone $4)::date as day,
                      row_number() over same_day as rank,
                      count(*) over (partition by kind = 're_engage', (starts_at at time zone $4)::date) as day_total
               from open
               window same_day as (partition by kind = 're_engage', (starts_at at time zone $4)::date
                                   order by starts_at, id)
           )
           select t.id, t.kind as "kind: TouchKind", t.channel as "channel: Channel",
                  c.starts_at as "starts_at!", c.day as "day!", c.day_total as "day_total!",
                  t.created_at, p.id as prospect_id,
                  trim(p.first_name || ' ' || p.last_name) as "prospect_name!",
                  p.title, a.name as "account_name?", s.instructions as "instructions?",
                  cad.name as "cadence_name?", s.position as "position?"
           from counted c
           join touches t on t.id = c.id
           join prospects p on p.id = t.prospect_id
           left join accounts a on a.id = p.account_id
           left join cadence_steps s on s.id = t.step_id
           left join enrollments e on e.id = t.enrollment_id
           left join cadences cad on cad.id = e.cadence_id
           where t.kind = 're_engage' or c.rank <= $5
           order by c.starts_at, t.id"#,
        user_id,
        from,
        to,
        time_zone,
        DAY_LIMIT
    )
    .fetch_all(db)
    .await?;
    let meetings = sqlx::query!(
        r#"with held as (
               select i.id, (i.occurred_at at time zone $4)::date as day,
                      row_number() over same_day as rank,
                      count(*) over (partition by (i.occurred_at at time zone $4)::date) as day_total
               from interactions i
               where i.logged_by = $1 and i.channel = 'meeting'
                 and i.occurred_at >= $2 and i.occurred_at < $3
               window same_day as (partition by (i.occurred_at at time zone $4)::date
                                   order by i.occurred_at, i.id)
           )
           select i.id, i.occurred_at, i.created_at, i.notes, h.day as "day!",
                  h.day_total as "day_total!", p.id as prospect_id,
                  trim(p.first_name || ' ' || p.last_name) as "prospect_name!", p.title,
                  a.name as "account_name?"
           from held h
           join interactions i on i.id = h.id
           join prospects p on p.id = i.prospect_id
           left join accounts a on a.id = p.account_id
           where h.rank <= $5
           order by i.occurred_at, i.id"#,
        user_id,
        from,
        to,
        time_zone,
        DAY_LIMIT
    )
    .fetch_all(db)
    .await?;

    let mut overflow: BTreeMap<Date, Overflow> = BTreeMap::new();
    let new = |day| Overflow {
        day,
        touches: 0,
        meetings: 0,
    };
    for t in &touches {
        if t.kind != TouchKind::ReEngage && t.day_total > DAY_LIMIT {
            overflow.entry(t.day).or_insert_with(|| new(t.day)).touches = t.day_total - DAY_LIMIT;
        }
    }
    for m in &meetings {
        if m.day_total > DAY_LIMIT {
            overflow.entry(m.day).or_insert_with(|| new(m.day)).meetings = m.day_total - DAY_LIMIT;
        }
    }

    let mut entries: Vec<Entry> = touches
        .into_iter()
        .map(|t| {
            let step = match (t.cadence_name, t.position) {
                (Some(cadence), Some(position)) => format!("Step {position} of {cadence}"),
                _ => "Re-engage: their chosen date has come".to_string(),
            };
            let detail = match t.instructions.filter(|i| !i.trim().is_empty()) {
                Some(instructions) => format!("{step}\n\n{instructions}"),
                None => step,
            };
            Entry {
                kind: EntryKind::Touch(t.kind),
                id: t.id,
                starts_at: t.starts_at,
                channel: t.channel,
                prospect_id: t.prospect_id,
                prospect_name: t.prospect_name,
                account_name: t.account_name,
                title: t.title,
                detail,
                changed_at: t.created_at,
            }
        })
        .collect();
    entries.extend(meetings.into_iter().map(|m| Entry {
        kind: EntryKind::Meeting,
        id: m.id,
        starts_at: m.occurred_at,
        channel: Channel::Meeting,
        prospect_id: m.prospect_id,
        prospect_name: m.prospect_name,
        account_name: m.account_name,
        title: m.title,
        detail: m.notes,
        changed_at: m.created_at,
    }));
    entries.sort_by_key(|e| (e.starts_at, e.id));
    Ok(Contents {
        entries,
        overflow: overflow.into_values().collect(),
    })
}
