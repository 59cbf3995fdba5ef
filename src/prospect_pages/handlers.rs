//! Prospect pages: the list, the new/edit form, the prospect page, reassignment, and the
//! interaction logged from the prospect page.

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

use crate::{
    accounts,
    auth::{CurrentUser, Scope},
    enrollments::handlers::{CadenceChoice, PlanPanel, cadence_choices},
    error::{AppError, Result},
    interactions::{
        self,
        form::{DecisionInput, LogForm, LogFormView, OpenOpportunity, ValidLog},
    },
    opportunities,
    prospects::{
        InterestState, QualifyingField, QualifyingInput,
        db::{self, Cursor, ListFilter, Sort},
        form::ProspectForm,
        list::ListQuery,
        save,
        timeline::{self, TimelineEntry},
    },
    state::AppState,
    users,
    web::{FlashKind, FormErrors, Layout, flash, format},
};

#[derive(Template, WebTemplate)]
#[template(path = "prospects/index.html")]
pub struct ProspectListPage {
    pub layout: Layout,
    pub query: ListQuery,
    pub filter: ListFilter,
    pub rows: Vec<db::ListRow>,
    pub next_url: Option<String>,
    pub first_url: Option<String>,
    pub owners: Vec<users::db::OwnerChoice>,
    pub tags: Vec<String>,
    pub sorts: &'static [Sort],
    pub states: &'static [InterestState],
    pub cadences: Vec<CadenceChoice>,
}

impl ProspectListPage {
    fn is_filtered(&self) -> bool {
        self.filter.search.is_some()
            || self.filter.owner_id.is_some()
            || self.filter.interest.is_some()
            || self.filter.tag.is_some()
    }
}

pub async fn index(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Query(query): Query<ListQuery>,
) -> Result<ProspectListPage> {
    let filter = query.filter();
    let after = Some(query.after.as_str())
        .filter(|s| !s.is_empty())
        .map(|raw| {
            Cursor::decode(filter.sort, raw).ok_or_else(|| {
                AppError::BadRequest(
                    "That page link is no longer valid; start from the first page.".into(),
                )
            })
        })
        .transpose()?;
    let page = db::list(&state.db, &scope, &filter, after.as_ref(), db::PAGE_SIZE).await?;
    let owners = if user.manages() {
        users::db::owner_choices(&state.db, scope.owner_ids()).await?
    } else {
        Vec::new()
    };
    let tags = db::tags_in_use(&state.db, &scope).await?;
    let next_url = page
        .next
        .as_ref()
        .map(|c| format!("/prospects?{}", query.with_after(Some(c))));
    let first_url = after
        .is_some()
        .then(|| format!("/prospects?{}", query.with_after(None)));
    Ok(ProspectListPage {
        layout,
        query,
        filter,
        rows: page.rows,
        next_url,
        first_url,
        owners,
        tags,
        sorts: &Sort::ALL,
        states: &InterestState::ALL,
        cadences: cadence_choices(&state.db).await?,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "prospects/form.html")]
pub struct ProspectFormPage {
    pub layout: Layout,
    /// `None` when creating.
    pub prospect_id: Option<i64>,
    pub form: ProspectForm,
    pub errors: FormErrors,
    /// Set when the email belongs to another prospect.
    pub duplicate: Option<Duplicate>,
    pub account_names: Vec<String>,
    pub qualifying_fields: &'static [QualifyingField],
}

pub struct Duplicate {
    pub name: String,
    pub owner_name: String,
    /// Only when the caller may see that prospect.
    pub url: Option<String>,
}

impl ProspectFormPage {
    fn action(&self) -> String {
        match self.prospect_id {
            Some(id) => format!("/prospects/{id}"),
            None => "/prospects".to_string(),
        }
    }

    fn qualifying_value(&self, field: &QualifyingField) -> &str {
        self.form.qualifying.get(*field)
    }

    fn qualifying_name(&self, field: &QualifyingField) -> &'static str {
        QualifyingInput::form_name(*field)
    }
}

async fn form_page(
    state: &AppState,
    layout: Layout,
    scope: &Scope,
    prospect_id: Option<i64>,
    form: ProspectForm,
    errors: FormErrors,
    duplicate: Option<Duplicate>,
) -> Result<ProspectFormPage> {
    Ok(ProspectFormPage {
        layout,
        prospect_id,
        form,
        errors,
        duplicate,
        account_names: accounts::db::name_suggestions(&state.db, scope).await?,
        qualifying_fields: &QualifyingField::ALL,
    })
}

pub async fn new(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
) -> Result<ProspectFormPage> {
    form_page(
        &state,
        layout,
        &scope,
        None,
        ProspectForm::default(),
        FormErrors::default(),
        None,
    )
    .await
}

