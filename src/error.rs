//! One error type for handlers. Client errors render a helpful page; server errors are
//! logged with an id that the page shows, and never leak their details.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use crate::web::Layout;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Also used for rows outside the caller's scope, so that their existence does not leak.
    #[error("not found")]
    NotFound,
    /// Not signed in: send the browser to the login page and back here afterwards.
    #[error("authentication required")]
    Unauthenticated { next: Option<String> },
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A request refused before its handler ran (a body too large, not a form), with the
    /// status that says why.
    #[error("rejected ({0}): {1}")]
    Rejected(StatusCode, String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub layout: Layout,
    pub status: u16,
    pub title: &'static str,
    pub message: String,
    pub error_id: Option<String>,
}

impl ErrorPage {
    pub fn not_found() -> Self {
        ErrorPage {
            layout: Layout::default(),
            status: 404,
            title: "Page not found",
            message: "There is nothing here, or you do not have access to it.".into(),
            error_id: None,
        }
    }

    pub fn internal(error_id: String) -> Self {
        ErrorPage {
            layout: Layout::default(),
            status: 500,
            title: "Something went wrong",
            message: "The problem has been logged. Please try again in a moment.".into(),
            error_id: Some(error_id),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::NotFound => (StatusCode::NOT_FOUND, ErrorPage::not_found()).into_response(),
            AppError::Unauthenticated { next } => {
                let target = match next {
                    Some(next) => format!(
                        "/login?{}",
                        serde_urlencoded::to_string([("next", next)]).unwrap_or_default()
                    ),
                    None => "/login".to_string(),
                };
                Redirect::to(&target).into_response()
            }
            AppError::Forbidden => (
                StatusCode::FORBIDDEN,
                ErrorPage {
                    layout: Layout::default(),
                    status: 403,
                    title: "Not allowed",
                    message: "Your role does not allow this.".into(),
                    error_id: None,
                },
            )
                .into_response(),
            AppError::BadRequest(message) => (
                StatusCode::BAD_REQUEST,
                ErrorPage {
                    layout: Layout::default(),
                    status: 400,
                    title: "Bad request",
                    message,
                    error_id: None,
                },
            )
                .into_response(),
            AppError::Rejected(status, message) => (
                status,
                ErrorPage {
                    layout: Layout::default(),
                    status: status.as_u16(),
                    title: status.canonical_reason().unwrap_or("Request refused"),
                    message,
                    error_id: None,
                },
            )
                .into_response(),
            AppError::Database(err) => internal_error(&err),
            AppError::Internal(err) => internal_error(&*err),
        }
    }
}

fn internal_error(err: &dyn std::error::Error) -> Response {
    let error_id = format!("{:08x}", rand::random::<u32>());
    tracing::error!(error_id, error = %err, "request failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorPage::internal(error_id),
    )
        .into_response()
}

/// Turns a unique-constraint violation into a value the caller can show as a form error.
pub trait ResultExt<T> {
    fn on_constraint(self, name: &str, map: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

impl<T, E: Into<AppError>> ResultExt<T> for Result<T, E> {
    fn on_constraint(self, name: &str, map: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|e| match e.into() {
            AppError::Database(sqlx::Error::Database(db)) if db.constraint() == Some(name) => map(),
            other => other,
        })
    }
}
