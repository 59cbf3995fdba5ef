//! `/api/v1/prospects/{id}/interactions`: a prospect's interactions, and logging one with
//! its interest decision. Logging validates with the log form's own rules
//! (`LogForm::validate_at`) and writes through `interactions::db::log_interaction`, so an
//! interaction logged here has every consequence one logged on the page has.

use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, format_description::well_known::Rfc3339};
use utoipa::{IntoParams, ToSchema};

use super::{
    auth::ApiUser,
    pagination,
    problem::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    prospects::{Qualifying, Ref},
};
use crate::{
    interactions::{
        Channel, Decision, Outcome,
        db::{self, InteractionRow},
        handlers::{LogForm, ValidLog},
    },
    opportunities::Stage,
    state::AppState,
    web::cursor,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Interaction {
    pub id: i64,
    pub prospect: Ref,
    pub logged_by: Ref,
    pub channel: Channel,
    pub outcome: Outcome,
    /// The interest assessment made; null when there was nothing to assess.
    pub decision: Option<Decision>,
    pub notes: String,
    pub no_interest_reason: Option<String>,
    #[schema(format = Date)]
    pub re_engage_on: Option<String>,
    /// The opportunity that current interest opened or advanced.
    pub opportunity_id: Option<i64>,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
}

impl From<InteractionRow> for Interaction {
    fn from(row: InteractionRow) -> Self {
        Interaction {
            id: row.id,
            prospect: Ref {
                id: row.prospect_id,
                name: row.prospect_name,
            },
            logged_by: Ref {
                id: row.logged_by_id,
                name: row.logged_by_name,
            },
            channel: row.channel,
            outcome: row.outcome,
            decision: row.decision,
            notes: row.notes,
            no_interest_reason: row.no_interest_reason,
            re_engage_on: row.re_engage_on.map(|d| d.to_string()),
            opportunity_id: row.opportunity_id,
            occurred_at: row.occurred_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InteractionList {
    pub data: Vec<Interaction>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// An interaction to log, and the decision made in it: first ask whether there is
/// current interest (an opportunity is opened or advanced), else future interest (a date
/// to re-engage on), else none (a reason). Leave `decision` null when there was nothing
/// to assess (no answer, a message left).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct LogInteraction {
    #[schema(value_type = Channel)]
    pub channel: String,
    #[schema(value_type = Outcome)]
    pub outcome: String,
    /// When it happened (RFC 3339); now when absent. Not in the future, at most three
    /// years ago.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub occurred_at: Option<String>,
    pub notes: String,
    #[schema(value_type = Option<Decision>)]
    pub decision: Option<String>,
    /// Current interest: the new opportunity's name (default: account — person).
    pub opportunity_name: String,
    /// Current interest: the stage to open or advance the opportunity at (an open stage).
    #[schema(value_type = Option<Stage>)]
    pub stage: Option<String>,
    /// Current interest: the opportunity's value in dollars, such as 12500 or 12500.50.
    #[schema(value_type = Option<f64>)]
    pub value: Option<serde_json::Number>,
    /// Current interest: the expected close date.
    #[schema(value_type = Option<String>, format = Date)]
    pub expected_close_on: Option<String>,
    /// Future interest (required): the date to re-engage on, after today.
    #[schema(value_type = Option<String>, format = Date)]
    pub re_engage_on: Option<String>,
    /// No interest (required): why.
    pub no_interest_reason: String,
    /// No interest: they asked not to be contacted again.
    pub do_not_contact: bool,
    /// What was learned about need, budget, authority and timeline.
    pub qualifying: Qualifying,
}

impl LogInteraction {
    /// Validated by the log form's rules; the time is read as RFC 3339 instead of the
    /// form's local time.
    pub fn validate(&self, time_zone: &str) -> Result<ValidLog, ApiError> {
        let form = LogForm {
            channel: self.channel.clone(),
            outcome: self.outcome.clone(),
            occurred_at: String::new(),
            notes: self.notes.clone(),
            decision: self.decision.clone().unwrap_or_default(),
            opportunity_name: self.opportunity_name.clone(),
            stage: self
                .stage
                .clone()
                .unwrap_or_else(|| Stage::Qualifying.as_str().to_string()),
            value: self
                .value
                .as_ref()
                .map(|v| v.to_string())
                .unwrap_or_default(),
            expected_close_on: self.expected_close_on.clone().unwrap_or_default(),
            re_engage_on: self.re_engage_on.clone().unwrap_or_default(),
            no_interest_reason: self.no_interest_reason.clone(),
            do_not_contact: self.do_not_contact.then(|| "on".to_string()),
            qualifying: self.qualifying.to_input(),
        };
        let occurred_at = match self.occurred_at.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(raw) => OffsetDateTime::parse(raw, &Rfc3339)
                .map(Some)
                .map_err(|_| "Give the time in RFC 3339, such as 2026-07-01T09:30:00Z."),
        };
        Ok(form.validate_at(occurred_at, time_zone, OffsetDateTime::now_utc())?)
    }
}

/// List a prospect's interactions, latest first.
#[utoipa::path(get, path = "/api/v1/prospects/{id}/interactions", tag = "interactions",
    operation_id = "listInteractions",
    params(("id" = i64, Path, description = "The prospect's id"), PageQuery),
    responses((status = 200, description = "One page of interactions", body = InteractionList)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(prospect_id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<InteractionList>> {
    crate::prospects::db::get(&state.db, &api.scope, prospect_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let limit = pagination::limit(query.limit)?;
    let before = pagination::decode(query.cursor.as_deref(), cursor::decode_time_id)?;
    let mut rows =
        db::list_for_prospect(&state.db, &api.scope, prospect_id, before, limit + 1).await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last()
            .map(|r| pagination::encode(&cursor::encode_time_id(r.occurred_at, r.id)))
    } else {
        None
    };
    Ok(Json(InteractionList {
        data: rows.into_iter().map(Interaction::from).collect(),
        next_cursor,
    }))
}

/// Reads back an interaction just written.
pub async fn load(state: &AppState, api: &ApiUser, id: i64) -> ApiResult<Interaction> {
    Ok(db::get(&state.db, &api.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?
        .into())
}

/// Log an interaction with a prospect, and the interest decision made in it.
#[utoipa::path(post, path = "/api/v1/prospects/{id}/interactions", tag = "interactions",
    operation_id = "logInteraction",
    params(("id" = i64, Path, description = "The prospect's id")),
    request_body = LogInteraction,
    responses((status = 201, description = "Logged, with everything its decision implies", body = Interaction)))]
pub async fn log(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(prospect_id): ApiPath<i64>,
    ApiJson(body): ApiJson<LogInteraction>,
) -> ApiResult<(StatusCode, Json<Interaction>)> {
    let valid = body.validate(&api.user.time_zone)?;
    let mut tx = state.db.begin().await?;
    let logged = db::log_interaction(&mut tx, &api.scope, api.user.id, prospect_id, &valid, None)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(load(&state, &api, logged.interaction_id).await?),
    ))
}
