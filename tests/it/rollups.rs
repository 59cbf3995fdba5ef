//! The dashboard's rollups, as a property: whatever sequence of operations reps, managers
//! and schedulers perform (several at once), the rollups and the prospects' derived columns
//! equal what a full scan of the source rows gives.
//!
//! Each seed drives a random sequence through the same domain functions the handlers call;
//! rounds run three operations concurrently, sometimes beside a scheduler pass or a
//! compaction. A failure names the seed and the operations that led to it.

use prospector::{
    cadences::{
        Purpose,
        db::{CadenceInput, StepInput, create},
    },
    dashboard::rollups,
    interactions::{Channel, Outcome},
    opportunities::Stage,
    scheduler::Scheduler,
};
use rand::{Rng, SeedableRng, rngs::StdRng, seq::IndexedRandom};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::support::{
    org::{Org, org},
    work::{
        self, current, enroll, exit, future, log, move_stage, no_interest, no_next_step, reassign,
        skip, snooze, unassessed,
    },
};

const SEEDS: u64 = 6;
const ROUNDS: usize = 25;

/// One operation of a random sequence, with what it acts on already chosen.
#[derive(Debug, Clone)]
enum Op {
    Log {
        actor: i64,
        prospect: i64,
        days_ago: i64,
        channel: Channel,
        outcome: Outcome,
        decision: u8,
        stage: Stage,
        dollars: i64,
        from_touch: bool,
    },
    MoveStage {
        actor: i64,
        opportunity: i64,
        to: Stage,
    },
    Reassign {
        actor: i64,
        prospect: i64,
        to: i64,
    },
    Enroll {
        actor: i64,
        prospect: i64,
        cadence: i64,
    },
    Exit {
        actor: i64,
        prospect: i64,
    },
    Skip {
        actor: i64,
        touch: i64,
    },
    Snooze {
        actor: i64,
        touch: i64,
        hours: i64,
    },
    DoNotContact {
        prospect: i64,
        on: bool,
    },
    NoNextStep {
        prospect: i64,
        reason: Option<&'static str>,
    },
    NewProspect {
        owner: i64,
    },
    SchedulerPass {
        days_ahead: i64,
    },
    Compact,
}

struct World {
    org: Org,
    reps: Vec<i64>,
    cadences: Vec<i64>,
}

async fn world(pool: PgPool) -> World {
    let org = org(pool).await;
    // Different clocks, so local days differ from UTC ones.
    for (user, zone) in [
        (org.rita, "America/New_York"),
        (org.sam, "Asia/Tokyo"),
        (org.maya, "Europe/Paris"),
    ] {
        sqlx::query("update users set time_zone = $2 where id = $1")
            .bind(user)
            .bind(zone)
            .execute(&org.app.db)
            .await
            .unwrap();
    }
    let mut cadences = Vec::new();
    let mut conn = org.app.db.acquire().await.unwrap();
    for (name, purpose, delays) in [
        ("Pursue", Purpose::Pursue, vec![0, 1, 2]),
        ("Nurture", Purpose::Nurture, vec![3, 5]),
        ("Event follow-up", Purpose::Pursue, vec![1]),
    ] {
        let steps = delays
            .into_iter()
            .enumerate()
            .map(|(i, delay)| StepInput {
                channel: if i % 2 == 0 {
                    Channel::Call
                } else {
                    Channel::Email
                },
                delay_business_days: delay,
                window: None,
                instructions: String::new(),
                template: String::new(),
            })
            .collect();
        let input = CadenceInput {
            name: name.into(),
            purpose,
            description: String::new(),
            is_default: name != "Event follow-up",
            steps,
        };
        cadences.push(create(&mut conn, org.maya, &input).await.unwrap());
    }
    drop(conn);
    let reps = vec![org.rita, org.ravi, org.sam, org.maya];
    for i in 0..12 {
        org.app
            .create_prospect(reps[i % 3], &format!("P{i}"), "Random", None)
            .await;
    }
    World {
        org,
        reps,
        cadences,
    }
}

async fn ids(db: &PgPool, sql: &str) -> Vec<i64> {
    sqlx::query_scalar(sql).fetch_all(db).await.unwrap()
}

