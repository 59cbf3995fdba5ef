//! Tests of the follow-up rules without a database: a table of every (state, event) pair
//! the product allows with the effects written out (`table`), and random sequences of
//! events applied with the applier's model, checking the process's invariants
//! (`properties`). This module holds the builders both use.

mod properties;
mod table;

use time::format_description::well_known::Rfc3339;
use time::macros::time;
use time::{Date, OffsetDateTime};

use super::rules::{
    Cadence, DecisionInput, Effect, EnrollmentRef, Event, EventKind, Live, Logged, OpenOpportunity,
    OpenTouch, OpportunityRef, ProcessState, Record, Step,
};
use super::{Channel, EnrollmentStatus, InterestState, Outcome, Purpose, Stage, TouchKind};
use crate::schedule::{Window, WorkingHours};

pub fn utc(s: &str) -> OffsetDateTime {
    OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("bad timestamp {s}: {e}"))
}

/// The owner's hours in the table: Paris, 09:00 to 18:00.
pub fn paris() -> WorkingHours {
    WorkingHours::new("Europe/Paris", time!(09:00), time!(18:00)).expect("valid hours")
}

pub fn step(id: i64, position: i32, channel: Channel, delay: i16) -> Step {
    Step {
        id,
        position,
        channel,
        delay_business_days: delay,
        window: None,
    }
}

pub fn windowed(step: Step, start: time::Time, end: time::Time) -> Step {
    Step {
        window: Some(Window { start, end }),
        ..step
    }
}

pub fn cadence(id: i64, version: i64, name: &str, purpose: Purpose, steps: Vec<Step>) -> Cadence {
    Cadence {
        cadence_id: id,
        version_id: version,
        name: name.to_string(),
        purpose,
        steps,
    }
}

pub const PURSUE_ENROLLMENT: i64 = 1;
pub const NURTURE_ENROLLMENT: i64 = 2;

/// The default pursue cadence: a call at once, an email two business days later, a call
/// the next business day between 10:00 and 12:00.
pub fn pursue_cadence() -> Cadence {
    cadence(
        100,
        101,
        "Pursue",
        Purpose::Pursue,
        vec![
            step(1011, 1, Channel::Call, 0),
            step(1012, 2, Channel::Email, 2),
            windowed(step(1013, 3, Channel::Call, 1), time!(10:00), time!(12:00)),
        ],
    )
}

/// The default nurture cadence: an email the next business day, another a week later.
pub fn nurture_cadence() -> Cadence {
    cadence(
        200,
        201,
        "Nurture",
        Purpose::Nurture,
        vec![
            step(2011, 1, Channel::Email, 1),
            step(2012, 2, Channel::Email, 5),
        ],
    )
}

/// A cadence a rep picks: one email between 10:00 and 12:00.
pub fn webinar_cadence() -> Cadence {
    cadence(
        300,
        301,
        "Webinar",
        Purpose::Pursue,
        vec![windowed(
            step(3011, 1, Channel::Email, 0),
            time!(10:00),
            time!(12:00),
        )],
    )
}

/// A new prospect owned by user 1, nothing planned.
pub fn state() -> ProcessState {
    ProcessState {
        prospect_id: 7,
        owner_id: 1,
        interest: InterestState::New,
        re_engage_on: None,
        do_not_contact: false,
        data_flagged: false,
        no_next_step_reason: None,
        live: None,
        open_touches: Vec::new(),
        open_opportunities: Vec::new(),
        latest_decision_at: None,
        opportunity_name: "Acme".to_string(),
    }
}

fn live_on(enrollment_id: i64, cadence: &Cadence, position: i32) -> Live {
    Live {
        enrollment: EnrollmentRef::Existing(enrollment_id),
        cadence_id: cadence.cadence_id,
        version_id: cadence.version_id,
        name: cadence.name.clone(),
        purpose: cadence.purpose,
        status: EnrollmentStatus::Active,
        position,
    }
}

/// Active on the default pursue cadence (enrollment 1), at `position` of 3.
pub fn pursuing(position: i32) -> Live {
    live_on(PURSUE_ENROLLMENT, &pursue_cadence(), position)
}

/// Active on the default nurture cadence (enrollment 2), at `position` of 2.
pub fn nurturing(position: i32) -> Live {
    live_on(NURTURE_ENROLLMENT, &nurture_cadence(), position)
}

pub fn paused(live: Live) -> Live {
    Live {
        status: EnrollmentStatus::Paused,
        ..live
    }
}

