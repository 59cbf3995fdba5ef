//! The benchmark harness: Prospector's pages under load on the scaled dataset, the
//! scheduler clearing a backlog, and the server's peak memory, written to BENCHMARKS.md.
//!
//! `scripts/bench.sh` runs it (after `prospector seed --scale` if the database is empty):
//!
//! ```text
//! cargo run --release --example bench -- [--duration 10] [--connections 16] [--out BENCHMARKS.md]
//! ```
//!
//! `--no-scheduler` measures the pages only; `--scheduler-only` measures the scheduler only
//! and prints its figure, leaving BENCHMARKS.md as it is (for profiling it). `--batch N`
//! sets the rows a scheduler batch claims (default: the application's own,
//! `scheduler::DEFAULT_BATCH`).
//!
//! It starts the release server against `BENCH_DATABASE_URL` (by default the database
//! `prospector_scale` on 127.0.0.1), signs in as the busiest rep and as their manager, and
//! drives each page with wrk (16 connections, keep-alive, two threads) for a fixed time
//! after a short warm-up, reading p50, p99 and throughput. Each page is also given as a
//! ratio to the baseline measured in the same run: `/healthz`, one trivial query through
//! the same stack. Requests vary where a real load would: random prospects of the rep's,
//! search terms from their names, a page 30 deep in the list. Logging an interaction is a
//! real POST (CSRF token and all), so the run writes a few thousand interactions.
//!
//! The scheduler is measured on a copy of the database (`CREATE DATABASE … TEMPLATE`) in
//! which 1,000,000 active enrollments wait for their next touch, as after a bulk
//! enrollment: one pass schedules them all; touches per second is the figure.

use std::{
    fmt::Write as _,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};
use prospector::scheduler::Scheduler;
use sqlx::{PgPool, Row, postgres::PgPoolOptions};

const COOKIE_KEY: &str =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";
const PASSWORD: &str = "prospector-demo";
const BACKLOG: i64 = 1_000_000;
/// Scheduler instances sharing the backlog, one per core (as several app instances would).
const SCHEDULER_INSTANCES: usize = 2;

struct Options {
    database_url: String,
    duration: u64,
    connections: u64,
    out: PathBuf,
    scheduler: bool,
    scheduler_only: bool,
    /// Rows each scheduler batch (one transaction) claims.
    batch: i64,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        database_url: std::env::var("BENCH_DATABASE_URL").unwrap_or_else(|_| {
            // On loopback, without TLS: the server and PostgreSQL share the machine.
            "postgres://postgres@127.0.0.1:5432/prospector_scale?sslmode=disable".into()
        }),
        duration: 10,
        connections: 16,
        out: PathBuf::from("BENCHMARKS.md"),
        scheduler: true,
        scheduler_only: false,
        batch: prospector::scheduler::DEFAULT_BATCH,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().context("a value after the flag");
        match arg.as_str() {
            "--duration" => o.duration = value()?.parse()?,
            "--connections" => o.connections = value()?.parse()?,
            "--out" => o.out = value()?.into(),
            "--no-scheduler" => o.scheduler = false,
            "--scheduler-only" => o.scheduler_only = true,
            "--batch" => o.batch = value()?.parse()?,
            other => bail!("unknown argument {other}"),
        }
    }
    Ok(o)
}

/// One page or endpoint under load.
struct Scenario {
    name: &'static str,
    role: &'static str,
    target_p99_ms: Option<f64>,
    /// Paths requested in turn (one is enough for a fixed page).
    paths: Vec<String>,
    /// For a POST: the form body, the same for every path.
    post: Option<String>,
    cookie: Option<String>,
}

/// A scenario measured under load and alone.
struct PageRun {
    scenario: Scenario,
    loaded: Measured,
    alone: Measured,
}