impl Op {
    async fn random(rng: &mut StdRng, w: &World) -> Op {
        let db = &w.org.app.db;
        let prospects = ids(db, "select id from prospects order by id").await;
        let opportunities = ids(db, "select id from opportunities order by id").await;
        let touches = ids(
            db,
            "select id from touches where status in ('pending', 'snoozed') order by id",
        )
        .await;
        let prospect = *prospects.choose(rng).unwrap();
        let owner: i64 = sqlx::query_scalar("select owner_id from prospects where id = $1")
            .bind(prospect)
            .fetch_one(db)
            .await
            .unwrap();
        let actor = if rng.random_bool(0.8) {
            owner
        } else {
            *w.reps.choose(rng).unwrap()
        };
        match rng.random_range(0..100) {
            0..40 => Op::Log {
                actor,
                prospect,
                days_ago: rng.random_range(0..40),
                channel: *Channel::ALL.choose(rng).unwrap(),
                outcome: *Outcome::ALL.choose(rng).unwrap(),
                decision: rng.random_range(0..4),
                stage: *Stage::OPEN.choose(rng).unwrap(),
                dollars: rng.random_range(0..50) * 1_000,
                from_touch: rng.random_bool(0.5),
            },
            40..50 if !opportunities.is_empty() => Op::MoveStage {
                actor,
                opportunity: *opportunities.choose(rng).unwrap(),
                to: *Stage::ALL.choose(rng).unwrap(),
            },
            50..57 => Op::Reassign {
                actor: w.org.maya,
                prospect,
                to: *w.reps.choose(rng).unwrap(),
            },
            57..65 => Op::Enroll {
                actor,
                prospect,
                cadence: *w.cadences.choose(rng).unwrap(),
            },
            65..70 => Op::Exit { actor, prospect },
            70..78 if !touches.is_empty() => Op::Skip {
                actor,
                touch: *touches.choose(rng).unwrap(),
            },
            78..83 if !touches.is_empty() => Op::Snooze {
                actor,
                touch: *touches.choose(rng).unwrap(),
                hours: rng.random_range(-48..96),
            },
            83..86 => Op::DoNotContact {
                prospect,
                on: rng.random_bool(0.5),
            },
            86..89 => Op::NoNextStep {
                prospect,
                reason: rng.random_bool(0.5).then_some("Waiting on a merger"),
            },
            89..92 => Op::NewProspect {
                owner: *w.reps.choose(rng).unwrap(),
            },
            92..96 => Op::SchedulerPass {
                days_ahead: rng.random_range(0..10),
            },
            _ => Op::Compact,
        }
    }

