//! The scheduler against real PostgreSQL: each kind of time-based work at a clock the test
//! chooses, idempotence, three schedulers racing on the same work, the loop woken by
//! notifications and snooze times and surviving lost connections, and the real binary
//! killed mid-batch (SIGKILL) or stopped (SIGTERM) on a large backlog.

use std::{
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

use prospector::{
    schedule::{self, Window, WorkingHours},
    scheduler::{self, PassReport, Scheduler},
    wakeup,
};
use sqlx::{ConnectOptions as _, PgPool, postgres::PgPoolOptions};
use time::{
    Date, OffsetDateTime, Time,
    format_description::well_known::Rfc3339,
    macros::{date, datetime, time},
};

const NEW_YORK: &str = "America/New_York";
const KOLKATA: &str = "Asia/Kolkata";
const PARIS: &str = "Europe/Paris";

/// Friday 2026-07-03, 20:00 UTC: 16:00 in New York, already Saturday 01:30 in Kolkata.
const FRIDAY_EVENING: OffsetDateTime = datetime!(2026-07-03 20:00 UTC);

// --- Seeding -------------------------------------------------------------------------

async fn user(pool: &PgPool, email: &str, zone: &str, start: Time, end: Time) -> i64 {
    sqlx::query_scalar(
        "insert into users (email, name, role, time_zone, work_day_start, work_day_end)
         values ($1, $1, 'rep', $2, $3, $4) returning id",
    )
    .bind(email)
    .bind(zone)
    .bind(start)
    .bind(end)
    .fetch_one(pool)
    .await
    .expect("insert a user")
}

/// One step of a seeded cadence: channel, delay in business days, optional window.
type StepSpec = (&'static str, i16, Option<(Time, Time)>);

/// A cadence (version 1) with these steps; returns (cadence id, version id, step ids).
async fn cadence(pool: &PgPool, created_by: i64, steps: &[StepSpec]) -> (i64, i64, Vec<i64>) {
    let cadence_id: i64 = sqlx::query_scalar(
        "insert into cadences (name, purpose, created_by) values ('Outbound', 'pursue', $1)
         returning id",
    )
    .bind(created_by)
    .fetch_one(pool)
    .await
    .expect("insert a cadence");
    let version_id: i64 = sqlx::query_scalar(
        "insert into cadence_versions (cadence_id, version, created_by) values ($1, 1, $2)
         returning id",
    )
    .bind(cadence_id)
    .bind(created_by)
    .fetch_one(pool)
    .await
    .expect("insert a version");
    let mut step_ids = Vec::new();
    for (position, (channel, delay, window)) in (1..).zip(steps) {
        let id: i64 = sqlx::query_scalar(
            "insert into cadence_steps
                 (version_id, position, channel, delay_business_days, window_start, window_end)
             values ($1, $2, $3::interaction_channel, $4, $5, $6) returning id",
        )
        .bind(version_id)
        .bind(position)
        .bind(channel)
        .bind(delay)
        .bind(window.map(|w| w.0))
        .bind(window.map(|w| w.1))
        .fetch_one(pool)
        .await
        .expect("insert a step");
        step_ids.push(id);
    }
    (cadence_id, version_id, step_ids)
}

/// `count` prospects owned by `owner`, in one statement.
async fn prospects(pool: &PgPool, owner: i64, count: i32) -> Vec<i64> {
    sqlx::query_scalar(
        "insert into prospects (owner_id, first_name, last_name)
         select $1, 'Prospect', g::text from generate_series(1, $2) g returning id",
    )
    .bind(owner)
    .bind(count)
    .fetch_all(pool)
    .await
    .expect("insert prospects")
}

/// Enrolls every prospect not yet on a cadence, writing only the enrollment rows (as a
/// bulk enrollment does); returns how many.
async fn enroll_everyone(pool: &PgPool, version_id: i64, started_at: OffsetDateTime) -> u64 {
    sqlx::query(
        "insert into enrollments (prospect_id, cadence_id, version_id, started_at)
         select p.id, v.cadence_id, v.id, $2
         from prospects p, cadence_versions v
         where v.id = $1
           and not exists (select 1 from enrollments e where e.prospect_id = p.id)",
    )
    .bind(version_id)
    .bind(started_at)
    .execute(pool)
    .await
    .expect("enroll")
    .rows_affected()
}

/// A rep in New York, a cadence of a call (10:00–12:00, at once) then an email two
/// business days later, and `count` prospects enrolled on Friday evening.
struct Backlog {
    rep: i64,
    version_id: i64,
    steps: Vec<i64>,
}

async fn backlog(pool: &PgPool, count: i32) -> Backlog {
    let rep = user(
        pool,
        "nina@example.com",
        NEW_YORK,
        time!(09:00),
        time!(17:00),
    )
    .await;
    let (_, version_id, steps) = cadence(
        pool,
        rep,
        &[
            ("call", 0, Some((time!(10:00), time!(12:00)))),
            ("email", 2, None),
        ],
    )
    .await;
    prospects(pool, rep, count).await;
    enroll_everyone(pool, version_id, FRIDAY_EVENING).await;
    Backlog {
        rep,
        version_id,
        steps,
    }
}

// --- Reading -------------------------------------------------------------------------

async fn scalar(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn touch_count(pool: &PgPool) -> i64 {
    scalar(pool, "select count(*) from touches").await
}

/// Enrollments that do not have exactly one touch per step reached so far.
async fn enrollments_not_touched_once(pool: &PgPool) -> i64 {
    scalar(
        pool,
        "select count(*) from enrollments e
         left join (select enrollment_id, count(*) as n from touches group by enrollment_id) t
                on t.enrollment_id = e.id
         where coalesce(t.n, 0) <> 1",
    )
    .await
}

/// Touches that exist more than once for the same enrollment and step.
async fn duplicated_touches(pool: &PgPool) -> i64 {
    scalar(
        pool,
        "select count(*) from (select 1 from touches where kind = 'step'
                               group by enrollment_id, step_id having count(*) > 1) d",
    )
    .await
}

fn hours(zone: &str, start: Time, end: Time) -> WorkingHours {
    WorkingHours::new(zone, start, end).expect("valid working hours")
}

// --- One pass at a chosen time -------------------------------------------------------

#[sqlx::test]
async fn a_pass_schedules_each_enrollments_step_once_in_its_owners_day(pool: PgPool) {
    let nina = user(
        &pool,
        "nina@example.com",
        NEW_YORK,
        time!(09:00),
        time!(17:00),
    )
    .await;
    let ishaan = user(
        &pool,
        "ishaan@example.com",
        KOLKATA,
        time!(08:30),
        time!(17:30),
    )
    .await;
    let call_window = (time!(10:00), time!(12:00));
    let (_, version_id, steps) = cadence(
        &pool,
        nina,
        &[("call", 0, Some(call_window)), ("email", 2, None)],
    )
    .await;
    prospects(&pool, nina, 40).await;
    prospects(&pool, ishaan, 30).await;
    assert_eq!(enroll_everyone(&pool, version_id, FRIDAY_EVENING).await, 70);

    let scheduler = Scheduler::new(pool.clone()).with_batch(16);
    let now = FRIDAY_EVENING + time::Duration::minutes(5);
    let report = scheduler.run_once(now).await.expect("a pass");
    assert_eq!(report.steps_scheduled, 70, "{report}");
    assert_eq!(touch_count(&pool).await, 70);
    assert_eq!(enrollments_not_touched_once(&pool).await, 0);

    // Each touch is the first step, due in its owner's day as `schedule::due_at` says:
    // Friday 16:00 in New York is past the call window, so Monday 10:00 EDT; in Kolkata it
    // is already Saturday, so Monday 10:00 IST.
    let window = Window {
        start: call_window.0,
        end: call_window.1,
    };
    let expected_ny = schedule::due_at(
        FRIDAY_EVENING,
        0,
        &hours(NEW_YORK, time!(09:00), time!(17:00)),
        Some(&window),
    );
    let expected_kolkata = schedule::due_at(
        FRIDAY_EVENING,
        0,
        &hours(KOLKATA, time!(08:30), time!(17:30)),
        Some(&window),
    );
    assert_eq!(expected_ny, datetime!(2026-07-06 14:00 UTC));
    assert_eq!(expected_kolkata, datetime!(2026-07-06 04:30 UTC));
    let rows: Vec<(i64, i64, String, String, OffsetDateTime, i64)> = sqlx::query_as(
        "select t.owner_id, t.step_id, t.kind::text, t.channel::text, t.due_at, count(*)
         from touches t group by 1, 2, 3, 4, 5 order by 1",
    )
    .fetch_all(&pool)
    .await
    .expect("touches");
    assert_eq!(
        rows,
        vec![
            (
                nina,
                steps[0],
                "step".into(),
                "call".into(),
                expected_ny,
                40
            ),
            (
                ishaan,
                steps[0],
                "step".into(),
                "call".into(),
                expected_kolkata,
                30
            ),
        ]
    );
    // The scheduler works out each touch's local day itself; the database agrees.
    let days: Vec<(time::Date, bool)> = sqlx::query_as(
        "select distinct due_on, due_on = local_date(due_at, owner_id) from touches",
    )
    .fetch_all(&pool)
    .await
    .expect("days");
    assert_eq!(days, vec![(time::macros::date!(2026 - 07 - 06), true)]);

    // A second pass finds nothing to do.
    let again = scheduler.run_once(now).await.expect("a second pass");
    assert!(again.wrote_nothing(), "{again}");
    assert_eq!(touch_count(&pool).await, 70);

    // One of Nina's prospects: the first touch was done on Monday at 11:00 EDT and the
    // enrollment moved on, but the next touch was never written (a crash, a hand edit).
    // The next pass schedules it two business days after the touch was done.
    let done_at = datetime!(2026-07-06 15:00 UTC);
    let enrollment_id: i64 = sqlx::query_scalar(
        "with done as (
             update touches set status = 'done', completed_at = $1
             where id = (select min(id) from touches where owner_id = $2)
             returning enrollment_id
         )
         update enrollments set current_position = 2
         where id = (select enrollment_id from done) returning id",
    )
    .bind(done_at)
    .bind(nina)
    .fetch_one(&pool)
    .await
    .expect("complete a touch by hand");
    let report = scheduler.run_once(done_at).await.expect("a pass");
    assert_eq!(report.steps_scheduled, 1, "{report}");
    let (step_id, due_at): (i64, OffsetDateTime) = sqlx::query_as(
        "select step_id, due_at from touches where enrollment_id = $1 and status = 'pending'",
    )
    .bind(enrollment_id)
    .fetch_one(&pool)
    .await
    .expect("the second step's touch");
    assert_eq!(step_id, steps[1]);
    assert_eq!(
        due_at,
        datetime!(2026-07-08 13:00 UTC),
        "Wednesday 09:00 EDT"
    );
}

#[sqlx::test]
async fn an_enrollment_past_its_last_step_completes_with_an_event(pool: PgPool) {
    let Backlog { steps, .. } = backlog(&pool, 3).await;
    assert_eq!(steps.len(), 2);
    // One enrollment has done both steps (the last touch is closed) but is still active.
    let enrollment_id: i64 = sqlx::query_scalar(
        "update enrollments set current_position = 3 where id = (select min(id) from enrollments)
         returning id",
    )
    .fetch_one(&pool)
    .await
    .expect("move an enrollment past its last step");
    let now = datetime!(2026-07-10 12:00 UTC);

    let report = Scheduler::new(pool.clone())
        .run_once(now)
        .await
        .expect("a pass");
    assert_eq!(
        (report.steps_scheduled, report.enrollments_completed),
        (2, 1),
        "{report}"
    );
    let (status, ended_at): (String, Option<OffsetDateTime>) =
        sqlx::query_as("select status::text, ended_at from enrollments where id = $1")
            .bind(enrollment_id)
            .fetch_one(&pool)
            .await
            .expect("the enrollment");
    assert_eq!((status.as_str(), ended_at), ("completed", Some(now)));
    let events: Vec<(String, Option<i64>, OffsetDateTime)> = sqlx::query_as(
        "select kind, actor_id, occurred_at from prospect_events where enrollment_id = $1",
    )
    .bind(enrollment_id)
    .fetch_all(&pool)
    .await
    .expect("events");
    assert_eq!(events, vec![("enrollment_completed".into(), None, now)]);
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from touches where enrollment_id = (select min(id) from enrollments)"
        )
        .await,
        0,
        "a completed enrollment gets no touch"
    );

    // Completing is done once.
    let again = Scheduler::new(pool.clone())
        .run_once(now)
        .await
        .expect("a pass");
    assert!(again.wrote_nothing(), "{again}");
}