struct Measured {
    p50_ms: f64,
    p99_ms: f64,
    requests_per_second: f64,
    errors: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let db = PgPoolOptions::new()
        .max_connections(4)
        .connect(&o.database_url)
        .await
        .with_context(|| format!("connecting to {}", o.database_url))?;
    let seeded: bool =
        sqlx::query_scalar("select exists (select 1 from users where email = 'admin@scale.test')")
            .fetch_one(&db)
            .await?;
    if !seeded {
        bail!(
            "{} has no scale dataset: run `prospector seed --scale` first (scripts/bench.sh does)",
            o.database_url
        );
    }
    if o.scheduler_only {
        db.close().await; // the copy needs the database to itself
        let run = measure_scheduler(&o.database_url, o.batch).await?;
        println!(
            "{} touches in {:.1} s: {:.0} touches per second",
            run.scheduled,
            run.seconds,
            run.scheduled as f64 / run.seconds
        );
        return Ok(());
    }
    which("wrk")?;
    let dataset = dataset(&db).await?;
    eprintln!("dataset: {dataset:?}");

    let (rep, rep_email, manager_email) = busiest_rep(&db).await?;
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start_server(&o.database_url, port)?;
    wait_until_up(&base).await?;

    let result = measure_pages(&o, &db, &base, rep, &rep_email, &manager_email).await;
    let peak_rss_kib = peak_rss_kib(server.id());
    let _ = server.kill();
    let _ = server.wait();
    let pages = result?;
    db.close().await;
    // The pages' figures first, so that a failed scheduler run does not lose them. What
    // the file says from its "## Notes" heading on is written by hand and kept.
    let notes = std::fs::read_to_string(&o.out)
        .ok()
        .and_then(|old| old.find("\n## Notes").map(|at| old[at..].to_string()))
        .unwrap_or_default();
    let write = |report: String| {
        std::fs::write(&o.out, format!("{}\n{notes}", report.trim_end()))
            .with_context(|| format!("writing {}", o.out.display()))
    };
    write(report(&o, &dataset, &pages, None, peak_rss_kib).await?)?;
    if o.scheduler {
        let scheduler = measure_scheduler(&o.database_url, o.batch).await?;
        write(report(&o, &dataset, &pages, Some(scheduler), peak_rss_kib).await?)?;
    }
    eprintln!("wrote {}", o.out.display());
    Ok(())
}

fn which(tool: &str) -> anyhow::Result<()> {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()?
        .success();
    if !found {
        bail!("{tool} is not installed (scripts/bench.sh installs Debian's package)");
    }
    Ok(())
}

async fn dataset(db: &PgPool) -> anyhow::Result<Vec<(String, i64)>> {
    let mut rows = Vec::new();
    for table in [
        "users",
        "teams",
        "accounts",
        "prospects",
        "interactions",
        "opportunities",
        "enrollments",
        "touches",
        "prospect_events",
    ] {
        let n: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(db)
            .await?;
        rows.push((table.to_string(), n));
    }
    Ok(rows)
}

