//! Random sequences of events against the rules, applied with the applier's model, with the
//! process's invariants checked after every event.
//!
//! A case is a world — two owners in zones from Auckland to Los Angeles with their own
//! working hours, cadences of one to five steps (delays 0 to 5 business days, optional
//! windows), default pursue and nurture cadences present or not — and up to 30 actions,
//! each turned into an event against the state the previous ones left (a touch or an
//! opportunity the prospect has, or sometimes one it does not), time moving on between
//! them. Shrinking removes actions and simplifies them, so a failure reads as a few lines.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError};
use time::{Duration, OffsetDateTime, Time};

use super::super::model::Model;
use super::super::rules::{
    Cadence, Cadences, Context, DecisionInput, Effect, EventKind, Logged, ProcessState, Step,
    decide,
};
use super::super::{Channel, EnrollmentStatus, InterestState, Outcome, Purpose, Stage};
use super::{Event, state, utc};
use crate::schedule::{self, Window, WorkingHours};

const ZONES: [&str; 5] = [
    "UTC",
    "Europe/Paris",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Pacific/Auckland",
];

/// An id no touch or opportunity has.
const MISSING: i64 = 999;

// --- What a case is made of.

#[derive(Debug, Clone)]
struct OwnerSpec {
    zone: usize,
    start_minutes: u16,
    end_minutes: u16,
}

#[derive(Debug, Clone)]
struct StepSpec {
    channel: Channel,
    delay: i16,
    /// A window (start hour, length in hours); it may miss the working hours.
    window: Option<(u8, u8)>,
}

#[derive(Debug, Clone)]
struct WorldSpec {
    owners: [OwnerSpec; 2],
    /// Minutes after 2026-01-05 00:00 UTC (a Monday) the story starts: any season.
    start: u32,
    /// The cadences: the first is for pursuing, the second for nurturing, the rest either.
    cadences: Vec<(Purpose, Vec<StepSpec>)>,
    default_pursue: bool,
    default_nurture: bool,
}

/// Which touch an action is about.
#[derive(Debug, Clone)]
enum Pick {
    Open(Index),
    Closed(Index),
    Missing,
}

#[derive(Debug, Clone)]
enum Decided {
    Unassessed,
    Current { stage: Stage, named: bool },
    Future { in_days: u16 },
    None { do_not_contact: bool },
}

#[derive(Debug, Clone)]
enum Action {
    Log {
        outcome: Outcome,
        decided: Decided,
        from: Option<Pick>,
        /// Minutes before now the interaction happened.
        back_dated: Option<u32>,
    },
    Skip(Pick),
    Snooze(Pick, u16),
    SnoozeEnds(Pick),
    ReEngageDateReached {
        matching: bool,
    },
    StepOwed,
    Enroll {
        bulk: bool,
        chosen: Option<Index>,
    },
    Pause,
    Resume,
    Leave,
    NoNextStep,
    DoNotContact(bool),
    DataFixed,
    Stage {
        opportunity: Index,
        to: Stage,
        reason: bool,
        revisit_in_days: Option<u16>,
    },
    Reassign(Index),
    /// A new version of a cadence: live enrollments stay on theirs.
    EditCadence(Index, Vec<StepSpec>),
}

fn owner_spec() -> impl Strategy<Value = OwnerSpec> {
    (0..ZONES.len(), 6u16 * 60..=10 * 60, 15u16 * 60..=20 * 60).prop_map(|(zone, start, end)| {
        OwnerSpec {
            zone,
            // On the half hour, so DST gaps and folds are met now and then.
            start_minutes: start / 30 * 30,
            end_minutes: end / 30 * 30,
        }
    })
}

fn step_spec() -> impl Strategy<Value = StepSpec> {
    (
        prop::sample::select(Channel::ALL.to_vec()),
        0i16..=5,
        prop::option::of((6u8..=19, 1u8..=4)),
    )
        .prop_map(|(channel, delay, window)| StepSpec {
            channel,
            delay,
            window,
        })
}