#[sqlx::test]
async fn snoozed_touches_wake_when_the_snooze_ends_and_not_before(pool: PgPool) {
    backlog(&pool, 2).await;
    let scheduler = Scheduler::new(pool.clone());
    scheduler
        .run_once(FRIDAY_EVENING)
        .await
        .expect("the first pass");
    let until = datetime!(2026-07-07 15:30 UTC);
    let snoozed: i64 = sqlx::query_scalar(
        "update touches set status = 'snoozed', snoozed_until = $1
         where id = (select min(id) from touches) returning id",
    )
    .bind(until)
    .fetch_one(&pool)
    .await
    .expect("snooze a touch");

    let before = scheduler
        .run_once(until - time::Duration::seconds(1))
        .await
        .expect("a pass before the snooze ends");
    assert!(before.wrote_nothing(), "{before}");
    let state = || async {
        sqlx::query_as::<_, (String, OffsetDateTime, Option<OffsetDateTime>)>(
            "select status::text, due_at, snoozed_until from touches where id = $1",
        )
        .bind(snoozed)
        .fetch_one(&pool)
        .await
        .expect("the touch")
    };
    assert_eq!(state().await.0, "snoozed");

    let at = scheduler.run_once(until).await.expect("a pass at the end");
    assert_eq!(at.snoozes_ended, 1, "{at}");
    assert_eq!(state().await, ("pending".into(), until, None));
    // The other touch, due on Monday, is overdue; the woken one is due only now.
    assert_eq!(at.overdue, 1, "{at}");
    assert_eq!(
        touch_count(&pool).await,
        2,
        "a snoozed touch is not rescheduled"
    );
}

