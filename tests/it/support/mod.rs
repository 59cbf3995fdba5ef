//! The test harness: `TestApp` serves the real application (every middleware included)
//! on a loopback port over the test's own database; `TestClient` is a browser-like HTTP
//! client with its own cookies that does not follow redirects, so tests can assert on them.

pub mod api;
mod client;
mod fixtures;
pub mod org;
mod response;
pub mod work;

use std::net::SocketAddr;

use prospector::{
    config::{Config, Environment},
    startup,
    state::AppState,
};
use reqwest::Url;
use sqlx::{ConnectOptions as _, PgPool};
use tokio::{net::TcpListener, task::JoinHandle};

pub use client::{SESSION_COOKIE, TestClient};
pub use fixtures::PASSWORD;
pub use response::{TestResponse, set_field};

/// 64 fixed bytes (0, 1, …, 63): sessions are signed with the same key in every run.
const COOKIE_KEY: &str =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";

pub struct TestApp {
    pub db: PgPool,
    pub state: AppState,
    base_url: Url,
    server: JoinHandle<()>,
}

impl TestApp {
    /// Serves the application on 127.0.0.1 at a free port. The listener is bound first so
    /// that the configured base URL (and with it the trusted CSRF origin) names that port.
    pub async fn spawn(pool: PgPool) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("the listener's address");
        let base_url = Url::parse(&format!("http://{addr}/")).expect("a valid base URL");

        let database_url = pool.connect_options().to_url_lossy().to_string();
        let variables = [
            ("DATABASE_URL", database_url),
            ("PROSPECTOR_ADDR", addr.to_string()),
            ("PROSPECTOR_BASE_URL", base_url.to_string()),
            ("PROSPECTOR_COOKIE_KEY", COOKIE_KEY.to_string()),
        ];
        let config = Config::from_lookup(Environment::Development, |name| {
            variables
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.clone())
        })
        .expect("a valid test configuration");

        let state = AppState::new(config, pool.clone());
        let app = startup::app(state.clone());
        let server = tokio::spawn(async move {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .expect("the test server runs");
        });
        TestApp {
            db: pool,
            state,
            base_url,
            server,
        }
    }

    /// The absolute URL of a path on this server.
    pub fn url(&self, path: &str) -> Url {
        self.base_url.join(path).expect("a valid path")
    }

    /// A new signed-out client with its own cookie jar.
    pub fn client(&self) -> TestClient {
        TestClient::new(self.base_url.clone())
    }

    /// A new client signed in as `email` (with the fixtures' password).
    pub async fn signed_in(&self, email: &str) -> TestClient {
        let client = self.client();
        let response = client.login(email, PASSWORD).await;
        assert_eq!(
            response.location(),
            Some("/"),
            "signing in as {email} failed: {} {}",
            response.status,
            response.body
        );
        client
    }

    /// `select count(*)` of a table, to prove what a request wrote (or did not).
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(&self.db)
            .await
            .expect("count rows")
    }

    /// Whether the session store still holds the session behind this cookie value.
    pub async fn session_exists(&self, cookie_value: &str) -> bool {
        sqlx::query_scalar("select exists (select 1 from tower_sessions.session where id = $1)")
            .bind(client::session_id(cookie_value))
            .fetch_one(&self.db)
            .await
            .expect("query the session store")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Give the pool's connections back before #[sqlx::test] drops the database.
        self.server.abort();
    }
}
