//! `GET /prospects/export.csv` (the prospect list's filters), `/interactions/export.csv`
//! and `/opportunities/export.csv` (an owner, a date range or a stage).

use crate::web::extract::Query;
use axum::{extract::State, response::Response};
use serde::Deserialize;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

use super::{
    db,
    stream::{self, PAGE_ROWS, Page},
};
use crate::{
    auth::{CurrentUser, Scope},
    error::{AppError, Result},
    opportunities::{self, Stage},
    prospects::list::ListQuery,
    state::AppState,
    touches::handlers::local_midnight,
    web::FormErrors,
};

fn instant(ts: OffsetDateTime) -> String {
    ts.format(&Rfc3339).unwrap_or_default()
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| v.to_string()).collect()
}

/// The prospects of the list as filtered (`/prospects?…` with the same query string).
pub async fn prospects(
    State(state): State<AppState>,
    _user: CurrentUser,
    scope: Scope,
    Query(query): Query<ListQuery>,
) -> Result<Response> {
    let filter = query.filter();
    let header = strings(&[
        "First Name",
        "Last Name",
        "Email",
        "Job Title",
        "Phone Number",
        "LinkedIn URL",
        "Company Name",
        "Company Domain",
        "Industry",
        "Number of Employees",
        "Territory",
        "Tags",
        "Source",
        "Do Not Contact",
        "Interest",
        "Re-engage On",
        "Owner",
        "Owner Email",
        "Last Interaction",
        "Created",
        "Prospector ID",
    ]);
    let db = state.db.clone();
    Ok(stream::download(
        "prospects.csv",
        header,
        0i64,
        move |after| {
            let (db, scope, filter) = (db.clone(), scope.clone(), filter.clone());
            async move {
                let rows = db::prospects(&db, &scope, &filter, after, PAGE_ROWS).await?;
                let next = stream::next_after(&rows, |r| r.id);
                Ok(Page {
                    rows: rows
                        .into_iter()
                        .map(|r| {
                            vec![
                                r.first_name,
                                r.last_name,
                                r.email.unwrap_or_default(),
                                r.title,
                                r.phone,
                                r.linkedin_url,
                                r.account_name.unwrap_or_default(),
                                r.account_domain.unwrap_or_default(),
                                r.industry.unwrap_or_default(),
                                optional(r.employee_count),
                                r.territory.unwrap_or_default(),
                                r.tags.join(", "),
                                r.source,
                                if r.do_not_contact { "yes" } else { "no" }.to_string(),
                                r.interest.as_str().to_string(),
                                optional(r.re_engage_on),
                                r.owner_name,
                                r.owner_email,
                                r.last_interaction_at.map(instant).unwrap_or_default(),
                                instant(r.created_at),
                                r.id.to_string(),
                            ]
                        })
                        .collect(),
                    next,
                })
            }
        },
    ))
}

#[derive(Deserialize, Default)]
pub struct RangeQuery {
    #[serde(default)]
    owner: String,
    /// `YYYY-MM-DD`, in the viewer's time zone, inclusive.
    #[serde(default)]
    from: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    to: String,
    #[serde(default)]
    stage: String,
}

impl RangeQuery {
    fn owner_id(&self) -> Option<i64> {
        self.owner.parse().ok()
    }

    /// The range as instants: from the start of `from` to the end of `to`, in `tz`.
    fn range(&self, tz: &str) -> Result<(Option<OffsetDateTime>, Option<OffsetDateTime>)> {
        let mut errors = FormErrors::default();
        let from = errors.optional_date("from", &self.from);
        let to = errors.optional_date("to", &self.to);
        if !errors.is_empty() {
            return Err(AppError::BadRequest(
                "Give the dates as YYYY-MM-DD, such as 2026-07-01.".into(),
            ));
        }
        Ok((
            from.map(|d| local_midnight(d, tz)),
            to.and_then(|d| d.next_day()).map(|d| local_midnight(d, tz)),
        ))
    }
}