/// When touches already open in the table were due.
pub const EARLIER: &str = "2026-07-09T07:00:00Z";

/// Builders for a state, so a row reads as one line.
pub trait StateExt: Sized {
    fn interest(self, interest: InterestState) -> Self;
    fn future(self, on: Date) -> Self;
    fn dnc(self) -> Self;
    fn flagged(self) -> Self;
    fn no_next_step(self, reason: &str) -> Self;
    fn live(self, live: Live) -> Self;
    /// An open (pending) touch for the live enrollment's current step.
    fn step_touch(self, id: i64) -> Self;
    fn re_engage_touch(self, id: i64, due_at: &str) -> Self;
    /// The touch `id` is snoozed.
    fn snoozed(self, id: i64) -> Self;
    fn opportunity(self, id: i64, stage: Stage) -> Self;
    fn decided_at(self, at: &str) -> Self;
}

impl StateExt for ProcessState {
    fn interest(self, interest: InterestState) -> Self {
        ProcessState { interest, ..self }
    }
    fn future(self, on: Date) -> Self {
        ProcessState {
            interest: InterestState::Future,
            re_engage_on: Some(on),
            ..self
        }
    }
    fn dnc(self) -> Self {
        ProcessState {
            do_not_contact: true,
            ..self
        }
    }
    fn flagged(self) -> Self {
        ProcessState {
            data_flagged: true,
            ..self
        }
    }
    fn no_next_step(self, reason: &str) -> Self {
        ProcessState {
            no_next_step_reason: Some(reason.to_string()),
            ..self
        }
    }
    fn live(self, live: Live) -> Self {
        ProcessState {
            live: Some(live),
            ..self
        }
    }
    fn step_touch(mut self, id: i64) -> Self {
        let enrollment = self.live.as_ref().map(|l| l.enrollment);
        assert!(enrollment.is_some(), "a step touch needs a live enrollment");
        self.open_touches.push(OpenTouch {
            id: Some(id),
            kind: TouchKind::Step,
            enrollment,
            status: super::TouchStatus::Pending,
            due_at: utc(EARLIER),
        });
        self
    }
    fn re_engage_touch(mut self, id: i64, due_at: &str) -> Self {
        self.open_touches.push(OpenTouch {
            id: Some(id),
            kind: TouchKind::ReEngage,
            enrollment: None,
            status: super::TouchStatus::Pending,
            due_at: utc(due_at),
        });
        self
    }
    fn snoozed(mut self, id: i64) -> Self {
        let touch = self
            .open_touches
            .iter_mut()
            .find(|t| t.id == Some(id))
            .expect("snoozing a touch of the state");
        touch.status = super::TouchStatus::Snoozed;
        self
    }
    fn opportunity(mut self, id: i64, stage: Stage) -> Self {
        self.open_opportunities.push(OpenOpportunity {
            opportunity: OpportunityRef::Existing(id),
            stage,
        });
        self
    }
    fn decided_at(self, at: &str) -> Self {
        ProcessState {
            latest_decision_at: Some(utc(at)),
            ..self
        }
    }
}

// Events.

pub const INTERACTION: i64 = 500;

pub fn logged(outcome: Outcome, decision: DecisionInput) -> Event {
    Event::InteractionLogged(Logged {
        interaction_id: INTERACTION,
        outcome,
        decision,
        touch_id: None,
    })
}

/// Logged from the touch `touch_id`.
pub fn logged_from(touch_id: i64, outcome: Outcome, decision: DecisionInput) -> Event {
    Event::InteractionLogged(Logged {
        interaction_id: INTERACTION,
        outcome,
        decision,
        touch_id: Some(touch_id),
    })
}

pub fn current(stage: Stage) -> DecisionInput {
    DecisionInput::Current {
        name: None,
        stage,
        value_cents: None,
        expected_close_on: None,
    }
}

pub fn future(on: Date) -> DecisionInput {
    DecisionInput::Future { re_engage_on: on }
}

pub fn no_interest(reason: &str, do_not_contact: bool) -> DecisionInput {
    DecisionInput::None {
        reason: reason.to_string(),
        do_not_contact,
    }
}

// Records on the timeline.

pub fn record(kind: EventKind) -> Record {
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

pub fn recorded(record: Record) -> Effect {
    Effect::Record(record)
}

pub fn s(text: &str) -> Option<String> {
    Some(text.to_string())
}
