//! Today (the rep's queue), work mode (one touch after another, by keyboard), the touch
//! actions (complete by logging an interaction, skip, snooze) and the dead-ends list.

use crate::web::extract::{Form, Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime};
use tower_sessions::Session;

use super::{
    actions,
    queue::{self, DeadEnd, QueuedTouch},
};
use crate::{
    auth::{CurrentUser, Scope},
    error::{AppError, Result},
    interactions::form::{LogForm, LogFormView, OpenOpportunity},
    opportunities, schedule,
    state::AppState,
    users,
    web::{FlashKind, FormErrors, Layout, flash, format},
};

/// Today's queue is shown for one rep: the viewer, or a rep in a manager's scope.
#[derive(Deserialize, Default)]
pub struct RepQuery {
    #[serde(default)]
    rep: String,
    #[serde(default)]
    touch: String,
}

async fn whose_queue(
    state: &AppState,
    user: &CurrentUser,
    scope: &Scope,
    rep: &str,
) -> Result<(i64, String, Vec<users::db::OwnerChoice>)> {
    let reps = if user.manages() {
        users::db::owner_choices(&state.db, scope.owner_ids()).await?
    } else {
        Vec::new()
    };
    match rep.parse::<i64>() {
        Ok(id) if id != user.id => {
            let rep = reps.iter().find(|r| r.id == id).ok_or(AppError::NotFound)?;
            Ok((rep.id, rep.name.clone(), reps))
        }
        _ => Ok((user.id, user.name.clone(), reps)),
    }
}

/// Midnight at the start of `date` in `tz`, in UTC.
pub fn local_midnight(date: Date, tz: &str) -> OffsetDateTime {
    let zone = jiff::tz::TimeZone::get(tz).unwrap_or(jiff::tz::TimeZone::UTC);
    schedule::local_instant(date, time::Time::MIDNIGHT, &zone)
        .unwrap_or_else(|| date.midnight().assume_utc())
}

/// The end of today in `tz`: what work mode (and the API's due list) count as due.
pub fn end_of_today(tz: &str) -> OffsetDateTime {
    local_midnight(format::today(tz) + Duration::days(1), tz)
}

pub struct DayGroup {
    pub title: String,
    pub css: &'static str,
    pub touches: Vec<QueuedTouch>,
}

#[derive(Template, WebTemplate)]
#[template(path = "touches/today.html")]
pub struct TodayPage {
    pub layout: Layout,
    /// Messages fold away in the list; work mode shows them open.
    pub expand_message: bool,
    pub rep_id: i64,
    pub rep_name: String,
    pub is_own: bool,
    pub reps: Vec<users::db::OwnerChoice>,
    pub groups: Vec<DayGroup>,
    pub due_now: usize,
    /// Touches listed, and those in the week beyond them (work mode takes them all).
    pub listed: i64,
    pub not_listed: i64,
}

