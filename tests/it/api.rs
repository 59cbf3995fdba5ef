//! The JSON API over real HTTP: tokens (profile page, command line, revocation), no
//! cookies, the pages' visibility rules for every role, writes with the forms' rules and
//! consequences, problem documents, cursors and limits.

use prospector::{auth::secret, cadences::Purpose, interactions::Channel};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::support::{
    TestApp,
    org::{self, ADMIN, MAYA, RAVI, RITA, SAM},
};

fn ids(body: &Value) -> Vec<i64> {
    body["data"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_i64().expect("an id"))
        .collect()
}

fn tomorrow() -> String {
    (OffsetDateTime::now_utc().date() + Duration::days(1)).to_string()
}

#[sqlx::test]
async fn a_token_made_on_the_profile_page_is_shown_once_stored_hashed_and_revocable(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let browser = app.signed_in(RITA).await;

    let refused = browser
        .post_form("/profile/tokens", &[("name", "  ")])
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("Name the token"), "{}", refused.body);

    let created = browser
        .post_form("/profile/tokens", &[("name", "CRM sync")])
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = created
        .text("#new-token code.secret")
        .expect("the new token is shown");
    assert!(token.starts_with("pt_"), "{token}");

    let (hash, prefix): (Vec<u8>, String) =
        sqlx::query_as("select token_hash, token_prefix from api_tokens where name = 'CRM sync'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(hash, secret::hash(&token), "stored as its SHA-256");
    assert!(token.starts_with(&prefix));
    let plain: i64 = sqlx::query_scalar(
        "select count(*) from api_tokens where encode(token_hash, 'escape') like '%' || $1 || '%'",
    )
    .bind(&token[3..])
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(plain, 0);

    // Shown once: the profile lists it by its prefix only.
    let profile = browser.get("/profile").await;
    assert!(!profile.body.contains(&token));
    assert!(profile.body.contains(&prefix));

    let api = app.api(Some(&token));
    let me = api.get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["email"], RITA);
    assert_eq!(me.body["role"], "rep");

    let id: i64 = sqlx::query_scalar("select id from api_tokens where name = 'CRM sync'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let revoked = browser
        .post_form::<&str, &str>(&format!("/profile/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(api.get("/api/v1/me").await.status, StatusCode::UNAUTHORIZED);

    // Another user cannot revoke Rita's tokens.
    let other = app.token_for(RITA).await;
    let other_id: i64 = sqlx::query_scalar("select max(id) from api_tokens")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let sam = app.signed_in(SAM).await;
    let response = sam
        .post_form::<&str, &str>(&format!("/profile/tokens/{other_id}/revoke"), &[])
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.api(Some(&other)).get("/api/v1/me").await.status,
        StatusCode::OK
    );
}

#[sqlx::test]
async fn without_a_live_token_the_api_answers_401_and_ignores_session_cookies(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    for token in [None, Some("pt_not-a-real-token"), Some("garbage")] {
        let response = app.api(token).get("/api/v1/prospects").await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED);
        assert_eq!(response.content_type(), "application/problem+json");
        assert_eq!(response.body["status"], 401);
        assert!(response.headers.get("www-authenticate").is_some());
    }

    // A signed-in browser's cookie (and even its CSRF token) opens nothing in the API.
    let browser = app.signed_in(RITA).await;
    let csrf = browser.csrf_token().await;
    let read = browser.get("/api/v1/prospects").await;
    assert_eq!(read.status, StatusCode::UNAUTHORIZED);
    let write = browser
        .send(
            browser
                .request(Method::POST, "/api/v1/prospects")
                .header("x-csrf-token", csrf)
                .json(&json!({"first_name": "Eve"})),
        )
        .await;
    assert_eq!(write.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.count("prospects").await, 0);

    // A deactivated user's tokens stop working.
    let token = app.token_for(SAM).await;
    sqlx::query("update users set active = false where id = $1")
        .bind(org.sam)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.api(Some(&token)).get("/api/v1/me").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[sqlx::test]
async fn every_role_sees_through_the_api_what_it_sees_on_the_pages(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let rita_p = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@x.org"))
        .await;
    let ravi_p = app
        .create_prospect(org.ravi, "Alan", "Turing", Some("alan@x.org"))
        .await;
    let sam_p = app
        .create_prospect(org.sam, "Grace", "Hopper", Some("grace@x.org"))
        .await;

    let mut seen = Vec::new();
    for email in [RITA, RAVI, MAYA, SAM, ADMIN] {
        let api = app.api_as(email).await;
        let list = api.get("/api/v1/prospects").await;
        assert_eq!(list.status, StatusCode::OK, "{email}: {:?}", list.body);
        let mut visible = ids(&list.body);
        visible.sort();
        seen.push((email, visible));
    }
    assert_eq!(
        seen,
        vec![
            (RITA, vec![rita_p]),
            (RAVI, vec![ravi_p]),
            (MAYA, vec![rita_p, ravi_p]),
            (SAM, vec![sam_p]),
            (ADMIN, vec![rita_p, ravi_p, sam_p]),
        ]
    );

    let rita = app.api_as(RITA).await;
    let maya = app.api_as(MAYA).await;
    let sam = app.api_as(SAM).await;
    // A row outside the scope is not found, for reads and writes alike.
    assert_eq!(
        rita.get(&format!("/api/v1/prospects/{ravi_p}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        maya.get(&format!("/api/v1/prospects/{ravi_p}"))
            .await
            .status,
        StatusCode::OK
    );
    let response = sam
        .call(
            Method::PATCH,
            &format!("/api/v1/prospects/{rita_p}"),
            &json!({"title": "CEO"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.content_type(), "application/problem+json");
    let response = sam
        .post(
            &format!("/api/v1/prospects/{rita_p}/interactions"),
            &json!({"channel": "call", "outcome": "no_answer"}),
        )
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("interactions").await, 0);
    assert_eq!(
        sam.get(&format!("/api/v1/prospects/{rita_p}/interactions"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A manager reads a rep's queue; a rep of another team cannot.
    assert_eq!(
        maya.get(&format!("/api/v1/touches?owner_id={}", org.rita))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sam.get(&format!("/api/v1/touches?owner_id={}", org.rita))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Accounts follow their owner.
    let created = rita
        .post(
            "/api/v1/accounts",
            &json!({"name": "Acme", "domain": "https://www.Acme.com/x"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["domain"], "acme.com");
    let account = created.body["id"].as_i64().unwrap();
    assert_eq!(
        maya.get(&format!("/api/v1/accounts/{account}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        sam.get(&format!("/api/v1/accounts/{account}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        ids(&sam.get("/api/v1/accounts").await.body),
        Vec::<i64>::new()
    );
}

#[sqlx::test]
async fn prospects_are_created_and_changed_with_the_forms_rules(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let rita = app.api_as(RITA).await;

    let invalid = rita
        .post(
            "/api/v1/prospects",
            &json!({"email": "nope", "linkedin_url": "http://evil.example/in/x"}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.content_type(), "application/problem+json");
    let mut fields = invalid.error_fields();
    fields.sort();
    assert_eq!(fields, ["email", "first_name", "linkedin_url"]);
    assert!(
        invalid.body["errors"][0]["message"].as_str().unwrap().len() > 5,
        "each field says what is wrong"
    );

    let created = rita
        .post(
            "/api/v1/prospects",
            &json!({
                "first_name": "Ada", "last_name": "Lovelace", "email": "Ada@Example.org",
                "account_name": "Analytical Engines", "tags": ["Fintech", "emea"],
                "qualifying": {"need": "Faster numbers"}
            }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["email"], "ada@example.org");
    assert_eq!(created.body["owner"]["id"], org.rita);
    assert_eq!(created.body["account"]["name"], "Analytical Engines");
    assert_eq!(created.body["tags"], json!(["fintech", "emea"]));
    assert_eq!(created.body["qualifying"]["need"], "Faster numbers");
    let id = created.body["id"].as_i64().unwrap();
    let events: i64 = sqlx::query_scalar(
        "select count(*) from prospect_events where prospect_id = $1 and kind = 'created'",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(events, 1);

    // The same email again is a conflict with what is stored (valid input all the same),
    // naming the field as the form's duplicate error does; so is taking it in a change.
    let duplicate = rita
        .post(
            "/api/v1/prospects",
            &json!({"first_name": "Other", "email": "ada@example.org"}),
        )
        .await;
    assert_eq!(duplicate.status, StatusCode::CONFLICT);
    assert_eq!(duplicate.content_type(), "application/problem+json");
    assert_eq!(duplicate.error_fields(), ["email"]);
    let other = rita
        .post(
            "/api/v1/prospects",
            &json!({"first_name": "Other", "email": "other@example.org"}),
        )
        .await;
    let other = other.body["id"].as_i64().unwrap();
    let taken = rita
        .call(
            Method::PATCH,
            &format!("/api/v1/prospects/{other}"),
            &json!({"email": "ada@example.org"}),
        )
        .await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.error_fields(), ["email"]);

    let changed = rita
        .call(
            Method::PATCH,
            &format!("/api/v1/prospects/{id}"),
            &json!({"title": "Countess"}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["title"], "Countess");
    assert_eq!(
        changed.body["email"], "ada@example.org",
        "fields left out are kept"
    );
    assert_eq!(changed.body["account"]["name"], "Analytical Engines");
}

#[sqlx::test]
async fn logging_an_interaction_applies_its_decision_exactly_as_the_form_does(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let prospect = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@x.org"))
        .await;
    app.create_cadence(
        org.maya,
        "Nurture",
        Purpose::Nurture,
        true,
        &[(Channel::Email, 20)],
    )
    .await;
    let rita = app.api_as(RITA).await;
    let path = format!("/api/v1/prospects/{prospect}/interactions");

    // Future interest needs a date, with the form's words.
    let missing = rita
        .post(
            &path,
            &json!({"channel": "call", "outcome": "connected", "decision": "future"}),
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(missing.error_fields(), ["re_engage_on"]);
    assert_eq!(
        missing.body["errors"][0]["message"],
        "Future interest needs a date to re-engage on."
    );
    let bad = rita
        .post(
            &path,
            &json!({"channel": "pigeon", "outcome": "connected", "occurred_at": "yesterday"}),
        )
        .await;
    let mut fields = bad.error_fields();
    fields.sort();
    assert_eq!(fields, ["channel", "occurred_at"]);
    assert_eq!(app.count("interactions").await, 0);

    let re_engage = (OffsetDateTime::now_utc().date() + Duration::days(90)).to_string();
    let logged = rita
        .post(
            &path,
            &json!({
                "channel": "call", "outcome": "connected", "decision": "future",
                "re_engage_on": re_engage, "notes": "Budget next year",
                "occurred_at": (OffsetDateTime::now_utc() - Duration::hours(1))
                    .format(&time::format_description::well_known::Rfc3339).unwrap(),
                "qualifying": {"budget": "Next fiscal year"}
            }),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{:?}", logged.body);
    assert_eq!(logged.body["decision"], "future");
    assert_eq!(logged.body["re_engage_on"], re_engage.as_str());
    assert_eq!(logged.body["logged_by"]["id"], org.rita);

    let (interest, date, cadence): (String, Option<time::Date>, Option<String>) = sqlx::query_as(
        "select p.interest::text, p.re_engage_on,
                (select c.name from enrollments e join cadences c on c.id = e.cadence_id
                 where e.prospect_id = p.id and e.status = 'active')
         from prospects p where p.id = $1",
    )
    .bind(prospect)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(interest, "future");
    assert_eq!(date.map(|d| d.to_string()), Some(re_engage.clone()));
    assert_eq!(
        cadence.as_deref(),
        Some("Nurture"),
        "future interest moves to nurture"
    );
    let budget: String = sqlx::query_scalar(
        "select value from qualifying_facts where prospect_id = $1 and field = 'budget'",
    )
    .bind(prospect)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(budget, "Next fiscal year");

    // Current interest opens an opportunity, as on the page.
    let current = rita
        .post(
            &path,
            &json!({"channel": "meeting", "outcome": "meeting_held", "decision": "current",
                    "stage": "proposal", "value": 12500.5}),
        )
        .await;
    assert_eq!(current.status, StatusCode::CREATED, "{:?}", current.body);
    let opportunity = current.body["opportunity_id"]
        .as_i64()
        .expect("an opportunity");
    let read = rita
        .get(&format!("/api/v1/opportunities/{opportunity}"))
        .await;
    assert_eq!(read.body["stage"], "proposal");
    assert_eq!(read.body["value_cents"], 1_250_050);
    let list = rita.get(&path).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        list.body["data"][0]["id"], current.body["id"],
        "latest first"
    );
}

#[sqlx::test]
async fn due_touches_are_listed_and_completed_skipped_or_snoozed_through_the_api(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let cadence = org
        .outbound_cadence(&[(Channel::Call, 0), (Channel::Email, 1), (Channel::Call, 1)])
        .await;
    let prospect = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@x.org"))
        .await;
    let rita = app.api_as(RITA).await;

    let enrolled = rita
        .post(
            &format!("/api/v1/prospects/{prospect}/enrollment"),
            &json!({"cadence_id": cadence}),
        )
        .await;
    assert_eq!(enrolled.status, StatusCode::CREATED, "{:?}", enrolled.body);
    assert_eq!(enrolled.body["cadence"], "Outbound");
    let again = rita
        .post(
            &format!("/api/v1/prospects/{prospect}/enrollment"),
            &json!({"cadence_id": cadence}),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["already_following"], true);
    let unknown = rita
        .post(
            &format!("/api/v1/prospects/{prospect}/enrollment"),
            &json!({"cadence_id": 999_999}),
        )
        .await;
    // Well formed, but naming no cadence that takes enrollments: a conflict, not a 404,
    // which would say the prospect is not there.
    assert_eq!(unknown.status, StatusCode::CONFLICT);
    assert_eq!(unknown.error_fields(), ["cadence_id"]);

    let far = "2100-01-01T00:00:00Z";
    let due = rita.get(&format!("/api/v1/touches?until={far}")).await;
    assert_eq!(due.status, StatusCode::OK, "{:?}", due.body);
    let touch = &due.body["data"][0];
    assert_eq!(touch["prospect"]["id"], prospect);
    assert_eq!(touch["channel"], "call");
    assert_eq!(touch["step"]["position"], 1);
    assert_eq!(touch["step"]["of"], 3);
    let touch_id = touch["id"].as_i64().unwrap();

    // Complete it by logging, as work mode does: the next step is scheduled.
    let done = rita
        .post(
            &format!("/api/v1/touches/{touch_id}/complete"),
            &json!({"channel": "call", "outcome": "left_message"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    let status: String = sqlx::query_scalar("select status::text from touches where id = $1")
        .bind(touch_id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "done");
    let twice = rita
        .post(
            &format!("/api/v1/touches/{touch_id}/complete"),
            &json!({"channel": "call", "outcome": "left_message"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(app.count("interactions").await, 1);

    let next = rita.get(&format!("/api/v1/touches?until={far}")).await;
    let second = &next.body["data"][0];
    assert_eq!(second["step"]["position"], 2);
    let second_id = second["id"].as_i64().unwrap();

    let past = rita
        .post(
            &format!("/api/v1/touches/{second_id}/snooze"),
            &json!({"until": "2001-01-01"}),
        )
        .await;
    assert_eq!(past.error_fields(), ["until"]);
    let snoozed = rita
        .post(
            &format!("/api/v1/touches/{second_id}/snooze"),
            &json!({"until": tomorrow()}),
        )
        .await;
    assert_eq!(snoozed.status, StatusCode::NO_CONTENT, "{:?}", snoozed.body);
    assert!(
        ids(&rita.get(&format!("/api/v1/touches?until={far}")).await.body).is_empty(),
        "snoozed touches are not due"
    );

    // Back from the snooze, skipped with a reason: the third step is scheduled.
    sqlx::query("update touches set status = 'pending', snoozed_until = null where id = $1")
        .bind(second_id)
        .execute(&app.db)
        .await
        .unwrap();
    let no_reason = rita
        .post(
            &format!("/api/v1/touches/{second_id}/skip"),
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(no_reason.error_fields(), ["reason"]);
    let skipped = rita
        .post(
            &format!("/api/v1/touches/{second_id}/skip"),
            &json!({"reason": "Bounced"}),
        )
        .await;
    assert_eq!(skipped.status, StatusCode::NO_CONTENT);
    let third = rita.get(&format!("/api/v1/touches?until={far}")).await;
    assert_eq!(third.body["data"][0]["step"]["position"], 3);

    // Nobody else completes Rita's touches.
    let third_id = third.body["data"][0]["id"].as_i64().unwrap();
    let sam = app.api_as(SAM).await;
    let refused = sam
        .post(
            &format!("/api/v1/touches/{third_id}/complete"),
            &json!({"channel": "call", "outcome": "no_answer"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn lists_are_cursor_paginated_and_bad_requests_are_problems(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    for i in 0..5 {
        app.create_prospect(org.rita, &format!("P{i}"), "Person", None)
            .await;
    }
    let rita = app.api_as(RITA).await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/prospects?limit=2&sort=name".to_string();
    loop {
        let page = rita.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(ids(&page.body));
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/prospects?limit=2&sort=name&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5);

    for (path, field) in [
        ("/api/v1/prospects?limit=0", "limit"),
        ("/api/v1/prospects?limit=500", "limit"),
        ("/api/v1/prospects?cursor=bm9wZQ", "cursor"),
        ("/api/v1/touches?until=tomorrow", "until"),
    ] {
        let response = rita.get(path).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(response.error_fields(), [field], "{path}");
    }
    let bad_enum = rita.get("/api/v1/prospects?interest=lukewarm").await;
    assert_eq!(bad_enum.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_enum.content_type(), "application/problem+json");

    // Body limits, content types, malformed JSON, unknown routes and methods.
    let huge = json!({"first_name": "x".repeat(100 * 1024)});
    let too_large = rita.post("/api/v1/prospects", &huge).await;
    assert_eq!(too_large.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(too_large.content_type(), "application/problem+json");
    let form = rita
        .send(
            Method::POST,
            "/api/v1/prospects",
            rita.request(Method::POST, "/api/v1/prospects")
                .body("first_name=x"),
        )
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let broken = rita
        .send(
            Method::POST,
            "/api/v1/prospects",
            rita.request(Method::POST, "/api/v1/prospects")
                .header("content-type", "application/json")
                .body("{\"first_name\": "),
        )
        .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(broken.body["status"], 400);
    assert_eq!(
        rita.get("/api/v1/nothing").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        rita.get("/api/v1/prospects/abc").await.status,
        StatusCode::NOT_FOUND
    );
    let method = rita
        .call(Method::DELETE, "/api/v1/prospects", &json!({}))
        .await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(method.content_type(), "application/problem+json");
    assert_eq!(app.count("prospects").await, 5);
}

#[sqlx::test]
async fn an_admin_creates_a_token_on_the_command_line(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.create_user(
        "nina@example.com",
        "Nina Rep",
        prospector::users::Role::Rep,
        None,
    )
    .await;
    let url = crate::cli::database_url(&pool);
    let run = |args: &[&str]| crate::cli::prospector(args, &[("DATABASE_URL", &url)]);
    let output = run(&[
        "token",
        "create",
        "--user",
        "nina@example.com",
        "--name",
        "Zapier",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let token = String::from_utf8(output.stdout).unwrap().trim().to_string();
    let me = app.api(Some(&token)).get("/api/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "nina@example.com");

    let unknown = run(&["token", "create", "--user", "nobody@example.com"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no active user"));
}

/// Defect: a NUL in the API's `q` or `tag` gave a 500. A control character in any query
/// parameter is refused with a problem naming the parameter, as the document's patterns
/// say; tab, line feed and carriage return are text like any other.
#[sqlx::test]
async fn control_characters_in_a_query_are_refused_naming_the_parameter(pool: PgPool) {
    let org = org::org(pool).await;
    let rita = org.app.api_as(RITA).await;
    for (path, field) in [
        ("/api/v1/prospects?q=a%00b", "q"),
        ("/api/v1/prospects?tag=vip%C2%84", "tag"),
        ("/api/v1/accounts?q=%1B%5B31m", "q"),
        ("/api/v1/opportunities?cursor=%7F", "cursor"),
    ] {
        let response = rita.get(path).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {:?}",
            response.body
        );
        assert_eq!(response.content_type(), "application/problem+json");
        assert_eq!(response.error_fields(), [field], "{path}");
    }
    let tab = rita.get("/api/v1/prospects?q=a%09b").await;
    assert_eq!(tab.status, StatusCode::OK, "{:?}", tab.body);
}
