//! Errors as `application/problem+json` (RFC 9457): a `type`, a `title`, the `status`, a
//! `detail` for people, and for invalid input the `errors` member, one entry per field,
//! with the same messages the forms show. The extractors here are the API's edge: they
//! hold every body and query to the input rule (`crate::input`).

#![allow(clippy::disallowed_types)]

use axum::{
    Json,
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{JsonRejection, PathRejection, QueryRejection},
    },
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use utoipa::ToSchema;

use crate::{error::AppError, input, web::FormErrors};

pub const CONTENT_TYPE: &str = "application/problem+json";

/// A problem with a request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    #[schema(example = "https://prospector.dev/problems/invalid-input")]
    pub kind: String,
    /// A short summary of the kind of problem.
    #[schema(example = "Some fields are invalid")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong this time, for a person.
    pub detail: String,
    /// For invalid input: each field's problem, in the words the forms use.
    pub errors: Vec<FieldProblem>,
    /// For server errors: the id under which the problem was logged.
    pub error_id: Option<String>,
}

/// One field's problem.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    /// The field, as named in the request body (or query).
    #[schema(example = "re_engage_on")]
    pub field: String,
    #[schema(example = "Future interest needs a date to re-engage on.")]
    pub message: String,
}

/// The errors of the API's handlers, each turned into a problem document.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not authenticated")]
    Unauthenticated,
    #[error("not found")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid input")]
    Invalid(FormErrors),
    /// A body or query that the document's schema or the input rule forbids: one problem
    /// per field, named by its path (`tags[2]`, `qualifying.budget`).
    #[error("invalid input")]
    InvalidFields(Vec<FieldProblem>),
    /// One field whose value is well formed but conflicts with what is stored (409).
    #[error("{1}: {2}")]
    Field(StatusCode, &'static str, String),
    #[error("rejected: {1}")]
    Rejected(StatusCode, String),
    #[error(transparent)]
    Internal(#[from] AppError),
}

pub type ApiResult<T> = std::result::Result<T, ApiError>;

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        ApiError::Internal(AppError::Database(err))
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        ApiError::Internal(AppError::Internal(err))
    }
}

impl From<FormErrors> for ApiError {
    fn from(errors: FormErrors) -> Self {
        ApiError::Invalid(errors)
    }
}

/// A one-field error, for checks made outside a form's validation.
pub fn invalid(field: &'static str, message: impl Into<String>) -> ApiError {
    let mut errors = FormErrors::default();
    errors.add(field, message);
    ApiError::Invalid(errors)
}

fn problem(status: StatusCode, kind: &str, title: &str, detail: String) -> Problem {
    Problem {
        kind: if kind == "about:blank" {
            kind.to_string()
        } else {
            format!("https://prospector.dev/problems/{kind}")
        },
        title: title.to_string(),
        status: status.as_u16(),
        detail,
        errors: Vec::new(),
        error_id: None,
    }
}

fn invalid_input(errors: Vec<FieldProblem>) -> Problem {
    let mut p = problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid-input",
        "Some fields are invalid",
        "Correct the fields listed in `errors` and send the request again.".into(),
    );
    p.errors = errors;
    p
}