#[sqlx::test]
async fn re_engage_touches_appear_as_their_date_arrives_and_only_once(pool: PgPool) {
    let pierre = user(
        &pool,
        "pierre@example.com",
        PARIS,
        time!(09:00),
        time!(17:30),
    )
    .await;
    let ids = prospects(&pool, pierre, 5).await;
    let on = date!(2026 - 07 - 10); // a Friday
    let set = |id: i64, interest: &'static str, dnc: bool, re_engage_on: Date| {
        let pool = pool.clone();
        async move {
            sqlx::query(
                "update prospects set interest = $2::interest_state, do_not_contact = $3,
                        re_engage_on = $4 where id = $1",
            )
            .bind(id)
            .bind(interest)
            .bind(dnc)
            .bind(re_engage_on)
            .execute(&pool)
            .await
            .expect("update a prospect");
        }
    };
    set(ids[0], "future", false, on).await;
    set(ids[1], "future", true, on).await; // do not contact
    set(ids[2], "none", false, on).await; // no interest any more
    set(ids[3], "future", false, date!(2026 - 06 - 10)).await; // long passed, never scheduled
    set(ids[4], "future", false, date!(2026 - 09 - 01)).await; // later

    let scheduler = Scheduler::new(pool.clone());
    let re_engages = || async {
        sqlx::query_as::<_, (i64, OffsetDateTime, String)>(
            "select prospect_id, due_at, status::text from touches where kind = 're_engage'
             order by prospect_id",
        )
        .fetch_all(&pool)
        .await
        .expect("re-engage touches")
    };

    // Two days before: only the date that has already passed.
    let early = scheduler
        .run_once(datetime!(2026-07-08 12:00 UTC))
        .await
        .expect("a pass");
    assert_eq!(early.re_engages_scheduled, 1, "{early}");
    assert_eq!(early.overdue, 1, "{early}");
    assert_eq!(
        re_engages().await,
        vec![(ids[3], datetime!(2026-06-10 07:00 UTC), "pending".into())]
    );

    // From midnight UTC the day before, the date's touch is on the way: 09:00 in Paris.
    let report = scheduler
        .run_once(datetime!(2026-07-09 00:00 UTC))
        .await
        .expect("a pass");
    assert_eq!(report.re_engages_scheduled, 1, "{report}");
    let expected = schedule::local_instant(
        on,
        time!(09:00),
        &hours(PARIS, time!(09:00), time!(17:30)).time_zone,
    );
    assert_eq!(expected, Some(datetime!(2026-07-10 07:00 UTC)));
    assert_eq!(
        re_engages().await,
        vec![
            (ids[0], datetime!(2026-07-10 07:00 UTC), "pending".into()),
            (ids[3], datetime!(2026-06-10 07:00 UTC), "pending".into()),
        ]
    );

    // Once: not again, and not after the rep has done it either.
    let again = scheduler
        .run_once(datetime!(2026-07-10 08:00 UTC))
        .await
        .expect("a pass");
    assert!(again.wrote_nothing(), "{again}");
    sqlx::query("update touches set status = 'done', completed_at = $1 where kind = 're_engage'")
        .bind(datetime!(2026-07-10 08:00 UTC))
        .execute(&pool)
        .await
        .expect("do the touches");
    let after_done = scheduler
        .run_once(datetime!(2026-07-10 09:00 UTC))
        .await
        .expect("a pass");
    assert!(after_done.wrote_nothing(), "{after_done}");
    assert_eq!(re_engages().await.len(), 2);
}

