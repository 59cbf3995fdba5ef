//! The engine's shell in the data layer: loading prospects' process state (locked) and
//! applying the core's effects inside the caller's transaction, for one prospect or for a
//! batch (the scheduler, the import, bulk enrollment) in one statement per kind of effect.

use std::collections::HashMap;

use sqlx::PgConnection;
use time::{Date, OffsetDateTime, Time};

use super::{
    EnrollmentStatus, InterestState, Purpose, Stage, TouchKind, TouchStatus,
    rules::{
        Cadence, Cadences, Context, Effect, EnrollmentRef, Live, OpenOpportunity, OpenTouch,
        OpportunityRef, ProcessState, Record, Step,
    },
};
use crate::{
    auth::Scope,
    schedule::{Window, WorkingHours},
};

/// A prospect's process state with what deciding for it needs.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub state: ProcessState,
    pub hours: WorkingHours,
    pub cadences: Cadences,
}

impl Loaded {
    /// The context of an event at `at`, by `actor` (`None`: the scheduler).
    pub fn context(&self, at: OffsetDateTime, actor: Option<i64>) -> Context<'_> {
        Context {
            at,
            actor,
            hours: &self.hours,
            cadences: &self.cadences,
        }
    }

    /// Decides `event` at `at` and returns the change to apply.
    pub fn decide(&self, event: &super::Event, at: OffsetDateTime, actor: Option<i64>) -> Change {
        Change {
            prospect_id: self.state.prospect_id,
            actor,
            at,
            effects: super::decide(&self.state, event, &self.context(at, actor)),
        }
    }
}

/// A user's working hours from their columns; a zone or hours that no longer parse fall
/// back to UTC, then to 09:00–17:30.
pub fn hours_from(time_zone: &str, start: Time, end: Time) -> WorkingHours {
    WorkingHours::new(time_zone, start, end)
        .or_else(|_| WorkingHours::new("UTC", start, end))
        .unwrap_or_else(|_| {
            WorkingHours::new("UTC", time::macros::time!(9:00), time::macros::time!(17:30))
                .expect("valid default hours")
        })
}

/// Locks one prospect in the scope and loads its state; `None` if it is not there.
pub async fn load(
    conn: &mut PgConnection,
    scope: &Scope,
    prospect_id: i64,
) -> sqlx::Result<Option<Loaded>> {
    Ok(load_many(conn, scope, &[prospect_id], Detail::Full)
        .await?
        .pop())
}

/// Locks the prospect of touch `touch_id` in the scope and loads its state; `None` if the
/// touch is not there or not in the scope.
pub async fn load_for_touch(
    conn: &mut PgConnection,
    scope: &Scope,
    touch_id: i64,
) -> sqlx::Result<Option<Loaded>> {
    let Some(prospect_id) =
        sqlx::query_scalar!("select prospect_id from touches where id = $1", touch_id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(None);
    };
    load(conn, scope, prospect_id).await
}

/// How much of a prospect's state a caller's events read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Everything the rules may read.
    Full,
    /// The plan only, for the batches (the scheduler's events, bulk enrollment,
    /// do-not-contact from an import): without the open opportunities and the time of the
    /// latest decision, which only an interaction logged or a stage change reads. A
    /// scheduler batch reads ten thousand interactions fewer.
    Plan,
}

