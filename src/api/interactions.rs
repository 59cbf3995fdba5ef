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
        form::{LogForm, ValidLog},
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
    /// The `next_cursor` of the previous page, as given; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// A stage an opportunity can be open at.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OpenStage {
    Qualifying,
    Meeting,
    Proposal,
    Negotiation,
}

/// An interaction to log, and the decision made in it: first ask whether there is
/// current interest (an opportunity is opened or advanced), else future interest (a date
/// to re-engage on), else none (a reason). Leave `decision` null when there was nothing
/// to assess (no answer, a message left). A decision of `none` needs a
/// `no_interest_reason`, `future` needs a `re_engage_on` date, and an outcome of
/// `not_interested` cannot come with `current` interest. Texts are stored trimmed.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogInteraction {
    #[schema(value_type = Channel)]
    pub channel: String,
    #[schema(value_type = Outcome)]
    pub outcome: String,
    /// When it happened (RFC 3339); now when absent. Not in the future (five minutes of
    /// clock difference are allowed) and at most three years ago, else 422.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub occurred_at: Option<String>,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub notes: String,
    /// Null (or absent) when there was nothing to assess.
    #[serde(default)]
    #[schema(value_type = Option<Decision>)]
    pub decision: Option<String>,
    /// Current interest: the new opportunity's name (default: account — person).
    #[serde(default)]
    #[schema(max_length = 200)]
    pub opportunity_name: String,
    /// Current interest: the stage to open or advance the opportunity at (default
    /// qualifying).
    #[serde(default)]
    #[schema(value_type = Option<OpenStage>)]
    pub stage: Option<String>,
    /// Current interest: the opportunity's value in dollars, such as 12500 or 12500.50,
    /// rounded to the cent.
    #[serde(default)]
    #[schema(value_type = Option<f64>, minimum = 0, maximum = 999999999999.99)]
    pub value: Option<serde_json::Number>,
    /// Current interest: the expected close date.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub expected_close_on: Option<String>,
    /// Future interest (required then): the date to re-engage on; after today in your
    /// time zone, else 422.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub re_engage_on: Option<String>,
    /// No interest (required then): why.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub no_interest_reason: String,
    /// No interest: they asked not to be contacted again.
    #[serde(default)]
    pub do_not_contact: bool,
    /// What was learned about need, budget, authority and timeline.
    #[serde(default)]
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
            value: self.value.as_ref().map(dollars).unwrap_or_default(),
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

/// A value in dollars as the form reads it, rounded to the cent: the schema admits any
/// number from 0, and `12.345` or `1e3` are not what the form's parser takes.
fn dollars(value: &serde_json::Number) -> String {
    let cents = (value.as_f64().unwrap_or(f64::MAX) * 100.0).round();
    if !(0.0..1e15).contains(&cents) {
        // Refused by the form's parser as it should be (the schema's maximum is lower).
        return value.to_string();
    }
    let cents = cents as i64;
    format!("{}.{:02}", cents / 100, cents % 100)
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
