//! The admin pages: only admins reach them; users are created, edited and deactivated
//! (which ends their sessions); an admin cannot lock themselves out; teams are named uniquely.

use prospector::users::Role;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::support::{PASSWORD, TestApp, set_field};

const ADMIN: &str = "alex@example.com";
const MAYA: &str = "maya@example.com";
const RITA: &str = "rita@example.com";

struct Org {
    app: TestApp,
    north: i64,
    alex: i64,
    rita: i64,
}

async fn org(pool: PgPool) -> Org {
    let app = TestApp::spawn(pool).await;
    let north = app.create_team("North").await;
    let alex = app
        .create_user(ADMIN, "Alex Admin", Role::Admin, None)
        .await;
    app.create_user(MAYA, "Maya Manager", Role::Manager, Some(north))
        .await;
    let rita = app
        .create_user(RITA, "Rita Rep", Role::Rep, Some(north))
        .await;
    Org {
        app,
        north,
        alex,
        rita,
    }
}

type UserRow = (String, String, Option<i64>, String, bool);

async fn user_row(app: &TestApp, id: i64) -> UserRow {
    sqlx::query_as("select name, role::text, team_id, time_zone, active from users where id = $1")
        .bind(id)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

async fn team_names(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("select name from teams order by id")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

#[sqlx::test]
async fn only_admins_reach_the_admin_pages(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let user_path = format!("/admin/users/{}", org.rita);
    let team_path = format!("/admin/teams/{}", org.north);

    let anonymous = app.client();
    let response = anonymous.get("/admin/users").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert!(response.location().is_some_and(|l| l.starts_with("/login")));

    for email in [MAYA, RITA] {
        let client = app.signed_in(email).await;
        for path in [
            "/admin/users",
            "/admin/users/new",
            "/admin/teams",
            &format!("{user_path}/edit"),
        ] {
            assert_eq!(
                client.get(path).await.status,
                StatusCode::NOT_FOUND,
                "{email} GET {path}"
            );
        }
        let posts: [(&str, Vec<(&str, &str)>); 4] = [
            (
                "/admin/users",
                vec![
                    ("email", "eve@example.com"),
                    ("name", "Eve"),
                    ("role", "admin"),
                    ("time_zone", "UTC"),
                    ("password", "long enough password"),
                ],
            ),
            (
                &user_path,
                vec![
                    ("name", "Rita"),
                    ("role", "admin"),
                    ("time_zone", "UTC"),
                    ("active", "on"),
                ],
            ),
            ("/admin/teams", vec![("name", "Shadow")]),
            (&team_path, vec![("name", "Renamed")]),
        ];
        for (path, fields) in posts {
            assert_eq!(
                client.post_form(path, &fields).await.status,
                StatusCode::NOT_FOUND,
                "{email} POST {path}"
            );
        }
    }
    assert_eq!(app.count("users").await, 3);
    assert_eq!(user_row(app, org.rita).await.1, "rep");
    assert_eq!(team_names(app).await, vec!["North"]);
}

#[sqlx::test]
async fn an_admin_creates_a_user_who_can_then_sign_in(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let admin = app.signed_in(ADMIN).await;
    let page = admin.get("/admin/users/new").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.field_value("time_zone").as_deref(), Some("UTC"));
    assert!(
        page.attrs("#time-zones option", "value")
            .contains(&"Europe/Paris".to_owned())
    );
    let mut form = page.form_values("form[action='/admin/users']");
    let north = org.north.to_string();
    for (field, value) in [
        ("email", "Ravi@Example.com"),
        ("name", "Ravi Rep"),
        ("role", "manager"),
        ("team_id", north.as_str()),
        ("time_zone", "Europe/Paris"),
        ("password", "a long initial password"),
    ] {
        set_field(&mut form, field, value);
    }

    let response = admin.post_form("/admin/users", &form).await;

    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(response.location(), Some("/admin/users"));
    let list = admin.get("/admin/users").await;
    assert!(list.exists(".flash-success"));
    let row = list
        .texts("table tbody tr")
        .into_iter()
        .find(|r| r.contains("Ravi Rep"))
        .expect("listed");
    for expected in [
        "ravi@example.com",
        "Manager",
        "North",
        "Europe/Paris",
        "Active",
    ] {
        assert!(row.contains(expected), "{expected} in {row}");
    }
    let ravi = app.client();
    assert_eq!(
        ravi.login("ravi@example.com", "a long initial password")
            .await
            .location(),
        Some("/")
    );
}

#[sqlx::test]
async fn an_invalid_new_user_is_shown_again_without_the_password(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let admin = app.signed_in(ADMIN).await;
    let typed = [
        ("email", "RITA@example.com"),
        ("name", "Another Rita"),
        ("role", "rep"),
        ("team_id", ""),
        ("time_zone", "Mars/Olympus_Mons"),
        ("password", "short"),
    ];

    let response = admin.post_form("/admin/users", &typed).await;

    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["time_zone", "password"] {
        assert!(
            response.exists(&format!("#{field}-error")),
            "{field} has its message"
        );
    }
    assert_eq!(
        response.field_value("name").as_deref(),
        Some("Another Rita")
    );
    assert_eq!(
        response.field_value("time_zone").as_deref(),
        Some("Mars/Olympus_Mons")
    );
    assert_eq!(response.field_value("password").as_deref(), Some(""));
    assert!(!response.body.contains("short"));

    // Fixed, the email is still taken.
    let mut fixed = typed.to_vec();
    fixed.retain(|(k, _)| !matches!(*k, "time_zone" | "password"));
    fixed.extend([("time_zone", "UTC"), ("password", "a long enough password")]);
    let response = admin.post_form("/admin/users", &fixed).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.exists("#email-error"));

    // A role or team that is not on offer is refused too.
    let mut tampered = fixed.clone();
    tampered.retain(|(k, _)| !matches!(*k, "email" | "role" | "team_id"));
    tampered.extend([
        ("email", "new@example.com"),
        ("role", "owner"),
        ("team_id", "999999"),
    ]);
    let response = admin.post_form("/admin/users", &tampered).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.exists("#role-error"));

    assert_eq!(app.count("users").await, 3);
}