/// The duplicate-email error, with a link when the existing prospect is visible.
async fn check_email_free(
    state: &AppState,
    scope: &Scope,
    email: Option<&str>,
    except_id: Option<i64>,
    errors: &mut FormErrors,
) -> Result<Option<Duplicate>> {
    let Some(email) = email else { return Ok(None) };
    let Some(existing) = db::find_by_email(&state.db, email).await? else {
        return Ok(None);
    };
    if Some(existing.id) == except_id {
        return Ok(None);
    }
    errors.add("email", "Another prospect already has this email.");
    Ok(Some(Duplicate {
        name: existing.name,
        owner_name: existing.owner_name,
        url: scope
            .includes(existing.owner_id)
            .then(|| format!("/prospects/{}", existing.id)),
    }))
}

fn unprocessable(page: ProspectFormPage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

pub async fn create(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Form(form): Form<ProspectForm>,
) -> Result<Response> {
    let (valid, mut errors) = match form.validate() {
        Ok(valid) => (Some(valid), FormErrors::default()),
        Err(errors) => (None, errors),
    };
    let email = valid.as_ref().and_then(|v| v.fields.email.clone());
    let duplicate = check_email_free(&state, &scope, email.as_deref(), None, &mut errors).await?;
    let Some(valid) = valid.filter(|_| errors.is_empty()) else {
        let page = form_page(&state, layout, &scope, None, form, errors, duplicate).await?;
        return Ok(unprocessable(page));
    };

    let mut tx = state.db.begin().await?;
    let id = match save::create(&mut tx, &scope, user.id, user.id, &valid, &form.qualifying).await?
    {
        Ok(id) => id,
        Err(save::EmailTaken) => {
            // Another request took the email between our check and the insert.
            tx.rollback().await?;
            let mut errors = FormErrors::default();
            let duplicate =
                check_email_free(&state, &scope, email.as_deref(), None, &mut errors).await?;
            let page = form_page(&state, layout, &scope, None, form, errors, duplicate).await?;
            return Ok(unprocessable(page));
        }
    };
    tx.commit().await?;

    flash(
        &session,
        FlashKind::Success,
        "Prospect created. Log the first interaction when you reach them.",
    )
    .await?;
    Ok(Redirect::to(&format!("/prospects/{id}")).into_response())
}

pub async fn edit(
    State(state): State<AppState>,
    layout: Layout,
    scope: Scope,
    Path(id): Path<i64>,
) -> Result<ProspectFormPage> {
    let prospect = db::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let facts = db::current_facts(&state.db, &scope, id).await?;
    let fact = |field| {
        facts
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.value.clone())
            .unwrap_or_default()
    };
    let form = ProspectForm {
        first_name: prospect.first_name.clone(),
        last_name: prospect.last_name.clone(),
        title: prospect.title.clone(),
        email: prospect.email.clone().unwrap_or_default(),
        phone: prospect.phone.clone(),
        linkedin_url: prospect.linkedin_url.clone(),
        account_name: prospect.account_name.clone().unwrap_or_default(),
        source: prospect.source.clone(),
        tags: prospect.tags.join(", "),
        do_not_contact: prospect.do_not_contact.then(|| "on".to_string()),
        qualifying: QualifyingInput {
            need: fact(QualifyingField::Need),
            budget: fact(QualifyingField::Budget),
            authority: fact(QualifyingField::Authority),
            timeline: fact(QualifyingField::Timeline),
            notes: fact(QualifyingField::Notes),
        },
    };
    form_page(
        &state,
        layout,
        &scope,
        Some(id),
        form,
        FormErrors::default(),
        None,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ProspectForm>,
) -> Result<Response> {
    db::get(&state.db, &scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (valid, mut errors) = match form.validate() {
        Ok(valid) => (Some(valid), FormErrors::default()),
        Err(errors) => (None, errors),
    };
    let email = valid.as_ref().and_then(|v| v.fields.email.clone());
    let duplicate =
        check_email_free(&state, &scope, email.as_deref(), Some(id), &mut errors).await?;
    let Some(valid) = valid.filter(|_| errors.is_empty()) else {
        let page = form_page(&state, layout, &scope, Some(id), form, errors, duplicate).await?;
        return Ok(unprocessable(page));
    };

    let mut tx = state.db.begin().await?;
    match save::update(&mut tx, &scope, user.id, id, &valid, &form.qualifying).await? {
        Ok(true) => {}
        Ok(false) => return Err(AppError::NotFound),
        Err(save::EmailTaken) => {
            tx.rollback().await?;
            let mut errors = FormErrors::default();
            let duplicate =
                check_email_free(&state, &scope, email.as_deref(), Some(id), &mut errors).await?;
            let page = form_page(&state, layout, &scope, Some(id), form, errors, duplicate).await?;
            return Ok(unprocessable(page));
        }
    }
    tx.commit().await?;

    flash(&session, FlashKind::Success, "Prospect saved.").await?;
    Ok(Redirect::to(&format!("/prospects/{id}")).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "prospects/show.html")]
pub struct ProspectShowPage {
    pub layout: Layout,
    pub prospect: db::Prospect,
    pub facts: Vec<db::Fact>,
    pub timeline: Vec<TimelineEntry>,
    pub opportunities: Vec<opportunities::db::Opportunity>,
    pub owners: Vec<users::db::OwnerChoice>,
    pub logv: LogFormView,
    pub qualifying_fields: &'static [QualifyingField],
    pub timeline_limit: i64,
    pub plan: PlanPanel,
}

impl ProspectShowPage {
    fn fact(&self, field: &QualifyingField) -> Option<&db::Fact> {
        self.facts.iter().find(|f| f.field == *field)
    }
}

/// Renders the prospect page; the log form is blank unless a failed attempt is shown again.
pub async fn show_page(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    scope: &Scope,
    id: i64,
    log: Option<(LogForm, FormErrors)>,
) -> Result<ProspectShowPage> {
    let prospect = db::get(&state.db, scope, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let facts = db::current_facts(&state.db, scope, id).await?;
    let timeline = timeline::load(&state.db, scope, id).await?;
    let opportunities = opportunities::db::for_prospect(&state.db, scope, id).await?;
    let owners = if user.manages() {
        users::db::owner_choices(&state.db, scope.owner_ids()).await?
    } else {
        Vec::new()
    };
    let open_opportunity =
        opportunities
            .iter()
            .find(|o| o.stage.is_open())
            .map(|o| OpenOpportunity {
                id: o.id,
                name: o.name.clone(),
                stage: o.stage,
            });
    let (form, errors) = log.unwrap_or_else(|| {
        let form =
            LogFormView::blank_stage_follows(LogForm::blank(&layout), open_opportunity.as_ref());
        (form, FormErrors::default())
    });
    let logv = LogFormView {
        action: format!("/prospects/{id}/interactions"),
        csrf_token: layout.csrf_token.clone(),
        title: "Log an interaction",
        submit_label: "Log interaction",
        form,
        errors,
        open_opportunity: opportunities.iter().find(|o| o.stage.is_open()).map(|o| {
            OpenOpportunity {
                id: o.id,
                name: o.name.clone(),
                stage: o.stage,
            }
        }),
        do_not_contact: prospect.do_not_contact,
    };
    let plan = PlanPanel::load(&state.db, scope, &prospect).await?;
    Ok(ProspectShowPage {
        layout,
        prospect,
        facts,
        timeline,
        opportunities,
        owners,
        logv,
        qualifying_fields: &QualifyingField::ALL,
        timeline_limit: timeline::LIMIT,
        plan,
    })
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Path(id): Path<i64>,
) -> Result<ProspectShowPage> {
    show_page(&state, layout, &user, &scope, id, None).await
}

#[derive(Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    owner_id: String,
}

/// Managers and admins hand a prospect to another rep within their scope.
pub async fn reassign(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ReassignForm>,
) -> Result<Response> {
    if !user.manages() {
        return Err(AppError::NotFound);
    }
    let new_owner: i64 = form
        .owner_id
        .parse()
        .map_err(|_| AppError::BadRequest("Choose a new owner.".into()))?;
    let owners = users::db::owner_choices(&state.db, scope.owner_ids()).await?;
    let Some(new_owner) = owners.iter().find(|o| o.id == new_owner) else {
        return Err(AppError::BadRequest(
            "That person cannot own this prospect.".into(),
        ));
    };

    let mut tx = state.db.begin().await?;
    if !db::reassign(&mut tx, &scope, id, new_owner.id, user.id).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    flash(
        &session,
        FlashKind::Success,
        format!("{} now owns this prospect.", new_owner.name),
    )
    .await?;
    Ok(Redirect::to(&format!("/prospects/{id}")).into_response())
}

/// The one-line confirmation shown after logging.
fn confirmation(log: &ValidLog) -> String {
    let what = format!("{} logged", log.channel.label());
    match &log.decision {
        DecisionInput::Unassessed => format!("{what}."),
        DecisionInput::Current { stage, .. } => {
            format!(
                "{what}. Current interest — opportunity at {}.",
                stage.label()
            )
        }
        DecisionInput::Future { re_engage_on } => {
            format!(
                "{what}. Future interest — re-engage on {}.",
                format::date(*re_engage_on)
            )
        }
        DecisionInput::None {
            do_not_contact: true,
            ..
        } => {
            format!("{what}. No interest; marked do-not-contact.")
        }
        DecisionInput::None { .. } => format!("{what}. No interest."),
    }
}

/// Logs an interaction from the prospect page; a refused form shows the page again with
/// what was typed and its errors.
pub async fn log(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(prospect_id): Path<i64>,
    Form(form): Form<LogForm>,
) -> Result<Response> {
    let valid = match form.validate(&user.time_zone, OffsetDateTime::now_utc()) {
        Ok(valid) => valid,
        Err(errors) => {
            let page = show_page(
                &state,
                layout,
                &user,
                &scope,
                prospect_id,
                Some((form, errors)),
            )
            .await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };

    let mut tx = state.db.begin().await?;
    interactions::db::log_interaction(&mut tx, &scope, user.id, prospect_id, &valid, None)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;

    flash(&session, FlashKind::Success, confirmation(&valid)).await?;
    Ok(Redirect::to(&format!("/prospects/{prospect_id}#history")).into_response())
}
