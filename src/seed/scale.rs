//! `prospector seed --scale`: years of a large sales organisation's work, for the benchmarks.
//!
//! By default 500 reps in 50 teams (each with a manager), 200,000 accounts, 1,000,000
//! prospects, 10,000,000 interactions over two years, their opportunities, enrollments and
//! about 2,000,000 touches. Activity is skewed the way real teams are: accounts go to reps
//! by a power law (some reps carry far more than others), prospects to accounts by another,
//! and the interactions to prospects by a lognormal weight, so a few prospects are worked
//! hundreds of times and most a handful.
//!
//! Every prospect lives a story (never touched; still trying; future interest, with a date
//! that may have come and been honoured or missed; current interest in some stage; won;
//! lost; no interest; future interest that came back), and its rows are written to agree
//! with what the product would have written: the interest state follows the latest
//! decision, each change of it is on the timeline, an open prospect is on a cadence with
//! its next step pending (or is a dead end), a future one has its re-engage touch, and the
//! derived columns and rollups are what the triggers would have kept.
//!
//! Speed: rows are generated on a thread and streamed to PostgreSQL with `COPY` on one
//! connection per table, with triggers off (`session_replication_role = replica`) and the
//! secondary indexes dropped. The generator sums the activity rollup (the one over ten
//! million interactions) as it goes; afterwards the indexes are rebuilt, and the other
//! rollups refilled from their scan views, two statements at a time (one per core).

use std::{
    collections::{HashMap, VecDeque},
    fmt::Write as _,
    sync::Arc,
    time::Instant,
};

use anyhow::Context as _;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use rand::{
    Rng, SeedableRng,
    distr::{Distribution, weighted::WeightedIndex},
    rngs::StdRng,
    seq::{IndexedRandom, SliceRandom},
};
use sqlx::{ConnectOptions as _, Executor, PgPool};
use time::{Date, OffsetDateTime};
use tokio::sync::mpsc;

use crate::{
    auth::password, cadences::demo::create_demo_cadences, dashboard::rollups, opportunities::Stage,
    state::AppState,
};

/// The logins' password, as in the demo.
pub const PASSWORD: &str = super::demo::PASSWORD;
const ADMIN_EMAIL: &str = "admin@scale.test";
const DAYS: i64 = 730;

/// How big the organisation is.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub reps: usize,
    pub teams: usize,
    pub accounts: usize,
    pub prospects: usize,
    pub interactions: usize,
}

impl Default for Sizes {
    fn default() -> Self {
        Sizes {
            reps: 500,
            teams: 50,
            accounts: 200_000,
            prospects: 1_000_000,
            interactions: 10_000_000,
        }
    }
}

/// What was written, and how long it took.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<(&'static str, u64)>,
    pub seconds: f64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (table, n) in &self.rows {
            writeln!(f, "  {table:<16} {n:>12}")?;
        }
        write!(f, "  in {:.0} s", self.seconds)
    }
}

/// The zones teams work in, with their standard UTC offsets in hours. Activity is placed
/// between 09:00 and 17:00 standard time, so daylight saving never moves it across midnight
/// and the local day is the same either way.
const ZONES: [(&str, i64); 8] = [
    ("America/New_York", -5),
    ("America/Chicago", -6),
    ("America/Denver", -7),
    ("America/Los_Angeles", -8),
    ("Europe/London", 0),
    ("Europe/Paris", 1),
    ("Asia/Tokyo", 9),
    ("Australia/Sydney", 10),
];

/// How many COPY streams feed a table: the interactions, most of the rows, are parsed by
/// two server processes (one per core) taking their chunks in turn.
fn copy_streams(table: &str) -> usize {
    if table == "interactions" { 2 } else { 1 }
}

/// The tables written by COPY, in the order their rows are referenced; the first seven
/// have an id sequence. The generator sums the activity rollup as it writes the
/// interactions, instead of a refill grouping ten million of them afterwards.
const TABLES: [(&str, &str); 8] = [
    (
        "accounts",
        "id, owner_id, name, domain, industry, employee_count, territory, created_at, updated_at",
    ),
    (
        "prospects",
        "id, owner_id, account_id, first_name, last_name, title, email, phone, source, tags, \
         interest, do_not_contact, re_engage_on, last_interaction_at, created_at, updated_at, \
         no_next_step_reason, open_touches, first_touched_at, first_touched_on, \
         funnel_contact_level, funnel_opportunity_level",
    ),
    (
        "opportunities",
        "id, prospect_id, owner_id, name, stage, value_cents, probability, lost_reason, \
         closed_at, created_at, updated_at, last_activity_at",
    ),
    (
        "interactions",
        "id, prospect_id, logged_by, channel, outcome, decision, no_interest_reason, \
         re_engage_on, opportunity_id, occurred_at, occurred_on, created_at",
    ),
    (
        "enrollments",
        "id, prospect_id, cadence_id, version_id, status, current_position, enrolled_by, \
         exit_reason, started_at, ended_at, updated_at, ended_owner_id, ended_on, \
         scheduled_position",
    ),
    (
        "touches",
        "id, prospect_id, owner_id, kind, enrollment_id, step_id, channel, due_at, status, \
         skip_reason, interaction_id, completed_at, completed_on, created_at, due_on, cancelled",
    ),
    (
        "prospect_events",
        "id, prospect_id, actor_id, kind, from_value, to_value, note, opportunity_id, \
         interaction_id, occurred_at",
    ),
    (
        "activity_rollup",
        "user_id, day, channel, interactions, decided_current, decided_future, decided_none, \
         compacted",
    ),
];

/// The rollups the generator writes, which are not refilled.
const WRITTEN_ROLLUPS: [&str; 1] = ["activity_rollup"];

