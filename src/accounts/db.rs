//! Queries on accounts (the prospects' companies). Every one takes the caller's `Scope`:
//! an account is visible to whoever may see its owner's data.

use sqlx::{PgConnection, PgExecutor};

use crate::auth::Scope;

/// The visible account with this name (ignoring case), or a new one owned by `owner_id`.
pub async fn find_or_create_by_name(
    conn: &mut PgConnection,
    scope: &Scope,
    owner_id: i64,
    name: &str,
) -> sqlx::Result<i64> {
    let existing = sqlx::query_scalar!(
        r#"select id from accounts
           where lower(name) = lower($1) and ($2::bigint[] is null or owner_id = any($2))
           order by id limit 1"#,
        name,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    sqlx::query_scalar!(
        "insert into accounts (owner_id, name) values ($1, $2) returning id",
        owner_id,
        name
    )
    .fetch_one(conn)
    .await
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
