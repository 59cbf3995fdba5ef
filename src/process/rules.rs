//! The engine's pure core: a prospect's process state, one event, the context it needs →
//! the effects. No database, no clock, no I/O: `decide` is a function, tested as a table
//! and with random sequences of events (`process::tests`, against a model of the applier,
//! `process::model`).
//!
//! The rules, in short (the product's philosophy: every interaction first seeks current
//! interest, then future interest; no prospect is left at a dead end):
//! - current interest → the pursue cadence, and an opportunity opened or moved on;
//! - future interest → the nurture cadence and a re-engage touch on the chosen date;
//! - no interest or do-not-contact → every enrollment exits and open touches are withdrawn;
//! - a reply or a booked meeting moves a nurtured prospect back to pursuing;
//! - bad data pauses the cadence and flags the prospect until the data is fixed;
//! - working a step (done or skipped) moves its cadence on to the next step, counted from
//!   then; a cadence out of steps is completed;
//! - an opportunity won makes a customer; lost with a date to revisit goes back to future
//!   interest (nurture and a re-engage touch), lost without one to no interest.
//!
//! Effects are net changes, applied by `process::store::apply` in a fixed order of kinds
//! (touches closed; enrollments exited, paused, resumed and completed; enrollments begun;
//! enrollments moved on; touches scheduled; the prospect; opportunities; the timeline), so a
//! rule never emits a touch it withdraws in the same decision.

use time::{Date, OffsetDateTime};

use super::{
    Channel, Decision, EnrollmentStatus, InterestState, Outcome, Purpose, Stage, TouchKind,
    TouchStatus,
};
use crate::schedule::{self, Window, WorkingHours};

/// A step of a cadence version, as the rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: i64,
    pub position: i32,
    pub channel: Channel,
    pub delay_business_days: i16,
    pub window: Option<Window>,
}

impl Step {
    /// When this step falls due after the previous one was done at `after`: its delay in
    /// the owner's business days, inside their working hours (and the step's window).
    pub fn due_after(&self, after: OffsetDateTime, hours: &WorkingHours) -> OffsetDateTime {
        schedule::due_at(
            after,
            self.delay_business_days.max(0) as u16,
            hours,
            self.window.as_ref(),
        )
    }
}

/// A cadence version with its steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cadence {
    pub cadence_id: i64,
    pub version_id: i64,
    pub name: String,
    pub purpose: Purpose,
    pub steps: Vec<Step>,
}

impl Cadence {
    pub fn step(&self, position: i32) -> Option<&Step> {
        self.steps.iter().find(|s| s.position == position)
    }
}

/// An enrollment: an existing row, or the one this decision begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EnrollmentRef {
    Existing(i64),
    New,
}

/// An opportunity: an existing row, or the one this decision opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpportunityRef {
    Existing(i64),
    New,
}

/// The prospect's live (active or paused) enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub enrollment: EnrollmentRef,
    pub cadence_id: i64,
    pub version_id: i64,
    pub name: String,
    pub purpose: Purpose,
    pub status: EnrollmentStatus,
    pub position: i32,
}

/// A touch still to do (pending or snoozed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenTouch {
    /// `None` for a touch this decision schedules.
    pub id: Option<i64>,
    pub kind: TouchKind,
    pub enrollment: Option<EnrollmentRef>,
    pub status: TouchStatus,
    pub due_at: OffsetDateTime,
}

/// An opportunity not yet won or lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenOpportunity {
    pub opportunity: OpportunityRef,
    pub stage: Stage,
}

/// Everything the rules look at for one prospect, as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessState {
    pub prospect_id: i64,
    pub owner_id: i64,
    pub interest: InterestState,
    pub re_engage_on: Option<Date>,
    pub do_not_contact: bool,
    pub data_flagged: bool,
    pub no_next_step_reason: Option<String>,
    pub live: Option<Live>,
    pub open_touches: Vec<OpenTouch>,
    /// Most recently updated first.
    pub open_opportunities: Vec<OpenOpportunity>,
    /// When the latest interaction with an interest decision happened: a back-dated
    /// decision does not overwrite a newer assessment.
    pub latest_decision_at: Option<OffsetDateTime>,
    /// The name a new opportunity gets when the rep gives none.
    pub opportunity_name: String,
}

impl ProcessState {
    /// The open touch `id`, if it is one of this prospect's.
    pub fn open_touch(&self, id: i64) -> Option<&OpenTouch> {
        self.open_touches.iter().find(|t| t.id == Some(id))
    }

