//! Queries on accounts (the prospects' companies). Every one takes the caller's `Scope`:
//! an account is visible to whoever may see its owner's data.

use std::collections::HashMap;

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::{auth::Scope, search::like_pattern};

pub const PAGE_SIZE: i64 = 50;

/// The visible account with this name (ignoring case), or a new one owned by `owner_id`.
pub async fn find_or_create_by_name(
    conn: &mut PgConnection,
    scope: &Scope,
    owner_id: i64,
    name: &str,
) -> sqlx::Result<i64> {
    let new = AccountFields {
        name: name.to_string(),
        domain: None,
        industry: String::new(),
        employee_count: None,
        territory: String::new(),
    };
    let ids = find_or_create_many(conn, scope, owner_id, std::slice::from_ref(&new)).await?;
    Ok(ids.get(name).copied().unwrap_or_default())
}

/// For each account, the visible account with its name (ignoring case), or a new one
/// owned by `owner_id` with these details. Two queries however many accounts: an import
/// names thousands. The answer is keyed by the name as given.
pub async fn find_or_create_many(
    conn: &mut PgConnection,
    scope: &Scope,
    owner_id: i64,
    accounts: &[AccountFields],
) -> sqlx::Result<HashMap<String, i64>> {
    let mut names: Vec<String> = accounts.iter().map(|a| a.name.clone()).collect();
    names.sort_unstable();
    names.dedup();
    let existing = sqlx::query!(
        r#"select n.name as "name!", a.id as "id!"
           from unnest($1::text[]) as n (name)
           join lateral (select id from accounts
                         where lower(name) = lower(n.name)
                           and ($2::bigint[] is null or owner_id = any($2))
                         order by id limit 1) a on true"#,
        &names,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut ids: HashMap<String, i64> = existing.into_iter().map(|r| (r.name, r.id)).collect();
    // One new account per name, whatever its case ("Acme" and "ACME" are one company).
    let mut seen: HashMap<String, &AccountFields> = HashMap::new();
    for account in accounts.iter().filter(|a| !ids.contains_key(&a.name)) {
        seen.entry(account.name.to_lowercase()).or_insert(account);
    }
    let missing: Vec<&AccountFields> = seen.into_values().collect();
    if !missing.is_empty() {
        let created = sqlx::query!(
            r#"insert into accounts (owner_id, name, domain, industry, employee_count, territory)
               select $1, n.name, n.domain, n.industry, n.employee_count, n.territory
               from unnest($2::text[], $3::text[], $4::text[], $5::int[], $6::text[])
                    as n (name, domain, industry, employee_count, territory)
               returning id, name"#,
            owner_id,
            &missing.iter().map(|a| a.name.clone()).collect::<Vec<_>>(),
            &missing.iter().map(|a| a.domain.clone()).collect::<Vec<_>>() as &[Option<String>],
            &missing
                .iter()
                .map(|a| a.industry.clone())
                .collect::<Vec<_>>(),
            &missing.iter().map(|a| a.employee_count).collect::<Vec<_>>() as &[Option<i32>],
            &missing
                .iter()
                .map(|a| a.territory.clone())
                .collect::<Vec<_>>(),
        )
        .fetch_all(&mut *conn)
        .await?;
        let by_lower: HashMap<String, i64> = created
            .into_iter()
            .map(|r| (r.name.to_lowercase(), r.id))
            .collect();
        for account in accounts {
            if let Some(id) = by_lower.get(&account.name.to_lowercase()) {
                ids.entry(account.name.clone()).or_insert(*id);
            }
        }
    }
    Ok(ids)
}

/// Recently created account names within the scope, for the prospect form's suggestions.
pub async fn name_suggestions(db: impl PgExecutor<'_>, scope: &Scope) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select name from accounts
           where ($1::bigint[] is null or owner_id = any($1))
           order by id desc limit 300"#,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub owner_id: i64,
    pub owner_name: String,
    pub name: String,
    pub domain: Option<String>,
    pub industry: String,
    pub employee_count: Option<i32>,
    pub territory: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub async fn get(db: impl PgExecutor<'_>, scope: &Scope, id: i64) -> sqlx::Result<Option<Account>> {
    sqlx::query_as!(
        Account,
        r#"select a.id, a.owner_id, u.name as owner_name, a.name, a.domain::text as domain,
                  a.industry, a.employee_count, a.territory, a.created_at, a.updated_at
           from accounts a join users u on u.id = a.owner_id
           where a.id = $1 and ($2::bigint[] is null or a.owner_id = any($2))"#,
        id,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_optional(db)
    .await
}

/// The fields a person edits on the account form, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountFields {
    pub name: String,
    pub domain: Option<String>,
    pub industry: String,
    pub employee_count: Option<i32>,
    pub territory: String,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    owner_id: i64,
    fields: &AccountFields,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into accounts (owner_id, name, domain, industry, employee_count, territory)
           values ($1, $2, $3, $4, $5, $6)
           returning id"#,
        owner_id,
        fields.name,
        fields.domain.as_deref() as Option<&str>,
        fields.industry,
        fields.employee_count,
        fields.territory,
    )
    .fetch_one(db)
    .await
}

/// Updates a visible account; `false` if it is not in the scope.
pub async fn update(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    id: i64,
    fields: &AccountFields,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"update accounts
           set name = $3, domain = $4, industry = $5, employee_count = $6, territory = $7,
               updated_at = now()
           where id = $1 and ($2::bigint[] is null or owner_id = any($2))"#,
        id,
        scope.owner_ids() as Option<&[i64]>,
        fields.name,
        fields.domain.as_deref() as Option<&str>,
        fields.industry,
        fields.employee_count,
        fields.territory,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Where the next page of the list starts: the last row's `lower(name)` and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub name: String,
    pub id: i64,
}

impl Cursor {
    /// `id~name`: the id first, so that a `~` inside the name needs no escaping.
    pub fn encode(&self) -> String {
        format!("{}~{}", self.id, self.name)
    }

    pub fn decode(raw: &str) -> Option<Cursor> {
        let (id, name) = raw.split_once('~')?;
        Some(Cursor {
            name: name.to_string(),
            id: id.parse().ok()?,
        })
    }
}

/// A row of the account list; the API lists accounts as this too.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = AccountSummary)]
pub struct ListRow {
    pub id: i64,
    pub name: String,
    /// The company's web domain, such as `acme.com`.
    pub domain: Option<String>,
    pub industry: String,
    pub employee_count: Option<i32>,
    pub territory: String,
    pub owner_name: String,
    /// The keyset position, not part of the API.
    #[serde(skip)]
    pub sort_name: String,
}

pub struct Page {
    pub rows: Vec<ListRow>,
    pub next: Option<Cursor>,
}

/// One page of the visible accounts by name, optionally matching `search` in the name or
/// domain. Keyset order on `(lower(name), id)`, which the name indexes serve; the search
/// uses `ilike` (same result as `lower(..) like` on the lower-cased pattern) so that the
/// trigram index on `name` can serve it.
pub async fn list(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    search: Option<&str>,
    after: Option<&Cursor>,
    limit: i64,
) -> sqlx::Result<Page> {
    let pattern = search.map(like_pattern);
    let mut rows = sqlx::query_as!(
        ListRow,
        r#"select a.id, a.name, a.domain::text as domain, a.industry, a.employee_count,
                  a.territory, u.name as owner_name, lower(a.name) as "sort_name!"
           from accounts a join users u on u.id = a.owner_id
           where ($1::bigint[] is null or a.owner_id = any($1))
             and ($2::text is null or a.name ilike $2 or a.domain::text ilike $2)
             and ($3::text is null or (lower(a.name), a.id) > ($3, $4))
           order by lower(a.name), a.id
           limit $5"#,
        scope.owner_ids() as Option<&[i64]>,
        pattern,
        after.map(|c| c.name.as_str()),
        after.map_or(0, |c| c.id),
        limit + 1,
    )
    .fetch_all(db)
    .await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| Cursor {
            name: r.sort_name.clone(),
            id: r.id,
        })
    } else {
        None
    };
    Ok(Page { rows, next })
}

