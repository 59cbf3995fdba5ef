//! The `prospector` command itself: configuration errors, `user create`, `seed --demo`,
//! and `/healthz` when the database is gone.

use std::process::{Command, Output};

use prospector::{
    config::{Config, Environment},
    state::AppState,
};
use sqlx::{ConnectOptions as _, PgPool, postgres::PgPoolOptions};

use crate::support::TestApp;

/// Runs the built binary with only the given variables (no `.env`: production mode reads none).
pub(crate) fn prospector(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_prospector"));
    command
        .args(args)
        .env_clear()
        .env("PROSPECTOR_ENV", "production")
        .env(
            "PROSPECTOR_COOKIE_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==",
        )
        .env("RUST_LOG", "error");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().expect("run the prospector binary")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub(crate) fn database_url(pool: &PgPool) -> String {
    pool.connect_options().to_url_lossy().to_string()
}

#[test]
fn a_missing_setting_is_named() {
    let output = prospector(&["migrate"], &[]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("DATABASE_URL is not set"),
        "{}",
        stderr(&output)
    );

    let output = prospector(
        &["migrate"],
        &[
            ("DATABASE_URL", "postgres://x/y"),
            ("PROSPECTOR_ADDR", "nowhere"),
        ],
    );
    assert!(
        stderr(&output).contains("PROSPECTOR_ADDR"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unreachable_database_names_the_url_and_how_to_get_one() {
    let output = prospector(
        &["migrate"],
        &[(
            "DATABASE_URL",
            "postgres://someone:secret@127.0.0.1:1/prospector",
        )],
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("127.0.0.1:1/prospector"), "{message}");
    assert!(
        !message.contains("secret"),
        "the password leaked: {message}"
    );
    assert!(message.contains("docker compose up -d db"), "{message}");
}

#[sqlx::test]
async fn user_create_makes_a_user_who_can_sign_in(pool: PgPool) {
    let url = database_url(&pool);
    let output = prospector(
        &[
            "user",
            "create",
            "--email",
            "Nina@Example.com",
            "--name",
            "Nina Rep",
            "--role",
            "rep",
            "--team",
            "West",
            "--time-zone",
            "Europe/Paris",
        ],
        &[
            ("DATABASE_URL", &url),
            ("PROSPECTOR_PASSWORD", "a long password"),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));

    let (role, team, zone): (String, String, String) = sqlx::query_as(
        "select u.role::text, t.name, u.time_zone from users u join teams t on t.id = u.team_id
         where u.email = 'nina@example.com'",
    )
    .fetch_one(&pool)
    .await
    .expect("the new user");
    assert_eq!(
        (role.as_str(), team.as_str(), zone.as_str()),
        ("rep", "West", "Europe/Paris")
    );

    let app = TestApp::spawn(pool).await;
    let response = app
        .client()
        .login("nina@example.com", "a long password")
        .await;
    assert_eq!(response.location(), Some("/"));

    let refused = prospector(
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--role",
            "rep",
        ],
        &[("DATABASE_URL", &url), ("PROSPECTOR_PASSWORD", "short")],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("at least 10 characters"),
        "{}",
        stderr(&refused)
    );
}

#[sqlx::test]
async fn seeding_the_demo_twice_changes_nothing_the_second_time(pool: PgPool) {
    let url = database_url(&pool);
    let first = prospector(&["seed", "--demo"], &[("DATABASE_URL", &url)]);
    assert!(first.status.success(), "{}", stderr(&first));
    let printed = String::from_utf8_lossy(&first.stdout);
    for login in [
        "admin@demo.test",
        "manager@demo.test",
        "rep1@demo.test",
        "rep2@demo.test",
        "rep3@demo.test",
        "prospector-demo",
    ] {
        assert!(printed.contains(login), "{printed}");
    }

    let counts = || async {
        sqlx::query_as::<_, (i64, i64, i64, i64)>(
            "select (select count(*) from users), (select count(*) from prospects),
                    (select count(*) from interactions), (select count(*) from opportunities)",
        )
        .fetch_one(&pool)
        .await
        .expect("counts")
    };
    let before = counts().await;
    assert_eq!(before.0, 5);
    assert!((250..=350).contains(&before.1), "{before:?}");

    let second = prospector(&["seed", "--demo"], &[("DATABASE_URL", &url)]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(String::from_utf8_lossy(&second.stdout).contains("already there"));
    assert_eq!(counts().await, before);

    // The demo covers every state, stage, channel and outcome.
    let kinds: (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(distinct interest) from prospects),
                (select count(distinct stage) from opportunities),
                (select count(distinct channel) from interactions),
                (select count(distinct outcome) from interactions)",
    )
    .fetch_one(&pool)
    .await
    .expect("coverage");
    assert_eq!(kinds, (5, 6, 7, 8));
}

/// The demo keeps the product's rules: no future-interest prospect on a pursue cadence
/// (an opportunity lost with a date to revisit moves its prospect to nurture), and
/// `prospector rollups verify` says so, or names the rule a row breaks.
#[sqlx::test]
async fn the_demo_keeps_every_rule_and_rollups_verify_checks_them(pool: PgPool) {
    let url = database_url(&pool);
    let seeded = prospector(&["seed", "--demo"], &[("DATABASE_URL", &url)]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let on_pursue = "select count(*) from prospects p
         join enrollments e on e.prospect_id = p.id and e.status in ('active', 'paused')
         join cadences c on c.id = e.cadence_id
         where p.interest = 'future' and c.purpose = 'pursue'";
    let n: i64 = sqlx::query_scalar(on_pursue)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0, "future-interest prospects on a pursue cadence");
    // Lost with a date to revisit: on nurture, with the re-engage touch on that date.
    let lost: i64 = sqlx::query_scalar(
        "select count(*) from opportunities o join prospects p on p.id = o.prospect_id
         where o.stage = 'lost' and o.revisit_on is not null and p.interest = 'future'
           and exists (select 1 from enrollments e join cadences c on c.id = e.cadence_id
                       where e.prospect_id = p.id and e.status = 'active' and c.purpose = 'nurture')
           and exists (select 1 from touches t where t.prospect_id = p.id and t.kind = 're_engage'
                         and t.status = 'pending' and t.due_on = o.revisit_on)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        lost > 0,
        "the demo has opportunities lost with a revisit date"
    );

    let verified = prospector(&["rollups", "verify"], &[("DATABASE_URL", &url)]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(String::from_utf8_lossy(&verified.stdout).contains("every rule holds"));

    // A future-interest prospect put back on the pursue cadence it had before: named.
    sqlx::query(
        "update enrollments e set cadence_id = pursue.id, version_id = pursue.version_id
         from (select c.id, v.id as version_id from cadences c
               join cadence_versions v on v.cadence_id = c.id
               where c.purpose = 'pursue' order by v.id desc limit 1) pursue
         where e.id = (select e.id from enrollments e join prospects p on p.id = e.prospect_id
                       where p.interest = 'future' and e.status = 'active'
                         and e.started_at <= (select max(ev.occurred_at) from prospect_events ev
                                              where ev.prospect_id = p.id
                                                and ev.kind = 'interest_changed'
                                                and ev.to_value = 'future')
                       order by e.id limit 1)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let broken = prospector(&["rollups", "verify"], &[("DATABASE_URL", &url)]);
    assert!(!broken.status.success());
    assert!(
        stderr(&broken).contains("1 future-interest prospects left on the pursue cadence"),
        "{}",
        stderr(&broken)
    );
}

#[tokio::test]
async fn healthz_answers_503_when_the_database_is_unreachable() {
    let url = "postgres://postgres@127.0.0.1:1/nowhere";
    let pool = PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_millis(500))
        .connect_lazy(url)
        .expect("a lazy pool");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("its address");
    let config = Config::from_lookup(Environment::Development, |name| match name {
        "DATABASE_URL" => Some(url.to_string()),
        "PROSPECTOR_ADDR" => Some(addr.to_string()),
        _ => None,
    })
    .expect("a configuration");
    let app = prospector::startup::app(AppState::new(config, pool));
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    let response = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .expect("a response");
    assert_eq!(response.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
}
