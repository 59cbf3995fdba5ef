//! Queries on prospects. Every one takes the caller's `Scope`.

use sqlx::{PgConnection, PgExecutor, Postgres, QueryBuilder};
use time::{Date, OffsetDateTime};

use super::{InterestState, QualifyingField};
use crate::{
    auth::Scope,
    process::{Event, store},
    search::like_pattern,
};

pub const PAGE_SIZE: i64 = 50;

#[derive(Debug, Clone)]
pub struct Prospect {
    pub id: i64,
    pub owner_id: i64,
    pub owner_name: String,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub email: Option<String>,
    pub phone: String,
    pub linkedin_url: String,
    pub source: String,
    pub tags: Vec<String>,
    pub interest: InterestState,
    pub do_not_contact: bool,
    pub re_engage_on: Option<Date>,
    pub last_interaction_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

impl Prospect {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
}

pub async fn get(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: i64,
) -> sqlx::Result<Option<Prospect>> {
    sqlx::query_as!(
        Prospect,
        r#"select p.id, p.owner_id, u.name as owner_name, p.account_id, a.name as "account_name?",
                  p.first_name, p.last_name, p.title, p.email::text as email, p.phone,
                  p.linkedin_url, p.source, p.tags, p.interest as "interest: InterestState",
                  p.do_not_contact, p.re_engage_on, p.last_interaction_at, p.created_at
           from prospects p
           join users u on u.id = p.owner_id
           left join accounts a on a.id = p.account_id
           where p.id = $1 and ($2::bigint[] is null or p.owner_id = any($2))"#,
        id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_optional(db)
    .await
}

/// Locks the prospect's row for a multi-step write; `None` if it is outside the scope.
pub async fn lock(
    conn: &mut PgConnection,
    scope: &Scope,
    id: i64,
) -> sqlx::Result<Option<LockedProspect>> {
    sqlx::query_as!(
        LockedProspect,
        r#"select p.id, p.owner_id, p.interest as "interest: InterestState", p.do_not_contact,
                  p.first_name, p.last_name, a.name as "account_name?"
           from prospects p left join accounts a on a.id = p.account_id
           where p.id = $1 and ($2::bigint[] is null or p.owner_id = any($2))
           for update of p"#,
        id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_optional(conn)
    .await
}

pub struct LockedProspect {
    pub id: i64,
    pub owner_id: i64,
    pub interest: InterestState,
    pub do_not_contact: bool,
    pub first_name: String,
    pub last_name: String,
    pub account_name: Option<String>,
}

impl LockedProspect {
    /// The name a new opportunity gets when the rep gives none.
    pub fn default_opportunity_name(&self) -> String {
        let person = format!("{} {}", self.first_name, self.last_name);
        match &self.account_name {
            Some(account) => format!("{account} — {}", person.trim()),
            None => format!("New business — {}", person.trim()),
        }
    }
}

/// The fields a person edits on the prospect form.
#[derive(Debug, Clone)]
pub struct ProspectFields {
    pub account_id: Option<i64>,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub email: Option<String>,
    pub phone: String,
    pub linkedin_url: String,
    pub source: String,
    pub tags: Vec<String>,
    pub do_not_contact: bool,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    owner_id: i64,
    fields: &ProspectFields,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into prospects (owner_id, account_id, first_name, last_name, title, email,
                                  phone, linkedin_url, source, tags, do_not_contact)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
           returning id"#,
        owner_id,
        fields.account_id,
        fields.first_name,
        fields.last_name,
        fields.title,
        fields.email,
        fields.phone,
        fields.linkedin_url,
        fields.source,
        &fields.tags,
        fields.do_not_contact,
    )
    .fetch_one(db)
    .await
}

/// Inserts many prospects for one owner in one statement, for an import. Returns, for
/// each row in order, its new id, or `None` when its email was taken meanwhile (the
/// unique index decides; the row is left out). Ids are drawn first so that each row's id
/// is known whatever the insert skips.
pub async fn insert_many(
    conn: &mut PgConnection,
    owner_id: i64,
    rows: &[ProspectFields],
) -> sqlx::Result<Vec<Option<i64>>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = sqlx::query_scalar!(
        r#"select nextval(pg_get_serial_sequence('prospects', 'id')) as "id!"
           from generate_series(1, $1::int)"#,
        rows.len() as i32
    )
    .fetch_all(&mut *conn)
    .await?;
    let column = |f: fn(&ProspectFields) -> String| rows.iter().map(f).collect::<Vec<_>>();
    let inserted = sqlx::query_scalar!(
        r#"insert into prospects (id, owner_id, account_id, first_name, last_name, title, email,
                                  phone, linkedin_url, source, tags, do_not_contact)
           overriding system value
           select n.id, $1, n.account_id, n.first_name, n.last_name, n.title, n.email, n.phone,
                  n.linkedin_url, n.source,
                  case when n.tags = '' then '{}'::text[] else string_to_array(n.tags, ',') end,
                  n.do_not_contact
           from unnest($2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::text[], $11::text[], $12::bool[])
                as n (id, account_id, first_name, last_name, title, email, phone, linkedin_url,
                      source, tags, do_not_contact)
           on conflict (email) where email is not null do nothing
           returning id"#,
        owner_id,
        &ids,
        &rows.iter().map(|r| r.account_id).collect::<Vec<_>>() as &[Option<i64>],
        &column(|r| r.first_name.clone()),
        &column(|r| r.last_name.clone()),
        &column(|r| r.title.clone()),
        &rows.iter().map(|r| r.email.clone()).collect::<Vec<_>>() as &[Option<String>],
        &column(|r| r.phone.clone()),
        &column(|r| r.linkedin_url.clone()),
        &column(|r| r.source.clone()),
        // Tags never hold a comma: `form::parse_tags` splits on them.
        &column(|r| r.tags.join(",")),
        &rows.iter().map(|r| r.do_not_contact).collect::<Vec<_>>(),
    )
    .fetch_all(&mut *conn)
    .await?;
    let inserted: std::collections::HashSet<i64> = inserted.into_iter().collect();
    Ok(ids
        .into_iter()
        .map(|id| inserted.contains(&id).then_some(id))
        .collect())
}

