//! The JSON API under `/api/v1`, for integrations, and its OpenAPI 3.1 document at
//! `/api/openapi.json`, generated from the handlers and types below (utoipa), so that it
//! says what the server does.
//!
//! * **Authentication**: personal API tokens (`tokens`), as `Authorization: Bearer`. No
//!   cookies: the API is outside the session and CSRF layers, and a browser's session
//!   opens nothing here.
//! * **Visibility**: the token's owner's `Scope`, exactly as on the pages; a row outside
//!   it is not found.
//! * **Writes** go through the functions the forms use (prospect save, `log_interaction`,
//!   `touches::actions`, `enrollments::db`), with the forms' validation.
//! * **Errors** are `application/problem+json` (RFC 9457) with per-field `errors`.
//! * **Lists** are cursor-paginated (`pagination`); bodies are limited to
//!   [`MAX_BODY_BYTES`].

pub mod accounts;
pub mod auth;
pub mod cadences;
pub mod contract;
pub mod interactions;
pub mod opportunities;
pub mod pagination;
pub mod problem;
pub mod prospects;
pub mod touches;

use std::time::Duration;

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    http::StatusCode,
    routing::{get, post},
};
use tower_http::timeout::TimeoutLayer;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self, Content, RefOr, ResponseBuilder,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use self::{
    auth::ApiUser,
    problem::{ApiError, Problem},
};
use crate::state::AppState;

/// The largest request body the API reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

const TIMEOUT: Duration = Duration::from_secs(30);

/// The routes under `/api`, nested there by `startup::app`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/v1/me", get(me))
        .route(
            "/v1/prospects",
            get(prospects::list).post(prospects::create),
        )
        .route(
            "/v1/prospects/{id}",
            get(prospects::get).patch(prospects::update),
        )
        .route(
            "/v1/prospects/{id}/interactions",
            get(interactions::list).post(interactions::log),
        )
        .route("/v1/prospects/{id}/enrollment", post(cadences::enroll))
        .route("/v1/accounts", get(accounts::list).post(accounts::create))
        .route(
            "/v1/accounts/{id}",
            get(accounts::get).put(accounts::update),
        )
        .route("/v1/touches", get(touches::list))
        .route("/v1/touches/{id}/complete", post(touches::complete))
        .route("/v1/touches/{id}/skip", post(touches::skip))
        .route("/v1/touches/{id}/snooze", post(touches::snooze))
        .route("/v1/opportunities", get(opportunities::list))
        .route("/v1/opportunities/{id}", get(opportunities::get))
        .route(
            "/v1/opportunities/{id}/stage",
            post(opportunities::move_stage),
        )
        .route("/v1/cadences", get(cadences::list))
        .route("/v1/cadences/{id}", get(cadences::get))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async {
            ApiError::Rejected(
                StatusCode::METHOD_NOT_ALLOWED,
                "This resource does not take that method.".into(),
            )
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            TIMEOUT,
        ))
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Prospector API",
        description = "Prospects, accounts, interactions, touches, opportunities and cadences, \
            as the pages show them to the token's owner. Authenticate with a personal API token \
            (profile page, or `prospector token create --user EMAIL`) sent as \
            `Authorization: Bearer <token>`. Lists are cursor-paginated: pass a page's \
            `next_cursor` as `cursor` for the next one. Errors are RFC 9457 problem documents. \
            Every request body is checked against its schema here, and one the schema forbids \
            is refused with 422 and a problem per field; unknown fields are refused too. Texts \
            may not hold control characters other than tab, line feed and carriage return; a \
            required text must hold more than white space; dates run from 1900-01-01 to \
            2099-12-31. What a schema cannot say is in the field's description: a date after \
            today (in your time zone), a cursor the list gave out (both 422), an email \
            another prospect has (409)."
    ),
    paths(
        me,
        prospects::list, prospects::get, prospects::create, prospects::update,
        interactions::list, interactions::log,
        accounts::list, accounts::get, accounts::create, accounts::update,
        touches::list, touches::complete, touches::skip, touches::snooze,
        opportunities::list, opportunities::get, opportunities::move_stage,
        cadences::list, cadences::get, cadences::enroll,
    ),
    // Types that only parameters name, which the derive does not collect by itself.
    components(schemas(
        Problem, problem::FieldProblem, prospects::ProspectSort, prospects::Tag,
    )),
    modifiers(&Conventions),
    tags(
        (name = "me", description = "The token's owner"),
        (name = "prospects", description = "The people being prospected"),
        (name = "interactions", description = "Logged touches and the interest decisions made in them"),
        (name = "accounts", description = "The prospects' companies"),
        (name = "touches", description = "Scheduled steps to work: due list, complete, skip, snooze"),
        (name = "opportunities", description = "Current interest as a pipeline"),
        (name = "cadences", description = "Pursue and nurture plans, and enrolling prospects in them"),
    )
)]
pub struct ApiDoc;

/// What every operation shares, added to the document in one place: the bearer scheme,
/// and the problem responses any request can get.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A personal API token, `pt_…`."))
                    .build(),
            ),
        );
        doc.security = Some(vec![openapi::security::SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        problem::CONTENT_TYPE,
                        Content::new(Some(RefOr::Ref(openapi::Ref::from_schema_name("Problem")))),
                    )
                    .build(),
            )
        };
        for (path, item) in doc.paths.paths.iter_mut() {
            let has_id = path.contains('{');
            let operations = [
                item.get.as_mut(),
                item.post.as_mut(),
                item.put.as_mut(),
                item.patch.as_mut(),
                item.delete.as_mut(),
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description));
                };
                add(
                    "400",
                    "The request could not be read (malformed JSON or query).",
                );
                add("401", "No live API token was sent.");
                add("422", "Some fields are invalid: see `errors`.");
                add("500", "A server error; it was logged under `error_id`.");
                add("503", "The request took too long and was abandoned.");
                if has_id {
                    add("404", "Not found, or not visible to you.");
                }
                if operation.request_body.is_some() {
                    add("413", "The body is larger than the API accepts.");
                    add("415", "The body is not JSON.");
                }
            }
        }
    }
}

/// The OpenAPI document, with this server's address.
pub fn document(base_url: &url::Url) -> serde_json::Value {
    contract::document(base_url)
}

async fn openapi_json(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(document(&state.config.base_url))
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", operation_id = "getMe",
    responses((status = 200, description = "The token's owner", body = crate::auth::CurrentUser)))]
pub async fn me(api: ApiUser) -> Json<crate::auth::CurrentUser> {
    Json(api.user)
}
