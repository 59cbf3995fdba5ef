//! Every form of every page, filled as an attacker would: each field in turn gets a NUL,
//! other control characters, bytes that are not UTF-8, 100,000 characters, a date nobody
//! could mean. The forms are found the way a browser finds them, by following the links of
//! the demo workspace as each role, so a new form is covered without being listed here.
//! No answer may be a 5xx; a refusal writes nothing; whatever is accepted is stored clean.

use std::collections::{BTreeSet, VecDeque};

use prospector::seed;
use reqwest::{Method, StatusCode};
use scraper::{ElementRef, Html, Selector};
use sqlx::PgPool;

use crate::support::{TestApp, TestClient};

/// The tables whose rows a refused request must leave as they were. Sign-in attempts and
/// sessions are left out: a wrong password is refused and rightly counted.
const TABLES: &[&str] = &[
    "users",
    "teams",
    "accounts",
    "prospects",
    "interactions",
    "qualifying_facts",
    "opportunities",
    "prospect_events",
    "cadences",
    "cadence_versions",
    "cadence_steps",
    "enrollments",
    "touches",
    "api_tokens",
    "calendar_feeds",
    "imports",
    "import_problems",
    "auth_tokens",
    "mail_outbox",
    "password_reset_requests",
];

/// Counts every committed row change in [`TABLES`] from now on (a row trigger per table
/// logging into a table of the test's own), so that "no write" is one cheap count.
async fn watch_writes(app: &TestApp) {
    sqlx::raw_sql(
        "create table test_writes (table_name text not null);
         create function test_log_write() returns trigger language plpgsql as $$
         begin insert into test_writes values (tg_table_name); return null; end $$;",
    )
    .execute(&app.db)
    .await
    .unwrap();
    for table in TABLES {
        sqlx::raw_sql(&format!(
            "create trigger test_log_write after insert or update or delete on {table}
             for each row execute function test_log_write()"
        ))
        .execute(&app.db)
        .await
        .unwrap();
    }
}

/// How many row changes have been committed since [`watch_writes`].
async fn snapshot(app: &TestApp) -> i64 {
    sqlx::query_scalar("select count(*) from test_writes")
        .fetch_one(&app.db)
        .await
        .expect("the write count")
}

/// Text columns of [`TABLES`] holding a control character or U+FFFD (a replaced byte).
async fn dirty_text(app: &TestApp) -> Vec<String> {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "select table_name::text, column_name::text from information_schema.columns
         where table_schema = 'public' and table_name = any($1)
           and data_type in ('text', 'character varying', 'USER-DEFINED', 'ARRAY')
           and udt_name in ('text', 'varchar', 'citext', '_text')",
    )
    .bind(TABLES)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let mut dirty = Vec::new();
    for (table, column) in columns {
        let found: bool = sqlx::query_scalar(&format!(
            "select exists (select 1 from {table}
             where {column}::text ~ '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f\\ufffd]')"
        ))
        .fetch_one(&app.db)
        .await
        .unwrap();
        if found {
            dirty.push(format!("{table}.{column}"));
        }
    }
    dirty
}

