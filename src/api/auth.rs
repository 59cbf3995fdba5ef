//! Who is calling the API: the owner of the bearer token, with their visibility `Scope`.
//!
//! Only `Authorization: Bearer` is read. The API has no session layer, so a browser's
//! session cookie means nothing here: a page on another site cannot make a signed-in
//! browser call the API (no CSRF), and a script cannot borrow a browser's session.

use axum::{
    extract::FromRequestParts,
    http::{header, request::Parts},
};

use super::problem::ApiError;
use crate::{
    auth::{CurrentUser, Scope},
    state::AppState,
    tokens,
};

pub struct ApiUser {
    pub user: CurrentUser,
    pub scope: Scope,
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .ok_or(ApiError::Unauthenticated)?;
        let user = tokens::db::authenticate(&state.db, token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        let scope = Scope::for_user(&state.db, &user).await?;
        Ok(ApiUser { user, scope })
    }
}
