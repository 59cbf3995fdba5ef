//! Cadence pages: the list, the cadence page, the step editor, archiving, and the live
//! preview of a message template.
//!
//! Everyone signed in may read cadences (reps follow them); only managers and admins
//! (`Editor`) may change them, and to anyone else the editing routes do not exist (404).

use crate::web::extract::{Form, Path, Query};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::{FromRequestParts, State},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use serde::Deserialize;
use tower_sessions::Session;

use super::{
    Purpose,
    db::{self, CadenceDetail, CadenceHead, CadenceSummary, Step},
    form::{self, BLANK_ROWS, CadenceErrors, CadenceForm, RowErrors, StepRow},
    template::{self, FIELDS, MergeValues},
};
use crate::{
    auth::CurrentUser,
    error::{AppError, Result, ResultExt as _},
    process::Channel,
    state::AppState,
    web::{FlashKind, FormErrors, Layout, flash},
};

/// A signed-in manager or admin: the people who edit cadences.
pub struct Editor(pub CurrentUser);

impl FromRequestParts<AppState> for Editor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if user.manages() {
            Ok(Editor(user))
        } else {
            Err(AppError::NotFound)
        }
    }
}

/// "about 3 weeks", "about 12 months": a plan's length as people plan, when worth saying.
pub fn span_about(business_days: i64) -> Option<String> {
    match business_days {
        ..=9 => None,
        10..=59 => Some(format!("about {} weeks", (business_days + 2) / 5)),
        _ => Some(format!("about {} months", (business_days * 12 + 130) / 260)),
    }
}

/// "15 business days (about 3 weeks)".
pub fn span_label(business_days: i64) -> String {
    let days = match business_days {
        0 => "Same day".to_string(),
        1 => "1 business day".to_string(),
        n => format!("{n} business days"),
    };
    match span_about(business_days) {
        Some(about) => format!("{days} ({about})"),
        None => days,
    }
}

// ------------------------------------------------------------------- preview

/// A template rendered with the sample prospect, or the reason it cannot be: the live
/// preview's answer, and the preview shown on the pages without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "cadences/_preview.html")]
pub struct TemplatePreview {
    pub text: String,
    pub error: Option<String>,
}

impl TemplatePreview {
    pub fn of(template_text: &str) -> Self {
        match template::render(template_text.trim(), &MergeValues::sample()) {
            Ok(text) => TemplatePreview { text, error: None },
            Err(err) => TemplatePreview {
                text: String::new(),
                error: Some(err.to_string()),
            },
        }
    }

    fn html(template_text: &str) -> Result<String> {
        TemplatePreview::of(template_text)
            .render()
            .map_err(|e| AppError::Internal(e.into()))
    }
}

#[derive(Deserialize)]
pub struct PreviewForm {
    #[serde(default)]
    template: String,
}

pub async fn preview(Editor(_): Editor, Form(form): Form<PreviewForm>) -> TemplatePreview {
    TemplatePreview::of(&form.template)
}

/// A merge field as the editor lists it: `{{first_name}}` and what it holds.
pub struct MergeField {
    pub code: String,
    pub description: &'static str,
}

fn merge_fields() -> Vec<MergeField> {
    FIELDS
        .iter()
        .map(|(name, description)| MergeField {
            code: format!("{{{{{name}}}}}"),
            description,
        })
        .collect()
}

// ---------------------------------------------------------------------- list

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    show: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Show {
    Active,
    Archived,
    All,
}

impl Show {
    fn parse(raw: &str) -> Show {
        match raw {
            "archived" => Show::Archived,
            "all" => Show::All,
            _ => Show::Active,
        }
    }

