//! A rep's gestures through the same domain functions the handlers call, each in its own
//! transaction that locks the prospect first, at a chosen time: for fixtures that need
//! history at known dates, and for the property test's random sequences.

use prospector::{
    auth::Scope,
    interactions::{
        Channel, Outcome,
        db::log_interaction,
        form::{DecisionInput, ValidLog},
    },
    opportunities::{
        Stage,
        db::{self as opportunities_db, StageChange},
    },
    process::{Event, store},
    prospects::{QualifyingInput, db as prospects_db},
};
use sqlx::PgPool;
use time::{Date, OffsetDateTime};

pub fn unassessed() -> DecisionInput {
    DecisionInput::Unassessed
}

pub fn current(stage: Stage, dollars: i64) -> DecisionInput {
    DecisionInput::Current {
        name: None,
        stage,
        value_cents: Some(dollars * 100),
        expected_close_on: None,
    }
}

pub fn future(re_engage_on: Date) -> DecisionInput {
    DecisionInput::Future { re_engage_on }
}

pub fn no_interest(reason: &str) -> DecisionInput {
    DecisionInput::None {
        reason: reason.into(),
        do_not_contact: false,
    }
}

/// Logs an interaction by `actor` at `at` (from the open touch `from_touch`, if given).
/// Returns the interaction's id and the opportunity it opened or advanced.
#[allow(clippy::too_many_arguments)]
pub async fn log(
    db: &PgPool,
    actor: i64,
    prospect: i64,
    at: OffsetDateTime,
    channel: Channel,
    outcome: Outcome,
    decision: DecisionInput,
    from_touch: Option<i64>,
) -> (i64, Option<i64>) {
    let mut tx = db.begin().await.unwrap();
    let valid = ValidLog {
        channel,
        outcome,
        occurred_at: at,
        notes: String::new(),
        decision,
        qualifying: QualifyingInput::default(),
    };
    let logged = log_interaction(
        &mut tx,
        &Scope::everyone(),
        actor,
        prospect,
        &valid,
        from_touch,
    )
    .await
    .unwrap()
    .expect("the prospect exists");
    tx.commit().await.unwrap();
    (logged.interaction_id, logged.opportunity_id)
}

pub async fn move_stage(db: &PgPool, actor: i64, opportunity: i64, to: Stage, at: OffsetDateTime) {
    let mut tx = db.begin().await.unwrap();
    let (lost_reason, revisit_on) = match to {
        Stage::Lost => (Some("Went with a competitor"), None),
        _ => (None, None),
    };
    let found = opportunities_db::change_stage(
        &mut tx,
        &Scope::everyone(),
        actor,
        opportunity,
        &StageChange {
            to,
            lost_reason,
            revisit_on,
            occurred_at: Some(at),
        },
    )
    .await
    .unwrap();
    assert!(found, "the opportunity exists");
    tx.commit().await.unwrap();
}

/// Applies `event` to the prospect's process at `at`, by `actor`, through the engine as
/// the pages do; `chosen` is the cadence an enrollment asks for.
async fn act(
    db: &PgPool,
    actor: i64,
    prospect: i64,
    at: OffsetDateTime,
    chosen: Option<i64>,
    event: Event,
) {
    let mut tx = db.begin().await.unwrap();
    let mut loaded = store::load(&mut tx, &Scope::everyone(), prospect)
        .await
        .unwrap()
        .expect("the prospect exists");
    if let Some(cadence) = chosen {
        loaded.cadences.chosen = store::chosen_cadence(&mut tx, cadence).await.unwrap();
        assert!(loaded.cadences.chosen.is_some(), "the cadence exists");
    }
    let change = loaded.decide(&event, at, Some(actor));
    store::apply(&mut tx, &[change]).await.unwrap();
    tx.commit().await.unwrap();
}

/// The prospect a touch belongs to.
async fn prospect_of(db: &PgPool, touch: i64) -> i64 {
    sqlx::query_scalar("select prospect_id from touches where id = $1")
        .bind(touch)
        .fetch_one(db)
        .await
        .expect("the touch exists")
}

/// Enrolls the prospect in the cadence's latest version, as the enroll button does.
pub async fn enroll(db: &PgPool, actor: i64, prospect: i64, cadence: i64, at: OffsetDateTime) {
    let event = Event::EnrollRequested { bulk: false };
    act(db, actor, prospect, at, Some(cadence), event).await;
}

/// Leaves the prospect's live enrollment, if any, with `reason`.
pub async fn exit(db: &PgPool, actor: i64, prospect: i64, reason: &str, at: OffsetDateTime) {
    let event = Event::Leave {
        reason: reason.into(),
    };
    act(db, actor, prospect, at, None, event).await;
}

/// Skips an open touch as the skip button does: the cadence moves on to its next step.
pub async fn skip(db: &PgPool, actor: i64, touch: i64, at: OffsetDateTime) {
    let event = Event::TouchSkipped {
        touch_id: touch,
        reason: "Not this one".into(),
    };
    act(db, actor, prospect_of(db, touch).await, at, None, event).await;
}

/// Snoozes an open touch until `until`, as the snooze button does.
pub async fn snooze(db: &PgPool, actor: i64, touch: i64, until: OffsetDateTime) {
    let event = Event::TouchSnoozed {
        touch_id: touch,
        until,
        note: "Later".into(),
    };
    let now = OffsetDateTime::now_utc();
    act(db, actor, prospect_of(db, touch).await, now, None, event).await;
}

pub async fn reassign(db: &PgPool, actor: i64, prospect: i64, new_owner: i64) {
    let mut tx = db.begin().await.unwrap();
    let found = prospects_db::reassign(&mut tx, &Scope::everyone(), prospect, new_owner, actor)
        .await
        .unwrap();
    assert!(found, "the prospect exists");
    tx.commit().await.unwrap();
}

/// The prospect's open touch of `kind`, if any.
pub async fn open_touch(db: &PgPool, prospect: i64, kind: &str) -> Option<i64> {
    sqlx::query_scalar(
        "select id from touches where prospect_id = $1 and kind::text = $2
           and status in ('pending', 'snoozed') order by id limit 1",
    )
    .bind(prospect)
    .bind(kind)
    .fetch_optional(db)
    .await
    .unwrap()
}

/// Records that the prospect has no next step, and why (not a dead end then), or clears it.
pub async fn no_next_step(db: &PgPool, prospect: i64, reason: Option<&str>) {
    sqlx::query("update prospects set no_next_step_reason = $2 where id = $1")
        .bind(prospect)
        .bind(reason)
        .execute(db)
        .await
        .unwrap();
}
