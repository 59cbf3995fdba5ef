//! Sign-in, sessions, CSRF and the security of every response.

use prospector::users::Role;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::support::{PASSWORD, SESSION_COOKIE, TestApp, TestResponse};

const EMAIL: &str = "ada@example.com";

/// An app with one rep, `EMAIL`, returning the rep's id.
async fn app_with_rep(pool: PgPool) -> (TestApp, i64) {
    let app = TestApp::spawn(pool).await;
    let id = app
        .create_user(EMAIL, "Ada Lovelace", Role::Rep, None)
        .await;
    (app, id)
}

fn assert_sent_to_login(response: &TestResponse, next: &str) {
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
    assert_eq!(
        response.location(),
        Some(format!("/login?next={next}").as_str())
    );
}

/// A form that creates a prospect when it gets through.
const NEW_PROSPECT: &[(&str, &str)] = &[("first_name", "Grace"), ("last_name", "Hopper")];

#[sqlx::test]
async fn login_sets_a_hardened_cookie_under_a_new_session_id(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.client();
    client.get("/login").await;
    let before = client
        .session_cookie()
        .expect("the sign-in page starts a session for its token");

    let response = client.login(EMAIL, PASSWORD).await;

    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), Some("/"));
    let set_cookie = response
        .set_cookie(SESSION_COOKIE)
        .expect("the session cookie is set");
    let attributes = set_cookie.to_ascii_lowercase();
    assert!(attributes.contains("; httponly"), "{set_cookie}");
    assert!(attributes.contains("; samesite=lax"), "{set_cookie}");
    let after = client.session_cookie().unwrap();
    assert_ne!(before, after, "the session id changes at sign-in");
    assert!(
        !app.session_exists(&before).await,
        "the pre-sign-in session is deleted"
    );
    assert_eq!(client.get("/prospects").await.status, StatusCode::OK);

    // Session fixation: a cookie planted before sign-in is worth nothing after it.
    let attacker = app.client();
    attacker.set_session_cookie(&before);
    assert_sent_to_login(&attacker.get("/prospects").await, "%2Fprospects");
}

#[sqlx::test]
async fn wrong_password_and_unknown_email_get_the_same_answer(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.client();

    let wrong_password = client.login(EMAIL, "not the password").await;
    let unknown_email = client.login("nobody@example.com", PASSWORD).await;

    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status, wrong_password.status);
    let message = wrong_password
        .text(".flash-error")
        .expect("an error message");
    assert_eq!(unknown_email.text(".flash-error"), Some(message.clone()));
    assert!(!message.to_lowercase().contains("unknown"), "{message}");
    assert_sent_to_login(&client.get("/prospects").await, "%2Fprospects");
}

/// Moves every recorded sign-in attempt out of the 15-minute window.
async fn let_the_window_pass(app: &TestApp) {
    sqlx::query("update login_attempts set attempted_at = attempted_at - interval '16 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
}

#[sqlx::test]
async fn an_account_is_locked_after_five_failures_until_the_window_passes(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.client();
    for _ in 0..5 {
        assert_eq!(
            client.login(EMAIL, "guess").await.status,
            StatusCode::UNAUTHORIZED
        );
    }

    let locked = client.login(EMAIL, PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked.body.contains("Too many failed sign-ins"),
        "{}",
        locked.body
    );
    assert_sent_to_login(&client.get("/prospects").await, "%2Fprospects");

    let_the_window_pass(&app).await;
    let response = client.login(EMAIL, PASSWORD).await;
    assert_eq!(response.location(), Some("/"), "{}", response.body);
}

#[sqlx::test]
async fn an_address_is_locked_after_thirty_failures_until_the_window_passes(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    // 29 failures from this client's address, each for another account (cheaper than 29
    // argon2 verifications over HTTP)…
    sqlx::query(
        "insert into login_attempts (email, client_ip, succeeded)
         select 'guess' || g || '@example.com', '127.0.0.1', false from generate_series(1, 29) g",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let client = app.client();
    // …and the 30th over HTTP, which must be counted by address as well.
    let response = client.login("guess30@example.com", PASSWORD).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);

    // Ada never failed, but her sign-in comes from the same address.
    let locked = client.login(EMAIL, PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked.body.contains("Too many failed sign-ins"),
        "{}",
        locked.body
    );

    let_the_window_pass(&app).await;
    assert_eq!(client.login(EMAIL, PASSWORD).await.location(), Some("/"));
}

#[sqlx::test]
async fn next_is_followed_only_to_a_local_path(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    for (next, target) in [
        ("/prospects", "/prospects"),
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("/\\evil.example", "/"),
    ] {
        let client = app.client();
        let response = client
            .post_form(
                "/login",
                &[("email", EMAIL), ("password", PASSWORD), ("next", next)],
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "next={next}");
        assert_eq!(response.location(), Some(target), "next={next}");
    }
}

#[sqlx::test]
async fn the_sign_in_page_carries_next_through_the_form(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.client();

    let redirect = client.get("/prospects?q=ada").await;
    let login_path = redirect.location().expect("sent to sign in").to_owned();
    let page = client.get(&login_path).await;
    let mut form = page.form_values("form[action='/login']");
    crate::support::set_field(&mut form, "email", EMAIL);
    crate::support::set_field(&mut form, "password", PASSWORD);
    let response = client.post_form("/login", &form).await;

    assert_eq!(response.location(), Some("/prospects?q=ada"));
}

#[sqlx::test]
async fn logout_ends_the_session_on_the_server(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.signed_in(EMAIL).await;
    let cookie = client.session_cookie().unwrap();
    assert!(app.session_exists(&cookie).await);

    let response = client.logout().await;

    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), Some("/login"));
    assert!(
        !app.session_exists(&cookie).await,
        "the session row is deleted"
    );
    let replay = app.client();
    replay.set_session_cookie(&cookie);
    assert_sent_to_login(&replay.get("/prospects").await, "%2Fprospects");
    assert_sent_to_login(&client.get("/prospects").await, "%2Fprospects");
}