    /// Open (new, current or future interest) and contactable: the process owes this
    /// prospect a next step.
    pub fn is_open(&self) -> bool {
        matches!(
            self.interest,
            InterestState::New | InterestState::Current | InterestState::Future
        ) && !self.do_not_contact
    }
}

/// What the rules need beyond the prospect: the moment, who acts, the owner's working
/// hours and the cadences the decision may use.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub at: OffsetDateTime,
    /// `None` when nobody acted (the scheduler).
    pub actor: Option<i64>,
    pub hours: &'a WorkingHours,
    pub cadences: &'a Cadences,
}

/// The cadence versions a decision may use: the live enrollment's, the default pursue and
/// nurture cadences' latest, and one asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cadences {
    pub live: Option<Cadence>,
    pub pursue: Option<Cadence>,
    pub nurture: Option<Cadence>,
    pub chosen: Option<Cadence>,
}

impl Cadences {
    fn default_for(&self, purpose: Purpose) -> Option<&Cadence> {
        match purpose {
            Purpose::Pursue => self.pursue.as_ref(),
            Purpose::Nurture => self.nurture.as_ref(),
        }
    }

    fn version(&self, version_id: i64) -> Option<&Cadence> {
        [&self.live, &self.pursue, &self.nurture, &self.chosen]
            .into_iter()
            .flatten()
            .find(|c| c.version_id == version_id)
    }
}

/// The interest decision an interaction made, with what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionInput {
    /// Nothing to assess: no answer, a message left.
    Unassessed,
    Current {
        name: Option<String>,
        stage: Stage,
        value_cents: Option<i64>,
        expected_close_on: Option<Date>,
    },
    Future {
        re_engage_on: Date,
    },
    None {
        reason: String,
        do_not_contact: bool,
    },
}

impl DecisionInput {
    pub fn decision(&self) -> Option<Decision> {
        match self {
            DecisionInput::Unassessed => None,
            DecisionInput::Current { .. } => Some(Decision::Current),
            DecisionInput::Future { .. } => Some(Decision::Future),
            DecisionInput::None { .. } => Some(Decision::None),
        }
    }

    fn re_engage_on(&self) -> Option<Date> {
        match self {
            DecisionInput::Future { re_engage_on } => Some(*re_engage_on),
            _ => None,
        }
    }
}

/// An interaction just recorded (its row written by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub interaction_id: i64,
    pub outcome: Outcome,
    pub decision: DecisionInput,
    /// The touch it was logged from, if any.
    pub touch_id: Option<i64>,
}

/// What can happen to a prospect. The moment and the actor are in the `Context`.
///
/// Mail events (an email sent, a reply, an out-of-office, a bounce, an unsubscribe) join
/// this list as they arrive; each is a rule here and nowhere else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    InteractionLogged(Logged),
    TouchSkipped {
        touch_id: i64,
        reason: String,
    },
    TouchSnoozed {
        touch_id: i64,
        until: OffsetDateTime,
        note: String,
    },
    /// The scheduler: a snooze has ended.
    SnoozeEnded {
        touch_id: i64,
        until: OffsetDateTime,
    },
    /// The scheduler: a future-interest prospect's re-engage date is near and has no touch.
    ReEngageDateReached {
        on: Date,
    },
    /// The scheduler: the live enrollment's current step has no touch yet (enrolled in
    /// bulk, or a request failed midway); `after` is when the previous step ended.
    StepOwed {
        after: OffsetDateTime,
    },
    /// Enroll in the cadence in `Cadences::chosen`, or without one in the default cadence
    /// for the prospect's interest. In `bulk` (a list, an import), a prospect already on a
    /// cadence, or closed, stays as it is, and the first touches are left to the
    /// scheduler (`StepOwed`), which writes them in batches.
    EnrollRequested {
        bulk: bool,
    },
    Pause {
        reason: String,
    },
    Resume,
    Leave {
        reason: String,
    },
    /// The rep records why an open prospect has no next step.
    NoNextStep {
        reason: String,
    },
    /// The flag was turned on or off (by the form or the import, which write it with
    /// the row: the state may already show `to`).
    DoNotContactChanged {
        from: bool,
        to: bool,
        note: Option<String>,
    },
    DataFixed,
    StageChanged {
        opportunity_id: i64,
        from: Stage,
        to: Stage,
        lost_reason: Option<String>,
        revisit_on: Option<Date>,
    },
    Reassigned {
        to: i64,
        from_name: String,
        to_name: String,
    },
}