fn steps() -> impl Strategy<Value = Vec<StepSpec>> {
    prop::collection::vec(step_spec(), 1..=5)
}

fn purpose() -> impl Strategy<Value = Purpose> {
    prop::sample::select(Purpose::ALL.to_vec())
}

fn world_spec() -> impl Strategy<Value = WorldSpec> {
    (
        [owner_spec(), owner_spec()],
        0u32..365 * 24 * 60,
        steps(),
        steps(),
        prop::collection::vec((purpose(), steps()), 0..=2),
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.85),
    )
        .prop_map(
            |(owners, start, pursue, nurture, others, default_pursue, default_nurture)| {
                let mut cadences = vec![(Purpose::Pursue, pursue), (Purpose::Nurture, nurture)];
                cadences.extend(others);
                WorldSpec {
                    owners,
                    start,
                    cadences,
                    default_pursue,
                    default_nurture,
                }
            },
        )
}

fn pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        6 => any::<Index>().prop_map(Pick::Open),
        1 => any::<Index>().prop_map(Pick::Closed),
        1 => Just(Pick::Missing),
    ]
}

fn decided() -> impl Strategy<Value = Decided> {
    prop_oneof![
        3 => Just(Decided::Unassessed),
        3 => (prop::sample::select(Stage::OPEN.to_vec()), any::<bool>())
            .prop_map(|(stage, named)| Decided::Current { stage, named }),
        3 => (0u16..=200).prop_map(|in_days| Decided::Future { in_days }),
        2 => prop::bool::weighted(0.3).prop_map(|do_not_contact| Decided::None { do_not_contact }),
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        12 => (
            prop::sample::select(Outcome::ALL.to_vec()),
            decided(),
            prop::option::weighted(0.6, pick()),
            prop::option::weighted(0.15, 1u32..=3 * 24 * 60),
        )
            .prop_map(|(outcome, decided, from, back_dated)| Action::Log {
                outcome,
                decided,
                from,
                back_dated,
            }),
        3 => pick().prop_map(Action::Skip),
        2 => (pick(), 1u16..=96).prop_map(|(p, h)| Action::Snooze(p, h)),
        2 => pick().prop_map(Action::SnoozeEnds),
        1 => any::<bool>().prop_map(|matching| Action::ReEngageDateReached { matching }),
        2 => Just(Action::StepOwed),
        3 => (any::<bool>(), prop::option::of(any::<Index>()))
            .prop_map(|(bulk, chosen)| Action::Enroll { bulk, chosen }),
        1 => Just(Action::Pause),
        1 => Just(Action::Resume),
        1 => Just(Action::Leave),
        1 => Just(Action::NoNextStep),
        2 => any::<bool>().prop_map(Action::DoNotContact),
        1 => Just(Action::DataFixed),
        3 => (
            any::<Index>(),
            prop::sample::select(Stage::ALL.to_vec()),
            any::<bool>(),
            prop::option::of(0u16..=200),
        )
            .prop_map(|(opportunity, to, reason, revisit_in_days)| Action::Stage {
                opportunity,
                to,
                reason,
                revisit_in_days,
            }),
        1 => any::<Index>().prop_map(Action::Reassign),
        1 => (any::<Index>(), steps()).prop_map(|(i, s)| Action::EditCadence(i, s)),
    ]
}

/// An action, and how long after the previous one it happens.
fn story() -> impl Strategy<Value = Vec<(Action, u32)>> {
    let wait = prop_oneof![
        3 => 0u32..=120,
        2 => 0u32..=3 * 24 * 60,
        1 => 0u32..=30 * 24 * 60,
    ];
    prop::collection::vec((action(), wait), 0..=30)
}

// --- The world a story happens in.

struct Owner {
    id: i64,
    name: String,
    hours: WorkingHours,
}

