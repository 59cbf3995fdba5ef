//! Logging an interaction and the interest decision made in it.

use prospector::{users::Role, web::format};
use reqwest::StatusCode;
use sqlx::PgPool;
use time::{Date, Duration, OffsetDateTime, macros::format_description};

use crate::support::{TestApp, TestClient, TestResponse, set_field};

const REP: &str = "rita@example.com";

/// An app with one rep, signed in, and one of her prospects.
async fn rep_with_prospect(pool: PgPool) -> (TestApp, TestClient, i64) {
    let app = TestApp::spawn(pool).await;
    let rep = app.create_user(REP, "Rita Rep", Role::Rep, None).await;
    let prospect = app
        .create_prospect(rep, "Ada", "Lovelace", Some("ada@example.org"))
        .await;
    let client = app.signed_in(REP).await;
    (app, client, prospect)
}

/// Fills in the log form on the prospect page (the page's defaults, then `changes`) and
/// submits it.
async fn log_interaction(
    client: &TestClient,
    prospect: i64,
    changes: &[(&str, &str)],
) -> TestResponse {
    let page = client.get(&format!("/prospects/{prospect}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let mut form = page.form_values("form#log");
    for (name, value) in changes {
        set_field(&mut form, name, value);
    }
    client
        .post_form(&format!("/prospects/{prospect}/interactions"), &form)
        .await
}

fn assert_logged(response: &TestResponse, prospect: i64) {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(
        response.location(),
        Some(format!("/prospects/{prospect}#history").as_str())
    );
}

/// Today in UTC, the fixture users' time zone.
fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn date_input(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap()
}

/// A `datetime-local` value, `ago` before now.
fn time_input(ago: Duration) -> String {
    (OffsetDateTime::now_utc() - ago)
        .format(format_description!("[year]-[month]-[day]T[hour]:[minute]"))
        .unwrap()
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct ProspectState {
    interest: String,
    re_engage_on: Option<Date>,
    do_not_contact: bool,
    last_interaction_at: Option<OffsetDateTime>,
}

async fn prospect_state(app: &TestApp, id: i64) -> ProspectState {
    sqlx::query_as(
        "select interest::text as interest, re_engage_on, do_not_contact, last_interaction_at
         from prospects where id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[derive(Debug, sqlx::FromRow)]
struct Interaction {
    id: i64,
    decision: Option<String>,
    opportunity_id: Option<i64>,
}

/// The prospect's interactions, oldest logged first.
async fn interactions(app: &TestApp, prospect: i64) -> Vec<Interaction> {
    sqlx::query_as(
        "select id, decision::text as decision, opportunity_id from interactions
         where prospect_id = $1 order by id",
    )
    .bind(prospect)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// What a failed request must not leave behind.
const WRITTEN_BY_A_LOG: [&str; 4] = [
    "interactions",
    "qualifying_facts",
    "prospect_events",
    "opportunities",
];

async fn assert_nothing_written(app: &TestApp, prospect: i64) {
    for table in WRITTEN_BY_A_LOG {
        assert_eq!(app.count(table).await, 0, "{table}");
    }
    let state = prospect_state(app, prospect).await;
    assert_eq!(state.interest, "new");
    assert_eq!(state.last_interaction_at, None);
}

#[sqlx::test]
async fn future_interest_sets_the_re_engage_date_and_records_what_was_learned(pool: PgPool) {
    let (app, client, prospect) = rep_with_prospect(pool).await;
    let re_engage_on = today() + Duration::days(30);

    let response = log_interaction(
        &client,
        prospect,
        &[
            ("channel", "call"),
            ("outcome", "connected"),
            ("occurred_at", &time_input(Duration::days(1))),
            ("notes", "Budget season first; call back after."),
            ("decision", "future"),
            ("re_engage_on", &date_input(re_engage_on)),
            ("need", "Replace the spreadsheets"),
            ("timeline", "After the Q3 budget"),
        ],
    )
    .await;

    assert_logged(&response, prospect);
    let state = prospect_state(&app, prospect).await;
    assert_eq!(state.interest, "future");
    assert_eq!(state.re_engage_on, Some(re_engage_on));
    let logged = interactions(&app, prospect).await;
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].decision.as_deref(), Some("future"));
    let facts: Vec<(String, String, Option<i64>)> = sqlx::query_as(
        "select field::text, value, interaction_id from qualifying_facts where prospect_id = $1 order by id",
    )
    .bind(prospect)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        facts,
        vec![
            (
                "need".into(),
                "Replace the spreadsheets".into(),
                Some(logged[0].id)
            ),
            (
                "timeline".into(),
                "After the Q3 budget".into(),
                Some(logged[0].id)
            ),
        ]
    );

    // A later email, logged now, comes first on the timeline.
    let response = log_interaction(
        &client,
        prospect,
        &[("channel", "email"), ("outcome", "replied")],
    )
    .await;
    assert_logged(&response, prospect);
    let page = client.get(&format!("/prospects/{prospect}")).await;
    assert_eq!(
        page.text("#interest-state").as_deref(),
        Some("Future interest")
    );
    let headlines: Vec<String> = page
        .texts("section#history li.timeline-item")
        .into_iter()
        .filter(|item| item.starts_with("Call ·") || item.starts_with("Email ·"))
        .collect();
    assert_eq!(headlines.len(), 2, "{headlines:?}");
    assert!(headlines[0].starts_with("Email · Replied"), "{headlines:?}");
    assert!(
        headlines[1].starts_with("Call · Connected"),
        "{headlines:?}"
    );
    let decision = format!(
        "Decision: future interest — re-engage on {}",
        format::date(re_engage_on)
    );
    assert!(headlines[1].contains(&decision), "{headlines:?}");
    assert!(
        headlines[1].contains("Budget season first"),
        "{headlines:?}"
    );
    let qualifying = page.text("#qualifying").unwrap();
    assert!(
        qualifying.contains("Replace the spreadsheets"),
        "{qualifying}"
    );
}

#[sqlx::test]
async fn current_interest_opens_an_opportunity_and_then_advances_it(pool: PgPool) {
    let (app, client, prospect) = rep_with_prospect(pool).await;
    let close_on = today() + Duration::days(60);

    let response = log_interaction(
        &client,
        prospect,
        &[
            ("channel", "meeting"),
            ("outcome", "meeting_held"),
            ("decision", "current"),
            ("opportunity_name", "Finance team pilot"),
            ("stage", "meeting"),
            ("value", "12,500"),
            ("expected_close_on", &date_input(close_on)),
        ],
    )
    .await;
    assert_logged(&response, prospect);

    let opportunity: (i64, String, String, i64, Option<Date>) = sqlx::query_as(
        "select id, name, stage::text, value_cents, expected_close_on from opportunities where prospect_id = $1",
    )
    .bind(prospect)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let (opportunity_id, name, stage, value_cents, expected) = opportunity;
    assert_eq!(
        (name.as_str(), stage.as_str(), value_cents, expected),
        ("Finance team pilot", "meeting", 1_250_000, Some(close_on))
    );
    assert_eq!(prospect_state(&app, prospect).await.interest, "current");
    assert_eq!(
        interactions(&app, prospect).await[0].opportunity_id,
        Some(opportunity_id)
    );

    let response = log_interaction(
        &client,
        prospect,
        &[
            ("channel", "call"),
            ("outcome", "connected"),
            ("decision", "current"),
            ("stage", "proposal"),
            ("value", "20000"),
        ],
    )
    .await;
    assert_logged(&response, prospect);

    assert_eq!(
        app.count("opportunities").await,
        1,
        "the open opportunity advances"
    );
    let (stage, value_cents): (String, i64) =
        sqlx::query_as("select stage::text, value_cents from opportunities where id = $1")
            .bind(opportunity_id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((stage.as_str(), value_cents), ("proposal", 2_000_000));
    let logged = interactions(&app, prospect).await;
    assert!(
        logged
            .iter()
            .all(|i| i.opportunity_id == Some(opportunity_id)),
        "{logged:?}"
    );
}

#[sqlx::test]
async fn no_interest_with_do_not_contact_sets_the_flag(pool: PgPool) {
    let (app, client, prospect) = rep_with_prospect(pool).await;

    let response = log_interaction(
        &client,
        prospect,
        &[
            ("channel", "email"),
            ("outcome", "not_interested"),
            ("decision", "none"),
            (
                "no_interest_reason",
                "Signed with a competitor for three years",
            ),
            ("do_not_contact", "on"),
        ],
    )
    .await;

    assert_logged(&response, prospect);
    let state = prospect_state(&app, prospect).await;
    assert_eq!(
        (state.interest.as_str(), state.do_not_contact),
        ("none", true)
    );
    let logged = interactions(&app, prospect).await;
    let event_interaction: Option<i64> = sqlx::query_scalar(
        "select interaction_id from prospect_events where prospect_id = $1 and kind = 'do_not_contact'",
    )
    .bind(prospect)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(event_interaction, Some(logged[0].id));
    let page = client.get(&format!("/prospects/{prospect}")).await;
    assert!(page.exists(".badge-dnc"), "{} {}", page.status, page.body);
    let timeline = page.text("section#history").unwrap();
    assert!(
        timeline.contains("Decision: no interest — Signed with a competitor for three years"),
        "{timeline}"
    );
}

#[sqlx::test]
async fn an_unassessed_touch_leaves_the_interest_unchanged(pool: PgPool) {
    let (app, client, prospect) = rep_with_prospect(pool).await;
    let re_engage_on = date_input(today() + Duration::days(90));
    let response = log_interaction(
        &client,
        prospect,
        &[
            ("outcome", "connected"),
            ("decision", "future"),
            ("re_engage_on", &re_engage_on),
            ("occurred_at", &time_input(Duration::hours(3))),
        ],
    )
    .await;
    assert_logged(&response, prospect);
    let before = prospect_state(&app, prospect).await;

    let response = log_interaction(
        &client,
        prospect,
        &[("outcome", "no_answer"), ("decision", "")],
    )
    .await;

    assert_logged(&response, prospect);
    let after = prospect_state(&app, prospect).await;
    assert_eq!(
        (after.interest.as_str(), after.re_engage_on),
        ("future", before.re_engage_on)
    );
    assert!(
        after.last_interaction_at > before.last_interaction_at,
        "the touch still counts"
    );
    let logged = interactions(&app, prospect).await;
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[1].decision, None);
}

#[sqlx::test]
async fn a_back_dated_decision_does_not_override_a_newer_one(pool: PgPool) {
    let (app, client, prospect) = rep_with_prospect(pool).await;
    let re_engage_on = date_input(today() + Duration::days(30));
    let response = log_interaction(
        &client,
        prospect,
        &[
            ("outcome", "connected"),
            ("decision", "future"),
            ("re_engage_on", &re_engage_on),
        ],
    )
    .await;
    assert_logged(&response, prospect);
    let before = prospect_state(&app, prospect).await;

    let response = log_interaction(
        &client,
        prospect,
        &[
            ("outcome", "not_interested"),
            ("occurred_at", &time_input(Duration::days(2))),
            ("decision", "none"),
            ("no_interest_reason", "Said no last week (logged late)"),
        ],
    )
    .await;

    assert_logged(&response, prospect);
    assert_eq!(prospect_state(&app, prospect).await, before);
    let logged = interactions(&app, prospect).await;
    assert_eq!(logged.len(), 2, "the late log is kept in the history");
    assert_eq!(logged[1].decision.as_deref(), Some("none"));
}

#[sqlx::test]
async fn an_invalid_log_is_shown_again_with_what_was_typed_and_writes_nothing(pool: PgPool) {
    let (app, client, prospect) = rep_with_prospect(pool).await;
    let yesterday = date_input(today() - Duration::days(1));
    let tomorrow = time_input(-Duration::days(1));
    let cases: [(&str, Vec<(&str, &str)>); 4] = [
        (
            "re_engage_on",
            vec![("decision", "future"), ("re_engage_on", "")],
        ),
        (
            "re_engage_on",
            vec![("decision", "future"), ("re_engage_on", &yesterday)],
        ),
        (
            "outcome",
            vec![
                ("outcome", ""),
                ("decision", "future"),
                ("re_engage_on", "2099-01-01"),
            ],
        ),
        (
            "occurred_at",
            vec![
                ("occurred_at", &tomorrow),
                ("decision", "future"),
                ("re_engage_on", "2099-01-01"),
            ],
        ),
    ];

    for (field, changes) in cases {
        let mut typed = vec![
            ("channel", "linkedin"),
            ("outcome", "replied"),
            ("notes", "Typed notes that must survive"),
            ("need", "A need worth keeping"),
        ];
        typed.extend(changes.iter().copied());
        let response = log_interaction(&client, prospect, &typed).await;

        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {changes:?}"
        );
        assert!(
            response.exists(&format!("#{field}-error")),
            "{field}: {changes:?}"
        );
        // Everything typed is on the form again (the last value of a field is the one sent).
        let mut expected = Vec::new();
        for (name, value) in &typed {
            set_field(&mut expected, name, value);
        }
        let kept = response.form_values("form#log");
        for pair in &expected {
            assert!(
                kept.contains(pair),
                "{field}: {pair:?} was not kept in {kept:?}"
            );
        }
        assert_nothing_written(&app, prospect).await;
    }
}

#[sqlx::test]
async fn a_failure_midway_writes_nothing(pool: PgPool) {
    let (app, client, prospect) = rep_with_prospect(pool).await;
    // No check constraint can be reached through the form (it caps values first), so make
    // the opportunity's insert — a late step, after the interaction and its facts — fail.
    sqlx::raw_sql(
        "create function refuse_opportunities() returns trigger language plpgsql as
             $$ begin raise exception 'injected failure'; end $$;
         create trigger refuse_opportunities before insert on opportunities
             for each row execute function refuse_opportunities();",
    )
    .execute(&app.db)
    .await
    .unwrap();

    let response = log_interaction(
        &client,
        prospect,
        &[
            ("outcome", "meeting_booked"),
            ("decision", "current"),
            ("stage", "meeting"),
            ("need", "Learned, then lost"),
        ],
    )
    .await;

    assert_eq!(response.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !response.body.contains("injected failure"),
        "the error's details do not leak"
    );
    assert!(
        response.exists("code"),
        "the page shows a reference for the logs"
    );
    assert_nothing_written(&app, prospect).await;
}

/// Marking an opportunity lost with a date to revisit is future interest: the prospect
/// leaves the pursue cadence for nurture and gets a re-engage touch on that date, as a
/// decision of future interest would give them.
#[sqlx::test]
async fn an_opportunity_lost_to_revisit_moves_the_prospect_to_nurture(pool: PgPool) {
    use prospector::{cadences::Purpose, interactions::Channel};
    let (app, client, prospect) = rep_with_prospect(pool).await;
    let rep: i64 = sqlx::query_scalar("select owner_id from prospects where id = $1")
        .bind(prospect)
        .fetch_one(&app.db)
        .await
        .unwrap();
    for (name, purpose) in [("Pursue", Purpose::Pursue), ("Nurture", Purpose::Nurture)] {
        app.create_cadence(rep, name, purpose, true, &[(Channel::Email, 3)])
            .await;
    }
    let response = log_interaction(
        &client,
        prospect,
        &[
            ("channel", "call"),
            ("outcome", "connected"),
            ("decision", "current"),
            ("stage", "qualifying"),
            ("value", "5000"),
        ],
    )
    .await;
    assert_logged(&response, prospect);
    let live = "select c.purpose::text from enrollments e join cadences c on c.id = e.cadence_id
                where e.prospect_id = $1 and e.status = 'active'";
    let purpose: String = sqlx::query_scalar(live)
        .bind(prospect)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(purpose, "pursue");

    let opportunity: i64 = sqlx::query_scalar("select id from opportunities")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let revisit = OffsetDateTime::now_utc().date() + Duration::days(40);
    let page = client.get(&format!("/opportunities/{opportunity}")).await;
    let token = page.csrf_token().unwrap();
    let moved = client
        .post_form(
            &format!("/opportunities/{opportunity}/stage"),
            &[
                ("csrf_token", token.as_str()),
                ("stage", "lost"),
                ("lost_reason", "Budget frozen until next year"),
                ("revisit_on", &revisit.to_string()),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER, "{}", moved.body);

    let interest: String = sqlx::query_scalar("select interest::text from prospects where id = $1")
        .bind(prospect)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(interest, "future");
    let purpose: String = sqlx::query_scalar(live)
        .bind(prospect)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(purpose, "nurture");
    let re_engage: Vec<Date> = sqlx::query_scalar(
        "select due_on from touches
         where prospect_id = $1 and kind = 're_engage' and status = 'pending'",
    )
    .bind(prospect)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(re_engage, [revisit]);
    assert!(
        prospector::dashboard::rollups::broken_rules(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}
