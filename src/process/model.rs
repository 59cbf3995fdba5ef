//! A pure model of the applier (`store::apply`), for tests of the rules without a database.
//!
//! It applies a decision's effects to a `ProcessState` the way the data layer does: one
//! kind after another in the applier's fixed order (see `rules`), new rows getting fresh
//! ids. It refuses (an `Err`, a panic through `apply`) any effect that makes no sense
//! against the state at that point of the order — closing a touch that is not open,
//! enrolling over a live enrollment, moving an enrollment that is not live (one the same
//! decision ended included), scheduling a second step for one enrollment... — so a test
//! that applies every decision also checks that the rules' effects agree with the
//! applier's order.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::rules::{
    Cadences, Effect, EnrollmentRef, Live, OpenOpportunity, OpenTouch, OpportunityRef,
    ProcessState, Record,
};
use super::{EnrollmentStatus, Stage, TouchKind, TouchStatus};

/// How a touch stopped being open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Done,
    Skipped,
    Cancelled,
}

/// A prospect's rows as the applier leaves them.
#[derive(Debug, Clone)]
pub struct Model {
    pub state: ProcessState,
    next_id: i64,
    /// Every opportunity, open or closed, with its stage.
    pub opportunities: HashMap<i64, Stage>,
    pub closed_touches: HashMap<i64, Closed>,
    /// The step each step touch is for.
    pub touch_steps: HashMap<i64, i64>,
    /// Until when each snoozed touch sleeps.
    pub snoozed_until: HashMap<i64, OffsetDateTime>,
    /// Enrollments no longer live, with how they ended.
    pub ended: HashMap<i64, EnrollmentStatus>,
    /// The prospect's timeline, oldest first.
    pub timeline: Vec<Record>,
    /// The enrollments the application under way ended.
    ended_now: Vec<i64>,
}

/// What one application wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    pub enrolled: Option<i64>,
    pub opened: Option<i64>,
    /// The touches scheduled, in order.
    pub scheduled: Vec<i64>,
}

/// The applier's order of effect kinds.
fn rank(effect: &Effect) -> u8 {
    match effect {
        Effect::CompleteTouch { .. }
        | Effect::SkipTouch { .. }
        | Effect::SnoozeTouch { .. }
        | Effect::WakeTouch { .. }
        | Effect::CancelTouch { .. } => 0,
        Effect::Exit { .. }
        | Effect::Pause { .. }
        | Effect::Resume { .. }
        | Effect::Complete { .. } => 1,
        Effect::Enroll { .. } => 2,
        Effect::Advance { .. } => 3,
        Effect::ScheduleStep { .. } | Effect::ScheduleReEngage { .. } => 4,
        Effect::SetInterest { .. }
        | Effect::SetDoNotContact(_)
        | Effect::FlagData
        | Effect::ClearDataFlag
        | Effect::SetNoNextStep(_)
        | Effect::ChangeOwner { .. } => 5,
        Effect::OpenOpportunity { .. }
        | Effect::MoveOpportunity { .. }
        | Effect::EditOpportunity { .. }
        | Effect::LinkInteraction { .. } => 6,
        Effect::Record(_) => 7,
        Effect::WakeScheduler => 8,
    }
}

/// The effects in the order the applier applies them (stable within a kind).
pub fn in_applier_order(effects: &[Effect]) -> Vec<&Effect> {
    let mut ordered: Vec<&Effect> = effects.iter().collect();
    ordered.sort_by_key(|e| rank(e));
    ordered
}

impl Model {
    /// A prospect as loaded; its ids must be below 1000 (fresh ids start there).
    pub fn new(state: ProcessState) -> Self {
        let opportunities = state
            .open_opportunities
            .iter()
            .map(|o| match o.opportunity {
                OpportunityRef::Existing(id) => (id, o.stage),
                OpportunityRef::New => panic!("a loaded state has no new opportunity"),
            })
            .collect();
        Model {
            state,
            next_id: 1000,
            opportunities,
            closed_touches: HashMap::new(),
            touch_steps: HashMap::new(),
            snoozed_until: HashMap::new(),
            ended: HashMap::new(),
            timeline: Vec::new(),
            ended_now: Vec::new(),
        }
    }

    /// The prospect also has the won or lost opportunity `id`.
    pub fn with_closed_opportunity(mut self, id: i64, stage: Stage) -> Self {
        assert!(!stage.is_open(), "{stage:?} is open");
        self.opportunities.insert(id, stage);
        self
    }

    fn fresh_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    /// Applies `effects`, panicking on one that makes no sense.
    pub fn apply(&mut self, effects: &[Effect], cadences: &Cadences) -> Applied {
        self.try_apply(effects, cadences)
            .unwrap_or_else(|e| panic!("{e}\neffects: {effects:#?}"))
    }

