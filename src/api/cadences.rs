//! `/api/v1/cadences` (read) and enrolling a prospect in one, through the same
//! `enrollments::db::enroll_prospect` the prospect page's enroll button uses.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    auth::ApiUser,
    problem::{ApiError, ApiJson, ApiPath, ApiResult},
};
use crate::{
    cadences::{Purpose, db as cadences_db},
    enrollments::db::{self as enrollments_db, EnrollOutcome},
    interactions::Channel,
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct CadenceList {
    pub data: Vec<cadences_db::CadenceSummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Step {
    pub position: i32,
    pub channel: Channel,
    /// Business days after the previous step was done.
    pub delay_business_days: i16,
    /// The time of day the step is due within, `HH:MM`, in the owner's time zone.
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub instructions: String,
    /// The message template, with merge fields such as `{{first_name}}`.
    pub template: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cadence {
    pub id: i64,
    pub name: String,
    pub purpose: Purpose,
    pub description: String,
    pub is_default: bool,
    pub archived: bool,
    pub version: i32,
    pub active_enrollments: i64,
    /// The steps of the latest version.
    pub steps: Vec<Step>,
}

/// List the cadences, archived ones last.
#[utoipa::path(get, path = "/api/v1/cadences", tag = "cadences", operation_id = "listCadences",
    responses((status = 200, description = "Every cadence", body = CadenceList)))]
pub async fn list(State(state): State<AppState>, _api: ApiUser) -> ApiResult<Json<CadenceList>> {
    Ok(Json(CadenceList {
        data: cadences_db::list(&state.db).await?,
    }))
}

/// Read a cadence and the steps of its latest version.
#[utoipa::path(get, path = "/api/v1/cadences/{id}", tag = "cadences", operation_id = "getCadence",
    params(("id" = i64, Path, description = "The cadence's id")),
    responses((status = 200, description = "The cadence", body = Cadence)))]
pub async fn get(
    State(state): State<AppState>,
    _api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Cadence>> {
    let mut conn = state.db.acquire().await?;
    let c = cadences_db::get(&mut conn, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(Cadence {
        id: c.id,
        name: c.name,
        purpose: c.purpose,
        description: c.description,
        is_default: c.is_default,
        archived: c.archived,
        version: c.version,
        active_enrollments: c.active_enrollments,
        steps: c
            .steps
            .into_iter()
            .map(|s| Step {
                position: s.position,
                channel: s.channel,
                delay_business_days: s.delay_business_days,
                window_start: s.window_start.map(crate::cadences::form::hhmm),
                window_end: s.window_end.map(crate::cadences::form::hhmm),
                instructions: s.instructions,
                template: s.template,
            })
            .collect(),
    }))
}

/// Which cadence to enroll in; without one, the default cadence that fits the prospect's
/// interest (nurture for future interest, pursue otherwise).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Enroll {
    /// A cadence that exists and is not archived; else 409, with `errors` naming this field.
    pub cadence_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Enrollment {
    /// The enrollment made; null when the prospect already followed this cadence.
    pub enrollment_id: Option<i64>,
    pub cadence: String,
    pub already_following: bool,
}

/// Enroll a prospect in a cadence, leaving any other one; the first touch is scheduled.
#[utoipa::path(post, path = "/api/v1/prospects/{id}/enrollment", tag = "cadences",
    operation_id = "enrollProspect",
    params(("id" = i64, Path, description = "The prospect's id")),
    request_body = Enroll,
    responses(
        (status = 201, description = "Enrolled", body = Enrollment),
        (status = 200, description = "Already following this cadence", body = Enrollment),
        (status = 409, description = "The prospect asked not to be contacted, or the cadence named does not \
            exist or is archived (then `errors` names `cadence_id`)", body = super::problem::Problem,
         content_type = "application/problem+json")))]
pub async fn enroll(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(prospect_id): ApiPath<i64>,
    ApiJson(body): ApiJson<Enroll>,
) -> ApiResult<(StatusCode, Json<Enrollment>)> {
    let mut tx = state.db.begin().await?;
    let outcome = enrollments_db::enroll_prospect(
        &mut tx,
        &api.scope,
        api.user.id,
        prospect_id,
        body.cadence_id,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let answer = match outcome {
        EnrollOutcome::Enrolled {
            enrollment_id,
            cadence,
        } => (
            StatusCode::CREATED,
            Json(Enrollment {
                enrollment_id: Some(enrollment_id),
                cadence,
                already_following: false,
            }),
        ),
        EnrollOutcome::AlreadyFollowing { cadence } => (
            StatusCode::OK,
            Json(Enrollment {
                enrollment_id: None,
                cadence,
                already_following: true,
            }),
        ),
        EnrollOutcome::DoNotContact => {
            return Err(ApiError::Conflict(
                "This prospect asked not to be contacted: they cannot be enrolled.".into(),
            ));
        }
        EnrollOutcome::NoCadence => {
            // Not 404, which would say the prospect is not there: the request is well formed
            // but the cadence it names takes no enrollments now.
            return Err(ApiError::Field(
                StatusCode::CONFLICT,
                "cadence_id",
                "There is no such cadence, or it is archived: choose one that exists and is not archived.".into(),
            ));
        }
    };
    tx.commit().await?;
    Ok(answer)
}