struct World {
    model: Model,
    now: OffsetDateTime,
    owners: Vec<Owner>,
    /// Every version of every cadence, oldest first.
    library: BTreeMap<i64, Vec<Cadence>>,
    pursue: Option<i64>,
    nurture: Option<i64>,
    next_id: i64,
    /// The live enrollment was begun in bulk and its first step not scheduled yet.
    owed_by_bulk: bool,
}

fn hm(minutes: u16) -> Time {
    Time::from_hms((minutes / 60) as u8, (minutes % 60) as u8, 0).expect("a time of day")
}

impl World {
    fn new(spec: &WorldSpec) -> World {
        let owners = spec
            .owners
            .iter()
            .enumerate()
            .map(|(i, o)| Owner {
                id: i as i64 + 1,
                name: format!("Owner {}", i + 1),
                hours: WorkingHours::new(ZONES[o.zone], hm(o.start_minutes), hm(o.end_minutes))
                    .expect("valid hours"),
            })
            .collect();
        let mut world = World {
            model: Model::new(state()),
            now: utc("2026-01-05T00:00:00Z") + Duration::minutes(spec.start.into()),
            owners,
            library: BTreeMap::new(),
            pursue: None,
            nurture: None,
            next_id: 100,
            owed_by_bulk: false,
        };
        for (i, (purpose, steps)) in spec.cadences.iter().enumerate() {
            let id = world.fresh_id();
            world.add_version(id, *purpose, steps);
            if i == 0 && spec.default_pursue {
                world.pursue = Some(id);
            }
            if i == 1 && spec.default_nurture {
                world.nurture = Some(id);
            }
        }
        world
    }

