//! Every (state, event) pair the product allows, with the effects written out in full.
//!
//! The owner works in Paris from 09:00 to 18:00 and the decisions happen on Friday
//! 2026-07-10 at 16:00 there (14:00 UTC), so the due times read: a delay of 0 is at once,
//! 1 is Monday 09:00 (07:00 UTC), 2 is Tuesday, and a 10:00–12:00 window moves the start to
//! 10:00. Every row's effects are also applied with the applier's model, which refuses an
//! effect inconsistent with the applier's order.

use time::Date;
use time::macros::date;

use super::super::model::{Closed, Model};
use super::super::rules::{
    Cadence, Cadences, Context, DecisionInput, Effect, EnrollRefusal, EnrollmentRef, Event,
    EventKind, Live, OpenTouch, OpportunityRef, ProcessState, decide, enrollment_target,
};
use super::super::{
    Channel, EnrollmentStatus, InterestState, Outcome, Stage, TouchKind, TouchStatus,
};
use super::*;

// The moments in the table (UTC).
const FRI_16H: &str = "2026-07-10T14:00:00Z";
const FRI_17H: &str = "2026-07-10T15:00:00Z";
const SAT: &str = "2026-07-11T10:00:00Z";
const MON_9H: &str = "2026-07-13T07:00:00Z";
const MON_10H: &str = "2026-07-13T08:00:00Z";
const TUE_9H: &str = "2026-07-14T07:00:00Z";
const NEXT_FRI_9H: &str = "2026-07-17T07:00:00Z";

// Re-engage dates and their 09:00 in Paris.
const ON: Date = date!(2026 - 09 - 01);
const ON_9H: &str = "2026-09-01T07:00:00Z";
const LATER: Date = date!(2026 - 10 - 01);
const LATER_9H: &str = "2026-10-01T07:00:00Z";
const REVISIT: Date = date!(2027 - 01 - 15);
const REVISIT_9H: &str = "2027-01-15T08:00:00Z";

const STEP: i64 = 11;
const RE_ENGAGE: i64 = 12;
const OPP: i64 = 21;
const OTHER_OPP: i64 = 22;

use EnrollmentRef::{Existing, New};
use InterestState as I;

// Effects, as a row writes them.

fn complete(touch_id: i64) -> Effect {
    Effect::CompleteTouch {
        touch_id,
        interaction_id: INTERACTION,
    }
}

fn skip(touch_id: i64, reason: &str) -> Effect {
    Effect::SkipTouch {
        touch_id,
        reason: reason.into(),
    }
}

fn cancel(touch_id: i64, reason: &str) -> Effect {
    Effect::CancelTouch {
        touch_id,
        reason: reason.into(),
    }
}

fn exit(enrollment_id: i64, reason: &str) -> Effect {
    Effect::Exit {
        enrollment_id,
        reason: reason.into(),
    }
}

fn enroll(cadence: Cadence) -> Effect {
    Effect::Enroll {
        cadence_id: cadence.cadence_id,
        version_id: cadence.version_id,
    }
}

fn advance(enrollment_id: i64, position: i32) -> Effect {
    Effect::Advance {
        enrollment_id,
        position,
    }
}

/// A step's touch for owner 1, due at `due` (UTC), on its Paris date.
fn schedule(enrollment: EnrollmentRef, step_id: i64, channel: Channel, due: &str) -> Effect {
    Effect::ScheduleStep {
        enrollment,
        step_id,
        channel,
        owner_id: 1,
        due_at: utc(due),
        due_on: paris().local_date(utc(due)),
    }
}

fn schedule_re_engage(due: &str) -> Effect {
    Effect::ScheduleReEngage {
        owner_id: 1,
        due_at: utc(due),
        due_on: paris().local_date(utc(due)),
    }
}

fn set_interest(to: InterestState, re_engage_on: Option<Date>) -> Effect {
    Effect::SetInterest { to, re_engage_on }
}

fn open_opportunity(name: &str, stage: Stage) -> Effect {
    Effect::OpenOpportunity {
        name: name.into(),
        stage,
        value_cents: 0,
        expected_close_on: None,
    }
}

fn move_opportunity(opportunity_id: i64, to: Stage) -> Effect {
    Effect::MoveOpportunity {
        opportunity_id,
        to,
        lost_reason: None,
        revisit_on: None,
    }
}

fn edit_opportunity(opportunity_id: i64) -> Effect {
    Effect::EditOpportunity {
        opportunity_id,
        name: None,
        value_cents: None,
        expected_close_on: None,
    }
}

fn link(opportunity: OpportunityRef) -> Effect {
    Effect::LinkInteraction {
        interaction_id: INTERACTION,
        opportunity,
    }
}

// Timeline records.

fn enrolled(name: &str) -> Effect {
    recorded(Record {
        note: s(name),
        enrollment: Some(New),
        ..record(EventKind::Enrolled)
    })
}

fn exited(enrollment_id: i64, note: &str) -> Effect {
    recorded(Record {
        note: s(note),
        enrollment: Some(Existing(enrollment_id)),
        ..record(EventKind::EnrollmentExited)
    })
}

fn completed(enrollment_id: i64) -> Effect {
    recorded(Record {
        enrollment: Some(Existing(enrollment_id)),
        ..record(EventKind::EnrollmentCompleted)
    })
}

fn paused_record(enrollment_id: i64, reason: &str) -> Effect {
    recorded(Record {
        note: s(reason),
        enrollment: Some(Existing(enrollment_id)),
        ..record(EventKind::EnrollmentPaused)
    })
}

fn resumed(enrollment_id: i64) -> Effect {
    recorded(Record {
        enrollment: Some(Existing(enrollment_id)),
        ..record(EventKind::EnrollmentResumed)
    })
}

fn touch_record(kind: EventKind, touch_id: i64, note: &str) -> Effect {
    recorded(Record {
        note: s(note),
        touch_id: Some(touch_id),
        ..record(kind)
    })
}

/// Interest changed by the interaction logged.
fn interest_changed(from: InterestState, to: InterestState) -> Effect {
    recorded(Record {
        from: s(from.as_str()),
        to: s(to.as_str()),
        interaction_id: Some(INTERACTION),
        ..record(EventKind::InterestChanged)
    })
}

/// Interest changed by an opportunity's stage.
fn interest_by_stage(from: InterestState, to: InterestState) -> Effect {
    recorded(Record {
        from: s(from.as_str()),
        to: s(to.as_str()),
        note: s("Opportunity stage change"),
        ..record(EventKind::InterestChanged)
    })
}

fn do_not_contact(from: bool, to: bool, note: Option<&str>, interaction: bool) -> Effect {
    recorded(Record {
        from: s(&from.to_string()),
        to: s(&to.to_string()),
        note: note.map(str::to_string),
        interaction_id: interaction.then_some(INTERACTION),
        ..record(EventKind::DoNotContact)
    })
}

fn opened(stage: Stage, name: &str) -> Effect {
    recorded(Record {
        to: s(stage.as_str()),
        note: s(name),
        opportunity: Some(OpportunityRef::New),
        interaction_id: Some(INTERACTION),
        ..record(EventKind::OpportunityOpened)
    })
}

fn stage_changed(opportunity_id: i64, from: Stage, to: Stage, note: Option<&str>) -> Effect {
    recorded(Record {
        from: s(from.as_str()),
        to: s(to.as_str()),
        note: note.map(str::to_string),
        opportunity: Some(OpportunityRef::Existing(opportunity_id)),
        ..record(EventKind::StageChanged)
    })
}

