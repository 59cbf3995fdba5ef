//! CSV exports: the prospect list as filtered, interactions by date, opportunities by
//! stage; within the viewer's scope, streamed, safe to open in a spreadsheet, and the
//! prospect export imports back as it is.

use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use crate::support::{
    TestResponse,
    org::{self, MAYA, RITA, SAM},
};

fn rows(response: &TestResponse) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        response
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    assert!(response.body.starts_with('\u{feff}'), "a BOM, for Excel");
    let mut reader =
        csv::Reader::from_reader(response.body.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    (headers, reader.records().map(Result::unwrap).collect())
}

fn column(headers: &csv::StringRecord, name: &str) -> usize {
    headers
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[sqlx::test]
async fn exports_follow_the_filters_and_the_scope(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let ada = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@x.org"))
        .await;
    app.create_prospect(org.rita, "Alan", "Turing", Some("alan@x.org"))
        .await;
    app.create_prospect(org.ravi, "Grace", "Hopper", Some("grace@x.org"))
        .await;
    app.create_prospect(org.sam, "Linus", "T", Some("linus@x.org"))
        .await;
    sqlx::query("update prospects set title = '=HYPERLINK(\"http://evil.example\")', tags = '{vip}' where id = $1")
        .bind(ada)
        .execute(&app.db)
        .await
        .unwrap();
    let rita = app.api_as(RITA).await;
    let logged = rita
        .post(
            &format!("/api/v1/prospects/{ada}/interactions"),
            &json!({"channel": "call", "outcome": "connected", "decision": "current", "stage": "proposal", "value": 900}),
        )
        .await;
    assert_eq!(logged.status, StatusCode::CREATED);

    let rita_web = app.signed_in(RITA).await;
    let all = rita_web.get("/prospects/export.csv").await;
    assert!(
        all.header("content-length").is_none(),
        "streamed, not sent as one buffer"
    );
    let (headers, prospects) = rows(&all);
    let emails: Vec<&str> = prospects
        .iter()
        .map(|r| &r[column(&headers, "Email")])
        .collect();
    assert_eq!(emails, ["ada@x.org", "alan@x.org"], "only Rita's");
    assert_eq!(
        &prospects[0][column(&headers, "Job Title")],
        "'=HYPERLINK(\"http://evil.example\")",
        "a formula is defused"
    );

    let filtered = rita_web.get("/prospects/export.csv?tag=vip").await;
    assert_eq!(rows(&filtered).1.len(), 1);
    let (_, current) = rows(&rita_web.get("/prospects/export.csv?interest=current").await);
    assert_eq!(current.len(), 1);

    let maya = app.signed_in(MAYA).await;
    let (_, team) = rows(&maya.get("/prospects/export.csv").await);
    assert_eq!(team.len(), 3, "the manager's team");
    let (_, ravis) = rows(
        &maya
            .get(&format!("/prospects/export.csv?owner={}", org.ravi))
            .await,
    );
    assert_eq!(ravis.len(), 1);

    let (headers, interactions) = rows(&rita_web.get("/interactions/export.csv").await);
    assert_eq!(interactions.len(), 1);
    assert_eq!(&interactions[0][column(&headers, "Decision")], "current");
    let future = rita_web
        .get("/interactions/export.csv?from=2099-01-01")
        .await;
    assert!(rows(&future).1.is_empty());
    let bad = rita_web
        .get("/interactions/export.csv?from=yesterday")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let sam = app.signed_in(SAM).await;
    assert!(
        rows(&sam.get("/interactions/export.csv").await)
            .1
            .is_empty()
    );

    let (headers, opportunities) = rows(
        &rita_web
            .get("/opportunities/export.csv?stage=proposal")
            .await,
    );
    assert_eq!(opportunities.len(), 1);
    assert_eq!(&opportunities[0][column(&headers, "Value")], "900.00");
    assert!(
        rows(&rita_web.get("/opportunities/export.csv?stage=won").await)
            .1
            .is_empty()
    );
    assert!(
        rows(&sam.get("/opportunities/export.csv").await)
            .1
            .is_empty()
    );

    // Signed out, nothing.
    assert_eq!(
        app.client().get("/prospects/export.csv").await.status,
        StatusCode::SEE_OTHER
    );
}

#[sqlx::test]
async fn a_prospect_export_imports_back_with_every_row_valid(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let rita = app.api_as(RITA).await;
    for (first, email, account) in [
        ("Ada", "ada@x.org", "Engines"),
        ("Zoë", "zoe@x.org", "Haworth, Sons"),
    ] {
        let created = rita
            .post(
                "/api/v1/prospects",
                &json!({"first_name": first, "last_name": "Test", "email": email, "account_name": account,
                        "phone": "+44 20 7946 0000", "tags": ["a", "b"], "linkedin_url": "https://www.linkedin.com/in/x"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    }
    let web = app.signed_in(RITA).await;
    let export = web.get("/prospects/export.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    let uploaded = web.upload("export.csv", export.body.into_bytes()).await;
    assert_eq!(uploaded.status, StatusCode::SEE_OTHER, "{}", uploaded.body);
    let page = web.get(uploaded.location().unwrap()).await;
    // Both rows are recognised as the prospects they came from; none is invalid.
    assert_eq!(
        page.texts("#summary .stat-value"),
        ["0", "0", "0", "0", "2"]
    );
}

/// Every CSV download ends cleanly under each compression the server offers, as a browser
/// negotiates it (a stream polled once more after its end used to panic the compressor
/// and cut the file after a few hundred bytes).
#[sqlx::test]
async fn csv_downloads_are_whole_under_every_compression(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    for i in 0..1_500 {
        app.create_prospect(
            org.rita,
            &format!("First{i}"),
            "Last",
            Some(&format!("p{i}@x.org")),
        )
        .await;
    }
    let web = app.signed_in(RITA).await;
    let cookie = format!(
        "{}={}",
        crate::support::SESSION_COOKIE,
        web.session_cookie().unwrap()
    );
    let identity = reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .no_deflate()
        .no_zstd()
        .build()
        .unwrap();
    for path in [
        "/prospects/export.csv",
        "/interactions/export.csv",
        "/opportunities/export.csv",
    ] {
        let plain = identity
            .get(app.url(path))
            .header("cookie", &cookie)
            .header("accept-encoding", "identity")
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        assert!(plain.headers().get("content-encoding").is_none());
        let plain = plain.bytes().await.unwrap();
        assert!(plain.ends_with(b"\n"), "{path}: the last row is whole");

        for encoding in ["gzip", "br"] {
            // The server compresses with it...
            let raw = identity
                .get(app.url(path))
                .header("cookie", &cookie)
                .header("accept-encoding", encoding)
                .send()
                .await
                .unwrap();
            assert_eq!(
                raw.headers()
                    .get("content-encoding")
                    .and_then(|v| v.to_str().ok()),
                Some(encoding),
                "{path}"
            );
            // ... and a client that decodes only that gets the whole file.
            let decoding = reqwest::Client::builder()
                .gzip(encoding == "gzip")
                .brotli(encoding == "br")
                .deflate(false)
                .zstd(false)
                .build()
                .unwrap();
            let decoded = decoding
                .get(app.url(path))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap_or_else(|e| panic!("{path} under {encoding} is cut off: {e}"));
            assert_eq!(decoded, plain, "{path} under {encoding}");
        }
        // The browser-like client negotiates what Chromium would.
        let browser = web.get(path).await;
        assert_eq!(
            browser.body.as_bytes(),
            &plain[..],
            "{path} as a browser gets it"
        );
    }
    let (_, prospects) = rows(&web.get("/prospects/export.csv").await);
    assert_eq!(prospects.len(), 1_500, "more than one page of rows");
}
