//! Prospecting as a process: decisions enroll prospects, touches are worked from Today and
//! work mode, each done step schedules the next on the right business day, and the
//! dead-ends list shows exactly the prospects the process has dropped.

use prospector::{
    cadences::{
        Purpose,
        db::{CadenceInput, StepInput, create},
    },
    interactions::Channel,
    schedule::{WorkingHours, due_at},
    scheduler::Scheduler,
    users::Role,
};
use reqwest::StatusCode;
use sqlx::PgPool;
use time::{Date, Duration, OffsetDateTime, macros::time};

use crate::support::{TestApp, TestClient, TestResponse, set_field};

const REP: &str = "rita@example.com";
const OTHER_REP: &str = "sam@example.com";
const MANAGER: &str = "maya@example.com";

struct World {
    app: TestApp,
    rep: i64,
    client: TestClient,
    prospect: i64,
}

fn step(channel: Channel, delay: i16) -> StepInput {
    StepInput {
        channel,
        delay_business_days: delay,
        window: None,
        instructions: format!("{} after {delay} business days", channel.label()),
        template: "Hi {{first_name}}, this is {{owner_first_name}}.".into(),
    }
}

/// A team with a rep (signed in), a manager and another rep; default pursue (call, email
/// +2, call +3) and nurture (email +20, call +30) cadences; one prospect of the rep's.
async fn world(pool: PgPool) -> World {
    let app = TestApp::spawn(pool).await;
    let team = app.create_team("North").await;
    let rep = app
        .create_user(REP, "Rita Rep", Role::Rep, Some(team))
        .await;
    app.create_user(MANAGER, "Maya Manager", Role::Manager, Some(team))
        .await;
    app.create_user(OTHER_REP, "Sam South", Role::Rep, None)
        .await;
    let mut conn = app.db.acquire().await.unwrap();
    for (name, purpose, steps) in [
        (
            "Pursue",
            Purpose::Pursue,
            vec![
                step(Channel::Call, 0),
                step(Channel::Email, 2),
                step(Channel::Call, 3),
            ],
        ),
        (
            "Nurture",
            Purpose::Nurture,
            vec![step(Channel::Email, 20), step(Channel::Call, 30)],
        ),
    ] {
        let input = CadenceInput {
            name: name.into(),
            purpose,
            description: String::new(),
            is_default: true,
            steps,
        };
        create(&mut conn, rep, &input).await.unwrap();
    }
    drop(conn);
    let prospect = app
        .create_prospect(rep, "Ada", "Lovelace", Some("ada@example.org"))
        .await;
    let client = app.signed_in(REP).await;
    World {
        app,
        rep,
        client,
        prospect,
    }
}

fn utc_hours() -> WorkingHours {
    WorkingHours::new("UTC", time!(9:00), time!(17:30)).unwrap()
}

async fn log(w: &World, changes: &[(&str, &str)]) -> TestResponse {
    let page = w.client.get(&format!("/prospects/{}", w.prospect)).await;
    let mut form = page.form_values("form#log");
    for (name, value) in changes {
        set_field(&mut form, name, value);
    }
    let response = w
        .client
        .post_form(&format!("/prospects/{}/interactions", w.prospect), &form)
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    response
}

/// (id, kind, channel, status, due_at, cadence name) of the prospect's touches, oldest first.
async fn touches(w: &World) -> Vec<(i64, String, String, String, OffsetDateTime, Option<String>)> {
    sqlx::query_as(
        "select t.id, t.kind::text, t.channel::text, t.status::text, t.due_at, c.name
         from touches t left join enrollments e on e.id = t.enrollment_id
         left join cadences c on c.id = e.cadence_id
         where t.prospect_id = $1 order by t.id",
    )
    .bind(w.prospect)
    .fetch_all(&w.app.db)
    .await
    .unwrap()
}

async fn live_cadence(w: &World) -> Option<(String, String)> {
    sqlx::query_as(
        "select c.name, e.status::text from enrollments e join cadences c on c.id = e.cadence_id
         where e.prospect_id = $1 and e.status in ('active', 'paused')",
    )
    .bind(w.prospect)
    .fetch_optional(&w.app.db)
    .await
    .unwrap()
}

async fn last_occurred_at(w: &World) -> OffsetDateTime {
    sqlx::query_scalar("select max(occurred_at) from interactions where prospect_id = $1")
        .bind(w.prospect)
        .fetch_one(&w.app.db)
        .await
        .unwrap()
}

fn date_input(date: Date) -> String {
    date.to_string()
}

