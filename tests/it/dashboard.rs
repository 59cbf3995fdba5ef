//! The manager dashboard: every figure against a hand-built history with known answers, the
//! lists behind the numbers, the CSV exports, the filters and who may see what.

use std::collections::HashMap;

use prospector::{
    cadences::{
        Purpose,
        db::{CadenceInput, StepInput, create},
    },
    dashboard::filters::monday_of,
    interactions::{Channel, Outcome},
    opportunities::Stage,
};
use reqwest::StatusCode;
use sqlx::PgPool;
use time::{Date, Duration, OffsetDateTime, Time};

use crate::support::{
    TestClient,
    org::{ADMIN, MAYA, Org, RAVI, org},
    work::{
        self, current, enroll, exit, future, log, move_stage, no_interest, no_next_step, skip,
        unassessed,
    },
};

/// The history every figure below is checked against. All users are in UTC. `w` is the
/// Monday four weeks before this one; the range is its two weeks, `w` to `w + 13`.
///
/// North (Maya's team): Rita and Ravi. South: Sam.
///
/// | prospect | owner | history (day: what)                                              |
/// |----------|-------|-----------------------------------------------------------------|
/// | p1       | Rita  | 0 call no answer; 1 call connected, current ($10k qualifying)   |
/// | p2       | Rita  | 7 email replied, future (re-engage day 11); 11 call connected from the re-engage touch, current ($5k meeting) |
/// | p3       | Rita  | 8 meeting held, current ($20k proposal); 9 won                  |
/// | p7       | Rita  | 2 call connected, future (re-engage day 4; never worked)        |
/// | p8       | Rita  | nothing; no next step, with a reason                             |
/// | p4       | Ravi  | 3 LinkedIn no answer; 4 LinkedIn not interested, no interest     |
/// | p5       | Ravi  | −20 call connected; 3 enrolled in the fixture cadence; 4 exited "Wrong person"; 5 call no answer |
/// | p6       | Ravi  | 1 enrolled; 1 email replied from step 1; 2 step 2 skipped (cadence completes) |
/// | p9       | Sam   | 1 call connected, current ($7k qualifying)                      |
struct Fixture {
    org: Org,
    w: Date,
    cadence: i64,
    p: HashMap<&'static str, i64>,
}

fn at(w: Date, day: i64, hour: u8) -> OffsetDateTime {
    (w + Duration::days(day))
        .with_time(Time::from_hms(hour, 0, 0).unwrap())
        .assume_utc()
}

