//! The dashboard page, its CSV exports and the lists behind its numbers.

use std::{collections::HashMap, sync::Arc};

use crate::web::extract::{Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Extension,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use super::{
    behind::{Behind, ListTotals, Listed, ListedOpportunity, ListedProspect},
    cache::FiguresCache,
    filters::{DashboardQuery, Filters, Person, TeamChoice, team_choices, visible_people},
    metrics, widgets,
    widgets::Section,
};
use crate::{
    auth::{CurrentUser, Scope},
    error::{AppError, Result},
    state::AppState,
    web::{FormErrors, Layout, format},
};

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/index.html")]
pub struct DashboardPage {
    layout: Layout,
    query: DashboardQuery,
    errors: FormErrors,
    teams: Vec<TeamChoice>,
    people: Vec<Person>,
    /// `None` when the filters need correcting first.
    view: Option<DashboardView>,
}

pub struct DashboardView {
    pub heading: String,
    pub as_of: String,
    pub sections: Vec<Section>,
}

impl DashboardPage {
    fn team_selected(&self, id: &i64) -> bool {
        self.query.team.trim() == id.to_string()
    }

    fn rep_selected(&self, id: &i64) -> bool {
        self.query.rep.trim() == id.to_string()
    }
}

/// Every widget's figures for the filters, and when they were read.
pub struct Figures {
    pub computed_at: time::OffsetDateTime,
    pub pipeline: metrics::Pipeline,
    pub funnel: metrics::Funnel,
    pub activity: Vec<metrics::ActivityCell>,
    pub states: Vec<metrics::OwnerState>,
    pub comebacks: metrics::Comebacks,
    pub follow_through: Vec<metrics::FollowThrough>,
    pub steps: Vec<metrics::StepFigure>,
    pub endings: Vec<metrics::EndingFigure>,
}

impl Figures {
    pub async fn load(state: &AppState, f: &Filters) -> sqlx::Result<Figures> {
        let db = &state.db;
        let states = metrics::prospect_states(db, f).await?;
        Ok(Figures {
            computed_at: f.now,
            pipeline: metrics::pipeline(db, f).await?,
            funnel: metrics::funnel(db, f).await?,
            activity: metrics::activity(db, f).await?,
            comebacks: metrics::comebacks(db, f).await?,
            follow_through: metrics::follow_through(db, f, &states).await?,
            steps: metrics::cadence_steps(db, f).await?,
            endings: metrics::cadence_endings(db, f).await?,
            states,
        })
    }

    pub fn sections(&self, f: &Filters) -> Vec<Section> {
        vec![
            widgets::pipeline(f, &self.pipeline),
            widgets::funnel(f, &self.funnel),
            widgets::activity(f, &self.activity),
            widgets::interest(f, &self.activity, &self.states, &self.comebacks),
            widgets::follow_through(f, &self.follow_through),
            widgets::cadences(f, &self.steps, &self.endings),
        ]
    }
}

/// Whose figures these are, in words.
fn heading(user: &CurrentUser, f: &Filters, teams: &[TeamChoice]) -> String {
    if let Some(rep) = f.rep.and_then(|id| f.people.iter().find(|p| p.id == id)) {
        return rep.name.clone();
    }
    if let Some(team) = f.team.and_then(|id| teams.iter().find(|t| t.id == id)) {
        return team.name.clone();
    }
    match user.role {
        crate::users::Role::Admin => "Every team".to_string(),
        crate::users::Role::Manager => "Your team".to_string(),
        crate::users::Role::Rep => "Your figures".to_string(),
    }
}

pub async fn index(
    State(state): State<AppState>,
    Extension(cache): Extension<Arc<FiguresCache>>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let resolved = query.resolve(&state.db, &user, &scope).await?;
    let teams = if user.is_admin() {
        team_choices(&state.db).await?
    } else {
        Vec::new()
    };
    match resolved {
        Ok(f) => {
            // Show the range the figures cover, defaults included.
            let query = DashboardQuery {
                from: f.from.to_string(),
                to: f.to.to_string(),
                ..query
            };
            let figures = match cache.get(&f) {
                Some(figures) => figures,
                None => {
                    let figures = Arc::new(Figures::load(&state, &f).await?);
                    cache.put(&f, figures.clone());
                    figures
                }
            };
            let people = visible_people(&state.db, &scope, f.team).await?;
            let view = DashboardView {
                heading: heading(&user, &f, &teams),
                as_of: format::datetime(figures.computed_at, &user.time_zone),
                sections: figures.sections(&f),
            };
            Ok(DashboardPage {
                layout,
                query,
                errors: FormErrors::default(),
                teams,
                people,
                view: Some(view),
            }
            .into_response())
        }
        Err(errors) => {
            let people = visible_people(&state.db, &scope, None).await?;
            Ok((
                StatusCode::BAD_REQUEST,
                DashboardPage {
                    layout,
                    query,
                    errors,
                    teams,
                    people,
                    view: None,
                },
            )
                .into_response())
        }
    }
}

/// Resolves the filters of a request that cannot show them back (a CSV file, a list).
async fn filters_or_bad_request(
    state: &AppState,
    user: &CurrentUser,
    scope: &Scope,
    query: &DashboardQuery,
) -> Result<Filters> {
    query
        .resolve(&state.db, user, scope)
        .await?
        .map_err(|errors| {
            AppError::BadRequest(
                errors
                    .messages()
                    .map(|(field, message)| format!("{field}: {message}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })
}

/// `/dashboard/pipeline.csv` and the like: one widget's figures as CSV.
pub async fn export(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    Path(file): Path<String>,
    Query(query): Query<DashboardQuery>,
) -> Result<Response> {
    let widget = file.strip_suffix(".csv").ok_or(AppError::NotFound)?;
    let f = filters_or_bad_request(&state, &user, &scope, &query).await?;
    let db = &state.db;
    let rows = match widget {
        "pipeline" => widgets::pipeline_csv(&f, &metrics::pipeline(db, &f).await?),
        "funnel" => widgets::funnel_csv(&metrics::funnel(db, &f).await?),
        "activity" => widgets::activity_csv(&f, &metrics::activity(db, &f).await?),
        "interest" => widgets::interest_csv(
            &f,
            &metrics::activity(db, &f).await?,
            &metrics::prospect_states(db, &f).await?,
            &metrics::comebacks(db, &f).await?,
        ),
        "follow-through" => {
            let states = metrics::prospect_states(db, &f).await?;
            widgets::follow_through_csv(&f, &metrics::follow_through(db, &f, &states).await?)
        }
        "cadences" => widgets::cadences_csv(
            &metrics::cadence_steps(db, &f).await?,
            &metrics::cadence_endings(db, &f).await?,
        ),
        _ => return Err(AppError::NotFound),
    };
    let mut out = csv::Writer::from_writer(Vec::new());
    for row in &rows {
        out.write_record(row)
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    let body = out
        .into_inner()
        .map_err(|e| AppError::Internal(anyhow::anyhow!("writing CSV: {e}")))?;
    let filename = format!("prospector-{widget}-{}-to-{}.csv", f.from, f.to);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/list.html")]
pub struct ListPage {
    layout: Layout,
    heading: String,
    whose: String,
    totals: ListTotals,
    prospects: Vec<ListedProspect>,
    opportunities: Vec<ListedOpportunity>,
    listed_opportunities: bool,
    /// Whether some prospects carry several of the counted rows (then a column says how many).
    several_per_prospect: bool,
    next_url: Option<String>,
    back_url: String,
}

pub async fn list(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Query(query): Query<DashboardQuery>,
    Query(pairs): Query<HashMap<String, String>>,
) -> Result<Response> {
    let behind = Behind::parse(&pairs).ok_or(AppError::NotFound)?;
    let f = filters_or_bad_request(&state, &user, &scope, &query).await?;
    let after = match pairs.get("after").map(|a| a.trim()) {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .map_err(|_| AppError::BadRequest("The page link is not valid.".into()))?,
        ),
    };
    let totals = behind.list_totals(&state.db, &scope, &f).await?;
    let (prospects, opportunities, next) = match behind.listed() {
        Listed::Prospects => {
            let (rows, next) = behind.prospects(&state.db, &scope, &f, after).await?;
            (rows, Vec::new(), next)
        }
        Listed::Opportunities => {
            let (rows, next) = behind.opportunities(&state.db, &scope, &f, after).await?;
            (Vec::new(), rows, next)
        }
    };
    let mut pairs_here = behind.query_pairs();
    let next_url = next.map(|after| {
        pairs_here.push(("after", after.to_string()));
        format!("/dashboard/list?{}", f.query_string(&pairs_here))
    });
    let teams = if user.is_admin() {
        team_choices(&state.db).await?
    } else {
        Vec::new()
    };
    let whose = heading(&user, &f, &teams);
    Ok(ListPage {
        layout,
        heading: behind.describe(&f),
        whose,
        totals,
        prospects,
        opportunities,
        listed_opportunities: behind.listed() == Listed::Opportunities,
        several_per_prospect: totals.items != totals.prospects,
        next_url,
        back_url: format!("/dashboard?{}", f.query_string(&[])),
    }
    .into_response())
}
