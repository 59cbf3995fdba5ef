//! Visibility, decided in one place: a rep sees their own prospects, a manager their
//! team's, an admin everyone's. Data-layer functions take a `Scope` and filter by
//! `owner_id = any(scope.owner_ids())`, which the owner-leading indexes serve.

use axum::{extract::FromRequestParts, http::request::Parts};
use sqlx::PgExecutor;

use super::{CurrentUser, Role};
use crate::{
    error::{AppError, Result},
    state::AppState,
};

#[derive(Clone, Debug)]
pub struct Scope {
    /// `None` means every owner.
    owners: Option<Vec<i64>>,
}

impl Scope {
    pub fn everyone() -> Self {
        Scope { owners: None }
    }

    pub fn owners(ids: Vec<i64>) -> Self {
        Scope { owners: Some(ids) }
    }

    pub async fn for_user(db: impl PgExecutor<'_>, user: &CurrentUser) -> sqlx::Result<Self> {
        Ok(match (user.role, user.team_id) {
            (Role::Admin, _) => Scope::everyone(),
            (Role::Manager, Some(team_id)) => {
                let mut ids =
                    sqlx::query_scalar!("select id from users where team_id = $1", team_id)
                        .fetch_all(db)
                        .await?;
                if !ids.contains(&user.id) {
                    ids.push(user.id);
                }
                Scope::owners(ids)
            }
            (Role::Manager | Role::Rep, _) => Scope::owners(vec![user.id]),
        })
    }

    /// For SQL: `($1::bigint[] is null or owner_id = any($1))`.
    pub fn owner_ids(&self) -> Option<&[i64]> {
        self.owners.as_deref()
    }

    pub fn includes(&self, owner_id: i64) -> bool {
        self.owners
            .as_ref()
            .is_none_or(|ids| ids.contains(&owner_id))
    }
}

impl FromRequestParts<AppState> for Scope {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        if let Some(scope) = parts.extensions.get::<Scope>() {
            return Ok(scope.clone());
        }
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let scope = Scope::for_user(&state.db, &user).await?;
        parts.extensions.insert(scope.clone());
        Ok(scope)
    }
}
