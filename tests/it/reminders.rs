//! Reminders against real PostgreSQL, at clocks the tests choose: the morning agenda's
//! content and its local send time across zones, once per day however many schedulers,
//! the overdue nudge, the manager's weekly summary from a hand-built week, the preferences
//! page, and the links in the emails surviving a sign-in.

use prospector::{
    reminders::{self, ReminderReport},
    scheduler::Scheduler,
    users::Role,
};
use reqwest::{StatusCode, Url};
use sqlx::PgPool;
use time::{
    Date, OffsetDateTime,
    macros::{date, datetime},
};

use crate::support::TestApp;

const NEW_YORK: &str = "America/New_York";
const TOKYO: &str = "Asia/Tokyo";
const PARIS: &str = "Europe/Paris";
const BASE: &str = "https://prospector.example.com/";
const PREFERENCES: &str = "https://prospector.example.com/settings/reminders";

/// Wednesday 2026-07-01, 07:30 in New York (EDT, UTC-4).
const NY_WEDNESDAY_MORNING: OffsetDateTime = datetime!(2026-07-01 11:30 UTC);

fn base() -> Url {
    Url::parse(BASE).expect("a valid base URL")
}

// --- Seeding -------------------------------------------------------------------------

async fn user(
    pool: &PgPool,
    email: &str,
    name: &str,
    role: &str,
    zone: &str,
    team: Option<i64>,
) -> i64 {
    sqlx::query_scalar(
        "insert into users (email, name, role, time_zone, team_id)
         values ($1, $2, $3::user_role, $4, $5) returning id",
    )
    .bind(email)
    .bind(name)
    .bind(role)
    .bind(zone)
    .bind(team)
    .fetch_one(pool)
    .await
    .expect("insert a user")
}

async fn rep(pool: &PgPool, email: &str, zone: &str) -> i64 {
    let name = email.split('@').next().unwrap_or(email);
    user(pool, email, &format!("{name} Rep"), "rep", zone, None).await
}

async fn team(pool: &PgPool, name: &str) -> i64 {
    sqlx::query_scalar("insert into teams (name) values ($1) returning id")
        .bind(name)
        .fetch_one(pool)
        .await
        .expect("insert a team")
}

async fn prospect(pool: &PgPool, owner: i64, first: &str, last: &str, interest: &str) -> i64 {
    sqlx::query_scalar(
        "insert into prospects (owner_id, first_name, last_name, interest)
         values ($1, $2, $3, $4::interest_state) returning id",
    )
    .bind(owner)
    .bind(first)
    .bind(last)
    .bind(interest)
    .fetch_one(pool)
    .await
    .expect("insert a prospect")
}

async fn account_for(pool: &PgPool, prospect: i64, owner: i64, name: &str) {
    sqlx::query(
        "with a as (insert into accounts (owner_id, name) values ($1, $2) returning id)
         update prospects set account_id = (select id from a) where id = $3",
    )
    .bind(owner)
    .bind(name)
    .bind(prospect)
    .execute(pool)
    .await
    .expect("insert an account");
}

async fn re_engage_on(pool: &PgPool, prospect: i64, on: Date) {
    sqlx::query("update prospects set re_engage_on = $2 where id = $1")
        .bind(prospect)
        .bind(on)
        .execute(pool)
        .await
        .expect("set the re-engage date");
}

/// A pending touch for the prospect's owner (of the re-engage kind, which needs no
/// cadence) due at `due_at`.
async fn touch(pool: &PgPool, prospect: i64, channel: &str, due_at: OffsetDateTime) -> i64 {
    touch_in(pool, prospect, channel, due_at, "pending").await
}

/// A touch in `status` (a snoozed one sleeps three days past `due_at`).
async fn touch_in(
    pool: &PgPool,
    prospect: i64,
    channel: &str,
    due_at: OffsetDateTime,
    status: &str,
) -> i64 {
    sqlx::query_scalar(
        "insert into touches (prospect_id, owner_id, kind, channel, due_at, status, snoozed_until)
         select p.id, p.owner_id, 're_engage', $2::interaction_channel, $3, $4::touch_status,
                case when $4 = 'snoozed' then $3 + interval '3 days' end
         from prospects p where p.id = $1
         returning id",
    )
    .bind(prospect)
    .bind(channel)
    .bind(due_at)
    .bind(status)
    .fetch_one(pool)
    .await
    .expect("insert a touch")
}

async fn set(pool: &PgPool, user: i64, assignment: &str) {
    sqlx::query(&format!("update users set {assignment} where id = $1"))
        .bind(user)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("{assignment}: {e}"));
}

// --- Reading -------------------------------------------------------------------------

#[derive(Debug, Clone, sqlx::FromRow)]
struct Mail {
    key: String,
    kind: String,
    user_id: Option<i64>,
    to: String,
    subject: String,
    text: String,
    html: String,
}

async fn outbox(pool: &PgPool, kind: &str) -> Vec<Mail> {
    sqlx::query_as(
        r#"select idempotency_key as key, kind, user_id, to_address as "to", subject,
                  body_text as text, body_html as html
           from mail_outbox where kind = $1 order by id"#,
    )
    .bind(kind)
    .fetch_all(pool)
    .await
    .expect("read the outbox")
}

async fn run(pool: &PgPool, now: OffsetDateTime) -> ReminderReport {
    reminders::run_due(pool, now, &base())
        .await
        .expect("a reminders pass")
}