const FIRST_NAMES: [&str; 24] = [
    "Ava", "Ben", "Chloe", "David", "Emma", "Felix", "Grace", "Hugo", "Isla", "Jack", "Kira",
    "Leo", "Maya", "Noah", "Olivia", "Paul", "Quinn", "Ruby", "Sam", "Tara", "Umar", "Vera",
    "Will", "Zoe",
];
const LAST_NAMES: [&str; 24] = [
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jones",
    "Khan", "Lopez", "Martin", "Novak", "Owens", "Patel", "Quinn", "Rossi", "Smith", "Tanaka",
    "Umeh", "Varga", "Wong", "Young",
];
/// Prospects' last names are made of two parts: 900 names, so a search for one matches
/// about a thousandth of the prospects, as a real name would.
const NAME_STARTS: [&str; 30] = [
    "Ash", "Bel", "Car", "Dun", "El", "Fair", "Gal", "Har", "Ing", "Kel", "Lang", "Mar", "Nor",
    "Oak", "Pem", "Quil", "Ros", "Sand", "Thorn", "Ul", "Van", "Wes", "Yar", "Zel", "Brook",
    "Craw", "Dal", "Fen", "Gold", "Hol",
];
const NAME_ENDS: [&str; 30] = [
    "by", "ford", "ton", "well", "wood", "field", "man", "son", "ley", "worth", "stone", "more",
    "croft", "dale", "mont", "ridge", "wick", "ham", "land", "shaw", "cott", "burn", "holm",
    "gate", "brook", "ard", "ett", "ick", "ing", "ow",
];
const TITLES: [&str; 8] = [
    "Operations Director",
    "VP Sales",
    "Head of Procurement",
    "IT Manager",
    "CFO",
    "Marketing Lead",
    "COO",
    "Logistics Manager",
];
const INDUSTRIES: [&str; 8] = [
    "Manufacturing",
    "Software",
    "Retail",
    "Healthcare",
    "Logistics",
    "Finance",
    "Education",
    "Energy",
];
const TERRITORIES: [&str; 6] = ["North", "South", "East", "West", "Central", "International"];
const SOURCES: [&str; 5] = ["Referral", "Trade show", "Inbound", "LinkedIn", "Cold list"];
const TAGS: [&str; 6] = [
    "enterprise",
    "mid-market",
    "smb",
    "priority",
    "expansion",
    "emea",
];

/// How a prospect's story goes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Story {
    Untouched,
    Trying,
    Future,
    Current(Stage),
    Won,
    Lost,
    NoInterest,
    CameBack,
}

fn pick_story(rng: &mut StdRng) -> Story {
    match rng.random_range(0..1000) {
        0..60 => Story::Untouched,
        60..300 => Story::Trying,
        300..600 => Story::Future,
        600..650 => Story::Current(Stage::Qualifying),
        650..670 => Story::Current(Stage::Meeting),
        670..685 => Story::Current(Stage::Proposal),
        685..690 => Story::Current(Stage::Negotiation),
        690..730 => Story::Won,
        730..760 => Story::Lost,
        760..960 => Story::NoInterest,
        _ => Story::CameBack,
    }
}