/// The rep who owns the most prospects, and their team's manager.
async fn busiest_rep(db: &PgPool) -> anyhow::Result<(i64, String, String)> {
    let row = sqlx::query(
        "select u.id, u.email::text as email, m.email::text as manager
         from (select owner_id, count(*) as n from prospects group by owner_id order by n desc limit 1) b
         join users u on u.id = b.owner_id
         join users m on m.team_id = u.team_id and m.role = 'manager'",
    )
    .fetch_one(db)
    .await?;
    Ok((row.get("id"), row.get("email"), row.get("manager")))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn start_server(database_url: &str, port: u16) -> anyhow::Result<Child> {
    let binary = std::env::current_exe()?
        .parent()
        .and_then(|examples| examples.parent())
        .map(|release| release.join("prospector"))
        .context("the release directory")?;
    Command::new(&binary)
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("PROSPECTOR_ADDR", format!("127.0.0.1:{port}"))
        .env("PROSPECTOR_COOKIE_KEY", COOKIE_KEY)
        .env("RUST_LOG", "prospector=warn,tower_http=warn,sqlx=error")
        .stdout(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {} (cargo build --release)", binary.display()))
}

async fn wait_until_up(base: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not answer /healthz within 30 s")
}

/// Signs in; returns the session cookie and a CSRF token.
async fn sign_in(base: &str, email: &str) -> anyhow::Result<(String, String)> {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let page = client
        .get(format!("{base}/login"))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf_token(&page).context("a CSRF token on the sign-in page")?;
    let response = client
        .post(format!("{base}/login"))
        .header("Origin", base)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("prospector_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string)
        .with_context(|| format!("signing in as {email}: {}", response.status()))?;
    let page = reqwest::Client::new()
        .get(format!("{base}/today"))
        .header("Cookie", &cookie)
        .send()
        .await?
        .text()
        .await?;
    let token = csrf_token(&page).context("a CSRF token once signed in")?;
    Ok((cookie, token))
}

fn csrf_token(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")? + "name=\"csrf_token\" value=\"".len();
    Some(html[at..].split('"').next()?.to_string())
}

async fn measure_pages(
    o: &Options,
    db: &PgPool,
    base: &str,
    rep: i64,
    rep_email: &str,
    manager_email: &str,
) -> anyhow::Result<Vec<PageRun>> {
    let (rep_cookie, rep_token) = sign_in(base, rep_email).await?;
    let (manager_cookie, manager_token) = sign_in(base, manager_email).await?;
    let team: Vec<i64> = sqlx::query_scalar(
        "select id from users where team_id = (select team_id from users where id = $1)",
    )
    .bind(rep)
    .fetch_all(db)
    .await?;

    // What real requests vary over.
    let rep_prospects: Vec<i64> = sqlx::query_scalar(
        "select id from prospects where owner_id = $1 order by random() limit 500",
    )
    .bind(rep)
    .fetch_all(db)
    .await?;
    let team_prospects: Vec<i64> = sqlx::query_scalar(
        "select id from prospects where owner_id = any($1) order by random() limit 500",
    )
    .bind(&team)
    .fetch_all(db)
    .await?;
    let deep = |owners: Vec<i64>| async move {
        sqlx::query_scalar::<_, i64>(
            "select id from prospects where owner_id = any($1) order by id desc offset 1500 limit 1",
        )
        .bind(owners)
        .fetch_one(db)
        .await
    };
    let rep_deep = deep(vec![rep]).await?;
    let team_deep = deep(team.clone()).await?;
    let terms: Vec<String> = sqlx::query_scalar(
        "select distinct lower(last_name) from prospects where owner_id = $1 limit 20",
    )
    .bind(rep)
    .fetch_all(db)
    .await?;

    let log_body = |token: &str| {
        format!(
            "csrf_token={token}&channel=call&outcome=no_answer&occurred_at=&notes=Benchmark&decision="
        )
    };
    let mut scenarios = vec![Scenario {
        name: "Baseline: /healthz (one trivial query)",
        role: "—",
        target_p99_ms: None,
        paths: vec!["/healthz".into()],
        post: None,
        cookie: None,
    }];
    for (role, cookie, token, prospects, deep_cursor) in [
        ("rep", &rep_cookie, &rep_token, &rep_prospects, rep_deep),
        (
            "manager",
            &manager_cookie,
            &manager_token,
            &team_prospects,
            team_deep,
        ),
    ] {
        let page = |name, target, paths: Vec<String>| Scenario {
            name,
            role,
            target_p99_ms: target,
            paths,
            post: None,
            cookie: Some(cookie.clone()),
        };
        scenarios.push(page("Today", Some(10.0), vec!["/today".into()]));
        scenarios.push(page(
            "Prospect list, first page",
            Some(10.0),
            vec!["/prospects".into()],
        ));
        scenarios.push(page(
            "Prospect list, page 31",
            Some(10.0),
            vec![format!("/prospects?after={deep_cursor}")],
        ));
        scenarios.push(page(
            "Search",
            Some(10.0),
            terms.iter().map(|t| format!("/prospects?q={t}")).collect(),
        ));
        scenarios.push(page(
            "Prospect page",
            Some(10.0),
            prospects
                .iter()
                .map(|p| format!("/prospects/{p}"))
                .collect(),
        ));
        scenarios.push(Scenario {
            name: "Log an interaction (POST)",
            role,
            target_p99_ms: Some(15.0),
            paths: prospects
                .iter()
                .map(|p| format!("/prospects/{p}/interactions"))
                .collect(),
            post: Some(log_body(token)),
            cookie: Some(cookie.clone()),
        });
        scenarios.push(page("Dashboard", Some(20.0), vec!["/dashboard".into()]));
    }

    let mut results = Vec::new();
    for scenario in scenarios {
        eprintln!("measuring {} ({})", scenario.name, scenario.role);
        let script = lua_script(&scenario, base)?;
        wrk(&script, base, 2, o.connections)?; // warm-up
        let loaded = wrk(&script, base, o.duration, o.connections)?;
        // One request at a time: the server's own time for the page, without queueing
        // behind the other connections for the two cores.
        let alone = wrk(&script, base, (o.duration / 2).max(2), 1)?;
        for measured in [&loaded, &alone] {
            if measured.errors > 0 {
                bail!(
                    "{} ({}): {} responses were errors",
                    scenario.name,
                    scenario.role,
                    measured.errors
                );
            }
        }
        results.push(PageRun {
            scenario,
            loaded,
            alone,
        });
    }
    Ok(results)
}

/// A wrk script that requests the scenario's paths in turn with its cookie (and body).
fn lua_script(s: &Scenario, base: &str) -> anyhow::Result<PathBuf> {
    let mut lua = String::from("local paths = {\n");
    for path in &s.paths {
        writeln!(lua, "  {:?},", path)?;
    }
    lua.push_str("}\nlocal i = 0\n");
    lua.push_str("wrk.headers[\"Origin\"] = ");
    writeln!(lua, "{:?}", base)?;
    if let Some(cookie) = &s.cookie {
        writeln!(lua, "wrk.headers[\"Cookie\"] = {:?}", cookie)?;
    }
    match &s.post {
        Some(body) => {
            lua.push_str("wrk.method = \"POST\"\n");
            lua.push_str("wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\n");
            writeln!(lua, "wrk.body = {:?}", body)?;
        }
        None => lua.push_str("wrk.method = \"GET\"\n"),
    }
    lua.push_str(
        "request = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n\
",
    );
    let path = std::env::temp_dir().join(format!("prospector-bench-{}.lua", std::process::id()));
    std::fs::write(&path, lua)?;
    Ok(path)
}

fn wrk(script: &PathBuf, base: &str, seconds: u64, connections: u64) -> anyhow::Result<Measured> {
    let output = Command::new("wrk")
        .args([
            &format!("-t{}", connections.min(2)),
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            "-s",
        ])
        .arg(script)
        .arg(base)
        .output()
        .context("running wrk")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "wrk failed: {text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let percentile = |p: &str| -> anyhow::Result<f64> {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(p))
            .with_context(|| format!("no {p} in wrk's output:\n{text}"))?;
        parse_duration_ms(line.split_whitespace().nth(1).unwrap_or_default())
    };
    let requests_per_second = text
        .lines()
        .find(|l| l.starts_with("Requests/sec:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .context("no Requests/sec in wrk's output")?;
    let errors = text
        .lines()
        .find(|l| l.trim_start().starts_with("Non-2xx or 3xx responses:"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Ok(Measured {
        p50_ms: percentile("50%")?,
        p99_ms: percentile("99%")?,
        requests_per_second,
        errors,
    })
}

/// wrk prints "812.00us", "1.23ms" or "1.05s".
fn parse_duration_ms(raw: &str) -> anyhow::Result<f64> {
    let (number, unit) = raw
        .find(|c: char| c.is_ascii_alphabetic())
        .map(|at| raw.split_at(at))
        .context("a duration")?;
    let n: f64 = number.parse()?;
    Ok(match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        "m" => n * 60_000.0,
        other => bail!("unknown unit {other}"),
    })
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

struct SchedulerRun {
    backlog: i64,
    scheduled: u64,
    seconds: f64,
    batch: i64,
}

/// On a copy of the database: a backlog of active enrollments with no touch yet, cleared
/// by one scheduler pass.
async fn measure_scheduler(database_url: &str, batch: i64) -> anyhow::Result<SchedulerRun> {
    let url = url::Url::parse(database_url).context("a database URL")?;
    let name = url.path().trim_start_matches('/').to_string();
    let scratch = format!("{name}_scheduler_bench");
    let on = |database: &str| {
        let mut other = url.clone();
        other.set_path(database);
        other.to_string()
    };
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&on("postgres"))
        .await?;
    eprintln!("copying {name} to {scratch} for the scheduler run");
    sqlx::query(&format!("drop database if exists {scratch}"))
        .execute(&admin)
        .await?;
    // A template must have no sessions; those the server or this harness just closed can
    // take a moment to end.
    let mut attempts = 0;
    while let Err(err) = sqlx::query(&format!("create database {scratch} template {name}"))
        .execute(&admin)
        .await
    {
        attempts += 1;
        let busy = err.to_string().contains("being accessed by other users");
        if !busy || attempts == 30 {
            return Err(err).context("copying the database for the scheduler run");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let db = PgPoolOptions::new()
        .max_connections(4)
        .connect(&on(&scratch))
        .await?;
    // As after moving everyone to a new campaign in bulk: every live enrollment ends (its
    // open step touches withdrawn), and the first prospects are enrolled anew, which
    // writes enrollments and nothing else: the scheduler schedules their first touches.
    eprintln!("preparing a backlog of {BACKLOG} enrollments");
    sqlx::query(
        "update touches set status = 'skipped', skip_reason = 'Moved to a new campaign',
                            cancelled = true, completed_at = now(), snoozed_until = null
         where kind = 'step' and status in ('pending', 'snoozed')",
    )
    .execute(&db)
    .await?;
    sqlx::query(
        "update enrollments set status = 'exited', exit_reason = 'Moved to a new campaign',
                                ended_at = now(), updated_at = now()
         where status in ('active', 'paused')",
    )
    .execute(&db)
    .await?;
    sqlx::query(
        "insert into enrollments (prospect_id, cadence_id, version_id, enrolled_by, started_at)
         select p.id, c.id, v.id, p.owner_id, now()
         from (select id, owner_id from prospects order by id limit $1) p
         cross join (select id from cadences where purpose = 'pursue' and is_default) c
         cross join lateral (select id from cadence_versions where cadence_id = c.id
                             order by version desc limit 1) v",
    )
    .bind(BACKLOG)
    .execute(&db)
    .await?;
    let backlog: i64 =
        sqlx::query_scalar("select count(*) from enrollments where status = 'active'")
            .fetch_one(&db)
            .await?;
    sqlx::query("vacuum analyze").execute(&db).await?;

    eprintln!("scheduling {backlog} enrollments' touches with {SCHEDULER_INSTANCES} instances");
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let passes = (0..SCHEDULER_INSTANCES).map(|_| {
        let instance = Scheduler::new(db.clone()).with_batch(batch);
        async move { instance.run_once(now).await }
    });
    let mut scheduled = 0;
    for report in futures_util::future::join_all(passes).await {
        scheduled += report?.steps_scheduled;
    }
    let seconds = started.elapsed().as_secs_f64();
    db.close().await;
    sqlx::query(&format!("drop database {scratch} with (force)"))
        .execute(&admin)
        .await?;
    Ok(SchedulerRun {
        backlog,
        scheduled,
        seconds,
        batch,
    })
}

async fn report(
    o: &Options,
    dataset: &[(String, i64)],
    pages: &[PageRun],
    scheduler: Option<SchedulerRun>,
    peak_rss_kib: Option<u64>,
) -> anyhow::Result<String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse::<u64>().ok())
        })
        .map_or_else(
            || "unknown".into(),
            |kib| format!("{} GiB", kib / 1024 / 1024),
        );
    let db = PgPoolOptions::new()
        .max_connections(1)
        .connect(&o.database_url)
        .await?;
    let version: String = sqlx::query_scalar("select version()")
        .fetch_one(&db)
        .await?;
    let wrk_version = Command::new("wrk")
        .arg("-v")
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();

    let baseline = &pages[0].loaded;
    let mut out = String::new();
    writeln!(out, "# Benchmarks")?;
    writeln!(out)?;
    writeln!(
        out,
        "Regenerated by `scripts/bench.sh` (the harness is `examples/bench.rs`); measured on {}.",
        time::OffsetDateTime::now_utc().date()
    )?;
    writeln!(out)?;
    writeln!(out, "## Machine")?;
    writeln!(out)?;
    writeln!(out, "- {cores} cores ({cpu}), {memory} of memory")?;
    writeln!(out, "- {version}")?;
    writeln!(
        out,
        "- {wrk_version}; PostgreSQL, the server and wrk share the machine"
    )?;
    writeln!(out)?;
    writeln!(out, "## Dataset")?;
    writeln!(out)?;
    writeln!(out, "`prospector seed --scale` (defaults), rows per table:")?;
    writeln!(out)?;
    writeln!(out, "| table | rows |")?;
    writeln!(out, "|---|---:|")?;
    for (table, n) in dataset {
        writeln!(out, "| {table} | {} |", thousands(*n))?;
    }
    writeln!(out)?;
    writeln!(out, "## Pages")?;
    writeln!(out)?;
    writeln!(
        out,
        "{} connections for {} s per page after a 2 s warm-up, signed in as the busiest rep and \
         their manager; then one connection for {} s (*alone*). Latency is measured by wrk on \
         loopback. Under load it includes the wait for a core: PostgreSQL, the server and wrk \
         share two. Alone, it is one request's own time through the server and the database. \
         The ratios are to the baseline's p50 and p99 under load in the same run; the targets \
         are checked against the p99 under load.",
        o.connections,
        o.duration,
        (o.duration / 2).max(2)
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "| page | as | p50 ms | p99 ms | req/s | p50 × baseline | p99 × baseline | p50 ms alone | p99 ms alone | target p99 | met |"
    )?;
    writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")?;
    for PageRun {
        scenario: s,
        loaded: m,
        alone,
    } in pages
    {
        let target = s
            .target_p99_ms
            .map_or("—".to_string(), |t| format!("≤ {t}"));
        let met = match s.target_p99_ms {
            Some(t) if m.p99_ms <= t => "yes",
            Some(_) => "**no**",
            None => "—",
        };
        writeln!(
            out,
            "| {} | {} | {:.2} | {:.2} | {:.0} | {:.1} | {:.1} | {:.2} | {:.2} | {} | {} |",
            s.name,
            s.role,
            m.p50_ms,
            m.p99_ms,
            m.requests_per_second,
            m.p50_ms / baseline.p50_ms,
            m.p99_ms / baseline.p99_ms,
            alone.p50_ms,
            alone.p99_ms,
            target,
            met
        )?;
    }
    writeln!(out)?;
    writeln!(out, "## Scheduler and memory")?;
    writeln!(out)?;
    if let Some(run) = scheduler {
        let rate = run.scheduled as f64 / run.seconds;
        writeln!(
            out,
            "- Scheduler: {} active enrollments waiting for a touch (a copy of the dataset, as \
             after bulk enrollments); {} instances sharing one pass in batches of {} scheduled \
             {} touches in {:.1} s: **{} touches per second** (target ≥ 20,000: {}).",
            thousands(run.backlog),
            SCHEDULER_INSTANCES,
            run.batch,
            thousands(run.scheduled as i64),
            run.seconds,
            thousands(rate as i64),
            if rate >= 20_000.0 {
                "met"
            } else {
                "**not met**"
            }
        )?;
    }
    if let Some(kib) = peak_rss_kib {
        let mib = kib as f64 / 1024.0;
        writeln!(
            out,
            "- Server peak resident memory over the run (VmHWM): **{mib:.0} MiB** (target ≤ 150 MiB: {}).",
            if mib <= 150.0 { "met" } else { "**not met**" }
        )?;
    }
    writeln!(out)?;
    Ok(out)
}

fn thousands(n: i64) -> String {
    prospector::charts::format_number(n as f64)
}