    /// Applies `effects` in the applier's order, or says which one makes no sense. The
    /// model is left half-applied on an error.
    pub fn try_apply(
        &mut self,
        effects: &[Effect],
        cadences: &Cadences,
    ) -> Result<Applied, String> {
        let mut applied = Applied::default();
        self.ended_now.clear();
        for effect in in_applier_order(effects) {
            self.apply_one(effect, cadences, &mut applied)
                .map_err(|why| format!("{why} (applying {effect:?})"))?;
        }
        self.check_rows()?;
        Ok(applied)
    }

    fn open_touch_index(&self, touch_id: i64) -> Result<usize, String> {
        self.state
            .open_touches
            .iter()
            .position(|t| t.id == Some(touch_id))
            .ok_or_else(|| format!("touch {touch_id} is not open"))
    }

    fn close(&mut self, touch_id: i64, how: Closed) -> Result<(), String> {
        let i = self.open_touch_index(touch_id)?;
        self.state.open_touches.remove(i);
        self.snoozed_until.remove(&touch_id);
        self.closed_touches.insert(touch_id, how);
        Ok(())
    }

    /// The live enrollment, if it is `enrollment_id`.
    fn live_mut(&mut self, enrollment_id: i64) -> Result<&mut Live, String> {
        match self.state.live.as_mut() {
            Some(live) if live.enrollment == EnrollmentRef::Existing(enrollment_id) => Ok(live),
            _ => Err(format!("enrollment {enrollment_id} is not live")),
        }
    }

    fn resolve_enrollment(&self, r: EnrollmentRef, applied: &Applied) -> Result<i64, String> {
        match r {
            EnrollmentRef::Existing(id) => Ok(id),
            EnrollmentRef::New => applied
                .enrolled
                .ok_or_else(|| "a new enrollment not (yet) begun".to_string()),
        }
    }

    fn resolve_opportunity(&self, r: OpportunityRef, applied: &Applied) -> Result<i64, String> {
        match r {
            OpportunityRef::Existing(id) if self.opportunities.contains_key(&id) => Ok(id),
            OpportunityRef::Existing(id) => Err(format!("no opportunity {id}")),
            OpportunityRef::New => applied
                .opened
                .ok_or_else(|| "a new opportunity not (yet) opened".to_string()),
        }
    }

    fn end(&mut self, enrollment_id: i64, status: EnrollmentStatus) -> Result<(), String> {
        self.live_mut(enrollment_id)?;
        self.state.live = None;
        self.ended.insert(enrollment_id, status);
        self.ended_now.push(enrollment_id);
        Ok(())
    }

