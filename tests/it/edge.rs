//! Input at the edge, as an attacker or a broken export sends it: control characters and
//! bytes that are not UTF-8 in every kind of input, dates nobody could mean, requests the
//! extractors refuse, objects outside the caller's scope. Each gets our own page or a
//! problem document that says what is wrong, never a 5xx, never a partial write.

use reqwest::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::support::{
    TestResponse,
    org::{self, RITA, SAM},
};

fn assert_our_page(response: &TestResponse, status: StatusCode, words: &str) {
    assert_eq!(
        response.status,
        status,
        "{}",
        response.body.chars().take(1500).collect::<String>()
    );
    assert!(
        response
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        response.header("content-type")
    );
    assert!(
        response.body.contains("<main") && response.body.contains(words),
        "our error page saying {words:?}: {}",
        response.body.chars().take(3000).collect::<String>()
    );
}

#[sqlx::test]
async fn control_characters_and_bad_utf8_in_searches_and_filters_are_refused(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    app.create_prospect(org.rita, "Ada", "Lovelace", Some("ada@x.org"))
        .await;
    let web = app.signed_in(RITA).await;
    for path in [
        "/prospects?q=a%00b",
        "/prospects?tag=a%00b",
        "/prospects?q=%1B%5B31m",
        "/accounts?q=a%00b",
        "/prospects/export.csv?q=a%00b",
        "/prospects/export.csv?tag=%C2%85",
        "/interactions/export.csv?from=%00",
    ] {
        assert_our_page(
            &web.get(path).await,
            StatusCode::BAD_REQUEST,
            "control character",
        );
    }
    assert_our_page(
        &web.get("/prospects?q=caf%E9").await,
        StatusCode::BAD_REQUEST,
        "UTF-8",
    );
    // Tabs are text.
    assert_eq!(web.get("/prospects?q=a%09b").await.status, StatusCode::OK);

    let api = app.api_as(RITA).await;
    for (path, field) in [
        ("/api/v1/prospects?q=a%00b", "q"),
        ("/api/v1/prospects?tag=%07", "tag"),
        ("/api/v1/accounts?q=a%00b", "q"),
    ] {
        let response = api.get(path).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(response.content_type(), "application/problem+json");
        assert_eq!(response.error_fields(), [field], "{path}");
    }
}

