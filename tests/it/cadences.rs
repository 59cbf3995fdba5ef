//! Cadences: who may change them, the step editor and its validation, versions that keep
//! enrolled prospects on their plan, one default per purpose, archiving, the live template
//! preview, and the demo workspace's cadences.

use prospector::cadences::{Purpose, db, demo::create_demo_cadences, template};
use prospector::interactions::Channel;
use reqwest::StatusCode;
use sqlx::PgPool;
use time::macros::time;

use crate::support::{
    TestApp, TestClient, TestResponse,
    org::{ADMIN, MAYA, RITA, org},
};

type Fields = Vec<(String, String)>;

/// One step row as the editor posts it.
fn row(
    channel: &str,
    delay: &str,
    window: (&str, &str),
    instructions: &str,
    template: &str,
) -> Fields {
    [
        ("step_order", ""),
        ("step_channel", channel),
        ("step_delay", delay),
        ("step_window_start", window.0),
        ("step_window_end", window.1),
        ("step_instructions", instructions),
        ("step_template", template),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn blank_row() -> Fields {
    row("", "", ("", ""), "", "")
}

fn cadence_fields(name: &str, purpose: &str, is_default: bool, rows: &[Fields]) -> Fields {
    let mut fields = vec![
        ("name".to_string(), name.to_string()),
        ("purpose".to_string(), purpose.to_string()),
        ("description".to_string(), String::new()),
    ];
    if is_default {
        fields.push(("is_default".into(), "on".into()));
    }
    for r in rows {
        fields.extend(r.iter().cloned());
    }
    fields
}

/// A two-step pursue cadence: an email on the day, a morning call two business days later.
fn two_steps() -> Vec<Fields> {
    vec![
        row(
            "email",
            "0",
            ("", ""),
            "Send the intro.",
            "Hi {{first_name}}, {{owner_first_name}} here.",
        ),
        row("call", "2", ("09:30", "11:30"), "Call in the morning.", ""),
        blank_row(),
    ]
}

fn cadence_id_from(response: &TestResponse) -> i64 {
    response
        .location()
        .and_then(|l| l.strip_prefix("/cadences/"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "not sent to a cadence: {} {}",
                response.status, response.body
            )
        })
}

async fn create_cadence(
    client: &TestClient,
    name: &str,
    purpose: &str,
    is_default: bool,
    rows: &[Fields],
) -> i64 {
    let response = client
        .post_form(
            "/cadences",
            &cadence_fields(name, purpose, is_default, rows),
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    cadence_id_from(&response)
}

/// The id of each version of a cadence, oldest first.
async fn version_ids(app: &TestApp, cadence_id: i64) -> Vec<i64> {
    sqlx::query_scalar("select id from cadence_versions where cadence_id = $1 order by version")
        .bind(cadence_id)
        .fetch_all(&app.db)
        .await
        .unwrap()
}

async fn is_default(app: &TestApp, cadence_id: i64) -> bool {
    sqlx::query_scalar("select is_default from cadences where id = $1")
        .bind(cadence_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Sets the `n`-th (from 0) value of a repeated field.
fn set_nth(fields: &mut Fields, name: &str, n: usize, value: &str) {
    let slot = fields
        .iter_mut()
        .filter(|(k, _)| k == name)
        .nth(n)
        .unwrap_or_else(|| panic!("no {name} number {n}"));
    slot.1 = value.to_string();
}

async fn edit_form(client: &TestClient, id: i64) -> Fields {
    let page = client.get(&format!("/cadences/{id}/edit")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.form_values(&format!("form[action='/cadences/{id}']"))
}

#[sqlx::test]
async fn a_manager_creates_a_cadence_with_steps(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;

    let new = maya.get("/cadences/new").await;
    assert_eq!(new.status, StatusCode::OK);
    assert_eq!(new.attrs("select[name=step_channel]", "id").len(), 3);
    assert!(
        new.body.contains("{{first_name}}"),
        "merge fields are listed"
    );

    let id = create_cadence(&maya, "Fast follow-up", "pursue", false, &two_steps()).await;

    let (name, purpose, created_by): (String, String, i64) =
        sqlx::query_as("select name, purpose::text, created_by from cadences where id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), purpose.as_str(), created_by),
        ("Fast follow-up", "pursue", org.maya)
    );
    let versions = version_ids(app, id).await;
    assert_eq!(versions.len(), 1);
    let steps = db::steps(&app.db, versions[0]).await.unwrap();
    assert_eq!(steps.len(), 2, "the blank row is ignored");
    assert_eq!(
        (
            steps[0].position,
            steps[0].channel,
            steps[0].delay_business_days
        ),
        (1, Channel::Email, 0)
    );
    assert_eq!(
        steps[0].template,
        "Hi {{first_name}}, {{owner_first_name}} here."
    );
    assert_eq!(
        (
            steps[1].position,
            steps[1].channel,
            steps[1].delay_business_days
        ),
        (2, Channel::Call, 2)
    );
    assert_eq!(
        (steps[1].window_start, steps[1].window_end),
        (Some(time!(9:30)), Some(time!(11:30)))
    );
    assert_eq!(steps[1].instructions, "Call in the morning.");

    let show = maya.get(&format!("/cadences/{id}")).await;
    assert_eq!(show.status, StatusCode::OK);
    assert_eq!(show.text("h1").as_deref(), Some("Fast follow-up"));
    assert!(show.body.contains("Cadence created with 2 steps."));
    let previews = show.texts(".template-preview");
    assert_eq!(previews, vec!["Hi Ada, Riley here."]);
    let rows = show.texts("table.cadence-steps tbody tr");
    assert!(rows[1].contains("Day +2"), "{rows:?}");
    assert!(rows[1].contains("09:30–11:30"), "{rows:?}");

    let list = maya.get("/cadences").await;
    assert_eq!(list.status, StatusCode::OK);
    let listed = list.texts("table.cadence-list tbody tr");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].contains("Fast follow-up") && listed[0].contains("Pursue"));
}

#[sqlx::test]
async fn a_rep_may_read_cadences_but_not_change_them(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;
    let id = create_cadence(&maya, "Fast follow-up", "pursue", false, &two_steps()).await;
    let rita = app.signed_in(RITA).await;

    let list = rita.get("/cadences").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Fast follow-up"));
    assert!(!list.exists("a[href='/cadences/new']"));
    let show = rita.get(&format!("/cadences/{id}")).await;
    assert_eq!(show.status, StatusCode::OK);
    assert_eq!(show.texts(".template-preview"), vec!["Hi Ada, Riley here."]);
    assert!(!show.exists(&format!("a[href='/cadences/{id}/edit']")));
    assert!(!show.exists("form[action$='/archive']"));

    for path in ["/cadences/new".to_string(), format!("/cadences/{id}/edit")] {
        assert_eq!(
            rita.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let fields = cadence_fields("Rita's own", "pursue", true, &two_steps());
    for path in ["/cadences".to_string(), format!("/cadences/{id}")] {
        let response = rita.post_form(&path, &fields).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    }
    let archive = rita
        .post_form(&format!("/cadences/{id}/archive"), &[("archived", "true")])
        .await;
    assert_eq!(archive.status, StatusCode::NOT_FOUND);
    let preview = rita
        .post_form("/cadences/preview", &[("template", "Hi {{first_name}}")])
        .await;
    assert_eq!(preview.status, StatusCode::NOT_FOUND);

    assert_eq!(app.count("cadences").await, 1);
    assert_eq!(app.count("cadence_versions").await, 1);
    let (name, archived, default): (String, bool, bool) =
        sqlx::query_as("select name, archived, is_default from cadences where id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), archived, default),
        ("Fast follow-up", false, false)
    );
}

#[sqlx::test]
async fn an_invalid_form_is_shown_again_with_what_was_typed(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;

    let rows = vec![
        row(
            "email",
            "300",
            ("10:00", ""),
            "Keep these instructions",
            "Dear {{first_name}}",
        ),
        row("call", "1", ("11:30", "09:30"), "", ""),
        row("", "two", ("", ""), "A row without a channel", ""),
    ];
    let response = maya
        .post_form("/cadences", &cadence_fields(" ", "", false, &rows))
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.exists(".form-errors"));
    assert_eq!(
        response.text("#name-error").as_deref(),
        Some("This field is required.")
    );
    assert!(response.exists("#purpose-error"));
    assert!(
        response
            .text("#step-0-delay-error")
            .unwrap()
            .contains("from 0 (same day) to 260")
    );
    assert!(
        response
            .text("#step-0-window-error")
            .unwrap()
            .contains("both")
    );
    assert!(
        response
            .text("#step-1-window-error")
            .unwrap()
            .contains("before")
    );
    assert!(response.exists("#step-2-channel-error"));
    assert!(response.exists("#step-2-delay-error"));

    // Everything typed is still there, row by row.
    let values = response.form_values("form[action='/cadences']");
    let column = |name: &str| -> Vec<String> {
        values
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    assert_eq!(column("step_channel"), vec!["email", "call", ""]);
    assert_eq!(column("step_delay"), vec!["300", "1", "two"]);
    assert_eq!(column("step_window_start"), vec!["10:00", "11:30", ""]);
    assert_eq!(column("step_window_end"), vec!["", "09:30", ""]);
    assert_eq!(
        column("step_instructions"),
        vec!["Keep these instructions", "", "A row without a channel"]
    );
    assert_eq!(column("step_template")[0], "Dear {{first_name}}");
    assert_eq!(app.count("cadences").await, 0);

    // A cadence without any step is refused too.
    let empty = maya
        .post_form(
            "/cadences",
            &cadence_fields("Nothing", "nurture", false, &[blank_row()]),
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty
            .text("#steps-error")
            .unwrap()
            .contains("at least one step")
    );
    assert_eq!(empty.field_value("name").as_deref(), Some("Nothing"));
    assert_eq!(
        empty.attrs("input[name=purpose][checked]", "value"),
        vec!["nurture"]
    );
}

#[sqlx::test]
async fn an_unknown_merge_field_is_refused_with_the_message(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;

    let rows = vec![row(
        "email",
        "0",
        ("", ""),
        "",
        "Hi {{first_name}} from {{company}}",
    )];
    let response = maya
        .post_form("/cadences", &cadence_fields("Typo", "pursue", false, &rows))
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = response.text("#step-0-template-error").unwrap();
    assert!(
        message.starts_with("Unknown merge field: company. Use one of: {{first_name}}"),
        "{message}"
    );
    assert_eq!(
        response.field_value("step_template").as_deref(),
        Some("Hi {{first_name}} from {{company}}")
    );
    assert_eq!(app.count("cadences").await, 0);
}

#[sqlx::test]
async fn editing_writes_a_new_version_and_enrolled_prospects_keep_theirs(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;
    let id = create_cadence(&maya, "Fast follow-up", "pursue", false, &two_steps()).await;
    let v1 = version_ids(app, id).await[0];

    let prospect = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let enrollment: i64 = sqlx::query_scalar(
        "insert into enrollments (prospect_id, cadence_id, version_id, enrolled_by)
         values ($1, $2, $3, $4) returning id",
    )
    .bind(prospect)
    .bind(id)
    .bind(v1)
    .bind(org.rita)
    .fetch_one(&app.db)
    .await
    .unwrap();

    // Slow down the call and add a LinkedIn step after it.
    let mut fields = edit_form(&maya, id).await;
    set_nth(&mut fields, "step_delay", 1, "4");
    set_nth(&mut fields, "step_channel", 2, "linkedin");
    set_nth(&mut fields, "step_delay", 2, "1");
    set_nth(&mut fields, "step_instructions", 2, "Connect with a note.");
    let saved = maya.post_form(&format!("/cadences/{id}"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);

    let versions = version_ids(app, id).await;
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0], v1);
    let v2 = versions[1];
    let enrolled_on: i64 = sqlx::query_scalar("select version_id from enrollments where id = $1")
        .bind(enrollment)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(enrolled_on, v1, "the enrollment keeps its version");

    let old: Vec<_> = db::steps(&app.db, v1)
        .await
        .unwrap()
        .iter()
        .map(|s| (s.channel, s.delay_business_days))
        .collect();
    assert_eq!(old, vec![(Channel::Email, 0), (Channel::Call, 2)]);
    let new: Vec<_> = db::steps(&app.db, v2)
        .await
        .unwrap()
        .iter()
        .map(|s| (s.channel, s.delay_business_days))
        .collect();
    assert_eq!(
        new,
        vec![
            (Channel::Email, 0),
            (Channel::Call, 4),
            (Channel::Linkedin, 1)
        ]
    );
    assert_eq!(
        db::latest_version(&app.db, id)
            .await
            .unwrap()
            .map(|v| v.version_id),
        Some(v2)
    );

    let show = maya.get(&format!("/cadences/{id}")).await;
    assert!(show.body.contains("Saved as version 2."));
    assert!(show.body.contains("1 still on an earlier version"));
    let list = maya.get("/cadences").await;
    let listed = list.text("table.cadence-list tbody tr").unwrap();
    assert!(listed.contains("v2"), "{listed}");

    // Renaming alone changes no plan: no version 3.
    let mut fields = edit_form(&maya, id).await;
    set_nth(&mut fields, "name", 0, "Fast follow-up (calls)");
    let saved = maya.post_form(&format!("/cadences/{id}"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(version_ids(app, id).await.len(), 2);

    // Removing a step is a change of plan: version 3 without it.
    let mut fields = edit_form(&maya, id).await;
    fields.push(("step_remove".into(), "0".into()));
    let saved = maya.post_form(&format!("/cadences/{id}"), &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let versions = version_ids(app, id).await;
    assert_eq!(versions.len(), 3);
    let v3 = db::steps(&app.db, versions[2]).await.unwrap();
    assert_eq!(v3.len(), 2);
    assert_eq!((v3[0].position, v3[0].channel), (1, Channel::Call));
}

#[sqlx::test]
async fn making_a_cadence_the_default_replaces_the_previous_default(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let admin = app.signed_in(ADMIN).await;
    let first = create_cadence(&admin, "Pursue A", "pursue", true, &two_steps()).await;
    let nurture = create_cadence(&admin, "Nurture", "nurture", true, &two_steps()).await;
    assert!(is_default(app, first).await);

    let second = create_cadence(&admin, "Pursue B", "pursue", true, &two_steps()).await;
    assert!(!is_default(app, first).await);
    assert!(is_default(app, second).await);
    assert!(
        is_default(app, nurture).await,
        "another purpose keeps its default"
    );
    let default = db::default_for(&app.db, Purpose::Pursue).await.unwrap();
    assert_eq!(default.map(|d| d.cadence_id), Some(second));

    // Ticking "Default" on the first one's edit form takes it back.
    let mut fields = edit_form(&admin, first).await;
    fields.push(("is_default".into(), "on".into()));
    let saved = admin
        .post_form(&format!("/cadences/{first}"), &fields)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert!(is_default(app, first).await);
    assert!(!is_default(app, second).await);
    assert!(is_default(app, nurture).await);

    // The list marks the one default of each purpose.
    let list = admin.get("/cadences").await;
    let defaults: Vec<String> = list
        .texts("table.cadence-list tbody tr")
        .into_iter()
        .filter(|r| r.contains("Default"))
        .collect();
    assert_eq!(defaults.len(), 2, "{defaults:?}");
    assert!(!list.body.contains("No default"));
}

#[sqlx::test]
async fn names_are_unique_among_cadences_in_use(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;
    let first = create_cadence(&maya, "Fast follow-up", "pursue", false, &two_steps()).await;

    let duplicate = maya
        .post_form(
            "/cadences",
            &cadence_fields("FAST follow-up", "nurture", false, &two_steps()),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        duplicate
            .text("#name-error")
            .unwrap()
            .contains("already has this name")
    );
    assert_eq!(
        duplicate.field_value("name").as_deref(),
        Some("FAST follow-up")
    );
    assert_eq!(app.count("cadences").await, 1);

    // Once the first is archived its name is free; restoring it then is refused.
    let archived = maya
        .post_form(
            &format!("/cadences/{first}/archive"),
            &[("archived", "true")],
        )
        .await;
    assert_eq!(archived.status, StatusCode::SEE_OTHER);
    create_cadence(&maya, "FAST follow-up", "nurture", false, &two_steps()).await;
    let restore = maya
        .post_form(
            &format!("/cadences/{first}/archive"),
            &[("archived", "false")],
        )
        .await;
    assert_eq!(restore.status, StatusCode::SEE_OTHER);
    let page = maya.get(&format!("/cadences/{first}")).await;
    assert!(page.body.contains("Rename one of them before restoring"));
    assert!(db::latest_version(&app.db, first).await.unwrap().is_none());
}

#[sqlx::test]
async fn an_archived_cadence_takes_no_new_enrollments_but_keeps_its_own(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;
    let id = create_cadence(&maya, "Fast follow-up", "pursue", true, &two_steps()).await;
    let v1 = version_ids(app, id).await[0];
    let prospect = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    sqlx::query(
        "insert into enrollments (prospect_id, cadence_id, version_id) values ($1, $2, $3)",
    )
    .bind(prospect)
    .bind(id)
    .bind(v1)
    .execute(&app.db)
    .await
    .unwrap();

    let archived = maya
        .post_form(&format!("/cadences/{id}/archive"), &[("archived", "true")])
        .await;
    assert_eq!(archived.status, StatusCode::SEE_OTHER);
    assert!(db::latest_version(&app.db, id).await.unwrap().is_none());
    assert!(
        db::default_for(&app.db, Purpose::Pursue)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !is_default(app, id).await,
        "an archived cadence is no default"
    );
    let status: String =
        sqlx::query_scalar("select status::text from enrollments where prospect_id = $1")
            .bind(prospect)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(status, "active");

    let page = maya.get(&format!("/cadences/{id}")).await;
    assert!(
        page.body
            .contains("Make another pursue cadence the default")
    );
    assert!(
        maya.get("/cadences")
            .await
            .body
            .contains("No default pursue cadence")
    );
    let in_use = maya.get("/cadences").await;
    assert!(in_use.texts("table.cadence-list tbody tr").is_empty());
    let archived_list = maya.get("/cadences?show=archived").await;
    assert_eq!(archived_list.texts("table.cadence-list tbody tr").len(), 1);
    assert!(db::choices(&app.db).await.unwrap().is_empty());

    let restored = maya
        .post_form(&format!("/cadences/{id}/archive"), &[("archived", "false")])
        .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER);
    assert_eq!(
        db::latest_version(&app.db, id)
            .await
            .unwrap()
            .map(|v| v.version_id),
        Some(v1)
    );
}

#[sqlx::test]
async fn more_rows_keeps_what_was_typed_and_saves_nothing(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;

    let page = maya.get("/cadences/new?rows=5").await;
    assert_eq!(page.attrs("select[name=step_channel]", "id").len(), 5);

    let mut fields = cadence_fields("Draft", "pursue", false, &two_steps());
    fields.push(("more_rows".into(), "1".into()));
    let more = maya.post_form("/cadences", &fields).await;
    assert_eq!(more.status, StatusCode::OK);
    assert_eq!(more.attrs("select[name=step_channel]", "id").len(), 6);
    assert_eq!(more.field_value("name").as_deref(), Some("Draft"));
    assert_eq!(
        more.field_value("step_instructions").as_deref(),
        Some("Send the intro.")
    );
    assert_eq!(app.count("cadences").await, 0);
}

#[sqlx::test]
async fn the_preview_renders_sample_text_or_the_error(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let maya = app.signed_in(MAYA).await;
    maya.get("/cadences/new").await;

    let ok = maya
        .post_form(
            "/cadences/preview",
            &[("template", "Hi {{first_name}}, how is {{ account }}?")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert!(ok.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(
        ok.text(".preview-text").as_deref(),
        Some("Hi Ada, how is Analytical Engines Ltd?")
    );

    let unknown = maya
        .post_form("/cadences/preview", &[("template", "Hi {{firstname}}")])
        .await;
    assert_eq!(unknown.status, StatusCode::OK);
    assert!(
        unknown
            .text(".field-error")
            .unwrap()
            .contains("Unknown merge field: firstname")
    );

    let unclosed = maya
        .post_form("/cadences/preview", &[("template", "Hi {{first_name")])
        .await;
    assert!(
        unclosed
            .text(".field-error")
            .unwrap()
            .contains("not closed")
    );

    let forged = maya
        .post_form_without_token("/cadences/preview", &[("template", "Hi")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[sqlx::test]
async fn the_demo_cadences_are_a_dense_pursue_and_a_sparse_nurture_default(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let mut conn = app.db.acquire().await.unwrap();
    create_demo_cadences(&mut conn, org.maya).await.unwrap();
    create_demo_cadences(&mut conn, org.maya).await.unwrap();
    drop(conn);
    assert_eq!(app.count("cadences").await, 2, "a second call adds nothing");

    let pursue = db::default_for(&app.db, Purpose::Pursue)
        .await
        .unwrap()
        .expect("a default pursue cadence");
    let steps = db::steps(&app.db, pursue.version_id).await.unwrap();
    assert!((7..=9).contains(&steps.len()), "{}", steps.len());
    let span: i32 = steps.iter().map(|s| i32::from(s.delay_business_days)).sum();
    assert!((12..=17).contains(&span), "about three weeks, not {span}");
    for channel in [Channel::Call, Channel::Email, Channel::Linkedin] {
        assert!(steps.iter().any(|s| s.channel == channel), "{channel:?}");
    }
    let morning_calls = steps
        .iter()
        .filter(|s| {
            s.channel == Channel::Call
                && s.window_start == Some(time!(9:30))
                && s.window_end == Some(time!(11:30))
        })
        .count();
    assert!(morning_calls >= 2);

    let nurture = db::default_for(&app.db, Purpose::Nurture)
        .await
        .unwrap()
        .expect("a default nurture cadence");
    let steps = db::steps(&app.db, nurture.version_id).await.unwrap();
    assert!((6..=10).contains(&steps.len()));
    assert!(
        steps
            .iter()
            .all(|s| (20..=40).contains(&s.delay_business_days))
    );
    let span: i32 = steps.iter().map(|s| i32::from(s.delay_business_days)).sum();
    assert!((230..=270).contains(&span), "about a year, not {span}");

    let all = sqlx::query_scalar::<_, String>("select template from cadence_steps")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(all.iter().filter(|t| t.contains("{{first_name}}")).count() >= 6);
    for text in &all {
        assert_eq!(template::check(text), Ok(()), "{text}");
    }

    let maya = app.signed_in(MAYA).await;
    for id in [pursue.cadence_id, nurture.cadence_id] {
        let page = maya.get(&format!("/cadences/{id}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.exists(".template-preview .field-error"));
    }
}