    fn apply_one(
        &mut self,
        effect: &Effect,
        cadences: &Cadences,
        applied: &mut Applied,
    ) -> Result<(), String> {
        match effect {
            Effect::CompleteTouch { touch_id, .. } => self.close(*touch_id, Closed::Done)?,
            Effect::SkipTouch { touch_id, .. } => self.close(*touch_id, Closed::Skipped)?,
            Effect::CancelTouch { touch_id, .. } => self.close(*touch_id, Closed::Cancelled)?,
            Effect::SnoozeTouch { touch_id, until } => {
                let i = self.open_touch_index(*touch_id)?;
                self.state.open_touches[i].status = TouchStatus::Snoozed;
                self.snoozed_until.insert(*touch_id, *until);
            }
            Effect::WakeTouch { touch_id, due_at } => {
                let i = self.open_touch_index(*touch_id)?;
                let touch = &mut self.state.open_touches[i];
                if touch.status != TouchStatus::Snoozed {
                    return Err(format!("touch {touch_id} is not snoozed"));
                }
                touch.status = TouchStatus::Pending;
                touch.due_at = *due_at;
                self.snoozed_until.remove(touch_id);
            }
            Effect::Exit { enrollment_id, .. } => {
                self.end(*enrollment_id, EnrollmentStatus::Exited)?
            }
            Effect::Complete { enrollment } => {
                let id = self.resolve_enrollment(*enrollment, applied)?;
                // As the applier: only an active enrollment is completed.
                if self.live_mut(id)?.status != EnrollmentStatus::Active {
                    return Err(format!("enrollment {id} is not active"));
                }
                self.end(id, EnrollmentStatus::Completed)?;
            }
            Effect::Pause { enrollment_id } => {
                let live = self.live_mut(*enrollment_id)?;
                if live.status != EnrollmentStatus::Active {
                    return Err(format!("enrollment {enrollment_id} is not active"));
                }
                live.status = EnrollmentStatus::Paused;
            }
            Effect::Enroll {
                cadence_id,
                version_id,
            } => {
                if let Some(live) = &self.state.live {
                    return Err(format!("enrolling over live {:?}", live.enrollment));
                }
                if applied.enrolled.is_some() {
                    return Err("a second enrollment in one decision".into());
                }
                let cadence = [
                    &cadences.live,
                    &cadences.pursue,
                    &cadences.nurture,
                    &cadences.chosen,
                ]
                .into_iter()
                .flatten()
                .find(|c| c.version_id == *version_id && c.cadence_id == *cadence_id)
                .ok_or_else(|| format!("no cadence version {version_id} in the context"))?;
                let id = self.fresh_id();
                applied.enrolled = Some(id);
                self.state.live = Some(Live {
                    enrollment: EnrollmentRef::Existing(id),
                    cadence_id: *cadence_id,
                    version_id: *version_id,
                    name: cadence.name.clone(),
                    purpose: cadence.purpose,
                    status: EnrollmentStatus::Active,
                    position: 1,
                });
            }
            Effect::Advance {
                enrollment_id,
                position,
            } => {
                // The applier moves the row whatever its status. The applier ends
                // enrollments before it moves them, so moving one this decision ends
                // would write a position on an ended row: the rules must not ask it.
                if self.ended_now.contains(enrollment_id) {
                    return Err(format!(
                        "advancing enrollment {enrollment_id}, which this decision ended"
                    ));
                }
                // A paused enrollment is live: a step done in the decision that pauses it
                // still counts (bad data logged from a step's touch), and resuming
                // schedules the next step.
                let live = self.live_mut(*enrollment_id)?;
                if *position != live.position + 1 {
                    return Err(format!(
                        "advancing from position {} to {position}",
                        live.position
                    ));
                }
                live.position = *position;
            }
            Effect::Resume { enrollment_id } => {
                let live = self.live_mut(*enrollment_id)?;
                if live.status != EnrollmentStatus::Paused {
                    return Err(format!("enrollment {enrollment_id} is not paused"));
                }
                live.status = EnrollmentStatus::Active;
            }
            Effect::ScheduleStep {
                enrollment,
                step_id,
                owner_id,
                due_at,
                ..
            } => {
                let id = self.resolve_enrollment(*enrollment, applied)?;
                let live = self.live_mut(id)?.clone();
                if live.status != EnrollmentStatus::Active {
                    return Err(format!("scheduling a step of {:?} live", live.status));
                }
                let r = EnrollmentRef::Existing(id);
                if self
                    .state
                    .open_touches
                    .iter()
                    .any(|t| t.kind == TouchKind::Step && t.enrollment == Some(r))
                {
                    return Err(format!("enrollment {id} already has an open step"));
                }
                let cadence = [
                    &cadences.live,
                    &cadences.pursue,
                    &cadences.nurture,
                    &cadences.chosen,
                ]
                .into_iter()
                .flatten()
                .find(|c| c.version_id == live.version_id)
                .ok_or("the live cadence is not in the context")?;
                let step = cadence
                    .step(live.position)
                    .ok_or_else(|| format!("no step at position {}", live.position))?;
                if step.id != *step_id {
                    return Err(format!(
                        "step {step_id} is not the one at position {} ({})",
                        live.position, step.id
                    ));
                }
                if *owner_id != self.state.owner_id {
                    return Err(format!("a step for owner {owner_id}, not the owner"));
                }
                let touch_id = self.fresh_id();
                applied.scheduled.push(touch_id);
                self.touch_steps.insert(touch_id, *step_id);
                self.state.open_touches.push(OpenTouch {
                    id: Some(touch_id),
                    kind: TouchKind::Step,
                    enrollment: Some(r),
                    status: TouchStatus::Pending,
                    due_at: *due_at,
                });
            }
            Effect::ScheduleReEngage {
                owner_id, due_at, ..
            } => {
                if self
                    .state
                    .open_touches
                    .iter()
                    .any(|t| t.kind == TouchKind::ReEngage)
                {
                    return Err("a second open re-engage touch".into());
                }
                if *owner_id != self.state.owner_id {
                    return Err(format!(
                        "a re-engage touch for owner {owner_id}, not the owner"
                    ));
                }
                let touch_id = self.fresh_id();
                applied.scheduled.push(touch_id);
                self.state.open_touches.push(OpenTouch {
                    id: Some(touch_id),
                    kind: TouchKind::ReEngage,
                    enrollment: None,
                    status: TouchStatus::Pending,
                    due_at: *due_at,
                });
            }
            Effect::SetInterest { to, re_engage_on } => {
                self.state.interest = *to;
                self.state.re_engage_on = *re_engage_on;
            }
            Effect::SetDoNotContact(to) => {
                if self.state.do_not_contact == *to {
                    return Err(format!("do-not-contact is already {to}"));
                }
                self.state.do_not_contact = *to;
            }
            Effect::FlagData => {
                if self.state.data_flagged {
                    return Err("the data is already flagged".into());
                }
                self.state.data_flagged = true;
            }
            Effect::ClearDataFlag => self.state.data_flagged = false,
            Effect::SetNoNextStep(reason) => self.state.no_next_step_reason = reason.clone(),
            Effect::ChangeOwner { to } => {
                if self.state.owner_id == *to {
                    return Err(format!("owner {to} already owns the prospect"));
                }
                self.state.owner_id = *to;
            }
            Effect::OpenOpportunity { stage, .. } => {
                if applied.opened.is_some() {
                    return Err("a second opportunity opened in one decision".into());
                }
                let id = self.fresh_id();
                applied.opened = Some(id);
                self.opportunities.insert(id, *stage);
                self.touch_opportunity(id, *stage);
            }
            Effect::MoveOpportunity {
                opportunity_id, to, ..
            } => {
                let stage = self
                    .opportunities
                    .get_mut(opportunity_id)
                    .ok_or_else(|| format!("no opportunity {opportunity_id}"))?;
                if *stage == *to {
                    return Err(format!("opportunity {opportunity_id} is already {to:?}"));
                }
                *stage = *to;
                self.touch_opportunity(*opportunity_id, *to);
            }
            Effect::EditOpportunity { opportunity_id, .. } => {
                let stage = *self
                    .opportunities
                    .get(opportunity_id)
                    .ok_or_else(|| format!("no opportunity {opportunity_id}"))?;
                self.touch_opportunity(*opportunity_id, stage);
            }
            Effect::LinkInteraction { opportunity, .. } => {
                self.resolve_opportunity(*opportunity, applied)?;
            }
            Effect::Record(record) => {
                if let Some(r) = record.enrollment {
                    let id = self.resolve_enrollment(r, applied)?;
                    if self.state.live.as_ref().map(|l| l.enrollment)
                        != Some(EnrollmentRef::Existing(id))
                        && !self.ended.contains_key(&id)
                    {
                        return Err(format!("a record about unknown enrollment {id}"));
                    }
                }
                if let Some(r) = record.opportunity {
                    self.resolve_opportunity(r, applied)?;
                }
                let mut record = record.clone();
                if let Some(EnrollmentRef::New) = record.enrollment {
                    record.enrollment = applied.enrolled.map(EnrollmentRef::Existing);
                }
                if let Some(OpportunityRef::New) = record.opportunity {
                    record.opportunity = applied.opened.map(OpportunityRef::Existing);
                }
                self.timeline.push(record);
            }
            Effect::WakeScheduler => {}
        }
        Ok(())
    }