async fn fixture(pool: PgPool) -> Fixture {
    let org = org(pool).await;
    let db = org.app.db.clone();
    let (rita, ravi, sam) = (org.rita, org.ravi, org.sam);
    let w = monday_of(OffsetDateTime::now_utc().date()) - Duration::weeks(4);
    let mut p = HashMap::new();
    for (key, owner, first) in [
        ("p1", rita, "One"),
        ("p2", rita, "Two"),
        ("p3", rita, "Three"),
        ("p7", rita, "Seven"),
        ("p8", rita, "Eight"),
        ("p4", ravi, "Four"),
        ("p5", ravi, "Five"),
        ("p6", ravi, "Six"),
        ("p9", sam, "Nine"),
    ] {
        let id = org
            .app
            .create_prospect(owner, first, "Fixture", Some(&format!("{key}@example.org")))
            .await;
        p.insert(key, id);
    }
    let cadence = {
        let mut conn = db.acquire().await.unwrap();
        let step = |channel| StepInput {
            channel,
            delay_business_days: 1,
            window: None,
            instructions: String::new(),
            template: String::new(),
        };
        create(
            &mut conn,
            org.maya,
            &CadenceInput {
                name: "Fixture pursue".into(),
                purpose: Purpose::Pursue,
                description: String::new(),
                is_default: false,
                steps: vec![step(Channel::Email), step(Channel::Call)],
            },
        )
        .await
        .unwrap()
    };

    use Channel::*;
    use Outcome::*;
    let h = History { db: &db, w };
    // Rita.
    h.log(rita, p["p1"], (0, 10), Call, NoAnswer, unassessed(), None)
        .await;
    let qualifying = current(Stage::Qualifying, 10_000);
    h.log(rita, p["p1"], (1, 10), Call, Connected, qualifying, None)
        .await;
    let re_engage_on = w + Duration::days(11);
    h.log(
        rita,
        p["p2"],
        (7, 10),
        Email,
        Replied,
        future(re_engage_on),
        None,
    )
    .await;
    let re_engage = work::open_touch(&db, p["p2"], "re_engage").await;
    let meeting = current(Stage::Meeting, 5_000);
    h.log(rita, p["p2"], (11, 11), Call, Connected, meeting, re_engage)
        .await;
    let proposal = current(Stage::Proposal, 20_000);
    let won = h
        .log(rita, p["p3"], (8, 10), Meeting, MeetingHeld, proposal, None)
        .await;
    move_stage(&db, rita, won.unwrap(), Stage::Won, at(w, 9, 10)).await;
    let re_engage_on = w + Duration::days(4);
    h.log(
        rita,
        p["p7"],
        (2, 10),
        Call,
        Connected,
        future(re_engage_on),
        None,
    )
    .await;
    no_next_step(&db, p["p8"], Some("Only at trade shows")).await;
    // Ravi.
    h.log(
        ravi,
        p["p4"],
        (3, 10),
        Linkedin,
        NoAnswer,
        unassessed(),
        None,
    )
    .await;
    let none = no_interest("No budget");
    h.log(ravi, p["p4"], (4, 10), Linkedin, NotInterested, none, None)
        .await;
    h.log(
        ravi,
        p["p5"],
        (-20, 10),
        Call,
        Connected,
        unassessed(),
        None,
    )
    .await;
    enroll(&db, ravi, p["p5"], cadence, at(w, 3, 10)).await;
    exit(&db, ravi, p["p5"], "Wrong person", at(w, 4, 11)).await;
    h.log(ravi, p["p5"], (5, 10), Call, NoAnswer, unassessed(), None)
        .await;
    enroll(&db, ravi, p["p6"], cadence, at(w, 1, 9)).await;
    let step1 = work::open_touch(&db, p["p6"], "step").await;
    h.log(ravi, p["p6"], (1, 14), Email, Replied, unassessed(), step1)
        .await;
    let step2 = work::open_touch(&db, p["p6"], "step")
        .await
        .expect("step 2");
    skip(&db, ravi, step2, at(w, 2, 12)).await;
    // Sam, in the other team.
    let qualifying = current(Stage::Qualifying, 7_000);
    h.log(sam, p["p9"], (1, 10), Call, Connected, qualifying, None)
        .await;

    Fixture { org, w, cadence, p }
}

/// Logs at a day and hour of the fixture's range.
struct History<'a> {
    db: &'a PgPool,
    w: Date,
}

impl History<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn log(
        &self,
        actor: i64,
        prospect: i64,
        (day, hour): (i64, u8),
        channel: Channel,
        outcome: Outcome,
        decision: prospector::interactions::form::DecisionInput,
        from_touch: Option<i64>,
    ) -> Option<i64> {
        let at = at(self.w, day, hour);
        log(
            self.db, actor, prospect, at, channel, outcome, decision, from_touch,
        )
        .await
        .1
    }
}

impl Fixture {
    fn range(&self) -> String {
        format!("from={}&to={}", self.w, self.w + Duration::days(13))
    }

    async fn manager(&self) -> TestClient {
        self.org.app.signed_in(MAYA).await
    }
}

/// A CSV export as rows of named fields.
async fn csv_rows(client: &TestClient, path: &str) -> Vec<HashMap<String, String>> {
    let response = client.get(path).await;
    assert_eq!(response.status, StatusCode::OK, "{path}: {}", response.body);
    assert_eq!(
        response.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        response
            .header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment; filename=\"prospector-")),
        "{:?}",
        response.header("content-disposition")
    );
    let mut reader = csv::Reader::from_reader(response.body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn find<'a>(
    rows: &'a [HashMap<String, String>],
    key: &str,
    value: &str,
) -> &'a HashMap<String, String> {
    rows.iter()
        .find(|r| r[key] == value)
        .unwrap_or_else(|| panic!("no row with {key} = {value} in {rows:?}"))
}

/// The "N counted, on M prospects" line of a list behind a number.
async fn list_totals(client: &TestClient, href: &str) -> String {
    let response = client.get(href).await;
    assert_eq!(response.status, StatusCode::OK, "{href}: {}", response.body);
    response.text("#list-totals").unwrap_or_default()
}