/// How many prospects visible in the scope each of these accounts has, in one query.
/// Accounts without any are absent from the map.
pub async fn prospect_counts(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    account_ids: &[i64],
) -> sqlx::Result<HashMap<i64, i64>> {
    if account_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = sqlx::query!(
        r#"select account_id as "account_id!", count(*) as "count!"
           from prospects
           where account_id = any($1) and ($2::bigint[] is null or owner_id = any($2))
           group by account_id"#,
        account_ids,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.account_id, r.count)).collect())
}

/// Industries and territories already used within the scope, so that people reuse the
/// same spelling of a segment.
pub struct Suggestions {
    pub industries: Vec<String>,
    pub territories: Vec<String>,
}

pub async fn suggestions(conn: &mut PgConnection, scope: &Scope) -> sqlx::Result<Suggestions> {
    let industries = sqlx::query_scalar!(
        r#"select distinct industry from accounts
           where industry <> '' and ($1::bigint[] is null or owner_id = any($1))
           order by industry limit 200"#,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(&mut *conn)
    .await?;
    let territories = sqlx::query_scalar!(
        r#"select distinct territory from accounts
           where territory <> '' and ($1::bigint[] is null or owner_id = any($1))
           order by territory limit 200"#,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Suggestions {
        industries,
        territories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = Cursor {
            name: "acme ~ sons".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        assert_eq!(Cursor::decode("42"), None);
        assert_eq!(Cursor::decode("x~acme"), None);
    }
}
