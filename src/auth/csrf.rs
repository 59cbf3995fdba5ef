//! CSRF protection in two layers.
//!
//! 1. tower-http's `CsrfLayer` refuses cross-origin state-changing requests from the
//!    `Sec-Fetch-Site` and `Origin` headers browsers send.
//! 2. `require_token` (below) demands the session's synchronizer token on every
//!    state-changing request, as the `csrf_token` form field or the `X-CSRF-Token` header,
//!    which also covers old browsers that send neither header.

use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use subtle::ConstantTimeEq as _;
use tower_sessions::Session;

use super::session::session_error;
use crate::error::{AppError, Result};

const TOKEN: &str = "csrf_token";
pub const FORM_FIELD: &str = "csrf_token";
pub const HEADER: &str = "x-csrf-token";
/// Forms are small; larger uploads carry the token in the header or query string.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;

fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The session's token, created on first use.
pub async fn token(session: &Session) -> Result<String> {
    if let Some(token) = session.get::<String>(TOKEN).await.map_err(session_error)? {
        return Ok(token);
    }
    rotate_token(session).await
}

pub async fn rotate_token(session: &Session) -> Result<String> {
    let token = new_token();
    session
        .insert(TOKEN, token.clone())
        .await
        .map_err(session_error)?;
    Ok(token)
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn find_field(encoded: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(encoded)
        .find(|(k, _)| k == FORM_FIELD)
        .map(|(_, v)| v.into_owned())
}

fn refused() -> Response {
    AppError::CsrfRefused.into_response()
}

/// Middleware: refuses a state-changing request that does not carry the session's token.
pub async fn require_token(request: Request, next: Next) -> Response {
    if !is_state_changing(request.method()) {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return refused();
    };
    let expected = match session.get::<String>(TOKEN).await {
        Ok(Some(token)) => token,
        Ok(None) => return refused(),
        Err(err) => {
            return AppError::Internal(anyhow::anyhow!("session store: {err}")).into_response();
        }
    };

    let (parts, body) = request.into_parts();
    let from_header = parts
        .headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let from_query = || parts.uri.query().and_then(|q| find_field(q.as_bytes()));
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));

    let (provided, body) = if let Some(token) = from_header {
        (Some(token), body)
    } else if is_form {
        let bytes = match to_bytes(body, MAX_FORM_BYTES).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return AppError::Rejected(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "The form is larger than the server accepts (2 MiB). Shorten the longest text."
                        .into(),
                )
                .into_response();
            }
        };
        (find_field(&bytes), Body::from(bytes))
    } else {
        (from_query(), body)
    };

    let valid = provided.is_some_and(|p| bool::from(p.as_bytes().ct_eq(expected.as_bytes())));
    if !valid {
        tracing::warn!(path = %parts.uri.path(), "refused a request without a valid CSRF token");
        return refused();
    }
    next.run(Request::from_parts(parts, body)).await
}
