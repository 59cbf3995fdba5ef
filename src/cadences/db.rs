//! Queries on cadences, their versions and steps.

use sqlx::{PgConnection, PgExecutor};
use time::{OffsetDateTime, Time};

use super::Purpose;
use crate::process::Channel;

/// A cadence at a particular version: what an enrollment follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CadenceVersion {
    pub cadence_id: i64,
    pub version_id: i64,
}

#[derive(Debug, Clone)]
pub struct Step {
    pub id: i64,
    pub version_id: i64,
    pub position: i32,
    pub channel: Channel,
    pub delay_business_days: i16,
    pub window_start: Option<Time>,
    pub window_end: Option<Time>,
    pub instructions: String,
    pub template: String,
}

/// The latest version of the default cadence for a purpose, if one is set.
pub async fn default_for(
    db: impl PgExecutor<'_>,
    purpose: Purpose,
) -> sqlx::Result<Option<CadenceVersion>> {
    sqlx::query_as!(
        CadenceVersion,
        r#"select c.id as cadence_id, v.id as version_id
           from cadences c
           join lateral (select id from cadence_versions where cadence_id = c.id
                         order by version desc limit 1) v on true
           where c.purpose = $1 and c.is_default and not c.archived"#,
        purpose as Purpose
    )
    .fetch_optional(db)
    .await
}

/// The latest version of a cadence that is not archived.
pub async fn latest_version(
    db: impl PgExecutor<'_>,
    cadence_id: i64,
) -> sqlx::Result<Option<CadenceVersion>> {
    sqlx::query_as!(
        CadenceVersion,
        r#"select c.id as cadence_id, v.id as version_id
           from cadences c
           join lateral (select id from cadence_versions where cadence_id = c.id
                         order by version desc limit 1) v on true
           where c.id = $1 and not c.archived"#,
        cadence_id
    )
    .fetch_optional(db)
    .await
}

pub async fn steps(db: impl PgExecutor<'_>, version_id: i64) -> sqlx::Result<Vec<Step>> {
    sqlx::query_as!(
        Step,
        r#"select id, version_id, position, channel as "channel: Channel", delay_business_days,
                  window_start, window_end, instructions, template
           from cadence_steps where version_id = $1 order by position"#,
        version_id
    )
    .fetch_all(db)
    .await
}

/// One row of the cadence list: the cadence and the shape of its latest version. The API
/// lists cadences as this too.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct CadenceSummary {
    pub id: i64,
    pub name: String,
    pub purpose: Purpose,
    pub description: String,
    pub is_default: bool,
    pub archived: bool,
    pub version: i32,
    pub step_count: i64,
    /// The sum of the latest version's delays: how long the plan lasts, in business days.
    pub span_business_days: i64,
    pub active_enrollments: i64,
}

/// Every cadence, archived ones last, in one query.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CadenceSummary>> {
    sqlx::query_as!(
        CadenceSummary,
        r#"select c.id, c.name, c.purpose as "purpose: Purpose", c.description, c.is_default,
                  c.archived, v.version,
                  coalesce(s.step_count, 0) as "step_count!",
                  coalesce(s.span, 0) as "span_business_days!",
                  (select count(*) from enrollments e
                   where e.cadence_id = c.id and e.status = 'active') as "active_enrollments!"
           from cadences c
           join lateral (select id, version from cadence_versions where cadence_id = c.id
                         order by version desc limit 1) v on true
           left join lateral (select count(*) as step_count,
                                     sum(delay_business_days)::bigint as span
                              from cadence_steps where version_id = v.id) s on true
           order by c.archived, c.purpose, lower(c.name), c.id"#
    )
    .fetch_all(db)
    .await
}

/// A cadence with its latest version and that version's steps.
#[derive(Debug, Clone)]
pub struct CadenceDetail {
    pub id: i64,
    pub name: String,
    pub purpose: Purpose,
    pub description: String,
    pub is_default: bool,
    pub archived: bool,
    pub created_by_name: String,
    pub created_at: OffsetDateTime,
    pub version_id: i64,
    pub version: i32,
    pub version_created_by_name: String,
    pub version_created_at: OffsetDateTime,
    pub active_enrollments: i64,
    /// Active enrollments that still follow an earlier version of the plan.
    pub active_on_older_versions: i64,
    pub steps: Vec<Step>,
}

