//! The error page: how an `AppError` looks to a person. Client errors say what to do;
//! server errors are logged with an id that the page shows, and never leak their details.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};

use super::Layout;
use crate::error::AppError;

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
            AppError::CsrfRefused => (
                StatusCode::FORBIDDEN,
                ErrorPage {
                    layout: Layout::default(),
                    status: 403,
                    title: "This form has expired",
                    message: "For your security the request was refused. Go back, reload the \
                              page and try again."
                        .into(),
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