/// What a timeline entry is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Enrolled,
    EnrollmentCompleted,
    EnrollmentExited,
    EnrollmentPaused,
    EnrollmentResumed,
    TouchSkipped,
    TouchSnoozed,
    InterestChanged,
    DoNotContact,
    DataFlagged,
    NoNextStep,
    OpportunityOpened,
    StageChanged,
    OwnerChanged,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Enrolled => "enrolled",
            EventKind::EnrollmentCompleted => "enrollment_completed",
            EventKind::EnrollmentExited => "enrollment_exited",
            EventKind::EnrollmentPaused => "enrollment_paused",
            EventKind::EnrollmentResumed => "enrollment_resumed",
            EventKind::TouchSkipped => "touch_skipped",
            EventKind::TouchSnoozed => "touch_snoozed",
            EventKind::InterestChanged => "interest_changed",
            EventKind::DoNotContact => "do_not_contact",
            EventKind::DataFlagged => "data_flagged",
            EventKind::NoNextStep => "no_next_step",
            EventKind::OpportunityOpened => "opportunity_opened",
            EventKind::StageChanged => "stage_changed",
            EventKind::OwnerChanged => "owner_changed",
        }
    }
}

/// An entry on the prospect's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: EventKind,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: Option<String>,
    pub enrollment: Option<EnrollmentRef>,
    pub touch_id: Option<i64>,
    pub opportunity: Option<OpportunityRef>,
    pub interaction_id: Option<i64>,
}

impl Record {
    fn new(kind: EventKind) -> Self {
        Record {
            kind,
            from: None,
            to: None,
            note: None,
            enrollment: None,
            touch_id: None,
            opportunity: None,
            interaction_id: None,
        }
    }
}

/// A change to make. Effects are net: applying them in the applier's order of kinds
/// leaves the state the rules meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    // Touches closed.
    CompleteTouch {
        touch_id: i64,
        interaction_id: i64,
    },
    SkipTouch {
        touch_id: i64,
        reason: String,
    },
    SnoozeTouch {
        touch_id: i64,
        until: OffsetDateTime,
    },
    /// A snoozed touch is due again, from when its snooze ended.
    WakeTouch {
        touch_id: i64,
        due_at: OffsetDateTime,
    },
    /// The plan ended or changed, which is not a rep skipping a touch.
    CancelTouch {
        touch_id: i64,
        reason: String,
    },
    // Enrollments exited, paused, resumed, completed.
    Exit {
        enrollment_id: i64,
        reason: String,
    },
    Pause {
        enrollment_id: i64,
    },
    Resume {
        enrollment_id: i64,
    },
    Complete {
        enrollment: EnrollmentRef,
    },
    // Enrollments begun and moved on.
    Enroll {
        cadence_id: i64,
        version_id: i64,
    },
    Advance {
        enrollment_id: i64,
        position: i32,
    },
    // Touches scheduled.
    ScheduleStep {
        enrollment: EnrollmentRef,
        step_id: i64,
        channel: Channel,
        owner_id: i64,
        due_at: OffsetDateTime,
        due_on: Option<Date>,
    },
    ScheduleReEngage {
        owner_id: i64,
        due_at: OffsetDateTime,
        due_on: Option<Date>,
    },
    // The prospect.
    SetInterest {
        to: InterestState,
        re_engage_on: Option<Date>,
    },
    SetDoNotContact(bool),
    FlagData,
    ClearDataFlag,
    SetNoNextStep(Option<String>),
    ChangeOwner {
        to: i64,
    },
    // Opportunities.
    OpenOpportunity {
        name: String,
        stage: Stage,
        value_cents: i64,
        expected_close_on: Option<Date>,
    },
    MoveOpportunity {
        opportunity_id: i64,
        to: Stage,
        lost_reason: Option<String>,
        revisit_on: Option<Date>,
    },
    /// What the rep said about an open opportunity while logging: kept where given.
    EditOpportunity {
        opportunity_id: i64,
        name: Option<String>,
        value_cents: Option<i64>,
        expected_close_on: Option<Date>,
    },
    /// The interaction is about this opportunity.
    LinkInteraction {
        interaction_id: i64,
        opportunity: OpportunityRef,
    },
    // The timeline.
    Record(Record),
    /// Wake a sleeping scheduler at commit: the clock's next deadline moved.
    WakeScheduler,
}

/// Why an enrollment asked for does not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnrollRefusal {
    DoNotContact,
    /// The cadence asked for does not exist or is archived, or no default cadence fits.
    NoCadence,
    AlreadyFollowing,
    /// In bulk: closed (no interest, customer) or on another cadence.
    NotEligible,
}

