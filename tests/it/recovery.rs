//! Invitations and password resets: one-time links by email, stored hashed, that expire.

use prospector::{scheduler::Scheduler, users::Role};
use reqwest::StatusCode;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::support::{TestApp, TestClient};

const REP: &str = "rita@example.com";
const ADMIN: &str = "alex@example.com";

/// The one-time link's token in the newest email of this kind, and how many there are.
async fn latest_token(app: &TestApp, kind: &str) -> (Option<String>, i64) {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select body_text, body_html from mail_outbox where kind = $1 order by id desc",
    )
    .bind(kind)
    .fetch_all(&app.db)
    .await
    .unwrap();
    let token = rows.first().map(|(text, html)| {
        assert!(html.contains("token="), "the HTML part has the link too");
        let start = text.find("token=").expect("a link in the email") + "token=".len();
        text[start..].split_whitespace().next().unwrap().to_string()
    });
    (token, rows.len() as i64)
}

/// Asks for a reset as a browser does, then lets the scheduler answer (which is where
/// the email is looked up and the link sent).
async fn ask_for_reset(app: &TestApp, client: &TestClient, email: &str) -> String {
    let answer = post_forgot(client, email).await;
    answer_requests(app).await;
    answer
}

async fn post_forgot(client: &TestClient, email: &str) -> String {
    client.get("/password/forgot").await;
    let response = client
        .post_form("/password/forgot", &[("email", email)])
        .await;
    assert_eq!(response.status, StatusCode::OK);
    response.text(".flash").unwrap_or_default()
}

/// One scheduler pass, with links under the app's address.
async fn answer_requests(app: &TestApp) -> u64 {
    Scheduler::new(app.db.clone())
        .with_base_url(app.url("/"))
        .run_once(OffsetDateTime::now_utc())
        .await
        .expect("a scheduler pass")
        .reset_links_sent
}