struct DetailRow {
    id: i64,
    name: String,
    purpose: Purpose,
    description: String,
    is_default: bool,
    archived: bool,
    created_by_name: String,
    created_at: OffsetDateTime,
    version_id: i64,
    version: i32,
    version_created_by_name: String,
    version_created_at: OffsetDateTime,
    active_enrollments: i64,
    active_on_older_versions: i64,
}

pub async fn get(conn: &mut PgConnection, id: i64) -> sqlx::Result<Option<CadenceDetail>> {
    let row = sqlx::query_as!(
        DetailRow,
        r#"select c.id, c.name, c.purpose as "purpose: Purpose", c.description, c.is_default,
                  c.archived, cu.name as created_by_name, c.created_at,
                  v.id as version_id, v.version, vu.name as version_created_by_name,
                  v.created_at as version_created_at,
                  (select count(*) from enrollments e
                   where e.cadence_id = c.id and e.status = 'active') as "active_enrollments!",
                  (select count(*) from enrollments e
                   where e.cadence_id = c.id and e.status = 'active'
                     and e.version_id <> v.id) as "active_on_older_versions!"
           from cadences c
           join users cu on cu.id = c.created_by
           join lateral (select id, version, created_by, created_at from cadence_versions
                         where cadence_id = c.id order by version desc limit 1) v on true
           join users vu on vu.id = v.created_by
           where c.id = $1"#,
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let steps = steps(&mut *conn, row.version_id).await?;
    Ok(Some(CadenceDetail {
        id: row.id,
        name: row.name,
        purpose: row.purpose,
        description: row.description,
        is_default: row.is_default,
        archived: row.archived,
        created_by_name: row.created_by_name,
        created_at: row.created_at,
        version_id: row.version_id,
        version: row.version,
        version_created_by_name: row.version_created_by_name,
        version_created_at: row.version_created_at,
        active_enrollments: row.active_enrollments,
        active_on_older_versions: row.active_on_older_versions,
        steps,
    }))
}

/// A cadence and its plan, validated, as `create` and `update` store them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CadenceInput {
    pub name: String,
    pub purpose: Purpose,
    pub description: String,
    pub is_default: bool,
    /// In order; stored at positions 1, 2, 3…
    pub steps: Vec<StepInput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepInput {
    pub channel: Channel,
    /// Business days after the previous step (after enrollment, for the first).
    pub delay_business_days: i16,
    /// Local time-of-day window `(start, end)`, start before end.
    pub window: Option<(Time, Time)>,
    pub instructions: String,
    pub template: String,
}

impl StepInput {
    fn same_as(&self, step: &Step) -> bool {
        self.channel == step.channel
            && self.delay_business_days == step.delay_business_days
            && self.window.map(|w| w.0) == step.window_start
            && self.window.map(|w| w.1) == step.window_end
            && self.instructions == step.instructions
            && self.template == step.template
    }
}

/// There is one default cadence per purpose (`cadences_default_key`): before another
/// becomes the default, the current one stops being it, in the same transaction.
async fn clear_default(
    conn: &mut PgConnection,
    purpose: Purpose,
    except_id: Option<i64>,
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"update cadences set is_default = false, updated_at = now()
           where purpose = $1 and is_default and id is distinct from $2"#,
        purpose as Purpose,
        except_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

async fn insert_version(
    conn: &mut PgConnection,
    actor_id: i64,
    cadence_id: i64,
    version: i32,
    steps: &[StepInput],
) -> sqlx::Result<i64> {
    let version_id = sqlx::query_scalar!(
        r#"insert into cadence_versions (cadence_id, version, created_by)
           values ($1, $2, $3) returning id"#,
        cadence_id,
        version,
        actor_id
    )
    .fetch_one(&mut *conn)
    .await?;
    for (position, step) in (1..).zip(steps) {
        sqlx::query!(
            r#"insert into cadence_steps (version_id, position, channel, delay_business_days,
                                          window_start, window_end, instructions, template)
               values ($1, $2, $3, $4, $5, $6, $7, $8)"#,
            version_id,
            position,
            step.channel as Channel,
            step.delay_business_days,
            step.window.map(|w| w.0),
            step.window.map(|w| w.1),
            step.instructions,
            step.template,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(version_id)
}

/// Creates a cadence at version 1, in the caller's transaction. A name already used by a
/// cadence that is not archived fails on `cadences_name_key`.
pub async fn create(
    conn: &mut PgConnection,
    actor_id: i64,
    input: &CadenceInput,
) -> sqlx::Result<i64> {
    if input.is_default {
        clear_default(conn, input.purpose, None).await?;
    }
    let id = sqlx::query_scalar!(
        r#"insert into cadences (name, purpose, description, created_by, is_default)
           values ($1, $2, $3, $4, $5) returning id"#,
        input.name,
        input.purpose as Purpose,
        input.description,
        actor_id,
        input.is_default,
    )
    .fetch_one(&mut *conn)
    .await?;
    insert_version(conn, actor_id, id, 1, &input.steps).await?;
    Ok(id)
}

/// Saves an edit, in the caller's transaction, and returns the version now in effect
/// (`None` if there is no such cadence). Changed steps are written as a new version, so
/// enrollments keep following the version they started on; an edit that only touches the
/// name, purpose, description or default flag leaves the plan at its current version.
pub async fn update(
    conn: &mut PgConnection,
    actor_id: i64,
    id: i64,
    input: &CadenceInput,
) -> sqlx::Result<Option<i32>> {
    // The row lock serialises concurrent edits, so `max(version) + 1` cannot collide.
    let locked = sqlx::query_scalar!("select id from cadences where id = $1 for update", id)
        .fetch_optional(&mut *conn)
        .await?;
    if locked.is_none() {
        return Ok(None);
    }
    if input.is_default {
        clear_default(conn, input.purpose, Some(id)).await?;
    }
    sqlx::query!(
        r#"update cadences
           set name = $2, purpose = $3, description = $4, is_default = $5, updated_at = now()
           where id = $1"#,
        id,
        input.name,
        input.purpose as Purpose,
        input.description,
        input.is_default,
    )
    .execute(&mut *conn)
    .await?;

    let latest = sqlx::query!(
        r#"select id, version from cadence_versions where cadence_id = $1
           order by version desc limit 1"#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    let current = steps(&mut *conn, latest.id).await?;
    let unchanged = current.len() == input.steps.len()
        && input
            .steps
            .iter()
            .zip(&current)
            .all(|(new, old)| new.same_as(old));
    if unchanged {
        return Ok(Some(latest.version));
    }
    let version = latest.version + 1;
    insert_version(conn, actor_id, id, version, &input.steps).await?;
    Ok(Some(version))
}

/// What the edit and archive actions need to know about a cadence before changing it.
#[derive(Debug, Clone)]
pub struct CadenceHead {
    pub id: i64,
    pub name: String,
    pub purpose: Purpose,
    pub is_default: bool,
    pub archived: bool,
    pub version: i32,
}

pub async fn head(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<CadenceHead>> {
    sqlx::query_as!(
        CadenceHead,
        r#"select c.id, c.name, c.purpose as "purpose: Purpose", c.is_default, c.archived,
                  (select max(version) from cadence_versions
                   where cadence_id = c.id) as "version!"
           from cadences c where c.id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}

/// Archives or restores a cadence; `false` if there is no such cadence. An archived
/// cadence is offered for no new enrollment (`latest_version` and `default_for` skip it)
/// and stops being the default; prospects already enrolled carry on. Restoring fails on
/// `cadences_name_key` if another cadence took the name meanwhile.
pub async fn set_archived(db: impl PgExecutor<'_>, id: i64, archived: bool) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"update cadences
           set archived = $2, is_default = is_default and not $2, updated_at = now()
           where id = $1"#,
        id,
        archived
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A cadence that new enrollments may use: not archived.
#[derive(Debug, Clone)]
pub struct CadenceChoice {
    pub id: i64,
    pub name: String,
    pub purpose: Purpose,
    pub is_default: bool,
}

/// The cadences to offer when enrolling a prospect, defaults first within each purpose.
pub async fn choices(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CadenceChoice>> {
    sqlx::query_as!(
        CadenceChoice,
        r#"select id, name, purpose as "purpose: Purpose", is_default
           from cadences where not archived
           order by purpose, is_default desc, lower(name)"#
    )
    .fetch_all(db)
    .await
}

/// Whether a cadence that is not archived already has this name (ignoring case).
pub async fn name_in_use(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from cadences
                          where lower(name) = lower($1) and not archived) as "exists!""#,
        name
    )
    .fetch_one(db)
    .await
}