/// The cadence an `EnrollRequested` enrolls the prospect in, or why it does not.
pub fn enrollment_target<'c>(
    state: &ProcessState,
    cadences: &'c Cadences,
    bulk: bool,
) -> Result<&'c Cadence, EnrollRefusal> {
    if state.do_not_contact {
        return Err(EnrollRefusal::DoNotContact);
    }
    if bulk && (!state.is_open() || state.live.is_some()) {
        return Err(EnrollRefusal::NotEligible);
    }
    let purpose = if state.interest == InterestState::Future {
        Purpose::Nurture
    } else {
        Purpose::Pursue
    };
    let cadence = cadences
        .chosen
        .as_ref()
        .or_else(|| cadences.default_for(purpose))
        .ok_or(EnrollRefusal::NoCadence)?;
    if state
        .live
        .as_ref()
        .is_some_and(|live| live.cadence_id == cadence.cadence_id)
    {
        return Err(EnrollRefusal::AlreadyFollowing);
    }
    Ok(cadence)
}

/// The effects of `event` on a prospect in `state`.
pub fn decide(state: &ProcessState, event: &Event, ctx: &Context<'_>) -> Vec<Effect> {
    let mut plan = Plan {
        state: state.clone(),
        ctx,
        effects: Vec::new(),
    };
    plan.on(event);
    plan.effects
}

/// The state as the effects so far leave it, and the effects.
struct Plan<'a> {
    state: ProcessState,
    ctx: &'a Context<'a>,
    effects: Vec<Effect>,
}

