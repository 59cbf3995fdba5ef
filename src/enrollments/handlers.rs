//! Enrollment actions on a prospect (enroll, pause, resume, exit, "no next step because…",
//! data fixed) and enrolling every prospect of a filtered list at once.

use crate::web::extract::{Form, Path};
use axum::{extract::State, response::Redirect};
use serde::Deserialize;
use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;
use tower_sessions::Session;

use super::{
    EnrollmentStatus,
    db::{self, EnrollOutcome},
};
use crate::{
    auth::{CurrentUser, Scope},
    cadences::Purpose,
    error::{AppError, Result},
    process::{Event, store},
    prospects::{self, InterestState, db::Prospect, list::ListQuery},
    state::AppState,
    touches::queue::{self, OpenTouch},
    web::{FlashKind, flash},
};

/// The live enrollment as the prospect page shows it.
pub struct LiveView {
    pub cadence_id: i64,
    pub cadence_name: String,
    pub purpose: Purpose,
    pub status: EnrollmentStatus,
    pub position: i32,
    pub step_count: i64,
}

pub struct CadenceChoice {
    pub id: i64,
    pub name: String,
    pub purpose: Purpose,
    pub is_default: bool,
}

/// The prospect's plan: the live enrollment, the touches to do, and why there is no next
/// step if there is none.
pub struct PlanPanel {
    pub live: Option<LiveView>,
    pub open_touches: Vec<OpenTouch>,
    pub cadences: Vec<CadenceChoice>,
    pub no_next_step_reason: Option<String>,
    pub data_flagged: bool,
    pub is_open: bool,
}

impl PlanPanel {
    pub async fn load(db: &sqlx::PgPool, scope: &Scope, prospect: &Prospect) -> Result<Self> {
        let live = sqlx::query_as!(
            LiveView,
            r#"select e.cadence_id, c.name as cadence_name, c.purpose as "purpose: Purpose",
                      e.status as "status: EnrollmentStatus", e.current_position as position,
                      (select count(*) from cadence_steps s where s.version_id = e.version_id) as "step_count!"
               from enrollments e join cadences c on c.id = e.cadence_id
               where e.prospect_id = $1 and e.status in ('active', 'paused')"#,
            prospect.id
        )
        .fetch_optional(db)
        .await?;
        let flags = sqlx::query!(
            "select no_next_step_reason, data_flagged from prospects where id = $1",
            prospect.id
        )
        .fetch_one(db)
        .await?;
        Ok(PlanPanel {
            live,
            open_touches: queue::open_for_prospect(db, scope, prospect.id).await?,
            cadences: cadence_choices(db).await?,
            no_next_step_reason: flags.no_next_step_reason,
            data_flagged: flags.data_flagged,
            is_open: matches!(
                prospect.interest,
                InterestState::New | InterestState::Current | InterestState::Future
            ) && !prospect.do_not_contact,
        })
    }

    /// No touch to do and no recorded reason: the process has dropped this prospect.
    pub fn is_dead_end(&self) -> bool {
        self.is_open && self.open_touches.is_empty() && self.no_next_step_reason.is_none()
    }

    pub fn is_paused(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|l| l.status == EnrollmentStatus::Paused)
    }
}

