//! Queries on users and teams. Users and teams are not prospect data, so they are not
//! scoped by owner: who may call these is decided by the admin pages' role check.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use super::Role;

pub struct LoginCandidate {
    pub id: i64,
    pub password_hash: Option<String>,
    /// Moves on at each password change; a session remembers the one it began under.
    pub session_generation: i32,
}

/// The active user with this email, for sign-in.
pub async fn find_for_login(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<LoginCandidate>> {
    sqlx::query_as!(
        LoginCandidate,
        "select id, password_hash, session_generation from users where email = $1 and active",
        email
    )
    .fetch_optional(db)
    .await
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub team_id: Option<i64>,
    pub time_zone: &'a str,
    pub password_hash: Option<&'a str>,
}

pub async fn insert_user(db: impl PgExecutor<'_>, user: &NewUser<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"insert into users (email, name, role, team_id, time_zone, password_hash)
           values ($1, $2, $3, $4, $5, $6) returning id"#,
        user.email,
        user.name,
        user.role as Role,
        user.team_id,
        user.time_zone,
        user.password_hash,
    )
    .fetch_one(db)
    .await
}

pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
    pub time_zone: String,
    pub active: bool,
    pub created_at: OffsetDateTime,
}

pub async fn list_users(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"select u.id, u.email::text as "email!", u.name, u.role as "role: Role", u.team_id,
                  t.name as "team_name?", u.time_zone, u.active, u.created_at
           from users u left join teams t on t.id = u.team_id
           order by u.active desc, lower(u.name), u.id"#
    )
    .fetch_all(db)
    .await
}

pub async fn get_user(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as!(
        UserRow,
        r#"select u.id, u.email::text as "email!", u.name, u.role as "role: Role", u.team_id,
                  t.name as "team_name?", u.time_zone, u.active, u.created_at
           from users u left join teams t on t.id = u.team_id
           where u.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

pub struct UserChanges<'a> {
    pub name: &'a str,
    pub role: Role,
    pub team_id: Option<i64>,
    pub time_zone: &'a str,
    pub active: bool,
}

pub async fn update_user(
    db: impl PgExecutor<'_>,
    id: i64,
    changes: &UserChanges<'_>,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"update users set name = $2, role = $3, team_id = $4, time_zone = $5, active = $6,
                  updated_at = now()
           where id = $1"#,
        id,
        changes.name,
        changes.role as Role,
        changes.team_id,
        changes.time_zone,
        changes.active,
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the password and ends every session signed in under the old one (the session
/// generation moves on; see `auth::session`).
pub async fn set_password(db: impl PgExecutor<'_>, id: i64, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update users
         set password_hash = $2, session_generation = session_generation + 1, updated_at = now()
         where id = $1",
        id,
        hash
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Active users who can own prospects in a team (reps and managers), for owner pickers.
pub struct OwnerChoice {
    pub id: i64,
    pub name: String,
}

pub async fn owner_choices(
    db: impl PgExecutor<'_>,
    owner_ids: Option<&[i64]>,
) -> sqlx::Result<Vec<OwnerChoice>> {
    sqlx::query_as!(
        OwnerChoice,
        r#"select id, name from users
           where active and role <> 'admin' and ($1::bigint[] is null or id = any($1))
           order by lower(name), id"#,
        owner_ids as Option<&[i64]>
    )
    .fetch_all(db)
    .await
}

pub struct TeamRow {
    pub id: i64,
    pub name: String,
    pub members: i64,
    pub managers: Option<String>,
}

pub async fn list_teams(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<TeamRow>> {
    sqlx::query_as!(
        TeamRow,
        r#"select t.id, t.name,
                  count(u.id) filter (where u.active) as "members!",
                  string_agg(u.name, ', ' order by u.name) filter (where u.role = 'manager' and u.active) as managers
           from teams t left join users u on u.team_id = t.id
           group by t.id order by lower(t.name)"#
    )
    .fetch_all(db)
    .await
}

pub async fn insert_team(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar!("insert into teams (name) values ($1) returning id", name)
        .fetch_one(db)
        .await
}

pub async fn rename_team(db: impl PgExecutor<'_>, id: i64, name: &str) -> sqlx::Result<bool> {
    let done = sqlx::query!("update teams set name = $2 where id = $1", id, name)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find_team_by_name(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<i64>> {
    sqlx::query_scalar!("select id from teams where lower(name) = lower($1)", name)
        .fetch_optional(db)
        .await
}

/// The team with this name, created if it does not exist yet.
pub async fn ensure_team(conn: &mut PgConnection, name: &str) -> sqlx::Result<i64> {
    if let Some(id) = find_team_by_name(&mut *conn, name).await? {
        return Ok(id);
    }
    sqlx::query_scalar!(
        r#"insert into teams (name) values ($1)
           on conflict (lower(name)) do update set name = teams.name
           returning id"#,
        name
    )
    .fetch_one(conn)
    .await
}

pub async fn team_exists(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    Ok(
        sqlx::query_scalar!("select id from teams where id = $1", id)
            .fetch_optional(db)
            .await?
            .is_some(),
    )
}