#[sqlx::test]
async fn the_next_wake_up_is_the_next_due_work(pool: PgPool) {
    // Indirectly, through `run`: a snooze ending three seconds from now wakes a scheduler
    // that has nothing else to do (its safety net is fifteen minutes away).
    backlog(&pool, 1).await;
    Scheduler::new(pool.clone())
        .run_once(OffsetDateTime::now_utc())
        .await
        .expect("the first pass");
    let until = OffsetDateTime::now_utc() + time::Duration::seconds(3);
    sqlx::query("update touches set status = 'snoozed', snoozed_until = $1")
        .bind(until)
        .execute(&pool)
        .await
        .expect("snooze");

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(Scheduler::new(pool.clone()).run(async move {
        let _ = stopped.await;
    }));
    wait_for(
        &pool,
        "the snooze to end",
        Duration::from_secs(10),
        |pool| async move {
            scalar(
                &pool,
                "select count(*) from touches where status = 'pending'",
            )
            .await
                == 1
        },
    )
    .await;
    assert!(OffsetDateTime::now_utc() >= until);
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the scheduler stops")
        .expect("the scheduler task");
}

// --- Concurrency ---------------------------------------------------------------------

/// A pool of its own, as another server instance would have.
async fn instance_pool(pool: &PgPool) -> PgPool {
    PgPoolOptions::new()
        .max_connections(2)
        .connect_with((*pool.connect_options()).clone())
        .await
        .expect("a second pool")
}