#[sqlx::test]
async fn an_admin_edits_a_user_and_deactivating_ends_their_session(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let rita = app.signed_in(RITA).await;
    let ritas_cookie = rita.session_cookie().expect("Rita has a session");
    assert_eq!(rita.get("/prospects").await.status, StatusCode::OK);

    let admin = app.signed_in(ADMIN).await;
    let path = format!("/admin/users/{}", org.rita);
    let page = admin.get(&format!("{path}/edit")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(RITA), "the email is shown");
    let mut form = page.form_values(&format!("form[action='{path}']"));
    assert!(form.contains(&("active".into(), "on".into())));
    assert!(
        !form.iter().any(|(k, _)| k == "email"),
        "the email is not a form field"
    );

    set_field(&mut form, "team_id", "424242");
    let response = admin.post_form(&path, &form).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.exists("#team_id-error"));

    set_field(&mut form, "team_id", "");
    set_field(&mut form, "name", "Rita Renamed");
    set_field(&mut form, "time_zone", "America/New_York");
    form.retain(|(k, _)| k != "active");
    let response = admin.post_form(&path, &form).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(
        user_row(app, org.rita).await,
        (
            "Rita Renamed".into(),
            "rep".into(),
            None,
            "America/New_York".into(),
            false
        )
    );

    // Rita's next request finds her signed out, and her session is gone from the store.
    let response = rita.get("/prospects").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert!(response.location().is_some_and(|l| l.starts_with("/login")));
    assert!(
        !app.session_exists(&ritas_cookie).await,
        "the session row is deleted"
    );
    assert_ne!(
        app.client().login(RITA, PASSWORD).await.location(),
        Some("/")
    );

    // Reactivated, she can sign in again, but the old session stays ended.
    set_field(&mut form, "active", "on");
    admin.post_form(&path, &form).await;
    assert!(user_row(app, org.rita).await.4);
    let replay = app.client();
    replay.set_session_cookie(&ritas_cookie);
    let response = replay.get("/prospects").await;
    assert!(response.location().is_some_and(|l| l.starts_with("/login")));
    app.signed_in(RITA).await;
}

#[sqlx::test]
async fn an_admin_cannot_deactivate_or_demote_themselves(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let admin = app.signed_in(ADMIN).await;
    let path = format!("/admin/users/{}", org.alex);
    let form = admin
        .get(&format!("{path}/edit"))
        .await
        .form_values(&format!("form[action='{path}']"));

    let mut demoted = form.clone();
    set_field(&mut demoted, "role", "rep");
    let response = admin.post_form(&path, &demoted).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.exists("#role-error"));

    let mut deactivated = form.clone();
    deactivated.retain(|(k, _)| k != "active");
    let response = admin.post_form(&path, &deactivated).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.exists("#active-error"));

    assert_eq!(user_row(app, org.alex).await.1, "admin");
    assert!(user_row(app, org.alex).await.4);
    assert_eq!(admin.get("/admin/users").await.status, StatusCode::OK);

    // Other changes to their own account are fine.
    let mut renamed = form;
    set_field(&mut renamed, "name", "Alex A. Admin");
    assert_eq!(
        admin.post_form(&path, &renamed).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(user_row(app, org.alex).await.0, "Alex A. Admin");
}

#[sqlx::test]
async fn teams_are_created_and_renamed_with_unique_names(pool: PgPool) {
    let org = org(pool).await;
    let app = &org.app;
    let admin = app.signed_in(ADMIN).await;

    let page = admin.get("/admin/teams").await;
    assert_eq!(page.status, StatusCode::OK);
    let north_row = page.texts("table tbody tr").into_iter().next().unwrap();
    assert!(
        north_row.contains("2") && north_row.contains("Maya Manager"),
        "{north_row}"
    );

    let response = admin
        .post_form("/admin/teams", &[("name", "  South ")])
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(team_names(app).await, vec!["North", "South"]);

    let response = admin.post_form("/admin/teams", &[("name", "SOUTH")]).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.exists("#name-error"));
    assert_eq!(response.attrs("#name", "value"), vec!["SOUTH"]);
    let response = admin.post_form("/admin/teams", &[("name", "")]).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);

    let north = format!("/admin/teams/{}", org.north);
    let response = admin.post_form(&north, &[("name", "south")]).await;
    assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.exists(&format!("#team-{}-error", org.north)));
    let rename_input = format!("#team-{}-name", org.north);
    assert_eq!(
        response.attrs(&rename_input, "value"),
        vec!["south"],
        "the typed name is kept"
    );

    let response = admin.post_form(&north, &[("name", "North East")]).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(team_names(app).await, vec!["North East", "South"]);
    // A change of case alone is a rename, not a clash with itself.
    assert_eq!(
        admin
            .post_form(&north, &[("name", "north east")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        admin
            .post_form("/admin/teams/999999", &[("name", "Ghost")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
