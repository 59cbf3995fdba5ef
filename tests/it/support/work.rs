//! A rep's gestures through the same domain functions the handlers call, each in its own
//! transaction that locks the prospect first, at a chosen time: for fixtures that need
//! history at known dates, and for the property test's random sequences.

use prospector::{
    auth::Scope,
    cadences::db as cadences_db,
    enrollments::db::{self as enrollments_db, Actor},
    interactions::{
        Channel, Outcome,
        db::log_interaction,
        handlers::{DecisionInput, ValidLog},
    },
    opportunities::{
        Stage,
        db::{self as opportunities_db, StageChange},
    },
    prospects::{QualifyingInput, db as prospects_db},
    touches::db as touches_db,
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
    let touch = match from_touch {
        Some(id) => touches_db::lock(&mut tx, &Scope::everyone(), id)
            .await
            .unwrap(),
        None => None,
    };
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
        touch.as_ref(),
    )
    .await
    .unwrap()
    .expect("the prospect exists");
    tx.commit().await.unwrap();
    (logged.interaction_id, logged.opportunity_id)
}

pub async fn move_stage(db: &PgPool, actor: i64, opportunity: i64, to: Stage, at: OffsetDateTime) {
    let mut tx = db.begin().await.unwrap();
    let locked = opportunities_db::lock(&mut tx, &Scope::everyone(), opportunity)
        .await
        .unwrap()
        .expect("the opportunity exists");
    let (lost_reason, revisit_on) = match to {
        Stage::Lost => (Some("Went with a competitor"), None),
        _ => (None, None),
    };
    opportunities_db::move_stage(
        &mut tx,
        actor,
        &locked,
        &StageChange {
            to,
            lost_reason,
            revisit_on,
            occurred_at: Some(at),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
}

async fn actor_for(
    tx: &mut sqlx::PgConnection,
    actor: i64,
    prospect: i64,
    at: OffsetDateTime,
) -> Actor {
    let locked = prospects_db::lock(tx, &Scope::everyone(), prospect)
        .await
        .unwrap()
        .expect("the prospect exists");
    Actor {
        user_id: actor,
        prospect_id: prospect,
        owner_id: locked.owner_id,
        at,
    }
}

/// Enrolls the prospect in the cadence's latest version, as the enroll button does.
pub async fn enroll(db: &PgPool, actor: i64, prospect: i64, cadence: i64, at: OffsetDateTime) {
    let mut tx = db.begin().await.unwrap();
    let actor = actor_for(&mut tx, actor, prospect, at).await;
    let version = cadences_db::latest_version(&mut *tx, cadence)
        .await
        .unwrap()
        .expect("the cadence exists");
    enrollments_db::enroll(&mut tx, &actor, version, "Moved to another cadence")
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Leaves the prospect's live enrollment, if any, with `reason`.
pub async fn exit(db: &PgPool, actor: i64, prospect: i64, reason: &str, at: OffsetDateTime) {
    let mut tx = db.begin().await.unwrap();
    let actor = actor_for(&mut tx, actor, prospect, at).await;
    if let Some(live) = enrollments_db::lock_live(&mut tx, prospect).await.unwrap() {
        enrollments_db::exit(&mut tx, &actor, &live, reason)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Skips an open touch as the skip button does: the cadence moves on to its next step.
pub async fn skip(db: &PgPool, actor: i64, touch: i64, at: OffsetDateTime) {
    let mut tx = db.begin().await.unwrap();
    let locked = touches_db::lock(&mut tx, &Scope::everyone(), touch)
        .await
        .unwrap()
        .expect("the touch exists");
    touches_db::skip(&mut tx, actor, &locked, "Not this one", at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// Snoozes an open touch until `until`, as the snooze button does.
pub async fn snooze(db: &PgPool, actor: i64, touch: i64, until: OffsetDateTime) {
    let mut tx = db.begin().await.unwrap();
    let locked = touches_db::lock(&mut tx, &Scope::everyone(), touch)
        .await
        .unwrap()
        .expect("the touch exists");
    touches_db::snooze(&mut tx, actor, &locked, until, "Later")
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub async fn reassign(db: &PgPool, actor: i64, prospect: i64, new_owner: i64) {
    let mut tx = db.begin().await.unwrap();
    let locked = prospects_db::lock(&mut tx, &Scope::everyone(), prospect)
        .await
        .unwrap()
        .expect("the prospect exists");
    prospects_db::reassign(&mut tx, &locked, new_owner, actor)
        .await
        .unwrap();
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