// Events.

fn skipped(touch_id: i64) -> Event {
    Event::TouchSkipped {
        touch_id,
        reason: "Wrong number".into(),
    }
}

fn snoozed_until(touch_id: i64, until: &str) -> Event {
    Event::TouchSnoozed {
        touch_id,
        until: utc(until),
        note: "Back Monday".into(),
    }
}

fn snooze_ended(touch_id: i64, until: &str) -> Event {
    Event::SnoozeEnded {
        touch_id,
        until: utc(until),
    }
}

fn stage(opportunity_id: i64, from: Stage, to: Stage) -> Event {
    Event::StageChanged {
        opportunity_id,
        from,
        to,
        lost_reason: None,
        revisit_on: None,
    }
}

fn lost(opportunity_id: i64, from: Stage, reason: Option<&str>, revisit_on: Option<Date>) -> Event {
    Event::StageChanged {
        opportunity_id,
        from,
        to: Stage::Lost,
        lost_reason: reason.map(str::to_string),
        revisit_on,
    }
}

fn enroll_requested(bulk: bool) -> Event {
    Event::EnrollRequested { bulk }
}

/// The decision's surroundings: the moment, and which cadences are loaded.
#[derive(Clone)]
struct Setup {
    at: &'static str,
    pursue: bool,
    nurture: bool,
    chosen: Option<Cadence>,
    /// Whether the live enrollment's cadence version is loaded.
    live_loaded: bool,
}

fn setup() -> Setup {
    Setup {
        at: FRI_16H,
        pursue: true,
        nurture: true,
        chosen: None,
        live_loaded: true,
    }
}

impl Setup {
    fn no_defaults(self) -> Self {
        Setup {
            pursue: false,
            nurture: false,
            ..self
        }
    }
    fn no_nurture(self) -> Self {
        Setup {
            nurture: false,
            ..self
        }
    }
    fn chosen(self, cadence: Cadence) -> Self {
        Setup {
            chosen: Some(cadence),
            ..self
        }
    }
    fn live_not_loaded(self) -> Self {
        Setup {
            live_loaded: false,
            ..self
        }
    }

    fn cadences(&self, state: &ProcessState) -> Cadences {
        let known = [pursue_cadence(), nurture_cadence(), webinar_cadence()];
        Cadences {
            live: state
                .live
                .as_ref()
                .filter(|_| self.live_loaded)
                .and_then(|l| known.iter().find(|c| c.version_id == l.version_id).cloned()),
            pursue: self.pursue.then(pursue_cadence),
            nurture: self.nurture.then(nurture_cadence),
            chosen: self.chosen.clone(),
        }
    }
}

struct Row {
    name: &'static str,
    setup: Setup,
    state: ProcessState,
    event: Event,
    expect: Vec<Effect>,
    /// A won or lost opportunity of the prospect (the state lists open ones only).
    closed_opportunity: Option<(i64, Stage)>,
}

fn row(name: &'static str, state: ProcessState, event: Event, expect: Vec<Effect>) -> Row {
    Row {
        name,
        setup: setup(),
        state,
        event,
        expect,
        closed_opportunity: None,
    }
}

impl Row {
    fn with(self, setup: Setup) -> Self {
        Row { setup, ..self }
    }
    fn closed_opportunity(self, id: i64, stage: Stage) -> Self {
        Row {
            closed_opportunity: Some((id, stage)),
            ..self
        }
    }
}

/// A step touch of an enrollment that is not the live one (a row loaded mid-change).
fn stale_step(id: i64, enrollment_id: i64) -> OpenTouch {
    OpenTouch {
        id: Some(id),
        kind: TouchKind::Step,
        enrollment: Some(Existing(enrollment_id)),
        status: TouchStatus::Pending,
        due_at: utc(EARLIER),
    }
}

fn with_touch(mut state: ProcessState, touch: OpenTouch) -> ProcessState {
    state.open_touches.push(touch);
    state
}

fn with_live(state: ProcessState, live: Option<Live>) -> ProcessState {
    ProcessState { live, ..state }
}

const BAD_DATA: &str = "Bad data: fix the contact details, then resume";
const ENGAGED: &str = "They engaged: back to pursuing";