/// Fills existing prospects (ids already checked against the caller's scope) with an
/// import's non-empty values: empty values keep what is there, tags are added to the
/// prospect's, and do-not-contact is only ever turned on. Returns the ids whose
/// do-not-contact this turned on, for the caller to stop their cadences.
pub async fn fill_many(
    conn: &mut PgConnection,
    updates: &[(i64, ProspectFields)],
) -> sqlx::Result<Vec<i64>> {
    if updates.is_empty() {
        return Ok(Vec::new());
    }
    let column =
        |f: fn(&ProspectFields) -> String| updates.iter().map(|(_, r)| f(r)).collect::<Vec<_>>();
    sqlx::query_scalar!(
        r#"with changes as (
               select * from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                                    $6::text[], $7::text[], $8::text[], $9::text[], $10::bool[])
                   as n (id, account_id, first_name, last_name, title, phone, linkedin_url,
                         source, tags, do_not_contact)
           ), before as (
               select p.id, p.do_not_contact from prospects p join changes c on c.id = p.id
               for update of p
           )
           update prospects p
           set account_id = coalesce(c.account_id, p.account_id),
               first_name = coalesce(nullif(c.first_name, ''), p.first_name),
               last_name = coalesce(nullif(c.last_name, ''), p.last_name),
               title = coalesce(nullif(c.title, ''), p.title),
               phone = coalesce(nullif(c.phone, ''), p.phone),
               linkedin_url = coalesce(nullif(c.linkedin_url, ''), p.linkedin_url),
               source = coalesce(nullif(c.source, ''), p.source),
               tags = case when c.tags = '' then p.tags else array(
                          select distinct t from unnest(p.tags || string_to_array(c.tags, ',')) t
                          order by t) end,
               do_not_contact = p.do_not_contact or c.do_not_contact,
               updated_at = now()
           from changes c join before b on b.id = c.id
           where p.id = c.id
           returning case when c.do_not_contact and not b.do_not_contact then p.id end"#,
        &updates.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        &updates
            .iter()
            .map(|(_, r)| r.account_id)
            .collect::<Vec<_>>() as &[Option<i64>],
        &column(|r| r.first_name.clone()),
        &column(|r| r.last_name.clone()),
        &column(|r| r.title.clone()),
        &column(|r| r.phone.clone()),
        &column(|r| r.linkedin_url.clone()),
        &column(|r| r.source.clone()),
        &column(|r| r.tags.join(",")),
        &updates
            .iter()
            .map(|(_, r)| r.do_not_contact)
            .collect::<Vec<_>>(),
    )
    .fetch_all(&mut *conn)
    .await
    .map(|ids| ids.into_iter().flatten().collect())
}