    fn fresh_id(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn add_version(&mut self, cadence_id: i64, purpose: Purpose, steps: &[StepSpec]) {
        let version_id = self.fresh_id();
        let steps = steps
            .iter()
            .enumerate()
            .map(|(i, s)| Step {
                id: version_id * 10 + i as i64,
                position: i as i32 + 1,
                channel: s.channel,
                delay_business_days: s.delay,
                window: s.window.map(|(start, len)| Window {
                    start: Time::from_hms(start, 0, 0).expect("an hour"),
                    end: Time::from_hms((start + len).min(23), 0, 0).expect("an hour"),
                }),
            })
            .collect();
        self.library.entry(cadence_id).or_default().push(Cadence {
            cadence_id,
            version_id,
            name: format!("Cadence {cadence_id}"),
            purpose,
            steps,
        });
    }

    fn latest(&self, cadence_id: i64) -> Option<Cadence> {
        self.library.get(&cadence_id)?.last().cloned()
    }

    fn version(&self, version_id: i64) -> Option<Cadence> {
        self.library
            .values()
            .flatten()
            .find(|c| c.version_id == version_id)
            .cloned()
    }

    fn owner(&self) -> &Owner {
        let id = self.model.state.owner_id;
        self.owners.iter().find(|o| o.id == id).expect("an owner")
    }

    fn cadences(&self, chosen: Option<Cadence>) -> Cadences {
        Cadences {
            live: self
                .model
                .state
                .live
                .as_ref()
                .and_then(|l| self.version(l.version_id)),
            pursue: self.pursue.and_then(|id| self.latest(id)),
            nurture: self.nurture.and_then(|id| self.latest(id)),
            chosen,
        }
    }

    fn touch(&self, pick: &Pick) -> i64 {
        let state = &self.model.state;
        match pick {
            Pick::Open(i) if !state.open_touches.is_empty() => state.open_touches
                [i.index(state.open_touches.len())]
            .id
            .expect("an open touch has an id"),
            Pick::Closed(i) if !self.model.closed_touches.is_empty() => {
                let mut closed: Vec<i64> = self.model.closed_touches.keys().copied().collect();
                closed.sort();
                closed[i.index(closed.len())]
            }
            _ => MISSING,
        }
    }

    fn local_date_in(&self, days: u16) -> time::Date {
        let at = self.now + Duration::days(days.into());
        self.owner().hours.local_date(at).expect("a date")
    }

    /// The event `action` means now, the moment it happens and the cadence chosen; `None`
    /// for an action that means nothing in this state (a stage change with no
    /// opportunity, editing a cadence).
    fn event(&mut self, action: &Action) -> Option<(Event, OffsetDateTime, Option<Cadence>)> {
        let now = self.now;
        let event = match action {
            Action::Log {
                outcome,
                decided,
                from,
                back_dated,
            } => {
                let decision = match decided {
                    Decided::Unassessed => DecisionInput::Unassessed,
                    Decided::Current { stage, named } => DecisionInput::Current {
                        name: named.then(|| "Deal".to_string()),
                        stage: *stage,
                        value_cents: named.then_some(1_000),
                        expected_close_on: None,
                    },
                    Decided::Future { in_days } => DecisionInput::Future {
                        re_engage_on: self.local_date_in(*in_days),
                    },
                    Decided::None { do_not_contact } => DecisionInput::None {
                        reason: "Not for us".into(),
                        do_not_contact: *do_not_contact,
                    },
                };
                let at = now - Duration::minutes(back_dated.unwrap_or(0).into());
                let interaction_id = self.fresh_id();
                let event = Event::InteractionLogged(Logged {
                    interaction_id,
                    outcome: *outcome,
                    decision,
                    touch_id: from.as_ref().map(|p| self.touch(p)),
                });
                return Some((event, at, None));
            }
            Action::Skip(p) => Event::TouchSkipped {
                touch_id: self.touch(p),
                reason: "Skipped".into(),
            },
            Action::Snooze(p, hours) => Event::TouchSnoozed {
                touch_id: self.touch(p),
                until: now + Duration::hours((*hours).into()),
                note: "Later".into(),
            },
            Action::SnoozeEnds(p) => {
                let touch_id = self.touch(p);
                let until = self
                    .model
                    .snoozed_until
                    .get(&touch_id)
                    .copied()
                    .unwrap_or(now);
                Event::SnoozeEnded { touch_id, until }
            }
            Action::ReEngageDateReached { matching } => Event::ReEngageDateReached {
                on: match self.model.state.re_engage_on {
                    Some(on) if *matching => on,
                    _ => self.local_date_in(3),
                },
            },
            Action::StepOwed => Event::StepOwed { after: now },
            Action::Enroll { bulk, chosen } => {
                let chosen = chosen.as_ref().and_then(|i| {
                    let ids: Vec<i64> = self.library.keys().copied().collect();
                    self.latest(ids[i.index(ids.len())])
                });
                return Some((Event::EnrollRequested { bulk: *bulk }, now, chosen));
            }
            Action::Pause => Event::Pause {
                reason: "Holiday".into(),
            },
            Action::Resume => Event::Resume,
            Action::Leave => Event::Leave {
                reason: "Done with it".into(),
            },
            Action::NoNextStep => Event::NoNextStep {
                reason: "Waiting".into(),
            },
            Action::DoNotContact(to) => Event::DoNotContactChanged {
                from: self.model.state.do_not_contact,
                to: *to,
                note: None,
            },
            Action::DataFixed => Event::DataFixed,
            Action::Stage {
                opportunity,
                to,
                reason,
                revisit_in_days,
            } => {
                // The caller locks an opportunity of the prospect: never a missing one.
                let mut all: Vec<(i64, Stage)> = self
                    .model
                    .opportunities
                    .iter()
                    .map(|(id, stage)| (*id, *stage))
                    .collect();
                if all.is_empty() {
                    return None;
                }
                all.sort_by_key(|(id, _)| *id);
                let (opportunity_id, from) = all[opportunity.index(all.len())];
                let lost = *to == Stage::Lost;
                let revisit_on = revisit_in_days
                    .filter(|_| lost)
                    .map(|d| self.local_date_in(d));
                Event::StageChanged {
                    opportunity_id,
                    from,
                    to: *to,
                    lost_reason: (lost && *reason).then(|| "Lost it".to_string()),
                    revisit_on,
                }
            }
            Action::Reassign(i) => {
                let from_name = self.owner().name.clone();
                let to = &self.owners[i.index(self.owners.len())];
                Event::Reassigned {
                    to: to.id,
                    from_name,
                    to_name: to.name.clone(),
                }
            }
            Action::EditCadence(i, steps) => {
                let ids: Vec<i64> = self.library.keys().copied().collect();
                let id = ids[i.index(ids.len())];
                let purpose = self.library[&id][0].purpose;
                self.add_version(id, purpose, steps);
                return None;
            }
        };
        Some((event, now, None))
    }
}

// --- The invariants.

/// Open, contactable, with nothing to do next and no reason recorded: a dead end. A live,
/// active enrollment whose step has no touch yet is the scheduler's (`StepOwed`), not one;
/// nor is a do-not-contact prospect, who is not open (so an opportunity lost to revisit
/// while do-not-contact, future interest with nothing planned, needs no exception).
fn dead_end(state: &ProcessState) -> bool {
    let owed = state
        .live
        .as_ref()
        .is_some_and(|l| l.status == EnrollmentStatus::Active);
    state.is_open() && state.open_touches.is_empty() && state.no_next_step_reason.is_none() && !owed
}

/// The decision's time is before the latest one logged earlier.
fn back_dated(before: &ProcessState, at: OffsetDateTime) -> bool {
    before.latest_decision_at.is_some_and(|latest| latest > at)
}

/// Why the rules, by design, leave this open prospect at a dead end after `event`, or
/// `None` when they should not. Checked only when both default cadences exist. Every
/// exception is reached by the random stories; none stands for a bug.
fn dead_end_exception(
    before: &ProcessState,
    event: &Event,
    at: OffsetDateTime,
    effects: &[Effect],
    after: &ProcessState,
) -> Option<&'static str> {
    // exception: a paused enrollment (paused by the rep, or by bad data) has no touch
    // until it resumes; bad data from a step's touch leaves it at the next step.
    if after
        .live
        .as_ref()
        .is_some_and(|l| l.status == EnrollmentStatus::Paused)
    {
        return Some("paused");
    }
    // exception: a cadence out of steps completes (its last step worked, the enrollment
    // not moved past it), and nothing follows it.
    if effects.iter().any(|e| matches!(e, Effect::Complete { .. })) {
        return Some("cadence completed");
    }
    match event {
        // exception: leaving a cadence plans nothing else.
        Event::Leave { .. } => Some("left the cadence"),
        // exception: lifting do-not-contact plans nothing again.
        Event::DoNotContactChanged { to: false, .. } => Some("do-not-contact lifted"),
        // exception: a back-dated decision of no interest stops everything, though the
        // newer decision keeps the prospect open.
        Event::InteractionLogged(Logged {
            decision: DecisionInput::None { .. },
            ..
        }) if back_dated(before, at) => Some("back-dated no interest"),
        // exception: a stage change that makes the prospect current again (an opportunity
        // moved or reopened after no interest) plans nothing.
        Event::StageChanged { .. }
            if after.interest == InterestState::Current
                && before.interest != InterestState::Current =>
        {
            Some("current again by a stage change")
        }
        // exception: the re-engage touch worked (done or skipped) with no cadence running
        // leaves nothing.
        Event::InteractionLogged(Logged {
            touch_id: Some(id), ..
        })
        | Event::TouchSkipped { touch_id: id, .. }
            if after.live.is_none()
                && before
                    .open_touches
                    .iter()
                    .any(|t| t.id == Some(*id) && t.kind == super::TouchKind::ReEngage) =>
        {
            Some("re-engage touch worked with no cadence")
        }
        _ => None,
    }
}