/// Locks the prospects of `ids` in the scope (in id order, as every writer takes them) and
/// loads their state (`detail` says how much), in id order.
pub async fn load_many(
    conn: &mut PgConnection,
    scope: &Scope,
    ids: &[i64],
    detail: Detail,
) -> sqlx::Result<Vec<Loaded>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Locked first, alone: a lock that waited for another writer re-reads the row it got,
    // and in a join would drop it if that writer changed what it joins on (its owner).
    let locked: Vec<i64> = sqlx::query_scalar!(
        r#"select p.id from prospects p
           where p.id = any($1) and ($2::bigint[] is null or p.owner_id = any($2))
           order by p.id
           for no key update"#,
        ids,
        scope.owner_ids() as Option<&[i64]>
    )
    .fetch_all(&mut *conn)
    .await?;
    if locked.is_empty() {
        return Ok(Vec::new());
    }
    let prospects = sqlx::query!(
        r#"select p.id, p.owner_id, p.interest as "interest: InterestState", p.re_engage_on,
                  p.do_not_contact, p.data_flagged, p.no_next_step_reason,
                  p.first_name, p.last_name, a.name as "account_name?",
                  u.time_zone, u.work_day_start, u.work_day_end
           from prospects p
           join users u on u.id = p.owner_id
           left join accounts a on a.id = p.account_id
           where p.id = any($1)
           order by p.id"#,
        &locked
    )
    .fetch_all(&mut *conn)
    .await?;
    if prospects.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = prospects.iter().map(|p| p.id).collect();

    // The live enrollments, unlocked: every writer of a plan holds its prospect's lock.
    let mut live: HashMap<i64, Live> = sqlx::query!(
        r#"select e.prospect_id, e.id, e.cadence_id, e.version_id,
                  e.status as "status: EnrollmentStatus", e.current_position,
                  c.name, c.purpose as "purpose: Purpose"
           from enrollments e join cadences c on c.id = e.cadence_id
           where e.prospect_id = any($1) and e.status in ('active', 'paused')
           order by e.prospect_id"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| {
        (
            row.prospect_id,
            Live {
                enrollment: EnrollmentRef::Existing(row.id),
                cadence_id: row.cadence_id,
                version_id: row.version_id,
                name: row.name,
                purpose: row.purpose,
                status: row.status,
                position: row.current_position,
            },
        )
    })
    .collect();

    let mut touches: HashMap<i64, Vec<OpenTouch>> = HashMap::new();
    for row in sqlx::query!(
        r#"select prospect_id, id, kind as "kind: TouchKind", enrollment_id,
                  status as "status: TouchStatus", due_at
           from touches
           where prospect_id = any($1) and status in ('pending', 'snoozed')
           order by prospect_id, due_at, id"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?
    {
        touches.entry(row.prospect_id).or_default().push(OpenTouch {
            id: Some(row.id),
            kind: row.kind,
            enrollment: row.enrollment_id.map(EnrollmentRef::Existing),
            status: row.status,
            due_at: row.due_at,
        });
    }

    let mut opportunities: HashMap<i64, Vec<OpenOpportunity>> = HashMap::new();
    let mut latest_decision: HashMap<i64, OffsetDateTime> = HashMap::new();
    if detail == Detail::Full {
        for row in sqlx::query!(
            r#"select prospect_id, id, stage as "stage: Stage" from opportunities
           where prospect_id = any($1) and stage not in ('won', 'lost')
           order by prospect_id, updated_at desc, id desc"#,
            &ids
        )
        .fetch_all(&mut *conn)
        .await?
        {
            opportunities
                .entry(row.prospect_id)
                .or_default()
                .push(OpenOpportunity {
                    opportunity: OpportunityRef::Existing(row.id),
                    stage: row.stage,
                });
        }

        latest_decision = sqlx::query!(
            r#"select prospect_id, max(occurred_at) as "at!" from interactions
           where prospect_id = any($1) and decision is not null
           group by prospect_id"#,
            &ids
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|row| (row.prospect_id, row.at))
        .collect();
    }

    // The cadences the rules may use, each with its steps: the live enrollments' versions
    // and the defaults' latest.
    let (pursue, nurture) = defaults(conn).await?;
    let mut cadences: HashMap<i64, Cadence> = live
        .values()
        .map(|l| Cadence {
            cadence_id: l.cadence_id,
            version_id: l.version_id,
            name: l.name.clone(),
            purpose: l.purpose,
            steps: Vec::new(),
        })
        .chain(pursue.iter().chain(nurture.iter()).cloned())
        .map(|c| (c.version_id, c))
        .collect();
    let versions: Vec<i64> = cadences.keys().copied().collect();
    for (version, steps) in steps_of(conn, &versions).await? {
        if let Some(cadence) = cadences.get_mut(&version) {
            cadence.steps = steps;
        }
    }
    let with_steps =
        |cadence: Option<Cadence>| cadence.and_then(|c| cadences.get(&c.version_id).cloned());
    let (pursue, nurture) = (with_steps(pursue), with_steps(nurture));

    // A batch has hundreds of prospects and fewer owners: each owner's hours worked out once.
    let mut hours: HashMap<i64, WorkingHours> = HashMap::new();
    Ok(prospects
        .into_iter()
        .map(|p| {
            let hours = hours
                .entry(p.owner_id)
                .or_insert_with(|| hours_from(&p.time_zone, p.work_day_start, p.work_day_end))
                .clone();
            let live = live.remove(&p.id);
            let person = format!("{} {}", p.first_name, p.last_name);
            let opportunity_name = match &p.account_name {
                Some(account) => format!("{account} — {}", person.trim()),
                None => format!("New business — {}", person.trim()),
            };
            Loaded {
                hours,
                cadences: Cadences {
                    live: live
                        .as_ref()
                        .and_then(|l| cadences.get(&l.version_id).cloned()),
                    pursue: pursue.clone(),
                    nurture: nurture.clone(),
                    chosen: None,
                },
                state: ProcessState {
                    prospect_id: p.id,
                    owner_id: p.owner_id,
                    interest: p.interest,
                    re_engage_on: p.re_engage_on,
                    do_not_contact: p.do_not_contact,
                    data_flagged: p.data_flagged,
                    no_next_step_reason: p.no_next_step_reason,
                    live,
                    open_touches: touches.remove(&p.id).unwrap_or_default(),
                    open_opportunities: opportunities.remove(&p.id).unwrap_or_default(),
                    latest_decision_at: latest_decision.get(&p.id).copied(),
                    opportunity_name,
                },
            }
        })
        .collect())
}