#[sqlx::test]
async fn current_interest_enrolls_in_pursue_and_each_done_step_schedules_the_next(pool: PgPool) {
    let w = world(pool).await;
    log(
        &w,
        &[("outcome", "meeting_booked"), ("decision", "current")],
    )
    .await;
    assert_eq!(
        live_cadence(&w).await,
        Some(("Pursue".into(), "active".into()))
    );
    let first = touches(&w).await;
    assert_eq!(first.len(), 1);
    let done_at = last_occurred_at(&w).await;
    assert_eq!(first[0].4, due_at(done_at, 0, &utc_hours(), None));

    // Work it from work mode: the next step is due 2 business days after it was done.
    let work = w
        .client
        .get(&format!("/today/work?touch={}", first[0].0))
        .await;
    assert_eq!(work.status, StatusCode::OK, "{}", work.body);
    assert!(work.body.contains("Step 1 of 3"), "{}", work.body);
    assert!(work.body.contains("Hi Ada, this is Rita."));
    let mut form = work.form_values("form#log");
    set_field(&mut form, "outcome", "connected");
    let response = w
        .client
        .post_form(&format!("/touches/{}/complete", first[0].0), &form)
        .await;
    assert_eq!(response.location(), Some("/today/work"));
    let after = touches(&w).await;
    assert_eq!(after[0].3, "done");
    assert_eq!(after.len(), 2);
    let done_at = last_occurred_at(&w).await;
    assert_eq!(
        (after[1].2.as_str(), after[1].3.as_str()),
        ("email", "pending")
    );
    assert_eq!(after[1].4, due_at(done_at, 2, &utc_hours(), None));

    // The same touch cannot be completed twice.
    let again = w
        .client
        .post_form(&format!("/touches/{}/complete", first[0].0), &form)
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(touches(&w).await.len(), 2);
}

#[sqlx::test]
async fn future_interest_nurtures_and_re_engages_on_the_chosen_date(pool: PgPool) {
    let w = world(pool).await;
    let on = OffsetDateTime::now_utc().date() + Duration::days(40);
    log(
        &w,
        &[
            ("outcome", "connected"),
            ("decision", "future"),
            ("re_engage_on", &date_input(on)),
        ],
    )
    .await;
    assert_eq!(
        live_cadence(&w).await,
        Some(("Nurture".into(), "active".into()))
    );
    let all = touches(&w).await;
    let re_engage: Vec<_> = all.iter().filter(|t| t.1 == "re_engage").collect();
    assert_eq!(re_engage.len(), 1);
    assert_eq!(re_engage[0].4, on.with_time(time!(9:00)).assume_utc());
    assert!(all.iter().any(|t| t.1 == "step" && t.2 == "email"));

    // A reply while nurtured moves the prospect back to pursuing.
    log(&w, &[("outcome", "replied"), ("channel", "email")]).await;
    assert_eq!(
        live_cadence(&w).await,
        Some(("Pursue".into(), "active".into()))
    );
    let nurture_steps_open = touches(&w)
        .await
        .iter()
        .filter(|t| t.5.as_deref() == Some("Nurture") && t.3 == "pending")
        .count();
    assert_eq!(nurture_steps_open, 0);
}

#[sqlx::test]
async fn no_interest_exits_everything_and_is_not_a_dead_end(pool: PgPool) {
    let w = world(pool).await;
    log(&w, &[("outcome", "connected"), ("decision", "current")]).await;
    log(
        &w,
        &[
            ("outcome", "not_interested"),
            ("decision", "none"),
            ("no_interest_reason", "Signed with a competitor"),
        ],
    )
    .await;
    assert_eq!(live_cadence(&w).await, None);
    assert!(touches(&w).await.iter().all(|t| t.3 != "pending"));
    let dead_ends = w.client.get("/dead-ends").await;
    assert!(
        !dead_ends.body.contains("Ada Lovelace"),
        "{}",
        dead_ends.body
    );
}

