//! CSV import end to end over HTTP: a HubSpot export mapped by its headers, previewed,
//! imported in the background with duplicates reported and the prospects enrolled; every
//! kind of bad file refused with a reason; BOM, `;` and quoted newlines; the duplicate
//! policies and the visibility rules; three schedulers on one import; a worker killed
//! mid-import; and (ignored, run by hand) the 100,000-row benchmark.

use std::time::{Duration, Instant};

use prospector::{
    cadences::Purpose,
    imports::run::{self, Cache},
    interactions::Channel,
    scheduler::Scheduler,
};
use reqwest::{
    StatusCode,
    multipart::{Form, Part},
};
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::support::{
    TestApp, TestClient, TestResponse,
    org::{self, Org, RITA, SAM},
    set_field,
};

const HUBSPOT_HEADER: &str = "Record ID,First Name,Last Name,Email,Phone Number,Job Title,\
Company Name,Website URL,Industry,Number of Employees,Lead Status,Contact owner,Create Date";

/// A HubSpot-style contacts export of `rows` rows: 500 companies, every email distinct.
fn hubspot(rows: usize) -> String {
    let mut csv = String::with_capacity(rows * 160);
    csv.push_str(HUBSPOT_HEADER);
    csv.push('\n');
    for i in 1..=rows {
        csv.push_str(&hubspot_row(
            i,
            &format!("person{i}@company{}.example", i % 500),
        ));
    }
    csv
}

fn hubspot_row(i: usize, email: &str) -> String {
    let company = i % 500;
    format!(
        "{i},First{i},Last{i},{email},+1 555 {i:07},VP Sales,Company {company},\
         https://www.company{company}.example,Software,{},Open,Olivia Owner,2024-03-0{}\n",
        50 + company,
        1 + i % 9
    )
}

/// Uploads and follows to the mapping page; returns the import's id and the page.
async fn uploaded(client: &TestClient, name: &str, bytes: Vec<u8>) -> (i64, TestResponse) {
    let response = client.upload(name, bytes).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let location = response.location().unwrap().to_string();
    let id = location.trim_start_matches("/imports/").parse().unwrap();
    let page = client.get(&location).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    (id, page)
}

/// Submits the mapping form as shown, with `changes`.
async fn submit(
    client: &TestClient,
    id: i64,
    page: &TestResponse,
    changes: &[(&str, &str)],
) -> TestResponse {
    let mut form = page.form_values("form#mapping");
    for (name, value) in changes {
        set_field(&mut form, name, value);
    }
    client.post_form(&format!("/imports/{id}"), &form).await
}

/// Runs scheduler passes until no import is waiting.
async fn run_imports(app: &TestApp) {
    let scheduler = Scheduler::new(app.db.clone());
    for _ in 0..1000 {
        scheduler
            .run_once(OffsetDateTime::now_utc())
            .await
            .expect("a pass");
        if !run::pending(&app.db).await.unwrap() {
            return;
        }
    }
    panic!("the import did not finish");
}

#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Counts {
    status: String,
    total_rows: i32,
    rows_done: i32,
    created_count: i32,
    updated_count: i32,
    skipped_count: i32,
    failed_count: i32,
    enrolled_count: i32,
}

