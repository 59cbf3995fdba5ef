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

use super::{password, session, throttle};
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
