//! Issuing, listing, revoking and checking API tokens.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::{
    auth::{CurrentUser, secret},
    users::Role,
};

/// Every token starts with this, so that secret scanners and people can recognise one.
pub const PREFIX: &str = "pt_";

/// How many characters of a token its list shows.
const SHOWN_PREFIX_LEN: usize = 10;

pub struct Issued {
    pub id: i64,
    /// The token itself: shown once, never stored.
    pub token: String,
}

/// Issues a token for `user_id` named `name` (already checked: 1 to 100 characters).
pub async fn issue(conn: &mut PgConnection, user_id: i64, name: &str) -> sqlx::Result<Issued> {
    let token = secret::generate(PREFIX);
    let id = sqlx::query_scalar!(
        r#"insert into api_tokens (user_id, name, token_hash, token_prefix)
           values ($1, $2, $3, $4) returning id"#,
        user_id,
        name,
        secret::hash(&token),
        &token[..SHOWN_PREFIX_LEN],
    )
    .fetch_one(conn)
    .await?;
    Ok(Issued { id, token })
}

/// The name a token gets: trimmed, 1 to 100 characters.
pub fn parse_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        Err("Name the token after what will use it, such as \"CRM sync\".")
    } else if name.chars().count() > 100 {
        Err("Use at most 100 characters.")
    } else if let Some(problem) = crate::input::text_problem(name) {
        Err(problem)
    } else {
        Ok(name.to_string())
    }
}

pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub token_prefix: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

/// The user's live tokens, newest first.
pub async fn list(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as!(
        TokenRow,
        r#"select id, name, token_prefix, created_at, last_used_at from api_tokens
           where user_id = $1 and revoked_at is null
           order by id desc"#,
        user_id
    )
    .fetch_all(db)
    .await
}

/// Revokes one of the user's own tokens; `false` if there is no such live token.
pub async fn revoke(db: impl PgExecutor<'_>, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "update api_tokens set revoked_at = now() where id = $1 and user_id = $2 and revoked_at is null",
        id,
        user_id
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The active user a live token belongs to. Marks the token used, at most once a minute,
/// so that a busy integration does not write on every request.
pub async fn authenticate(db: &sqlx::PgPool, token: &str) -> sqlx::Result<Option<CurrentUser>> {
    if !token.starts_with(PREFIX) || token.len() > 200 {
        return Ok(None);
    }
    let row = sqlx::query!(
        r#"select t.id as token_id, t.last_used_at, u.id, u.email::text as "email!", u.name,
                  u.role as "role: Role", u.team_id, u.time_zone
           from api_tokens t join users u on u.id = t.user_id
           where t.token_hash = $1 and t.revoked_at is null and u.active"#,
        secret::hash(token)
    )
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let now = OffsetDateTime::now_utc();
    if row
        .last_used_at
        .is_none_or(|at| now - at > time::Duration::minutes(1))
    {
        sqlx::query!(
            "update api_tokens set last_used_at = $2 where id = $1",
            row.token_id,
            now
        )
        .execute(db)
        .await?;
    }
    Ok(Some(CurrentUser {
        id: row.id,
        email: row.email,
        name: row.name,
        role: row.role,
        team_id: row.team_id,
        time_zone: row.time_zone,
    }))
}