pub async fn cadence_choices(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CadenceChoice>> {
    sqlx::query_as!(
        CadenceChoice,
        r#"select id, name, purpose as "purpose: Purpose", is_default from cadences
           where not archived order by purpose, not is_default, lower(name)"#
    )
    .fetch_all(db)
    .await
}

/// Applies `event` to the prospect's process now, in one transaction; not found outside
/// the scope.
async fn act(
    state: &AppState,
    scope: &Scope,
    user: &CurrentUser,
    prospect_id: i64,
    event: Event,
) -> Result<()> {
    let mut tx = state.db.begin().await?;
    let loaded = store::load(&mut tx, scope, prospect_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let change = loaded.decide(&event, OffsetDateTime::now_utc(), Some(user.id));
    store::apply(&mut tx, &[change]).await?;
    tx.commit().await?;
    Ok(())
}

fn back(prospect_id: i64) -> Redirect {
    Redirect::to(&format!("/prospects/{prospect_id}#plan"))
}

#[derive(Deserialize)]
pub struct EnrollForm {
    #[serde(default)]
    cadence_id: String,
    /// Where to go afterwards (the dead-ends list sends people back to itself).
    #[serde(default)]
    next: String,
}

pub async fn enroll(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(prospect_id): Path<i64>,
    Form(form): Form<EnrollForm>,
) -> Result<Redirect> {
    let target = crate::auth::session::local_path(&form.next)
        .map(Redirect::to)
        .unwrap_or_else(|| back(prospect_id));
    let mut tx = state.db.begin().await?;
    let outcome = db::enroll_prospect(
        &mut tx,
        &scope,
        user.id,
        prospect_id,
        form.cadence_id.parse().ok(),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let (kind, message) = match outcome {
        EnrollOutcome::Enrolled { cadence, .. } => (
            FlashKind::Success,
            format!("Enrolled in {cadence}. The first touch is on Today."),
        ),
        EnrollOutcome::AlreadyFollowing { cadence } => {
            (FlashKind::Success, format!("Already following {cadence}."))
        }
        EnrollOutcome::DoNotContact => (
            FlashKind::Error,
            "This prospect asked not to be contacted: they cannot be enrolled.".to_string(),
        ),
        EnrollOutcome::NoCadence => (
            FlashKind::Error,
            "Choose a cadence that is not archived.".to_string(),
        ),
    };
    flash(&session, kind, message).await?;
    Ok(target)
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

/// The trimmed reason, or — when it is empty or longer than 500 characters — `ask` as an
/// error message and the way back to the prospect's plan.
async fn required_reason(
    session: &Session,
    raw: &str,
    ask: &str,
    prospect_id: i64,
) -> Result<Result<String, Redirect>> {
    let reason = raw.trim();
    let problem = crate::input::text_problem(reason);
    if problem.is_none() && !reason.is_empty() && reason.chars().count() <= 500 {
        return Ok(Ok(reason.to_string()));
    }
    let message = match problem {
        Some(problem) => format!("{ask}: {problem}"),
        None => format!("{ask} (at most 500 characters)."),
    };
    flash(session, FlashKind::Error, message).await?;
    Ok(Err(back(prospect_id)))
}

pub async fn pause(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(prospect_id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Result<Redirect> {
    let reason = match required_reason(
        &session,
        &form.reason,
        "Say why the cadence is paused",
        prospect_id,
    )
    .await?
    {
        Ok(reason) => reason,
        Err(back) => return Ok(back),
    };
    act(&state, &scope, &user, prospect_id, Event::Pause { reason }).await?;
    flash(
        &session,
        FlashKind::Success,
        "Cadence paused; its open touch is off Today until you resume.",
    )
    .await?;
    Ok(back(prospect_id))
}

pub async fn resume(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(prospect_id): Path<i64>,
) -> Result<Redirect> {
    act(&state, &scope, &user, prospect_id, Event::Resume).await?;
    flash(&session, FlashKind::Success, "Cadence resumed.").await?;
    Ok(back(prospect_id))
}

pub async fn exit(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(prospect_id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Result<Redirect> {
    let reason = match required_reason(
        &session,
        &form.reason,
        "Say why the prospect leaves the cadence",
        prospect_id,
    )
    .await?
    {
        Ok(reason) => reason,
        Err(back) => return Ok(back),
    };
    act(&state, &scope, &user, prospect_id, Event::Leave { reason }).await?;
    flash(&session, FlashKind::Success, "Left the cadence.").await?;
    Ok(back(prospect_id))
}

/// Records why an open prospect has no next step, so it is a decision and not a dead end.
pub async fn no_next_step(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(prospect_id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Result<Redirect> {
    let reason = match required_reason(
        &session,
        &form.reason,
        "Write the reason there is no next step",
        prospect_id,
    )
    .await?
    {
        Ok(reason) => reason,
        Err(back) => return Ok(back),
    };
    act(
        &state,
        &scope,
        &user,
        prospect_id,
        Event::NoNextStep { reason },
    )
    .await?;
    flash(
        &session,
        FlashKind::Success,
        "Recorded: no next step, and why.",
    )
    .await?;
    Ok(back(prospect_id))
}

/// The contact details were fixed: clear the flag and resume the paused cadence.
pub async fn data_fixed(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(prospect_id): Path<i64>,
) -> Result<Redirect> {
    act(&state, &scope, &user, prospect_id, Event::DataFixed).await?;
    flash(
        &session,
        FlashKind::Success,
        "Data marked as fixed; the cadence goes on.",
    )
    .await?;
    Ok(back(prospect_id))
}

/// How many prospects one bulk action may enroll.
pub const BULK_LIMIT: i64 = 10_000;

#[derive(Deserialize)]
pub struct BulkEnrollForm {
    #[serde(default)]
    cadence_id: String,
    #[serde(flatten)]
    list: ListQuery,
}

/// Enrolls every prospect of a filtered list (in scope, contactable, open, not already on a
/// cadence). The enrollments are written here in one statement; the scheduler, woken by a
/// notification, schedules their first touches in batches.
pub async fn bulk_enroll(
    State(state): State<AppState>,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Form(form): Form<BulkEnrollForm>,
) -> Result<Redirect> {
    // The list's filter rides in the form as it does in the list's address: same rule.
    let list_query = form.list.query_string();
    if let Some((field, problem)) = crate::input::urlencoded_problem(list_query.as_bytes()) {
        return Err(AppError::BadRequest(format!(
            "The list's filter “{}”: {problem}",
            crate::input::visible(&field, 60)
        )));
    }
    let list_url = format!("/prospects?{list_query}");
    let Some(cadence) = (match form.cadence_id.parse::<i64>() {
        Ok(id) => store::chosen_cadence(&mut *state.db.acquire().await?, id).await?,
        Err(_) => None,
    }) else {
        flash(
            &session,
            FlashKind::Error,
            "Choose a cadence to enroll the list in.",
        )
        .await?;
        return Ok(Redirect::to(&list_url));
    };
    let filter = form.list.filter();
    let mut tx = state.db.begin().await?;
    // The list's prospects within the caller's scope; `enroll_many` keeps those that can
    // be enrolled.
    let mut q = QueryBuilder::<Postgres>::new(
        "select p.id from prospects p left join accounts a on a.id = p.account_id
         where not p.do_not_contact and p.interest in ('new', 'current', 'future')
           and not exists (select 1 from enrollments e where e.prospect_id = p.id
                           and e.status in ('active', 'paused'))",
    );
    prospects::db::push_filter(&mut q, &scope, &filter);
    q.push(" order by p.id limit ").push_bind(BULK_LIMIT);
    let ids: Vec<i64> = q.build_query_scalar().fetch_all(&mut *tx).await?;
    let enrolled = db::enroll_many(&mut tx, user.id, &cadence, &ids).await?;
    tx.commit().await?;
    let message = if enrolled == 0 {
        "No prospect of this list could be enrolled: each is already on a cadence, closed or not to be contacted.".to_string()
    } else {
        format!(
            "{enrolled} prospect{} enrolled. Their first touches appear on Today within a moment; prospects already on a cadence were left as they are.",
            if enrolled == 1 { "" } else { "s" }
        )
    };
    flash(&session, FlashKind::Success, message).await?;
    Ok(Redirect::to(&list_url))
}