fn interactions() -> Vec<Row> {
    vec![
        // --- Nothing assessed.
        row(
            "no answer, not from a touch: nothing",
            state().live(pursuing(1)).step_touch(STEP),
            logged(Outcome::NoAnswer, DecisionInput::Unassessed),
            vec![],
        ),
        row(
            "no answer from the step's touch: done, step 2 due two business days later",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            logged_from(STEP, Outcome::NoAnswer, DecisionInput::Unassessed),
            vec![
                complete(STEP),
                advance(1, 2),
                schedule(Existing(1), 1012, Channel::Email, TUE_9H),
            ],
        ),
        row(
            "a message left from a snoozed step's touch: done all the same, step 3 in its window",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP)
                .snoozed(STEP),
            logged_from(STEP, Outcome::LeftMessage, DecisionInput::Unassessed),
            vec![
                complete(STEP),
                advance(1, 3),
                schedule(Existing(1), 1013, Channel::Call, MON_10H),
            ],
        ),
        row(
            "connected at the last step, nothing assessed: the cadence completes",
            state()
                .interest(I::Current)
                .live(pursuing(3))
                .step_touch(STEP),
            logged_from(STEP, Outcome::Connected, DecisionInput::Unassessed),
            vec![
                complete(STEP),
                Effect::Complete {
                    enrollment: Existing(1),
                },
                completed(1),
            ],
        ),
        row(
            "logged from a touch no longer open: nothing",
            state().live(pursuing(1)).step_touch(STEP),
            logged_from(99, Outcome::NoAnswer, DecisionInput::Unassessed),
            vec![],
        ),
        row(
            "connected from the re-engage touch, nothing assessed: done, no cadence moves",
            state()
                .future(ON)
                .live(nurturing(1))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            logged_from(RE_ENGAGE, Outcome::Connected, DecisionInput::Unassessed),
            vec![complete(RE_ENGAGE)],
        ),
        row(
            "a step's touch of an enrollment no longer live, done: the live one does not move",
            with_touch(state().future(ON).live(nurturing(1)), stale_step(STEP, 9)),
            logged_from(STEP, Outcome::NoAnswer, DecisionInput::Unassessed),
            vec![complete(STEP)],
        ),
        row(
            "replied while nurtured: back to pursuing; the interest and re-engage touch stay",
            state()
                .future(ON)
                .live(nurturing(1))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            logged(Outcome::Replied, DecisionInput::Unassessed),
            vec![
                exit(NURTURE_ENROLLMENT, ENGAGED),
                cancel(STEP, &format!("Left Nurture: {ENGAGED}")),
                exited(NURTURE_ENROLLMENT, &format!("Nurture — {ENGAGED}")),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "meeting booked while nurture is paused: back to pursuing",
            state().future(ON).live(paused(nurturing(2))),
            logged(Outcome::MeetingBooked, DecisionInput::Unassessed),
            vec![
                exit(NURTURE_ENROLLMENT, ENGAGED),
                exited(NURTURE_ENROLLMENT, &format!("Nurture — {ENGAGED}")),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "replied while pursuing: nothing",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            logged(Outcome::Replied, DecisionInput::Unassessed),
            vec![],
        ),
        row(
            "bad data: the cadence pauses, its touch withdrawn, the prospect flagged",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            logged(Outcome::BadData, DecisionInput::Unassessed),
            vec![
                Effect::Pause { enrollment_id: 1 },
                cancel(STEP, &format!("Paused: {BAD_DATA}")),
                paused_record(1, BAD_DATA),
                Effect::FlagData,
                recorded(record(EventKind::DataFlagged)),
            ],
        ),
        row(
            "bad data from the step's touch: done and moved on, then paused",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            logged_from(STEP, Outcome::BadData, DecisionInput::Unassessed),
            vec![
                complete(STEP),
                advance(1, 2),
                Effect::Pause { enrollment_id: 1 },
                paused_record(1, BAD_DATA),
                Effect::FlagData,
                recorded(record(EventKind::DataFlagged)),
            ],
        ),
        row(
            "bad data again, paused and flagged already: nothing",
            state()
                .interest(I::Current)
                .live(paused(pursuing(2)))
                .flagged(),
            logged(Outcome::BadData, DecisionInput::Unassessed),
            vec![],
        ),
        row(
            "bad data, no cadence: flagged",
            state(),
            logged(Outcome::BadData, DecisionInput::Unassessed),
            vec![Effect::FlagData, recorded(record(EventKind::DataFlagged))],
        ),
        row(
            "no answer while do-not-contact: nothing left to stop",
            state().interest(I::Current).dnc(),
            logged(Outcome::NoAnswer, DecisionInput::Unassessed),
            vec![],
        ),
        // --- Current interest.
        row(
            "current interest on a new prospect: an opportunity and the pursue cadence",
            state(),
            logged(Outcome::Connected, current(Stage::Qualifying)),
            vec![
                open_opportunity("Acme", Stage::Qualifying),
                opened(Stage::Qualifying, "Acme"),
                link(OpportunityRef::New),
                set_interest(I::Current, None),
                interest_changed(I::New, I::Current),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "current interest, named and valued, while nurtured: onto pursue; the re-engage touch stays",
            state()
                .future(ON)
                .live(nurturing(1))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            logged(
                Outcome::MeetingBooked,
                DecisionInput::Current {
                    name: s("Big deal"),
                    stage: Stage::Meeting,
                    value_cents: Some(500_000),
                    expected_close_on: Some(REVISIT),
                },
            ),
            vec![
                Effect::OpenOpportunity {
                    name: "Big deal".into(),
                    stage: Stage::Meeting,
                    value_cents: 500_000,
                    expected_close_on: Some(REVISIT),
                },
                opened(Stage::Meeting, "Big deal"),
                link(OpportunityRef::New),
                set_interest(I::Current, None),
                interest_changed(I::Future, I::Current),
                exit(NURTURE_ENROLLMENT, "Current interest"),
                cancel(STEP, "Left Nurture: Current interest"),
                exited(NURTURE_ENROLLMENT, "Nurture — Current interest"),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "current interest with an open opportunity: it moves on and takes the details",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP)
                .opportunity(OPP, Stage::Qualifying),
            logged(
                Outcome::MeetingBooked,
                DecisionInput::Current {
                    name: s("Renamed"),
                    stage: Stage::Meeting,
                    value_cents: Some(100),
                    expected_close_on: None,
                },
            ),
            vec![
                move_opportunity(OPP, Stage::Meeting),
                stage_changed(OPP, Stage::Qualifying, Stage::Meeting, None),
                Effect::EditOpportunity {
                    opportunity_id: OPP,
                    name: s("Renamed"),
                    value_cents: Some(100),
                    expected_close_on: None,
                },
                link(OpportunityRef::Existing(OPP)),
                set_interest(I::Current, None),
            ],
        ),
        row(
            "current interest, two opportunities open, same stage: the latest is edited",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP)
                .opportunity(OPP, Stage::Meeting)
                .opportunity(OTHER_OPP, Stage::Proposal),
            logged(Outcome::Connected, current(Stage::Meeting)),
            vec![
                edit_opportunity(OPP),
                link(OpportunityRef::Existing(OPP)),
                set_interest(I::Current, None),
            ],
        ),
        row(
            "current interest from future, with an open opportunity moving: interest changed once",
            state().future(ON).opportunity(OPP, Stage::Qualifying),
            logged(Outcome::Connected, current(Stage::Proposal)),
            vec![
                move_opportunity(OPP, Stage::Proposal),
                stage_changed(OPP, Stage::Qualifying, Stage::Proposal, None),
                set_interest(I::Current, None),
                interest_by_stage(I::Future, I::Current),
                edit_opportunity(OPP),
                link(OpportunityRef::Existing(OPP)),
                set_interest(I::Current, None),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "current interest while pursue is paused: resumed, its step due from now",
            state()
                .interest(I::Current)
                .live(paused(pursuing(2)))
                .flagged(),
            logged(Outcome::Connected, current(Stage::Qualifying)),
            vec![
                open_opportunity("Acme", Stage::Qualifying),
                opened(Stage::Qualifying, "Acme"),
                link(OpportunityRef::New),
                set_interest(I::Current, None),
                Effect::Resume { enrollment_id: 1 },
                resumed(1),
                schedule(Existing(1), 1012, Channel::Email, TUE_9H),
            ],
        ),
        row(
            "current interest, no default pursue cadence: no plan",
            state(),
            logged(Outcome::Connected, current(Stage::Qualifying)),
            vec![
                open_opportunity("Acme", Stage::Qualifying),
                opened(Stage::Qualifying, "Acme"),
                link(OpportunityRef::New),
                set_interest(I::Current, None),
                interest_changed(I::New, I::Current),
            ],
        )
        .with(setup().no_defaults()),
        row(
            "current interest from a customer: an opportunity, still a customer, pursued",
            state().interest(I::Customer),
            logged(Outcome::Connected, current(Stage::Qualifying)),
            vec![
                open_opportunity("Acme", Stage::Qualifying),
                opened(Stage::Qualifying, "Acme"),
                link(OpportunityRef::New),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "current interest back-dated before a newer decision: the interest stays, the plan moves",
            state().future(ON).decided_at(FRI_17H),
            logged(Outcome::Connected, current(Stage::Qualifying)),
            vec![
                open_opportunity("Acme", Stage::Qualifying),
                opened(Stage::Qualifying, "Acme"),
                link(OpportunityRef::New),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "current interest at the same moment as the latest decision: it counts",
            state().future(ON).decided_at(FRI_16H),
            logged(Outcome::Connected, current(Stage::Qualifying)),
            vec![
                open_opportunity("Acme", Stage::Qualifying),
                opened(Stage::Qualifying, "Acme"),
                link(OpportunityRef::New),
                set_interest(I::Current, None),
                interest_changed(I::Future, I::Current),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "current interest at the last step: completed, then a fresh pursue enrollment",
            state().live(pursuing(3)).step_touch(STEP),
            logged_from(STEP, Outcome::Connected, current(Stage::Qualifying)),
            vec![
                complete(STEP),
                Effect::Complete {
                    enrollment: Existing(1),
                },
                completed(1),
                open_opportunity("Acme", Stage::Qualifying),
                opened(Stage::Qualifying, "Acme"),
                link(OpportunityRef::New),
                set_interest(I::Current, None),
                interest_changed(I::New, I::Current),
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "current interest while do-not-contact: recorded, nothing planned",
            state().dnc(),
            logged(Outcome::Connected, current(Stage::Qualifying)),
            vec![
                open_opportunity("Acme", Stage::Qualifying),
                opened(Stage::Qualifying, "Acme"),
                link(OpportunityRef::New),
                set_interest(I::Current, None),
                interest_changed(I::New, I::Current),
            ],
        ),
        // --- Future interest.
        row(
            "future interest while pursued: nurture, and a re-engage touch at 09:00 on the date",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            logged(Outcome::Connected, future(ON)),
            vec![
                set_interest(I::Future, Some(ON)),
                interest_changed(I::Current, I::Future),
                exit(PURSUE_ENROLLMENT, "Future interest"),
                cancel(STEP, "Left Pursue: Future interest"),
                exited(PURSUE_ENROLLMENT, "Pursue — Future interest"),
                enroll(nurture_cadence()),
                enrolled("Nurture"),
                schedule(New, 2011, Channel::Email, MON_9H),
                schedule_re_engage(ON_9H),
            ],
        ),
        row(
            "future interest from the pursue step's touch: pursue exited where it stood, nurture begun",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            logged_from(STEP, Outcome::Connected, future(ON)),
            vec![
                complete(STEP),
                set_interest(I::Future, Some(ON)),
                interest_changed(I::Current, I::Future),
                exit(PURSUE_ENROLLMENT, "Future interest"),
                exited(PURSUE_ENROLLMENT, "Pursue — Future interest"),
                enroll(nurture_cadence()),
                enrolled("Nurture"),
                schedule(New, 2011, Channel::Email, MON_9H),
                schedule_re_engage(ON_9H),
            ],
        ),
        row(
            "future interest, a later date, while nurtured: the re-engage touch replaced, the reason cleared",
            state()
                .future(ON)
                .no_next_step("Waiting for budget")
                .live(nurturing(2))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            logged(Outcome::Connected, future(LATER)),
            vec![
                set_interest(I::Future, Some(LATER)),
                cancel(RE_ENGAGE, "Replaced by a later re-engage date"),
                schedule_re_engage(LATER_9H),
                Effect::SetNoNextStep(None),
            ],
        ),
        row(
            "future interest, the same date again: the re-engage touch stays",
            state()
                .future(ON)
                .live(nurturing(1))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            logged(Outcome::Connected, future(ON)),
            vec![set_interest(I::Future, Some(ON))],
        ),
        row(
            "future interest, no default nurture cadence: pursue goes on, a re-engage touch",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            logged(Outcome::Connected, future(ON)),
            vec![
                set_interest(I::Future, Some(ON)),
                interest_changed(I::Current, I::Future),
                schedule_re_engage(ON_9H),
            ],
        )
        .with(setup().no_nurture()),
        row(
            "future interest while nurture is paused: resumed",
            state().future(ON).live(paused(nurturing(2))),
            logged(Outcome::Connected, future(ON)),
            vec![
                set_interest(I::Future, Some(ON)),
                Effect::Resume { enrollment_id: 2 },
                resumed(2),
                schedule(Existing(2), 2012, Channel::Email, NEXT_FRI_9H),
                schedule_re_engage(ON_9H),
            ],
        ),
        row(
            "future interest back-dated before a newer decision: the interest stays, the plan moves",
            state()
                .interest(I::Current)
                .decided_at(FRI_17H)
                .live(pursuing(2))
                .step_touch(STEP),
            logged(Outcome::Connected, future(ON)),
            vec![
                exit(PURSUE_ENROLLMENT, "Future interest"),
                cancel(STEP, "Left Pursue: Future interest"),
                exited(PURSUE_ENROLLMENT, "Pursue — Future interest"),
                enroll(nurture_cadence()),
                enrolled("Nurture"),
                schedule(New, 2011, Channel::Email, MON_9H),
                schedule_re_engage(ON_9H),
            ],
        ),
        // --- No interest.
        row(
            "no interest: the cadence exits, every touch is withdrawn",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            logged(Outcome::NotInterested, no_interest("Went elsewhere", false)),
            vec![
                set_interest(I::None, None),
                interest_changed(I::Current, I::None),
                exit(PURSUE_ENROLLMENT, "No interest"),
                cancel(STEP, "Left Pursue: No interest"),
                exited(PURSUE_ENROLLMENT, "Pursue — No interest"),
                cancel(RE_ENGAGE, "No interest"),
            ],
        ),
        row(
            "no interest and do not contact: flagged, everything stops",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            logged(Outcome::NotInterested, no_interest("Asked to stop", true)),
            vec![
                Effect::SetDoNotContact(true),
                do_not_contact(false, true, Some("Asked to stop"), true),
                set_interest(I::None, None),
                interest_changed(I::Current, I::None),
                exit(PURSUE_ENROLLMENT, "Do not contact"),
                cancel(STEP, "Left Pursue: Do not contact"),
                exited(PURSUE_ENROLLMENT, "Pursue — Do not contact"),
            ],
        ),
        row(
            "no interest and do not contact, do-not-contact already: the interest only",
            state().interest(I::Current).dnc(),
            logged(Outcome::NotInterested, no_interest("Asked to stop", true)),
            vec![
                set_interest(I::None, None),
                interest_changed(I::Current, I::None),
            ],
        ),
        row(
            "no interest from the step's touch: exited where it stood",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            logged_from(
                STEP,
                Outcome::NotInterested,
                no_interest("No budget", false),
            ),
            vec![
                complete(STEP),
                set_interest(I::None, None),
                interest_changed(I::Current, I::None),
                exit(PURSUE_ENROLLMENT, "No interest"),
                exited(PURSUE_ENROLLMENT, "Pursue — No interest"),
            ],
        ),
        row(
            "no interest at the last step: completed, nothing left to exit",
            state()
                .interest(I::Current)
                .live(pursuing(3))
                .step_touch(STEP),
            logged_from(
                STEP,
                Outcome::NotInterested,
                no_interest("No budget", false),
            ),
            vec![
                complete(STEP),
                Effect::Complete {
                    enrollment: Existing(1),
                },
                completed(1),
                set_interest(I::None, None),
                interest_changed(I::Current, I::None),
            ],
        ),
        row(
            "no interest back-dated before a newer decision: the interest stays, everything stops",
            state()
                .interest(I::Current)
                .decided_at(FRI_17H)
                .live(pursuing(2))
                .step_touch(STEP),
            logged(Outcome::NotInterested, no_interest("Old note", false)),
            vec![
                exit(PURSUE_ENROLLMENT, "No interest"),
                cancel(STEP, "Left Pursue: No interest"),
                exited(PURSUE_ENROLLMENT, "Pursue — No interest"),
            ],
        ),
        row(
            "no interest from a customer: still a customer, the cadence stops",
            state()
                .interest(I::Customer)
                .live(pursuing(2))
                .step_touch(STEP),
            logged(Outcome::NotInterested, no_interest("Happy as is", false)),
            vec![
                exit(PURSUE_ENROLLMENT, "No interest"),
                cancel(STEP, "Left Pursue: No interest"),
                exited(PURSUE_ENROLLMENT, "Pursue — No interest"),
            ],
        ),
    ]
}

fn touches() -> Vec<Row> {
    let snooze_note = "Back Monday";
    vec![
        row(
            "skip the step's touch: on to the next step, counted from now",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            skipped(STEP),
            vec![
                skip(STEP, "Wrong number"),
                touch_record(EventKind::TouchSkipped, STEP, "Wrong number"),
                advance(1, 2),
                schedule(Existing(1), 1012, Channel::Email, TUE_9H),
            ],
        ),
        row(
            "skip the last step's touch: the cadence completes",
            state()
                .interest(I::Current)
                .live(pursuing(3))
                .step_touch(STEP),
            skipped(STEP),
            vec![
                skip(STEP, "Wrong number"),
                touch_record(EventKind::TouchSkipped, STEP, "Wrong number"),
                Effect::Complete {
                    enrollment: Existing(1),
                },
                completed(1),
            ],
        ),
        row(
            "skip the re-engage touch: closed, no cadence moves",
            state()
                .future(ON)
                .live(nurturing(1))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            skipped(RE_ENGAGE),
            vec![
                skip(RE_ENGAGE, "Wrong number"),
                touch_record(EventKind::TouchSkipped, RE_ENGAGE, "Wrong number"),
            ],
        ),
        row(
            "skip a touch no longer open: nothing",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            skipped(99),
            vec![],
        ),
        row(
            "skip a step's touch when nobody is enrolled any more: skipped, nothing moves",
            with_touch(state().interest(I::Current), stale_step(STEP, 1)),
            skipped(STEP),
            vec![
                skip(STEP, "Wrong number"),
                touch_record(EventKind::TouchSkipped, STEP, "Wrong number"),
            ],
        ),
        row(
            "skip a step's touch of a paused enrollment: skipped, nothing moves",
            with_touch(
                with_live(state().interest(I::Current), Some(paused(pursuing(1)))),
                stale_step(STEP, 1),
            ),
            skipped(STEP),
            vec![
                skip(STEP, "Wrong number"),
                touch_record(EventKind::TouchSkipped, STEP, "Wrong number"),
            ],
        ),
        row(
            "snooze the step's touch: asleep until Monday, the scheduler woken",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            snoozed_until(STEP, MON_9H),
            vec![
                Effect::SnoozeTouch {
                    touch_id: STEP,
                    until: utc(MON_9H),
                },
                Effect::WakeScheduler,
                touch_record(EventKind::TouchSnoozed, STEP, snooze_note),
            ],
        ),
        row(
            "snooze a snoozed touch again: asleep until the new time",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP)
                .snoozed(STEP),
            snoozed_until(STEP, TUE_9H),
            vec![
                Effect::SnoozeTouch {
                    touch_id: STEP,
                    until: utc(TUE_9H),
                },
                Effect::WakeScheduler,
                touch_record(EventKind::TouchSnoozed, STEP, snooze_note),
            ],
        ),
        row(
            "snooze a touch no longer open: nothing",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            snoozed_until(99, MON_9H),
            vec![],
        ),
        row(
            "a snooze ends: the touch is due from then",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP)
                .snoozed(STEP),
            snooze_ended(STEP, MON_9H),
            vec![Effect::WakeTouch {
                touch_id: STEP,
                due_at: utc(MON_9H),
            }],
        ),
        row(
            "a snooze ends for a touch already awake: nothing",
            state()
                .interest(I::Current)
                .live(pursuing(1))
                .step_touch(STEP),
            snooze_ended(STEP, MON_9H),
            vec![],
        ),
        row(
            "a snooze ends for a touch no longer open: nothing",
            state().interest(I::Current).live(pursuing(1)),
            snooze_ended(STEP, MON_9H),
            vec![],
        ),
    ]
}

fn scheduler() -> Vec<Row> {
    vec![
        row(
            "re-engage date reached: a touch at 09:00 on the date",
            state().future(ON),
            Event::ReEngageDateReached { on: ON },
            vec![schedule_re_engage(ON_9H)],
        ),
        row(
            "re-engage date reached, its touch already there: nothing",
            state().future(ON).re_engage_touch(RE_ENGAGE, ON_9H),
            Event::ReEngageDateReached { on: ON },
            vec![],
        ),
        row(
            "re-engage date reached, a touch at another hour (owner's hours changed): replaced",
            state()
                .future(ON)
                .re_engage_touch(RE_ENGAGE, "2026-09-01T14:00:00Z"),
            Event::ReEngageDateReached { on: ON },
            vec![
                cancel(RE_ENGAGE, "Replaced by a later re-engage date"),
                schedule_re_engage(ON_9H),
            ],
        ),
        row(
            "re-engage date reached, the date has changed since: nothing",
            state().future(LATER),
            Event::ReEngageDateReached { on: ON },
            vec![],
        ),
        row(
            "re-engage date reached, no longer future interest: nothing",
            state().future(ON).interest(I::Current),
            Event::ReEngageDateReached { on: ON },
            vec![],
        ),
        row(
            "re-engage date reached while do-not-contact: nothing",
            state().future(ON).dnc(),
            Event::ReEngageDateReached { on: ON },
            vec![],
        ),
        row(
            "step owed (bulk enrollment) on a Saturday: due Monday at the start of the day",
            state().live(pursuing(1)),
            Event::StepOwed { after: utc(SAT) },
            vec![schedule(Existing(1), 1011, Channel::Call, MON_9H)],
        ),
        row(
            "step owed, its touch already there: nothing",
            state().live(pursuing(1)).step_touch(STEP),
            Event::StepOwed { after: utc(SAT) },
            vec![],
        ),
        row(
            "step owed while paused: nothing",
            state().live(paused(pursuing(1))),
            Event::StepOwed { after: utc(SAT) },
            vec![],
        ),
        row(
            "step owed, nobody enrolled: nothing",
            state(),
            Event::StepOwed { after: utc(SAT) },
            vec![],
        ),
        row(
            "step owed past the last step: the enrollment completes",
            state().live(pursuing(4)),
            Event::StepOwed { after: utc(SAT) },
            vec![
                Effect::Complete {
                    enrollment: Existing(1),
                },
                completed(1),
            ],
        ),
        row(
            "step owed, the cadence's steps not loaded: nothing rather than a guess",
            state().live(pursuing(1)),
            Event::StepOwed { after: utc(SAT) },
            vec![],
        )
        .with(setup().no_defaults().live_not_loaded()),
    ]
}

fn enrollments() -> Vec<Row> {
    let on_hold = "On holiday";
    vec![
        row(
            "enroll a new prospect: the default pursue cadence, its first call at once",
            state(),
            enroll_requested(false),
            vec![
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "enroll future interest: the default nurture cadence; the no-next-step reason cleared",
            state().future(ON).no_next_step("Waiting"),
            enroll_requested(false),
            vec![
                enroll(nurture_cadence()),
                enrolled("Nurture"),
                Effect::SetNoNextStep(None),
                schedule(New, 2011, Channel::Email, MON_9H),
            ],
        ),
        row(
            "enroll in a chosen cadence, leaving the current one; its window is over: Monday 10:00",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            enroll_requested(false),
            vec![
                exit(PURSUE_ENROLLMENT, "Moved to Webinar"),
                cancel(STEP, "Left Pursue: Moved to Webinar"),
                exited(PURSUE_ENROLLMENT, "Pursue — Moved to Webinar"),
                enroll(webinar_cadence()),
                enrolled("Webinar"),
                schedule(New, 3011, Channel::Email, MON_10H),
            ],
        )
        .with(setup().chosen(webinar_cadence())),
        row(
            "enroll, already following the default cadence: nothing",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            enroll_requested(false),
            vec![],
        ),
        row(
            "enroll while do-not-contact: refused",
            state().dnc(),
            enroll_requested(false),
            vec![],
        ),
        row(
            "enroll with no cadence chosen and no default: refused",
            state(),
            enroll_requested(false),
            vec![],
        )
        .with(setup().no_defaults()),
        row(
            "enroll a prospect of no interest, one at a time: the rep's call",
            state().interest(I::None),
            enroll_requested(false),
            vec![
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                schedule(New, 1011, Channel::Call, FRI_16H),
            ],
        ),
        row(
            "bulk enroll: enrolled, the first step left to the scheduler",
            state(),
            enroll_requested(true),
            vec![
                enroll(pursue_cadence()),
                enrolled("Pursue"),
                Effect::WakeScheduler,
            ],
        ),
        row(
            "bulk enroll in a chosen cadence with a reason recorded: cleared",
            state().no_next_step("Nobody to call"),
            enroll_requested(true),
            vec![
                enroll(webinar_cadence()),
                enrolled("Webinar"),
                Effect::SetNoNextStep(None),
                Effect::WakeScheduler,
            ],
        )
        .with(setup().chosen(webinar_cadence())),
        row(
            "bulk enroll, on another cadence already: left as it is",
            state().future(ON).live(nurturing(1)).step_touch(STEP),
            enroll_requested(true),
            vec![],
        )
        .with(setup().chosen(webinar_cadence())),
        row(
            "bulk enroll, no interest: not eligible",
            state().interest(I::None),
            enroll_requested(true),
            vec![],
        ),
        row(
            "bulk enroll a customer: not eligible",
            state().interest(I::Customer),
            enroll_requested(true),
            vec![],
        ),
        row(
            "pause: the step's touch withdrawn",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            Event::Pause {
                reason: on_hold.into(),
            },
            vec![
                Effect::Pause { enrollment_id: 1 },
                cancel(STEP, &format!("Paused: {on_hold}")),
                paused_record(1, on_hold),
            ],
        ),
        row(
            "pause, paused already: nothing",
            state().interest(I::Current).live(paused(pursuing(2))),
            Event::Pause {
                reason: on_hold.into(),
            },
            vec![],
        ),
        row(
            "pause, nobody enrolled: nothing",
            state().interest(I::Current),
            Event::Pause {
                reason: on_hold.into(),
            },
            vec![],
        ),
        row(
            "resume: the current step due from now",
            state().interest(I::Current).live(paused(pursuing(2))),
            Event::Resume,
            vec![
                Effect::Resume { enrollment_id: 1 },
                resumed(1),
                schedule(Existing(1), 1012, Channel::Email, TUE_9H),
            ],
        ),
        row(
            "resume after bad data from step 1's touch (paused at step 2, still flagged): step 2 due",
            state()
                .interest(I::Current)
                .flagged()
                .live(paused(pursuing(2))),
            Event::Resume,
            vec![
                Effect::Resume { enrollment_id: 1 },
                resumed(1),
                schedule(Existing(1), 1012, Channel::Email, TUE_9H),
            ],
        ),
        row(
            "resume, not paused: nothing",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP),
            Event::Resume,
            vec![],
        ),
        row(
            "resume, nobody enrolled: nothing",
            state().interest(I::Current),
            Event::Resume,
            vec![],
        ),
        row(
            "leave: exits, its touch withdrawn, the re-engage touch stays",
            state()
                .future(ON)
                .live(nurturing(1))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            Event::Leave {
                reason: "Not now".into(),
            },
            vec![
                exit(NURTURE_ENROLLMENT, "Not now"),
                cancel(STEP, "Left Nurture: Not now"),
                exited(NURTURE_ENROLLMENT, "Nurture — Not now"),
            ],
        ),
        row(
            "leave a paused enrollment",
            state().interest(I::Current).live(paused(pursuing(2))),
            Event::Leave {
                reason: "Not now".into(),
            },
            vec![
                exit(PURSUE_ENROLLMENT, "Not now"),
                exited(PURSUE_ENROLLMENT, "Pursue — Not now"),
            ],
        ),
        row(
            "leave, nobody enrolled: nothing",
            state().interest(I::Current),
            Event::Leave {
                reason: "Not now".into(),
            },
            vec![],
        ),
    ]
}

fn prospect() -> Vec<Row> {
    vec![
        row(
            "no next step: the reason recorded",
            state().interest(I::Current),
            Event::NoNextStep {
                reason: "Waiting for the tender".into(),
            },
            vec![
                Effect::SetNoNextStep(s("Waiting for the tender")),
                recorded(Record {
                    note: s("Waiting for the tender"),
                    ..record(EventKind::NoNextStep)
                }),
            ],
        ),
        row(
            "do not contact: the cadence exits, every touch is withdrawn",
            state()
                .future(ON)
                .live(nurturing(1))
                .step_touch(STEP)
                .re_engage_touch(RE_ENGAGE, ON_9H),
            Event::DoNotContactChanged {
                from: false,
                to: true,
                note: s("Asked by phone"),
            },
            vec![
                Effect::SetDoNotContact(true),
                exit(NURTURE_ENROLLMENT, "Do not contact"),
                cancel(STEP, "Left Nurture: Do not contact"),
                exited(NURTURE_ENROLLMENT, "Nurture — Do not contact"),
                cancel(RE_ENGAGE, "Do not contact"),
                do_not_contact(false, true, Some("Asked by phone"), false),
            ],
        ),
        row(
            "do not contact lifted: nothing planned again",
            state().interest(I::Current).dnc(),
            Event::DoNotContactChanged {
                from: true,
                to: false,
                note: None,
            },
            vec![
                Effect::SetDoNotContact(false),
                do_not_contact(true, false, None, false),
            ],
        ),
        row(
            "do not contact, unchanged: nothing",
            state().interest(I::Current).dnc(),
            Event::DoNotContactChanged {
                from: true,
                to: true,
                note: None,
            },
            vec![],
        ),
        row(
            "data fixed: the flag cleared, the cadence resumed",
            state()
                .interest(I::Current)
                .flagged()
                .live(paused(pursuing(2))),
            Event::DataFixed,
            vec![
                Effect::ClearDataFlag,
                Effect::Resume { enrollment_id: 1 },
                resumed(1),
                schedule(Existing(1), 1012, Channel::Email, TUE_9H),
            ],
        ),
        row(
            "data fixed, nothing paused: the flag cleared",
            state()
                .interest(I::Current)
                .flagged()
                .live(pursuing(2))
                .step_touch(STEP),
            Event::DataFixed,
            vec![Effect::ClearDataFlag],
        ),
        row(
            "reassigned: the owner changes",
            state().interest(I::Current),
            Event::Reassigned {
                to: 2,
                from_name: "Ann".into(),
                to_name: "Bob".into(),
            },
            vec![
                Effect::ChangeOwner { to: 2 },
                recorded(Record {
                    from: s("Ann"),
                    to: s("Bob"),
                    ..record(EventKind::OwnerChanged)
                }),
            ],
        ),
        row(
            "reassigned to the same owner: nothing",
            state().interest(I::Current),
            Event::Reassigned {
                to: 1,
                from_name: "Ann".into(),
                to_name: "Ann".into(),
            },
            vec![],
        ),
    ]
}

fn stages() -> Vec<Row> {
    let lost_note = "Budget cut — revisit on 15 Jan 2027";
    let to_revisit = "Opportunity lost, to revisit";
    vec![
        row(
            "stage forward on a current prospect: moved, the plan unchanged",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP)
                .opportunity(OPP, Stage::Qualifying),
            stage(OPP, Stage::Qualifying, Stage::Proposal),
            vec![
                move_opportunity(OPP, Stage::Proposal),
                stage_changed(OPP, Stage::Qualifying, Stage::Proposal, None),
            ],
        ),
        row(
            "stage unchanged: nothing",
            state()
                .interest(I::Current)
                .opportunity(OPP, Stage::Proposal),
            stage(OPP, Stage::Proposal, Stage::Proposal),
            vec![],
        ),
        row(
            "stage forward for a prospect of no interest: current interest, and no plan",
            state().interest(I::None).opportunity(OPP, Stage::Meeting),
            stage(OPP, Stage::Meeting, Stage::Proposal),
            vec![
                move_opportunity(OPP, Stage::Proposal),
                stage_changed(OPP, Stage::Meeting, Stage::Proposal, None),
                set_interest(I::Current, None),
                interest_by_stage(I::None, I::Current),
            ],
        ),
        row(
            "a lost opportunity reopened: current interest, and no plan",
            state().interest(I::None),
            stage(OPP, Stage::Lost, Stage::Qualifying),
            vec![
                move_opportunity(OPP, Stage::Qualifying),
                stage_changed(OPP, Stage::Lost, Stage::Qualifying, None),
                set_interest(I::Current, None),
                interest_by_stage(I::None, I::Current),
            ],
        )
        .closed_opportunity(OPP, Stage::Lost),
        row(
            "won: a customer; the cadence goes on",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP)
                .opportunity(OPP, Stage::Negotiation),
            stage(OPP, Stage::Negotiation, Stage::Won),
            vec![
                move_opportunity(OPP, Stage::Won),
                stage_changed(OPP, Stage::Negotiation, Stage::Won, None),
                set_interest(I::Customer, None),
                interest_by_stage(I::Current, I::Customer),
            ],
        ),
        row(
            "won by a customer already: still a customer, no interest change recorded",
            state()
                .interest(I::Customer)
                .opportunity(OPP, Stage::Negotiation),
            stage(OPP, Stage::Negotiation, Stage::Won),
            vec![
                move_opportunity(OPP, Stage::Won),
                stage_changed(OPP, Stage::Negotiation, Stage::Won, None),
                set_interest(I::Customer, None),
            ],
        ),
        row(
            "lost with a date to revisit: future interest, nurture, a re-engage touch",
            state()
                .interest(I::Current)
                .no_next_step("Waiting")
                .live(pursuing(2))
                .step_touch(STEP)
                .opportunity(OPP, Stage::Proposal),
            lost(OPP, Stage::Proposal, Some("Budget cut"), Some(REVISIT)),
            vec![
                Effect::MoveOpportunity {
                    opportunity_id: OPP,
                    to: Stage::Lost,
                    lost_reason: s("Budget cut"),
                    revisit_on: Some(REVISIT),
                },
                stage_changed(OPP, Stage::Proposal, Stage::Lost, Some(lost_note)),
                set_interest(I::Future, Some(REVISIT)),
                interest_by_stage(I::Current, I::Future),
                exit(PURSUE_ENROLLMENT, to_revisit),
                cancel(STEP, &format!("Left Pursue: {to_revisit}")),
                exited(PURSUE_ENROLLMENT, &format!("Pursue — {to_revisit}")),
                enroll(nurture_cadence()),
                enrolled("Nurture"),
                Effect::SetNoNextStep(None),
                schedule(New, 2011, Channel::Email, MON_9H),
                schedule_re_engage(REVISIT_9H),
            ],
        ),
        row(
            "lost with a date to revisit while do-not-contact: future interest, nothing planned",
            state()
                .interest(I::Current)
                .dnc()
                .opportunity(OPP, Stage::Proposal),
            lost(OPP, Stage::Proposal, Some("Budget cut"), Some(REVISIT)),
            vec![
                Effect::MoveOpportunity {
                    opportunity_id: OPP,
                    to: Stage::Lost,
                    lost_reason: s("Budget cut"),
                    revisit_on: Some(REVISIT),
                },
                stage_changed(OPP, Stage::Proposal, Stage::Lost, Some(lost_note)),
                set_interest(I::Future, Some(REVISIT)),
                interest_by_stage(I::Current, I::Future),
            ],
        ),
        row(
            "lost without a date: no interest, yet the cadence goes on",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP)
                .opportunity(OPP, Stage::Proposal),
            lost(OPP, Stage::Proposal, Some("Went elsewhere"), None),
            vec![
                Effect::MoveOpportunity {
                    opportunity_id: OPP,
                    to: Stage::Lost,
                    lost_reason: s("Went elsewhere"),
                    revisit_on: None,
                },
                stage_changed(OPP, Stage::Proposal, Stage::Lost, Some("Went elsewhere")),
                set_interest(I::None, None),
                interest_by_stage(I::Current, I::None),
            ],
        ),
        row(
            "lost, no reason, another opportunity still open: the interest stays",
            state()
                .interest(I::Current)
                .live(pursuing(2))
                .step_touch(STEP)
                .opportunity(OPP, Stage::Proposal)
                .opportunity(OTHER_OPP, Stage::Meeting),
            lost(OPP, Stage::Proposal, None, Some(REVISIT)),
            vec![
                Effect::MoveOpportunity {
                    opportunity_id: OPP,
                    to: Stage::Lost,
                    lost_reason: None,
                    revisit_on: Some(REVISIT),
                },
                stage_changed(OPP, Stage::Proposal, Stage::Lost, None),
            ],
        ),
        row(
            "lost by a customer: still a customer",
            state()
                .interest(I::Customer)
                .opportunity(OPP, Stage::Proposal),
            lost(OPP, Stage::Proposal, Some("Went elsewhere"), None),
            vec![
                Effect::MoveOpportunity {
                    opportunity_id: OPP,
                    to: Stage::Lost,
                    lost_reason: s("Went elsewhere"),
                    revisit_on: None,
                },
                stage_changed(OPP, Stage::Proposal, Stage::Lost, Some("Went elsewhere")),
            ],
        ),
    ]
}

fn all_rows() -> Vec<Row> {
    [
        interactions(),
        touches(),
        scheduler(),
        enrollments(),
        prospect(),
        stages(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The effects of `row`, and whether the model applies them.
fn run(row: &Row, hours: &WorkingHours) -> (Vec<Effect>, Result<(), String>) {
    let cadences = row.setup.cadences(&row.state);
    let ctx = Context {
        at: utc(row.setup.at),
        actor: Some(1),
        hours,
        cadences: &cadences,
    };
    let effects = decide(&row.state, &row.event, &ctx);
    let mut model = Model::new(row.state.clone());
    if let Some((id, stage)) = row.closed_opportunity {
        model = model.with_closed_opportunity(id, stage);
    }
    let applied = model.try_apply(&effects, &cadences).map(|_| ());
    (effects, applied)
}

/// The rows' effects, exactly; and every row's effects apply with the model in the
/// applier's order.
#[test]
fn rules_follow_the_table() {
    let hours = paris();
    let rows = all_rows();
    let mut failures = Vec::new();
    for row in &rows {
        let (got, applied) = run(row, &hours);
        if got != row.expect {
            failures.push(format!(
                "{}:\nexpected {:#?}\ngot {:#?}",
                row.name, row.expect, got
            ));
        } else if let Err(e) = applied {
            failures.push(format!("{}: the applier's model refuses: {e}", row.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

/// Decides `event` against `model`'s state with the table's setup and applies it: the
/// model refuses an effect out of the applier's order. Returns the effects.
fn decide_and_apply(model: &mut Model, event: Event) -> Vec<Effect> {
    let hours = paris();
    let cadences = setup().cadences(&model.state);
    let ctx = Context {
        at: utc(FRI_16H),
        actor: Some(1),
        hours: &hours,
        cadences: &cadences,
    };
    let effects = decide(&model.state, &event, &ctx);
    model.apply(&effects, &cadences);
    effects
}

fn advances(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::Advance { .. }))
}

/// A step's touch worked in a decision of no interest, or of future interest (pursue
/// exited for nurture): the enrollment is exited where it stood, not moved on first (the
/// applier ends enrollments before it moves them).
#[test]
fn a_step_worked_in_the_decision_that_exits_its_enrollment_is_not_advanced() {
    let pursuing_at_step_1 = || {
        state()
            .interest(I::Current)
            .live(pursuing(1))
            .step_touch(STEP)
    };
    for decision in [no_interest("No budget", false), future(ON)] {
        let mut model = Model::new(pursuing_at_step_1());
        let effects = decide_and_apply(
            &mut model,
            logged_from(STEP, Outcome::NotInterested, decision.clone()),
        );
        assert!(!advances(&effects), "{decision:?}: {effects:#?}");
        assert_eq!(
            model.ended.get(&PURSUE_ENROLLMENT),
            Some(&EnrollmentStatus::Exited),
            "{decision:?}"
        );
        assert_eq!(model.closed_touches.get(&STEP), Some(&Closed::Done));
    }
}

/// The last step's touch skipped: the cadence completes, with no move to a position that
/// has no step.
#[test]
fn the_last_step_worked_completes_without_advancing() {
    let mut model = Model::new(
        state()
            .interest(I::Current)
            .live(pursuing(3))
            .step_touch(STEP),
    );
    let effects = decide_and_apply(&mut model, skipped(STEP));
    assert!(!advances(&effects), "{effects:#?}");
    assert_eq!(
        model.ended.get(&PURSUE_ENROLLMENT),
        Some(&EnrollmentStatus::Completed)
    );
    assert_eq!(model.state.live, None);
}

/// An opportunity lost with a date to revisit makes a do-not-contact prospect's interest
/// future, and plans nothing: no nurture, no re-engage touch.
#[test]
fn lost_to_revisit_while_do_not_contact_plans_nothing() {
    let mut model = Model::new(
        state()
            .interest(I::Current)
            .dnc()
            .opportunity(OPP, Stage::Proposal),
    );
    decide_and_apply(
        &mut model,
        lost(OPP, Stage::Proposal, Some("Budget cut"), Some(REVISIT)),
    );
    assert_eq!(model.state.interest, I::Future);
    assert_eq!(model.state.re_engage_on, Some(REVISIT));
    assert_eq!(model.state.live, None);
    assert_eq!(model.state.open_touches, vec![]);
}

/// Bad data logged from step 1's touch: the step counts as done, so the paused enrollment
/// stands at step 2 (the applier moves it whatever its status), and resuming schedules
/// step 2, not step 1 again. The table's rows take each half from a written-out state.
#[test]
fn bad_data_from_a_steps_touch_then_resume_schedules_the_next_step() {
    let mut model = Model::new(
        state()
            .interest(I::Current)
            .live(pursuing(1))
            .step_touch(STEP),
    );
    decide_and_apply(
        &mut model,
        logged_from(STEP, Outcome::BadData, DecisionInput::Unassessed),
    );
    assert_eq!(
        model.state,
        state()
            .interest(I::Current)
            .flagged()
            .live(paused(pursuing(2)))
    );
    decide_and_apply(&mut model, Event::Resume);
    let live = model.state.live.as_ref().expect("still enrolled");
    assert_eq!((live.status, live.position), (EnrollmentStatus::Active, 2));
    let [touch] = model.state.open_touches.as_slice() else {
        panic!("one open touch: {:#?}", model.state.open_touches);
    };
    let touch_id = touch.id.expect("an applied touch has an id");
    assert_eq!(model.touch_steps.get(&touch_id), Some(&1012));
    assert_eq!(touch.due_at, utc(TUE_9H));
}

/// Bad data from the last step's touch: the cadence is done (that step was worked), so
/// there is nothing left to pause; the prospect is flagged, and resuming does nothing.
#[test]
fn bad_data_from_the_last_steps_touch_completes_and_flags() {
    let mut model = Model::new(
        state()
            .interest(I::Current)
            .live(pursuing(3))
            .step_touch(STEP),
    );
    decide_and_apply(
        &mut model,
        logged_from(STEP, Outcome::BadData, DecisionInput::Unassessed),
    );
    assert_eq!(model.state.live, None, "completed");
    assert!(model.state.data_flagged);
    decide_and_apply(&mut model, Event::Resume);
    assert_eq!(model.state.live, None);
    assert_eq!(model.state.open_touches, vec![]);
}

#[test]
fn enrollment_targets_and_refusals() {
    let defaults = Cadences {
        pursue: Some(pursue_cadence()),
        nurture: Some(nurture_cadence()),
        ..Cadences::default()
    };
    let chosen = Cadences {
        chosen: Some(webinar_cadence()),
        ..defaults.clone()
    };
    let none = Cadences::default();
    let id = |r: Result<&Cadence, EnrollRefusal>| r.map(|c| c.cadence_id);
    // What, the state, the cadences, in bulk, the cadence enrolled in or the refusal.
    type Case<'a> = (
        &'a str,
        ProcessState,
        &'a Cadences,
        bool,
        Result<i64, EnrollRefusal>,
    );
    let cases: Vec<Case> = vec![
        ("new: pursue", state(), &defaults, false, Ok(100)),
        (
            "future: nurture",
            state().future(ON),
            &defaults,
            false,
            Ok(200),
        ),
        ("chosen wins", state().future(ON), &chosen, false, Ok(300)),
        (
            "do not contact",
            state().dnc(),
            &chosen,
            false,
            Err(EnrollRefusal::DoNotContact),
        ),
        (
            "no cadence",
            state(),
            &none,
            false,
            Err(EnrollRefusal::NoCadence),
        ),
        (
            "already following",
            state().interest(I::Current).live(pursuing(2)),
            &defaults,
            false,
            Err(EnrollRefusal::AlreadyFollowing),
        ),
        (
            "paused on it: already following",
            state().interest(I::Current).live(paused(pursuing(2))),
            &defaults,
            false,
            Err(EnrollRefusal::AlreadyFollowing),
        ),
        (
            "no interest, one at a time",
            state().interest(I::None),
            &defaults,
            false,
            Ok(100),
        ),
        (
            "no interest, in bulk",
            state().interest(I::None),
            &defaults,
            true,
            Err(EnrollRefusal::NotEligible),
        ),
        (
            "customer, in bulk",
            state().interest(I::Customer),
            &defaults,
            true,
            Err(EnrollRefusal::NotEligible),
        ),
        (
            "on another cadence, in bulk",
            state().interest(I::Current).live(nurturing(1)),
            &chosen,
            true,
            Err(EnrollRefusal::NotEligible),
        ),
        (
            "do not contact, in bulk",
            state().dnc(),
            &defaults,
            true,
            Err(EnrollRefusal::DoNotContact),
        ),
        (
            "future, in bulk",
            state().future(ON),
            &defaults,
            true,
            Ok(200),
        ),
    ];
    for (what, state, cadences, bulk, expected) in cases {
        assert_eq!(
            id(enrollment_target(&state, cadences, bulk)),
            expected,
            "{what}"
        );
    }
}
