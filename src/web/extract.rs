//! The pages' extractors: axum's `Form`, `Query`, `Path` and `Multipart`, with the input
//! rule applied (`crate::input`) and every rejection rendered as our error page instead
//! of the framework's plain text. Page handlers use these, never axum's own (clippy's
//! `disallowed-types` says so).

#![allow(clippy::disallowed_types)]

use axum::{
    body::Bytes,
    extract::{
        FromRequest, FromRequestParts, Request,
        multipart::MultipartRejection,
        rejection::{BytesRejection, PathRejection, QueryRejection},
    },
    http::{StatusCode, header, request::Parts},
};
use serde::de::DeserializeOwned;

use crate::{error::AppError, input};

/// A URL-encoded form body, decoded strictly: bytes that are not UTF-8 are refused, not
/// replaced. Control characters pass through to the form's validation (`FormErrors`), so
/// that the page can show them as a field error with what was typed kept.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| {
                v.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            });
        if !is_form {
            return Err(AppError::Rejected(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "This address takes a form sent by the page it belongs to.".into(),
            ));
        }
        let body = Bytes::from_request(req, state)
            .await
            .map_err(body_rejection)?;
        if let Some((field, input::NOT_UTF8)) = input::urlencoded_problem(&body) {
            return Err(AppError::BadRequest(format!(
                "The form's field “{}” is not valid UTF-8 text. Send the form from its page.",
                input::visible(&field, 60)
            )));
        }
        serde_urlencoded::from_bytes(&body)
            .map(Form)
            .map_err(|err| unusable("The form", &err.to_string()))
    }
}

/// The query string, decoded strictly and held to the text rule as a whole: a search or
/// filter with a control character is refused with a page that says which.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let raw = parts.uri.query().unwrap_or_default();
        if let Some((field, problem)) = input::urlencoded_problem(raw.as_bytes()) {
            return Err(AppError::BadRequest(format!(
                "The address's “{}”: {problem}",
                input::visible(&field, 60)
            )));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|rejection| match rejection {
                QueryRejection::FailedToDeserializeQueryString(err) => {
                    unusable("The address", &err.body_text())
                }
                other => unusable("The address", &other.body_text()),
            })
    }
}

/// A path parameter; one that does not parse (`/prospects/abc`) names nothing there is.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|_: PathRejection| AppError::NotFound)
    }
}

/// A multipart body (the CSV upload); a request that is not one is refused with our page.
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Multipart)
            .map_err(|_: MultipartRejection| {
                AppError::Rejected(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "Send the file with the upload form (multipart/form-data).".into(),
                )
            })
    }
}

fn body_rejection(rejection: BytesRejection) -> AppError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::Rejected(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The form is larger than the server accepts (2 MiB). Shorten the longest text.".into(),
        ),
        _ => AppError::BadRequest("The form did not arrive whole; send it again.".into()),
    }
}

/// What is said of a form or address whose values do not fit what the page takes: the
/// parser's words after its own prefix (they name the field or the value), in our page.
fn unusable(what: &str, detail: &str) -> AppError {
    let detail = detail.rsplit(": ").next().unwrap_or(detail);
    let detail: String = detail.chars().take(200).collect();
    AppError::BadRequest(format!(
        "{what} holds a value this page cannot use ({detail}). Go back and try again."
    ))
}