/// Records one timeline event of `kind` for each prospect, in one statement.
pub async fn insert_events_many(
    conn: &mut PgConnection,
    prospect_ids: &[i64],
    actor_id: i64,
    kind: &str,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into prospect_events (prospect_id, actor_id, kind)
           select id, $2, $3 from unnest($1::bigint[]) as t (id)"#,
        prospect_ids,
        actor_id,
        kind
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The prospects holding any of these emails, wherever they are (emails are unique
/// organisation-wide), with their owner: an import reports them as duplicates.
pub async fn find_by_emails(
    db: impl PgExecutor<'_>,
    emails: &[String],
) -> sqlx::Result<Vec<ExistingEmail>> {
    sqlx::query_as!(
        ExistingEmail,
        r#"select p.id, p.email::text as "email!", p.owner_id, u.name as owner_name,
                  trim(p.first_name || ' ' || p.last_name) as "name!"
           from prospects p join users u on u.id = p.owner_id
           where p.email = any($1::text[]::citext[])"#,
        emails
    )
    .fetch_all(db)
    .await
}

pub async fn update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: i64,
    fields: &ProspectFields,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"update prospects
           set account_id = $3, first_name = $4, last_name = $5, title = $6, email = $7,
               phone = $8, linkedin_url = $9, source = $10, tags = $11, do_not_contact = $12,
               updated_at = now()
           where id = $1 and ($2::bigint[] is null or owner_id = any($2))"#,
        id,
        scope.owner_ids() as Option<&[i64]>,
        fields.account_id,
        fields.first_name,
        fields.last_name,
        fields.title,
        fields.email,
        fields.phone,
        fields.linkedin_url,
        fields.source,
        &fields.tags,
        fields.do_not_contact,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Hands a prospect in the scope to `new_owner` (`false` if it is not there): its open
/// touches go with it, so the new owner works them from now on. Closed touches stay with
/// whoever worked them, as the dashboard credits them.
pub async fn reassign(
    conn: &mut PgConnection,
    scope: &Scope,
    prospect_id: i64,
    new_owner: i64,
    actor_id: i64,
) -> sqlx::Result<bool> {
    let Some(loaded) = store::load(conn, scope, prospect_id).await? else {
        return Ok(false);
    };
    let names = sqlx::query!(
        r#"select (select name from users where id = $1) as "from!",
                  (select name from users where id = $2) as "to!""#,
        loaded.state.owner_id,
        new_owner
    )
    .fetch_one(&mut *conn)
    .await?;
    let event = Event::Reassigned {
        to: new_owner,
        from_name: names.from,
        to_name: names.to,
    };
    let change = loaded.decide(&event, OffsetDateTime::now_utc(), Some(actor_id));
    store::apply(conn, &[change]).await?;
    Ok(true)
}

/// Who already has this email. Uniqueness is organisation-wide, so this looks beyond the
/// caller's scope; the caller shows a link only if the prospect is visible to them.
pub struct ExistingEmail {
    pub id: i64,
    pub email: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub name: String,
}

pub async fn find_by_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<ExistingEmail>> {
    sqlx::query_as!(
        ExistingEmail,
        r#"select p.id, p.email::text as "email!", p.owner_id, u.name as owner_name,
                  trim(p.first_name || ' ' || p.last_name) as "name!"
           from prospects p join users u on u.id = p.owner_id
           where p.email = $1"#,
        email
    )
    .fetch_optional(db)
    .await
}

/// Records a timeline event for a prospect.
pub struct NewEvent<'a> {
    pub prospect_id: i64,
    pub actor_id: Option<i64>,
    pub kind: &'a str,
    pub from_value: Option<&'a str>,
    pub to_value: Option<&'a str>,
    pub note: Option<&'a str>,
    pub opportunity_id: Option<i64>,
    pub interaction_id: Option<i64>,
    pub enrollment_id: Option<i64>,
    pub touch_id: Option<i64>,
    /// When it happened; `None` for now. Events caused by an interaction take its time.
    pub occurred_at: Option<OffsetDateTime>,
}

impl<'a> NewEvent<'a> {
    pub fn new(prospect_id: i64, actor_id: i64, kind: &'a str) -> Self {
        NewEvent {
            prospect_id,
            actor_id: Some(actor_id),
            kind,
            from_value: None,
            to_value: None,
            note: None,
            opportunity_id: None,
            interaction_id: None,
            enrollment_id: None,
            touch_id: None,
            occurred_at: None,
        }
    }
}

pub async fn insert_event(db: impl PgExecutor<'_>, event: NewEvent<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        r#"insert into prospect_events
               (prospect_id, actor_id, kind, from_value, to_value, note, opportunity_id,
                interaction_id, enrollment_id, touch_id, occurred_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now()))"#,
        event.prospect_id,
        event.actor_id,
        event.kind,
        event.from_value,
        event.to_value,
        event.note,
        event.opportunity_id,
        event.interaction_id,
        event.enrollment_id,
        event.touch_id,
        event.occurred_at,
    )
    .execute(db)
    .await?;
    Ok(())
}