/// What is put in a field, percent-encoded as the body carries it (raw bytes included).
/// A query string carries 8,000 characters where a body carries 100,000: no client sends
/// an address longer than that.
fn hostile_values(kind: &str, method: &Method) -> Vec<(&'static str, String)> {
    let long = if *method == Method::GET {
        8_000
    } else {
        100_000
    };
    let mut values = vec![
        ("NUL", "a%00b".to_string()),
        (
            "C0 and C1 controls",
            "%01%0B%0C%1B%5B31m%7F%C2%85".to_string(),
        ),
        ("bytes that are not UTF-8", "Zo%EB%FF%FE".to_string()),
        ("a very long text", "x".repeat(long)),
    ];
    if kind == "date" || kind == "datetime-local" {
        values.push(("a date before year 1", "-0001-01-01".into()));
        values.push(("a five-digit year", "99999-12-31".into()));
        values.push(("year zero", "0000-01-01".into()));
    }
    values
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

struct Field {
    name: String,
    value: String,
    kind: String,
}

struct FoundForm {
    method: Method,
    action: String,
    fields: Vec<Field>,
}

fn selector(css: &str) -> Selector {
    Selector::parse(css).unwrap()
}

/// The forms of a page, with the values a browser would submit untouched.
fn forms(page: &Html, page_path: &str) -> Vec<FoundForm> {
    let mut found = Vec::new();
    for form in page.select(&selector("form")) {
        let method = match form
            .attr("method")
            .unwrap_or("get")
            .to_ascii_lowercase()
            .as_str()
        {
            "post" => Method::POST,
            _ => Method::GET,
        };
        if form.attr("enctype") == Some("multipart/form-data") {
            continue; // the upload: files are fuzzed by the import tests
        }
        let action = form.attr("action").unwrap_or(page_path).to_string();
        if action.starts_with("/logout") || !action.starts_with('/') {
            continue;
        }
        let mut fields = Vec::new();
        for element in form.select(&selector("input[name], textarea[name], select[name]")) {
            if let Some(field) = field(element) {
                fields.push(field);
            }
        }
        found.push(FoundForm {
            method,
            action,
            fields,
        });
    }
    found
}

fn field(element: ElementRef<'_>) -> Option<Field> {
    let name = element.attr("name")?.to_string();
    let tag = element.value().name();
    let kind = match tag {
        "input" => element.attr("type").unwrap_or("text").to_ascii_lowercase(),
        other => other.to_string(),
    };
    let value = match tag {
        "textarea" => element.text().collect(),
        "select" => {
            let options: Vec<ElementRef<'_>> = element.select(&selector("option")).collect();
            options
                .iter()
                .find(|o| o.attr("selected").is_some())
                .or(options.first())
                .map(|o| {
                    o.attr("value")
                        .map_or_else(|| o.text().collect(), str::to_owned)
                })
                .unwrap_or_default()
        }
        _ => {
            if matches!(kind.as_str(), "checkbox" | "radio") && element.attr("checked").is_none() {
                return None;
            }
            if matches!(
                kind.as_str(),
                "submit" | "button" | "file" | "image" | "reset"
            ) {
                return None;
            }
            element.attr("value").unwrap_or_default().to_string()
        }
    };
    Some(Field { name, value, kind })
}

/// The pages a role reaches from `/` by following links, one per shape of path (the first
/// prospect's page stands for all), without downloads or the API.
async fn crawl(client: &TestClient, limit: usize) -> Vec<String> {
    let mut queue = VecDeque::from(["/".to_string()]);
    let mut shapes = BTreeSet::new();
    let mut pages = Vec::new();
    while let Some(path) = queue.pop_front() {
        if !shapes.insert(shape_of(&path)) || pages.len() >= limit {
            continue;
        }
        let response = client.get(&path).await;
        assert!(
            !response.status.is_server_error(),
            "{path}: {}",
            response.status
        );
        if response.status.is_redirection() {
            if let Some(location) = response.location() {
                queue.push_front(location.to_string());
            }
            continue;
        }
        if response.status != StatusCode::OK
            || !response
                .header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        {
            continue;
        }
        for href in response.attrs("a[href]", "href") {
            let href = href.split('#').next().unwrap().to_string();
            let skip = !href.starts_with('/')
                || href.starts_with("//")
                || href.starts_with("/api")
                || href.starts_with("/static")
                || href.starts_with("/calendar")
                || href.contains(".csv")
                || href.starts_with("/logout");
            if !skip {
                queue.push_back(href);
            }
        }
        pages.push(path);
    }
    pages
}

/// A path with its ids and query left out: `/prospects/{id}`.
fn shape_of(path: &str) -> String {
    path.split(['?', '#'])
        .next()
        .unwrap_or_default()
        .split('/')
        .map(|s| if s.parse::<i64>().is_ok() { "{id}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Submits `form` with `field` set to `raw` (already encoded) and every other field as the
/// page had it.
async fn submit(
    client: &TestClient,
    form: &FoundForm,
    field: usize,
    raw: &str,
) -> (StatusCode, String) {
    let mut pairs: Vec<String> = form
        .fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let value = if i == field {
                raw.to_string()
            } else {
                encode(&f.value)
            };
            format!("{}={value}", encode(&f.name))
        })
        .collect();
    if form.method == Method::POST && !form.fields.iter().any(|f| f.name == "csrf_token") {
        pairs.push(format!("csrf_token={}", encode(&client.csrf_token().await)));
    }
    let body = pairs.join("&");
    let request = if form.method == Method::POST {
        client
            .request(Method::POST, &form.action)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    } else {
        let separator = if form.action.contains('?') { '&' } else { '?' };
        client.request(Method::GET, &format!("{}{separator}{body}", form.action))
    };
    let response = client.send(request).await;
    (response.status, response.body)
}

async fn attack_every_form(app: &TestApp, client: &TestClient, start_pages: &[&str], who: &str) {
    let mut pages: Vec<String> = start_pages.iter().map(|p| p.to_string()).collect();
    if start_pages.is_empty() {
        pages = crawl(client, 60).await;
    }
    let mut seen_forms = BTreeSet::new();
    let mut submissions = 0;
    let mut failures = Vec::new();
    for page_path in &pages {
        let page = client.get(page_path).await;
        if page.status != StatusCode::OK {
            continue;
        }
        for form in forms(&page.html(), page_path) {
            let shape = format!("{} {}", form.method, shape_of(&form.action));
            if !seen_forms.insert(shape.clone()) {
                continue;
            }
            for (index, field) in form.fields.iter().enumerate() {
                if field.name == "csrf_token" {
                    continue;
                }
                for (what, raw) in hostile_values(&field.kind, &form.method) {
                    let before = snapshot(app).await;
                    let (status, _) = submit(client, &form, index, &raw).await;
                    submissions += 1;
                    if status.is_server_error() {
                        failures.push(format!(
                            "{who}: {shape} with {what} in {:?} answered {status}",
                            field.name
                        ));
                    } else if status.is_client_error() && snapshot(app).await != before {
                        failures.push(format!(
                            "{who}: {shape} refused {what} in {:?} ({status}) but wrote",
                            field.name
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "{who}: {submissions} submissions to {} forms on {} pages",
        seen_forms.len(),
        pages.len()
    );
    assert!(submissions > 0, "{who}: no form found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let dirty = dirty_text(app).await;
    assert!(
        dirty.is_empty(),
        "{who}: stored with control characters: {dirty:?}"
    );
}

#[sqlx::test]
async fn every_form_refuses_hostile_text_without_a_5xx_or_a_write(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    seed::demo::seed(&app.state)
        .await
        .expect("the demo workspace");
    watch_writes(&app).await;

    let visitor = app.client();
    attack_every_form(
        &app,
        &visitor,
        &["/login", "/password/forgot", "/password/reset?token=x"],
        "a visitor",
    )
    .await;

    for email in ["rep1@demo.test", "manager@demo.test", "admin@demo.test"] {
        let client = app.client();
        let response = client.login(email, seed::demo::PASSWORD).await;
        assert_eq!(response.location(), Some("/"), "{email} signs in");
        attack_every_form(&app, &client, &[], email).await;
    }
}