#[sqlx::test]
async fn skipping_the_last_step_leaves_a_dead_end_that_one_click_resolves(pool: PgPool) {
    let w = world(pool).await;
    // A new prospect never enrolled is a dead end.
    let dead = w.client.get("/dead-ends").await;
    assert!(dead.body.contains("Ada Lovelace") && dead.body.contains("Never enrolled"));

    log(&w, &[("outcome", "connected"), ("decision", "current")]).await;
    let dead = w.client.get("/dead-ends").await;
    assert!(!dead.body.contains("Ada Lovelace"));

    // Skip every step: the cadence finishes with nothing after it.
    for _ in 0..3 {
        let open = touches(&w)
            .await
            .into_iter()
            .find(|t| t.3 == "pending")
            .unwrap();
        w.client.get("/today").await;
        let response = w
            .client
            .post_form(
                &format!("/touches/{}/skip", open.0),
                &[("reason", "Out of office")],
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
    }
    assert_eq!(live_cadence(&w).await, None);
    let dead = w.client.get("/dead-ends").await;
    assert!(dead.body.contains("Ada Lovelace"), "{}", dead.body);
    assert!(dead.body.contains("skipped"), "{}", dead.body);

    // One click: enroll in the default cadence for the prospect's interest.
    let response = w
        .client
        .post_form(
            &format!("/prospects/{}/enroll", w.prospect),
            &[("next", "/dead-ends")],
        )
        .await;
    assert_eq!(response.location(), Some("/dead-ends"));
    assert_eq!(
        live_cadence(&w).await,
        Some(("Pursue".into(), "active".into()))
    );
    assert!(
        !w.client
            .get("/dead-ends")
            .await
            .body
            .contains("Ada Lovelace")
    );

    // Or record why there is no next step: then it is a decision, not a dead end.
    let other = w
        .app
        .create_prospect(w.rep, "Grace", "Hopper", Some("grace@example.org"))
        .await;
    assert!(
        w.client
            .get("/dead-ends")
            .await
            .body
            .contains("Grace Hopper")
    );
    w.client
        .post_form(
            &format!("/prospects/{other}/no-next-step"),
            &[("reason", "Waiting for the merger to close")],
        )
        .await;
    assert!(
        !w.client
            .get("/dead-ends")
            .await
            .body
            .contains("Grace Hopper")
    );
}

#[sqlx::test]
async fn a_snoozed_touch_leaves_today_and_the_scheduler_brings_it_back(pool: PgPool) {
    let w = world(pool).await;
    log(&w, &[("outcome", "connected"), ("decision", "current")]).await;
    let touch = touches(&w).await[0].clone();
    let until = OffsetDateTime::now_utc().date() + Duration::days(3);
    w.client.get("/today").await;
    let response = w
        .client
        .post_form(
            &format!("/touches/{}/snooze", touch.0),
            &[("until", date_input(until).as_str())],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert!(
        !w.client
            .get("/today")
            .await
            .body
            .contains(&format!("touch-{}", touch.0))
    );

    let scheduler = Scheduler::new(w.app.db.clone());
    let wake = until.with_time(time!(9:00)).assume_utc();
    scheduler
        .run_once(wake - Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(touches(&w).await[0].3, "snoozed");
    scheduler.run_once(wake).await.unwrap();
    let woken = touches(&w).await[0].clone();
    assert_eq!((woken.3.as_str(), woken.4), ("pending", wake));

    // A snooze to today or the past is refused, next to the field, with the date kept.
    let today = date_input(OffsetDateTime::now_utc().date());
    let response = w
        .client
        .post_form(
            &format!("/touches/{}/snooze", touch.0),
            &[("until", today.as_str())],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text(".has-error .field-error")
            .unwrap()
            .contains("after today")
    );
    assert_eq!(
        response.field_value("until").as_deref(),
        Some(today.as_str())
    );
    // And a skip needs its reason.
    let response = w
        .client
        .post_form(&format!("/touches/{}/skip", touch.0), &[("reason", "  ")])
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(touches(&w).await[0].3, "pending");
}

#[sqlx::test]
async fn bad_data_pauses_and_flags_until_fixed(pool: PgPool) {
    let w = world(pool).await;
    log(&w, &[("outcome", "connected"), ("decision", "current")]).await;
    log(&w, &[("outcome", "bad_data"), ("channel", "email")]).await;
    assert_eq!(
        live_cadence(&w).await,
        Some(("Pursue".into(), "paused".into()))
    );
    assert!(touches(&w).await.iter().all(|t| t.3 != "pending"));
    let flagged: bool = sqlx::query_scalar("select data_flagged from prospects where id = $1")
        .bind(w.prospect)
        .fetch_one(&w.app.db)
        .await
        .unwrap();
    assert!(flagged);

    w.client.get(&format!("/prospects/{}", w.prospect)).await;
    w.client
        .post_form(
            &format!("/prospects/{}/data-fixed", w.prospect),
            &[("x", "")],
        )
        .await;
    assert_eq!(
        live_cadence(&w).await,
        Some(("Pursue".into(), "active".into()))
    );
    assert_eq!(
        touches(&w)
            .await
            .iter()
            .filter(|t| t.3 == "pending")
            .count(),
        1
    );
}

#[sqlx::test]
async fn today_lists_overdue_first_and_managers_see_their_reps_queues(pool: PgPool) {
    let w = world(pool).await;
    log(&w, &[("outcome", "connected"), ("decision", "current")]).await;
    let touch = touches(&w).await[0].0;
    sqlx::query("update touches set due_at = now() - interval '3 days' where id = $1")
        .bind(touch)
        .execute(&w.app.db)
        .await
        .unwrap();
    let today = w.client.get("/today").await;
    assert_eq!(today.status, StatusCode::OK);
    let first_group = today.text(".day-group .card-title").unwrap();
    assert!(first_group.starts_with("Overdue"), "{first_group}");
    assert!(today.exists(&format!("#touch-{touch}")));

    let manager = w.app.signed_in(MANAGER).await;
    let queue = manager.get(&format!("/today?rep={}", w.rep)).await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.exists(&format!("#touch-{touch}")));

    let stranger = w.app.signed_in(OTHER_REP).await;
    assert_eq!(
        stranger.get(&format!("/today?rep={}", w.rep)).await.status,
        StatusCode::NOT_FOUND
    );
    // Nor can another rep work or skip the touch.
    stranger.get("/today").await;
    let response = stranger
        .post_form(&format!("/touches/{touch}/skip"), &[("reason", "mine now")])
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn a_filtered_list_is_enrolled_at_once_and_the_scheduler_schedules_it(pool: PgPool) {
    let w = world(pool).await;
    for n in 0..5 {
        let id = w
            .app
            .create_prospect(w.rep, "Bulk", &format!("Person{n}"), None)
            .await;
        sqlx::query("update prospects set tags = '{fintech}' where id = $1")
            .bind(id)
            .execute(&w.app.db)
            .await
            .unwrap();
    }
    let pursue: i64 = sqlx::query_scalar("select id from cadences where name = 'Pursue'")
        .fetch_one(&w.app.db)
        .await
        .unwrap();
    w.client.get("/prospects?tag=fintech").await;
    let response = w
        .client
        .post_form(
            "/prospects/enroll",
            &[
                ("cadence_id", pursue.to_string().as_str()),
                ("tag", "fintech"),
            ],
        )
        .await;
    assert_eq!(response.location(), Some("/prospects?tag=fintech"));
    let enrolled: i64 = sqlx::query_scalar(
        "select count(*) from enrollments e join prospects p on p.id = e.prospect_id
         where 'fintech' = any(p.tags) and e.status = 'active'",
    )
    .fetch_one(&w.app.db)
    .await
    .unwrap();
    assert_eq!(enrolled, 5);

    Scheduler::new(w.app.db.clone())
        .run_once(OffsetDateTime::now_utc())
        .await
        .unwrap();
    let scheduled: i64 = sqlx::query_scalar(
        "select count(*) from touches t join prospects p on p.id = t.prospect_id
         where 'fintech' = any(p.tags) and t.status = 'pending'",
    )
    .fetch_one(&w.app.db)
    .await
    .unwrap();
    assert_eq!(scheduled, 5);
}

#[sqlx::test]
async fn marking_do_not_contact_on_the_form_stops_the_cadence(pool: PgPool) {
    let w = world(pool).await;
    log(&w, &[("outcome", "connected"), ("decision", "current")]).await;
    assert!(live_cadence(&w).await.is_some());
    let edit = w
        .client
        .get(&format!("/prospects/{}/edit", w.prospect))
        .await;
    let mut form = edit.form_values("form.form");
    set_field(&mut form, "do_not_contact", "on");
    let response = w
        .client
        .post_form(&format!("/prospects/{}", w.prospect), &form)
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(live_cadence(&w).await, None);
    assert!(touches(&w).await.iter().all(|t| t.3 != "pending"));
    // And a do-not-contact prospect cannot be enrolled again.
    w.client.get(&format!("/prospects/{}", w.prospect)).await;
    w.client
        .post_form(&format!("/prospects/{}/enroll", w.prospect), &[("x", "")])
        .await;
    assert_eq!(live_cadence(&w).await, None);
}

#[sqlx::test]
async fn pausing_or_leaving_a_cadence_needs_a_reason(pool: PgPool) {
    let w = world(pool).await;
    log(&w, &[("outcome", "connected"), ("decision", "current")]).await;
    for action in ["pause", "exit"] {
        w.client.get(&format!("/prospects/{}", w.prospect)).await;
        let response = w
            .client
            .post_form(
                &format!("/prospects/{}/enrollment/{action}", w.prospect),
                &[("reason", "   ")],
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        let page = w.client.get(&format!("/prospects/{}", w.prospect)).await;
        assert!(
            page.text(".flash-error")
                .unwrap()
                .contains("at most 500 characters")
        );
        assert_eq!(
            live_cadence(&w).await,
            Some(("Pursue".into(), "active".into()))
        );
    }
    w.client
        .post_form(
            &format!("/prospects/{}/enrollment/pause", w.prospect),
            &[("reason", "On parental leave until March")],
        )
        .await;
    assert_eq!(
        live_cadence(&w).await,
        Some(("Pursue".into(), "paused".into()))
    );
}
