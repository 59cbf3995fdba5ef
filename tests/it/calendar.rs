//! The calendar feed: made on the profile page, read by a real iCalendar parser (the
//! `ical` crate, not the library that writes it), RFC 5545's line rules, only the rep's
//! own touches and meetings, and secret URLs that stop working when replaced or revoked.

use std::io::BufReader;

use ical::parser::ical::component::{IcalCalendar, IcalEvent};
use prospector::{auth::secret, interactions::Channel};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339};

use crate::support::{
    TestApp, TestClient,
    org::{self, RITA, SAM},
};

fn property<'a>(properties: &'a [ical::property::Property], name: &str) -> Option<&'a str> {
    properties
        .iter()
        .find(|p| p.name == name)
        .and_then(|p| p.value.as_deref())
}

fn parse(body: &str) -> IcalCalendar {
    let mut parser = ical::IcalParser::new(BufReader::new(body.as_bytes()));
    let calendar = parser
        .next()
        .expect("one calendar")
        .unwrap_or_else(|e| panic!("not iCalendar: {e}\n{body}"));
    assert!(parser.next().is_none(), "exactly one calendar");
    calendar
}

/// Makes Rita's feed on her profile page; returns its path.
async fn feed_path(app: &TestApp, client: &TestClient) -> String {
    let page = client
        .post_form::<&str, &str>("/profile/calendar", &[])
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
    let url = page
        .text("#new-feed code.secret")
        .expect("the address is shown");
    let url = reqwest::Url::parse(&url).expect("an absolute address");
    assert_eq!(url.origin(), app.url("/").origin());
    url.path().to_string()
}

fn summaries(events: &[IcalEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| {
            property(&e.properties, "SUMMARY")
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

#[sqlx::test]
async fn a_reps_feed_holds_their_touches_and_meetings_as_valid_icalendar(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let cadence = org
        .outbound_cadence(&[(Channel::Call, 0), (Channel::Email, 2)])
        .await;
    let ada = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@x.org"))
        .await;
    let alan = app.create_prospect(org.rita, "Alan", "Turing", None).await;
    let grace = app.create_prospect(org.sam, "Grace", "Hopper", None).await;
    let rita = app.api_as(RITA).await;
    let sam = app.api_as(SAM).await;
    for (api, prospect) in [(&rita, ada), (&rita, alan), (&sam, grace)] {
        let enrolled = api
            .post(
                &format!("/api/v1/prospects/{prospect}/enrollment"),
                &json!({"cadence_id": cadence}),
            )
            .await;
        assert_eq!(enrolled.status, StatusCode::CREATED);
    }
    // Alan's touch is snoozed to a later day; a meeting was held with Ada yesterday.
    let alan_touch: i64 = sqlx::query_scalar("select id from touches where prospect_id = $1")
        .bind(alan)
        .fetch_one(&app.db)
        .await
        .unwrap();
    let later = (OffsetDateTime::now_utc().date() + Duration::days(5)).to_string();
    let snoozed = rita
        .post(
            &format!("/api/v1/touches/{alan_touch}/snooze"),
            &json!({"until": later}),
        )
        .await;
    assert_eq!(snoozed.status, StatusCode::NO_CONTENT);
    let held_at = (OffsetDateTime::now_utc() - Duration::days(1))
        .replace_nanosecond(0)
        .unwrap();
    let meeting = rita
        .post(
            &format!("/api/v1/prospects/{ada}/interactions"),
            &json!({"channel": "meeting", "outcome": "meeting_held", "occurred_at": held_at.format(&Rfc3339).unwrap(),
                    "notes": "Demo; she wants numbers, fast"}),
        )
        .await;
    assert_eq!(meeting.status, StatusCode::CREATED, "{:?}", meeting.body);

    let client = app.signed_in(RITA).await;
    let path = feed_path(app, &client).await;
    // The subscriber has no session: a calendar app fetches with nothing but the URL.
    let response = app.client().get(&path).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.header("content-type"),
        Some("text/calendar; charset=utf-8")
    );
    let body = &response.body;

    // RFC 5545: CRLF line ends, lines folded at 75 octets.
    assert!(body.ends_with("END:VCALENDAR\r\n"));
    assert!(
        !body.replace("\r\n", "").contains('\n'),
        "no bare line feeds"
    );
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "a line longer than 75 octets: {line:?}");
    }

    let calendar = parse(body);
    assert_eq!(property(&calendar.properties, "VERSION"), Some("2.0"));
    assert_eq!(property(&calendar.properties, "METHOD"), Some("PUBLISH"));
    assert!(
        property(&calendar.properties, "PRODID")
            .unwrap()
            .contains("Prospector")
    );
    assert_eq!(
        property(&calendar.properties, "X-WR-CALNAME"),
        Some("Prospector: Rita Rep")
    );
    let mut names = summaries(&calendar.events);
    names.sort();
    assert_eq!(
        names,
        [
            "Call Ada Lovelace",
            "Call Alan Turing",
            "Meeting held with Ada Lovelace"
        ]
    );

    let ada_touch: (i64, OffsetDateTime) =
        sqlx::query_as("select id, due_at from touches where prospect_id = $1")
            .bind(ada)
            .fetch_one(&app.db)
            .await
            .unwrap();
    let host = app.url("/").host_str().unwrap().to_string();
    let event = calendar
        .events
        .iter()
        .find(|e| property(&e.properties, "UID") == Some(&format!("touch-{}@{host}", ada_touch.0)))
        .expect("Ada's touch, under a stable UID");
    let utc = |ts: OffsetDateTime| {
        ts.format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap()
    };
    assert_eq!(
        property(&event.properties, "DTSTART"),
        Some(utc(ada_touch.1).as_str())
    );
    assert_eq!(
        property(&event.properties, "DTEND"),
        Some(utc(ada_touch.1 + Duration::minutes(15)).as_str())
    );
    assert!(property(&event.properties, "DTSTAMP").is_some());
    assert_eq!(
        property(&event.properties, "URL"),
        Some(
            app.url(&format!("/today/work?touch={}", ada_touch.0))
                .as_str()
        )
    );
    assert!(
        property(&event.properties, "DESCRIPTION")
            .unwrap()
            .contains("Step 1 of Outbound")
    );

    let alan_event = calendar
        .events
        .iter()
        .find(|e| property(&e.properties, "UID") == Some(&format!("touch-{alan_touch}@{host}")))
        .unwrap();
    let snoozed_until: OffsetDateTime =
        sqlx::query_scalar("select snoozed_until from touches where id = $1")
            .bind(alan_touch)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        property(&alan_event.properties, "DTSTART"),
        Some(utc(snoozed_until).as_str()),
        "shown when the snooze ends"
    );

    let held = calendar
        .events
        .iter()
        .find(|e| property(&e.properties, "SUMMARY") == Some("Meeting held with Ada Lovelace"))
        .unwrap();
    assert_eq!(
        property(&held.properties, "DTSTART"),
        Some(utc(held_at).as_str())
    );
    assert_eq!(property(&held.properties, "TRANSP"), Some("OPAQUE"));
    // Text values are escaped as RFC 5545 says (`;` and `,` behind a backslash).
    assert!(
        property(&held.properties, "DESCRIPTION")
            .unwrap()
            .contains("Demo\\; she wants numbers\\, fast")
    );
}