#[sqlx::test]
async fn a_form_with_a_control_character_keeps_what_was_typed_and_writes_nothing(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let web = app.signed_in(RITA).await;
    web.get("/prospects/new").await;
    let refused = web
        .post_form(
            "/prospects",
            &[
                ("first_name", "Ada"),
                ("last_name", "Love\u{1}lace"),
                ("title", "Engineer\u{b}"),
                ("need", "needs\tengines\r\nsoon"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text("#last_name-error")
            .is_some_and(|e| e.contains("control character")),
        "{}",
        refused.body
    );
    assert_eq!(
        refused.field_value("last_name").as_deref(),
        Some("Love\u{1}lace")
    );
    assert_eq!(app.count("prospects").await, 0);

    // Bytes that are not UTF-8 are refused, not stored as U+FFFD.
    let token = web.csrf_token().await;
    let raw = web
        .send(
            web.request(Method::POST, "/prospects")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("csrf_token={token}&first_name=Zo%EB")),
        )
        .await;
    assert_our_page(&raw, StatusCode::BAD_REQUEST, "UTF-8");
    assert_eq!(app.count("prospects").await, 0);
}

#[sqlx::test]
async fn json_strings_anywhere_in_a_body_follow_the_text_rule(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let api = app.api_as(RITA).await;
    for (body, field) in [
        (json!({"first_name": "a\u{0}b"}), "first_name"),
        (
            json!({"first_name": "Ada", "tags": ["ok", "b\u{7}"]}),
            "tags[1]",
        ),
        (
            json!({"first_name": "Ada", "qualifying": {"budget": "\u{9f}"}}),
            "qualifying.budget",
        ),
    ] {
        let response = api.post("/api/v1/prospects", &body).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(response.content_type(), "application/problem+json");
        assert_eq!(response.error_fields(), [field], "{body}");
    }
    assert_eq!(app.count("prospects").await, 0);
    let fine = api
        .post(
            "/api/v1/prospects",
            &json!({"first_name": "Zoë", "qualifying": {"need": "two\nlines\tand a tab"}}),
        )
        .await;
    assert_eq!(fine.status, StatusCode::CREATED, "{:?}", fine.body);
}

#[sqlx::test]
async fn dates_out_of_any_sane_range_are_refused_everywhere(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let ada = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@x.org"))
        .await;
    let api = app.api_as(RITA).await;
    let path = format!("/api/v1/prospects/{ada}/interactions");
    for (body, field) in [
        (
            json!({"channel": "call", "outcome": "connected", "decision": "current",
                   "stage": "proposal", "expected_close_on": "-0001-01-01"}),
            "expected_close_on",
        ),
        (
            json!({"channel": "call", "outcome": "connected", "decision": "current",
                   "stage": "proposal", "expected_close_on": "2100-01-01"}),
            "expected_close_on",
        ),
        (
            json!({"channel": "call", "outcome": "connected", "decision": "future",
                   "re_engage_on": "0024-06-01"}),
            "re_engage_on",
        ),
    ] {
        let response = api.post(&path, &body).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(response.error_fields(), [field], "{body}");
    }
    assert_eq!(app.count("interactions").await, 0);
    assert_eq!(app.count("opportunities").await, 0);

    let logged = api
        .post(
            &path,
            &json!({"channel": "call", "outcome": "connected", "decision": "current",
                    "stage": "proposal", "expected_close_on": "2099-12-31"}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED, "{:?}", logged.body);
    let opportunity: i64 = sqlx::query_scalar("select id from opportunities")
        .fetch_one(&app.db)
        .await
        .unwrap();

    let web = app.signed_in(RITA).await;
    web.get(&format!("/opportunities/{opportunity}")).await;
    let refused = web
        .post_form(
            &format!("/opportunities/{opportunity}"),
            &[("name", "Engines"), ("expected_close_on", "-0001-01-01")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        refused.field_value("expected_close_on").as_deref(),
        Some("-0001-01-01")
    );
    let stored: Option<time::Date> =
        sqlx::query_scalar("select expected_close_on from opportunities")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stored, Some(time::macros::date!(2099 - 12 - 31)));
}

#[sqlx::test]
async fn every_refused_request_gets_our_page_or_a_problem_document(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let web = app.signed_in(RITA).await;

    // Path: a malformed id names nothing.
    assert_our_page(
        &web.get("/prospects/abc").await,
        StatusCode::NOT_FOUND,
        "Page not found",
    );
    assert_our_page(
        &web.get("/prospects/99999999999999999999999").await,
        StatusCode::NOT_FOUND,
        "Page not found",
    );
    // Query: a value the page cannot use.
    assert_our_page(
        &web.get("/prospects?q=a&q=b").await,
        StatusCode::BAD_REQUEST,
        "The address holds a value",
    );
    // Form: not a form, and a form whose values do not fit.
    let token = web.csrf_token().await;
    let not_a_form = web
        .send(
            web.request(Method::POST, &format!("/prospects?csrf_token={token}"))
                .header("content-type", "text/plain")
                .body("first_name=Ada"),
        )
        .await;
    assert_our_page(&not_a_form, StatusCode::UNSUPPORTED_MEDIA_TYPE, "form");
    let ada = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@x.org"))
        .await;
    let twice = web
        .post_form(
            &format!("/prospects/{ada}/interactions"),
            &[("channel", "call"), ("channel", "email")],
        )
        .await;
    assert_our_page(&twice, StatusCode::BAD_REQUEST, "The form holds a value");
    // Multipart: the upload without a multipart body.
    let token = web.csrf_token().await;
    let not_multipart = web
        .send(
            web.request(Method::POST, &format!("/imports/upload?csrf_token={token}"))
                .header("content-type", "text/csv")
                .body("First Name\nAda\n"),
        )
        .await;
    assert_our_page(
        &not_multipart,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "multipart/form-data",
    );
    assert_eq!(app.count("interactions").await, 0);
    assert_eq!(app.count("imports").await, 0);

    // The API answers problem documents for the same mistakes.
    let api = app.api_as(RITA).await;
    for (response, status) in [
        (
            api.get("/api/v1/prospects/abc").await,
            StatusCode::NOT_FOUND,
        ),
        (
            api.get("/api/v1/prospects?limit=abc").await,
            StatusCode::BAD_REQUEST,
        ),
        (
            api.send(
                Method::POST,
                "/api/v1/prospects",
                api.request(Method::POST, "/api/v1/prospects")
                    .header("content-type", "application/json")
                    .body("{not json"),
            )
            .await,
            StatusCode::BAD_REQUEST,
        ),
        (
            api.send(
                Method::POST,
                "/api/v1/prospects",
                api.request(Method::POST, "/api/v1/prospects")
                    .header("content-type", "text/plain")
                    .body("{}"),
            )
            .await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ] {
        assert_eq!(
            response.status, status,
            "{} {:?}",
            response.path, response.body
        );
        assert_eq!(response.content_type(), "application/problem+json");
        assert!(response.body["detail"].is_string());
    }
}

#[sqlx::test]
async fn cancelling_an_import_outside_ones_scope_is_not_found(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let rita = app.signed_in(RITA).await;
    let uploaded = rita
        .upload("people.csv", b"First Name,Email\nAda,ada@x.org\n".to_vec())
        .await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let id: i64 = sqlx::query_scalar("select id from imports")
        .fetch_one(&app.db)
        .await
        .unwrap();

    let sam = app.signed_in(SAM).await;
    sam.get("/prospects").await;
    let cancel = format!("/imports/{id}/cancel");
    assert_our_page(
        &sam.post_form::<&str, &str>(&cancel, &[]).await,
        StatusCode::NOT_FOUND,
        "Page not found",
    );
    assert_our_page(
        &rita
            .post_form::<&str, &str>("/imports/987654/cancel", &[])
            .await,
        StatusCode::NOT_FOUND,
        "Page not found",
    );
    let status: String = sqlx::query_scalar("select status::text from imports")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(status, "mapping", "untouched by Sam");

    let cancelled = rita.post_form::<&str, &str>(&cancel, &[]).await;
    assert_eq!(
        cancelled.location(),
        Some(format!("/imports/{id}").as_str())
    );
    let again = rita.post_form::<&str, &str>(&cancel, &[]).await;
    assert_eq!(
        again.status,
        StatusCode::SEE_OTHER,
        "already cancelled: back to it"
    );
}