/// What every reminder email must be: a one-line subject, a text and an HTML body that
/// say the same thing, and the link to the preferences page in both.
fn assert_well_formed(mail: &Mail) {
    assert!(
        !mail.subject.is_empty() && !mail.subject.contains('\n'),
        "{mail:?}"
    );
    assert!(
        mail.text.contains(PREFERENCES),
        "text without the preferences link: {}",
        mail.text
    );
    assert!(
        mail.html.contains(&format!("href=\"{PREFERENCES}\"")),
        "HTML without the preferences link: {}",
        mail.html
    );
    assert!(
        mail.html.trim_start().starts_with("<!doctype html>"),
        "{}",
        mail.html
    );
    assert!(
        !mail.text.contains('<'),
        "HTML in the text body: {}",
        mail.text
    );
}

fn href(path: &str) -> String {
    format!("href=\"https://prospector.example.com{path}\"")
}

fn link(path: &str) -> String {
    format!("https://prospector.example.com{path}")
}

// --- The morning agenda --------------------------------------------------------------

#[sqlx::test]
async fn the_agenda_lists_overdue_and_todays_touches_and_this_weeks_re_engagements(pool: PgPool) {
    let nina = rep(&pool, "nina@example.com", NEW_YORK).await;
    let other = rep(&pool, "omar@example.com", NEW_YORK).await;
    let ada = prospect(&pool, nina, "Ada", "Lovelace", "current").await;
    account_for(&pool, ada, nina, "Analytical Engines").await;
    let bob = prospect(&pool, nina, "Bob", "Babbage", "current").await;
    let cy = prospect(&pool, nina, "Cy", "Later", "current").await;
    // Monday 10:00 in New York: overdue.
    let overdue = touch(&pool, ada, "call", datetime!(2026-06-29 14:00 UTC)).await;
    // Today 14:00 in New York.
    let today = touch(&pool, bob, "email", datetime!(2026-07-01 18:00 UTC)).await;
    // Today 23:30 in New York, already Thursday in UTC: still today's.
    let late = touch(&pool, cy, "linkedin", datetime!(2026-07-02 03:30 UTC)).await;
    // Not on the agenda: tomorrow's, a done one, a snoozed one, another rep's.
    let tomorrow = touch(&pool, cy, "call", datetime!(2026-07-02 14:00 UTC)).await;
    let done = touch_in(&pool, bob, "call", datetime!(2026-06-30 14:00 UTC), "done").await;
    let snoozed = touch_in(
        &pool,
        ada,
        "call",
        datetime!(2026-06-30 15:00 UTC),
        "snoozed",
    )
    .await;
    let theirs = prospect(&pool, other, "Zed", "Other", "current").await;
    let not_mine = touch(&pool, theirs, "call", datetime!(2026-06-30 14:00 UTC)).await;
    // Future interest: this week (Monday to Sunday) is on it, next Monday is not.
    let monday = prospect(&pool, nina, "Mona", "Monday", "future").await;
    re_engage_on(&pool, monday, date!(2026 - 06 - 29)).await;
    let sunday = prospect(&pool, nina, "Sunny", "Sunday", "future").await;
    re_engage_on(&pool, sunday, date!(2026 - 07 - 05)).await;
    let next_week = prospect(&pool, nina, "Nex", "Week", "future").await;
    re_engage_on(&pool, next_week, date!(2026 - 07 - 06)).await;
    let gone = prospect(&pool, nina, "Dee", "Nocontact", "future").await;
    re_engage_on(&pool, gone, date!(2026 - 07 - 02)).await;
    sqlx::query("update prospects set do_not_contact = true where id = $1")
        .bind(gone)
        .execute(&pool)
        .await
        .unwrap();

    let report = run(&pool, NY_WEDNESDAY_MORNING).await;
    assert_eq!(report.agendas, 2, "Nina's and Omar's: {report}");

    let mails = outbox(&pool, "agenda").await;
    let nina_mails: Vec<_> = mails.iter().filter(|m| m.user_id == Some(nina)).collect();
    assert_eq!(nina_mails.len(), 1, "{mails:?}");
    let mail = nina_mails[0];
    assert_well_formed(mail);
    assert_eq!(mail.key, format!("agenda:{nina}:2026-07-01"));
    assert_eq!(mail.kind, "agenda");
    assert_eq!(mail.to, "nina@example.com");
    assert_eq!(
        mail.subject,
        "Your agenda for Wed 1 Jul: 1 overdue, 2 due today, 2 to re-engage"
    );

    let text = &mail.text;
    assert!(
        text.contains("Here is your agenda for Wednesday 1 July"),
        "{text}"
    );
    assert!(text.contains("Overdue: 1 touch"), "{text}");
    assert!(
        text.contains("- Call: Ada Lovelace (Analytical Engines), due Mon 29 Jun 2026, 10:00."),
        "{text}"
    );
    assert!(text.contains("Due today: 2 touches"), "{text}");
    assert!(text.contains("- 14:00 Email: Bob Babbage."), "{text}");
    assert!(text.contains("- 23:30 LinkedIn: Cy Later."), "{text}");
    assert!(
        text.contains("To re-engage this week (29 Jun – 5 Jul): 2 prospects"),
        "{text}"
    );
    assert!(text.contains("- Mon 29 Jun: Mona Monday"), "{text}");
    assert!(text.contains("- Sun 5 Jul: Sunny Sunday"), "{text}");
    for listed in [overdue, today, late] {
        let path = format!("/today/work?touch={listed}");
        assert!(text.contains(&link(&path)), "{path} missing from {text}");
        assert!(
            mail.html.contains(&href(&path)),
            "{path} missing from {}",
            mail.html
        );
    }
    for prospect in [monday, sunday] {
        let path = format!("/prospects/{prospect}");
        assert!(text.contains(&link(&path)), "{path} missing from {text}");
        assert!(
            mail.html.contains(&href(&path)),
            "{path} missing from {}",
            mail.html
        );
    }
    for absent in [tomorrow, done, snoozed, not_mine] {
        let path = format!("touch={absent}\n");
        assert!(
            !text.contains(&path),
            "touch {absent} should not be listed: {text}"
        );
        assert!(
            !mail.html.contains(&format!("touch={absent}\"")),
            "{}",
            mail.html
        );
    }
    for absent in ["Nex Week", "Dee Nocontact", "Zed Other"] {
        assert!(
            !text.contains(absent) && !mail.html.contains(absent),
            "{absent}: {text}"
        );
    }
    // The HTML says the same, escaped.
    assert!(
        mail.html.contains("Ada Lovelace</a> (Analytical Engines)"),
        "{}",
        mail.html
    );
}