pub struct Fact {
    pub field: QualifyingField,
    pub value: String,
    pub learned_at: OffsetDateTime,
    pub recorded_by: String,
}

/// The latest value of each qualifying field, with when it was learned.
pub async fn current_facts(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    prospect_id: i64,
) -> sqlx::Result<Vec<Fact>> {
    sqlx::query_as!(
        Fact,
        r#"select distinct on (f.field) f.field as "field: QualifyingField", f.value,
                  f.learned_at, u.name as recorded_by
           from qualifying_facts f
           join prospects p on p.id = f.prospect_id
           join users u on u.id = f.recorded_by
           where f.prospect_id = $1 and ($2::bigint[] is null or p.owner_id = any($2))
           order by f.field, f.learned_at desc, f.id desc"#,
        prospect_id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(db)
    .await
}

/// Records qualifying facts learned, skipping any equal to what is already known.
pub async fn record_facts(
    conn: &mut PgConnection,
    prospect_id: i64,
    facts: &[(QualifyingField, String)],
    recorded_by: i64,
    interaction_id: Option<i64>,
    learned_at: OffsetDateTime,
) -> sqlx::Result<usize> {
    let mut recorded = 0;
    for (field, value) in facts {
        let done = sqlx::query!(
            r#"insert into qualifying_facts (prospect_id, field, value, interaction_id, recorded_by, learned_at)
               select $1, $2, $3, $4, $5, $6
               where $3 is distinct from (
                   select value from qualifying_facts
                   where prospect_id = $1 and field = $2
                   order by learned_at desc, id desc limit 1
               )"#,
            prospect_id,
            *field as QualifyingField,
            value,
            interaction_id,
            recorded_by,
            learned_at,
        )
        .execute(&mut *conn)
        .await?;
        recorded += done.rows_affected() as usize;
    }
    Ok(recorded)
}

/// The list's filters and order, as read from the query string.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    pub search: Option<String>,
    pub owner_id: Option<i64>,
    pub interest: Option<InterestState>,
    pub tag: Option<String>,
    pub account_id: Option<i64>,
    pub sort: Sort,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    #[default]
    Newest,
    Name,
    RecentlyTouched,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Newest, Sort::Name, Sort::RecentlyTouched];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Name => "name",
            Sort::RecentlyTouched => "touched",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Newest => "Newest first",
            Sort::Name => "Name A–Z",
            Sort::RecentlyTouched => "Recently touched",
        }
    }

    pub fn parse(raw: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Where the next page starts: the sort key and id of the last row shown.
#[derive(Debug, Clone, PartialEq)]
pub enum Cursor {
    Id(i64),
    Name(String, i64),
    Touched(Option<OffsetDateTime>, i64),
}

impl Cursor {
    pub fn encode(&self) -> String {
        match self {
            Cursor::Id(id) => id.to_string(),
            Cursor::Name(name, id) => format!("{id}~{name}"),
            Cursor::Touched(at, id) => match at {
                Some(at) => format!("{id}~{}", at.unix_timestamp_nanos()),
                None => format!("{id}~"),
            },
        }
    }

    pub fn decode(sort: Sort, raw: &str) -> Option<Cursor> {
        let (id, rest) = match raw.split_once('~') {
            Some((id, rest)) => (id.parse().ok()?, Some(rest)),
            None => (raw.parse().ok()?, None),
        };
        match (sort, rest) {
            (Sort::Newest, None) => Some(Cursor::Id(id)),
            (Sort::Name, Some(name)) => Some(Cursor::Name(name.to_string(), id)),
            (Sort::RecentlyTouched, Some("")) => Some(Cursor::Touched(None, id)),
            (Sort::RecentlyTouched, Some(nanos)) => {
                let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
                Some(Cursor::Touched(Some(at), id))
            }
            _ => None,
        }
    }
}

#[derive(Debug, sqlx::FromRow)]
pub struct ListRow {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub title: String,
    pub email: Option<String>,
    pub account_id: Option<i64>,
    pub account_name: Option<String>,
    pub owner_name: String,
    pub interest: InterestState,
    pub do_not_contact: bool,
    pub tags: Vec<String>,
    pub re_engage_on: Option<Date>,
    pub last_interaction_at: Option<OffsetDateTime>,
    pub sort_name: String,
}

impl ListRow {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }

    fn cursor(&self, sort: Sort) -> Cursor {
        match sort {
            Sort::Newest => Cursor::Id(self.id),
            Sort::Name => Cursor::Name(self.sort_name.clone(), self.id),
            Sort::RecentlyTouched => Cursor::Touched(self.last_interaction_at, self.id),
        }
    }
}

