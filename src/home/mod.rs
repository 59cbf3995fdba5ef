//! The front page sends each role where its work is (reps to Today, managers and admins
//! to the dashboard), and `/healthz` reports liveness.

use axum::{
    Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};

use crate::{auth::CurrentUser, state::AppState, users::Role};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
}

async fn home(user: CurrentUser) -> Redirect {
    match user.role {
        Role::Rep => Redirect::to("/today"),
        Role::Manager | Role::Admin => Redirect::to("/dashboard"),
    }
}

/// 200 when the database answers within two seconds, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    let probe = sqlx::query_scalar!("select 1 as \"one!\"").fetch_one(&state.db);
    match tokio::time::timeout(std::time::Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ok").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}