#[sqlx::test]
async fn names_are_escaped_in_the_html_and_kept_in_the_text(pool: PgPool) {
    let nina = rep(&pool, "nina@example.com", NEW_YORK).await;
    let p = prospect(&pool, nina, "<b>Eve</b>", "O'Hara & Co", "current").await;
    touch(&pool, p, "call", datetime!(2026-07-01 18:00 UTC)).await;
    run(&pool, NY_WEDNESDAY_MORNING).await;
    let mail = &outbox(&pool, "agenda").await[0];
    assert!(
        mail.text.contains("<b>Eve</b> O'Hara & Co"),
        "{}",
        mail.text
    );
    assert!(!mail.html.contains("<b>Eve</b>"), "{}", mail.html);
    assert!(
        mail.html.contains("&#60;b&#62;Eve&#60;/b&#62;"),
        "{}",
        mail.html
    );
}

#[sqlx::test]
async fn the_agenda_goes_out_at_each_reps_local_morning_and_not_before(pool: PgPool) {
    let nina = rep(&pool, "nina@example.com", NEW_YORK).await;
    let taro = rep(&pool, "taro@example.com", TOKYO).await;
    // Each has a touch due on their Wednesday 1 July.
    let p = prospect(&pool, nina, "Ada", "Lovelace", "current").await;
    touch(&pool, p, "call", datetime!(2026-07-01 18:00 UTC)).await;
    let q = prospect(&pool, taro, "Kenji", "Sato", "current").await;
    touch(&pool, q, "call", datetime!(2026-07-01 05:00 UTC)).await;

    let keys = |pool: PgPool| async move {
        outbox(&pool, "agenda")
            .await
            .into_iter()
            .map(|m| m.key)
            .collect::<Vec<_>>()
    };

    // Tuesday 22:29:59 UTC: 07:29:59 on Wednesday in Tokyo, Tuesday evening in New York.
    assert_eq!(
        run(&pool, datetime!(2026-06-30 22:29:59 UTC)).await.agendas,
        0
    );
    // The scheduler would wake for Tokyo's hour.
    assert_eq!(
        reminders::next_due(&pool, datetime!(2026-06-30 22:29:59 UTC))
            .await
            .unwrap(),
        Some(datetime!(2026-06-30 22:30 UTC))
    );
    // 07:30 in Tokyo.
    assert_eq!(run(&pool, datetime!(2026-06-30 22:30 UTC)).await.agendas, 1);
    assert_eq!(
        keys(pool.clone()).await,
        [format!("agenda:{taro}:2026-07-01")]
    );
    // 07:29 in New York: not yet.
    assert_eq!(run(&pool, datetime!(2026-07-01 11:29 UTC)).await.agendas, 0);
    assert_eq!(
        reminders::next_due(&pool, datetime!(2026-07-01 11:29 UTC))
            .await
            .unwrap(),
        Some(NY_WEDNESDAY_MORNING)
    );
    // 07:30 in New York.
    assert_eq!(run(&pool, NY_WEDNESDAY_MORNING).await.agendas, 1);
    assert_eq!(
        keys(pool.clone()).await,
        [
            format!("agenda:{taro}:2026-07-01"),
            format!("agenda:{nina}:2026-07-01")
        ]
    );

    // A later hour, chosen on the preferences page, is honoured the next day.
    set(&pool, nina, "agenda_time = '09:15'").await;
    let r = prospect(&pool, nina, "Bo", "Thursday", "current").await;
    touch(&pool, r, "call", datetime!(2026-07-02 18:00 UTC)).await;
    assert_eq!(run(&pool, datetime!(2026-07-02 13:14 UTC)).await.agendas, 0);
    assert_eq!(run(&pool, datetime!(2026-07-02 13:15 UTC)).await.agendas, 1);
}

#[sqlx::test]
async fn no_agenda_on_the_weekend_and_none_late_in_the_day(pool: PgPool) {
    let nina = rep(&pool, "nina@example.com", NEW_YORK).await;
    let p = prospect(&pool, nina, "Ada", "Lovelace", "current").await;
    // Overdue all weekend long.
    touch(&pool, p, "call", datetime!(2026-07-02 14:00 UTC)).await;

    // Saturday and Sunday, 07:30 and noon in New York.
    for now in [
        datetime!(2026-07-04 11:30 UTC),
        datetime!(2026-07-04 16:00 UTC),
        datetime!(2026-07-05 11:30 UTC),
    ] {
        assert_eq!(run(&pool, now).await.agendas, 0, "at {now}");
    }
    assert_eq!(
        reminders::next_due(&pool, datetime!(2026-07-04 16:00 UTC))
            .await
            .unwrap(),
        Some(datetime!(2026-07-06 11:30 UTC)),
        "the next morning is Monday's"
    );
    // A scheduler that only comes back on Monday evening sends no morning agenda...
    assert_eq!(run(&pool, datetime!(2026-07-06 22:00 UTC)).await.agendas, 0);
    // ...but one two hours late on Tuesday morning still does.
    assert_eq!(run(&pool, datetime!(2026-07-07 13:29 UTC)).await.agendas, 1);
    assert_eq!(
        outbox(&pool, "agenda").await[0].key,
        format!("agenda:{nina}:2026-07-07")
    );
}