pub struct Page {
    pub rows: Vec<ListRow>,
    pub next: Option<Cursor>,
}

/// Appends ` and …` conditions for the scope and the filter to a query over
/// `prospects p`. A single owner is an equality, which lets an owner-leading index give
/// the list's order.
pub fn push_filter(q: &mut QueryBuilder<'_, Postgres>, scope: &Scope, filter: &ListFilter) {
    match scope.owner_ids() {
        Some([owner]) => {
            q.push(" and p.owner_id = ").push_bind(*owner);
        }
        Some(owners) => {
            q.push(" and p.owner_id = any(")
                .push_bind(owners.to_vec())
                .push(")");
        }
        None => {}
    }
    if let Some(owner_id) = filter.owner_id {
        q.push(" and p.owner_id = ").push_bind(owner_id);
    }
    if let Some(interest) = filter.interest {
        q.push(" and p.interest = ").push_bind(interest);
    }
    if let Some(tag) = &filter.tag {
        q.push(" and p.tags @> array[")
            .push_bind(tag.clone())
            .push("]::text[]");
    }
    if let Some(account_id) = filter.account_id {
        q.push(" and p.account_id = ").push_bind(account_id);
    }
    if let Some(search) = &filter.search {
        // Name or email, or the account's name: the matching accounts as an array (not a
        // subquery), so that both sides are index scans OR-ed as bitmaps.
        let pattern = like_pattern(search);
        q.push(" and (p.search_text like ")
            .push_bind(pattern.clone())
            .push(" or p.account_id = any(array(select id from accounts where name ilike ")
            .push_bind(pattern)
            .push(")))");
    }
}