#[sqlx::test]
async fn each_figure_matches_the_hand_built_history(pool: PgPool) {
    let fx = fixture(pool).await;
    let maya = fx.manager().await;
    let range = fx.range();

    // Pipeline: North's open opportunities are p1's and p2's (p3's is won, p9 is South).
    let pipeline = csv_rows(&maya, &format!("/dashboard/pipeline.csv?{range}")).await;
    let qualifying = find(&pipeline, "stage", "qualifying");
    assert_eq!(qualifying["open_opportunities"], "1");
    assert_eq!(qualifying["total_value"], "10000");
    assert_eq!(qualifying["weighted_value"], "1000", "10 % of $10,000");
    let meeting = find(&pipeline, "stage", "meeting");
    assert_eq!(meeting["open_opportunities"], "1");
    assert_eq!(meeting["weighted_value"], "1250", "25 % of $5,000");
    assert_eq!(
        find(&pipeline, "stage", "proposal")["open_opportunities"],
        "0"
    );
    // Both were last touched more than 14 days ago.
    let stalled = find(&pipeline, "stage", "stalled_14_days");
    assert_eq!(stalled["open_opportunities"], "2");
    assert_eq!(stalled["total_value"], "15000");

    // Funnel: first touched in the range are p1, p2, p3, p4, p6 and p7 (p5 before it).
    let funnel = csv_rows(&maya, &format!("/dashboard/funnel.csv?{range}")).await;
    let reached: Vec<(&str, &str)> = funnel
        .iter()
        .map(|r| (r["step"].as_str(), r["prospects"].as_str()))
        .collect();
    assert_eq!(
        reached,
        [
            ("touched", "6"),
            ("connected", "5"),
            ("meeting_booked", "3"),
            ("meeting_held", "3"),
            ("opportunity", "3"),
            ("won", "1"),
        ]
    );
    assert_eq!(
        find(&funnel, "step", "won")["conversion_from_previous"],
        "0.3333"
    );

    // Activity per rep, week and channel (p5's call before the range does not count).
    let activity = csv_rows(&maya, &format!("/dashboard/activity.csv?{range}")).await;
    let mut cells: Vec<(String, String, String, String)> = activity
        .iter()
        .map(|r| {
            (
                r["rep"].clone(),
                r["week_beginning"].clone(),
                r["channel"].clone(),
                r["interactions"].clone(),
            )
        })
        .collect();
    cells.sort();
    let (w0, w1) = (fx.w.to_string(), (fx.w + Duration::weeks(1)).to_string());
    let expected = |rep: &str, week: &str, channel: &str, n: &str| {
        (
            rep.to_string(),
            week.to_string(),
            channel.to_string(),
            n.to_string(),
        )
    };
    let mut want = vec![
        expected("Ravi Rep", &w0, "call", "1"),
        expected("Ravi Rep", &w0, "email", "1"),
        expected("Ravi Rep", &w0, "linkedin", "2"),
        expected("Rita Rep", &w0, "call", "3"),
        expected("Rita Rep", &w1, "call", "1"),
        expected("Rita Rep", &w1, "email", "1"),
        expected("Rita Rep", &w1, "meeting", "1"),
    ];
    want.sort();
    assert_eq!(cells, want);

    // Interest: decisions per week, the states now, the comeback of p2 after 4 days 1 hour.
    let interest = csv_rows(&maya, &format!("/dashboard/interest.csv?{range}")).await;
    let value = |measure: &str, key: &str| {
        interest
            .iter()
            .find(|r| r["measure"] == measure && r["key"] == key)
            .unwrap_or_else(|| panic!("no {measure}/{key} in {interest:?}"))["value"]
            .clone()
    };
    assert_eq!(value("decisions_current", &w0), "1");
    assert_eq!(value("decisions_future", &w0), "1");
    assert_eq!(value("decisions_none", &w0), "1");
    assert_eq!(value("decisions_current", &w1), "2");
    assert_eq!(value("decisions_future", &w1), "1");
    assert_eq!(value("decisions_none", &w1), "0");
    assert_eq!(value("prospects_now", "new"), "3", "p5, p6 and p8");
    assert_eq!(value("prospects_now", "current"), "2");
    assert_eq!(value("prospects_now", "future"), "1");
    assert_eq!(value("prospects_now", "none"), "1");
    assert_eq!(value("prospects_now", "customer"), "1");
    assert_eq!(value("back_to_current", ""), "1");
    assert_eq!(value("median_days_future_before_back", ""), "4.0");

    // Follow-through: p7's re-engage touch is overdue and missed; p2's was honoured on
    // time. Dead ends: Rita's p1 and p2 (current, nothing scheduled), Ravi's p5 and p6.
    let follow = csv_rows(&maya, &format!("/dashboard/follow-through.csv?{range}")).await;
    let rita = find(&follow, "rep", "Rita Rep");
    assert_eq!(rita["overdue_touches"], "1");
    assert_eq!(rita["dead_ends"], "2");
    assert_eq!(rita["re_engage_due"], "2");
    assert_eq!(rita["re_engage_on_time"], "1");
    let ravi = find(&follow, "rep", "Ravi Rep");
    assert_eq!(ravi["overdue_touches"], "0");
    assert_eq!(ravi["dead_ends"], "2");
    assert_eq!(ravi["re_engage_due"], "0");
    // Maya owns no prospects: a manager, not one of the reps measured. Sam is in South.
    let reps: Vec<&str> = follow.iter().map(|r| r["rep"].as_str()).collect();
    assert_eq!(reps, ["Ravi Rep", "Rita Rep"]);

    // Cadences: step 1 done with a reply (p6) and cancelled when p5 left; step 2 skipped.
    let cadences = csv_rows(&maya, &format!("/dashboard/cadences.csv?{range}")).await;
    let step = |n: &str| {
        cadences
            .iter()
            .find(|r| r["step"] == n)
            .unwrap_or_else(|| panic!("no step {n} in {cadences:?}"))
    };
    assert_eq!(step("1")["done"], "1");
    assert_eq!(step("1")["skipped"], "0");
    assert_eq!(step("1")["cancelled"], "1");
    assert_eq!(step("1")["replied"], "1");
    assert_eq!(step("1")["meetings"], "0");
    assert_eq!(step("2")["done"], "0");
    assert_eq!(step("2")["skipped"], "1");
    assert_eq!(step("2")["cancelled"], "0");
    let endings: Vec<(&str, &str, &str)> = cadences
        .iter()
        .filter(|r| !r["ending"].is_empty())
        .map(|r| {
            (
                r["ending"].as_str(),
                r["reason"].as_str(),
                r["enrollments"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        endings,
        [("completed", "", "1"), ("exited", "Wrong person", "1")]
    );
    assert!(cadences.iter().all(|r| r["cadence"] == "Fixture pursue"));
}

#[sqlx::test]
async fn every_number_leads_to_the_list_behind_it(pool: PgPool) {
    let fx = fixture(pool).await;
    let maya = fx.manager().await;
    let range = fx.range();
    let page = maya.get(&format!("/dashboard?{range}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);

    // Every section is there, each chart an accessible SVG with its data table.
    for id in [
        "pipeline",
        "funnel",
        "activity",
        "interest",
        "follow-through",
        "cadences",
    ] {
        assert!(page.exists(&format!("section#{id}")), "section {id}");
        assert!(
            page.exists(&format!("section#{id} a[href^='/dashboard/{id}.csv?']")),
            "{id} CSV"
        );
    }
    // Each chart is named by its title; one whose marks are links is not role=img, which
    // would hide the links from assistive technology.
    let charts = page.attrs("svg.chart", "aria-labelledby");
    assert!(charts.len() >= 10, "{} charts", charts.len());
    assert!(charts.iter().all(|id| page.exists(&format!("#{id}"))));
    assert!(
        !page.exists("svg.chart[role=img] a"),
        "no link inside an image"
    );
    assert_eq!(
        page.texts("details.dash-data summary").len(),
        page.texts("svg.chart").len(),
        "each chart has its data table"
    );

    // Every link behind a number opens a list (and none is broken).
    let links = page.attrs("a[href^='/dashboard/list?']", "href");
    assert!(links.len() > 40, "{} links", links.len());
    let mut distinct = links.clone();
    distinct.sort();
    distinct.dedup();
    for href in &distinct {
        let list = maya.get(href).await;
        assert_eq!(list.status, StatusCode::OK, "{href}: {}", list.body);
    }

    // A few numbers against their lists.
    let funnel_connected = page
        .attrs("section#funnel table a", "href")
        .into_iter()
        .find(|h| h.contains("step=connected"))
        .expect("the connected step links to its list");
    assert_eq!(
        list_totals(&maya, &funnel_connected).await,
        "Your team · 5 counted, on 5 prospects"
    );
    let list = maya.get(&funnel_connected).await;
    let names = list.texts("#behind tbody tr td:first-child a");
    assert_eq!(names.len(), 5);
    assert!(
        !names.iter().any(|n| n.starts_with("Four")),
        "p4 never connected"
    );

    let w0 = fx.w.to_string();
    let ravi_linkedin = format!(
        "/dashboard/list?{range}&rep={}&show=activity&channel=linkedin",
        fx.org.ravi
    );
    assert!(
        links.contains(&ravi_linkedin),
        "Ravi's LinkedIn bar links to {ravi_linkedin}"
    );
    let ravi_week_one = format!(
        "/dashboard/list?from={w0}&to={}&rep={}&show=activity",
        fx.w + Duration::days(6),
        fx.org.ravi
    );
    assert!(
        links.contains(&ravi_week_one),
        "Ravi's first week links to {ravi_week_one}"
    );
    assert_eq!(
        list_totals(&maya, &ravi_week_one).await,
        "Ravi Rep · 4 counted, on 3 prospects"
    );
    assert_eq!(
        list_totals(&maya, &ravi_linkedin).await,
        "Ravi Rep · 2 counted, on 1 prospect"
    );

    let dead_ends = format!("/dashboard/list?{range}&show=dead_ends");
    assert_eq!(
        list_totals(&maya, &dead_ends).await,
        "Your team · 4 counted, on 4 prospects"
    );
    let comebacks = format!("/dashboard/list?{range}&show=comebacks");
    let list = maya.get(&comebacks).await;
    assert_eq!(
        list.texts("#behind tbody tr td:first-child a"),
        ["Two Fixture"]
    );

    let stalled = format!("/dashboard/list?{range}&show=stalled");
    let list = maya.get(&stalled).await;
    assert_eq!(list.texts("#behind tbody tr").len(), 2);
    assert!(list.body.contains("$10,000") && list.body.contains("$5,000"));

    let missed = format!(
        "/dashboard/list?{range}&rep={}&show=re_engage&on_time=no",
        fx.org.rita
    );
    let list = maya.get(&missed).await;
    assert_eq!(
        list.texts("#behind tbody tr td:first-child a"),
        ["Seven Fixture"]
    );

    let exited = format!(
        "/dashboard/list?{range}&show=cadence_ending&cadence={}&ending=exited&reason=Wrong+person",
        fx.cadence
    );
    let list = maya.get(&exited).await;
    assert_eq!(
        list.texts("#behind tbody tr td:first-child a"),
        ["Five Fixture"]
    );
    assert!(fx.p.contains_key("p5"));
}

#[sqlx::test]
async fn filters_narrow_the_figures_and_bad_ones_are_explained(pool: PgPool) {
    let fx = fixture(pool).await;
    let maya = fx.manager().await;
    let range = fx.range();

    // One rep: only Ravi's interactions.
    let activity = csv_rows(
        &maya,
        &format!("/dashboard/activity.csv?{range}&rep={}", fx.org.ravi),
    )
    .await;
    assert!(
        activity.iter().all(|r| r["rep"] == "Ravi Rep"),
        "{activity:?}"
    );
    assert_eq!(activity.len(), 3);

    // A narrower range: the second week only.
    let second = format!(
        "from={}&to={}",
        fx.w + Duration::weeks(1),
        fx.w + Duration::days(13)
    );
    let funnel = csv_rows(&maya, &format!("/dashboard/funnel.csv?{second}")).await;
    assert_eq!(
        funnel[0]["prospects"], "2",
        "p2 and p3 were first touched in week two"
    );

    // Bad input: each problem beside its field, what was typed kept, no figures.
    let response = maya
        .get(&format!(
            "/dashboard?from={}&to={}&rep={}&stalled=0",
            fx.w + Duration::days(13),
            fx.w,
            fx.org.sam
        ))
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.text("#to-error").as_deref(),
        Some("The end of the range comes before its start.")
    );
    assert_eq!(
        response.text("#rep-error").as_deref(),
        Some("Choose a rep from the list.")
    );
    assert_eq!(
        response.text("#stalled-error").as_deref(),
        Some("Use a whole number of days from 1 to 365.")
    );
    assert_eq!(
        response.field_value("from"),
        Some((fx.w + Duration::days(13)).to_string())
    );
    assert!(!response.exists("section#pipeline"));
    let response = maya.get("/dashboard?from=yesterday").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.text("#from-error").as_deref(),
        Some("Enter a date as YYYY-MM-DD.")
    );
    assert_eq!(response.field_value("from").as_deref(), Some("yesterday"));
    let response = maya.get("/dashboard?from=2020-01-01&to=2026-01-01").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(
        response
            .text("#from-error")
            .unwrap()
            .contains("at most 731 days")
    );

    // The CSV and list endpoints refuse bad filters with a clear message too.
    let response = maya.get("/dashboard/funnel.csv?to=soon").await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(
        response.body.contains("Enter a date as YYYY-MM-DD."),
        "{}",
        response.body
    );
    assert_eq!(
        maya.get("/dashboard/nothing.csv").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        maya.get("/dashboard/list?show=nonsense").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        maya.get("/dashboard/list?show=dead_ends&after=x")
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
}

#[sqlx::test]
async fn each_role_sees_its_own_scope(pool: PgPool) {
    let fx = fixture(pool).await;
    let range = fx.range();

    // A rep sees their own figures only, and cannot pick a colleague.
    let ravi = fx.org.app.signed_in(RAVI).await;
    let activity = csv_rows(&ravi, &format!("/dashboard/activity.csv?{range}")).await;
    assert!(activity.iter().all(|r| r["rep"] == "Ravi Rep"));
    let response = ravi
        .get(&format!("/dashboard?{range}&rep={}", fx.org.rita))
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let dead_ends = list_totals(&ravi, &format!("/dashboard/list?{range}&show=dead_ends")).await;
    assert_eq!(dead_ends, "Your figures · 2 counted, on 2 prospects");

    // A manager cannot look at another team.
    let maya = fx.manager().await;
    let south: i64 = sqlx::query_scalar("select id from teams where name = 'South'")
        .fetch_one(&fx.org.app.db)
        .await
        .unwrap();
    let response = maya.get(&format!("/dashboard?team={south}")).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert!(
        response
            .text(".form-errors")
            .is_some_and(|t| t.contains("Choose a team from the list.")),
        "{}",
        response.body
    );

    // An admin sees every team (figures per team) or one.
    let admin = fx.org.app.signed_in(ADMIN).await;
    let pipeline = csv_rows(&admin, &format!("/dashboard/pipeline.csv?{range}")).await;
    assert_eq!(
        find(&pipeline, "stage", "qualifying")["open_opportunities"],
        "2"
    );
    let page = admin.get(&format!("/dashboard?{range}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Overdue touches and dead ends per team"));
    let pipeline = csv_rows(
        &admin,
        &format!("/dashboard/pipeline.csv?{range}&team={south}"),
    )
    .await;
    assert_eq!(
        find(&pipeline, "stage", "qualifying")["total_value"],
        "7000"
    );

    // Lists show only prospects the viewer may open, even when an admin-only team is named.
    let response = ravi
        .get(&format!(
            "/dashboard/list?{range}&team={south}&show=dead_ends"
        ))
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
}

/// The stalled list dates each opportunity by its last activity, the thing that makes it
/// stalled: an interaction logged weeks ago (written today) is shown weeks ago, not today.
#[sqlx::test]
async fn the_stalled_list_shows_when_each_opportunity_last_moved(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut expected = Vec::new();
    for (first, days) in [("Quiet", 20), ("Silent", 45)] {
        let prospect = app.create_prospect(org.rita, first, "Deal", None).await;
        let at = now - Duration::days(days);
        let (_, opportunity) = log(
            &app.db,
            org.rita,
            prospect,
            at,
            Channel::Call,
            Outcome::Connected,
            current(Stage::Qualifying, 1_000),
            None,
        )
        .await;
        assert!(opportunity.is_some());
        expected.push((
            format!("{first} Deal"),
            prospector::web::format::datetime(at, "UTC"),
        ));
    }
    let list = app
        .signed_in(MAYA)
        .await
        .get("/dashboard/list?show=stalled")
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let header = list.texts("#behind thead th");
    assert_eq!(header.last().map(String::as_str), Some("Last activity"));
    let prospects = list.texts("#behind tbody tr td:nth-child(2)");
    let dates = list.texts("#behind tbody tr td:last-child");
    let mut shown: Vec<(String, String)> = prospects.into_iter().zip(dates).collect();
    shown.sort();
    assert_eq!(shown, expected);
}
