//! `/api/v1/touches`: a rep's due touches, and working them: complete (by logging an
//! interaction), skip, snooze. Each action runs `touches::actions`, which the pages use.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use utoipa::{IntoParams, ToSchema};

use super::{
    auth::ApiUser,
    interactions::{Interaction, LogInteraction},
    pagination,
    problem::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, invalid},
    prospects::Ref,
};
use crate::{
    interactions::Channel,
    state::AppState,
    touches::{
        TouchKind, actions,
        handlers::end_of_today,
        queue::{self, QueuedTouch},
    },
    web::{FormErrors, cursor},
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TouchListQuery {
    /// Whose queue: yours by default; a manager may name a rep of their team, an admin
    /// anyone. Someone outside what you can see is not found (404).
    pub owner_id: Option<i64>,
    /// Touches due before this time (RFC 3339); by default the end of today in your
    /// time zone, which makes the list what work mode shows: overdue first, then today's.
    #[param(value_type = Option<String>, format = DateTime)]
    pub until: Option<String>,
    /// The `next_cursor` of the previous page, as given; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CadenceStep {
    pub cadence: String,
    pub position: i32,
    /// How many steps the cadence has.
    pub of: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Touch {
    pub id: i64,
    pub kind: TouchKind,
    pub channel: Channel,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    pub prospect: Ref,
    pub account_name: Option<String>,
    pub owner_name: String,
    /// For a cadence step: which one.
    pub step: Option<CadenceStep>,
    pub instructions: Option<String>,
    /// The step's message with this prospect's merge fields filled in.
    pub message: Option<String>,
}

impl From<QueuedTouch> for Touch {
    fn from(t: QueuedTouch) -> Self {
        let message = t.message();
        let step = match (&t.cadence_name, t.position, t.step_count) {
            (Some(cadence), Some(position), Some(of)) => Some(CadenceStep {
                cadence: cadence.clone(),
                position,
                of,
            }),
            _ => None,
        };
        Touch {
            prospect: Ref {
                id: t.prospect_id,
                name: t.prospect_name(),
            },
            id: t.id,
            kind: t.kind,
            channel: t.channel,
            due_at: t.due_at,
            account_name: t.account_name,
            owner_name: t.owner_name,
            step,
            instructions: t.instructions.filter(|i| !i.trim().is_empty()),
            message,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TouchList {
    pub data: Vec<Touch>,
    pub next_cursor: Option<String>,
}

/// List the touches due (pending, due before `until`), oldest first.
#[utoipa::path(get, path = "/api/v1/touches", tag = "touches", operation_id = "listDueTouches",
    params(TouchListQuery),
    responses(
        (status = 200, description = "One page of due touches", body = TouchList),
        (status = 404, description = "`owner_id` names someone outside what you can see", body = super::problem::Problem,
         content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiUser,
    ApiQuery(query): ApiQuery<TouchListQuery>,
) -> ApiResult<Json<TouchList>> {
    let owner_id = query.owner_id.unwrap_or(api.user.id);
    if !api.scope.includes(owner_id) {
        return Err(ApiError::NotFound);
    }
    let until = match query.until.as_deref() {
        None => end_of_today(&api.user.time_zone),
        Some(raw) => OffsetDateTime::parse(raw, &Rfc3339).map_err(|_| {
            invalid(
                "until",
                "Give the time in RFC 3339, such as 2026-07-01T23:59:59Z.",
            )
        })?,
    };
    let limit = pagination::limit(query.limit)?;
    let after = pagination::decode(query.cursor.as_deref(), cursor::decode_time_id)?;
    let mut rows = queue::due_for_owner_after(&state.db, owner_id, until, after, limit + 1).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|t| pagination::encode(&cursor::encode_time_id(t.due_at, t.id)))
    } else {
        None
    };
    Ok(Json(TouchList {
        data: rows.into_iter().map(Touch::from).collect(),
        next_cursor,
    }))
}

/// What a touch action's answer (`touches::actions`) means for the API: not in the scope
/// is not found, already closed is a conflict.
fn worked(answer: Option<bool>) -> ApiResult<()> {
    match answer {
        None => Err(ApiError::NotFound),
        Some(false) => Err(ApiError::Conflict(
            "This touch is already done or skipped.".into(),
        )),
        Some(true) => Ok(()),
    }
}

/// Complete a touch by logging the interaction that worked it (with its decision); a
/// cadence step schedules the next step.
#[utoipa::path(post, path = "/api/v1/touches/{id}/complete", tag = "touches",
    operation_id = "completeTouch",
    params(("id" = i64, Path, description = "The touch's id")),
    request_body = LogInteraction,
    responses(
        (status = 201, description = "Logged; the touch is done", body = Interaction),
        (status = 409, description = "The touch was already done or skipped", body = super::problem::Problem,
         content_type = "application/problem+json")))]
pub async fn complete(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<LogInteraction>,
) -> ApiResult<(StatusCode, Json<Interaction>)> {
    let valid = body.validate(&api.user.time_zone)?;
    let mut tx = state.db.begin().await?;
    worked(actions::complete(&mut tx, &api.scope, api.user.id, id, &valid).await?)?;
    let interaction_id = sqlx::query_scalar!(
        r#"select interaction_id as "interaction_id!" from touches where id = $1"#,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(super::interactions::load(&state, &api, interaction_id).await?),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SkipTouch {
    /// Why the touch is skipped.
    #[schema(
        example = "Out of office until next week",
        min_length = 1,
        max_length = 500
    )]
    pub reason: String,
}

/// Skip a touch, saying why; a cadence step moves the cadence on.
#[utoipa::path(post, path = "/api/v1/touches/{id}/skip", tag = "touches", operation_id = "skipTouch",
    params(("id" = i64, Path, description = "The touch's id")),
    request_body = SkipTouch,
    responses(
        (status = 204, description = "Skipped"),
        (status = 409, description = "The touch was already done or skipped", body = super::problem::Problem,
         content_type = "application/problem+json")))]
pub async fn skip(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SkipTouch>,
) -> ApiResult<StatusCode> {
    let reason = actions::parse_skip_reason(&body.reason).map_err(|m| invalid("reason", m))?;
    let mut tx = state.db.begin().await?;
    worked(actions::skip(&mut tx, &api.scope, api.user.id, id, reason).await?)?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SnoozeTouch {
    /// The date the touch comes back, at the start of the owner's working day: after
    /// today in your time zone, else 422.
    #[schema(value_type = String, format = Date, example = "2099-07-06")]
    pub until: String,
}

/// Snooze a touch to a later date.
#[utoipa::path(post, path = "/api/v1/touches/{id}/snooze", tag = "touches", operation_id = "snoozeTouch",
    params(("id" = i64, Path, description = "The touch's id")),
    request_body = SnoozeTouch,
    responses(
        (status = 204, description = "Snoozed"),
        (status = 409, description = "The touch was already done or skipped", body = super::problem::Problem,
         content_type = "application/problem+json")))]
pub async fn snooze(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SnoozeTouch>,
) -> ApiResult<StatusCode> {
    let mut errors = FormErrors::default();
    let until = errors.optional_date("until", &body.until);
    let until =
        actions::check_snooze_until(until, &api.user.time_zone).map_err(|m| invalid("until", m))?;
    let mut tx = state.db.begin().await?;
    worked(actions::snooze(&mut tx, &api.scope, api.user.id, id, until).await?)?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
