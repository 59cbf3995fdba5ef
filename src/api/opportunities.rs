//! `/api/v1/opportunities`: the pipeline, and moving an opportunity's stage with the
//! consequences the board's stage form has (won makes a customer, lost without a revisit
//! date ends the interest).

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::{
    auth::ApiUser,
    pagination,
    problem::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult},
    prospects::Ref,
};
use crate::{
    opportunities::{
        Stage,
        db::{self, StageChange},
        handlers::StageForm,
    },
    state::AppState,
    web::format,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OpportunityListQuery {
    pub stage: Option<Stage>,
    /// Only opportunities of this owner's prospects (within what you can see).
    pub owner_id: Option<i64>,
    /// The `next_cursor` of the previous page, as given; any other value is refused (422).
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Opportunity {
    pub id: i64,
    pub name: String,
    pub prospect: Ref,
    pub account_name: Option<String>,
    pub owner: Ref,
    pub stage: Stage,
    /// In cents.
    pub value_cents: i64,
    #[schema(format = Date)]
    pub expected_close_on: Option<String>,
    /// 0 to 100.
    pub probability: i16,
    pub lost_reason: Option<String>,
    #[schema(format = Date)]
    pub revisit_on: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closed_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl From<db::Opportunity> for Opportunity {
    fn from(o: db::Opportunity) -> Self {
        Opportunity {
            id: o.id,
            name: o.name,
            prospect: Ref {
                id: o.prospect_id,
                name: o.prospect_name,
            },
            account_name: o.account_name,
            owner: Ref {
                id: o.owner_id,
                name: o.owner_name,
            },
            stage: o.stage,
            value_cents: o.value_cents,
            expected_close_on: o.expected_close_on.map(|d| d.to_string()),
            probability: o.probability,
            lost_reason: o.lost_reason,
            revisit_on: o.revisit_on.map(|d| d.to_string()),
            closed_at: o.closed_at,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OpportunityList {
    pub data: Vec<Opportunity>,
    pub next_cursor: Option<String>,
}

/// List the opportunities you can see, newest first.
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "opportunities",
    operation_id = "listOpportunities",
    params(OpportunityListQuery),
    responses((status = 200, description = "One page of opportunities", body = OpportunityList)))]
pub async fn list(
    State(state): State<AppState>,
    api: ApiUser,
    ApiQuery(query): ApiQuery<OpportunityListQuery>,
) -> ApiResult<Json<OpportunityList>> {
    let limit = pagination::limit(query.limit)?;
    let before = pagination::decode(query.cursor.as_deref(), |raw| raw.parse::<i64>().ok())?;
    let mut rows = db::list_page(
        &state.db,
        &api.scope,
        query.owner_id,
        query.stage,
        before,
        limit + 1,
    )
    .await?;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|o| pagination::encode(&o.id.to_string()))
    } else {
        None
    };
    Ok(Json(OpportunityList {
        data: rows.into_iter().map(Opportunity::from).collect(),
        next_cursor,
    }))
}

/// Read an opportunity.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "opportunities",
    operation_id = "getOpportunity",
    params(("id" = i64, Path, description = "The opportunity's id")),
    responses((status = 200, description = "The opportunity", body = Opportunity)))]
pub async fn get(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Opportunity>> {
    let o = db::get(&state.db, &api.scope, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(o.into()))
}

/// A stage to move to. Lost needs a `lost_reason`; with lost only, a `revisit_on` date
/// sends the prospect to future interest instead of no interest.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveStage {
    #[schema(value_type = Stage)]
    pub stage: String,
    /// Lost (required then): why. Ignored for other stages.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub lost_reason: String,
    /// Lost only: when to try again; after today in your time zone, else 422.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub revisit_on: Option<String>,
}

/// Move an opportunity to another stage.
#[utoipa::path(post, path = "/api/v1/opportunities/{id}/stage", tag = "opportunities",
    operation_id = "moveOpportunityStage",
    params(("id" = i64, Path, description = "The opportunity's id")),
    request_body = MoveStage,
    responses((status = 200, description = "The opportunity at its new stage", body = Opportunity)))]
pub async fn move_stage(
    State(state): State<AppState>,
    api: ApiUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<MoveStage>,
) -> ApiResult<Json<Opportunity>> {
    let form = StageForm {
        stage: body.stage,
        lost_reason: body.lost_reason,
        revisit_on: body.revisit_on.unwrap_or_default(),
    };
    let (stage, reason, revisit_on) = form.validate(format::today(&api.user.time_zone))?;
    let change = StageChange {
        to: stage,
        lost_reason: reason.as_deref(),
        revisit_on,
        occurred_at: None,
    };
    let mut tx = state.db.begin().await?;
    if !db::change_stage(&mut tx, &api.scope, api.user.id, id, &change).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    get(State(state), api, ApiPath(id)).await
}