#[sqlx::test]
async fn a_reset_link_is_sent_only_to_real_accounts_with_the_same_answer(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user(REP, "Rita Rep", Role::Rep, None).await;
    let client = app.client();

    let for_unknown = ask_for_reset(&app, &client, "nobody@example.com").await;
    assert_eq!(latest_token(&app, "password_reset").await.1, 0);
    let for_known = ask_for_reset(&app, &client, "Rita@Example.com").await;
    assert_eq!(for_unknown, for_known);
    assert!(for_known.contains("If an active account uses that email"));
    let (token, count) = latest_token(&app, "password_reset").await;
    assert_eq!(count, 1);
    let token = token.unwrap();

    // Looking at the link does not use it up; a mismatch keeps it usable.
    for _ in 0..2 {
        let page = client.get(&format!("/password/reset?token={token}")).await;
        assert_eq!(page.status, StatusCode::OK);
    }
    let mismatch = client
        .post_form(
            "/password/reset",
            &[
                ("token", token.as_str()),
                ("password", "a brand new secret"),
                ("confirm", "something else"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = client
        .post_form(
            "/password/reset",
            &[
                ("token", token.as_str()),
                ("password", "a brand new secret"),
                ("confirm", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(done.location(), Some("/login"));
    let signed_in = app.client().login(REP, "a brand new secret").await;
    assert_eq!(signed_in.location(), Some("/"));

    // Once only.
    let again = client.get(&format!("/password/reset?token={token}")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let reuse = client
        .post_form(
            "/password/reset",
            &[
                ("token", token.as_str()),
                ("password", "yet another secret"),
                ("confirm", "yet another secret"),
            ],
        )
        .await;
    assert_eq!(reuse.status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn reset_links_expire_after_an_hour_and_are_capped(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user(REP, "Rita Rep", Role::Rep, None).await;
    let client = app.client();
    ask_for_reset(&app, &client, REP).await;
    let (token, _) = latest_token(&app, "password_reset").await;
    sqlx::query("update auth_tokens set expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let expired = client
        .get(&format!("/password/reset?token={}", token.unwrap()))
        .await;
    assert_eq!(expired.status, StatusCode::NOT_FOUND);

    for _ in 0..5 {
        ask_for_reset(&app, &client, REP).await;
    }
    assert_eq!(
        latest_token(&app, "password_reset").await.1,
        3,
        "at most 3 an hour"
    );

    // The token is stored hashed: the emailed value is nowhere in the table.
    let (token, _) = latest_token(&app, "password_reset").await;
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from auth_tokens where encode(token_hash, 'escape') like '%' || $1 || '%'",
    )
    .bind(token.unwrap())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored, 0);
}

#[sqlx::test]
async fn an_invited_user_chooses_a_password_from_the_email(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user(ADMIN, "Alex Admin", Role::Admin, None)
        .await;
    let admin = app.signed_in(ADMIN).await;
    admin.get("/admin/users/new").await;
    let response = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "nina@example.com"),
                ("name", "Nina New"),
                ("role", "rep"),
                ("team_id", ""),
                ("time_zone", "Europe/Paris"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    let (token, count) = latest_token(&app, "invitation").await;
    assert_eq!(count, 1);
    let to: String =
        sqlx::query_scalar("select to_address from mail_outbox where kind = 'invitation'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(to, "nina@example.com");

    // Without a password nobody can sign in as the new user yet.
    let refused = app.client().login("nina@example.com", "").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);

    let client = app.client();
    let page = client
        .get(&format!("/password/reset?token={}", token.clone().unwrap()))
        .await;
    assert!(page.body.contains("Welcome, Nina New"));
    client
        .post_form(
            "/password/reset",
            &[
                ("token", token.unwrap().as_str()),
                ("password", "nina's own secret"),
                ("confirm", "nina's own secret"),
            ],
        )
        .await;
    let signed_in = app
        .client()
        .login("nina@example.com", "nina's own secret")
        .await;
    assert_eq!(signed_in.location(), Some("/"));
}

/// Asking for a reset does the same work whatever the email: one queued request, nothing
/// looked up, no token, no mail; the scheduler answers it later.
#[sqlx::test]
async fn asking_for_a_reset_does_the_same_work_for_any_email(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user(REP, "Rita Rep", Role::Rep, None).await;
    let client = app.client();
    let for_unknown = post_forgot(&client, "nobody@example.com").await;
    let for_known = post_forgot(&client, REP).await;
    assert_eq!(for_unknown, for_known);
    assert_eq!(app.count("password_reset_requests").await, 2);
    assert_eq!(app.count("auth_tokens").await, 0);
    assert_eq!(app.count("mail_outbox").await, 0);

    assert_eq!(
        answer_requests(&app).await,
        1,
        "a link for the account only"
    );
    assert_eq!(app.count("password_reset_requests").await, 0);
    let to: Vec<String> = sqlx::query_scalar("select to_address from mail_outbox")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(to, [REP]);

    // Not an email address at all: said on the page, nothing queued.
    for bad in ["a\0b@demo.test", "not an email", ""] {
        client.get("/password/forgot").await;
        let response = client
            .post_form("/password/forgot", &[("email", bad)])
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}");
        assert!(response.text(".flash-error").is_some());
    }
    assert_eq!(app.count("password_reset_requests").await, 0);
}

/// A reset ends every session signed in under the old password, on every browser.
#[sqlx::test]
async fn a_password_reset_ends_every_other_session(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    app.create_user(REP, "Rita Rep", Role::Rep, None).await;
    let laptop = app.signed_in(REP).await;
    let phone = app.signed_in(REP).await;
    assert_eq!(laptop.get("/prospects").await.status, StatusCode::OK);
    let stolen = phone.session_cookie().unwrap();

    let client = app.client();
    ask_for_reset(&app, &client, REP).await;
    let (token, _) = latest_token(&app, "password_reset").await;
    let done = client
        .post_form(
            "/password/reset",
            &[
                ("token", token.unwrap().as_str()),
                ("password", "a brand new secret"),
                ("confirm", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(done.location(), Some("/login"));

    for session in [&laptop, &phone] {
        let response = session.get("/prospects").await;
        assert_eq!(response.status, StatusCode::SEE_OTHER);
        assert_eq!(response.location(), Some("/login?next=%2Fprospects"));
    }
    assert!(!app.session_exists(&stolen).await, "ended on the server");
    let replayed = app.client();
    replayed.set_session_cookie(&stolen);
    assert_eq!(
        replayed.get("/prospects").await.status,
        StatusCode::SEE_OTHER
    );

    // Signing in with the new password starts a session that lasts.
    let fresh = app.client();
    assert_eq!(
        fresh.login(REP, "a brand new secret").await.location(),
        Some("/")
    );
    assert_eq!(fresh.get("/prospects").await.status, StatusCode::OK);
}
