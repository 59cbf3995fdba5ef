//! The opportunity board and list, the opportunity page, moving stages and editing.

use crate::web::extract::{Form, Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use time::OffsetDateTime;
use tower_sessions::Session;

use super::{
    Stage,
    db::{self, Opportunity, StageChange, StageTotal},
};
use crate::{
    auth::{CurrentUser, Scope},
    error::{AppError, Result},
    state::AppState,
    users,
    web::{FlashKind, FormErrors, Layout, flash, format},
};

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    #[serde(default)]
    view: String,
    #[serde(default)]
    owner: String,
    #[serde(default)]
    stage: String,
    #[serde(default)]
    after: String,
}

impl BoardQuery {
    fn is_list(&self) -> bool {
        self.view == "list"
    }

    fn owner_id(&self) -> Option<i64> {
        self.owner.parse().ok()
    }

    fn url(&self, view: &str, stage: Option<Stage>, after: Option<String>) -> String {
        let mut pairs: Vec<(&str, String)> = vec![("view", view.to_string())];
        if !self.owner.is_empty() {
            pairs.push(("owner", self.owner.clone()));
        }
        if let Some(stage) = stage {
            pairs.push(("stage", stage.as_str().to_string()));
        }
        if let Some(after) = after {
            pairs.push(("after", after));
        }
        format!(
            "/opportunities?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    }
}

pub struct StageColumn {
    pub total: StageTotal,
    pub cards: Vec<Opportunity>,
    /// Link to the rest of this stage, when the column does not show it all.
    pub more_url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "opportunities/index.html")]
pub struct OpportunitiesPage {
    pub layout: Layout,
    pub query: BoardQuery,
    pub columns: Vec<StageColumn>,
    pub owners: Vec<users::db::OwnerChoice>,
    /// Set when the list shows a single stage, paginated.
    pub single_stage: Option<Stage>,
    pub next_url: Option<String>,
    pub board_url: String,
    pub list_url: String,
}

impl OpportunitiesPage {
    fn open_total(&self) -> (i64, i64) {
        self.columns
            .iter()
            .filter(|c| c.total.stage.is_open())
            .fold((0, 0), |(n, v), c| {
                (n + c.total.count, v + c.total.value_cents)
            })
    }

    fn open_count(&self) -> i64 {
        self.open_total().0
    }

    fn open_value(&self) -> i64 {
        self.open_total().1
    }

    fn total_for(&self, stage: Stage) -> Option<&StageTotal> {
        self.columns
            .iter()
            .map(|c| &c.total)
            .find(|t| t.stage == stage)
    }

    fn won_count(&self) -> i64 {
        self.total_for(Stage::Won).map_or(0, |t| t.count)
    }

    fn won_value(&self) -> i64 {
        self.total_for(Stage::Won).map_or(0, |t| t.value_cents)
    }

    fn lost_count(&self) -> i64 {
        self.total_for(Stage::Lost).map_or(0, |t| t.count)
    }

    fn is_empty(&self) -> bool {
        self.columns.iter().all(|c| c.total.count == 0)
    }
}

fn encode_cursor(o: &Opportunity) -> String {
    crate::web::cursor::encode_time_id(o.updated_at, o.id)
}

fn decode_cursor(raw: &str) -> Option<(OffsetDateTime, i64)> {
    crate::web::cursor::decode_time_id(raw)
}

pub async fn index(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Query(query): Query<BoardQuery>,
) -> Result<OpportunitiesPage> {
    let owner_id = query.owner_id();
    let totals = db::stage_totals(&state.db, &scope, owner_id).await?;
    let single_stage = Stage::parse(&query.stage).filter(|_| query.is_list());
    let after = match query.after.as_str() {
        "" => None,
        raw => Some(
            decode_cursor(raw)
                .ok_or_else(|| AppError::BadRequest("That page link is no longer valid.".into()))?,
        ),
    };

    let mut columns = Vec::new();
    let mut next_url = None;
    for total in totals {
        if single_stage.is_some_and(|s| s != total.stage) {
            continue;
        }
        let limit = db::BOARD_CARDS_PER_STAGE;
        let mut cards =
            db::in_stage(&state.db, &scope, owner_id, total.stage, after, limit + 1).await?;
        let has_more = cards.len() as i64 > limit;
        cards.truncate(limit as usize);
        let more_url = match (has_more, single_stage) {
            (true, Some(stage)) => {
                next_url = cards
                    .last()
                    .map(|last| query.url("list", Some(stage), Some(encode_cursor(last))));
                None
            }
            (true, None) => Some(query.url("list", Some(total.stage), None)),
            (false, _) => None,
        };
        columns.push(StageColumn {
            total,
            cards,
            more_url,
        });
    }

    let owners = if user.manages() {
        users::db::owner_choices(&state.db, scope.owner_ids()).await?
    } else {
        Vec::new()
    };
    Ok(OpportunitiesPage {
        layout,
        board_url: query.url("board", None, None),
        list_url: query.url("list", None, None),
        query,
        columns,
        owners,
        single_stage,
        next_url,
    })
}

/// The stage-change form, kept as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StageForm {
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub lost_reason: String,
    #[serde(default)]
    pub revisit_on: String,
}

/// The details form, kept as typed.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DetailsForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub expected_close_on: String,
    #[serde(default)]
    pub probability: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "opportunities/show.html")]
pub struct OpportunityPage {
    pub layout: Layout,
    pub opportunity: Opportunity,
    pub history: Vec<db::StageHistoryEntry>,
    pub stages: &'static [Stage],
    pub stage_form: StageForm,
    pub stage_errors: FormErrors,
    pub details: DetailsForm,
    pub details_errors: FormErrors,
}