/// Refuses a database that already holds prospects; does nothing if the scale
/// organisation is there already.
pub async fn seed(state: &AppState, sizes: &Sizes, progress: bool) -> anyhow::Result<Report> {
    // Its own pool: a connection per COPY stream, and no log line per long statement.
    let options = state
        .db
        .connect_options()
        .as_ref()
        .clone()
        .disable_statement_logging();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(12)
        .connect_with(options)
        .await?;
    let db = &pool;
    let started = Instant::now();
    if sqlx::query_scalar!(
        "select exists (select 1 from users where email = $1) as \"exists!\"",
        ADMIN_EMAIL
    )
    .fetch_one(db)
    .await?
    {
        anyhow::bail!("the scale organisation is already in this database");
    }
    if sqlx::query_scalar!("select exists (select 1 from prospects) as \"exists!\"")
        .fetch_one(db)
        .await?
    {
        anyhow::bail!(
            "seed --scale writes into an empty database, and this one has prospects; \
             point DATABASE_URL at a new database"
        );
    }
    anyhow::ensure!(
        sizes.reps >= sizes.teams && sizes.teams > 0 && sizes.accounts > 0 && sizes.prospects > 0,
        "need at least one team, one rep per team, one account and one prospect"
    );

    let bars = Bars::new(progress, sizes);
    bars.stage("users, teams and cadences");
    let org = write_organisation(state, sizes).await?;

    bars.stage("dropping secondary indexes");
    let indexes = drop_indexes(db).await?;

    bars.stage("generating and copying rows");
    let (senders, copies) = start_copies(db).await?;
    let generator = {
        let sizes = sizes.clone();
        let bar = bars.rows.clone();
        let org = org.clone();
        tokio::task::spawn_blocking(move || generate(&sizes, &org, senders, &bar))
    };
    let mut ids = generator.await.context("the generator panicked")??;
    for copy in copies {
        copy.await.context("a COPY task panicked")??;
    }
    bars.rows.finish();

    bars.stage("rebuilding indexes");
    side_by_side(db, largest_tables_first(db, indexes).await?, &bars.jobs).await?;

    bars.stage("sequences, rollups and vacuum");
    for (table, next) in ids.sequences() {
        sqlx::query(&format!(
            "select setval(pg_get_serial_sequence('{table}', 'id'), {})",
            (next - 1).max(1)
        ))
        .execute(db)
        .await?;
    }
    // The rollups the generator did not write are refilled from their scan views, side by
    // side with vacuuming the tables they read. Vacuumed, not only analysed: the
    // visibility map lets the dashboard's and the queues' counts read their indexes alone,
    // as they do on a database that autovacuum keeps.
    let mut jobs: Vec<(String, String)> = rollups::REFILLED
        .iter()
        .filter(|table| !WRITTEN_ROLLUPS.contains(table))
        .map(|table| (table.to_string(), rollups::refill_statement(table)))
        .collect();
    // The interactions, the largest, early; the rollup tables once refilled, below.
    jobs.insert(1, vacuum("interactions"));
    jobs.extend(
        TABLES
            .iter()
            .map(|(table, _)| *table)
            .filter(|table| *table != "interactions" && !WRITTEN_ROLLUPS.contains(table))
            .map(vacuum),
    );
    side_by_side(db, jobs, &bars.jobs).await?;
    let rollup_tables = rollups::REFILLED.join(", ");
    db.execute(format!("vacuum (analyze) {rollup_tables}").as_str())
        .await?;
    db.execute("analyze").await?;
    bars.done();

    ids.rows.insert(0, ("users", org.users as u64));
    Ok(Report {
        rows: ids.rows.drain(..).collect(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

// ---------------------------------------------------------------------------------------
// Progress
// ---------------------------------------------------------------------------------------

struct Bars {
    multi: MultiProgress,
    stage: ProgressBar,
    rows: ProgressBar,
    /// The statements run side by side: index rebuilds, then refills and vacuums.
    jobs: ProgressBar,
    started: Instant,
}

impl Bars {
    fn new(visible: bool, sizes: &Sizes) -> Self {
        let multi = MultiProgress::new();
        if !visible {
            multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        let stage = multi.add(ProgressBar::new_spinner());
        stage.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed}] {msg}").expect("a style"),
        );
        stage.enable_steady_tick(std::time::Duration::from_millis(200));
        let rows = multi.add(ProgressBar::new(sizes.prospects as u64));
        rows.set_style(
            ProgressStyle::with_template(
                "  prospects {bar:40} {pos}/{len} ({per_sec}, {eta} left) {msg}",
            )
            .expect("a style"),
        );
        let jobs = multi.add(ProgressBar::new(0));
        jobs.set_style(
            ProgressStyle::with_template("  steps     {bar:40} {pos}/{len} {msg}")
                .expect("a style"),
        );
        Bars {
            multi,
            stage,
            rows,
            jobs,
            started: Instant::now(),
        }
    }

    fn stage(&self, what: &str) {
        self.stage.set_message(what.to_string());
        // Without a terminal the bars are hidden: say each stage on a line of its own.
        let line = format!("==> {what} (at {} s)", self.started.elapsed().as_secs());
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            let _ = self.multi.println(line);
        }
    }

    fn done(&self) {
        self.stage.finish_with_message("done");
    }
}

// ---------------------------------------------------------------------------------------
// The organisation: written through the ordinary queries, it is small
// ---------------------------------------------------------------------------------------

#[derive(Clone)]
struct Organisation {
    users: usize,
    /// Reps' ids, with each rep's team index and standard UTC offset in seconds.
    reps: Vec<(i64, usize, i64)>,
    /// Each team's rep indexes (into `reps`).
    team_reps: Vec<Vec<usize>>,
    pursue: Cadence,
    nurture: Cadence,
    now: i64,
}

#[derive(Clone)]
struct Cadence {
    id: i64,
    version_id: i64,
    /// (step id, channel, delay in business days), by position.
    steps: Vec<(i64, String, i64)>,
}

async fn write_organisation(state: &AppState, sizes: &Sizes) -> anyhow::Result<Organisation> {
    let db = &state.db;
    let hash = password::hash_password(state, PASSWORD.to_string()).await?;
    let mut tx = db.begin().await?;
    let admin = sqlx::query_scalar!(
        "insert into users (email, name, password_hash, role, time_zone)
         values ($1, 'Scale Admin', $2, 'admin', 'UTC') returning id",
        ADMIN_EMAIL,
        hash
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut reps = Vec::with_capacity(sizes.reps);
    let mut team_reps = vec![Vec::new(); sizes.teams];
    for team in 0..sizes.teams {
        let (zone, offset) = ZONES[team % ZONES.len()];
        let team_id = sqlx::query_scalar!(
            "insert into teams (name) values ($1) returning id",
            format!("Team {:02}", team + 1)
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query_scalar!(
            "insert into users (email, name, password_hash, role, team_id, time_zone)
             values ($1, $2, $3, 'manager', $4, $5) returning id",
            format!("manager{}@scale.test", team + 1),
            format!("Manager {:02}", team + 1),
            hash,
            team_id,
            zone
        )
        .fetch_one(&mut *tx)
        .await?;
        let members = (team..sizes.reps).step_by(sizes.teams);
        for n in members {
            let id = sqlx::query_scalar!(
                "insert into users (email, name, password_hash, role, team_id, time_zone)
                 values ($1, $2, $3, 'rep', $4, $5) returning id",
                format!("rep{}@scale.test", n + 1),
                format!(
                    "{} {} {}",
                    FIRST_NAMES[n % FIRST_NAMES.len()],
                    LAST_NAMES[(n / FIRST_NAMES.len()) % LAST_NAMES.len()],
                    n + 1
                ),
                hash,
                team_id,
                zone
            )
            .fetch_one(&mut *tx)
            .await?;
            team_reps[team].push(reps.len());
            reps.push((id, team, offset * 3600));
        }
    }
    create_demo_cadences(&mut tx, admin).await?;
    let pursue = cadence(&mut tx, "pursue").await?;
    let nurture = cadence(&mut tx, "nurture").await?;
    tx.commit().await?;
    Ok(Organisation {
        users: 1 + sizes.teams + sizes.reps,
        reps,
        team_reps,
        pursue,
        nurture,
        now: OffsetDateTime::now_utc().unix_timestamp(),
    })
}

async fn cadence(conn: &mut sqlx::PgConnection, purpose: &str) -> anyhow::Result<Cadence> {
    let head = sqlx::query!(
        r#"select c.id, v.id as version_id from cadences c
           join cadence_versions v on v.cadence_id = c.id
           where c.purpose::text = $1 and c.is_default and not c.archived
           order by v.version desc limit 1"#,
        purpose
    )
    .fetch_one(&mut *conn)
    .await?;
    let steps = sqlx::query!(
        r#"select id, channel::text as "channel!", delay_business_days from cadence_steps
           where version_id = $1 order by position"#,
        head.version_id
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|s| (s.id, s.channel, i64::from(s.delay_business_days)))
    .collect();
    Ok(Cadence {
        id: head.id,
        version_id: head.version_id,
        steps,
    })
}

// ---------------------------------------------------------------------------------------
// Indexes: dropped before the load, rebuilt after it
// ---------------------------------------------------------------------------------------

/// Drops the secondary indexes of the loaded tables (not primary keys) and returns them:
/// table, name and definition.
async fn drop_indexes(db: &PgPool) -> anyhow::Result<Vec<(String, String, String)>> {
    let tables: Vec<String> = TABLES.iter().map(|(t, _)| t.to_string()).collect();
    let indexes: Vec<(String, String, String)> = sqlx::query_as(
        "select i.tablename::text, i.indexname::text, i.indexdef from pg_indexes i
         where i.schemaname = 'public' and i.tablename = any($1)
           and not exists (select 1 from pg_constraint c
                           where c.conname = i.indexname and c.contype in ('p', 'u'))
         order by i.tablename, i.indexname",
    )
    .bind(&tables)
    .fetch_all(db)
    .await?;
    for (_, name, _) in &indexes {
        db.execute(format!("drop index {name}").as_str()).await?;
    }
    Ok(indexes)
}

/// The indexes' names and definitions, those of the tables that are now the largest first.
async fn largest_tables_first(
    db: &PgPool,
    mut indexes: Vec<(String, String, String)>,
) -> anyhow::Result<Vec<(String, String)>> {
    let tables: Vec<&str> = TABLES.iter().map(|(table, _)| *table).collect();
    let sizes: HashMap<String, i64> =
        sqlx::query_as("select t, pg_relation_size(t::regclass) from unnest($1::text[]) t")
            .bind(&tables)
            .fetch_all(db)
            .await?
            .into_iter()
            .collect();
    indexes.sort_by_key(|(table, name, _)| {
        (std::cmp::Reverse(sizes.get(table).copied()), name.clone())
    });
    Ok(indexes
        .into_iter()
        .map(|(_, name, def)| (name, def))
        .collect())
}

/// `vacuum (analyze)` of `table`, as a step for [`side_by_side`].
fn vacuum(table: &str) -> (String, String) {
    (
        format!("vacuum {table}"),
        format!("vacuum (analyze) {table}"),
    )
}

/// Runs the statements (each named, for the progress bar) two at a time, one per core, in
/// the order given: the costliest should come first.
async fn side_by_side(
    db: &PgPool,
    steps: Vec<(String, String)>,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    bar.set_position(0);
    bar.set_length(steps.len() as u64);
    let queue = Arc::new(tokio::sync::Mutex::new(VecDeque::from(steps)));
    let mut workers = Vec::new();
    for _ in 0..2 {
        let queue = queue.clone();
        let db = db.clone();
        let bar = bar.clone();
        workers.push(tokio::spawn(async move {
            let mut conn = db.acquire().await?;
            conn.execute("set maintenance_work_mem = '512MB'").await?;
            loop {
                let Some((name, sql)) = queue.lock().await.pop_front() else {
                    return anyhow::Ok(());
                };
                bar.set_message(name.clone());
                conn.execute(sql.as_str())
                    .await
                    .with_context(|| name.clone())?;
                bar.inc(1);
            }
        }));
    }
    for worker in workers {
        worker.await.context("a worker panicked")??;
    }
    bar.set_message("");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// COPY: one connection per table, fed chunks of text-format rows
// ---------------------------------------------------------------------------------------

const CHUNK: usize = 1 << 20;

type Copies = Vec<tokio::task::JoinHandle<anyhow::Result<()>>>;

async fn start_copies(db: &PgPool) -> anyhow::Result<(Vec<Vec<CopySender>>, Copies)> {
    let mut senders = Vec::new();
    let mut tasks = Vec::new();
    for (table, columns) in TABLES {
        let mut streams = Vec::new();
        for _ in 0..copy_streams(table) {
            let (tx, mut rx) = mpsc::channel::<Vec<u8>>(8);
            let mut conn = db.acquire().await?.detach();
            conn.execute("set session_replication_role = replica; set synchronous_commit = off")
                .await?;
            streams.push(tx);
            tasks.push(tokio::spawn(async move {
                let mut copy = conn
                    .copy_in_raw(&format!("copy {table} ({columns}) from stdin"))
                    .await?;
                while let Some(chunk) = rx.recv().await {
                    copy.send(chunk).await?;
                }
                copy.finish()
                    .await
                    .with_context(|| format!("copying {table}"))?;
                Ok(())
            }));
        }
        senders.push(streams);
    }
    Ok((senders, tasks))
}

/// Where a table's chunks of rows go: one of its COPY streams.
type CopySender = mpsc::Sender<Vec<u8>>;

/// A table's rows being written: a text-format buffer sent in chunks, to each of the
/// table's COPY streams in turn.
struct Table {
    streams: Vec<CopySender>,
    chunks: usize,
    buf: Vec<u8>,
    rows: u64,
}

impl Table {
    fn new(streams: Vec<CopySender>) -> Self {
        assert!(!streams.is_empty(), "a table needs a COPY stream");
        Table {
            streams,
            chunks: 0,
            buf: Vec::with_capacity(CHUNK + 4096),
            rows: 0,
        }
    }

    fn end_row(&mut self) -> anyhow::Result<()> {
        *self.buf.last_mut().expect("a field") = b'\n';
        self.rows += 1;
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> anyhow::Result<()> {
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK + 4096));
        let stream = &self.streams[self.chunks % self.streams.len()];
        self.chunks += 1;
        stream
            .blocking_send(full)
            .map_err(|_| anyhow::anyhow!("a COPY stopped early (see its error)"))
    }

    fn int(&mut self, v: i64) -> &mut Self {
        let mut b = itoa::Buffer::new();
        self.buf.extend_from_slice(b.format(v).as_bytes());
        self.buf.push(b'\t');
        self
    }

    /// Text without tabs, newlines or backslashes (all generated text is).
    fn text(&mut self, v: &str) -> &mut Self {
        self.buf.extend_from_slice(v.as_bytes());
        self.buf.push(b'\t');
        self
    }

    /// A field that may be missing: written by `write` (`Table::int`, `Table::text`, …), or
    /// `\N`.
    fn opt<T>(&mut self, v: Option<T>, write: fn(&mut Self, T) -> &mut Self) -> &mut Self {
        match v {
            Some(v) => write(self, v),
            None => self.null(),
        }
    }

    fn null(&mut self) -> &mut Self {
        self.buf.extend_from_slice(b"\\N\t");
        self
    }

    fn bool(&mut self, v: bool) -> &mut Self {
        self.text(if v { "t" } else { "f" })
    }

    /// A Unix time as `YYYY-MM-DD HH:MM:SS+00`.
    fn ts(&mut self, unix: i64) -> &mut Self {
        let day = unix.div_euclid(86_400);
        let secs = unix.rem_euclid(86_400);
        self.push_date(day);
        let _ = write!(
            Writer(&mut self.buf),
            " {:02}:{:02}:{:02}+00\t",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
        self
    }

    /// A day number (days since 1970-01-01) as `YYYY-MM-DD`.
    fn date(&mut self, day: i64) -> &mut Self {
        self.push_date(day);
        self.buf.push(b'\t');
        self
    }

    fn push_date(&mut self, day: i64) {
        let date = Date::from_julian_day(UNIX_EPOCH_JULIAN + day as i32).expect("a valid day");
        let _ = write!(
            Writer(&mut self.buf),
            "{:04}-{:02}-{:02}",
            date.year(),
            date.month() as u8,
            date.day()
        );
    }
}

const UNIX_EPOCH_JULIAN: i32 = 2_440_588;

struct Writer<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Writer<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The next id of each table, and the rows written.
struct Ids {
    next: [i64; 7],
    rows: Vec<(&'static str, u64)>,
}

impl Ids {
    fn sequences(&self) -> Vec<(&'static str, i64)> {
        TABLES
            .iter()
            .zip(self.next)
            .map(|((table, _), next)| (*table, next))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------------------

/// Working-hours instant on local day `day` (days since the epoch) for a rep at `offset`
/// seconds from UTC, `minute` minutes after 09:00, moved off weekends.
fn working_instant(day: i64, minute: i64, offset: i64) -> i64 {
    // 1970-01-01 was a Thursday: weekday 0 = Monday.
    let weekday = (day + 3).rem_euclid(7);
    let day = match weekday {
        5 => day - 1,
        6 => day + 1,
        _ => day,
    };
    day * 86_400 + 9 * 3600 + minute.clamp(0, 479) * 60 - offset
}

/// The local day (days since the epoch) of an instant for a rep at `offset`.
fn local_day(unix: i64, offset: i64) -> i64 {
    (unix + offset).div_euclid(86_400)
}

fn contact_level(outcome: &str) -> i64 {
    match outcome {
        "meeting_held" => 4,
        "meeting_booked" => 3,
        "connected" | "replied" => 2,
        _ => 1,
    }
}

/// One interaction of a story, before it is written.
struct Touchpoint {
    at: i64,
    channel: &'static str,
    outcome: &'static str,
    decision: Option<&'static str>,
    no_interest_reason: Option<&'static str>,
    re_engage_on: Option<i64>,
    opens_opportunity: bool,
}

#[allow(clippy::too_many_lines)]
fn generate(
    sizes: &Sizes,
    org: &Organisation,
    senders: Vec<Vec<CopySender>>,
    bar: &ProgressBar,
) -> anyhow::Result<Ids> {
    let mut rng = StdRng::seed_from_u64(20_261_201);
    let mut tables: Vec<Table> = senders.into_iter().map(Table::new).collect();
    let [
        accounts,
        prospects,
        opportunities,
        interactions,
        enrollments,
        touches,
        events,
        activity_rollup,
    ] = &mut tables[..]
    else {
        unreachable!("eight tables")
    };
    // (user, local day, channel) -> interactions, and decisions current, future and none.
    let mut activity: HashMap<(i64, i64, &'static str), [i64; 4]> = HashMap::new();
    let now = org.now;
    let today = local_day(now, 0);

    // Reps get accounts by a power law (the busiest carries about five times the average);
    // accounts get prospects by another.
    let mut rep_weights: Vec<f64> = (0..org.reps.len())
        .map(|r| 1.0 / ((r + 1) as f64).powf(0.3))
        .collect();
    rep_weights.shuffle(&mut rng);
    let rep_pick = WeightedIndex::new(&rep_weights)?;
    let mut account_owner = Vec::with_capacity(sizes.accounts);
    for a in 0..sizes.accounts {
        let rep = rep_pick.sample(&mut rng);
        account_owner.push(rep);
        let id = a as i64 + 1;
        let created = now - rng.random_range(DAYS..DAYS + 365) * 86_400;
        accounts
            .int(id)
            .int(org.reps[rep].0)
            .text(&format!(
                "{} {} {}",
                LAST_NAMES[a % LAST_NAMES.len()],
                INDUSTRIES[(a / 7) % INDUSTRIES.len()],
                id
            ))
            .text(&format!("account{id}.example"))
            .text(INDUSTRIES[a % INDUSTRIES.len()])
            .int(rng.random_range(5..20_000))
            .text(TERRITORIES[a % TERRITORIES.len()])
            .ts(created)
            .ts(created);
        accounts.end_row()?;
    }
    let account_weights: Vec<f64> = (0..sizes.accounts)
        .map(|a| 1.0 / ((a % 5_000 + 1) as f64).powf(0.5))
        .collect();
    let account_pick = WeightedIndex::new(&account_weights)?;

    // Interactions per prospect: a lognormal weight, scaled to the total asked for.
    let stories: Vec<Story> = (0..sizes.prospects).map(|_| pick_story(&mut rng)).collect();
    let weights: Vec<f64> = stories
        .iter()
        .map(|s| {
            if *s == Story::Untouched {
                0.0
            } else {
                let normal: f64 = (0..6).map(|_| rng.random::<f64>()).sum::<f64>() - 3.0;
                (normal * 0.9).exp()
            }
        })
        .collect();
    let total_weight: f64 = weights.iter().sum();
    let scale = sizes.interactions as f64 / total_weight.max(1.0);

    let mut next_opportunity = 1i64;
    let mut next_interaction = 1i64;
    let mut next_enrollment = 1i64;
    let mut next_touch = 1i64;
    let mut next_event = 1i64;
    let prospect_base = 1i64;

    for (i, &story) in stories.iter().enumerate() {
        let id = prospect_base + i as i64;
        let account = account_pick.sample(&mut rng);
        let rep = account_owner[account];
        let (owner, team, offset) = org.reps[rep];
        let teammates = &org.team_reps[team];
        let mut k = (weights[i] * scale).round() as usize;
        if story != Story::Untouched {
            k = k.clamp(
                match story {
                    Story::CameBack | Story::Won | Story::Lost => 2,
                    _ => 1,
                },
                600,
            );
        }

        // The days the prospect was worked, oldest first, all before today.
        let start_day = today - rng.random_range(2..DAYS);
        let created_at = (start_day - rng.random_range(1..30)) * 86_400 + 8 * 3600;
        let mut days: Vec<i64> = (0..k).map(|_| rng.random_range(start_day..today)).collect();
        days.sort_unstable();
        let mut points: Vec<Touchpoint> = days
            .iter()
            .map(|&day| {
                let channel = *[
                    "call", "call", "call", "email", "email", "email", "linkedin", "linkedin",
                    "mail", "event", "other",
                ]
                .choose(&mut rng)
                .expect("channels");
                let outcome = match rng.random_range(0..100) {
                    0..55 => "no_answer",
                    55..80 if channel == "call" => "left_message",
                    55..80 => "no_answer",
                    80..92 => "connected",
                    _ => "replied",
                };
                Touchpoint {
                    at: working_instant(day, rng.random_range(0..480), offset),
                    channel,
                    outcome,
                    decision: None,
                    no_interest_reason: None,
                    re_engage_on: None,
                    opens_opportunity: false,
                }
            })
            .collect();
        for p in points.iter_mut() {
            p.at = p.at.min(now - 3600);
        }
        points.sort_by_key(|p| p.at);

        // The decisions that make the story.
        let last = points.len().saturating_sub(1);
        let future_date =
            |rng: &mut StdRng, from: i64| local_day(from, offset) + rng.random_range(7..200);
        let decide_current = |p: &mut Touchpoint, rng: &mut StdRng| {
            p.channel = if rng.random_bool(0.5) {
                "meeting"
            } else {
                "call"
            };
            p.outcome = if p.channel == "meeting" {
                "meeting_held"
            } else {
                "meeting_booked"
            };
            p.decision = Some("current");
            p.opens_opportunity = true;
        };
        let mut stage = None;
        match story {
            Story::Untouched | Story::Trying => {
                for p in points.iter_mut() {
                    if p.outcome == "connected" || p.outcome == "replied" {
                        p.outcome = "no_answer";
                    }
                }
            }
            Story::Future => {
                let p = &mut points[last];
                p.outcome = "connected";
                p.decision = Some("future");
                p.re_engage_on = Some(future_date(&mut rng, p.at));
            }
            Story::Current(s) => {
                decide_current(&mut points[last], &mut rng);
                stage = Some(s);
            }
            Story::Won | Story::Lost => {
                decide_current(&mut points[last], &mut rng);
                stage = Some(if story == Story::Won {
                    Stage::Won
                } else {
                    Stage::Lost
                });
            }
            Story::NoInterest => {
                let p = &mut points[last];
                p.outcome = "not_interested";
                p.decision = Some("none");
                p.no_interest_reason = Some("Not a fit for now");
            }
            Story::CameBack => {
                let middle = last / 2;
                let p = &mut points[middle];
                p.outcome = "connected";
                p.decision = Some("future");
                p.re_engage_on = Some(future_date(&mut rng, p.at));
                decide_current(&mut points[last], &mut rng);
                stage = Some(Stage::Qualifying);
            }
        }

        // A future prospect's date that has come was honoured two times in three: a call
        // that day, logged from the re-engage touch.
        let re_engage_due = match (story, points.last().and_then(|p| p.re_engage_on)) {
            (Story::Future, Some(on)) => Some(on * 86_400 + 9 * 3600 - offset),
            _ => None,
        };
        let honoured =
            re_engage_due.is_some_and(|due| due + 1800 < now && rng.random_range(0..3) < 2);
        let plan_points = points.len();
        if let (true, Some(due)) = (honoured, re_engage_due) {
            points.push(Touchpoint {
                at: due + 1800,
                channel: "call",
                outcome: "connected",
                decision: None,
                no_interest_reason: None,
                re_engage_on: None,
                opens_opportunity: false,
            });
        }

        // Interest follows the decisions; each change is on the timeline.
        let mut interest = "new";
        let mut re_engage_on = None;
        let mut opportunity = None;
        let mut first_touch: Option<(i64, i64)> = None;
        let mut contact = 0;
        let first_interaction = next_interaction;
        for p in &points {
            let interaction = next_interaction;
            next_interaction += 1;
            let logger = if teammates.len() > 1 && rng.random_bool(0.05) {
                org.reps[*teammates.choose(&mut rng).expect("a teammate")].0
            } else {
                owner
            };
            let logger_offset = offset; // teammates share the team's zone
            if p.opens_opportunity && opportunity.is_none() {
                opportunity = Some(next_opportunity);
                next_opportunity += 1;
            }
            let opportunity_id = if p.opens_opportunity {
                opportunity
            } else {
                None
            };
            let day = local_day(p.at, logger_offset);
            let sums = activity.entry((logger, day, p.channel)).or_default();
            sums[0] += 1;
            match p.decision {
                Some("current") => sums[1] += 1,
                Some("future") => sums[2] += 1,
                Some("none") => sums[3] += 1,
                _ => {}
            }
            interactions
                .int(interaction)
                .int(id)
                .int(logger)
                .text(p.channel)
                .text(p.outcome)
                .opt(p.decision, Table::text)
                .opt(p.no_interest_reason, Table::text)
                .opt(p.re_engage_on, Table::date)
                .opt(opportunity_id, Table::int)
                .ts(p.at)
                .date(day)
                .ts(p.at);
            interactions.end_row()?;
            if first_touch.is_none() {
                first_touch = Some((p.at, day));
            }
            contact = contact.max(contact_level(p.outcome));
            if let Some(decision) = p.decision {
                let to = decision;
                if to != interest {
                    events
                        .int(next_event)
                        .int(id)
                        .int(logger)
                        .text("interest_changed")
                        .text(interest)
                        .text(to)
                        .null()
                        .null()
                        .int(interaction)
                        .ts(p.at);
                    events.end_row()?;
                    next_event += 1;
                    interest = to;
                }
                re_engage_on = p.re_engage_on;
            }
        }
        let last_at = points.last().map(|p| p.at);

        // The opportunity and how it ended.
        let mut funnel_opportunity = 0;
        if let (Some(opportunity_id), Some(stage)) = (opportunity, stage) {
            let opened = points
                .iter()
                .find(|p| p.opens_opportunity)
                .map(|p| p.at)
                .expect("an opening interaction");
            let open_stage = if stage.is_open() {
                stage
            } else {
                Stage::Negotiation
            };
            let closed = (!stage.is_open())
                .then(|| (opened + rng.random_range(2..40) * 86_400).min(now - 600));
            let value = rng.random_range(5..250) * 100_000;
            opportunities
                .int(opportunity_id)
                .int(id)
                .int(owner)
                .text(&format!("Account {} — prospect {id}", account + 1))
                .text(stage.as_str())
                .int(value)
                .int(i64::from(stage.default_probability()))
                .opt(
                    (stage == Stage::Lost).then_some("Chose a competitor"),
                    Table::text,
                )
                .opt(closed, Table::ts)
                .ts(opened)
                .ts(closed.unwrap_or(opened))
                .ts(closed.unwrap_or(opened).max(last_at.unwrap_or(opened)));
            opportunities.end_row()?;
            events
                .int(next_event)
                .int(id)
                .int(owner)
                .text("opportunity_opened")
                .null()
                .text(open_stage.as_str())
                .null()
                .int(opportunity_id)
                .null()
                .ts(opened);
            events.end_row()?;
            next_event += 1;
            funnel_opportunity = 5;
            if let Some(closed) = closed {
                events
                    .int(next_event)
                    .int(id)
                    .int(owner)
                    .text("stage_changed")
                    .text(open_stage.as_str())
                    .text(stage.as_str())
                    .null()
                    .int(opportunity_id)
                    .null()
                    .ts(closed);
                events.end_row()?;
                next_event += 1;
                let to = if stage == Stage::Won {
                    "customer"
                } else {
                    "none"
                };
                events
                    .int(next_event)
                    .int(id)
                    .int(owner)
                    .text("interest_changed")
                    .text(interest)
                    .text(to)
                    .null()
                    .int(opportunity_id)
                    .null()
                    .ts(closed);
                events.end_row()?;
                next_event += 1;
                interest = to;
                if stage == Stage::Won {
                    funnel_opportunity = 6;
                }
            }
        }

        // The plan: an open prospect is on a cadence (or, one in nine, a dead end); a past
        // cadence ended when the story moved on.
        let mut open_touches = 0;
        let open = matches!(interest, "new" | "current" | "future");
        let cadence = if interest == "future" {
            &org.nurture
        } else {
            &org.pursue
        };
        let started = points.first().map_or(created_at + 86_400, |p| p.at);
        if open && rng.random_range(0..9) > 0 {
            // Steps done: the last interactions, one per step, the next one pending.
            let done = plan_points
                .min(cadence.steps.len() - 1)
                .min(rng.random_range(0..4));
            let enrollment = next_enrollment;
            next_enrollment += 1;
            enrollments
                .int(enrollment)
                .int(id)
                .int(cadence.id)
                .int(cadence.version_id)
                .text("active")
                .int(done as i64 + 1)
                .int(owner)
                .null()
                .ts(started)
                .null()
                .ts(last_at.unwrap_or(started))
                .null()
                .null()
                .int(done as i64 + 1);
            enrollments.end_row()?;
            let mut after = started;
            for (n, &(step_id, ref channel, _)) in cadence.steps.iter().enumerate().take(done) {
                let point = plan_points - done + n;
                let at = points[point].at;
                touches
                    .int(next_touch)
                    .int(id)
                    .int(owner)
                    .text("step")
                    .int(enrollment)
                    .int(step_id)
                    .text(channel)
                    .ts(at)
                    .text("done")
                    .null()
                    .int(first_interaction + point as i64)
                    .ts(at)
                    .date(local_day(at, offset))
                    .ts(at)
                    .date(local_day(at, offset))
                    .bool(false);
                touches.end_row()?;
                next_touch += 1;
                after = at;
            }
            // The next step falls due from today on, over the next two weeks for a pursue
            // cadence and two months for a sparse nurture one; one in thirty is overdue by
            // up to two weeks (a team that mostly keeps up).
            let (step_id, channel, _) = &cadence.steps[done];
            let spread = if interest == "future" { 60 } else { 14 };
            let due_day = if rng.random_range(0..30) == 0 {
                today - rng.random_range(1..14)
            } else {
                today + rng.random_range(0..spread)
            };
            let due = working_instant(due_day, 0, offset);
            touches
                .int(next_touch)
                .int(id)
                .int(owner)
                .text("step")
                .int(enrollment)
                .int(*step_id)
                .text(channel)
                .ts(due)
                .text("pending")
                .null()
                .null()
                .null()
                .null()
                .ts(after)
                .date(local_day(due, offset))
                .bool(false);
            touches.end_row()?;
            next_touch += 1;
            open_touches += 1;
        } else if matches!(story, Story::NoInterest | Story::Won | Story::Lost)
            && !points.is_empty()
        {
            // The pursue cadence they were on, ended by the decision.
            let (ending, reason, at) = match story {
                Story::NoInterest => ("exited", Some("No interest"), last_at.unwrap_or(started)),
                _ => ("completed", None, last_at.unwrap_or(started)),
            };
            let enrollment = next_enrollment;
            next_enrollment += 1;
            enrollments
                .int(enrollment)
                .int(id)
                .int(org.pursue.id)
                .int(org.pursue.version_id)
                .text(ending)
                .int(1)
                .int(owner)
                .opt(reason, Table::text)
                .ts(started)
                .ts(at)
                .ts(at)
                .int(owner)
                .date(local_day(at, offset))
                .int(1);
            enrollments.end_row()?;
            let (step_id, channel, _) = &org.pursue.steps[0];
            let status = if ending == "exited" {
                "skipped"
            } else {
                "done"
            };
            touches
                .int(next_touch)
                .int(id)
                .int(owner)
                .text("step")
                .int(enrollment)
                .int(*step_id)
                .text(channel)
                .ts(started)
                .text(status)
                .opt(
                    (status == "skipped").then_some("Left Pursue: No interest"),
                    Table::text,
                )
                .opt((status == "done").then_some(first_interaction), Table::int)
                .ts(at)
                .date(local_day(at, offset))
                .ts(started)
                .date(local_day(started, offset))
                .bool(status == "skipped");
            touches.end_row()?;
            next_touch += 1;
        }

        // A future prospect's re-engage touch: done by that call, or pending (overdue once
        // the date has passed).
        if let Some(due) = re_engage_due {
            let done_at = honoured.then_some(due + 1800);
            touches
                .int(next_touch)
                .int(id)
                .int(owner)
                .text("re_engage")
                .null()
                .null()
                .text("call")
                .ts(due)
                .text(if honoured { "done" } else { "pending" })
                .null()
                .opt(honoured.then_some(next_interaction - 1), Table::int)
                .opt(done_at, Table::ts)
                .opt(done_at.map(|at| local_day(at, offset)), Table::date)
                .ts(points[plan_points - 1].at)
                .date(local_day(due, offset))
                .bool(false);
            touches.end_row()?;
            next_touch += 1;
            if !honoured {
                open_touches += 1;
            }
        }

        // The prospect itself, with what the triggers would have derived.
        let first = FIRST_NAMES[i % FIRST_NAMES.len()];
        let last_name = format!(
            "{}{}",
            NAME_STARTS[(i / 7) % NAME_STARTS.len()],
            NAME_ENDS[(i / 7 / NAME_STARTS.len()) % NAME_ENDS.len()]
        );
        let dead_reason = (open && open_touches == 0 && rng.random_bool(0.3))
            .then_some("Only reachable at trade shows");
        let tags = format!("{{{}}}", TAGS[i % TAGS.len()]);
        prospects
            .int(id)
            .int(owner)
            .int(account as i64 + 1)
            .text(first)
            .text(&last_name)
            .text(TITLES[i % TITLES.len()])
            .text(&format!("p{id}@account{}.example", account + 1))
            .text(&format!("+1 555 {:07}", i % 10_000_000))
            .text(SOURCES[i % SOURCES.len()])
            .text(&tags)
            .text(interest)
            .bool(story == Story::NoInterest && i % 10 == 0)
            .opt(re_engage_on.filter(|_| interest == "future"), Table::date)
            .opt(last_at, Table::ts)
            .ts(created_at)
            .ts(last_at.unwrap_or(created_at))
            .opt(dead_reason, Table::text)
            .int(open_touches)
            .opt(first_touch.map(|f| f.0), Table::ts)
            .opt(first_touch.map(|f| f.1), Table::date)
            .int(contact)
            .int(funnel_opportunity);
        prospects.end_row()?;

        if i % 5_000 == 0 {
            bar.set_position(i as u64);
            bar.set_message(format!("{} interactions", next_interaction - 1));
        }
    }
    bar.set_position(sizes.prospects as u64);

    let mut keys: Vec<_> = activity.keys().copied().collect();
    keys.sort_unstable();
    for key in keys {
        let (user, day, channel) = key;
        let [interactions, current, future, none] = activity[&key];
        activity_rollup
            .int(user)
            .date(day)
            .text(channel)
            .int(interactions)
            .int(current)
            .int(future)
            .int(none)
            .bool(true);
        activity_rollup.end_row()?;
    }

    let mut rows = Vec::new();
    for (table, (name, _)) in tables.iter_mut().zip(TABLES) {
        table.flush()?;
        rows.push((name, table.rows));
    }
    drop(tables);
    Ok(Ids {
        next: [
            sizes.accounts as i64 + 1,
            prospect_base + sizes.prospects as i64,
            next_opportunity,
            next_interaction,
            next_enrollment,
            next_touch,
            next_event,
        ],
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_instants_fall_on_weekdays_between_nine_and_five() {
        // 2026-12-05 is a Saturday: moved to Friday the 4th.
        let saturday = Date::from_calendar_date(2026, time::Month::December, 5)
            .unwrap()
            .to_julian_day() as i64
            - i64::from(UNIX_EPOCH_JULIAN);
        let at = working_instant(saturday, 60, -5 * 3600);
        let local = OffsetDateTime::from_unix_timestamp(at - 5 * 3600).unwrap();
        assert_eq!(local.weekday(), time::Weekday::Friday);
        assert_eq!(local.hour(), 10);
        assert_eq!(local_day(at, -5 * 3600), saturday - 1);
    }

    #[test]
    fn the_text_format_writes_nulls_dates_and_times() {
        let (tx, _rx) = mpsc::channel(1);
        let mut t = Table::new(vec![tx]);
        t.int(7).null().ts(0).date(1).text("x");
        t.end_row().unwrap();
        assert_eq!(
            String::from_utf8(t.buf).unwrap(),
            "7\t\\N\t1970-01-01 00:00:00+00\t1970-01-02\tx\n"
        );
    }
}
