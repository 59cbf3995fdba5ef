//! The sign-in and sign-out pages.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{ConnectInfo, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{password, recovery, session, throttle};
use crate::{
    error::Result,
    state::AppState,
    users,
    web::{FlashKind, Layout, flash},
};

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub layout: Layout,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

pub async fn login_page(layout: Layout, Query(query): Query<LoginQuery>) -> Response {
    if layout.user.is_some() {
        let target = session::local_path(&query.next).unwrap_or("/").to_string();
        return Redirect::to(&target).into_response();
    }
    LoginPage {
        layout,
        email: String::new(),
        next: query.next,
        error: None,
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    session: Session,
    layout: Layout,
    Form(form): Form<LoginForm>,
) -> Result<Response> {
    let email = form.email.trim().to_lowercase();
    let client_ip = client.ip();
    let refuse = |layout: Layout, status: StatusCode, message: String| {
        let page = LoginPage {
            layout,
            email: form.email.clone(),
            next: form.next.clone(),
            error: Some(message),
        };
        Ok((status, page).into_response())
    };

    if let Some(wait) = throttle::retry_after(&state.db, &email, client_ip).await? {
        let minutes = (wait.whole_seconds() + 59) / 60;
        return refuse(
            layout,
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-ins. Try again in {minutes} minute{}.",
                if minutes == 1 { "" } else { "s" }
            ),
        );
    }

    let candidate = users::db::find_for_login(&state.db, &email).await?;
    let stored_hash = candidate.as_ref().and_then(|c| c.password_hash.clone());
    let verified = password::verify_password(&state, form.password.clone(), stored_hash).await?;
    let user_id = candidate.filter(|_| verified).map(|c| c.id);
    throttle::record_attempt(&state.db, &email, client_ip, user_id.is_some()).await?;

    let Some(user_id) = user_id else {
        // The same answer whether the email is unknown or the password wrong.
        return refuse(
            layout,
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an active account.".into(),
        );
    };

    throttle::forget_failures(&state.db, &email).await?;
    session::sign_in(&session, user_id).await?;
    let target = session::local_path(&form.next).unwrap_or("/");
    Ok(Redirect::to(target).into_response())
}

pub async fn logout(session: Session) -> Result<Response> {
    session::sign_out(&session).await?;
    flash(&session, FlashKind::Info, "You have signed out.").await?;
    Ok(Redirect::to("/login").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/forgot.html")]
pub struct ForgotPage {
    pub layout: Layout,
    pub email: String,
    pub sent: bool,
}

pub async fn forgot_page(layout: Layout) -> ForgotPage {
    ForgotPage {
        layout,
        email: String::new(),
        sent: false,
    }
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// At most this many reset emails per account and hour: a stranger cannot flood an inbox.
const RESETS_PER_HOUR: i64 = 3;

/// Answers the same whether or not the email belongs to an account.
pub async fn forgot(
    State(state): State<AppState>,
    layout: Layout,
    Form(form): Form<ForgotForm>,
) -> Result<ForgotPage> {
    let email = form.email.trim().to_lowercase();
    let mut tx = state.db.begin().await?;
    let user = sqlx::query!(
        r#"select id, name from users where email = $1 and active"#,
        email
    )
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(user) = user
        && recovery::recent_resets(&mut tx, user.id).await? < RESETS_PER_HOUR
    {
        let to = recovery::Recipient {
            user_id: user.id,
            email: &email,
            name: &user.name,
        };
        recovery::issue(&mut tx, &state, &to, recovery::Purpose::PasswordReset).await?;
        crate::scheduler::notify(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(ForgotPage {
        layout,
        email: form.email,
        sent: true,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/reset.html")]
pub struct ResetPage {
    pub layout: Layout,
    pub token: String,
    /// `None` when the link is unknown, used or expired.
    pub for_name: Option<String>,
    pub is_invitation: bool,
    pub error: Option<String>,
}

#[derive(Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

/// Shows the form for a valid link; looking does not use it up.
pub async fn reset_page(
    State(state): State<AppState>,
    layout: Layout,
    Query(query): Query<ResetQuery>,
) -> Result<Response> {
    let mut conn = state.db.acquire().await?;
    let found = recovery::find(&mut conn, &query.token, false).await?;
    let status = if found.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    let page = ResetPage {
        layout,
        token: query.token,
        is_invitation: found
            .as_ref()
            .is_some_and(|t| t.purpose == recovery::Purpose::Invitation),
        for_name: found.map(|t| t.name),
        error: None,
    };
    Ok((status, page).into_response())
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm: String,
}

pub async fn reset(
    State(state): State<AppState>,
    layout: Layout,
    session: Session,
    Form(form): Form<ResetForm>,
) -> Result<Response> {
    let mut tx = state.db.begin().await?;
    let Some(token) = recovery::find(&mut tx, &form.token, true).await? else {
        let page = ResetPage {
            layout,
            token: form.token,
            for_name: None,
            is_invitation: false,
            error: None,
        };
        return Ok((StatusCode::NOT_FOUND, page).into_response());
    };
    let problem = match password::check_policy(&form.password) {
        Err(message) => Some(message),
        Ok(()) if form.password != form.confirm => Some("The two passwords differ.".to_string()),
        Ok(()) => None,
    };
    if let Some(message) = problem {
        let page = ResetPage {
            layout,
            token: form.token,
            is_invitation: token.purpose == recovery::Purpose::Invitation,
            for_name: Some(token.name),
            error: Some(message),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let hash = password::hash_password(&state, form.password).await?;
    users::db::set_password(&mut *tx, token.user_id, &hash).await?;
    recovery::consume(&mut tx, &token).await?;
    tx.commit().await?;
    flash(
        &session,
        FlashKind::Success,
        format!("Password set. Sign in as {}.", token.email),
    )
    .await?;
    Ok(Redirect::to("/login").into_response())
}