/// Interactions with the prospects in view, optionally of one owner and in a date range.
pub async fn interactions(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    Query(query): Query<RangeQuery>,
) -> Result<Response> {
    let (from, to) = query.range(&user.time_zone)?;
    let owner_id = query.owner_id();
    let header = strings(&[
        "Interaction ID",
        "Occurred At",
        "Prospect ID",
        "First Name",
        "Last Name",
        "Email",
        "Company Name",
        "Channel",
        "Outcome",
        "Decision",
        "Re-engage On",
        "No Interest Reason",
        "Opportunity ID",
        "Notes",
        "Logged By",
    ]);
    let db = state.db.clone();
    Ok(stream::download(
        "interactions.csv",
        header,
        0i64,
        move |after| {
            let (db, scope) = (db.clone(), scope.clone());
            async move {
                let rows =
                    db::interactions(&db, &scope, owner_id, from, to, after, PAGE_ROWS).await?;
                let next = stream::next_after(&rows, |r| r.id);
                Ok(Page {
                    rows: rows
                        .into_iter()
                        .map(|r| {
                            vec![
                                r.id.to_string(),
                                instant(r.occurred_at),
                                r.prospect_id.to_string(),
                                r.first_name,
                                r.last_name,
                                r.email.unwrap_or_default(),
                                r.account_name.unwrap_or_default(),
                                r.channel.as_str().to_string(),
                                r.outcome.as_str().to_string(),
                                r.decision
                                    .map(|d| d.as_str())
                                    .unwrap_or_default()
                                    .to_string(),
                                optional(r.re_engage_on),
                                r.no_interest_reason.unwrap_or_default(),
                                optional(r.opportunity_id),
                                r.notes,
                                r.logged_by,
                            ]
                        })
                        .collect(),
                    next,
                })
            }
        },
    ))
}

/// Opportunities of the prospects in view, optionally of one owner or stage.
pub async fn opportunities(
    State(state): State<AppState>,
    _user: CurrentUser,
    scope: Scope,
    Query(query): Query<RangeQuery>,
) -> Result<Response> {
    let owner_id = query.owner_id();
    let stage = match query.stage.as_str() {
        "" => None,
        raw => Some(
            Stage::parse(raw)
                .ok_or_else(|| AppError::BadRequest("There is no such stage.".into()))?,
        ),
    };
    let header = strings(&[
        "Opportunity ID",
        "Name",
        "Stage",
        "Value",
        "Probability",
        "Expected Close",
        "Prospect ID",
        "Prospect",
        "Company Name",
        "Owner",
        "Lost Reason",
        "Revisit On",
        "Closed At",
        "Created",
        "Updated",
    ]);
    let db = state.db.clone();
    Ok(stream::download(
        "opportunities.csv",
        header,
        None,
        move |before| {
            let (db, scope) = (db.clone(), scope.clone());
            async move {
                let rows =
                    opportunities::db::list_page(&db, &scope, owner_id, stage, before, PAGE_ROWS)
                        .await?;
                let next = stream::next_after(&rows, |o| Some(o.id));
                Ok(Page {
                    rows: rows
                        .into_iter()
                        .map(|o| {
                            vec![
                                o.id.to_string(),
                                o.name,
                                o.stage.as_str().to_string(),
                                format!("{}.{:02}", o.value_cents / 100, o.value_cents % 100),
                                o.probability.to_string(),
                                optional(o.expected_close_on),
                                o.prospect_id.to_string(),
                                o.prospect_name,
                                o.account_name.unwrap_or_default(),
                                o.owner_name,
                                o.lost_reason.unwrap_or_default(),
                                optional(o.revisit_on),
                                o.closed_at.map(instant).unwrap_or_default(),
                                instant(o.created_at),
                                instant(o.updated_at),
                            ]
                        })
                        .collect(),
                    next,
                })
            }
        },
    ))
}