impl Plan<'_> {
    fn on(&mut self, event: &Event) {
        match event {
            Event::InteractionLogged(logged) => self.interaction(logged),
            Event::TouchSkipped { touch_id, reason } => {
                let Some(touch) = self.open_touch(*touch_id) else {
                    return;
                };
                self.close_touch(*touch_id);
                self.effects.push(Effect::SkipTouch {
                    touch_id: *touch_id,
                    reason: reason.clone(),
                });
                self.record(Record {
                    note: Some(reason.clone()),
                    touch_id: Some(*touch_id),
                    ..Record::new(EventKind::TouchSkipped)
                });
                if let (TouchKind::Step, Some(enrollment)) = (touch.kind, touch.enrollment) {
                    self.advance(enrollment);
                }
            }
            Event::TouchSnoozed {
                touch_id,
                until,
                note,
            } => {
                if self.open_touch(*touch_id).is_none() {
                    return;
                }
                if let Some(touch) = self.touch_mut(*touch_id) {
                    touch.status = TouchStatus::Snoozed;
                }
                self.effects.push(Effect::SnoozeTouch {
                    touch_id: *touch_id,
                    until: *until,
                });
                self.effects.push(Effect::WakeScheduler);
                self.record(Record {
                    note: Some(note.clone()),
                    touch_id: Some(*touch_id),
                    ..Record::new(EventKind::TouchSnoozed)
                });
            }
            Event::SnoozeEnded { touch_id, until } => {
                let Some(touch) = self.touch_mut(*touch_id) else {
                    return;
                };
                if touch.status != TouchStatus::Snoozed {
                    return;
                }
                touch.status = TouchStatus::Pending;
                touch.due_at = *until;
                self.effects.push(Effect::WakeTouch {
                    touch_id: *touch_id,
                    due_at: *until,
                });
            }
            Event::ReEngageDateReached { on } => {
                if self.state.interest == InterestState::Future
                    && !self.state.do_not_contact
                    && self.state.re_engage_on == Some(*on)
                {
                    self.re_engage(*on);
                }
            }
            Event::StepOwed { after } => {
                if self
                    .state
                    .live
                    .as_ref()
                    .is_some_and(|live| live.status == EnrollmentStatus::Active)
                    && !self.has_open_step()
                {
                    self.schedule_current(*after);
                }
            }
            Event::EnrollRequested { bulk } => {
                let cadences = self.ctx.cadences;
                if let Ok(cadence) = enrollment_target(&self.state, cadences, *bulk) {
                    let name = cadence.name.clone();
                    self.enroll(cadence, &format!("Moved to {name}"), !*bulk);
                }
            }
            Event::Pause { reason } => self.pause(reason),
            Event::Resume => self.resume(),
            Event::Leave { reason } => self.exit(reason),
            Event::NoNextStep { reason } => {
                self.state.no_next_step_reason = Some(reason.clone());
                self.effects
                    .push(Effect::SetNoNextStep(Some(reason.clone())));
                self.record(Record {
                    note: Some(reason.clone()),
                    ..Record::new(EventKind::NoNextStep)
                });
            }
            Event::DoNotContactChanged { from, to, note } => {
                let from = *from;
                if from == *to {
                    return;
                }
                self.state.do_not_contact = *to;
                self.effects.push(Effect::SetDoNotContact(*to));
                if *to {
                    self.stop_everything("Do not contact");
                }
                self.record(Record {
                    from: Some(from.to_string()),
                    to: Some(to.to_string()),
                    note: note.clone(),
                    ..Record::new(EventKind::DoNotContact)
                });
            }
            Event::DataFixed => {
                self.state.data_flagged = false;
                self.effects.push(Effect::ClearDataFlag);
                self.resume();
            }
            Event::StageChanged {
                opportunity_id,
                from,
                to,
                lost_reason,
                revisit_on,
            } => self.move_stage(
                *opportunity_id,
                *from,
                *to,
                lost_reason.as_deref(),
                *revisit_on,
            ),
            Event::Reassigned {
                to,
                from_name,
                to_name,
            } => {
                if *to == self.state.owner_id {
                    return;
                }
                self.state.owner_id = *to;
                self.effects.push(Effect::ChangeOwner { to: *to });
                self.record(Record {
                    from: Some(from_name.clone()),
                    to: Some(to_name.clone()),
                    ..Record::new(EventKind::OwnerChanged)
                });
            }
        }
    }

    /// Logging an interaction: the touch it came from is done (a step moves on), the
    /// decision opens or moves an opportunity and sets the interest, and the plan follows.
    fn interaction(&mut self, logged: &Logged) {
        if let Some(touch) = logged.touch_id.and_then(|id| self.open_touch(id)) {
            let touch_id = touch.id.expect("an existing touch");
            self.close_touch(touch_id);
            self.effects.push(Effect::CompleteTouch {
                touch_id,
                interaction_id: logged.interaction_id,
            });
            if let (TouchKind::Step, Some(enrollment)) = (touch.kind, touch.enrollment) {
                self.advance(enrollment);
            }
        }

        let was_do_not_contact = self.state.do_not_contact;
        match &logged.decision {
            DecisionInput::Current {
                name,
                stage,
                value_cents,
                expected_close_on,
            } => {
                let opportunity = match self.state.open_opportunities.first().copied() {
                    Some(open) => {
                        let OpportunityRef::Existing(id) = open.opportunity else {
                            unreachable!("opened only by this rule")
                        };
                        self.move_stage(id, open.stage, *stage, None, None);
                        self.effects.push(Effect::EditOpportunity {
                            opportunity_id: id,
                            name: name.clone(),
                            value_cents: *value_cents,
                            expected_close_on: *expected_close_on,
                        });
                        open.opportunity
                    }
                    None => {
                        let name = name
                            .clone()
                            .unwrap_or_else(|| self.state.opportunity_name.clone());
                        self.effects.push(Effect::OpenOpportunity {
                            name: name.clone(),
                            stage: *stage,
                            value_cents: value_cents.unwrap_or(0),
                            expected_close_on: *expected_close_on,
                        });
                        self.state.open_opportunities.insert(
                            0,
                            OpenOpportunity {
                                opportunity: OpportunityRef::New,
                                stage: *stage,
                            },
                        );
                        self.record(Record {
                            to: Some(stage.as_str().to_string()),
                            note: Some(name),
                            opportunity: Some(OpportunityRef::New),
                            interaction_id: Some(logged.interaction_id),
                            ..Record::new(EventKind::OpportunityOpened)
                        });
                        OpportunityRef::New
                    }
                };
                self.effects.push(Effect::LinkInteraction {
                    interaction_id: logged.interaction_id,
                    opportunity,
                });
            }
            DecisionInput::None {
                reason,
                do_not_contact: true,
            } if !was_do_not_contact => {
                self.state.do_not_contact = true;
                self.effects.push(Effect::SetDoNotContact(true));
                self.record(Record {
                    from: Some("false".into()),
                    to: Some("true".into()),
                    note: Some(reason.clone()),
                    interaction_id: Some(logged.interaction_id),
                    ..Record::new(EventKind::DoNotContact)
                });
            }
            _ => {}
        }

        let re_engage_on = logged.decision.re_engage_on();
        if let Some(decision) = logged.decision.decision() {
            let is_latest = self
                .state
                .latest_decision_at
                .is_none_or(|latest| latest <= self.ctx.at);
            // A customer stays a customer; their interest in more is an opportunity's business.
            if is_latest && self.state.interest != InterestState::Customer {
                self.set_interest(
                    decision.interest(),
                    re_engage_on,
                    None,
                    Some(logged.interaction_id),
                );
            }
        }

        if self.state.do_not_contact {
            self.stop_everything("Do not contact");
            return;
        }
        match logged.decision.decision() {
            Some(Decision::Current) => self.ensure_purpose(Purpose::Pursue, "Current interest"),
            Some(Decision::Future) => {
                self.ensure_purpose(Purpose::Nurture, "Future interest");
                if let Some(on) = re_engage_on {
                    self.re_engage(on);
                    self.clear_no_next_step();
                }
            }
            Some(Decision::None) => self.stop_everything("No interest"),
            None => match logged.outcome {
                Outcome::Replied | Outcome::MeetingBooked
                    if self
                        .state
                        .live
                        .as_ref()
                        .is_some_and(|live| live.purpose == Purpose::Nurture) =>
                {
                    self.ensure_purpose(Purpose::Pursue, "They engaged: back to pursuing");
                }
                Outcome::BadData => {
                    self.pause("Bad data: fix the contact details, then resume");
                    if !self.state.data_flagged {
                        self.state.data_flagged = true;
                        self.effects.push(Effect::FlagData);
                        self.record(Record::new(EventKind::DataFlagged));
                    }
                }
                _ => {}
            },
        }
    }

    fn record(&mut self, record: Record) {
        self.effects.push(Effect::Record(record));
    }

    fn open_touch(&self, id: i64) -> Option<OpenTouch> {
        self.state
            .open_touches
            .iter()
            .find(|t| t.id == Some(id))
            .cloned()
    }

    fn touch_mut(&mut self, id: i64) -> Option<&mut OpenTouch> {
        self.state
            .open_touches
            .iter_mut()
            .find(|t| t.id == Some(id))
    }

    fn close_touch(&mut self, id: i64) {
        self.state.open_touches.retain(|t| t.id != Some(id));
    }

    fn has_open_step(&self) -> bool {
        let live = self.state.live.as_ref().map(|l| l.enrollment);
        self.state
            .open_touches
            .iter()
            .any(|t| t.kind == TouchKind::Step && t.enrollment == live)
    }

    /// Withdraws the open touches `which` picks: existing ones are cancelled, ones this
    /// decision scheduled are never written.
    fn withdraw(&mut self, which: impl Fn(&OpenTouch) -> bool, reason: &str) {
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.state.open_touches)
            .into_iter()
            .partition(|t| which(t));
        self.state.open_touches = kept;
        for touch in gone {
            match touch.id {
                Some(touch_id) => self.effects.push(Effect::CancelTouch {
                    touch_id,
                    reason: reason.to_string(),
                }),
                None => self.effects.retain(|e| {
                    !matches!(e, Effect::ScheduleStep { enrollment, .. }
                        if Some(*enrollment) == touch.enrollment)
                        && !matches!(e, Effect::ScheduleReEngage { due_at, .. }
                        if touch.kind == TouchKind::ReEngage && *due_at == touch.due_at)
                }),
            }
        }
    }

    /// An enrollment this decision ends is not moved on first: the step worked stays its
    /// last position (effects are net changes).
    fn forget_advance(&mut self, enrollment: EnrollmentRef) {
        if let EnrollmentRef::Existing(id) = enrollment {
            self.effects.retain(
                |e| !matches!(e, Effect::Advance { enrollment_id, .. } if *enrollment_id == id),
            );
        }
    }

    /// After a step's touch is done or skipped: on to the next step, counted from now.
    fn advance(&mut self, enrollment: EnrollmentRef) {
        let Some(live) = self.state.live.as_mut() else {
            return;
        };
        if live.enrollment != enrollment || live.status != EnrollmentStatus::Active {
            return;
        }
        live.position += 1;
        let EnrollmentRef::Existing(enrollment_id) = enrollment else {
            unreachable!("a new enrollment has no touch done yet")
        };
        self.effects.push(Effect::Advance {
            enrollment_id,
            position: live.position,
        });
        self.schedule_current(self.ctx.at);
    }

    /// Schedules the live enrollment's current step, due after `after`, or completes the
    /// enrollment when its cadence has no such step.
    fn schedule_current(&mut self, after: OffsetDateTime) {
        let Some(live) = self.state.live.clone() else {
            return;
        };
        let Some(cadence) = self.ctx.cadences.version(live.version_id) else {
            // The cadence's steps were not loaded: do nothing rather than guess.
            return;
        };
        match cadence.step(live.position) {
            Some(step) => {
                let due_at = step.due_after(after, self.ctx.hours);
                self.effects.push(Effect::ScheduleStep {
                    enrollment: live.enrollment,
                    step_id: step.id,
                    channel: step.channel,
                    owner_id: self.state.owner_id,
                    due_at,
                    due_on: self.ctx.hours.local_date(due_at),
                });
                self.state.open_touches.push(OpenTouch {
                    id: None,
                    kind: TouchKind::Step,
                    enrollment: Some(live.enrollment),
                    status: TouchStatus::Pending,
                    due_at,
                });
            }
            None => {
                self.state.live = None;
                self.forget_advance(live.enrollment);
                self.effects.push(Effect::Complete {
                    enrollment: live.enrollment,
                });
                self.record(Record {
                    enrollment: Some(live.enrollment),
                    ..Record::new(EventKind::EnrollmentCompleted)
                });
            }
        }
    }

    fn exit(&mut self, reason: &str) {
        let Some(live) = self.state.live.take() else {
            return;
        };
        self.forget_advance(live.enrollment);
        match live.enrollment {
            EnrollmentRef::Existing(enrollment_id) => self.effects.push(Effect::Exit {
                enrollment_id,
                reason: reason.to_string(),
            }),
            EnrollmentRef::New => unreachable!("a decision never leaves what it began"),
        }
        let enrollment = Some(live.enrollment);
        self.withdraw(
            |t| t.enrollment == enrollment,
            &format!("Left {}: {reason}", live.name),
        );
        self.record(Record {
            note: Some(format!("{} — {reason}", live.name)),
            enrollment,
            ..Record::new(EventKind::EnrollmentExited)
        });
    }

    fn pause(&mut self, reason: &str) {
        let Some(live) = self.state.live.as_mut() else {
            return;
        };
        if live.status != EnrollmentStatus::Active {
            return;
        }
        live.status = EnrollmentStatus::Paused;
        let enrollment = live.enrollment;
        let EnrollmentRef::Existing(enrollment_id) = enrollment else {
            unreachable!("a decision never pauses what it began")
        };
        self.effects.push(Effect::Pause { enrollment_id });
        self.withdraw(
            |t| t.enrollment == Some(enrollment),
            &format!("Paused: {reason}"),
        );
        self.record(Record {
            note: Some(reason.to_string()),
            enrollment: Some(enrollment),
            ..Record::new(EventKind::EnrollmentPaused)
        });
    }

    /// Resumes a paused enrollment: its current step is scheduled again, counted from now.
    fn resume(&mut self) {
        let Some(live) = self.state.live.as_mut() else {
            return;
        };
        if live.status != EnrollmentStatus::Paused {
            return;
        }
        live.status = EnrollmentStatus::Active;
        let enrollment = live.enrollment;
        let EnrollmentRef::Existing(enrollment_id) = enrollment else {
            unreachable!("a new enrollment is active")
        };
        self.effects.push(Effect::Resume { enrollment_id });
        self.record(Record {
            enrollment: Some(enrollment),
            ..Record::new(EventKind::EnrollmentResumed)
        });
        self.schedule_current(self.ctx.at);
    }

    /// Exits the live enrollment and withdraws every open touch: no interest, or
    /// do-not-contact.
    fn stop_everything(&mut self, reason: &str) {
        self.exit(reason);
        self.withdraw(|_| true, reason);
    }

    fn clear_no_next_step(&mut self) {
        if self.state.no_next_step_reason.take().is_some() {
            self.effects.push(Effect::SetNoNextStep(None));
        }
    }

    /// Enrolls the prospect in `cadence`, leaving any other live enrollment with
    /// `reason_to_leave`; the first step is scheduled from now (or by the scheduler).
    fn enroll(&mut self, cadence: &Cadence, reason_to_leave: &str, schedule_now: bool) {
        if let Some(live) = &self.state.live {
            if live.cadence_id == cadence.cadence_id {
                return;
            }
            self.exit(reason_to_leave);
        }
        self.effects.push(Effect::Enroll {
            cadence_id: cadence.cadence_id,
            version_id: cadence.version_id,
        });
        self.state.live = Some(Live {
            enrollment: EnrollmentRef::New,
            cadence_id: cadence.cadence_id,
            version_id: cadence.version_id,
            name: cadence.name.clone(),
            purpose: cadence.purpose,
            status: EnrollmentStatus::Active,
            position: 1,
        });
        self.record(Record {
            note: Some(cadence.name.clone()),
            enrollment: Some(EnrollmentRef::New),
            ..Record::new(EventKind::Enrolled)
        });
        self.clear_no_next_step();
        if schedule_now {
            self.schedule_current(self.ctx.at);
        } else {
            self.effects.push(Effect::WakeScheduler);
        }
    }

    /// Onto the default cadence for `purpose`, unless already on a cadence of that
    /// purpose (resumed if paused). Without a default cadence nothing happens (the
    /// dead-ends list shows it).
    fn ensure_purpose(&mut self, purpose: Purpose, why: &str) {
        if let Some(live) = &self.state.live
            && live.purpose == purpose
        {
            self.resume();
            return;
        }
        if let Some(cadence) = self.ctx.cadences.default_for(purpose) {
            self.enroll(cadence, why, true);
        }
    }

    /// A re-engage touch at the start of the owner's working day on `on`. It replaces any
    /// other open re-engage touch: the latest decision's date wins.
    fn re_engage(&mut self, on: Date) {
        let hours = self.ctx.hours;
        let due_at =
            schedule::local_instant(on, hours.start, &hours.time_zone).unwrap_or(self.ctx.at);
        self.withdraw(
            |t| t.kind == TouchKind::ReEngage && t.due_at != due_at,
            "Replaced by a later re-engage date",
        );
        if self
            .state
            .open_touches
            .iter()
            .any(|t| t.kind == TouchKind::ReEngage)
        {
            return;
        }
        self.effects.push(Effect::ScheduleReEngage {
            owner_id: self.state.owner_id,
            due_at,
            due_on: hours.local_date(due_at),
        });
        self.state.open_touches.push(OpenTouch {
            id: None,
            kind: TouchKind::ReEngage,
            enrollment: None,
            status: TouchStatus::Pending,
            due_at,
        });
    }

    /// Moves the prospect to a new interest state (and re-engage date), on the timeline
    /// when the state actually changes.
    fn set_interest(
        &mut self,
        to: InterestState,
        re_engage_on: Option<Date>,
        note: Option<&str>,
        interaction_id: Option<i64>,
    ) {
        let from = self.state.interest;
        self.state.interest = to;
        self.state.re_engage_on = re_engage_on;
        self.effects.push(Effect::SetInterest { to, re_engage_on });
        if from != to {
            self.record(Record {
                from: Some(from.as_str().to_string()),
                to: Some(to.as_str().to_string()),
                note: note.map(str::to_string),
                interaction_id,
                ..Record::new(EventKind::InterestChanged)
            });
        }
    }

    /// Moves an opportunity to a new stage and carries the consequence to the prospect:
    /// won makes a customer; lost with a date to revisit sends the prospect to future
    /// interest (nurture and a re-engage touch), without one to no interest (unless
    /// another opportunity is still open); a stage moving forward is current interest.
    fn move_stage(
        &mut self,
        opportunity_id: i64,
        from: Stage,
        to: Stage,
        lost_reason: Option<&str>,
        revisit_on: Option<Date>,
    ) {
        if from == to {
            return;
        }
        let this = OpportunityRef::Existing(opportunity_id);
        self.effects.push(Effect::MoveOpportunity {
            opportunity_id,
            to,
            lost_reason: lost_reason.map(str::to_string),
            revisit_on,
        });
        let note = match (to, lost_reason, revisit_on) {
            (Stage::Lost, Some(reason), Some(date)) => Some(format!(
                "{reason} — revisit on {}",
                crate::web::format::date(date)
            )),
            (Stage::Lost, Some(reason), None) => Some(reason.to_string()),
            _ => None,
        };
        self.record(Record {
            from: Some(from.as_str().to_string()),
            to: Some(to.as_str().to_string()),
            note,
            opportunity: Some(this),
            ..Record::new(EventKind::StageChanged)
        });
        let opportunities = &mut self.state.open_opportunities;
        opportunities.retain(|o| o.opportunity != this);
        let other_open = !opportunities.is_empty();
        if to.is_open() {
            opportunities.insert(
                0,
                OpenOpportunity {
                    opportunity: this,
                    stage: to,
                },
            );
        }

        let interest = self.state.interest;
        let next = match to {
            Stage::Won => Some((InterestState::Customer, None)),
            Stage::Lost if other_open => None,
            Stage::Lost if interest == InterestState::Customer => None,
            Stage::Lost => match revisit_on {
                Some(date) => Some((InterestState::Future, Some(date))),
                None => Some((InterestState::None, None)),
            },
            _ if interest != InterestState::Current && interest != InterestState::Customer => {
                Some((InterestState::Current, None))
            }
            _ => None,
        };
        if let Some((to, re_engage_on)) = next {
            self.set_interest(to, re_engage_on, Some("Opportunity stage change"), None);
            // Future interest moves the plan to nurture, as a decision of future interest
            // does; nobody plans to contact a prospect who asked not to be.
            if let (InterestState::Future, Some(date), false) =
                (to, re_engage_on, self.state.do_not_contact)
            {
                self.ensure_purpose(Purpose::Nurture, "Opportunity lost, to revisit");
                self.re_engage(date);
                self.clear_no_next_step();
            }
        }
    }
}
