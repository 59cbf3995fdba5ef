//! Who sees which prospect, the list (search, filters, keyset pages), and the prospect form.

use reqwest::StatusCode;
use scraper::Selector;
use sqlx::PgPool;

use crate::support::{
    TestApp, TestClient, TestResponse,
    org::{ADMIN, MAYA, RAVI, RITA, SAM, org},
    set_field,
};

/// The prospect ids listed on a list page, in order.
fn listed_ids(page: &TestResponse) -> Vec<i64> {
    page.attrs("table tbody tr td:first-child a", "href")
        .iter()
        .map(|href| {
            href.strip_prefix("/prospects/")
                .and_then(|id| id.parse().ok())
                .unwrap_or_else(|| panic!("not a prospect link: {href}"))
        })
        .collect()
}

async fn list(client: &TestClient, path: &str) -> Vec<i64> {
    let page = client.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
    listed_ids(&page)
}

async fn prospect_row(app: &TestApp, id: i64) -> (i64, String, String) {
    sqlx::query_as("select owner_id, first_name, last_name from prospects where id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// The edit form's values as the page shows them, to change and post back.
async fn edit_form(client: &TestClient, id: i64) -> Vec<(String, String)> {
    let page = client.get(&format!("/prospects/{id}/edit")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.form_values(&format!("form[action='/prospects/{id}']"))
}

#[sqlx::test]
async fn a_rep_can_neither_read_nor_change_another_reps_prospect(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let ritas = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@example.org"))
        .await;
    let ravi = app.signed_in(RAVI).await;

    for path in [
        format!("/prospects/{ritas}"),
        format!("/prospects/{ritas}/edit"),
    ] {
        let response = ravi.get(&path).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        assert!(
            !response.body.contains("Lovelace"),
            "{path} leaks the prospect"
        );
    }
    let update = ravi
        .post_form(
            &format!("/prospects/{ritas}"),
            &[("first_name", "Hacked"), ("last_name", "Lovelace")],
        )
        .await;
    assert_eq!(update.status, StatusCode::NOT_FOUND);
    let log = ravi
        .post_form(
            &format!("/prospects/{ritas}/interactions"),
            &[
                ("channel", "call"),
                ("outcome", "connected"),
                ("decision", "none"),
                ("no_interest_reason", "x"),
            ],
        )
        .await;
    assert_eq!(log.status, StatusCode::NOT_FOUND);

    assert_eq!(
        prospect_row(app, ritas).await,
        (org.rita, "Ada".into(), "Lovelace".into())
    );
    assert_eq!(app.count("interactions").await, 0);
    assert_eq!(app.count("prospect_events").await, 0);
    assert!(list(&ravi, "/prospects").await.is_empty());
}

#[sqlx::test]
async fn a_manager_sees_their_teams_prospects_but_not_another_teams(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let ritas = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let mayas = app.create_prospect(org.maya, "Grace", "Hopper", None).await;
    let sams = app.create_prospect(org.sam, "Alan", "Turing", None).await;
    let maya = app.signed_in(MAYA).await;

    let page = maya.get(&format!("/prospects/{ritas}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text("h1").as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        maya.get(&format!("/prospects/{ritas}/edit")).await.status,
        StatusCode::OK
    );
    assert_eq!(
        maya.get(&format!("/prospects/{sams}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        maya.get(&format!("/prospects/{sams}/edit")).await.status,
        StatusCode::NOT_FOUND
    );

    let mut listed = list(&maya, "/prospects").await;
    listed.sort();
    assert_eq!(listed, vec![ritas, mayas]);
}

#[sqlx::test]
async fn an_admin_sees_every_prospect(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let ritas = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let sams = app.create_prospect(org.sam, "Alan", "Turing", None).await;
    let admin = app.signed_in(ADMIN).await;

    let title = Selector::parse("h1").unwrap();
    for (id, name) in [(ritas, "Ada Lovelace"), (sams, "Alan Turing")] {
        let (status, page) = admin.get_html(&format!("/prospects/{id}")).await;
        assert_eq!(status, StatusCode::OK);
        let shown: String = page
            .select(&title)
            .next()
            .expect("a title")
            .text()
            .collect();
        assert_eq!(shown, name);
    }
    assert_eq!(list(&admin, "/prospects").await, vec![sams, ritas]);
}

#[sqlx::test]
async fn a_reps_list_holds_only_their_own_prospects(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let first = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    app.create_prospect(org.ravi, "Grace", "Hopper", None).await;
    let second = app.create_prospect(org.rita, "Alan", "Turing", None).await;
    app.create_prospect(org.sam, "Edsger", "Dijkstra", None)
        .await;
    let rita = app.signed_in(RITA).await;

    assert_eq!(list(&rita, "/prospects").await, vec![second, first]);
    // Asking for someone else's prospects by owner filter shows nothing of theirs.
    assert!(
        list(&rita, &format!("/prospects?owner={}", org.ravi))
            .await
            .is_empty()
    );
}

#[sqlx::test]
async fn the_list_searches_and_filters_by_interest_and_tag(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let ada = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@analytical.example"))
        .await;
    let grace = app
        .create_prospect(org.rita, "Grace", "Hopper", Some("grace@navy.example"))
        .await;
    let alan = app.create_prospect(org.rita, "Alan", "Turing", None).await;
    for (id, interest, tags) in [
        (ada, "future", vec!["fintech", "emea"]),
        (grace, "new", vec!["navy"]),
        (alan, "current", vec!["fintech"]),
    ] {
        sqlx::query("update prospects set interest = $2::interest_state, tags = $3 where id = $1")
            .bind(id)
            .bind(interest)
            .bind(tags)
            .execute(&app.db)
            .await
            .unwrap();
    }
    let rita = app.signed_in(RITA).await;

    assert_eq!(list(&rita, "/prospects?q=hopp").await, vec![grace]);
    assert_eq!(list(&rita, "/prospects?q=ANALYTICAL").await, vec![ada]);
    assert_eq!(list(&rita, "/prospects?q=100%25").await, Vec::<i64>::new());
    assert_eq!(list(&rita, "/prospects?interest=future").await, vec![ada]);
    assert_eq!(list(&rita, "/prospects?tag=fintech").await, vec![alan, ada]);
    assert_eq!(
        list(&rita, "/prospects?tag=FinTech&interest=current").await,
        vec![alan]
    );
    let nothing = rita.get("/prospects?tag=nosuchtag").await;
    assert!(listed_ids(&nothing).is_empty());
    assert!(nothing.body.contains("No prospect matches these filters"));
}

#[sqlx::test]
async fn a_managers_search_covers_the_team_and_no_one_else(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let ritas = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let ravis = app
        .create_prospect(org.ravi, "Adam", "Smith", Some("adam@example.org"))
        .await;
    let mayas = app
        .create_prospect(org.maya, "Adaline", "Byron", None)
        .await;
    app.create_prospect(org.sam, "Ada", "Yonath", None).await;
    app.create_prospect(org.ravi, "Grace", "Hopper", None).await;
    let maya = app.signed_in(MAYA).await;

    // The newest first, as without a search, and only North's.
    assert_eq!(
        list(&maya, "/prospects?q=ada").await,
        vec![mayas, ravis, ritas]
    );
    assert_eq!(
        list(&maya, &format!("/prospects?q=ada&owner={}", org.ravi)).await,
        vec![ravis]
    );
    assert!(list(&maya, "/prospects?q=yonath").await.is_empty());
    let admin = app.signed_in(ADMIN).await;
    assert_eq!(list(&admin, "/prospects?q=yonath").await.len(), 1);
}

/// 120 prospects for `owner` in one statement: repeated names and touch times (so that
/// every sort needs its id tie-break), untouched ones, a name with `~` and `&`, and every
/// second one tagged `even`.
async fn insert_many_prospects(app: &TestApp, owner: i64) {
    sqlx::query(
        r#"insert into prospects (owner_id, first_name, last_name, email, tags, last_interaction_at)
           select $1,
                  case when g % 4 = 0 then 'Sam' else 'Pat' end,
                  case when g % 10 = 0 then 'O''Brien & Co~' else 'Name' || (g % 13) end,
                  'p' || g || '@example.com',
                  case when g % 2 = 0 then array['even'] else array['odd'] end,
                  case when g % 5 = 0 then null
                       else timestamptz '2026-01-01 00:00:00.123456+00'
                            + (g % 17) * interval '1 minute 0.000123 second' end
           from generate_series(1, 120) g"#,
    )
    .bind(owner)
    .execute(&app.db)
    .await
    .unwrap();
}

/// Every id on every page, following the Next link from `path` to the end of the list.
async fn walk_pages(client: &TestClient, path: &str) -> (Vec<i64>, usize) {
    let mut ids = Vec::new();
    let mut pages = 0;
    let mut next = Some(path.to_owned());
    while let Some(path) = next {
        let page = client.get(&path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        ids.extend(listed_ids(&page));
        pages += 1;
        assert!(pages <= 10, "the pages never end");
        next = page.attrs("a[rel=next]", "href").into_iter().next();
    }
    (ids, pages)
}

#[sqlx::test]
async fn keyset_pages_show_every_prospect_once_in_order_for_each_sort(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    insert_many_prospects(app, org.rita).await;
    app.create_prospect(org.ravi, "Not", "Ritas", None).await;
    let rita = app.signed_in(RITA).await;

    for (sort, order_by, filter) in [
        ("newest", "id desc", ""),
        ("name", "sort_name, id", ""),
        (
            "touched",
            "coalesce(last_interaction_at, '-infinity') desc, id desc",
            "",
        ),
        ("name", "sort_name, id", "&tag=even"),
        (
            "touched",
            "coalesce(last_interaction_at, '-infinity') desc, id desc",
            "&tag=even",
        ),
    ] {
        let expected: Vec<i64> = sqlx::query_scalar(&format!(
            "select id from prospects where owner_id = $1 and ($2 = '' or 'even' = any(tags))
             order by {order_by}"
        ))
        .bind(org.rita)
        .bind(filter)
        .fetch_all(&app.db)
        .await
        .unwrap();

        let (ids, pages) = walk_pages(&rita, &format!("/prospects?sort={sort}{filter}")).await;

        assert_eq!(ids, expected, "sort={sort}{filter}");
        assert_eq!(pages, expected.len().div_ceil(50), "sort={sort}{filter}");
    }
    assert_eq!(
        rita.get("/prospects?sort=name&after=garbage").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[sqlx::test]
async fn an_invalid_new_prospect_is_shown_again_with_what_was_typed(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let rita = app.signed_in(RITA).await;
    let mut form = rita
        .get("/prospects/new")
        .await
        .form_values("form[action='/prospects']");
    for (field, value) in [
        ("first_name", ""),
        ("last_name", "Lovelace"),
        ("email", "not-an-email"),
        ("phone", "call me maybe"),
        ("tags", "fintech, emea"),
        ("need", "Faster month-end close"),
    ] {
        set_field(&mut form, field, value);
    }

    let response = rita.post_form("/prospects", &form).await;

    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    for (field, value) in [
        ("last_name", "Lovelace"),
        ("email", "not-an-email"),
        ("phone", "call me maybe"),
        ("tags", "fintech, emea"),
        ("need", "Faster month-end close"),
    ] {
        assert_eq!(
            response.field_value(field).as_deref(),
            Some(value),
            "{field}"
        );
    }
    for field in ["first_name", "email", "phone"] {
        assert!(
            response.exists(&format!("#{field}-error")),
            "{field} has its message"
        );
    }
    assert_eq!(app.count("prospects").await, 0);
    assert_eq!(app.count("qualifying_facts").await, 0);
}

#[sqlx::test]
async fn a_duplicate_email_links_to_the_prospect_only_when_visible(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let existing = app
        .create_prospect(org.rita, "Ada", "Lovelace", Some("ada@example.org"))
        .await;

    let rita = app.signed_in(RITA).await;
    let response = rita
        .post_form(
            "/prospects",
            &[("first_name", "Augusta"), ("email", "ADA@example.org")],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.attrs(".flash-error a", "href"),
        vec![format!("/prospects/{existing}")]
    );
    assert_eq!(
        response.field_value("first_name").as_deref(),
        Some("Augusta")
    );

    let sam = app.signed_in(SAM).await;
    let response = sam
        .post_form(
            "/prospects",
            &[("first_name", "Augusta"), ("email", "ada@example.org")],
        )
        .await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    let message = response
        .text(".flash-error")
        .expect("the duplicate is reported");
    assert!(message.contains("Rita Rep"), "{message}");
    assert!(
        response.attrs(".flash-error a", "href").is_empty(),
        "no link out of scope"
    );
    assert!(!response.body.contains(&format!("/prospects/{existing}")));

    assert_eq!(app.count("prospects").await, 1);
}

#[sqlx::test]
async fn editing_qualifying_information_records_facts(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let id = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let rita = app.signed_in(RITA).await;

    let mut form = edit_form(&rita, id).await;
    set_field(&mut form, "need", "Faster month-end close");
    set_field(&mut form, "budget", "About 20k, approved in Q3");
    let response = rita.post_form(&format!("/prospects/{id}"), &form).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(
        response.location(),
        Some(format!("/prospects/{id}").as_str())
    );

    let facts: Vec<(String, String, Option<i64>)> = sqlx::query_as(
        "select field::text, value, interaction_id from qualifying_facts
         where prospect_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        facts,
        vec![
            ("need".into(), "Faster month-end close".into(), None),
            ("budget".into(), "About 20k, approved in Q3".into(), None),
        ]
    );
    let page = rita.get(&format!("/prospects/{id}")).await;
    let qualifying = page.text("#qualifying").unwrap();
    assert!(
        qualifying.contains("Faster month-end close"),
        "{qualifying}"
    );

    // Saving the form unchanged learns nothing new; a changed value is a new fact.
    let mut form = edit_form(&rita, id).await;
    rita.post_form(&format!("/prospects/{id}"), &form).await;
    assert_eq!(app.count("qualifying_facts").await, 2);
    set_field(&mut form, "budget", "30k");
    rita.post_form(&format!("/prospects/{id}"), &form).await;
    assert_eq!(app.count("qualifying_facts").await, 3);
    let fields = edit_form(&rita, id).await;
    assert!(fields.contains(&("budget".into(), "30k".into())));
    assert_eq!(
        prospect_row(app, id).await,
        (org.rita, "Ada".into(), "Lovelace".into())
    );
}

#[sqlx::test]
async fn a_manager_reassigns_a_prospect_but_a_rep_cannot(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let id = app.create_prospect(org.rita, "Ada", "Lovelace", None).await;
    let owner_path = format!("/prospects/{id}/owner");

    let rita = app.signed_in(RITA).await;
    let response = rita
        .post_form(&owner_path, &[("owner_id", org.ravi.to_string())])
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(prospect_row(app, id).await.0, org.rita);

    let maya = app.signed_in(MAYA).await;
    // Not to someone outside her team.
    let response = maya
        .post_form(&owner_path, &[("owner_id", org.sam.to_string())])
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(prospect_row(app, id).await.0, org.rita);

    let mut form = maya
        .get(&format!("/prospects/{id}"))
        .await
        .form_values(&format!("form[action='{owner_path}']"));
    set_field(&mut form, "owner_id", &org.ravi.to_string());
    let response = maya.post_form(&owner_path, &form).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(prospect_row(app, id).await.0, org.ravi);
    let event: (String, String) = sqlx::query_as(
        "select from_value, to_value from prospect_events where prospect_id = $1 and kind = 'owner_changed'",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(event, ("Rita Rep".into(), "Ravi Rep".into()));

    // Rita has lost it; Ravi has it.
    assert_eq!(
        rita.get(&format!("/prospects/{id}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.signed_in(RAVI)
            .await
            .get(&format!("/prospects/{id}"))
            .await
            .status,
        StatusCode::OK
    );
}

#[sqlx::test]
async fn the_prospect_form_never_binds_the_owner(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let rita = app.signed_in(RITA).await;

    let ravi = org.ravi.to_string();
    let response = rita
        .post_form(
            "/prospects",
            &[
                ("first_name", "Ada"),
                ("last_name", "Lovelace"),
                ("owner_id", ravi.as_str()),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let id: i64 = response
        .location()
        .and_then(|l| l.strip_prefix("/prospects/"))
        .and_then(|id| id.parse().ok())
        .expect("sent to the new prospect");
    assert_eq!(prospect_row(app, id).await.0, org.rita);

    // Nor does an update move it.
    let mut form = edit_form(&rita, id).await;
    set_field(&mut form, "owner_id", &ravi);
    rita.post_form(&format!("/prospects/{id}"), &form).await;
    assert_eq!(prospect_row(app, id).await.0, org.rita);
}