async fn counts(app: &TestApp, id: i64) -> Counts {
    sqlx::query_as(
        "select status::text, total_rows, rows_done, created_count, updated_count, skipped_count,
                failed_count, enrolled_count from imports where id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn problems(app: &TestApp, id: i64) -> Vec<(i64, String)> {
    sqlx::query_as("select line, kind from import_problems where import_id = $1 order by line")
        .bind(id)
        .fetch_all(&app.db)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_hubspot_export_of_10000_rows_imports_mapped_reported_enrolled_and_exports_back(
    pool: PgPool,
) {
    let Org {
        app,
        rita,
        maya,
        sam,
        ..
    } = org::org(pool).await;
    let cadence = app
        .create_cadence(
            maya,
            "Outbound",
            Purpose::Pursue,
            true,
            &[(Channel::Call, 0), (Channel::Email, 2)],
        )
        .await;
    // Two of the file's people are prospects already: one of Rita's, one of Sam's.
    app.create_prospect(rita, "Known", "Person", Some("person7@company7.example"))
        .await;
    app.create_prospect(sam, "Other", "Team", Some("person8@company8.example"))
        .await;
    let mut csv = hubspot(10_000);
    // A row repeating an earlier email, and a row with a broken email.
    csv.push_str(&hubspot_row(10_001, "person42@company42.example"));
    csv.push_str(&hubspot_row(10_002, "not an email"));
    let client = app.signed_in(RITA).await;

    let (id, page) = uploaded(&client, "hubspot-contacts.csv", csv.into_bytes()).await;
    // Every column HubSpot names is mapped to its field.
    let form = page.form_values("form#mapping");
    let mapped = |column: usize| {
        form.iter()
            .find(|(k, _)| *k == format!("column_{column}"))
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let expected = [
        "",
        "first_name",
        "last_name",
        "email",
        "phone",
        "title",
        "account_name",
        "account_domain",
        "industry",
        "employee_count",
        "",
        "",
        "",
    ];
    for (column, field) in expected.iter().enumerate() {
        assert_eq!(mapped(column), *field, "column {column}");
    }
    // The preview counts the whole file's problems before anything is written.
    assert_eq!(
        page.texts("#summary .stat-value"),
        ["9998", "0", "1", "1", "2"]
    );
    assert_eq!(app.count("prospects").await, 2);

    let started = submit(
        &client,
        id,
        &page,
        &[("cadence_id", &cadence.to_string()), ("action", "start")],
    )
    .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);

    // One batch, then the progress page (read from the row) shows where it stands.
    run::batch(&app.db, &Cache::default()).await.unwrap();
    let progress = client.get(&format!("/imports/{id}")).await;
    assert_eq!(progress.attrs("progress", "value"), ["1000"]);
    assert_eq!(progress.attrs("progress", "max"), ["10002"]);
    // It follows the import without a meta refresh (an axe violation): a script polls the
    // page, and a link refreshes it without JavaScript.
    assert!(!progress.exists("meta[http-equiv=refresh]"));
    assert!(progress.exists("script[src='/static/import-progress.js']"));
    assert_eq!(progress.attrs("#progress", "data-active"), ["true"]);
    assert_eq!(
        progress.attrs("#refresh-progress", "href"),
        [format!("/imports/{id}")]
    );

    run_imports(&app).await;
    assert_eq!(
        counts(&app, id).await,
        Counts {
            status: "done".into(),
            total_rows: 10_002,
            rows_done: 10_002,
            created_count: 9_998,
            updated_count: 0,
            skipped_count: 3,
            failed_count: 1,
            enrolled_count: 9_998,
        }
    );
    assert_eq!(
        problems(&app, id).await,
        vec![
            (8, "duplicate_existing".to_string()),
            (9, "duplicate_existing".to_string()),
            (10_002, "duplicate_in_file".to_string()),
            (10_003, "invalid".to_string()),
        ]
    );
    assert_eq!(app.count("prospects").await, 10_000);
    assert_eq!(app.count("accounts").await, 500, "one account per company");
    let (owner, domain, size): (i64, String, i32) = sqlx::query_as(
        "select p.owner_id, a.domain::text, a.employee_count from prospects p
         join accounts a on a.id = p.account_id where p.email = 'person1@company1.example'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (owner, domain.as_str(), size),
        (rita, "company1.example", 51)
    );
    // Enrolled, and the same pass scheduled every first touch.
    let touched: i64 = sqlx::query_scalar(
        "select count(distinct prospect_id) from touches where status = 'pending'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(touched, 9_998);
    let file_left: i32 = sqlx::query_scalar("select length(content) from imports where id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(file_left, 0, "the file is not kept once imported");

    // The rows not imported, downloadable with their reasons and the row as it was.
    let result = client.get(&format!("/imports/{id}")).await;
    assert_eq!(result.texts("#problems tbody tr").len(), 4);
    let download = client.get(&format!("/imports/{id}/problems.csv")).await;
    assert_eq!(download.status, StatusCode::OK);
    assert!(
        download
            .header("content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    let mut reader =
        csv::Reader::from_reader(download.body.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<&str> = reader.headers().unwrap().iter().take(3).collect::<Vec<_>>();
    assert_eq!(header, ["Line", "Problem", "Reason"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    assert_eq!(&rows[2][0], "10002");
    assert!(
        rows[2][2].contains("Line 43 has the same email"),
        "{:?}",
        rows[2]
    );
    assert_eq!(
        &rows[2][6], "person42@company42.example",
        "the row as it was"
    );
    assert!(rows[3][2].starts_with("Email:"), "{:?}", rows[3]);
    assert!(rows[0][2].contains("Known Person"), "{:?}", rows[0]);

    // The same data comes back out as CSV, and that file would import as it is.
    let export = client.get("/prospects/export.csv").await;
    assert_eq!(export.status, StatusCode::OK);
    let body = export.body.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let exported: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        exported.len(),
        9_999,
        "Rita's prospects: the 9,998 imported and the one she had"
    );
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let first = exported
        .iter()
        .find(|r| &r[column("Email")] == "person1@company1.example")
        .unwrap();
    assert_eq!(&first[column("First Name")], "First1");
    assert_eq!(&first[column("Phone Number")], "+1 555 0000001");
    assert_eq!(&first[column("Company Name")], "Company 1");
    assert_eq!(&first[column("Company Domain")], "company1.example");
    assert_eq!(&first[column("Number of Employees")], "51");
    let guessed =
        prospector::imports::fields::guess(&headers.iter().map(str::to_owned).collect::<Vec<_>>());
    assert!(guessed.iter().flatten().count() >= 13, "{guessed:?}");
}

#[sqlx::test]
async fn files_that_are_not_importable_csv_are_refused_with_the_reason(pool: PgPool) {
    let org = org::org(pool).await;
    let client = org.app.signed_in(RITA).await;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(), "not a text file"),
        ("book.xlsx", b"PK\x03\x04\x14\x00\x06\x00".to_vec(), "spreadsheet workbook"),
        ("latin1.csv", b"First Name,Email\nJos\xe9,jose@example.org\n".to_vec(), "not UTF-8 text: line 2"),
        ("utf16.csv", b"\xff\xfeF\x00i\x00r\x00".to_vec(), "UTF-16"),
        ("empty.csv", Vec::new(), "The file is empty"),
        ("blank.csv", b"\n\n  \n".to_vec(), "empty"),
        ("header.csv", b"First Name,Email\n".to_vec(), "no rows to import"),
        (
            "broken.csv",
            b"First Name,Email,Notes\nAda,ada@x.org,\"never closed\nAlan,alan@x.org,x\nGrace,grace@x.org,y\n".to_vec(),
            "well-formed",
        ),
    ];
    for (name, bytes, expected) in cases {
        let response = client.upload(name, bytes).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        let message = response.text("#upload-error").unwrap_or_default();
        assert!(message.contains(expected), "{name}: {message}");
    }
    // Over 50 MB: refused while it is read. The server answers before the upload ends and
    // closes the connection on the rest, so a client may see a reset instead of the page
    // (as a browser may); the page must arrive when the connection survives.
    let mut response = None;
    for _ in 0..10 {
        let request = client
            .upload_request("big.csv", vec![b'a'; 51 * 1024 * 1024])
            .await;
        match client.try_send(request).await {
            Ok(answer) => {
                response = Some(answer);
                break;
            }
            Err(err) => assert!(
                err.is_request() || err.is_body() || err.is_decode(),
                "{err}"
            ),
        }
    }
    let response = response.expect("the page arrives at least once in ten uploads");
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text("#upload-error")
            .unwrap()
            .contains("larger than 50 MB")
    );
    assert_eq!(org.app.count("imports").await, 0);

    // Without the CSRF token, no upload at all.
    let form = Form::new().part(
        "file",
        Part::bytes(b"First Name\nAda\n".to_vec()).file_name("a.csv"),
    );
    let refused = client
        .send(
            client
                .request(reqwest::Method::POST, "/imports/upload")
                .multipart(form),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(org.app.count("imports").await, 0);
}

/// Whatever a file holds, the pages built from it stay pages: a header of a million
/// columns is refused, and at the most columns allowed, with names and values far longer
/// than any real export's (and made of characters HTML escapes), the mapping page is
/// bounded by the limits, not by the file.
#[sqlx::test]
async fn absurd_files_are_refused_and_what_is_shown_of_a_file_is_bounded(pool: PgPool) {
    // The limits: 300 columns, 100 characters of a column's name.
    const MAX_COLUMNS: usize = 300;
    const MAX_HEADER_CHARS: usize = 100;
    let org = org::org(pool).await;
    let client = org.app.signed_in(RITA).await;

    let million: Vec<String> = (1..=1_000_000).map(|i| format!("c{i}")).collect();
    let file = format!("{}\nx\n", million.join(","));
    let response = client.upload("wide.csv", file.into_bytes()).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = response.text("#upload-error").unwrap_or_default();
    assert!(message.contains("1000000 columns"), "{message}");
    assert!(
        response.body.len() < 100_000,
        "{} bytes",
        response.body.len()
    );
    assert_eq!(org.app.count("imports").await, 0);

    // MAX_COLUMNS columns, each named by 5,000 characters and holding 2,000 per row.
    let hostile = |length: usize, i: usize| format!("{i}{}", "<&\"é".repeat(length / 4));
    let header: Vec<String> = (0..MAX_COLUMNS).map(|i| hostile(5_000, i)).collect();
    let mut file = header.join(",").replace('"', "'");
    file.push('\n');
    for row in 0..12 {
        let cells: Vec<String> = (0..MAX_COLUMNS)
            .map(|i| {
                format!(
                    "\"{}\"",
                    hostile(2_000, row * 1000 + i).replace('"', "\"\"")
                )
            })
            .collect();
        file.push_str(&cells.join(","));
        file.push('\n');
    }
    assert!(file.len() > 10_000_000);
    let (_, page) = uploaded(&client, "hostile.csv", file.into_bytes()).await;
    assert_eq!(page.texts("#columns tbody tr").len(), MAX_COLUMNS);
    let first = page.text("#columns label[for=column_0]").unwrap();
    assert_eq!(first.trim().chars().count(), MAX_HEADER_CHARS);
    assert!(page.body.len() < 1_000_000, "{} bytes", page.body.len());
}

#[sqlx::test]
async fn a_bom_semicolons_and_quoted_newlines_import_and_lines_are_counted_right(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let client = app.signed_in(RITA).await;
    let file = "\u{feff}Prénom;Nom;E-mail;Société;Notes;Tags\n\
                Ada;Lovelace;ada@example.org;Engines;\"Met at the fair.\nWants numbers; fast.\";vip, emea\n\
                Zoë;Brontë;zoe@example.org;\"Haworth; Sons\";;\n\
                ;Nobody;nobody@example.org;;;\n";
    let (id, page) = uploaded(&client, "europe.csv", file.as_bytes().to_vec()).await;
    // "Prénom" and "Nom" are not in the dictionary of guesses; "E-mail" and "Notes" are.
    let form = page.form_values("form#mapping");
    let value = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(value("column_2").as_deref(), Some("email"));
    assert_eq!(value("column_4").as_deref(), Some("notes"));
    assert_eq!(value("column_5").as_deref(), Some("tags"));

    // Without a first-name column, the form says so and keeps what was chosen.
    let refused = submit(
        &client,
        id,
        &page,
        &[("column_0", ""), ("column_3", "account_name")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("first names"));
    assert_eq!(
        refused.attrs("#column_3 option[selected]", "value"),
        ["account_name"]
    );

    let mapping = [
        ("column_0", "first_name"),
        ("column_1", "last_name"),
        ("column_3", "account_name"),
        ("action", "start"),
    ];
    assert_eq!(
        submit(&client, id, &page, &mapping).await.status,
        StatusCode::SEE_OTHER
    );
    run_imports(app).await;
    let done = counts(app, id).await;
    assert_eq!((done.created_count, done.failed_count), (2, 1));
    // The third record starts on line 5: the quoted newline is inside line 2's record.
    assert_eq!(problems(app, id).await, vec![(5, "invalid".to_string())]);
    let (notes, tags, account): (String, Vec<String>, String) = sqlx::query_as(
        "select f.value, p.tags, a.name from prospects p
         join qualifying_facts f on f.prospect_id = p.id and f.field = 'notes'
         join accounts a on a.id = p.account_id where p.email = 'ada@example.org'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(notes, "Met at the fair.\nWants numbers; fast.");
    assert_eq!(tags, ["vip", "emea"]);
    assert_eq!(account, "Engines");
    let zoe: String = sqlx::query_scalar(
        "select a.name from prospects p join accounts a on a.id = p.account_id where p.first_name = 'Zoë'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(zoe, "Haworth; Sons");
}

/// Exports from HubSpot, Salesforce and Excel end their lines with CRLF: every line the
/// preview, the problems and their CSV report is the line an editor shows, as for LF.
#[sqlx::test]
async fn lines_are_reported_alike_for_crlf_and_lf_files(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let client = app.signed_in(RITA).await;
    for (ending, newline) in [("lf", "\n"), ("crlf", "\r\n")] {
        // Line 3's record holds a quoted line break; line 5 is empty; line 6's email is
        // not one; line 7 repeats line 2's email.
        let file = format!(
            "First Name,Email,Notes\n\
             Ada,ada-{ending}@example.org,\n\
             Alan,alan-{ending}@example.org,\"first\nsecond\"\n\
             \n\
             Nobody,not-an-email,\n\
             Ada,ada-{ending}@example.org,again\n\
             Grace,grace-{ending}@example.org,"
        )
        .replace('\n', newline);
        let (id, page) = uploaded(&client, &format!("{ending}.csv"), file.into_bytes()).await;
        assert_eq!(
            page.texts("#preview td.num"),
            ["2", "3", "6", "7", "8"],
            "{ending}"
        );
        assert_eq!(
            submit(&client, id, &page, &[("action", "start")])
                .await
                .status,
            StatusCode::SEE_OTHER
        );
        run_imports(app).await;
        assert_eq!(
            problems(app, id).await,
            [
                (6, "invalid".to_string()),
                (7, "duplicate_in_file".to_string())
            ],
            "{ending}"
        );
        let notes: String = sqlx::query_scalar(
            "select f.value from prospects p
             join qualifying_facts f on f.prospect_id = p.id and f.field = 'notes'
             where p.email = $1",
        )
        .bind(format!("alan-{ending}@example.org"))
        .fetch_one(&app.db)
        .await
        .unwrap();
        assert_eq!(notes, "first\nsecond", "{ending}");
        let csv = client.get(&format!("/imports/{id}/problems.csv")).await;
        let lines: Vec<&str> = csv
            .body
            .lines()
            .skip(1)
            .filter_map(|line| line.split(',').next())
            .collect();
        assert_eq!(lines, ["6", "7"], "{ending}: {}", csv.body);
    }
}

#[sqlx::test]
async fn duplicates_update_only_when_asked_and_only_prospects_the_importer_may_edit(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let mine = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@example.org"))
        .await;
    sqlx::query("update prospects set tags = '{old}', phone = '+1 555 1' where id = $1")
        .bind(mine)
        .execute(&app.db)
        .await
        .unwrap();
    let theirs = app
        .create_prospect(org.sam, "Grace", "Hopper", Some("grace@example.org"))
        .await;
    let client = app.signed_in(RITA).await;
    let file = "First Name,Last Name,Email,Job Title,Phone,Tags,Do Not Contact\n\
                Ada,,ADA@example.org,Countess,,new,no\n\
                Grace,Hopper,grace@example.org,Admiral,,,no\n\
                Alan,Turing,alan@example.org,,,,yes\n\
                Alan,T.,alan@example.org,,,,\n";
    let (id, page) = uploaded(&client, "update.csv", file.as_bytes().to_vec()).await;
    assert_eq!(
        submit(
            &client,
            id,
            &page,
            &[("duplicates", "update"), ("action", "preview")]
        )
        .await
        .status,
        StatusCode::SEE_OTHER
    );
    let preview = client.get(&format!("/imports/{id}")).await;
    assert_eq!(
        preview.texts("#summary .stat-value"),
        ["1", "1", "0", "1", "1"]
    );
    assert!(
        preview.text("#preview").unwrap().contains("Sam South"),
        "who owns the one not updated"
    );
    assert_eq!(app.count("prospects").await, 2, "previewing writes nothing");

    let started = submit(&client, id, &preview, &[("action", "start")]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    run_imports(app).await;
    let done = counts(app, id).await;
    assert_eq!(
        (done.created_count, done.updated_count, done.skipped_count),
        (1, 1, 2)
    );
    let (title, last, phone, tags): (String, String, String, Vec<String>) =
        sqlx::query_as("select title, last_name, phone, tags from prospects where id = $1")
            .bind(mine)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(title, "Countess");
    assert_eq!(last, "Lovelace", "an empty value keeps what is there");
    assert_eq!(phone, "+1 555 1");
    assert_eq!(tags, ["new", "old"]);
    let untouched: String = sqlx::query_scalar("select title from prospects where id = $1")
        .bind(theirs)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(untouched, "", "Sam's prospect is not Rita's to change");
    let alan: bool =
        sqlx::query_scalar("select do_not_contact from prospects where email = 'alan@example.org'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(alan);
    assert_eq!(
        problems(app, id).await,
        vec![
            (3, "not_updated".to_string()),
            (5, "duplicate_in_file".to_string())
        ]
    );
}

#[sqlx::test]
async fn imports_are_private_and_owners_are_chosen_within_the_scope(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let rita = app.signed_in(RITA).await;
    let (id, page) = uploaded(&rita, "mine.csv", b"First Name\nAda\n".to_vec()).await;
    let sam = app.signed_in(SAM).await;
    assert_eq!(
        sam.get(&format!("/imports/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sam.get(&format!("/imports/{id}/problems.csv")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sam.post_form(&format!("/imports/{id}"), &[("action", "start")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A rep assigns only to themselves; a manager to their team.
    let refused = submit(
        &rita,
        id,
        &page,
        &[("owner_id", &org.sam.to_string()), ("action", "start")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("prospects").await, 0);
    let maya = app.signed_in(org::MAYA).await;
    let (mid, mpage) = uploaded(&maya, "team.csv", b"First Name\nAlan\n".to_vec()).await;
    let owners = mpage.attrs("#owner_id option", "value");
    assert!(
        owners.contains(&org.ravi.to_string()) && !owners.contains(&org.sam.to_string()),
        "{owners:?}"
    );
    let started = submit(
        &maya,
        mid,
        &mpage,
        &[("owner_id", &org.ravi.to_string()), ("action", "start")],
    )
    .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    run_imports(app).await;
    let owner: i64 = sqlx::query_scalar("select owner_id from prospects where first_name = 'Alan'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(owner, org.ravi);
}

/// Starts an import of `rows` HubSpot rows for Rita, queued for the background.
async fn queued_import(app: &TestApp, rows: usize) -> i64 {
    let client = app.signed_in(RITA).await;
    let (id, page) = uploaded(&client, "big.csv", hubspot(rows).into_bytes()).await;
    let started = submit(&client, id, &page, &[("action", "start")]).await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    id
}

#[sqlx::test]
async fn three_schedulers_import_one_file_exactly_once(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let id = queued_import(app, 6_000).await;
    let racers: Vec<_> = (0..3)
        .map(|_| {
            let scheduler = Scheduler::new(app.db.clone()).with_batch(100);
            let db = app.db.clone();
            tokio::spawn(async move {
                let mut batches = 0;
                while run::pending(&db).await.unwrap() {
                    let report = scheduler.run_once(OffsetDateTime::now_utc()).await.unwrap();
                    batches += report.imports.batches;
                }
                batches
            })
        })
        .collect();
    let mut batches = Vec::new();
    for racer in racers {
        batches.push(racer.await.unwrap());
    }
    assert_eq!(
        batches.iter().sum::<u64>(),
        6,
        "six batches of 1,000, each done once: {batches:?}"
    );
    let done = counts(app, id).await;
    assert_eq!(
        (done.status.as_str(), done.rows_done, done.created_count),
        ("done", 6_000, 6_000)
    );
    assert_eq!(app.count("prospects").await, 6_000);
    assert_eq!(app.count("import_problems").await, 0);
    let events: i64 =
        sqlx::query_scalar("select count(*) from prospect_events where kind = 'created'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(events, 6_000);
}

#[sqlx::test]
async fn a_worker_killed_mid_import_leaves_whole_batches_and_the_next_one_finishes(pool: PgPool) {
    let org = org::org(pool.clone()).await;
    let app = &org.app;
    let id = queued_import(app, 30_000).await;
    let mut worker = crate::scheduler::spawn(&pool, &["worker"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let seen = loop {
        let done = counts(app, id).await.rows_done;
        if done > 0 {
            break done;
        }
        assert!(
            Instant::now() < deadline,
            "the worker imported nothing within a minute"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    worker.0.kill().expect("SIGKILL the worker");
    worker.0.wait().expect("reap the worker");
    let survived = counts(app, id).await;
    eprintln!(
        "killed at {seen} rows seen, {} committed of 30000",
        survived.rows_done
    );
    assert_eq!(
        survived.rows_done % 1000,
        0,
        "only whole batches are committed"
    );
    assert_eq!(
        i64::from(survived.created_count),
        app.count("prospects").await
    );

    run_imports(app).await;
    let done = counts(app, id).await;
    assert_eq!(
        (done.status.as_str(), done.rows_done, done.created_count),
        ("done", 30_000, 30_000)
    );
    assert_eq!(app.count("prospects").await, 30_000);
    let emails: i64 = sqlx::query_scalar("select count(distinct email) from prospects")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(emails, 30_000);
}

/// The benchmark the issue asks for: 100,000 HubSpot rows, from the upload to the last
/// batch, with a cadence to enroll them in. Prints the times; asserts only correctness.
/// Run it with `scripts/test.sh --test it import_100k -- --ignored --nocapture`.
#[sqlx::test]
#[ignore = "a benchmark: run by hand with --ignored"]
async fn import_100k_rows_benchmark(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    let cadence = org
        .outbound_cadence(&[(Channel::Call, 0), (Channel::Email, 2)])
        .await;
    let client = app.signed_in(RITA).await;
    let csv = hubspot(100_000).into_bytes();
    let megabytes = csv.len() as f64 / 1_048_576.0;
    let clock = Instant::now();
    let (id, page) = uploaded(&client, "hubspot-100k.csv", csv).await;
    let uploaded_in = clock.elapsed();
    let started = submit(
        &client,
        id,
        &page,
        &[("cadence_id", &cadence.to_string()), ("action", "start")],
    )
    .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let clock = Instant::now();
    let cache = Cache::default();
    while run::batch(&app.db, &cache).await.unwrap().is_some() {}
    let imported_in = clock.elapsed();
    let done = counts(app, id).await;
    assert_eq!(
        (
            done.status.as_str(),
            done.created_count,
            done.enrolled_count
        ),
        ("done", 100_000, 100_000)
    );
    // Then the scheduler gives each enrollment its first touch, as it would right after.
    let clock = Instant::now();
    let scheduler = Scheduler::new(app.db.clone());
    loop {
        let report = scheduler.run_once(OffsetDateTime::now_utc()).await.unwrap();
        if report.steps_scheduled == 0 {
            break;
        }
    }
    let touched_in = clock.elapsed();
    assert_eq!(app.count("touches").await, 100_000);
    println!(
        "100,000 rows ({megabytes:.1} MB): upload, checks and preview {:.1} s; import with \
         enrollment {:.1} s ({:.0} rows/s); first touches scheduled {:.1} s",
        uploaded_in.as_secs_f64(),
        imported_in.as_secs_f64(),
        100_000.0 / imported_in.as_secs_f64(),
        touched_in.as_secs_f64()
    );
}

#[sqlx::test]
async fn a_batch_the_database_refuses_is_rolled_back_whole_retried_then_failed(pool: PgPool) {
    let org = org::org(pool).await;
    let app = &org.app;
    // A database that refuses one row of the second batch, as a broken disk or a bug would.
    sqlx::raw_sql(
        "create function refuse_boom() returns trigger language plpgsql as $$
         begin
             if new.first_name = 'First1500' then raise exception 'disk on fire'; end if;
             return new;
         end $$;
         create trigger refuse_boom before insert on prospects
             for each row execute function refuse_boom();",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let id = queued_import(app, 2_000).await;
    let cache = Cache::default();
    assert_eq!(run::batch(&app.db, &cache).await.unwrap(), Some(1000));
    for attempt in 1..=5 {
        assert!(
            run::batch(&app.db, &cache).await.is_err(),
            "attempt {attempt}"
        );
        let done = counts(app, id).await;
        assert_eq!(done.rows_done, 1000, "the failed batch left nothing behind");
        assert_eq!(app.count("prospects").await, 1000);
    }
    let done = counts(app, id).await;
    assert_eq!(done.status, "failed");
    assert!(
        run::batch(&app.db, &cache).await.unwrap().is_none(),
        "a failed import is not retried forever"
    );

    let page = app
        .signed_in(RITA)
        .await
        .get(&format!("/imports/{id}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("repeated server errors"),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("disk on fire"),
        "server details stay in the log"
    );
}
