//! Accounts: who sees which account, the list (search, prospect counts, keyset pages),
//! the account page, and the account form.

use reqwest::StatusCode;
use sqlx::PgPool;

use crate::support::{
    TestApp, TestClient, TestResponse,
    org::{ADMIN, MAYA, RAVI, RITA, org},
    set_field,
};

async fn create_account(app: &TestApp, owner_id: i64, name: &str, domain: Option<&str>) -> i64 {
    sqlx::query_scalar(
        "insert into accounts (owner_id, name, domain) values ($1, $2, $3) returning id",
    )
    .bind(owner_id)
    .bind(name)
    .bind(domain)
    .fetch_one(&app.db)
    .await
    .expect("insert an account")
}

async fn place_prospect(app: &TestApp, prospect_id: i64, account_id: i64) {
    sqlx::query("update prospects set account_id = $2 where id = $1")
        .bind(prospect_id)
        .bind(account_id)
        .execute(&app.db)
        .await
        .expect("place the prospect at the account");
}

/// The account ids listed on a list page, in order.
fn listed_ids(page: &TestResponse) -> Vec<i64> {
    page.attrs("table tbody tr td:first-child a", "href")
        .iter()
        .map(|href| {
            href.strip_prefix("/accounts/")
                .and_then(|id| id.parse().ok())
                .unwrap_or_else(|| panic!("not an account link: {href}"))
        })
        .collect()
}

async fn list(client: &TestClient, path: &str) -> Vec<i64> {
    let page = client.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    listed_ids(&page)
}

type AccountRow = (i64, String, Option<String>, String, Option<i32>, String);

async fn account_row(app: &TestApp, id: i64) -> AccountRow {
    sqlx::query_as(
        "select owner_id, name, domain::text, industry, employee_count, territory
         from accounts where id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

fn account_id_from(response: &TestResponse) -> i64 {
    response
        .location()
        .and_then(|l| l.strip_prefix("/accounts/"))
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "not sent to an account: {} {}",
                response.status, response.body
            )
        })
}

#[sqlx::test]
async fn a_rep_can_neither_read_nor_change_another_reps_account(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let ritas = create_account(
        app,
        org.rita,
        "Analytical Engines",
        Some("analytical.example"),
    )
    .await;
    let ravi = app.signed_in(RAVI).await;

    for path in [
        format!("/accounts/{ritas}"),
        format!("/accounts/{ritas}/edit"),
    ] {
        let response = ravi.get(&path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !response.body.contains("Analytical"),
            "{path} leaks the account"
        );
    }
    let update = ravi
        .post_form(&format!("/accounts/{ritas}"), &[("name", "Hacked")])
        .await;
    assert_eq!(update.status, StatusCode::NOT_FOUND);
    // Even an invalid form is a 404, not a form page about someone else's account.
    let update = ravi
        .post_form(&format!("/accounts/{ritas}"), &[("name", "")])
        .await;
    assert_eq!(update.status, StatusCode::NOT_FOUND);

    assert_eq!(account_row(app, ritas).await.1, "Analytical Engines");
    assert!(list(&ravi, "/accounts").await.is_empty());
    assert!(list(&ravi, "/accounts?q=analytical").await.is_empty());
}

