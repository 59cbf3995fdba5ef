//! The sign-in and sign-out pages.

use std::net::SocketAddr;

use crate::web::extract::{Form, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;
use tower_sessions::cookie::Key;

use crate::{
    auth::{device, password, recovery, session, throttle},
    error::Result,
    input,
    state::AppState,
    users,
    web::{FlashKind, FormErrors, Layout, flash, format},
};

/// The longest email address there is (RFC 5321's path limit).
const MAX_EMAIL_BYTES: usize = 254;

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/login.html")]
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
    headers: HeaderMap,
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
        (status, page).into_response()
    };
    // No account has such an email: refused before any look-up, attempt or hash.
    if input::text_problem(&email).is_some() || email.len() > MAX_EMAIL_BYTES {
        return Ok(refuse(
            layout,
            StatusCode::UNPROCESSABLE_ENTITY,
            "Enter the email address of your account.".into(),
        ));
    }

    let candidate = users::db::find_for_login(&state.db, &email).await?;
    // A browser that signed in to this account before is held only by its own failures.
    let key = Key::from(&state.config.cookie_key);
    let secure = state.config.secure_cookies();
    let device = device::read(&headers, &key, secure)
        .filter(|d| candidate.as_ref().is_some_and(|c| c.id == d.user_id))
        .map(|d| d.nonce);
    let device = device.as_deref();

    if let Some(wait) = throttle::retry_after(&state.db, &email, client_ip, device).await? {
        let seconds = wait.whole_seconds().max(1);
        let minutes = (seconds + 59) / 60;
        let at = OffsetDateTime::now_utc() + time::Duration::seconds(seconds);
        let mut response = refuse(
            layout,
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many failed sign-ins. Try again in {minutes} minute{} (at {} UTC). \
                 A browser you have signed in with before is not held up by failures \
                 elsewhere.",
                if minutes == 1 { "" } else { "s" },
                format::datetime(at, "UTC"),
            ),
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&seconds.to_string()).expect("digits"),
        );
        return Ok(response);
    }

    let stored_hash = candidate.as_ref().and_then(|c| c.password_hash.clone());
    let verified = password::verify_password(&state, form.password.clone(), stored_hash).await?;
    let user = candidate.filter(|_| verified);
    throttle::record_attempt(&state.db, &email, client_ip, device, user.is_some()).await?;

    let Some(user) = user else {
        // The same answer whether the email is unknown or the password wrong.
        return Ok(refuse(
            layout,
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an active account.".into(),
        ));
    };

    throttle::forget_failures(&state.db, &email, device).await?;
    session::sign_in(&session, user.id, user.session_generation).await?;
    let target = session::local_path(&form.next).unwrap_or("/");
    let mut response = Redirect::to(target).into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, device::issue(user.id, &key, secure));
    Ok(response)
}

pub async fn logout(session: Session) -> Result<Response> {
    session::sign_out(&session).await?;
    flash(&session, FlashKind::Info, "You have signed out.").await?;
    Ok(Redirect::to("/login").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/forgot.html")]
pub struct ForgotPage {
    pub layout: Layout,
    pub email: String,
    pub sent: bool,
    pub error: Option<String>,
}

pub async fn forgot_page(layout: Layout) -> ForgotPage {
    ForgotPage {
        layout,
        email: String::new(),
        sent: false,
        error: None,
    }
}

#[derive(Deserialize)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

/// Answers the same, and does the same work, whether or not the email belongs to an
/// account: the request is queued and the scheduler sends the link (`recovery`).
pub async fn forgot(
    State(state): State<AppState>,
    layout: Layout,
    Form(form): Form<ForgotForm>,
) -> Result<Response> {
    let email = form.email.trim().to_lowercase();
    let mut errors = FormErrors::default();
    let checked = errors.optional_email("email", &email);
    if checked.is_none() {
        if !errors.has("email") {
            errors.add("email", "Enter the email address of your account.");
        }
        let page = ForgotPage {
            layout,
            email: form.email,
            sent: false,
            error: errors.get("email").map(str::to_owned),
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let mut conn = state.db.acquire().await?;
    recovery::request_reset(&mut conn, &email).await?;
    Ok(ForgotPage {
        layout,
        email: form.email,
        sent: true,
        error: None,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in/reset.html")]
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