#[sqlx::test]
async fn the_agenda_is_sent_once_a_day_however_many_passes_and_schedulers(pool: PgPool) {
    // 12:30 UTC: 07:30 in Chicago, 08:30 in New York.
    const MORNING: OffsetDateTime = datetime!(2026-07-01 12:30 UTC);
    for i in 0..30 {
        let zone = if i % 2 == 0 {
            NEW_YORK
        } else {
            "America/Chicago"
        };
        let id = rep(&pool, &format!("rep{i}@example.com"), zone).await;
        let p = prospect(&pool, id, "Ada", &format!("Number {i}"), "current").await;
        touch(&pool, p, "call", datetime!(2026-06-29 14:00 UTC)).await;
    }

    // Two schedulers at once, each with its own connections.
    let passes: Vec<_> = (0..2)
        .map(|_| {
            let pool = pool.clone();
            tokio::spawn(async move { run(&pool, MORNING).await })
        })
        .collect();
    let mut queued = 0;
    for pass in passes {
        queued += pass.await.expect("the pass ran").agendas;
    }
    assert_eq!(
        queued, 30,
        "each agenda counted by the scheduler that queued it"
    );
    assert_eq!(outbox(&pool, "agenda").await.len(), 30);

    // Later passes the same day, through the scheduler itself, queue nothing more.
    let scheduler = Scheduler::new(pool.clone()).with_base_url(base());
    for now in [MORNING, datetime!(2026-07-01 15:00 UTC)] {
        let report = scheduler.run_once(now).await.expect("a pass");
        assert_eq!(report.reminders.agendas, 0, "{report}");
    }
    assert_eq!(outbox(&pool, "agenda").await.len(), 30);
    let keys: std::collections::HashSet<String> = outbox(&pool, "agenda")
        .await
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(keys.len(), 30);

    // The next morning brings the next agenda.
    let report = scheduler
        .run_once(datetime!(2026-07-02 12:30 UTC))
        .await
        .expect("a pass");
    assert_eq!(report.reminders.agendas, 30, "{report}");
    // Without a base URL the scheduler sends no reminders at all.
    let report = Scheduler::new(pool.clone())
        .run_once(datetime!(2026-07-03 12:30 UTC))
        .await
        .expect("a pass");
    assert_eq!(report.reminders, ReminderReport::default());
}

#[sqlx::test]
async fn an_empty_agenda_sends_nothing_unless_asked_and_a_disabled_one_nothing_at_all(
    pool: PgPool,
) {
    let empty = rep(&pool, "empty@example.com", NEW_YORK).await;
    let wants_empty = rep(&pool, "wants@example.com", NEW_YORK).await;
    set(&pool, wants_empty, "agenda_when_empty = true").await;
    let disabled = rep(&pool, "off@example.com", NEW_YORK).await;
    set(
        &pool,
        disabled,
        "agenda_enabled = false, agenda_when_empty = true",
    )
    .await;
    let gone = rep(&pool, "gone@example.com", NEW_YORK).await;
    set(&pool, gone, "active = false, agenda_when_empty = true").await;
    for owner in [disabled, gone] {
        let p = prospect(&pool, owner, "Ada", "Lovelace", "current").await;
        touch(&pool, p, "call", datetime!(2026-06-29 14:00 UTC)).await;
    }

    assert_eq!(run(&pool, NY_WEDNESDAY_MORNING).await.agendas, 1);
    let mails = outbox(&pool, "agenda").await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    let mail = &mails[0];
    assert_eq!(mail.user_id, Some(wants_empty));
    assert_well_formed(mail);
    assert_eq!(mail.subject, "Your agenda for Wed 1 Jul: nothing due");
    assert!(
        mail.text
            .contains("Nothing is overdue, nothing is due today"),
        "{}",
        mail.text
    );
    assert!(
        mail.html
            .contains("Nothing is overdue, nothing is due today"),
        "{}",
        mail.html
    );

    // The empty agenda, found empty, may still go out once the day fills, within the morning.
    let p = prospect(&pool, empty, "Bo", "Filled", "current").await;
    touch(&pool, p, "call", datetime!(2026-07-01 18:00 UTC)).await;
    assert_eq!(run(&pool, datetime!(2026-07-01 12:00 UTC)).await.agendas, 1);
    assert_eq!(outbox(&pool, "agenda").await.len(), 2);
}

// --- The overdue nudge ---------------------------------------------------------------

