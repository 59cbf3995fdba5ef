//! Building the application: connecting to (and if need be creating) the database,
//! applying migrations, assembling the router with its middleware, and serving.

use std::{net::SocketAddr, time::Duration};

use anyhow::Context as _;
use axum::{
    Router,
    http::{HeaderName, HeaderValue, StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
};
use sqlx::{PgPool, Postgres, migrate::MigrateDatabase, postgres::PgPoolOptions};
use tokio::net::TcpListener;
use tower_http::{
    catch_panic::CatchPanicLayer, compression::CompressionLayer, csrf::CsrfLayer,
    limit::RequestBodyLimitLayer, services::ServeDir, set_header::SetResponseHeaderLayer,
    timeout::TimeoutLayer, trace::TraceLayer,
};
use tower_sessions::{
    Expiry, SessionManagerLayer,
    cookie::{Key, SameSite},
};
use tower_sessions_sqlx_store::PostgresStore;

use crate::{
    auth,
    config::{Config, redact_password},
    error::AppError,
    mail,
    scheduler::Scheduler,
    state::AppState,
    web::ErrorPage,
};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Connects to the configured database, creating it if it does not exist. A failure says
/// which URL was tried and how to get a database.
pub async fn connect(config: &Config) -> anyhow::Result<PgPool> {
    let url = &config.database_url;
    let unreachable = |err: sqlx::Error| {
        anyhow::anyhow!(
            "cannot reach PostgreSQL at {}: {err}\n\
             Start one with `docker compose up -d db`, or install PostgreSQL locally \
             (e.g. `apt-get install postgresql`) and set DATABASE_URL to it.",
            redact_password(url)
        )
    };
    if !Postgres::database_exists(url).await.map_err(unreachable)? {
        tracing::info!(database = %redact_password(url), "creating the database");
        Postgres::create_database(url).await.map_err(unreachable)?;
    }
    PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(5))
        .connect(url)
        .await
        .map_err(unreachable)
}

pub async fn migrate(db: &PgPool) -> anyhow::Result<()> {
    MIGRATOR.run(db).await.context("applying migrations")
}

/// The whole HTTP application, with its middleware, ready to serve or to test.
pub fn app(state: AppState) -> Router {
    let config = &state.config;
    let store = PostgresStore::new(state.db.clone());
    let cookie_name = if config.secure_cookies() {
        "__Host-prospector_session"
    } else {
        "prospector_session"
    };
    let sessions = SessionManagerLayer::new(store)
        .with_name(cookie_name)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(config.secure_cookies())
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(auth::session::IDLE_TIMEOUT))
        .with_signed(Key::from(&config.cookie_key));

    let origin = config.base_url.origin().ascii_serialization();
    let cross_site = CsrfLayer::new()
        .add_trusted_origin(&origin)
        .expect("the base URL is a valid origin")
        .with_rejection_response(|_| {
            (
                StatusCode::FORBIDDEN,
                ErrorPage {
                    layout: Default::default(),
                    status: 403,
                    title: "Cross-site request refused",
                    message: "This request came from another site and was refused.".into(),
                    error_id: None,
                },
            )
                .into_response()
        });

    let static_files = Router::new()
        .fallback_service(ServeDir::new("static"))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ));

    // Pages: sessions, both CSRF layers, small bodies, 30 s.
    let pages = crate::routes()
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            REQUEST_TIMEOUT,
        ))
        .merge(crate::imports::upload_router())
        .nest("/static", static_files)
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn(auth::csrf::require_token))
        .layer(sessions)
        .layer(cross_site);

    // The API sets its own body limit and timeout, and answers problem documents.
    let router = Router::new()
        .nest("/api", crate::api::router())
        .merge(pages)
        .with_state(state.clone());

    with_security_headers(router, config.secure_cookies())
        .layer(CompressionLayer::new())
        .layer(CatchPanicLayer::custom(|_| panic_response()))
        .layer(TraceLayer::new_for_http())
}

fn panic_response() -> Response {
    AppError::Internal(anyhow::anyhow!("a handler panicked")).into_response()
}

fn with_security_headers(router: Router, https: bool) -> Router {
    let headers: &[(&str, &str)] = &[
        (
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("cross-origin-opener-policy", "same-origin"),
        (
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
        // Pages hold private data; static files override this with their own header.
        ("cache-control", "no-store"),
    ];
    let mut router = router;
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        ));
    }
    if https {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        ));
    }
    router
}

/// Serves until Ctrl-C or SIGTERM, with the scheduler (which also delivers mail) running
/// beside the HTTP server on the same pool; on the signal both stop: the server finishes
/// the requests in hand and the scheduler the batch in hand.
pub async fn serve(state: AppState, listener: TcpListener) -> anyhow::Result<()> {
    let mail = mail::Sender::from_config(state.db.clone(), &state.config)?;
    let housekeeping = tokio::spawn(housekeeping(state.db.clone()));
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let scheduler = Scheduler::new(state.db.clone())
        .with_mail(mail)
        .with_base_url(state.config.base_url.clone());
    let scheduler = tokio::spawn(scheduler.run(async move {
        // An error means the sender is gone, which only happens once we are stopping.
        let _ = stopped.wait_for(|stop| *stop).await;
    }));
    let signalled = stop.clone();
    let app = app(state);
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = signalled.send(true);
    })
    .await
    .context("serving HTTP");
    // However serving ended, the scheduler stops too, after the batch in hand.
    let _ = stop.send(true);
    if let Err(err) = scheduler.await {
        tracing::error!(error = %err, "the scheduler task failed");
    }
    housekeeping.abort();
    served
}

/// Deletes expired sessions and stale sign-in attempts once an hour.
async fn housekeeping(db: PgPool) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let sessions = sqlx::query!("delete from tower_sessions.session where expiry_date < now()")
            .execute(&db)
            .await;
        let attempts = auth::throttle::prune(&db).await;
        if let Err(err) = sessions.map(|_| ()).and(attempts.map(|_| ())) {
            tracing::warn!(error = %err, "housekeeping failed; will retry in an hour");
        }
    }
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