#[sqlx::test]
async fn feed_addresses_are_secret_hashed_and_stop_working_when_replaced_or_revoked(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let client = app.signed_in(RITA).await;
    let first = feed_path(app, &client).await;
    let token = first
        .trim_start_matches("/calendar/")
        .trim_end_matches(".ics")
        .to_string();
    assert!(token.starts_with("cal_") && token.len() > 40, "{token}");
    let stored: Vec<u8> =
        sqlx::query_scalar("select token_hash from calendar_feeds where revoked_at is null")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stored, secret::hash(&token));
    assert_eq!(app.client().get(&first).await.status, StatusCode::OK);
    let profile = client.get("/profile").await;
    assert!(!profile.body.contains(&token), "shown once");
    assert!(profile.body.contains("last read by a calendar"));

    // Guesses and near misses find nothing.
    for path in [
        "/calendar/cal_nope.ics".to_string(),
        first.trim_end_matches(".ics").to_string(),
        first.replace("cal_", "cal_x"),
    ] {
        assert_eq!(
            app.client().get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    let second = feed_path(app, &client).await;
    assert_ne!(first, second);
    assert_eq!(
        app.client().get(&first).await.status,
        StatusCode::NOT_FOUND,
        "replaced"
    );
    assert_eq!(app.client().get(&second).await.status, StatusCode::OK);

    let revoked = client
        .post_form::<&str, &str>("/profile/calendar/revoke", &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.client().get(&second).await.status,
        StatusCode::NOT_FOUND,
        "revoked"
    );

    // A deactivated rep's feed closes with their account.
    let third = feed_path(app, &client).await;
    sqlx::query("update users set active = false where id = $1")
        .bind(org.rita)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(app.client().get(&third).await.status, StatusCode::NOT_FOUND);
    // Creating a feed is a form like any other: without the CSRF token it is refused.
    let sam = app.signed_in(SAM).await;
    assert_eq!(
        sam.post_form_without_token("/profile/calendar", &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

/// A rep with more touches than a calendar can show: every re-engage date is in (one
/// months past the feed's horizon too), a day's touches beyond the limit are one all-day
/// event that counts them, nothing else is left out, and every line of a feed full of
/// names in characters of one to four bytes is at most 75 octets, folded between
/// characters, as an independent parser reads it.
#[sqlx::test]
async fn a_busy_reps_feed_keeps_every_re_engage_date_and_says_what_it_leaves_out(pool: PgPool) {
    const SPREAD: i64 = 2_100;
    const BUSY: i64 = 40;
    let org = org::org(pool).await;
    let app = &org.app;
    let cadence = org.outbound_cadence(&[(Channel::Call, 0)]).await;
    sqlx::query("update users set time_zone = 'Europe/Paris' where id = $1")
        .bind(org.rita)
        .execute(&app.db)
        .await
        .unwrap();
    // Names whose lengths and characters put the folds everywhere.
    sqlx::query(
        "insert into prospects (owner_id, first_name, last_name)
         select $1, 'Zoë' || repeat('老', (i % 37)::int), repeat('🦀é', (i % 23)::int) || 'x'
         from generate_series(1::bigint, $2) i",
    )
    .bind(org.rita)
    .bind(SPREAD + BUSY)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "insert into enrollments (prospect_id, cadence_id, version_id, enrolled_by)
         select p.id, c.id, v.id, $2 from prospects p
         join cadences c on c.id = $1 join cadence_versions v on v.cadence_id = c.id",
    )
    .bind(cadence)
    .bind(org.rita)
    .execute(&app.db)
    .await
    .unwrap();
    // 21 touches a day over the next 100 days at noon UTC (afternoon in Paris), and 40
    // more on day 50: 2,140 in all, 61 on that day.
    sqlx::query(
        "insert into touches (prospect_id, owner_id, kind, enrollment_id, step_id, channel, due_at)
         select e.prospect_id, $1, 'step', e.id, s.id, 'call',
                date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'
                  + make_interval(days => case when n <= $2 then (n % 100)::int + 1 else 50 end)
                  + interval '12 hours' + make_interval(secs => n)
         from (select e.*, row_number() over (order by e.id) as n from enrollments e) e
         join cadence_steps s on s.version_id = e.version_id",
    )
    .bind(org.rita)
    .bind(SPREAD)
    .execute(&app.db)
    .await
    .unwrap();
    // Re-engage dates: soon, after the busy days, and past the feed's four months.
    let now = OffsetDateTime::now_utc();
    let mut re_engage = Vec::new();
    for (prospect, days) in [(1i64, 10i64), (2, 110), (3, 200)] {
        let id: i64 = sqlx::query_scalar(
            "insert into touches (prospect_id, owner_id, kind, channel, due_at)
             select id, $2, 're_engage', 'call', $3 from prospects order by id offset $1 limit 1
             returning id",
        )
        .bind(prospect - 1)
        .bind(org.rita)
        .bind(now + Duration::days(days))
        .fetch_one(&app.db)
        .await
        .unwrap();
        re_engage.push(id);
    }
    let expected: std::collections::HashMap<i64, String> = sqlx::query_as(
        "select t.id, 'Call ' || p.first_name || ' ' || p.last_name
         from touches t join prospects p on p.id = t.prospect_id where t.kind = 'step'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
    .into_iter()
    .collect();
    assert_eq!(expected.len() as i64, SPREAD + BUSY);

    let client = app.signed_in(RITA).await;
    let path = feed_path(app, &client).await;
    let response = app.client().get(&path).await;
    assert_eq!(response.status, StatusCode::OK);
    let body = &response.body;
    assert!(!body.contains('\u{FFFD}'), "a character was cut");
    for line in body.split_terminator("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let calendar = parse(body);
    let host = app.url("/").host_str().unwrap().to_string();
    let uid = |e: &IcalEvent| property(&e.properties, "UID").unwrap().to_string();

    for id in &re_engage {
        assert!(
            calendar
                .events
                .iter()
                .any(|e| uid(e) == format!("touch-{id}@{host}")),
            "re-engage touch {id}"
        );
    }
    // Every step touch is an event with its name whole, but for the busy day's 31 beyond 30.
    let mut shown = 0;
    for event in &calendar.events {
        let uid = uid(event);
        let Some(id) = uid
            .strip_prefix("touch-")
            .and_then(|rest| rest.strip_suffix(&format!("@{host}")))
            .and_then(|id| id.parse::<i64>().ok())
        else {
            continue;
        };
        if let Some(name) = expected.get(&id) {
            assert_eq!(property(&event.properties, "SUMMARY"), Some(name.as_str()));
            shown += 1;
        }
    }
    assert_eq!(shown, SPREAD + BUSY - 31);
    let busy_day = (now.date() + Duration::days(50))
        .format(time::macros::format_description!("[year][month][day]"))
        .unwrap();
    let more: Vec<&IcalEvent> = calendar
        .events
        .iter()
        .filter(|e| uid(e).starts_with("more-"))
        .collect();
    assert_eq!(more.len(), 1, "{:?}", summaries(&calendar.events));
    assert_eq!(uid(more[0]), format!("more-{busy_day}@{host}"));
    assert_eq!(
        property(&more[0].properties, "DTSTART"),
        Some(busy_day.as_str())
    );
    assert_eq!(
        property(&more[0].properties, "SUMMARY"),
        Some("Prospector: 31 more touches this day")
    );
    assert_eq!(
        property(&more[0].properties, "URL"),
        Some(app.url("/today").as_str())
    );
}