#[sqlx::test]
async fn a_touch_overdue_for_n_business_days_is_nudged_once(pool: PgPool) {
    let nina = rep(&pool, "nina@example.com", NEW_YORK).await;
    let ada = prospect(&pool, nina, "Ada", "Lovelace", "current").await;
    let bob = prospect(&pool, nina, "Bob", "Babbage", "current").await;
    // Two touches due Thursday 2 July (10:00 and 15:00 in New York), one done in time.
    let first = touch(&pool, ada, "call", datetime!(2026-07-02 14:00 UTC)).await;
    let second = touch(&pool, bob, "email", datetime!(2026-07-02 19:00 UTC)).await;
    let done = touch_in(&pool, bob, "call", datetime!(2026-07-02 15:00 UTC), "done").await;
    // A rep who waits three business days, and one who wants no nudges.
    let patient = rep(&pool, "patient@example.com", NEW_YORK).await;
    set(&pool, patient, "nudge_after_business_days = 3").await;
    let p = prospect(&pool, patient, "Pat", "Ience", "current").await;
    let patient_touch = touch(&pool, p, "call", datetime!(2026-07-02 14:00 UTC)).await;
    let quiet = rep(&pool, "quiet@example.com", NEW_YORK).await;
    set(&pool, quiet, "nudge_enabled = false").await;
    let q = prospect(&pool, quiet, "Qu", "Iet", "current").await;
    touch(&pool, q, "call", datetime!(2026-07-02 14:00 UTC)).await;

    // Friday: one business day overdue.
    assert_eq!(run(&pool, datetime!(2026-07-03 12:00 UTC)).await.nudges, 0);
    // Monday 07:29: not yet the hour; 07:30: two business days (Friday, Monday).
    assert_eq!(run(&pool, datetime!(2026-07-06 11:29 UTC)).await.nudges, 0);
    assert_eq!(run(&pool, datetime!(2026-07-06 11:30 UTC)).await.nudges, 1);
    let nudges = outbox(&pool, "nudge").await;
    assert_eq!(nudges.len(), 1, "{nudges:?}");
    let nudge = &nudges[0];
    assert_well_formed(nudge);
    assert_eq!(nudge.user_id, Some(nina));
    assert_eq!(nudge.key, format!("nudge:{nina}:2026-07-06"));
    assert_eq!(nudge.subject, "Overdue for 2 business days: 2 touches");
    assert!(
        nudge
            .text
            .contains("These 2 touches have been overdue for 2 business days"),
        "{}",
        nudge.text
    );
    assert!(
        nudge
            .text
            .contains("- Call: Ada Lovelace, due Thu 2 Jul 2026, 10:00"),
        "{}",
        nudge.text
    );
    for listed in [first, second] {
        let path = format!("/today/work?touch={listed}");
        assert!(nudge.text.contains(&link(&path)), "{}", nudge.text);
        assert!(nudge.html.contains(&href(&path)), "{}", nudge.html);
    }
    assert!(
        !nudge.text.contains(&format!("touch={done}")),
        "{}",
        nudge.text
    );

    // Later the same day, the next day: nothing more for these touches.
    assert_eq!(run(&pool, datetime!(2026-07-06 20:00 UTC)).await.nudges, 0);
    assert_eq!(
        run(&pool, datetime!(2026-07-07 11:30 UTC)).await.nudges,
        1,
        "the patient rep's"
    );
    let nudges = outbox(&pool, "nudge").await;
    assert_eq!(nudges.len(), 2);
    assert_eq!(nudges[1].user_id, Some(patient));
    assert_eq!(
        nudges[1].subject,
        "Overdue for 3 business days: Pat Ience (Call)"
    );
    assert!(nudges[1].text.contains(&format!("touch={patient_touch}")));
    assert_eq!(run(&pool, datetime!(2026-07-08 11:30 UTC)).await.nudges, 0);
    assert_eq!(run(&pool, datetime!(2026-07-15 11:30 UTC)).await.nudges, 0);
}

// --- The weekly summary --------------------------------------------------------------

async fn interaction(pool: &PgPool, prospect: i64, by: i64, channel: &str, at: OffsetDateTime) {
    sqlx::query(
        "insert into interactions (prospect_id, logged_by, channel, outcome, occurred_at)
         values ($1, $2, $3::interaction_channel, 'connected', $4)",
    )
    .bind(prospect)
    .bind(by)
    .bind(channel)
    .bind(at)
    .execute(pool)
    .await
    .expect("insert an interaction");
}

/// An opportunity worth `value_dollars`, opened at the qualifying stage at `opened` and
/// moved to `stage` at `moved`, with both events on the prospect's timeline.
async fn deal(
    pool: &PgPool,
    prospect: i64,
    value_dollars: i64,
    opened: OffsetDateTime,
    (stage, moved): (&str, OffsetDateTime),
) -> i64 {
    let id: i64 = sqlx::query_scalar(
        "insert into opportunities (prospect_id, name, value_cents) values ($1, 'Deal', $2)
         returning id",
    )
    .bind(prospect)
    .bind(value_dollars * 100)
    .fetch_one(pool)
    .await
    .expect("insert an opportunity");
    let opening = (None, Some("qualifying"));
    event(
        pool,
        prospect,
        "opportunity_opened",
        opening,
        Some(id),
        opened,
    )
    .await;
    let change = (Some("qualifying"), Some(stage));
    event(pool, prospect, "stage_changed", change, Some(id), moved).await;
    id
}

async fn interest_changed(
    pool: &PgPool,
    prospect: i64,
    (from, to): (&str, &str),
    at: OffsetDateTime,
) {
    event(
        pool,
        prospect,
        "interest_changed",
        (Some(from), Some(to)),
        None,
        at,
    )
    .await;
}