#[sqlx::test]
async fn deactivating_a_user_ends_their_session(pool: PgPool) {
    let (app, ada) = app_with_rep(pool).await;
    let client = app.signed_in(EMAIL).await;
    let cookie = client.session_cookie().unwrap();
    assert_eq!(client.get("/prospects").await.status, StatusCode::OK);

    sqlx::query("update users set active = false where id = $1")
        .bind(ada)
        .execute(&app.db)
        .await
        .unwrap();
    assert_sent_to_login(&client.get("/prospects").await, "%2Fprospects");
    assert!(!app.session_exists(&cookie).await);

    // Ended, not suspended: reactivation does not bring the old session back.
    sqlx::query("update users set active = true where id = $1")
        .bind(ada)
        .execute(&app.db)
        .await
        .unwrap();
    let replay = app.client();
    replay.set_session_cookie(&cookie);
    assert_sent_to_login(&replay.get("/prospects").await, "%2Fprospects");
}

#[sqlx::test]
async fn a_post_without_the_csrf_token_is_refused_and_writes_nothing(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.signed_in(EMAIL).await;

    let response = client
        .post_form_without_token("/prospects", NEW_PROSPECT)
        .await;

    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("prospects").await, 0);
    // The same form with the token goes through: the refusal was the token's doing.
    assert_eq!(
        client.post_form("/prospects", NEW_PROSPECT).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.count("prospects").await, 1);
}

#[sqlx::test]
async fn a_post_with_a_wrong_csrf_token_is_refused(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.signed_in(EMAIL).await;
    let mut fields = NEW_PROSPECT.to_vec();
    fields.push(("csrf_token", "not-the-token"));

    let response = client.post_form_without_token("/prospects", &fields).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);

    // Nor does another session's token do.
    let other = app.signed_in(EMAIL).await;
    let stolen = other.csrf_token().await;
    let response = client
        .post_form_with_headers("/prospects", NEW_PROSPECT, &[("x-csrf-token", &stolen)])
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("prospects").await, 0);
}

#[sqlx::test]
async fn a_cross_site_post_is_refused_even_with_a_valid_token(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.signed_in(EMAIL).await;

    let cross_site = [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
    ];
    let response = client
        .post_form_with_headers("/prospects", NEW_PROSPECT, &cross_site)
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);

    // An old browser that sends only Origin is judged by it.
    let origin_only = [("origin", "https://evil.example")];
    let response = client
        .post_form_with_headers("/prospects", NEW_PROSPECT, &origin_only)
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert_eq!(app.count("prospects").await, 0);

    // The same request from our own origin is accepted.
    let origin = app.url("/").origin().ascii_serialization();
    let same_origin = [
        ("sec-fetch-site", "same-origin"),
        ("origin", origin.as_str()),
    ];
    let response = client
        .post_form_with_headers("/prospects", NEW_PROSPECT, &same_origin)
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
}