pub fn respond(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Json(problem)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"prospector\""),
        );
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = match self {
            ApiError::Unauthenticated => problem(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                "Send a live API token as `Authorization: Bearer <token>`; create one on your profile page.".into(),
            ),
            ApiError::NotFound | ApiError::Internal(AppError::NotFound) => problem(
                StatusCode::NOT_FOUND,
                "about:blank",
                "Not found",
                "There is nothing here, or you do not have access to it.".into(),
            ),
            ApiError::Forbidden(detail) => {
                problem(StatusCode::FORBIDDEN, "forbidden", "Not allowed", detail)
            }
            ApiError::Internal(AppError::Forbidden) => problem(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Not allowed",
                "Your role does not allow this.".into(),
            ),
            ApiError::BadRequest(detail) | ApiError::Internal(AppError::BadRequest(detail)) => {
                problem(StatusCode::BAD_REQUEST, "bad-request", "Bad request", detail)
            }
            ApiError::Conflict(detail) => {
                problem(StatusCode::CONFLICT, "conflict", "Conflict", detail)
            }
            ApiError::Invalid(errors) => invalid_input(
                errors
                    .messages()
                    .map(|(field, message)| FieldProblem {
                        field: field.to_string(),
                        message: message.to_string(),
                    })
                    .collect(),
            ),
            ApiError::InvalidFields(errors) => invalid_input(errors),
            ApiError::Field(status, field, message) => {
                let (kind, title) = if status == StatusCode::CONFLICT {
                    ("conflict", "Conflict")
                } else {
                    ("about:blank", status.canonical_reason().unwrap_or("Error"))
                };
                let mut p = problem(status, kind, title, message.clone());
                p.errors = vec![FieldProblem {
                    field: field.to_string(),
                    message,
                }];
                p
            }
            ApiError::Rejected(status, detail) => {
                let title = status.canonical_reason().unwrap_or("Bad request");
                problem(status, "about:blank", title, detail)
            }
            ApiError::Internal(AppError::Unauthenticated { .. }) => {
                return ApiError::Unauthenticated.into_response();
            }
            ApiError::Internal(err) => {
                let error_id = format!("{:08x}", rand::random::<u32>());
                tracing::error!(error_id, error = %err, "API request failed");
                let mut p = problem(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "about:blank",
                    "Internal server error",
                    "The problem has been logged. Please try again in a moment.".into(),
                );
                p.error_id = Some(error_id);
                p
            }
        };
        respond(problem)
    }
}

/// `Json<T>` whose rejections (bad JSON, wrong content type, a body too large) are
/// problems, whose every string (keys too) is held to the input rule, and which refuses a
/// body that `T`'s schema in the OpenAPI document forbids, before the body is read into
/// `T`: each is a 422 naming the field, never a 500.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + ToSchema, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        let Json(mut body) = Json::<serde_json::Value>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        if let Some((field, message)) = text_problem_in(&body, String::new()) {
            return Err(ApiError::InvalidFields(vec![FieldProblem {
                field,
                message: message.to_string(),
            }]));
        }
        super::contract::check_body(&T::name(), &body)?;
        super::contract::integers_as_integers(&mut body);
        serde_path_to_error::deserialize(body)
            .map(ApiJson)
            .map_err(|err| {
                let path = err.path().to_string();
                let detail = if path == "." {
                    format!("The body does not match the schema: {}", err.inner())
                } else {
                    format!(
                        "The body does not match the schema at `{path}`: {}",
                        err.inner()
                    )
                };
                ApiError::Rejected(StatusCode::UNPROCESSABLE_ENTITY, detail)
            })
    }
}

/// The first string in `value` (a key or a value) that breaks the text rule, with its
/// path (`notes`, `tags[2]`, `qualifying.budget`) and the reason.
fn text_problem_in(value: &serde_json::Value, path: String) -> Option<(String, &'static str)> {
    use serde_json::Value;
    match value {
        Value::String(text) => input::text_problem(text).map(|problem| (path, problem)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| text_problem_in(item, format!("{path}[{i}]"))),
        Value::Object(members) => members.iter().find_map(|(key, member)| {
            let inner = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match input::text_problem(key) {
                Some(problem) => Some((input::visible(&inner, 200), problem)),
                None => text_problem_in(member, inner),
            }
        }),
        _ => None,
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let status = rejection.status();
    let detail = match status {
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!(
                "The request body is larger than the API accepts ({} KiB).",
                super::MAX_BODY_BYTES / 1024
            )
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            "Send the body as JSON, with `Content-Type: application/json`.".to_string()
        }
        _ => rejection.body_text(),
    };
    ApiError::Rejected(status, detail)
}

/// `Query<T>` whose rejections are problems.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        let raw = parts.uri.query().unwrap_or_default();
        if let Some((field, message)) = input::urlencoded_problem(raw.as_bytes()) {
            return Err(ApiError::InvalidFields(vec![FieldProblem {
                field: input::visible(&field, 200),
                message: message.to_string(),
            }]));
        }
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|rejection: QueryRejection| {
                ApiError::Rejected(StatusCode::BAD_REQUEST, rejection.body_text())
            })
    }
}

/// `Path<T>` whose rejections are problems (an id that is not a number is not found).
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|_: PathRejection| ApiError::NotFound)
    }
}