#[sqlx::test]
async fn three_schedulers_racing_create_every_touch_exactly_once(pool: PgPool) {
    let Backlog { .. } = backlog(&pool, 300).await;
    let pools = [
        instance_pool(&pool).await,
        instance_pool(&pool).await,
        instance_pool(&pool).await,
    ];
    // Small batches, so that the three really interleave.
    let [a, b, c] = pools
        .clone()
        .map(|pool| Scheduler::new(pool).with_batch(20));
    let now = FRIDAY_EVENING;
    let (ra, rb, rc) = tokio::join!(a.run_once(now), b.run_once(now), c.run_once(now));
    let reports: Vec<PassReport> = [ra, rb, rc]
        .into_iter()
        .map(|r| r.expect("no scheduler fails"))
        .collect();
    let scheduled: u64 = reports.iter().map(|r| r.steps_scheduled).sum();
    assert_eq!(scheduled, 300, "{reports:?}");
    assert_eq!(touch_count(&pool).await, 300);
    assert_eq!(duplicated_touches(&pool).await, 0);
    assert_eq!(enrollments_not_touched_once(&pool).await, 0);

    // The same race on snoozes ending: each touch wakes once.
    let until = FRIDAY_EVENING + time::Duration::days(1);
    sqlx::query("update touches set status = 'snoozed', snoozed_until = $1")
        .bind(until)
        .execute(&pool)
        .await
        .expect("snooze them all");
    let (ra, rb, rc) = tokio::join!(a.run_once(until), b.run_once(until), c.run_once(until));
    let woken: u64 = [ra, rb, rc]
        .into_iter()
        .map(|r| r.expect("no scheduler fails").snoozes_ended)
        .sum();
    assert_eq!(woken, 300);
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from touches where status = 'pending'"
        )
        .await,
        300
    );
    assert_eq!(touch_count(&pool).await, 300);

    for pool in pools {
        pool.close().await;
    }
}