    async fn apply(self, w: &World) {
        let db = &w.org.app.db;
        let now = OffsetDateTime::now_utc();
        match self {
            Op::Log {
                actor,
                prospect,
                days_ago,
                channel,
                outcome,
                decision,
                stage,
                dollars,
                from_touch,
            } => {
                let at = now - Duration::days(days_ago) - Duration::minutes(7);
                let decision = match decision {
                    0 => unassessed(),
                    1 => current(stage, dollars),
                    2 => future(at.date() + Duration::days(days_ago % 20 + 1)),
                    _ => no_interest("Not a fit"),
                };
                let touch = if from_touch {
                    work::open_touch(db, prospect, "step").await
                } else {
                    None
                };
                log(db, actor, prospect, at, channel, outcome, decision, touch).await;
            }
            Op::MoveStage {
                actor,
                opportunity,
                to,
            } => move_stage(db, actor, opportunity, to, now).await,
            Op::Reassign {
                actor,
                prospect,
                to,
            } => reassign(db, actor, prospect, to).await,
            Op::Enroll {
                actor,
                prospect,
                cadence,
            } => enroll(db, actor, prospect, cadence, now).await,
            Op::Exit { actor, prospect } => exit(db, actor, prospect, "Changed plans", now).await,
            Op::Skip { actor, touch } => skip(db, actor, touch, now).await,
            Op::Snooze {
                actor,
                touch,
                hours,
            } => snooze(db, actor, touch, now + Duration::hours(hours)).await,
            Op::DoNotContact { prospect, on } => {
                let mut tx = db.begin().await.unwrap();
                sqlx::query("select id from prospects where id = $1 for update")
                    .bind(prospect)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                sqlx::query("update prospects set do_not_contact = $2 where id = $1")
                    .bind(prospect)
                    .bind(on)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
            Op::NoNextStep { prospect, reason } => no_next_step(db, prospect, reason).await,
            Op::NewProspect { owner } => {
                w.org
                    .app
                    .create_prospect(owner, "New", "Random", None)
                    .await;
            }
            Op::SchedulerPass { days_ahead } => {
                Scheduler::new(db.clone())
                    .with_batch(3)
                    .run_once(now + Duration::days(days_ahead))
                    .await
                    .unwrap();
            }
            Op::Compact => {
                rollups::compact(db).await.unwrap();
            }
        }
    }
}

/// Also the derived day columns, on the clock of the person concerned.
pub(super) async fn day_discrepancies(db: &PgPool) -> Vec<String> {
    let mut found = Vec::new();
    for (what, sql) in [
        (
            "interactions.occurred_on",
            "select count(*) from interactions where occurred_on <> local_date(occurred_at, logged_by)",
        ),
        (
            "touches.completed_on",
            "select count(*) from touches
             where completed_on is distinct from local_date(completed_at, owner_id)",
        ),
        (
            "enrollments.ended_on",
            "select count(*) from enrollments
             where (status in ('completed', 'exited')) <> (ended_on is not null and ended_owner_id is not null)",
        ),
    ] {
        let n: i64 = sqlx::query_scalar(sql).fetch_one(db).await.unwrap();
        if n > 0 {
            found.push(format!("{what}: {n} rows"));
        }
    }
    found
}

#[sqlx::test]
async fn rollups_equal_a_full_scan_after_random_operations(pool: PgPool) {
    let w = world(pool).await;
    let db = w.org.app.db.clone();
    for seed in 0..SEEDS {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut history = Vec::new();
        for _ in 0..ROUNDS {
            let (a, b, c) = (
                Op::random(&mut rng, &w).await,
                Op::random(&mut rng, &w).await,
                Op::random(&mut rng, &w).await,
            );
            history.push(format!("{a:?} | {b:?} | {c:?}"));
            tokio::join!(a.apply(&w), b.apply(&w), c.apply(&w));
        }
        let mut found = rollups::discrepancies(&db).await.unwrap();
        found.extend(day_discrepancies(&db).await);
        assert!(
            found.is_empty(),
            "seed {seed}: {found:#?}\nafter rounds:\n{}",
            history.join("\n")
        );
        // Compaction changes no figure, and leaves one row per key.
        rollups::compact(&db).await.unwrap();
        let found = rollups::discrepancies(&db).await.unwrap();
        assert!(found.is_empty(), "seed {seed} after compaction: {found:#?}");
        let fresh: i64 =
            sqlx::query_scalar("select count(*) from activity_rollup where not compacted")
                .fetch_one(&db)
                .await
                .unwrap();
        assert_eq!(fresh, 0);
        let duplicated: i64 = sqlx::query_scalar(
            "select count(*) from (select 1 from prospect_rollup group by owner_id, interest
                                   having count(*) > 1) d",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(duplicated, 0, "one row per key after compaction");
    }
    // The sequence did exercise what the figures count.
    for (table, at_least) in [
        ("interactions", 100),
        ("opportunities", 5),
        ("enrollments where status = 'exited'", 3),
        ("touches where status = 'done'", 3),
        ("touches where status = 'skipped'", 3),
        ("prospect_events where kind = 'owner_changed'", 3),
    ] {
        let n = w.org.app.count(table).await;
        assert!(n >= at_least, "{table}: only {n}");
    }
}

#[sqlx::test]
async fn a_refill_from_the_source_rows_gives_the_same_figures(pool: PgPool) {
    let w = world(pool).await;
    let db = w.org.app.db.clone();
    let mut rng = StdRng::seed_from_u64(99);
    for _ in 0..40 {
        Op::random(&mut rng, &w).await.apply(&w).await;
    }
    let before = prospect_figures(&db).await;
    // What a bulk load does after writing with triggers off.
    sqlx::query("update prospects set open_touches = 0, funnel_contact_level = 0, first_touched_at = null, first_touched_on = null")
        .execute(&db)
        .await
        .unwrap();
    rollups::refresh_all(&db).await.unwrap();
    assert!(rollups::discrepancies(&db).await.unwrap().is_empty());
    assert_eq!(before, prospect_figures(&db).await);
}

/// The prospect rollup's figures per owner and interest state.
async fn prospect_figures(db: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "select row(owner_id, interest, sum(prospects), sum(dead_ends))::text from prospect_rollup
         group by owner_id, interest having sum(prospects) <> 0 or sum(dead_ends) <> 0 order by 1",
    )
    .fetch_all(db)
    .await
    .unwrap()
}