    fn includes(self, cadence: &CadenceSummary) -> bool {
        match self {
            Show::Active => !cadence.archived,
            Show::Archived => cadence.archived,
            Show::All => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Show::Active => "active",
            Show::Archived => "archived",
            Show::All => "all",
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cadences/index.html")]
pub struct CadenceListPage {
    pub layout: Layout,
    pub rows: Vec<CadenceSummary>,
    pub show: Show,
    pub archived_count: usize,
    /// Purposes with no default cadence: automatic enrollment has nothing to use for them.
    pub missing_defaults: Vec<Purpose>,
    pub can_edit: bool,
}

impl CadenceListPage {
    fn span(&self, cadence: &CadenceSummary) -> String {
        span_label(cadence.span_business_days)
    }
}

pub async fn index(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<CadenceListPage> {
    let show = Show::parse(&query.show);
    let all = db::list(&state.db).await?;
    let archived_count = all.iter().filter(|c| c.archived).count();
    let missing_defaults = Purpose::ALL
        .iter()
        .copied()
        .filter(|p| {
            !all.iter()
                .any(|c| c.purpose == *p && c.is_default && !c.archived)
        })
        .collect();
    Ok(CadenceListPage {
        layout,
        rows: all.into_iter().filter(|c| show.includes(c)).collect(),
        show,
        archived_count,
        missing_defaults,
        can_edit: user.manages(),
    })
}

// ---------------------------------------------------------------------- show

pub struct StepView {
    pub step: Step,
    /// Business days from enrollment to this step, if every touch is done on its day.
    pub day: i64,
    pub preview_html: String,
}

impl StepView {
    pub fn timing(&self) -> String {
        let after = if self.step.position == 1 {
            "enrollment"
        } else {
            "the previous step"
        };
        match self.step.delay_business_days {
            0 if self.step.position == 1 => "On the day of enrollment".to_string(),
            0 => "Same day as the previous step".to_string(),
            1 => format!("1 business day after {after}"),
            n => format!("{n} business days after {after}"),
        }
    }

    pub fn window(&self) -> Option<String> {
        match (self.step.window_start, self.step.window_end) {
            (Some(start), Some(end)) => Some(format!("{}–{}", form::hhmm(start), form::hhmm(end))),
            _ => None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "cadences/show.html")]
pub struct CadenceShowPage {
    pub layout: Layout,
    pub cadence: CadenceDetail,
    pub steps: Vec<StepView>,
    pub can_edit: bool,
}

impl CadenceShowPage {
    fn span_days(&self) -> i64 {
        self.steps.last().map_or(0, |s| s.day)
    }

    fn span_about(&self) -> Option<String> {
        span_about(self.span_days())
    }
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<CadenceShowPage> {
    let mut conn = state.db.acquire().await?;
    let mut cadence = db::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let mut day = 0;
    let steps = std::mem::take(&mut cadence.steps)
        .into_iter()
        .map(|step| {
            day += i64::from(step.delay_business_days);
            Ok(StepView {
                day,
                preview_html: if step.template.is_empty() {
                    String::new()
                } else {
                    TemplatePreview::html(&step.template)?
                },
                step,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(CadenceShowPage {
        layout,
        cadence,
        steps,
        can_edit: user.manages(),
    })
}

// ---------------------------------------------------------------------- form

/// One row of the step editor with what is shown around it.
pub struct RowView {
    pub index: usize,
    pub row: StepRow,
    pub errors: RowErrors,
    pub preview_html: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cadences/form.html")]
pub struct CadenceFormPage {
    pub layout: Layout,
    /// The cadence being edited; `None` when creating.
    pub head: Option<CadenceHead>,
    pub form: CadenceForm,
    pub errors: FormErrors,
    pub rows: Vec<RowView>,
    /// Each row problem with the id of its input, for the summary at the top.
    pub row_messages: Vec<(String, String)>,
    pub purposes: &'static [Purpose],
    pub channels: &'static [Channel],
    pub merge_fields: Vec<MergeField>,
}

impl CadenceFormPage {
    fn action(&self) -> String {
        match &self.head {
            Some(head) => format!("/cadences/{}", head.id),
            None => "/cadences".to_string(),
        }
    }

    fn cancel_url(&self) -> String {
        self.action()
    }

    fn has_errors(&self) -> bool {
        !self.errors.is_empty() || !self.row_messages.is_empty()
    }

    fn steps_count(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| !r.row.remove && !r.row.is_blank())
            .count()
    }
}

fn form_page(
    layout: Layout,
    head: Option<CadenceHead>,
    mut form: CadenceForm,
    errors: CadenceErrors,
) -> Result<CadenceFormPage> {
    let mut row_messages = Vec::new();
    let rows = std::mem::take(&mut form.rows)
        .into_iter()
        .enumerate()
        .map(|(index, row)| {
            let errors = errors.row(index);
            for (field, message) in errors.messages() {
                row_messages.push((
                    format!("step-{index}-{field}"),
                    format!("Step {}: {message}", index + 1),
                ));
            }
            let preview_html = if row.template.trim().is_empty() {
                String::new()
            } else {
                TemplatePreview::html(&row.template)?
            };
            Ok(RowView {
                index,
                row,
                errors,
                preview_html,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(CadenceFormPage {
        layout,
        head,
        form,
        errors: errors.fields,
        rows,
        row_messages,
        purposes: Purpose::ALL,
        channels: Channel::ALL,
        merge_fields: merge_fields(),
    })
}

fn unprocessable(page: CadenceFormPage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

#[derive(Deserialize, Default)]
pub struct FormQuery {
    #[serde(default)]
    rows: Option<usize>,
    #[serde(default)]
    purpose: String,
}

impl FormQuery {
    fn blank_rows(&self) -> usize {
        self.rows
            .unwrap_or(BLANK_ROWS)
            .clamp(1, form::MAX_BLANK_ROWS)
    }
}

pub async fn new(
    Editor(_): Editor,
    layout: Layout,
    Query(query): Query<FormQuery>,
) -> Result<CadenceFormPage> {
    let mut form = CadenceForm {
        purpose: Purpose::parse(&query.purpose)
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        ..Default::default()
    };
    form.add_blank_rows(query.blank_rows());
    form_page(layout, None, form, CadenceErrors::default())
}

/// The unique indexes a save can run into, as the form errors a person can act on.
fn conflict_errors(err: AppError) -> Result<CadenceErrors> {
    let field = match err {
        AppError::BadRequest(field) => field,
        other => return Err(other),
    };
    let mut errors = CadenceErrors::default();
    match field.as_str() {
        "name" => errors.fields.add(
            "name",
            "Another cadence already has this name. Choose another, or archive that one first.",
        ),
        _ => errors.fields.add(
            "is_default",
            "Another cadence became the default for this purpose while you were editing. \
             Save again to make this one the default instead.",
        ),
    }
    Ok(errors)
}

fn on_conflicts<T>(result: sqlx::Result<T>) -> Result<T> {
    result
        .on_constraint("cadences_name_key", || AppError::BadRequest("name".into()))
        .on_constraint("cadences_default_key", || {
            AppError::BadRequest("is_default".into())
        })
}

pub async fn create(
    Editor(user): Editor,
    State(state): State<AppState>,
    layout: Layout,
    session: Session,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let mut form = CadenceForm::from_pairs(pairs);
    if form.more_rows {
        form.add_blank_rows(BLANK_ROWS);
        return Ok(form_page(layout, None, form, CadenceErrors::default())?.into_response());
    }
    let input = match form.validate() {
        Ok(input) => input,
        Err(errors) => return Ok(unprocessable(form_page(layout, None, form, errors)?)),
    };
    let mut tx = state.db.begin().await?;
    let id = match on_conflicts(db::create(&mut tx, user.id, &input).await) {
        Ok(id) => id,
        Err(err) => {
            let errors = conflict_errors(err)?;
            return Ok(unprocessable(form_page(layout, None, form, errors)?));
        }
    };
    tx.commit().await?;
    flash(
        &session,
        FlashKind::Success,
        format!(
            "Cadence created with {} step{}.",
            input.steps.len(),
            if input.steps.len() == 1 { "" } else { "s" }
        ),
    )
    .await?;
    Ok(Redirect::to(&format!("/cadences/{id}")).into_response())
}

pub async fn edit(
    Editor(_): Editor,
    State(state): State<AppState>,
    layout: Layout,
    Path(id): Path<i64>,
    Query(query): Query<FormQuery>,
) -> Result<CadenceFormPage> {
    let mut conn = state.db.acquire().await?;
    let cadence = db::get(&mut conn, id).await?.ok_or(AppError::NotFound)?;
    let head = db::head(&mut *conn, id).await?.ok_or(AppError::NotFound)?;
    let mut form = CadenceForm::from_detail(&cadence);
    form.add_blank_rows(query.blank_rows());
    form_page(layout, Some(head), form, CadenceErrors::default())
}

pub async fn update(
    Editor(user): Editor,
    State(state): State<AppState>,
    layout: Layout,
    session: Session,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let head = db::head(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let mut form = CadenceForm::from_pairs(pairs);
    if form.more_rows {
        form.add_blank_rows(BLANK_ROWS);
        return Ok(form_page(layout, Some(head), form, CadenceErrors::default())?.into_response());
    }
    let validated = form.validate();
    let input = match validated {
        Ok(input) if head.archived && input.is_default => {
            let mut errors = CadenceErrors::default();
            errors.fields.add(
                "is_default",
                "An archived cadence cannot be the default. Restore it first.",
            );
            return Ok(unprocessable(form_page(layout, Some(head), form, errors)?));
        }
        Ok(input) => input,
        Err(errors) => return Ok(unprocessable(form_page(layout, Some(head), form, errors)?)),
    };
    let mut tx = state.db.begin().await?;
    let version = match on_conflicts(db::update(&mut tx, user.id, id, &input).await) {
        Ok(Some(version)) => version,
        Ok(None) => return Err(AppError::NotFound),
        Err(err) => {
            let errors = conflict_errors(err)?;
            return Ok(unprocessable(form_page(layout, Some(head), form, errors)?));
        }
    };
    tx.commit().await?;

    let mut message = if version > head.version {
        format!(
            "Saved as version {version}. Prospects already enrolled keep the plan they started on; \
             new enrollments follow this one."
        )
    } else {
        "Cadence saved. The steps did not change.".to_string()
    };
    if head.is_default && !input.is_default {
        message.push_str(&format!(
            " There is now no default {} cadence for automatic enrollment.",
            head.purpose.label().to_lowercase()
        ));
    }
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&format!("/cadences/{id}")).into_response())
}

// ------------------------------------------------------------------- archive

#[derive(Deserialize)]
pub struct ArchiveForm {
    /// `true` to archive, `false` to restore: explicit, so a repeated post changes nothing.
    #[serde(default)]
    archived: String,
}

pub async fn archive(
    Editor(_): Editor,
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
    Form(form): Form<ArchiveForm>,
) -> Result<Response> {
    let archived = match form.archived.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(AppError::BadRequest("Choose to archive or restore.".into())),
    };
    let head = db::head(&state.db, id).await?.ok_or(AppError::NotFound)?;
    let result = db::set_archived(&state.db, id, archived)
        .await
        .on_constraint("cadences_name_key", || AppError::BadRequest("name".into()));
    let (kind, message) = match result {
        Ok(true) if archived => {
            let mut message = "Cadence archived. Prospects already enrolled carry on; it can no \
                               longer be chosen for new enrollments."
                .to_string();
            if head.is_default && !head.archived {
                message.push_str(&format!(
                    " Make another {} cadence the default for automatic enrollment.",
                    head.purpose.label().to_lowercase()
                ));
            }
            (FlashKind::Success, message)
        }
        Ok(true) => (
            FlashKind::Success,
            "Cadence restored: it can be chosen for new enrollments again.".to_string(),
        ),
        Ok(false) => return Err(AppError::NotFound),
        Err(AppError::BadRequest(_)) => (
            FlashKind::Error,
            format!(
                "Another cadence is now called “{}”. Rename one of them before restoring this one.",
                head.name
            ),
        ),
        Err(other) => return Err(other),
    };
    flash(&session, kind, message).await?;
    Ok(Redirect::to(&format!("/cadences/{id}")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_as_people_plan() {
        assert_eq!(span_label(0), "Same day");
        assert_eq!(span_label(4), "4 business days");
        assert_eq!(span_label(15), "15 business days (about 3 weeks)");
        assert_eq!(span_label(255), "255 business days (about 12 months)");
        assert_eq!(span_label(65), "65 business days (about 3 months)");
    }

    #[test]
    fn the_preview_shows_sample_text_or_the_error() {
        let ok = TemplatePreview::of("Hi {{first_name}}");
        assert_eq!(ok.text, "Hi Ada");
        assert!(ok.error.is_none());
        let bad = TemplatePreview::of("Hi {{firstname}}");
        assert!(bad.error.unwrap().contains("firstname"));
    }
}