#[sqlx::test]
async fn get_requests_never_change_state(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.signed_in(EMAIL).await;
    let cookie = client.session_cookie().unwrap();

    let response = client.get("/logout").await;
    assert!(
        matches!(
            response.status,
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::NOT_FOUND
        ),
        "{}",
        response.status
    );
    assert!(app.session_exists(&cookie).await);
    assert_eq!(client.get("/prospects").await.status, StatusCode::OK);

    // A form's fields in a query string do not create anything either.
    let response = client
        .get("/prospects?first_name=Grace&last_name=Hopper")
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(app.count("prospects").await, 0);
}

#[sqlx::test]
async fn pages_carry_strict_security_headers(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.client();
    for path in ["/login", "/no/such/page"] {
        let response = client.get(path).await;
        let csp = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(response.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(response.header("referrer-policy").is_some(), "{path}");
    }
}

#[sqlx::test]
async fn healthz_answers_ok_with_a_live_database(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let response = app.client().get("/healthz").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.body, "ok");
}

#[sqlx::test]
async fn an_unknown_path_gets_a_plain_404_page(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    for client in [app.client(), app.signed_in(EMAIL).await] {
        let response = client.get("/no/such/page?x=<script>").await;
        assert_eq!(response.status, StatusCode::NOT_FOUND);
        assert_eq!(response.text("h1").as_deref(), Some("Page not found"));
        for leak in [
            "<script>", "/no/such", "panicked", "sqlx", "src/", "axum", "Error(",
        ] {
            assert!(!response.body.contains(leak), "the 404 page shows {leak:?}");
        }
    }
}

#[sqlx::test]
async fn an_anonymous_visitor_is_sent_to_sign_in_and_back(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.client();
    assert_sent_to_login(&client.get("/prospects").await, "%2Fprospects");
    // A form posted while signed out (with the sign-in page's token) is not replayed
    // after sign-in: only a GET is worth coming back to.
    let response = client.post_form("/prospects", NEW_PROSPECT).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), Some("/login"));
    assert_eq!(app.count("prospects").await, 0);
}

/// OWASP's device cookies: failures from elsewhere hold every browser the account has not
/// signed in from, never the one the real user has; that browser is held by its own.
#[sqlx::test]
async fn guessing_from_elsewhere_never_locks_the_real_user_out(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let own_browser = app.client();
    assert_eq!(
        own_browser.login(EMAIL, PASSWORD).await.location(),
        Some("/")
    );
    own_browser.logout().await;

    let attacker = app.client();
    for _ in 0..8 {
        attacker.login(EMAIL, "guess").await;
    }
    // A browser that never signed in here is held, and told until when.
    let stranger = app.client();
    let locked = stranger.login(EMAIL, PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    let message = locked.text(".flash-error").unwrap();
    assert!(
        message.contains("Try again in 15 minutes (at "),
        "{message}"
    );
    assert!(message.contains(" UTC)"), "{message}");

    // The user's own browser signs in at once, and its success leaves the lock in place.
    assert_eq!(
        own_browser.login(EMAIL, PASSWORD).await.location(),
        Some("/")
    );
    assert_eq!(
        app.client().login(EMAIL, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // A device cookie is the account's: a forged or foreign one counts for nothing.
    let forged = app.client();
    forged.set_cookie("prospector_device=AAAA42:0123456789abcdef0123456789abcdef");
    assert_eq!(
        forged.login(EMAIL, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // A known browser guessing wrong is held by its own failures.
    own_browser.logout().await;
    for _ in 0..5 {
        assert_eq!(
            own_browser.login(EMAIL, "typo").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        own_browser.login(EMAIL, PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let_the_window_pass(&app).await;
    assert_eq!(
        own_browser.login(EMAIL, PASSWORD).await.location(),
        Some("/")
    );
}

#[sqlx::test]
async fn a_sign_in_email_with_a_control_character_is_refused_without_a_trace(pool: PgPool) {
    let (app, _) = app_with_rep(pool).await;
    let client = app.client();
    for email in [
        "a\0b@demo.test",
        "ada@example.com\u{1}",
        &"x".repeat(100_000),
    ] {
        let response = client.login(email, PASSWORD).await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(response.text(".flash-error").is_some());
        // HTML turns a NUL into U+FFFD; everything else comes back as typed.
        assert_eq!(
            response.field_value("email"),
            Some(email.replace('\0', "\u{fffd}")),
            "what was typed is kept"
        );
    }
    assert_eq!(app.count("login_attempts").await, 0);
}
