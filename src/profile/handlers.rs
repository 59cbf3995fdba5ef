//! The profile page and its token and feed actions. A new token or feed URL is shown in
//! the response to the request that made it, and never again: only its hash is kept, and
//! it is not put in the session (a flash message would store it server-side).

use crate::web::extract::{Form, Path};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use crate::{
    auth::CurrentUser,
    calendar,
    error::{AppError, Result},
    state::AppState,
    tokens,
    web::{FlashKind, FormErrors, Layout, flash},
};

#[derive(Template, WebTemplate)]
#[template(path = "profile/show.html")]
pub struct ProfilePage {
    pub layout: Layout,
    pub user: CurrentUser,
    pub tokens: Vec<tokens::db::TokenRow>,
    /// A token just created: shown this once.
    pub new_token: Option<String>,
    pub token_name: String,
    pub errors: FormErrors,
    pub feed: Option<calendar::db::Feed>,
    /// A feed URL just created: shown this once.
    pub new_feed_url: Option<String>,
    pub api_base: String,
}

async fn page(state: &AppState, layout: Layout, user: CurrentUser) -> Result<ProfilePage> {
    Ok(ProfilePage {
        tokens: tokens::db::list(&state.db, user.id).await?,
        feed: calendar::db::current(&state.db, user.id).await?,
        api_base: format!(
            "{}/api/v1",
            state.config.base_url.as_str().trim_end_matches('/')
        ),
        layout,
        user,
        new_token: None,
        token_name: String::new(),
        errors: FormErrors::default(),
        new_feed_url: None,
    })
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
) -> Result<ProfilePage> {
    page(&state, layout, user).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Form(form): Form<TokenForm>,
) -> Result<Response> {
    let name = match tokens::db::parse_name(&form.name) {
        Ok(name) => name,
        Err(message) => {
            let mut page = page(&state, layout, user).await?;
            page.errors.add("name", message);
            page.token_name = form.name;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let mut conn = state.db.acquire().await?;
    let issued = tokens::db::issue(&mut conn, user.id, &name).await?;
    drop(conn);
    let mut page = page(&state, layout, user).await?;
    page.new_token = Some(issued.token);
    Ok((StatusCode::CREATED, page).into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Redirect> {
    if !tokens::db::revoke(&state.db, user.id, id).await? {
        return Err(AppError::NotFound);
    }
    flash(
        &session,
        FlashKind::Success,
        "Token revoked: requests sending it are refused from now on.",
    )
    .await?;
    Ok(Redirect::to("/profile#api"))
}

pub async fn replace_feed(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
) -> Result<Response> {
    let mut tx = state.db.begin().await?;
    let secret = calendar::db::replace(&mut tx, user.id).await?;
    tx.commit().await?;
    let mut page = page(&state, layout, user).await?;
    page.new_feed_url = Some(calendar::feed_url(&state.config.base_url, &secret));
    Ok((StatusCode::CREATED, page).into_response())
}

pub async fn revoke_feed(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
) -> Result<Redirect> {
    let message = if calendar::db::revoke(&state.db, user.id).await? {
        "Calendar feed turned off: calendars subscribed to it stop updating."
    } else {
        "There was no calendar feed to turn off."
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to("/profile#calendar"))
}