#[derive(Default)]
struct Seen {
    customer: bool,
}

#[allow(clippy::too_many_arguments)]
fn check(
    world: &World,
    before: &ProcessState,
    event: &Event,
    at: OffsetDateTime,
    hours: &WorkingHours,
    cadences: &Cadences,
    effects: &[Effect],
    seen: &mut Seen,
) -> Result<(), String> {
    let after = &world.model.state;
    let defaults = world.pursue.is_some() && world.nurture.is_some();

    // (a) At most one live enrollment, and never an enrollment over a live one: the model
    // refuses an `Enroll` while one is live; here, the live one has not ended.
    if let Some(live) = &after.live
        && (live.enrollment == super::EnrollmentRef::New
            || world
                .model
                .ended
                .keys()
                .any(|id| live.enrollment == super::EnrollmentRef::Existing(*id)))
    {
        return Err("the live enrollment is new or ended".into());
    }

    // (b) A live, active enrollment has its step's touch open, but one begun in bulk,
    // whose first step the scheduler owes (`StepOwed`): `dead_end` counts on that.
    if after
        .live
        .as_ref()
        .is_some_and(|l| l.status == EnrollmentStatus::Active)
        && !after
            .open_touches
            .iter()
            .any(|t| t.kind == super::TouchKind::Step)
        && !world.owed_by_bulk
    {
        return Err("an active enrollment with no step's touch, not begun in bulk".into());
    }

    // No dead end, once the default cadences exist, but for the rules' exceptions.
    if defaults
        && dead_end(after)
        && !dead_end(before)
        && dead_end_exception(before, event, at, effects, after).is_none()
    {
        return Err("a dead end: open, nothing to do next, no reason recorded".into());
    }
    if defaults
        && let Event::InteractionLogged(Logged { decision, .. }) = event
        && matches!(
            decision,
            DecisionInput::Current { .. } | DecisionInput::Future { .. }
        )
        && !back_dated(before, at)
        && after.is_open()
        && dead_end(after)
    {
        return Err("a decision of current or future interest left a dead end".into());
    }

    // (c) The interest follows the latest decision; a customer stays a customer.
    if seen.customer && after.interest != InterestState::Customer {
        return Err("a customer is no longer a customer".into());
    }
    seen.customer |= after.interest == InterestState::Customer;
    match event {
        Event::InteractionLogged(Logged { decision, .. }) => {
            if let Some(d) = decision.decision() {
                let expected = if before.interest == InterestState::Customer {
                    InterestState::Customer
                } else if !back_dated(before, at) {
                    d.interest()
                } else if matches!(decision, DecisionInput::Current { .. })
                    && effects
                        .iter()
                        .any(|e| matches!(e, Effect::MoveOpportunity { .. }))
                {
                    // exception: a back-dated decision of current interest still moves
                    // the open opportunity's stage, and a stage moving forward is current
                    // interest.
                    InterestState::Current
                } else {
                    before.interest
                };
                if after.interest != expected {
                    return Err(format!(
                        "interest {:?} after a decision of {d:?}, expected {expected:?}",
                        after.interest
                    ));
                }
            } else if after.interest != before.interest {
                return Err("an interaction without a decision moved the interest".into());
            }
        }
        Event::StageChanged { .. } => {}
        _ if after.interest != before.interest => {
            return Err("the interest moved without a decision or a stage change".into());
        }
        _ => {}
    }

    // (d) Do-not-contact leaves nothing scheduled.
    if after.do_not_contact && (after.live.is_some() || !after.open_touches.is_empty()) {
        return Err("do-not-contact, yet something is scheduled".into());
    }

    // (e) A step falls due on a business day, inside the working hours (narrowed by the
    // step's window when it overlaps them), not before it was owed.
    for effect in effects {
        let Effect::ScheduleStep {
            step_id,
            due_at,
            due_on,
            ..
        } = effect
        else {
            continue;
        };
        let step = [
            &cadences.live,
            &cadences.pursue,
            &cadences.nurture,
            &cadences.chosen,
        ]
        .into_iter()
        .flatten()
        .flat_map(|c| &c.steps)
        .find(|s| s.id == *step_id)
        .ok_or("a step from no cadence")?;
        let (start, end) = schedule::effective_window(hours, step.window.as_ref());
        let local = jiff::Timestamp::from_second(due_at.unix_timestamp())
            .map_err(|e| e.to_string())?
            .to_zoned(hours.time_zone.clone());
        let day = hours.local_date(*due_at).ok_or("no local date")?;
        let clock = hm((local.hour() as u16) * 60 + local.minute() as u16);
        if !schedule::is_business_day(day) || clock < start || clock >= end {
            return Err(format!(
                "step {step_id} due {due_at} ({day} {clock} local) outside {start}–{end} on business days"
            ));
        }
        if *due_on != Some(day) {
            return Err(format!("step {step_id} due on {due_on:?}, not {day}"));
        }
        let basis = match event {
            Event::StepOwed { after } => *after,
            _ => at,
        };
        if *due_at < basis {
            return Err(format!("step {step_id} due {due_at}, before {basis}"));
        }
    }

    // (f) An interest-changed record exactly when the interest changed.
    let changes: Vec<_> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::Record(r) if r.kind == EventKind::InterestChanged => Some(r),
            _ => None,
        })
        .collect();
    let changed = before.interest != after.interest;
    match changes.as_slice() {
        [] if !changed => {}
        [r] if changed
            && r.from.as_deref() == Some(before.interest.as_str())
            && r.to.as_deref() == Some(after.interest.as_str()) => {}
        _ => {
            return Err(format!(
                "{} interest-changed records for {:?} -> {:?}",
                changes.len(),
                before.interest,
                after.interest
            ));
        }
    }
    Ok(())
}