#[sqlx::test]
async fn managers_see_their_teams_accounts_and_admins_every_account(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let ritas = create_account(app, org.rita, "Babbage Ltd", None).await;
    let mayas = create_account(app, org.maya, "Analytical Engines", None).await;
    let sams = create_account(app, org.sam, "Colossus", None).await;

    let maya = app.signed_in(MAYA).await;
    assert_eq!(list(&maya, "/accounts").await, vec![mayas, ritas]);
    assert_eq!(
        maya.get(&format!("/accounts/{ritas}")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        maya.get(&format!("/accounts/{sams}")).await.status,
        StatusCode::NOT_FOUND
    );

    let admin = app.signed_in(ADMIN).await;
    assert_eq!(list(&admin, "/accounts").await, vec![mayas, ritas, sams]);
}

#[sqlx::test]
async fn the_list_searches_names_and_domains_and_counts_visible_prospects(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let acme = create_account(app, org.rita, "Acme Corp", Some("acme.com")).await;
    let globex = create_account(app, org.rita, "Globex", Some("globex.example")).await;
    let percent = create_account(app, org.rita, "100% Widgets", None).await;
    // Two of Rita's prospects at Acme, and one of Ravi's she may not see.
    for (owner, first) in [(org.rita, "Ada"), (org.rita, "Alan"), (org.ravi, "Grace")] {
        let id = app.create_prospect(owner, first, "X", None).await;
        place_prospect(app, id, acme).await;
    }
    let rita = app.signed_in(RITA).await;

    assert_eq!(list(&rita, "/accounts?q=ACME").await, vec![acme]);
    assert_eq!(list(&rita, "/accounts?q=globex.ex").await, vec![globex]);
    assert_eq!(list(&rita, "/accounts?q=100%25").await, vec![percent]);
    assert!(list(&rita, "/accounts?q=%25%25").await.is_empty());

    let page = rita.get("/accounts").await;
    let rows = page.texts("table tbody tr");
    let acme_row = rows
        .iter()
        .find(|r| r.starts_with("Acme Corp"))
        .expect("Acme is listed");
    assert!(
        acme_row.ends_with(" 2"),
        "Rita sees 2 prospects at Acme: {acme_row}"
    );
    let globex_row = rows.iter().find(|r| r.starts_with("Globex")).unwrap();
    assert!(globex_row.ends_with(" 0"), "{globex_row}");

    let nothing = rita.get("/accounts?q=nosuchaccount").await;
    assert!(listed_ids(&nothing).is_empty());
    assert!(nothing.exists(".empty-state"));
}

#[sqlx::test]
async fn keyset_pages_show_every_account_once_in_name_order(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    // Repeated names (in different cases) so that the id tie-break matters, and a `~`.
    sqlx::query(
        "insert into accounts (owner_id, name)
         select $1, case when g % 3 = 0 then 'ACME ~ Sons' when g % 3 = 1 then 'acme ~ sons'
                         else 'Name ' || (g % 17) end
         from generate_series(1, 120) g",
    )
    .bind(org.rita)
    .execute(&app.db)
    .await
    .unwrap();
    create_account(app, org.ravi, "Not Ritas", None).await;
    let expected: Vec<i64> =
        sqlx::query_scalar("select id from accounts where owner_id = $1 order by lower(name), id")
            .bind(org.rita)
            .fetch_all(&app.db)
            .await
            .unwrap();
    let rita = app.signed_in(RITA).await;

    let mut ids = Vec::new();
    let mut pages = 0;
    let mut next = Some("/accounts".to_owned());
    while let Some(path) = next {
        let page = rita.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        ids.extend(listed_ids(&page));
        pages += 1;
        assert!(pages <= 5, "the pages never end");
        if pages > 1 {
            assert_eq!(
                page.attrs(".pagination a:not([rel])", "href"),
                vec!["/accounts"]
            );
        }
        next = page.attrs("a[rel=next]", "href").into_iter().next();
    }
    assert_eq!(ids, expected);
    assert_eq!(pages, 3);
    assert_eq!(
        rita.get("/accounts?after=garbage").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[sqlx::test]
async fn the_account_page_lists_only_the_prospects_in_scope(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let acme = create_account(app, org.rita, "Acme Corp", Some("acme.com")).await;
    let ada = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let grace = app.create_prospect(org.ravi, "Grace", "Hopper", None).await;
    app.create_prospect(org.rita, "Alan", "Turing", None).await;
    place_prospect(app, ada, acme).await;
    place_prospect(app, grace, acme).await;

    let rita = app.signed_in(RITA).await;
    let page = rita.get(&format!("/accounts/{acme}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1").as_deref(), Some("Acme Corp"));
    assert_eq!(
        page.attrs("table tbody a", "href"),
        vec![format!("/prospects/{ada}")]
    );
    assert!(!page.body.contains("Hopper"));
    assert_eq!(
        page.attrs(".page-header a.btn", "href"),
        vec![format!("/accounts/{acme}/edit")]
    );

    let maya = app.signed_in(MAYA).await;
    let page = maya.get(&format!("/accounts/{acme}")).await;
    assert_eq!(
        page.attrs("table tbody a", "href"),
        vec![format!("/prospects/{grace}"), format!("/prospects/{ada}")]
    );
}

#[sqlx::test]
async fn creating_an_account_normalises_the_domain_and_owns_it(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let rita = app.signed_in(RITA).await;
    let mut form = rita
        .get("/accounts/new")
        .await
        .form_values("form[action='/accounts']");
    for (field, value) in [
        ("name", "  Acme Corp "),
        ("domain", "https://www.Acme.com/about"),
        ("industry", "Manufacturing"),
        ("employee_count", "1,200"),
        ("territory", "EMEA"),
        ("owner_id", &org.sam.to_string()),
    ] {
        set_field(&mut form, field, value);
    }

    let response = rita.post_form("/accounts", &form).await;

    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let id = account_id_from(&response);
    assert_eq!(
        account_row(app, id).await,
        (
            org.rita,
            "Acme Corp".into(),
            Some("acme.com".into()),
            "Manufacturing".into(),
            Some(1200),
            "EMEA".into()
        )
    );
    let page = rita.get(&format!("/accounts/{id}")).await;
    assert!(page.exists(".flash-success"));
}

#[sqlx::test]
async fn an_invalid_account_is_shown_again_with_what_was_typed(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let rita = app.signed_in(RITA).await;
    let typed = [
        ("name", ""),
        ("domain", "not a domain"),
        ("industry", "Manufacturing"),
        ("employee_count", "-12"),
        ("territory", "EMEA"),
    ];

    let response = rita.post_form("/accounts", &typed).await;

    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, value) in typed {
        assert_eq!(
            response.field_value(field).as_deref(),
            Some(value),
            "{field}"
        );
    }
    for field in ["name", "domain", "employee_count"] {
        assert!(
            response.exists(&format!("#{field}-error")),
            "{field} has its message"
        );
    }
    assert!(!response.exists("#industry-error"));
    assert_eq!(app.count("accounts").await, 0);
}

#[sqlx::test]
async fn editing_an_account_saves_the_changes(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let id = create_account(app, org.rita, "Acme", Some("acme.com")).await;
    let maya = app.signed_in(MAYA).await;
    let path = format!("/accounts/{id}");

    let page = maya.get(&format!("{path}/edit")).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut form = page.form_values(&format!("form[action='{path}']"));
    assert!(form.contains(&("domain".into(), "acme.com".into())));

    set_field(&mut form, "employee_count", "lots");
    let response = maya.post_form(&path, &form).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.field_value("employee_count").as_deref(),
        Some("lots")
    );
    assert_eq!(account_row(app, id).await.4, None);

    set_field(&mut form, "name", "Acme Corporation");
    set_field(&mut form, "domain", "");
    set_field(&mut form, "employee_count", "250");
    let response = maya.post_form(&path, &form).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(response.location(), Some(path.as_str()));
    // The owner stays Rita: the form does not bind it.
    assert_eq!(
        account_row(app, id).await,
        (
            org.rita,
            "Acme Corporation".into(),
            None,
            "".into(),
            Some(250),
            "".into()
        )
    );
}