#[sqlx::test]
async fn a_pass_skips_what_a_request_holds_instead_of_waiting_for_it(pool: PgPool) {
    backlog(&pool, 3).await;
    let held: i64 = sqlx::query_scalar("select min(id) from prospects")
        .fetch_one(&pool)
        .await
        .expect("a prospect");
    // A request working on one prospect locks it first, then its enrollment.
    let mut request = pool.begin().await.expect("a transaction");
    sqlx::query("select id from prospects where id = $1 for update")
        .bind(held)
        .execute(&mut *request)
        .await
        .expect("lock the prospect");

    let scheduler = Scheduler::new(pool.clone());
    let report = tokio::time::timeout(Duration::from_secs(5), scheduler.run_once(FRIDAY_EVENING))
        .await
        .expect("the pass does not wait for the request")
        .expect("a pass");
    assert_eq!(report.steps_scheduled, 2, "{report}");
    tokio::time::timeout(
        Duration::from_secs(5),
        sqlx::query("select id from enrollments where prospect_id = $1 for update")
            .bind(held)
            .execute(&mut *request),
    )
    .await
    .expect("the request does not wait for the scheduler")
    .expect("lock the enrollment");
    request.commit().await.expect("commit");

    let report = scheduler.run_once(FRIDAY_EVENING).await.expect("a pass");
    assert_eq!(
        report.steps_scheduled, 1,
        "the skipped one, next time: {report}"
    );
    assert_eq!(enrollments_not_touched_once(&pool).await, 0);
}

// --- The loop --------------------------------------------------------------------------

/// Polls `done` every 50 ms until it holds, failing after `limit`.
async fn wait_for<F, Fut>(pool: &PgPool, what: &str, limit: Duration, done: F)
where
    F: Fn(PgPool) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !done(pool.clone()).await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test]