/// Plays `story` in the world `spec`, checking every invariant after every event.
fn play(spec: &WorldSpec, story: &[(Action, u32)]) -> Result<(), TestCaseError> {
    let mut world = World::new(spec);
    let mut seen = Seen::default();
    for (n, (action, wait)) in story.iter().enumerate() {
        world.now += Duration::minutes((*wait).into());
        let Some((event, at, chosen)) = world.event(action) else {
            continue;
        };
        let hours = world.owner().hours.clone();
        let cadences = world.cadences(chosen);
        let ctx = Context {
            at,
            actor: Some(world.model.state.owner_id),
            hours: &hours,
            cadences: &cadences,
        };
        let before = world.model.state.clone();
        let effects = decide(&before, &event, &ctx);
        let fail = |why: String| {
            TestCaseError::fail(format!(
                "after action {n} ({action:?}):\n{why}\nevent {event:#?}\nat {at}\nbefore {before:#?}\neffects {effects:#?}"
            ))
        };
        world.model.try_apply(&effects, &cadences).map_err(fail)?;
        if effects.iter().any(|e| matches!(e, Effect::Enroll { .. })) {
            world.owed_by_bulk = event == (Event::EnrollRequested { bulk: true });
        }
        if world.model.state.live.is_none()
            || effects
                .iter()
                .any(|e| matches!(e, Effect::ScheduleStep { .. }))
        {
            world.owed_by_bulk = false;
        }
        if let Event::InteractionLogged(Logged { decision, .. }) = &event
            && decision.decision().is_some()
        {
            let latest = &mut world.model.state.latest_decision_at;
            *latest = Some(latest.map_or(at, |l| l.max(at)));
        }
        check(
            &world, &before, &event, at, &hours, &cadences, &effects, &mut seen,
        )
        .map_err(|why| fail(format!("{why}\nafter {:#?}", world.model.state)))?;
    }
    Ok(())
}

proptest! {
    // 256 cases unless PROPTEST_CASES says otherwise.
    #![proptest_config(Config::default())]

    /// Every decision's effects apply with the applier's model, which refuses an effect
    /// out of the applier's order, and the invariants hold after every event.
    #[test]
    fn random_stories_keep_the_invariants(spec in world_spec(), story in story()) {
        play(&spec, &story)?;
    }
}