async fn event(
    pool: &PgPool,
    prospect: i64,
    kind: &str,
    change: (Option<&str>, Option<&str>),
    opportunity: Option<i64>,
    at: OffsetDateTime,
) {
    sqlx::query(
        "insert into prospect_events (prospect_id, kind, from_value, to_value, opportunity_id, occurred_at)
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(prospect)
    .bind(kind)
    .bind(change.0)
    .bind(change.1)
    .bind(opportunity)
    .bind(at)
    .execute(pool)
    .await
    .expect("insert an event");
}

/// Monday 13 July 2026, 07:30 in Paris (CEST, UTC+2).
const PARIS_MONDAY_MORNING: OffsetDateTime = datetime!(2026-07-13 05:30 UTC);
/// A moment in "last week" (6–12 July) and in "the week before" (29 June–5 July).
const LAST_WEEK: OffsetDateTime = datetime!(2026-07-08 10:00 UTC);
const WEEK_BEFORE: OffsetDateTime = datetime!(2026-07-01 10:00 UTC);

#[sqlx::test]
async fn the_weekly_summary_reports_the_teams_week_against_the_one_before(pool: PgPool) {
    let north = team(&pool, "North").await;
    let south = team(&pool, "South").await;
    let maya = user(
        &pool,
        "maya@example.com",
        "Maya Manager",
        "manager",
        PARIS,
        Some(north),
    )
    .await;
    let rita = user(
        &pool,
        "rita@example.com",
        "Rita Rep",
        "rep",
        NEW_YORK,
        Some(north),
    )
    .await;
    let ravi = user(
        &pool,
        "ravi@example.com",
        "Ravi Rep",
        "rep",
        TOKYO,
        Some(north),
    )
    .await;
    let sam = user(
        &pool,
        "sam@example.com",
        "Sam South",
        "rep",
        PARIS,
        Some(south),
    )
    .await;
    let sara = user(
        &pool,
        "sara@example.com",
        "Sara Boss",
        "manager",
        PARIS,
        Some(south),
    )
    .await;
    set(&pool, sara, "weekly_summary_enabled = false").await;
    // Reps get no agendas in this test, to keep the outbox to the summary.
    for id in [maya, rita, ravi, sam, sara] {
        set(&pool, id, "agenda_enabled = false, nudge_enabled = false").await;
    }

    // Rita's prospects: P1 came back to current interest last week and has an overdue
    // touch; P3 went the other way; P4 is a dead end; P5 has an overdue touch; PA was won
    // and PB lost.
    let p1 = prospect(&pool, rita, "Una", "Comeback", "current").await;
    let p3 = prospect(&pool, rita, "Tre", "Later", "future").await;
    let p4 = prospect(&pool, rita, "Quattro", "Stuck", "new").await;
    let p5 = prospect(&pool, rita, "Cinque", "Late", "current").await;
    let pa = prospect(&pool, rita, "Alpha", "Won", "customer").await;
    let pb = prospect(&pool, rita, "Beta", "Lost", "none").await;
    touch(&pool, p1, "call", datetime!(2026-07-10 14:00 UTC)).await;
    touch(&pool, p5, "email", datetime!(2026-07-09 14:00 UTC)).await;
    touch(&pool, p3, "email", datetime!(2026-09-01 14:00 UTC)).await;
    let _ = p4;
    // Ravi's: P2 came back the week before and is now a dead end; PC has a reason.
    let p2 = prospect(&pool, ravi, "Due", "Comeback", "current").await;
    let pc = prospect(&pool, ravi, "Ci", "Reasoned", "current").await;
    sqlx::query("update prospects set no_next_step_reason = 'Waiting for budget' where id = $1")
        .bind(pc)
        .execute(&pool)
        .await
        .unwrap();
    // Sam's, in the other team: none of it counts.
    let ps = prospect(&pool, sam, "Southern", "Prospect", "current").await;

    // Activity. Last week: Rita 3 calls and an email, Ravi a meeting, and a call at
    // 23:30 on Sunday in Paris (21:30 UTC). The week before: Rita 2 calls, Ravi an email.
    for _ in 0..3 {
        interaction(&pool, p1, rita, "call", LAST_WEEK).await;
    }
    interaction(&pool, p1, rita, "email", LAST_WEEK).await;
    interaction(&pool, p2, ravi, "meeting", LAST_WEEK).await;
    interaction(&pool, p5, rita, "call", datetime!(2026-07-12 21:30 UTC)).await;
    for _ in 0..2 {
        interaction(&pool, p1, rita, "call", WEEK_BEFORE).await;
    }
    interaction(&pool, p2, ravi, "email", WEEK_BEFORE).await;
    // Not counted: 00:30 on Monday in Paris (this week), before the week before, Sam's.
    interaction(&pool, p5, rita, "call", datetime!(2026-07-12 22:30 UTC)).await;
    interaction(&pool, p5, rita, "call", datetime!(2026-06-28 10:00 UTC)).await;
    for _ in 0..5 {
        interaction(&pool, ps, sam, "call", LAST_WEEK).await;
    }

    // Opportunities: A ($10,000) opened and won last week; B ($5,000) opened the week
    // before, lost last week; C ($2,500) opened last week, moved twice; Sam's D opened
    // last week.
    deal(&pool, pa, 10_000, LAST_WEEK, ("won", LAST_WEEK)).await;
    deal(&pool, pb, 5_000, WEEK_BEFORE, ("lost", LAST_WEEK)).await;
    deal(&pool, p2, 2_500, LAST_WEEK, ("meeting", LAST_WEEK)).await;
    deal(&pool, ps, 99_000, LAST_WEEK, ("won", LAST_WEEK)).await;

    // Comebacks: P1 last week (twice: counted once), P2 the week before; P3 the other way;
    // Sam's prospect does not count.
    interest_changed(&pool, p1, ("future", "current"), LAST_WEEK).await;
    interest_changed(&pool, p1, ("current", "future"), LAST_WEEK).await;
    interest_changed(&pool, p1, ("future", "current"), LAST_WEEK).await;
    interest_changed(&pool, p2, ("future", "current"), WEEK_BEFORE).await;
    interest_changed(&pool, p3, ("current", "future"), LAST_WEEK).await;
    interest_changed(&pool, ps, ("future", "current"), LAST_WEEK).await;

    // Sunday, and Monday 07:29 in Paris: not yet.
    assert_eq!(
        run(&pool, datetime!(2026-07-12 09:00 UTC))
            .await
            .weekly_summaries,
        0
    );
    assert_eq!(
        run(&pool, datetime!(2026-07-13 05:29 UTC))
            .await
            .weekly_summaries,
        0
    );
    let report = run(&pool, PARIS_MONDAY_MORNING).await;
    assert_eq!(report.weekly_summaries, 1, "{report}");
    let mails = outbox(&pool, "weekly").await;
    assert_eq!(
        mails.len(),
        1,
        "only Maya: Sara turned hers off, reps get none"
    );
    let mail = &mails[0];
    assert_well_formed(mail);
    assert_eq!(mail.user_id, Some(maya));
    assert_eq!(mail.key, format!("weekly:{maya}:2026-W29"));
    assert_eq!(
        mail.subject,
        "North, week of 6 Jul – 12 Jul 2026: 6 interactions, 1 won"
    );

    let text = &mail.text;
    for line in [
        "Here is how North did in the week of 6 Jul – 12 Jul 2026,",
        "against the week of 29 Jun – 5 Jul 2026.",
        "- Call: 4 / 2 (+2)",
        "- Email: 1 / 1 (±0)",
        "- Meeting: 1 / 0 (+1)",
        "- Total: 6 / 3 (+3)",
        "- Opened: 2 ($12,500) / 1 ($5,000)",
        "- Won: 1 ($10,000) / 0 ($0)",
        "- Lost: 1 ($5,000) / 0 ($0)",
        "Back to current interest: 1 prospect (the week before: 1)",
        "- Una Comeback",
        "- Rita Rep: 2 / 1",
        "- Ravi Rep: 0 / 1",
        "- Team: 2 / 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }
    assert!(
        !text.contains("LinkedIn"),
        "unused channels are left out: {text}"
    );
    assert!(
        !text.contains("Sam South") && !text.contains("Maya Manager:"),
        "{text}"
    );
    assert!(text.contains(&link(&format!("/prospects/{p1}"))), "{text}");
    let html = &mail.html;
    assert!(html.contains(&href(&format!("/prospects/{p1}"))), "{html}");
    assert!(
        html.contains(&href(&format!("/today?rep={rita}"))),
        "{html}"
    );
    assert!(
        html.contains(&href(&format!("/dead-ends?owner={ravi}"))),
        "{html}"
    );
    assert!(html.contains("$12,500"), "{html}");

    // Once a week: not again on Monday or Tuesday; next Monday brings the next one.
    assert_eq!(
        run(&pool, datetime!(2026-07-13 15:00 UTC))
            .await
            .weekly_summaries,
        0
    );
    assert_eq!(
        run(&pool, datetime!(2026-07-14 05:30 UTC))
            .await
            .weekly_summaries,
        0
    );
    assert_eq!(
        run(&pool, datetime!(2026-07-20 05:30 UTC))
            .await
            .weekly_summaries,
        1
    );
    assert_eq!(
        outbox(&pool, "weekly").await[1].key,
        format!("weekly:{maya}:2026-W30")
    );
}

// --- The preferences page ------------------------------------------------------------

#[derive(Debug, PartialEq, Eq)]
struct Stored {
    agenda_enabled: bool,
    agenda_time: String,
    agenda_when_empty: bool,
    nudge_enabled: bool,
    nudge_after_business_days: i16,
    weekly_summary_enabled: bool,
}

async fn stored(pool: &PgPool, email: &str) -> Stored {
    let row: (bool, String, bool, bool, i16, bool) = sqlx::query_as(
        "select agenda_enabled, to_char(agenda_time, 'HH24:MI'), agenda_when_empty,
                nudge_enabled, nudge_after_business_days, weekly_summary_enabled
         from users where email = $1",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .expect("read the settings");
    Stored {
        agenda_enabled: row.0,
        agenda_time: row.1,
        agenda_when_empty: row.2,
        nudge_enabled: row.3,
        nudge_after_business_days: row.4,
        weekly_summary_enabled: row.5,
    }
}

fn defaults() -> Stored {
    Stored {
        agenda_enabled: true,
        agenda_time: "07:30".into(),
        agenda_when_empty: false,
        nudge_enabled: true,
        nudge_after_business_days: 2,
        weekly_summary_enabled: true,
    }
}

#[sqlx::test]
async fn the_preferences_page_validates_and_saves_each_setting(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user("rita@example.com", "Rita Rep", Role::Rep, None)
        .await;

    // Signed out: sign in first, then back here.
    let anonymous = app.client().get("/settings/reminders").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.location(),
        Some("/login?next=%2Fsettings%2Freminders")
    );

    let rita = app.signed_in("rita@example.com").await;
    let page = rita.get("/prospects").await;
    assert!(
        page.attrs(".user-menu a", "href")
            .contains(&"/settings/reminders".to_string()),
        "the user menu links to the settings: {}",
        page.body
    );
    let page = rita.get("/settings/reminders").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.field_value("agenda_time").as_deref(), Some("07:30"));
    assert_eq!(
        page.field_value("nudge_after_business_days").as_deref(),
        Some("2")
    );
    assert!(page.exists("input[name=agenda_enabled][checked]"));
    assert!(!page.exists("input[name=agenda_when_empty][checked]"));
    assert!(page.exists("input[name=nudge_enabled][checked]"));
    assert!(
        !page.exists("input[name=weekly_summary_enabled]"),
        "reps get no weekly summary"
    );
    assert!(
        page.body.contains("UTC"),
        "the page says which zone the hour is in"
    );

    // Bad values: 422, each field with its message, what was typed kept, nothing saved.
    let bad = rita
        .post_form(
            "/settings/reminders",
            &[
                ("agenda_enabled", "on"),
                ("agenda_time", "7.30am"),
                ("nudge_enabled", "on"),
                ("nudge_after_business_days", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert_eq!(
        bad.text("#agenda_time-error").as_deref(),
        Some("Enter a time as HH:MM, such as 07:30.")
    );
    assert_eq!(
        bad.text("#nudge_after_business_days-error").as_deref(),
        Some("Enter a whole number of business days from 1 to 20.")
    );
    assert_eq!(bad.field_value("agenda_time").as_deref(), Some("7.30am"));
    assert_eq!(stored(&app.db, "rita@example.com").await, defaults());
    let too_many = rita
        .post_form(
            "/settings/reminders",
            &[
                ("agenda_time", "25:00"),
                ("nudge_after_business_days", "21"),
            ],
        )
        .await;
    assert_eq!(too_many.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        too_many.exists("#agenda_time-error")
            && too_many.exists("#nudge_after_business_days-error")
    );

    // Good values: saved, and the page says so.
    let mut form = page.form_values("form[action=\"/settings/reminders\"]");
    form.retain(|(name, _)| name != "agenda_enabled");
    crate::support::set_field(&mut form, "agenda_time", "06:45");
    crate::support::set_field(&mut form, "agenda_when_empty", "on");
    crate::support::set_field(&mut form, "nudge_after_business_days", "5");
    let saved = rita.post_form("/settings/reminders", &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location(), Some("/settings/reminders"));
    assert_eq!(
        stored(&app.db, "rita@example.com").await,
        Stored {
            agenda_enabled: false,
            agenda_time: "06:45".into(),
            agenda_when_empty: true,
            nudge_after_business_days: 5,
            ..defaults()
        }
    );
    let page = rita.get("/settings/reminders").await;
    assert!(
        page.body.contains("Reminder settings saved."),
        "{}",
        page.body
    );
    assert_eq!(page.field_value("agenda_time").as_deref(), Some("06:45"));
    assert!(!page.exists("input[name=agenda_enabled][checked]"));

    // Reps do not see the weekly switch, so a form without it leaves it as it was.
    let posted = rita
        .post_form(
            "/settings/reminders",
            &[("agenda_time", "06:45"), ("nudge_after_business_days", "5")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    let after = stored(&app.db, "rita@example.com").await;
    assert!(after.weekly_summary_enabled && !after.nudge_enabled);
}

#[sqlx::test]
async fn a_manager_switches_the_weekly_summary(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let north = app.create_team("North").await;
    app.create_user(
        "maya@example.com",
        "Maya Manager",
        Role::Manager,
        Some(north),
    )
    .await;
    let maya = app.signed_in("maya@example.com").await;
    let page = maya.get("/settings/reminders").await;
    assert!(
        page.exists("input[name=weekly_summary_enabled][checked]"),
        "{}",
        page.body
    );
    let mut form = page.form_values("form[action=\"/settings/reminders\"]");
    form.retain(|(name, _)| name != "weekly_summary_enabled");
    let saved = maya.post_form("/settings/reminders", &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        stored(&app.db, "maya@example.com").await,
        Stored {
            weekly_summary_enabled: false,
            ..defaults()
        }
    );
}

// --- Links from the emails -----------------------------------------------------------

#[sqlx::test]
async fn a_link_from_an_email_opens_after_sign_in_and_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let rita = app
        .create_user("rita@example.com", "Rita Rep", Role::Rep, None)
        .await;
    let ada = app.create_prospect(rita, "Ada", "Lovelace", None).await;
    let due = OffsetDateTime::now_utc() - time::Duration::days(3);
    let id = touch(&app.db, ada, "call", due).await;
    let path = format!("/today/work?touch={id}");

    let client = app.client();
    let first = client.get(&path).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let login = first.location().expect("a redirect to sign in").to_string();
    assert_eq!(login, format!("/login?next=%2Ftoday%2Fwork%3Ftouch%3D{id}"));
    let form = client.get(&login).await;
    assert_eq!(form.field_value("next").as_deref(), Some(path.as_str()));

    let signed_in = client
        .post_form(
            "/login",
            &[
                ("email", "rita@example.com"),
                ("password", crate::support::PASSWORD),
                ("next", path.as_str()),
            ],
        )
        .await;
    assert_eq!(signed_in.location(), Some(path.as_str()));
    let work = client.get(&path).await;
    assert_eq!(work.status, StatusCode::OK);
    assert!(work.body.contains("Ada Lovelace"), "{}", work.body);

    // Opening the link (twice) did not work the touch.
    client.get(&path).await;
    let status: String = sqlx::query_scalar("select status::text from touches where id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "pending");
    assert_eq!(app.count("interactions").await, 0);
    assert_eq!(app.count("prospect_events").await, 0);
}