/// The latest version of the default pursue and nurture cadences (without steps).
async fn defaults(conn: &mut PgConnection) -> sqlx::Result<(Option<Cadence>, Option<Cadence>)> {
    let rows = sqlx::query!(
        r#"select c.id, v.id as version_id, c.name, c.purpose as "purpose: Purpose"
           from cadences c
           join lateral (select id from cadence_versions where cadence_id = c.id
                         order by version desc limit 1) v on true
           where c.is_default and not c.archived"#
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut pursue = None;
    let mut nurture = None;
    for row in rows {
        let cadence = Some(Cadence {
            cadence_id: row.id,
            version_id: row.version_id,
            name: row.name,
            purpose: row.purpose,
            steps: Vec::new(),
        });
        match row.purpose {
            Purpose::Pursue => pursue = cadence,
            Purpose::Nurture => nurture = cadence,
        }
    }
    Ok((pursue, nurture))
}

/// The latest version of a cadence that is not archived, with its steps: the one an
/// enrollment asked for.
pub async fn chosen_cadence(
    conn: &mut PgConnection,
    cadence_id: i64,
) -> sqlx::Result<Option<Cadence>> {
    let Some(row) = sqlx::query!(
        r#"select c.id, v.id as version_id, c.name, c.purpose as "purpose: Purpose"
           from cadences c
           join lateral (select id from cadence_versions where cadence_id = c.id
                         order by version desc limit 1) v on true
           where c.id = $1 and not c.archived"#,
        cadence_id
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let steps = steps_of(conn, &[row.version_id])
        .await?
        .remove(&row.version_id)
        .unwrap_or_default();
    Ok(Some(Cadence {
        cadence_id: row.id,
        version_id: row.version_id,
        name: row.name,
        purpose: row.purpose,
        steps,
    }))
}

async fn steps_of(
    conn: &mut PgConnection,
    versions: &[i64],
) -> sqlx::Result<HashMap<i64, Vec<Step>>> {
    let mut steps: HashMap<i64, Vec<Step>> = HashMap::new();
    if versions.is_empty() {
        return Ok(steps);
    }
    for row in sqlx::query!(
        r#"select id, version_id, position, channel as "channel: super::Channel",
                  delay_business_days, window_start, window_end
           from cadence_steps where version_id = any($1)
           order by version_id, position"#,
        versions
    )
    .fetch_all(&mut *conn)
    .await?
    {
        let window = match (row.window_start, row.window_end) {
            (Some(start), Some(end)) => Some(Window { start, end }),
            _ => None,
        };
        steps.entry(row.version_id).or_default().push(Step {
            id: row.id,
            position: row.position,
            channel: row.channel,
            delay_business_days: row.delay_business_days,
            window,
        });
    }
    Ok(steps)
}

/// The effects decided for one prospect, at one moment, by one actor (`None`: nobody, the
/// plan moved by itself).
#[derive(Debug, Clone)]
pub struct Change {
    pub prospect_id: i64,
    pub actor: Option<i64>,
    pub at: OffsetDateTime,
    pub effects: Vec<Effect>,
}

impl Change {
    pub fn is_empty(&self) -> bool {
        self.effects.is_empty()
    }
}

/// What applying came to.
#[derive(Debug, Default)]
pub struct Applied {
    /// The enrollment each prospect began, by prospect.
    pub enrollments: HashMap<i64, i64>,
    /// The opportunity each prospect opened, by prospect.
    pub opportunities: HashMap<i64, i64>,
    /// Touches written (a touch that was already there is not counted).
    pub touches_scheduled: u64,
    pub enrollments_completed: u64,
    pub touches_woken: u64,
}

/// Applies the changes inside the caller's transaction, in the order of kinds the rules
/// assume (see `process::rules`): one statement per kind of effect present, whatever the
/// number of prospects.
pub async fn apply(conn: &mut PgConnection, changes: &[Change]) -> sqlx::Result<Applied> {
    let mut b = Batches::default();
    for change in changes {
        b.add(change);
    }
    let mut applied = Applied::default();

    // Touches closed.
    if !b.done.id.is_empty() {
        sqlx::query!(
            r#"update touches t set status = 'done', interaction_id = u.interaction_id,
                                    completed_at = u.at, snoozed_until = null
               from unnest($1::bigint[], $2::bigint[], $3::timestamptz[]) as u (id, interaction_id, at)
               where t.id = u.id"#,
            &b.done.id,
            &b.done.interaction,
            &b.done.at,
        )
        .execute(&mut *conn)
        .await?;
    }
    for (cancelled, set) in [(false, &b.skipped), (true, &b.cancelled)] {
        if set.id.is_empty() {
            continue;
        }
        sqlx::query!(
            r#"update touches t set status = 'skipped', skip_reason = u.reason, cancelled = $4,
                                    completed_at = u.at, snoozed_until = null
               from unnest($1::bigint[], $2::text[], $3::timestamptz[]) as u (id, reason, at)
               where t.id = u.id and t.status in ('pending', 'snoozed')"#,
            &set.id,
            &set.text,
            &set.at,
            cancelled,
        )
        .execute(&mut *conn)
        .await?;
    }
    if !b.snoozed.id.is_empty() {
        sqlx::query!(
            r#"update touches t set status = 'snoozed', snoozed_until = u.until
               from unnest($1::bigint[], $2::timestamptz[]) as u (id, until)
               where t.id = u.id"#,
            &b.snoozed.id,
            &b.snoozed.at,
        )
        .execute(&mut *conn)
        .await?;
    }
    if !b.woken.id.is_empty() {
        applied.touches_woken = sqlx::query!(
            r#"update touches t set status = 'pending', due_at = u.due_at, snoozed_until = null
               from unnest($1::bigint[], $2::timestamptz[]) as u (id, due_at)
               where t.id = u.id and t.status = 'snoozed'"#,
            &b.woken.id,
            &b.woken.at,
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }

    // Enrollments ended.
    if !b.exited.id.is_empty() {
        sqlx::query!(
            r#"update enrollments e set status = 'exited', exit_reason = u.reason, ended_at = u.at,
                                        updated_at = u.at
               from unnest($1::bigint[], $2::text[], $3::timestamptz[]) as u (id, reason, at)
               where e.id = u.id"#,
            &b.exited.id,
            &b.exited.text,
            &b.exited.at,
        )
        .execute(&mut *conn)
        .await?;
    }
    // Paused and resumed before completing: a paused enrollment resumed at a step its
    // cadence no longer has is completed by the same decision.
    if !b.paused_or_resumed.id.is_empty() {
        sqlx::query!(
            r#"update enrollments e set status = u.status::enrollment_status, updated_at = u.at
               from unnest($1::bigint[], $2::text[], $3::timestamptz[]) as u (id, status, at)
               where e.id = u.id"#,
            &b.paused_or_resumed.id,
            &b.paused_or_resumed.text,
            &b.paused_or_resumed.at,
        )
        .execute(&mut *conn)
        .await?;
    }
    applied.enrollments_completed += complete(conn, &b.completed).await?;

    // Enrollments begun: the new ids, by prospect, for what refers to them.
    if !b.enrolled.prospect.is_empty() {
        applied.enrollments = sqlx::query!(
            r#"insert into enrollments (prospect_id, cadence_id, version_id, enrolled_by, started_at)
               select * from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[],
                                    $5::timestamptz[])
               returning prospect_id, id"#,
            &b.enrolled.prospect,
            &b.enrolled.cadence,
            &b.enrolled.version,
            &b.enrolled.actor as &[Option<i64>],
            &b.enrolled.at,
        )
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|row| (row.prospect_id, row.id))
        .collect();
    }
    let new_enrollment = |prospect: i64, e: EnrollmentRef| match e {
        EnrollmentRef::Existing(id) => Some(id),
        EnrollmentRef::New => applied.enrollments.get(&prospect).copied(),
    };
    let mut completed_new = Ids::default();
    for (prospect, at) in &b.completed_new {
        if let Some(id) = new_enrollment(*prospect, EnrollmentRef::New) {
            completed_new.push(id, *at);
        }
    }
    applied.enrollments_completed += complete(conn, &completed_new).await?;

    // Enrollments moved.
    if !b.advanced.id.is_empty() {
        sqlx::query!(
            r#"update enrollments e set current_position = u.position, updated_at = u.at
               from unnest($1::bigint[], $2::int[], $3::timestamptz[]) as u (id, position, at)
               where e.id = u.id"#,
            &b.advanced.id,
            &b.advanced.position,
            &b.advanced.at,
        )
        .execute(&mut *conn)
        .await?;
    }
    // Touches scheduled. A step touch withdrawn by a pause keeps its unique key: resuming
    // moves it back to pending with its new due time.
    let mut steps = NewSteps::default();
    for s in &b.steps {
        if let Some(enrollment) = new_enrollment(s.prospect, s.enrollment) {
            steps.enrollment.push(enrollment);
            steps.prospect.push(s.prospect);
            steps.owner.push(s.owner);
            steps.step.push(s.step);
            steps.due_at.push(s.due_at);
            steps.due_on.push(s.due_on);
        }
    }
    if !steps.enrollment.is_empty() {
        applied.touches_scheduled += sqlx::query!(
            r#"insert into touches (prospect_id, owner_id, kind, enrollment_id, step_id, channel,
                                    due_at, due_on)
               select n.prospect_id, n.owner_id, 'step', n.enrollment_id, n.step_id, s.channel,
                      n.due_at, n.due_on
               from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[],
                           $5::timestamptz[], $6::date[])
                    as n (enrollment_id, prospect_id, owner_id, step_id, due_at, due_on)
               join cadence_steps s on s.id = n.step_id
               on conflict (enrollment_id, step_id) where kind = 'step' do update
               set status = 'pending', due_at = excluded.due_at, due_on = excluded.due_on,
                   skip_reason = null, cancelled = false, completed_at = null
               where touches.status = 'skipped'"#,
            &steps.enrollment,
            &steps.prospect,
            &steps.owner,
            &steps.step,
            &steps.due_at,
            &steps.due_on as &[Option<Date>],
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    if !b.re_engage.prospect.is_empty() {
        applied.touches_scheduled += sqlx::query!(
            r#"insert into touches (prospect_id, owner_id, kind, channel, due_at, due_on)
               select n.prospect_id, n.owner_id, 're_engage', 'call', n.due_at, n.due_on
               from unnest($1::bigint[], $2::bigint[], $3::timestamptz[], $4::date[])
                    as n (prospect_id, owner_id, due_at, due_on)
               on conflict (prospect_id, due_at) where kind = 're_engage' do nothing"#,
            &b.re_engage.prospect,
            &b.re_engage.owner,
            &b.re_engage.due_at,
            &b.re_engage.due_on as &[Option<Date>],
        )
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }

    // The prospect.
    if !b.interest.id.is_empty() {
        sqlx::query!(
            r#"update prospects p set interest = u.interest::interest_state,
                                      re_engage_on = u.re_engage_on, updated_at = now()
               from unnest($1::bigint[], $2::text[], $3::date[]) as u (id, interest, re_engage_on)
               where p.id = u.id"#,
            &b.interest.id,
            &b.interest.to,
            &b.interest.on as &[Option<Date>],
        )
        .execute(&mut *conn)
        .await?;
    }
    if !b.flags.id.is_empty() {
        sqlx::query!(
            r#"update prospects p
               set do_not_contact = coalesce(u.do_not_contact, p.do_not_contact),
                   data_flagged = coalesce(u.data_flagged, p.data_flagged)
               from unnest($1::bigint[], $2::bool[], $3::bool[]) as u (id, do_not_contact, data_flagged)
               where p.id = u.id"#,
            &b.flags.id,
            &b.flags.do_not_contact as &[Option<bool>],
            &b.flags.data_flagged as &[Option<bool>],
        )
        .execute(&mut *conn)
        .await?;
    }
    if !b.no_next_step.id.is_empty() {
        sqlx::query!(
            r#"update prospects p
               set no_next_step_reason = u.reason,
                   updated_at = case when u.reason is null then p.updated_at else now() end
               from unnest($1::bigint[], $2::text[]) as u (id, reason)
               where p.id = u.id"#,
            &b.no_next_step.id,
            &b.no_next_step.reason as &[Option<String>],
        )
        .execute(&mut *conn)
        .await?;
    }
    for (prospect, owner) in &b.owners {
        sqlx::query!(
            "update prospects set owner_id = $2, updated_at = now() where id = $1",
            prospect,
            owner
        )
        .execute(&mut *conn)
        .await?;
        // Its open touches go with it; closed ones stay with whoever worked them.
        sqlx::query!(
            "update touches set owner_id = $2 where prospect_id = $1 and status in ('pending', 'snoozed')",
            prospect,
            owner
        )
        .execute(&mut *conn)
        .await?;
    }

    // Opportunities (from requests, one prospect at a time).
    for change in changes {
        opportunities(conn, change, &mut applied).await?;
    }

    // The timeline, in the order the rules wrote it.
    let mut events = NewEvents::default();
    for change in changes {
        for effect in &change.effects {
            let Effect::Record(record) = effect else {
                continue;
            };
            events.push(change, record, &applied);
        }
    }
    events.insert(conn).await?;

    if changes
        .iter()
        .any(|c| c.effects.contains(&Effect::WakeScheduler))
    {
        crate::wakeup::notify(&mut *conn).await?;
    }
    Ok(applied)
}

/// Completes enrollments whose cadence has run out of steps.
async fn complete(conn: &mut PgConnection, ids: &Ids) -> sqlx::Result<u64> {
    if ids.id.is_empty() {
        return Ok(0);
    }
    Ok(sqlx::query!(
        r#"update enrollments e set status = 'completed', ended_at = u.at, updated_at = u.at
           from unnest($1::bigint[], $2::timestamptz[]) as u (id, at)
           where e.id = u.id and e.status = 'active'"#,
        &ids.id,
        &ids.at,
    )
    .execute(conn)
    .await?
    .rows_affected())
}

async fn opportunities(
    conn: &mut PgConnection,
    change: &Change,
    applied: &mut Applied,
) -> sqlx::Result<()> {
    for effect in &change.effects {
        match effect {
            Effect::OpenOpportunity {
                name,
                stage,
                value_cents,
                expected_close_on,
            } => {
                let id = sqlx::query_scalar!(
                    r#"insert into opportunities (prospect_id, name, stage, value_cents, expected_close_on, probability)
                       values ($1, $2, $3, $4, $5, $6) returning id"#,
                    change.prospect_id,
                    name,
                    *stage as Stage,
                    value_cents,
                    *expected_close_on,
                    stage.default_probability(),
                )
                .fetch_one(&mut *conn)
                .await?;
                applied.opportunities.insert(change.prospect_id, id);
            }
            Effect::MoveOpportunity {
                opportunity_id,
                to,
                lost_reason,
                revisit_on,
            } => {
                sqlx::query!(
                    r#"update opportunities
                       set stage = $2::opportunity_stage, probability = $3, lost_reason = $4, revisit_on = $5,
                           closed_at = case when $2::opportunity_stage in ('won', 'lost') then $6::timestamptz end,
                           updated_at = $6
                       where id = $1"#,
                    opportunity_id,
                    *to as Stage,
                    to.default_probability(),
                    lost_reason.as_deref(),
                    *revisit_on,
                    change.at,
                )
                .execute(&mut *conn)
                .await?;
            }
            Effect::EditOpportunity {
                opportunity_id,
                name,
                value_cents,
                expected_close_on,
            } => {
                sqlx::query!(
                    r#"update opportunities
                       set value_cents = coalesce($2, value_cents),
                           expected_close_on = coalesce($3, expected_close_on),
                           name = coalesce($4, name), updated_at = now()
                       where id = $1"#,
                    opportunity_id,
                    *value_cents,
                    *expected_close_on,
                    name.as_deref(),
                )
                .execute(&mut *conn)
                .await?;
            }
            Effect::LinkInteraction {
                interaction_id,
                opportunity,
            } => {
                let id = match opportunity {
                    OpportunityRef::Existing(id) => Some(*id),
                    OpportunityRef::New => applied.opportunities.get(&change.prospect_id).copied(),
                };
                if let Some(id) = id {
                    sqlx::query!(
                        "update interactions set opportunity_id = $2 where id = $1",
                        interaction_id,
                        id
                    )
                    .execute(&mut *conn)
                    .await?;
                    applied
                        .opportunities
                        .entry(change.prospect_id)
                        .or_insert(id);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Rows to update by id, with the moment of each.
#[derive(Default)]
struct Ids {
    id: Vec<i64>,
    at: Vec<OffsetDateTime>,
}

impl Ids {
    fn push(&mut self, id: i64, at: OffsetDateTime) {
        self.id.push(id);
        self.at.push(at);
    }
}

/// Rows to update by id, each with a text (a reason, a status) and its moment.
#[derive(Default)]
struct WithText {
    id: Vec<i64>,
    text: Vec<String>,
    at: Vec<OffsetDateTime>,
}

impl WithText {
    fn push(&mut self, id: i64, text: &str, at: OffsetDateTime) {
        self.id.push(id);
        self.text.push(text.to_string());
        self.at.push(at);
    }
}

#[derive(Default)]
struct Done {
    id: Vec<i64>,
    interaction: Vec<i64>,
    at: Vec<OffsetDateTime>,
}

#[derive(Default)]
struct Advanced {
    id: Vec<i64>,
    position: Vec<i32>,
    at: Vec<OffsetDateTime>,
}

#[derive(Default)]
struct Enrolled {
    prospect: Vec<i64>,
    cadence: Vec<i64>,
    version: Vec<i64>,
    actor: Vec<Option<i64>>,
    at: Vec<OffsetDateTime>,
}

struct StepToSchedule {
    prospect: i64,
    enrollment: EnrollmentRef,
    owner: i64,
    step: i64,
    due_at: OffsetDateTime,
    due_on: Option<Date>,
}

#[derive(Default)]
struct NewSteps {
    enrollment: Vec<i64>,
    prospect: Vec<i64>,
    owner: Vec<i64>,
    step: Vec<i64>,
    due_at: Vec<OffsetDateTime>,
    due_on: Vec<Option<Date>>,
}

#[derive(Default)]
struct ReEngages {
    prospect: Vec<i64>,
    owner: Vec<i64>,
    due_at: Vec<OffsetDateTime>,
    due_on: Vec<Option<Date>>,
}

#[derive(Default)]
struct Interests {
    id: Vec<i64>,
    to: Vec<String>,
    on: Vec<Option<Date>>,
}

#[derive(Default)]
struct Flags {
    id: Vec<i64>,
    do_not_contact: Vec<Option<bool>>,
    data_flagged: Vec<Option<bool>>,
}

#[derive(Default)]
struct NoNextStep {
    id: Vec<i64>,
    reason: Vec<Option<String>>,
}

/// The changes' effects sorted by kind, column by column.
#[derive(Default)]
struct Batches {
    done: Done,
    skipped: WithText,
    cancelled: WithText,
    snoozed: Ids,
    woken: Ids,
    exited: WithText,
    /// With the new status, `paused` or `active`.
    paused_or_resumed: WithText,
    completed: Ids,
    completed_new: Vec<(i64, OffsetDateTime)>,
    enrolled: Enrolled,
    advanced: Advanced,
    steps: Vec<StepToSchedule>,
    re_engage: ReEngages,
    interest: Interests,
    flags: Flags,
    no_next_step: NoNextStep,
    owners: Vec<(i64, i64)>,
}

impl Batches {
    fn add(&mut self, change: &Change) {
        let (prospect, at) = (change.prospect_id, change.at);
        for effect in &change.effects {
            match effect {
                Effect::CompleteTouch {
                    touch_id,
                    interaction_id,
                } => {
                    self.done.id.push(*touch_id);
                    self.done.interaction.push(*interaction_id);
                    self.done.at.push(at);
                }
                Effect::SkipTouch { touch_id, reason } => self.skipped.push(*touch_id, reason, at),
                Effect::CancelTouch { touch_id, reason } => {
                    self.cancelled.push(*touch_id, reason, at)
                }
                Effect::SnoozeTouch { touch_id, until } => self.snoozed.push(*touch_id, *until),
                Effect::WakeTouch { touch_id, due_at } => self.woken.push(*touch_id, *due_at),
                Effect::Exit {
                    enrollment_id,
                    reason,
                } => self.exited.push(*enrollment_id, reason, at),
                Effect::Pause { enrollment_id } => {
                    self.paused_or_resumed.push(*enrollment_id, "paused", at)
                }
                Effect::Complete { enrollment } => match enrollment {
                    EnrollmentRef::Existing(id) => self.completed.push(*id, at),
                    EnrollmentRef::New => self.completed_new.push((prospect, at)),
                },
                Effect::Enroll {
                    cadence_id,
                    version_id,
                } => {
                    self.enrolled.prospect.push(prospect);
                    self.enrolled.cadence.push(*cadence_id);
                    self.enrolled.version.push(*version_id);
                    self.enrolled.actor.push(change.actor);
                    self.enrolled.at.push(at);
                }
                Effect::Advance {
                    enrollment_id,
                    position,
                } => {
                    self.advanced.id.push(*enrollment_id);
                    self.advanced.position.push(*position);
                    self.advanced.at.push(at);
                }
                Effect::Resume { enrollment_id } => {
                    self.paused_or_resumed.push(*enrollment_id, "active", at)
                }
                Effect::ScheduleStep {
                    enrollment,
                    step_id,
                    owner_id,
                    due_at,
                    due_on,
                    ..
                } => self.steps.push(StepToSchedule {
                    prospect,
                    enrollment: *enrollment,
                    owner: *owner_id,
                    step: *step_id,
                    due_at: *due_at,
                    due_on: *due_on,
                }),
                Effect::ScheduleReEngage {
                    owner_id,
                    due_at,
                    due_on,
                } => {
                    self.re_engage.prospect.push(prospect);
                    self.re_engage.owner.push(*owner_id);
                    self.re_engage.due_at.push(*due_at);
                    self.re_engage.due_on.push(*due_on);
                }
                Effect::SetInterest { to, re_engage_on } => {
                    self.interest.id.push(prospect);
                    self.interest.to.push(to.as_str().to_string());
                    self.interest.on.push(*re_engage_on);
                }
                Effect::SetDoNotContact(on) => self.flag(prospect, Some(*on), None),
                Effect::FlagData => self.flag(prospect, None, Some(true)),
                Effect::ClearDataFlag => self.flag(prospect, None, Some(false)),
                Effect::SetNoNextStep(reason) => {
                    self.no_next_step.id.push(prospect);
                    self.no_next_step.reason.push(reason.clone());
                }
                Effect::ChangeOwner { to } => self.owners.push((prospect, *to)),
                Effect::OpenOpportunity { .. }
                | Effect::MoveOpportunity { .. }
                | Effect::EditOpportunity { .. }
                | Effect::LinkInteraction { .. }
                | Effect::Record(_)
                | Effect::WakeScheduler => {}
            }
        }
    }

    fn flag(&mut self, prospect: i64, do_not_contact: Option<bool>, data_flagged: Option<bool>) {
        self.flags.id.push(prospect);
        self.flags.do_not_contact.push(do_not_contact);
        self.flags.data_flagged.push(data_flagged);
    }
}

/// Timeline rows, column by column.
#[derive(Default)]
struct NewEvents {
    prospect: Vec<i64>,
    actor: Vec<Option<i64>>,
    kind: Vec<&'static str>,
    from: Vec<Option<String>>,
    to: Vec<Option<String>>,
    note: Vec<Option<String>>,
    opportunity: Vec<Option<i64>>,
    interaction: Vec<Option<i64>>,
    enrollment: Vec<Option<i64>>,
    touch: Vec<Option<i64>>,
    at: Vec<OffsetDateTime>,
}

impl NewEvents {
    fn push(&mut self, change: &Change, record: &Record, applied: &Applied) {
        let prospect = change.prospect_id;
        self.prospect.push(prospect);
        self.actor.push(change.actor);
        self.kind.push(record.kind.as_str());
        self.from.push(record.from.clone());
        self.to.push(record.to.clone());
        self.note.push(record.note.clone());
        self.opportunity
            .push(record.opportunity.and_then(|o| match o {
                OpportunityRef::Existing(id) => Some(id),
                OpportunityRef::New => applied.opportunities.get(&prospect).copied(),
            }));
        self.interaction.push(record.interaction_id);
        self.enrollment
            .push(record.enrollment.and_then(|e| match e {
                EnrollmentRef::Existing(id) => Some(id),
                EnrollmentRef::New => applied.enrollments.get(&prospect).copied(),
            }));
        self.touch.push(record.touch_id);
        self.at.push(change.at);
    }

    async fn insert(&self, conn: &mut PgConnection) -> sqlx::Result<()> {
        if self.prospect.is_empty() {
            return Ok(());
        }
        let kinds: Vec<String> = self.kind.iter().map(|k| k.to_string()).collect();
        sqlx::query!(
            r#"insert into prospect_events
                   (prospect_id, actor_id, kind, from_value, to_value, note, opportunity_id,
                    interaction_id, enrollment_id, touch_id, occurred_at)
               select prospect_id, actor_id, kind, from_value, to_value, note, opportunity_id,
                      interaction_id, enrollment_id, touch_id, occurred_at
               from unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                                    $6::text[], $7::bigint[], $8::bigint[], $9::bigint[],
                                    $10::bigint[], $11::timestamptz[])
               with ordinality as e (prospect_id, actor_id, kind, from_value, to_value, note,
                                     opportunity_id, interaction_id, enrollment_id, touch_id,
                                     occurred_at, n)
               order by n"#,
            &self.prospect,
            &self.actor as &[Option<i64>],
            &kinds,
            &self.from as &[Option<String>],
            &self.to as &[Option<String>],
            &self.note as &[Option<String>],
            &self.opportunity as &[Option<i64>],
            &self.interaction as &[Option<i64>],
            &self.enrollment as &[Option<i64>],
            &self.touch as &[Option<i64>],
            &self.at,
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