async fn the_loop_wakes_on_notifications_and_survives_lost_connections(pool: PgPool) {
    let Backlog {
        rep, version_id, ..
    } = backlog(&pool, 10).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(Scheduler::new(pool.clone()).run(async move {
        let _ = stopped.await;
    }));
    let touches_reach = |n: i64| move |pool: PgPool| async move { touch_count(&pool).await == n };
    wait_for(
        &pool,
        "the first pass",
        Duration::from_secs(10),
        touches_reach(10),
    )
    .await;

    // Nothing is due for fifteen minutes: only the notification can wake it.
    prospects(&pool, rep, 5).await;
    let mut tx = pool.begin().await.expect("a transaction");
    sqlx::query(
        "insert into enrollments (prospect_id, cadence_id, version_id)
         select p.id, v.cadence_id, v.id from prospects p, cadence_versions v
         where v.id = $1 and not exists (select 1 from enrollments e where e.prospect_id = p.id)",
    )
    .bind(version_id)
    .execute(&mut *tx)
    .await
    .expect("a bulk enrollment");
    wakeup::notify(&mut *tx).await.expect("notify");
    tx.commit().await.expect("commit");
    wait_for(
        &pool,
        "the notified pass",
        Duration::from_secs(10),
        touches_reach(15),
    )
    .await;

    // The database drops every connection (as in a restart); the scheduler reconnects and
    // listens again, and work announced meanwhile is done.
    sqlx::query(
        "select pg_terminate_backend(pid) from pg_stat_activity
         where datname = current_database() and pid <> pg_backend_pid()",
    )
    .execute(&pool)
    .await
    .expect("terminate the other connections");
    prospects(&pool, rep, 5).await;
    enroll_everyone(&pool, version_id, OffsetDateTime::now_utc()).await;
    wakeup::notify(&pool).await.expect("notify");
    wait_for(
        &pool,
        "the pass after reconnecting",
        Duration::from_secs(20),
        touches_reach(20),
    )
    .await;

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("the scheduler stops on shutdown")
        .expect("the scheduler task");
    assert_eq!(enrollments_not_touched_once(&pool).await, 0);
}

// --- The binary --------------------------------------------------------------------------

const COOKIE_KEY: &str =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";

pub(crate) fn prospector(pool: &PgPool, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_prospector"));
    command
        .args(args)
        .env_clear()
        .env("PROSPECTOR_ENV", "production")
        .env("PROSPECTOR_COOKIE_KEY", COOKIE_KEY)
        .env("PROSPECTOR_ADDR", "127.0.0.1:0")
        .env(
            "DATABASE_URL",
            pool.connect_options().to_url_lossy().to_string(),
        )
        .env("RUST_LOG", "prospector=info");
    command
}

fn run(pool: &PgPool, args: &[&str]) -> Output {
    prospector(pool, args)
        .output()
        .expect("run the prospector binary")
}

/// A running `prospector` process, killed (if still running) and reaped when dropped, so
/// that a failing test leaves no process behind on a database about to be dropped.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn spawn(pool: &PgPool, args: &[&str]) -> Running {
    Running(
        prospector(pool, args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the prospector binary"),
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).expect("format a time")
}