pub async fn today(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Query(query): Query<RepQuery>,
) -> Result<TodayPage> {
    let (rep_id, rep_name, reps) = whose_queue(&state, &user, &scope, &query.rep).await?;
    let tz = layout.time_zone().to_string();
    let today = format::today(&tz);
    let start_of_today = local_midnight(today, &tz);
    let horizon = local_midnight(today + Duration::days(queue::HORIZON_DAYS + 1), &tz);
    let touches = queue::due_for_owner(&state.db, rep_id, horizon, queue::QUEUE_LIMIT).await?;
    let listed = touches.len() as i64;
    let due_in_all = if listed < queue::QUEUE_LIMIT {
        listed
    } else {
        queue::count_due(&state.db, rep_id, horizon).await?
    };

    let mut groups: Vec<DayGroup> = Vec::new();
    for touch in touches {
        let (key, css) = if touch.due_at < start_of_today {
            ("Overdue".to_string(), "overdue")
        } else {
            let day = format::local_date(touch.due_at, &tz);
            match (day - today).whole_days() {
                0 => ("Due today".to_string(), "today"),
                1 => (format!("Tomorrow, {}", format::date(day)), "upcoming"),
                _ => (
                    format!("{} {}", day.weekday(), format::date(day)),
                    "upcoming",
                ),
            }
        };
        match groups.last_mut() {
            Some(group) if group.title == key => group.touches.push(touch),
            _ => groups.push(DayGroup {
                title: key,
                css,
                touches: vec![touch],
            }),
        }
    }
    let due_now = groups
        .iter()
        .filter(|g| g.css != "upcoming")
        .map(|g| g.touches.len())
        .sum();
    Ok(TodayPage {
        expand_message: false,
        is_own: rep_id == user.id,
        layout,
        rep_id,
        rep_name,
        reps,
        groups,
        due_now,
        listed,
        not_listed: due_in_all - listed,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "touches/work.html")]
pub struct WorkPage {
    pub layout: Layout,
    pub card: Option<WorkCard>,
    pub remaining: usize,
}

/// The touch in hand: what to do, the message, and the forms to finish it.
#[derive(Template, WebTemplate)]
#[template(path = "touches/_work_card.html")]
pub struct WorkCard {
    pub touch: QueuedTouch,
    pub expand_message: bool,
    pub logv: LogFormView,
    pub csrf_token: String,
    /// Problems with the skip or snooze form (`reason`, `until`), shown beside it.
    pub side_errors: FormErrors,
    pub skip_reason: String,
    pub snooze_until: String,
    pub tomorrow: String,
    pub remaining: usize,
    pub tz: String,
}

impl WorkCard {
    fn due(&self) -> String {
        format::datetime(self.touch.due_at, &self.tz)
    }
}

/// The next touch due by the end of today, in the order work mode takes them, and how
/// many are due in all.
async fn next_due_today(
    state: &AppState,
    user: &CurrentUser,
) -> Result<(Option<QueuedTouch>, usize)> {
    let until = end_of_today(&user.time_zone);
    let next = queue::due_for_owner(&state.db, user.id, until, 1)
        .await?
        .pop();
    let due = queue::count_due(&state.db, user.id, until).await?;
    Ok((next, usize::try_from(due).unwrap_or(usize::MAX)))
}

async fn work_card(
    state: &AppState,
    layout: &Layout,
    scope: &Scope,
    touch: QueuedTouch,
    remaining: usize,
    log: Option<(LogForm, FormErrors)>,
) -> Result<WorkCard> {
    let tz = layout.time_zone().to_string();
    let open = opportunities::db::for_prospect(&state.db, scope, touch.prospect_id)
        .await?
        .into_iter()
        .find(|o| o.stage.is_open())
        .map(|o| OpenOpportunity {
            id: o.id,
            name: o.name,
            stage: o.stage,
        });
    let (form, errors) = log.unwrap_or_else(|| {
        let mut form = LogFormView::blank_stage_follows(LogForm::blank(layout), open.as_ref());
        form.channel = touch.channel.as_str().to_string();
        (form, FormErrors::default())
    });
    let tomorrow = format::today(&tz) + Duration::days(1);
    Ok(WorkCard {
        expand_message: true,
        logv: LogFormView {
            action: format!("/touches/{}/complete", touch.id),
            csrf_token: layout.csrf_token.clone(),
            title: "Log the outcome",
            submit_label: "Log and next",
            form,
            errors,
            open_opportunity: open,
            do_not_contact: false,
        },
        csrf_token: layout.csrf_token.clone(),
        side_errors: FormErrors::default(),
        skip_reason: String::new(),
        snooze_until: tomorrow.to_string(),
        tomorrow: tomorrow.to_string(),
        remaining,
        tz,
        touch,
    })
}

pub async fn work(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Query(query): Query<RepQuery>,
) -> Result<WorkPage> {
    let (next, remaining) = next_due_today(&state, &user).await?;
    let chosen = match query.touch.parse::<i64>() {
        Ok(id) => queue::get(&state.db, &scope, id).await?,
        Err(_) => next,
    };
    let card = match chosen {
        Some(touch) => Some(work_card(&state, &layout, &scope, touch, remaining, None).await?),
        None => None,
    };
    Ok(WorkPage {
        layout,
        card,
        remaining,
    })
}

/// After finishing a touch: the next one. A work-mode script asks for just the card
/// (`X-Work-Mode: card`) and swaps it in; without script the browser follows a redirect.
async fn next_step(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    scope: &Scope,
    headers: &HeaderMap,
) -> Result<Response> {
    if headers.get("x-work-mode").is_none() {
        return Ok(Redirect::to("/today/work").into_response());
    }
    let (next, remaining) = next_due_today(state, user).await?;
    Ok(match next {
        Some(touch) => work_card(state, &layout, scope, touch, remaining, None)
            .await?
            .into_response(),
        None => WorkDone {}.into_response(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "touches/_work_done.html")]
pub struct WorkDone {}

/// The touch again, with a problem in its skip or snooze form and what was typed kept:
/// just the card for the work-mode script, the whole page otherwise.
#[allow(clippy::too_many_arguments)]
async fn side_form_problem(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    scope: &Scope,
    headers: &HeaderMap,
    id: i64,
    field: &'static str,
    message: &str,
    typed: &str,
) -> Result<Response> {
    let touch = queue::get(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (_, remaining) = next_due_today(state, user).await?;
    let mut card = work_card(state, &layout, scope, touch, remaining, None).await?;
    card.side_errors.add(field, message);
    match field {
        "reason" => card.skip_reason = typed.to_string(),
        _ => card.snooze_until = typed.to_string(),
    }
    let body = if headers.get("x-work-mode").is_some() {
        card.into_response()
    } else {
        WorkPage {
            layout,
            card: Some(card),
            remaining,
        }
        .into_response()
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
}

/// Completing a touch is logging an interaction from it, with the decision asked as
/// everywhere; a cadence step then schedules the next step.
// Axum handlers take one argument per extractor; these three need all of them.
#[allow(clippy::too_many_arguments)]
pub async fn complete(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<LogForm>,
) -> Result<Response> {
    let valid = match form.validate(&user.time_zone, OffsetDateTime::now_utc()) {
        Ok(valid) => valid,
        Err(errors) => {
            let touch = queue::get(&state.db, &scope, id)
                .await?
                .ok_or(AppError::NotFound)?;
            let (_, remaining) = next_due_today(&state, &user).await?;
            let card = work_card(
                &state,
                &layout,
                &scope,
                touch,
                remaining,
                Some((form, errors)),
            )
            .await?;
            let body = if headers.get("x-work-mode").is_some() {
                card.into_response()
            } else {
                WorkPage {
                    layout,
                    card: Some(card),
                    remaining,
                }
                .into_response()
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response());
        }
    };
    let mut tx = state.db.begin().await?;
    let worked = actions::complete(&mut tx, &scope, user.id, id, &valid)
        .await?
        .ok_or(AppError::NotFound)?;
    if !worked {
        tx.rollback().await?;
        flash(&session, FlashKind::Info, "That touch was already done.").await?;
        return next_step(&state, layout, &user, &scope, &headers).await;
    }
    tx.commit().await?;
    if headers.get("x-work-mode").is_none() {
        flash(
            &session,
            FlashKind::Success,
            format!("{} logged.", valid.channel.label()),
        )
        .await?;
    }
    next_step(&state, layout, &user, &scope, &headers).await
}

#[derive(Deserialize)]
pub struct SkipForm {
    #[serde(default)]
    reason: String,
}

/// Skipping a step moves the cadence on; the reason goes on the timeline.
#[allow(clippy::too_many_arguments)]
pub async fn skip(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<SkipForm>,
) -> Result<Response> {
    let reason = match actions::parse_skip_reason(&form.reason) {
        Ok(reason) => reason,
        Err(message) => {
            return side_form_problem(
                &state,
                layout,
                &user,
                &scope,
                &headers,
                id,
                "reason",
                message,
                &form.reason,
            )
            .await;
        }
    };
    let mut tx = state.db.begin().await?;
    actions::skip(&mut tx, &scope, user.id, id, reason)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    if headers.get("x-work-mode").is_none() {
        flash(&session, FlashKind::Info, "Touch skipped.").await?;
    }
    next_step(&state, layout, &user, &scope, &headers).await
}

#[derive(Deserialize)]
pub struct SnoozeForm {
    #[serde(default)]
    until: String,
}

/// Snoozing moves a touch off the queue until the start of the owner's day on a date.
#[allow(clippy::too_many_arguments)]
pub async fn snooze(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<SnoozeForm>,
) -> Result<Response> {
    let mut errors = FormErrors::default();
    let until = errors.optional_date("until", &form.until);
    let until = match actions::check_snooze_until(until, &user.time_zone) {
        Ok(until) => until,
        Err(message) => {
            return side_form_problem(
                &state,
                layout,
                &user,
                &scope,
                &headers,
                id,
                "until",
                message,
                &form.until,
            )
            .await;
        }
    };
    let mut tx = state.db.begin().await?;
    actions::snooze(&mut tx, &scope, user.id, id, until)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    if headers.get("x-work-mode").is_none() {
        flash(
            &session,
            FlashKind::Info,
            format!("Snoozed until {}.", format::date(until)),
        )
        .await?;
    }
    next_step(&state, layout, &user, &scope, &headers).await
}

#[derive(Template, WebTemplate)]
#[template(path = "touches/dead_ends.html")]
pub struct DeadEndsPage {
    pub layout: Layout,
    pub rows: Vec<DeadEnd>,
    pub owners: Vec<users::db::OwnerChoice>,
    pub owner: String,
    pub limit: i64,
}

#[derive(Deserialize, Default)]
pub struct DeadEndQuery {
    #[serde(default)]
    owner: String,
}

pub async fn dead_ends(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Query(query): Query<DeadEndQuery>,
) -> Result<DeadEndsPage> {
    let owners = if user.manages() {
        users::db::owner_choices(&state.db, scope.owner_ids()).await?
    } else {
        Vec::new()
    };
    let rows = queue::dead_ends(&state.db, &scope, query.owner.parse().ok()).await?;
    Ok(DeadEndsPage {
        layout,
        rows,
        owners,
        owner: query.owner,
        limit: queue::DEAD_END_LIMIT,
    })
}