async fn opportunity_page(
    state: &AppState,
    layout: Layout,
    scope: &Scope,
    id: i64,
    stage_form: Option<(StageForm, FormErrors)>,
    details: Option<(DetailsForm, FormErrors)>,
) -> Result<OpportunityPage> {
    let opportunity = db::get(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let history = db::stage_history(&state.db, scope, id).await?;
    let (stage_form, stage_errors) = stage_form.unwrap_or_else(|| {
        (
            StageForm {
                stage: opportunity.stage.as_str().to_string(),
                ..Default::default()
            },
            FormErrors::default(),
        )
    });
    let (details, details_errors) = details.unwrap_or_else(|| {
        (
            DetailsForm {
                name: opportunity.name.clone(),
                value: format::money_input(opportunity.value_cents),
                expected_close_on: opportunity
                    .expected_close_on
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                probability: opportunity.probability.to_string(),
            },
            FormErrors::default(),
        )
    });
    Ok(OpportunityPage {
        layout,
        opportunity,
        history,
        stages: Stage::ALL,
        stage_form,
        stage_errors,
        details,
        details_errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
    Path(id): Path<i64>,
) -> Result<OpportunityPage> {
    opportunity_page(&state, layout, &scope, id, None, None).await
}

impl StageForm {
    pub fn validate(
        &self,
        today: time::Date,
    ) -> Result<(Stage, Option<String>, Option<time::Date>), FormErrors> {
        let mut errors = FormErrors::default();
        let stage = Stage::parse(&self.stage);
        if stage.is_none() {
            errors.add("stage", "Choose a stage.");
        }
        let reason = errors.optional("lost_reason", &self.lost_reason, 500);
        let revisit_on = errors.optional_date("revisit_on", &self.revisit_on);
        if stage == Some(Stage::Lost) && reason.is_empty() {
            errors.add(
                "lost_reason",
                "Say why it was lost: it is what the next attempt learns from.",
            );
        }
        if revisit_on.is_some_and(|d| d <= today) {
            errors.add("revisit_on", "Choose a date after today.");
        }
        if stage != Some(Stage::Lost) && revisit_on.is_some() {
            errors.add(
                "revisit_on",
                "A revisit date applies to a lost opportunity.",
            );
        }
        errors.into_result(|| {
            let stage = stage.unwrap_or(Stage::Qualifying);
            let reason = (stage == Stage::Lost).then_some(reason);
            (stage, reason, revisit_on)
        })
    }
}

pub async fn move_stage(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<StageForm>,
) -> Result<Response> {
    let (stage, reason, revisit_on) = match form.validate(layout.today()) {
        Ok(valid) => valid,
        Err(errors) => {
            let page =
                opportunity_page(&state, layout, &scope, id, Some((form, errors)), None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let change = StageChange {
        to: stage,
        lost_reason: reason.as_deref(),
        revisit_on,
        occurred_at: None,
    };
    let mut tx = state.db.begin().await?;
    if !db::change_stage(&mut tx, &scope, user.id, id, &change).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;

    let message = match (stage, revisit_on) {
        (Stage::Won, _) => "Won. The prospect is now a customer.".to_string(),
        (Stage::Lost, Some(date)) => format!(
            "Marked lost. The prospect moves to future interest, to revisit on {}.",
            format::date(date)
        ),
        (Stage::Lost, None) => "Marked lost.".to_string(),
        (stage, _) => format!("Moved to {}.", stage.label()),
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&format!("/opportunities/{id}")).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<DetailsForm>,
) -> Result<Response> {
    let mut errors = FormErrors::default();
    let name = errors.required("name", &form.name, 200);
    let value_cents = errors.optional_money("value", &form.value).unwrap_or(0);
    let expected_close_on = errors.optional_date("expected_close_on", &form.expected_close_on);
    let probability = match form.probability.trim().parse::<i16>() {
        Ok(p) if (0..=100).contains(&p) => p,
        _ => {
            errors.add("probability", "Enter a whole number from 0 to 100.");
            0
        }
    };
    if !errors.is_empty() {
        let page = opportunity_page(&state, layout, &scope, id, None, Some((form, errors))).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let edit = db::OpportunityEdit {
        name: &name,
        value_cents,
        expected_close_on,
        probability,
    };
    if !db::update_details(&state.db, &scope, id, &edit).await? {
        return Err(AppError::NotFound);
    }
    flash(&session, FlashKind::Success, "Opportunity saved.").await?;
    Ok(Redirect::to(&format!("/opportunities/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn lost_needs_a_reason_and_a_later_revisit_date() {
        let today = date!(2026 - 11 - 23);
        let form = StageForm {
            stage: "lost".into(),
            ..Default::default()
        };
        assert!(form.validate(today).unwrap_err().has("lost_reason"));

        let form = StageForm {
            stage: "lost".into(),
            lost_reason: "Budget frozen".into(),
            revisit_on: "2026-11-01".into(),
        };
        assert!(form.validate(today).unwrap_err().has("revisit_on"));

        let form = StageForm {
            stage: "lost".into(),
            lost_reason: "Budget frozen".into(),
            revisit_on: "2027-04-01".into(),
        };
        let (stage, reason, revisit) = form.validate(today).unwrap();
        assert_eq!(stage, Stage::Lost);
        assert_eq!(reason.as_deref(), Some("Budget frozen"));
        assert_eq!(revisit, Some(date!(2027 - 04 - 01)));
    }
}
