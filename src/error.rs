//! One error type for handlers. Client errors render a helpful page; server errors are
//! logged with an id that the page shows, and never leak their details. The pages are
//! drawn by `web::error_page`, above the session and the layout they need; the API turns
//! the same errors into problem documents (`api::problem`).

use axum::http::StatusCode;

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
    /// A state-changing request without the session's CSRF token (`auth::csrf`): the page
    /// was opened in a session that has since ended, or the request is not from our pages.
    #[error("refused: no valid CSRF token")]
    CsrfRefused,
    /// A request refused before its handler ran (a body too large, not a form), with the
    /// status that says why.
    #[error("rejected ({0}): {1}")]
    Rejected(StatusCode, String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
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