    /// An opportunity just written moves to the front of the open ones (most recently
    /// updated first), or out of them once won or lost.
    fn touch_opportunity(&mut self, id: i64, stage: Stage) {
        let open = &mut self.state.open_opportunities;
        open.retain(|o| o.opportunity != OpportunityRef::Existing(id));
        if stage.is_open() {
            open.insert(
                0,
                OpenOpportunity {
                    opportunity: OpportunityRef::Existing(id),
                    stage,
                },
            );
        }
    }

    /// What the tables guarantee once a decision is applied: every open step touch is
    /// the live, active enrollment's, and there is at most one; at most one open re-engage
    /// touch; no row refers to something this decision did not write.
    fn check_rows(&self) -> Result<(), String> {
        let state = &self.state;
        let live = state.live.as_ref();
        let steps: Vec<&OpenTouch> = state
            .open_touches
            .iter()
            .filter(|t| t.kind == TouchKind::Step)
            .collect();
        if steps.len() > 1 {
            return Err(format!("{} open step touches", steps.len()));
        }
        for touch in &state.open_touches {
            if touch.id.is_none() {
                return Err("an open touch without an id".into());
            }
            if touch.kind == TouchKind::Step {
                let ok = live.is_some_and(|l| {
                    Some(l.enrollment) == touch.enrollment && l.status == EnrollmentStatus::Active
                });
                if !ok {
                    return Err(format!(
                        "step touch {:?} is open but its enrollment is not live and active",
                        touch.id
                    ));
                }
            }
        }
        let re_engage = state
            .open_touches
            .iter()
            .filter(|t| t.kind == TouchKind::ReEngage)
            .count();
        if re_engage > 1 {
            return Err(format!("{re_engage} open re-engage touches"));
        }
        if let Some(l) = live
            && l.enrollment == EnrollmentRef::New
        {
            return Err("a live enrollment without an id".into());
        }
        Ok(())
    }
}