/// One page of the prospect list in keyset order: each page starts after the last row of
/// the previous one, so a deep page costs what the first does.
pub async fn list(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    filter: &ListFilter,
    after: Option<&Cursor>,
    limit: i64,
) -> sqlx::Result<Page> {
    let columns = "p.id, p.first_name, p.last_name, p.title, p.email::text as email, p.account_id,
                   a.name as account_name, u.name as owner_name, p.interest, p.do_not_contact,
                   p.tags, p.re_engage_on, p.last_interaction_at, p.sort_name";
    let order = match filter.sort {
        Sort::Newest => " order by p.id desc",
        Sort::Name => " order by p.sort_name, p.id",
        Sort::RecentlyTouched => {
            " order by coalesce(p.last_interaction_at, '-infinity') desc, p.id desc"
        }
    };
    let mut q = QueryBuilder::<Postgres>::new("select ");
    q.push(columns);
    match scope.owner_ids() {
        // A team: each owner's page read from their owner-leading index, then merged, so
        // that a deep page or a rare filter never walks the whole table. A search is the
        // exception: its trigram indexes find the few matches faster over everyone, and
        // the team is then a filter on them.
        Some(owners)
            if owners.len() > 1 && filter.owner_id.is_none() && filter.search.is_none() =>
        {
            q.push(" from unnest(").push_bind(owners.to_vec()).push(
                "::bigint[]) as o (owner_id)
                     cross join lateral (select p.* from prospects p where p.owner_id = o.owner_id",
            );
            push_filter(&mut q, &Scope::everyone(), filter);
            push_after(&mut q, after);
            q.push(order).push(" limit ").push_bind(limit + 1);
            q.push(
                ") p
                 join users u on u.id = p.owner_id
                 left join accounts a on a.id = p.account_id
                 where true",
            );
        }
        _ => {
            q.push(
                " from prospects p
                  join users u on u.id = p.owner_id
                  left join accounts a on a.id = p.account_id
                  where true",
            );
            push_filter(&mut q, scope, filter);
            push_after(&mut q, after);
        }
    }
    q.push(order).push(" limit ").push_bind(limit + 1);

    let mut rows: Vec<ListRow> = q.build_query_as().fetch_all(db).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.cursor(filter.sort))
    } else {
        None
    };
    Ok(Page { rows, next })
}

/// The keyset condition: rows after the cursor in the list's order.
fn push_after(q: &mut QueryBuilder<'_, Postgres>, after: Option<&Cursor>) {
    match after {
        Some(Cursor::Id(id)) => {
            q.push(" and p.id < ").push_bind(*id);
        }
        Some(Cursor::Name(name, id)) => {
            q.push(" and (p.sort_name, p.id) > (")
                .push_bind(name.clone())
                .push(", ")
                .push_bind(*id)
                .push(")");
        }
        Some(Cursor::Touched(at, id)) => {
            q.push(" and (coalesce(p.last_interaction_at, '-infinity'), p.id) < (")
                .push_bind(at.map_or("-infinity".to_string(), |t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default()
                }))
                .push("::timestamptz, ")
                .push_bind(*id)
                .push(")");
        }
        None => {}
    }
}

/// Tags in use within the scope, for the filter's suggestions (from `tag_rollup`, which
/// the prospects' trigger keeps).
pub async fn tags_in_use(db: impl PgExecutor<'_>, scope: &Scope) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select tag from tag_rollup
           where ($1::bigint[] is null or owner_id = any($1))
           group by tag having sum(prospects) > 0
           order by tag limit 200"#,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(db)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let at = OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        for (sort, cursor) in [
            (Sort::Newest, Cursor::Id(42)),
            (Sort::Name, Cursor::Name("lovelace ada~x".into(), 7)),
            (Sort::RecentlyTouched, Cursor::Touched(Some(at), 9)),
            (Sort::RecentlyTouched, Cursor::Touched(None, 9)),
        ] {
            assert_eq!(Cursor::decode(sort, &cursor.encode()), Some(cursor));
        }
        assert_eq!(Cursor::decode(Sort::Name, "12"), None);
        assert_eq!(Cursor::decode(Sort::Newest, "nope"), None);
    }
}