#[sqlx::test]
async fn worker_once_runs_one_pass_at_the_given_time(pool: PgPool) {
    backlog(&pool, 1).await;
    let first = run(
        &pool,
        &["worker", "--once", "--at", &rfc3339(FRIDAY_EVENING)],
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("1 steps scheduled"),
        "{}",
        text(&first.stdout)
    );
    let until = datetime!(2026-07-07 15:30 UTC);
    sqlx::query("update touches set status = 'snoozed', snoozed_until = $1")
        .bind(until)
        .execute(&pool)
        .await
        .expect("snooze");

    let before = run(
        &pool,
        &["worker", "--once", "--at", "2026-07-07T11:29:59-04:00"],
    );
    assert!(before.status.success(), "{}", text(&before.stderr));
    assert_eq!(
        scalar(
            &pool,
            "select count(*) from touches where status = 'snoozed'"
        )
        .await,
        1
    );
    let at = run(
        &pool,
        &["worker", "--once", "--at", "2026-07-07T11:30:00-04:00"],
    );
    assert!(at.status.success(), "{}", text(&at.stderr));
    assert!(
        text(&at.stdout).contains("1 snoozes ended"),
        "{}",
        text(&at.stdout)
    );
    let due_at: OffsetDateTime =
        sqlx::query_scalar("select due_at from touches where status = 'pending'")
            .fetch_one(&pool)
            .await
            .expect("the woken touch");
    assert_eq!(due_at, until);

    let bad = run(&pool, &["worker", "--once", "--at", "next tuesday"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("RFC 3339"),
        "{}",
        text(&bad.stderr)
    );
    let without_once = run(&pool, &["worker", "--at", &rfc3339(FRIDAY_EVENING)]);
    assert!(!without_once.status.success());
    assert!(
        text(&without_once.stderr).contains("--once"),
        "{}",
        text(&without_once.stderr)
    );
}

const LARGE_BACKLOG: i32 = 20_000;

/// Starts the binary on a large backlog and returns once it has committed some batches,
/// with how many touches there were at that moment.
async fn started_on_backlog(pool: &PgPool, args: &[&str]) -> (Running, i64) {
    let child = spawn(pool, args);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let touches = touch_count(pool).await;
        if touches > 0 {
            return (child, touches);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the scheduler committed nothing within a minute"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Every touch of a committed batch or none: with one scheduler, batches are whole.
fn assert_whole_batches(touches: i64) {
    let batch = scheduler::DEFAULT_BATCH;
    assert!(
        touches % batch == 0 || touches == i64::from(LARGE_BACKLOG),
        "{touches} touches is not a whole number of batches of {batch}"
    );
}

#[sqlx::test]
async fn a_server_killed_mid_batch_loses_nothing_and_duplicates_nothing(pool: PgPool) {
    backlog(&pool, LARGE_BACKLOG).await;
    // The server runs the scheduler beside the web application.
    let (mut server, seen) = started_on_backlog(&pool, &["serve"]).await;
    server.0.kill().expect("SIGKILL the server");
    server.0.wait().expect("reap the server");
    let survived = touch_count(&pool).await;
    eprintln!("killed with {seen} touches seen, {survived} committed of {LARGE_BACKLOG}");
    assert_whole_batches(survived);
    assert_eq!(duplicated_touches(&pool).await, 0);

    let restart = run(&pool, &["worker", "--once"]);
    assert!(restart.status.success(), "{}", text(&restart.stderr));
    assert_eq!(touch_count(&pool).await, i64::from(LARGE_BACKLOG));
    assert_eq!(duplicated_touches(&pool).await, 0);
    assert_eq!(enrollments_not_touched_once(&pool).await, 0);
}

#[sqlx::test]
async fn a_worker_stops_on_sigterm_after_the_batch_in_hand(pool: PgPool) {
    backlog(&pool, LARGE_BACKLOG).await;
    let (mut worker, _) = started_on_backlog(&pool, &["worker"]).await;
    let signalled = Command::new("kill")
        .args(["-TERM", &worker.0.id().to_string()])
        .status()
        .expect("run kill");
    assert!(signalled.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = worker.0.try_wait().expect("poll the worker") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker did not stop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "the worker exits cleanly: {status}");
    assert_whole_batches(touch_count(&pool).await);
    assert_eq!(duplicated_touches(&pool).await, 0);

    let restart = run(&pool, &["worker", "--once"]);
    assert!(restart.status.success(), "{}", text(&restart.stderr));
    assert_eq!(enrollments_not_touched_once(&pool).await, 0);
}
