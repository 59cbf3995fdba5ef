//! The signed-in user, carried by a PostgreSQL-backed session (tower-sessions).

use axum::{extract::FromRequestParts, http::request::Parts};
use time::{Duration, OffsetDateTime};
use tower_sessions::Session;

use super::Role;
use crate::{
    error::{AppError, Result},
    state::AppState,
};

const USER_ID: &str = "user_id";
const AUTHENTICATED_AT: &str = "authenticated_at";
const SEEN_AT: &str = "seen_at";
/// The user's session generation at sign-in: a password change moves the user's on, and
/// every session begun under an older one ends at its next request.
const GENERATION: &str = "generation";

/// A session ends after this long without a request (enforced by the store's expiry)…
pub const IDLE_TIMEOUT: Duration = Duration::hours(8);
/// …which a request pushes back only when the session was last saved this long ago, so
/// that reading a page does not cost a write: the idle timeout is kept within this much.
pub const SEEN_RESOLUTION: Duration = Duration::minutes(5);
/// …and this long after sign-in, however busy it is.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::days(7);

/// Also what `GET /api/v1/me` answers.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Me)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub team_id: Option<i64>,
    /// The IANA time zone dates are read in, such as `Europe/Paris`.
    pub time_zone: String,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn manages(&self) -> bool {
        self.role.manages()
    }

    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or(&self.name)
    }
}

pub fn session_error(err: tower_sessions::session::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("session store: {err}"))
}

pub async fn session_from_parts(parts: &mut Parts, state: &AppState) -> Result<Session> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| AppError::Internal(anyhow::anyhow!("session layer missing: {msg}")))
}

/// Marks the session as signed in, under a fresh id so that a session id known before
/// sign-in (fixation) is worthless after it, and under the user's current session
/// generation, so that it ends when the password changes.
pub async fn sign_in(session: &Session, user_id: i64, generation: i32) -> Result<()> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(USER_ID, user_id)
        .await
        .map_err(session_error)?;
    session
        .insert(GENERATION, generation)
        .await
        .map_err(session_error)?;
    session
        .insert(AUTHENTICATED_AT, OffsetDateTime::now_utc().unix_timestamp())
        .await
        .map_err(session_error)?;
    super::csrf::rotate_token(session).await?;
    Ok(())
}

/// Deletes the session on the server, not just the cookie.
pub async fn sign_out(session: &Session) -> Result<()> {
    session.flush().await.map_err(session_error)?;
    // `flush` keeps the record's id: anything stored afterwards (the sign-out flash, a new
    // CSRF token) would bring the old session id back to life. Start afresh under a new id.
    session.cycle_id().await.map_err(session_error)
}

/// The user of this request, if signed in with a live session and still active.
pub async fn current_user(parts: &mut Parts, state: &AppState) -> Result<Option<CurrentUser>> {
    if let Some(user) = parts.extensions.get::<CurrentUser>() {
        return Ok(Some(user.clone()));
    }
    let session = session_from_parts(parts, state).await?;
    let Some(user_id) = session.get::<i64>(USER_ID).await.map_err(session_error)? else {
        return Ok(None);
    };
    let authenticated_at = session
        .get::<i64>(AUTHENTICATED_AT)
        .await
        .map_err(session_error)?
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok());
    let fresh = authenticated_at.is_some_and(|t| OffsetDateTime::now_utc() - t < ABSOLUTE_TIMEOUT);
    let generation = session
        .get::<i32>(GENERATION)
        .await
        .map_err(session_error)?
        .unwrap_or_default();
    let user = if fresh {
        load_active_user(&state.db, user_id, generation).await?
    } else {
        None
    };
    match user {
        Some(user) => {
            keep_alive(&session).await?;
            parts.extensions.insert(user.clone());
            Ok(Some(user))
        }
        None => {
            // Expired, the user deactivated, or the password changed since sign-in: end
            // the session on the server.
            sign_out(&session).await?;
            Ok(None)
        }
    }
}

/// Marks the session as in use (which saves it with a new expiry) when it was last marked
/// more than [`SEEN_RESOLUTION`] ago.
async fn keep_alive(session: &Session) -> Result<()> {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let seen_at = session.get::<i64>(SEEN_AT).await.map_err(session_error)?;
    if seen_at.is_none_or(|t| now - t >= SEEN_RESOLUTION.whole_seconds()) {
        session.insert(SEEN_AT, now).await.map_err(session_error)?;
    }
    Ok(())
}

async fn load_active_user(
    db: &sqlx::PgPool,
    id: i64,
    generation: i32,
) -> sqlx::Result<Option<CurrentUser>> {
    sqlx::query_as!(
        CurrentUser,
        r#"select id, email::text as "email!", name, role as "role: Role", team_id, time_zone
           from users where id = $1 and active and session_generation = $2"#,
        id,
        generation
    )
    .fetch_optional(db)
    .await
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        match current_user(parts, state).await? {
            Some(user) => Ok(user),
            None => {
                // Only a page the browser can simply reload is worth coming back to.
                let next = (parts.method == axum::http::Method::GET)
                    .then(|| parts.uri.path_and_query().map(|pq| pq.as_str().to_string()))
                    .flatten();
                Err(AppError::Unauthenticated { next })
            }
        }
    }
}

/// Extractor for pages only admins may open.
pub struct Admin(pub CurrentUser);

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if user.is_admin() {
            Ok(Admin(user))
        } else {
            Err(AppError::NotFound)
        }
    }
}

/// A `next` target after sign-in, kept only if it is a path on this site.
pub fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path("/prospects?q=a"), Some("/prospects?q=a"));
        assert_eq!(local_path("//evil.example"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("/a\nb"), None);
        assert_eq!(local_path(""), None);
    }
}
