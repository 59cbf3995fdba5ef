//! Importing in the background, one batch per transaction.
//!
//! A batch claims the oldest queued or running import with `for update skip locked`
//! (another instance takes the next import, or waits for the next batch), reads the next
//! [`BATCH_ROWS`] records from the position the last batch committed, writes them with a
//! handful of multi-row statements, records the rows it did not import and why, and moves
//! the position on, all in one transaction. A crash or a lost connection rolls the batch
//! back whole: the next claim, here or in another instance, redoes it from the same
//! position, so no row is imported twice or skipped.
//!
//! The file is read from the row once per instance and kept in memory ([`Cache`]) with
//! the first line of each email in it, which is how a later row is known to repeat an
//! earlier one whichever instance imports which batch.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::Context as _;
use csv::StringRecord;
use sqlx::{PgConnection, PgPool, types::Json};
use tokio::sync::Mutex;

use super::{
    DuplicatePolicy, ImportStatus,
    fields::ImportField,
    file,
    rows::{self, ImportRow},
};
use crate::{
    accounts,
    auth::{CurrentUser, Scope},
    enrollments::db as enrollments_db,
    process::{Event, store},
    prospects::{self, QualifyingField, db::ExistingEmail},
    users::Role,
};

/// Rows per batch: large enough that the per-statement cost vanishes, small enough that a
/// batch commits in a fraction of a second and a crash redoes little.
pub const BATCH_ROWS: usize = 1000;

/// Consecutive failed batches (the database, not the data) before an import is failed.
const MAX_ATTEMPTS: i32 = 5;

/// Why a row was not imported as it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Invalid,
    DuplicateInFile,
    DuplicateExisting,
    NotUpdated,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Invalid => "invalid",
            ProblemKind::DuplicateInFile => "duplicate_in_file",
            ProblemKind::DuplicateExisting => "duplicate_existing",
            ProblemKind::NotUpdated => "not_updated",
        }
    }

    pub fn label(raw: &str) -> &'static str {
        match raw {
            "invalid" => "Invalid",
            "duplicate_in_file" => "Duplicate in the file",
            "duplicate_existing" => "Already in Prospector",
            "not_updated" => "Not yours to update",
            _ => "Problem",
        }
    }
}

/// What becomes of one row.
#[derive(Debug, Clone)]
pub enum Verdict {
    Create(ImportRow),
    Update { id: i64, row: ImportRow },
    Problem { kind: ProblemKind, message: String },
}

/// What a row is judged against.
pub struct Judge<'a> {
    pub headers: usize,
    pub mapping: &'a [Option<ImportField>],
    /// The first line of each email in the file.
    pub first_lines: &'a HashMap<String, u64>,
    /// The prospects that already hold the file's emails.
    pub existing: &'a HashMap<String, ExistingEmail>,
    pub policy: DuplicatePolicy,
    pub scope: &'a Scope,
}

impl Judge<'_> {
    pub fn judge(&self, line: u64, record: &StringRecord) -> Verdict {
        let row = match rows::validate(record, self.headers, self.mapping) {
            Ok(row) => row,
            Err(message) => {
                return Verdict::Problem {
                    kind: ProblemKind::Invalid,
                    message,
                };
            }
        };
        let Some(email) = row.email() else {
            return Verdict::Create(row);
        };
        if let Some(first) = self.first_lines.get(email).filter(|first| **first != line) {
            return Verdict::Problem {
                kind: ProblemKind::DuplicateInFile,
                message: format!(
                    "Line {first} has the same email; only the first row with an email is imported."
                ),
            };
        }
        match (self.existing.get(email), self.policy) {
            (None, _) => Verdict::Create(row),
            (Some(found), DuplicatePolicy::Skip) => Verdict::Problem {
                kind: ProblemKind::DuplicateExisting,
                message: format!(
                    "{} ({}'s prospect) already has this email; skipped, as chosen.",
                    found.name, found.owner_name
                ),
            },
            (Some(found), DuplicatePolicy::Update) if self.scope.includes(found.owner_id) => {
                Verdict::Update { id: found.id, row }
            }
            (Some(found), DuplicatePolicy::Update) => Verdict::Problem {
                kind: ProblemKind::NotUpdated,
                message: format!(
                    "{} already has this email and belongs to {}, whose prospects you cannot edit; not updated.",
                    found.name, found.owner_name
                ),
            },
        }
    }
}

/// The first line of each email in the file (in the mapped email column).
pub fn first_lines(
    text: &[u8],
    delimiter: u8,
    mapping: &[Option<ImportField>],
) -> anyhow::Result<HashMap<String, u64>> {
    let mut reader = file::reader_at(text, delimiter, &file::position(0, 1, 0))?;
    let mut first = HashMap::new();
    let mut record = StringRecord::new();
    let mut header = true;
    while reader.read_record(&mut record)? {
        if std::mem::take(&mut header) {
            continue;
        }
        if let Some(email) = rows::email_key(&record, mapping) {
            let line = file::line_of_record(text, &record);
            first.entry(email).or_insert(line);
        }
    }
    Ok(first)
}

/// The prospects holding these emails, by email.
pub async fn existing(
    conn: &mut PgConnection,
    emails: Vec<String>,
) -> sqlx::Result<HashMap<String, ExistingEmail>> {
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(prospects::db::find_by_emails(conn, &emails)
        .await?
        .into_iter()
        .map(|e| (e.email.to_lowercase(), e))
        .collect())
}

/// One instance's copy of the file it is importing.
struct Loaded {
    import_id: i64,
    text: Vec<u8>,
    first_lines: HashMap<String, u64>,
}

/// The file of the import in hand, kept between batches (cheap to clone).
#[derive(Clone, Default)]
pub struct Cache(Arc<Mutex<Option<Arc<Loaded>>>>);

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("imports::run::Cache")
    }
}

/// What the batches of a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub batches: u64,
    pub rows: u64,
}

struct Claimed {
    id: i64,
    created_by: i64,
    owner_id: i64,
    cadence_id: Option<i64>,
    duplicates: DuplicatePolicy,
    mapping: Json<Vec<Option<ImportField>>>,
    delimiter: String,
    headers: Vec<String>,
    status: ImportStatus,
    next_byte: i64,
    next_line: i64,
    next_record: i64,
}

/// Runs batches until no import is waiting, `budget` is spent or `stop` says so.
pub async fn work(
    db: &PgPool,
    cache: &Cache,
    budget: Duration,
    stop: impl Fn() -> bool,
) -> anyhow::Result<Report> {
    let started = Instant::now();
    let mut report = Report::default();
    while !stop() && started.elapsed() < budget {
        match batch(db, cache).await? {
            Some(rows) => {
                report.batches += 1;
                report.rows += rows;
            }
            None => break,
        }
    }
    Ok(report)
}

/// Whether an import is waiting for its next batch.
pub async fn pending(db: &PgPool) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select exists (select 1 from imports where status in ('queued', 'running')) as "pending!""#
    )
    .fetch_one(db)
    .await
}

/// One batch of the oldest import not held by another instance. Returns the rows it
/// handled, or `None` when no import is waiting.
pub async fn batch(db: &PgPool, cache: &Cache) -> anyhow::Result<Option<u64>> {
    let mut tx = db.begin().await?;
    let claimed = sqlx::query_as!(
        Claimed,
        r#"select id, created_by, owner_id, cadence_id, duplicates as "duplicates: DuplicatePolicy",
                  mapping as "mapping: Json<Vec<Option<ImportField>>>", delimiter, headers,
                  status as "status: ImportStatus", next_byte, next_line, next_record
           from imports where status in ('queued', 'running')
           order by id limit 1
           for update skip locked"#
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(job) = claimed else {
        return Ok(None);
    };
    let id = job.id;
    match import_batch(&mut tx, cache, job).await {
        Ok(rows) => {
            tx.commit().await?;
            Ok(Some(rows))
        }
        Err(err) => {
            tx.rollback().await?;
            *cache.0.lock().await = None;
            // The page shows a sentence; the details go to the log, as for any 5xx.
            let error_id = format!("{:08x}", rand::random::<u32>());
            tracing::error!(import_id = id, error_id, error = %format!("{err:#}"), "an import batch failed");
            let failed = sqlx::query_scalar!(
                r#"update imports
                   set attempts = attempts + 1, updated_at = now(),
                       error = case when attempts + 1 >= $3
                           then 'The import stopped after repeated server errors (logged as ' || $2 || '). The rows imported so far stay; upload the rest again.'
                           else 'A server error interrupted the import (logged as ' || $2 || '); it is being retried.' end,
                       status = case when attempts + 1 >= $3 then 'failed'::import_status else status end,
                       finished_at = case when attempts + 1 >= $3 then now() end
                   where id = $1
                   returning status = 'failed' as "failed!""#,
                id,
                error_id,
                MAX_ATTEMPTS
            )
            .fetch_one(db)
            .await?;
            if failed {
                tracing::error!(import_id = id, error_id, "import failed for good");
            }
            Err(err.context(format!("importing a batch of import {id}")))
        }
    }
}

/// The creator of the import as a user with their scope, or `None` if deactivated.
async fn creator(conn: &mut PgConnection, user_id: i64) -> sqlx::Result<Option<(i64, Scope)>> {
    let user = sqlx::query_as!(
        CurrentUser,
        r#"select id, email::text as "email!", name, role as "role: Role", team_id, time_zone
           from users where id = $1 and active"#,
        user_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(user) = user else { return Ok(None) };
    let scope = Scope::for_user(&mut *conn, &user).await?;
    Ok(Some((user.id, scope)))
}

async fn load(
    conn: &mut PgConnection,
    cache: &Cache,
    job: &Claimed,
    delimiter: u8,
) -> anyhow::Result<Arc<Loaded>> {
    let mut slot = cache.0.lock().await;
    if let Some(loaded) = slot.as_ref().filter(|l| l.import_id == job.id) {
        return Ok(loaded.clone());
    }
    let text = super::db::content(&mut *conn, job.id).await?;
    let first_lines = first_lines(&text, delimiter, &job.mapping)?;
    let loaded = Arc::new(Loaded {
        import_id: job.id,
        text,
        first_lines,
    });
    *slot = Some(loaded.clone());
    Ok(loaded)
}

async fn import_batch(conn: &mut PgConnection, cache: &Cache, job: Claimed) -> anyhow::Result<u64> {
    let Some((actor_id, scope)) = creator(conn, job.created_by).await? else {
        sqlx::query!(
            r#"update imports set status = 'failed', content = '', finished_at = now(), updated_at = now(),
                      error = 'The person who started this import was deactivated.'
               where id = $1"#,
            job.id
        )
        .execute(&mut *conn)
        .await?;
        return Ok(0);
    };
    let delimiter = job.delimiter.bytes().next().unwrap_or(b',');
    let loaded = load(conn, cache, &job, delimiter).await?;

    // The batch's records, from where the last batch ended.
    let at = file::position(job.next_byte, job.next_line, job.next_record);
    let mut reader =
        file::reader_at(&loaded.text, delimiter, &at).context("seeking in the file")?;
    let mut records: Vec<(u64, StringRecord)> = Vec::with_capacity(BATCH_ROWS);
    let mut record = StringRecord::new();
    let mut finished = false;
    while records.len() < BATCH_ROWS {
        if !reader
            .read_record(&mut record)
            .context("reading the file")?
        {
            finished = true;
            break;
        }
        if !file::is_blank(&record) {
            let line = file::line_of_record(&loaded.text, &record);
            records.push((line, record.clone()));
        }
    }
    let next = reader.position().clone();
    // A full batch that ends at the end of the file is the last one.
    finished = finished || reader.is_done() || next.byte() as usize >= loaded.text.len();

    // Judge every row against the file and the database.
    let emails: Vec<String> = records
        .iter()
        .filter_map(|(_, r)| rows::email_key(r, &job.mapping))
        .collect();
    let existing = existing(conn, emails).await?;
    let judge = Judge {
        headers: job.headers.len(),
        mapping: &job.mapping,
        first_lines: &loaded.first_lines,
        existing: &existing,
        policy: job.duplicates,
        scope: &scope,
    };
    let mut creates: Vec<(u64, StringRecord, ImportRow)> = Vec::new();
    let mut updates: Vec<(i64, ImportRow)> = Vec::new();
    let mut problems = Problems::default();
    for (line, record) in records {
        match judge.judge(line, &record) {
            Verdict::Create(row) => creates.push((line, record, row)),
            Verdict::Update { id, row } => updates.push((id, row)),
            Verdict::Problem { kind, message } => problems.add(line, kind, message, &record),
        }
    }
    let rows_in_batch = (creates.len() + updates.len() + problems.lines.len()) as u64;

    // Accounts first, then the prospects that work at them.
    let accounts: Vec<_> = creates
        .iter()
        .map(|(_, _, row)| row)
        .chain(updates.iter().map(|(_, row)| row))
        .filter_map(|row| row.account.clone())
        .collect();
    let account_ids = if accounts.is_empty() {
        HashMap::new()
    } else {
        accounts::db::find_or_create_many(conn, &scope, job.owner_id, &accounts).await?
    };
    let with_account = |row: &ImportRow| {
        let mut fields = row.prospect.fields.clone();
        fields.account_id = row
            .account
            .as_ref()
            .and_then(|a| account_ids.get(&a.name).copied());
        fields
    };

    let new_fields: Vec<_> = creates
        .iter()
        .map(|(_, _, row)| with_account(row))
        .collect();
    let new_ids = prospects::db::insert_many(conn, job.owner_id, &new_fields).await?;
    let mut created: Vec<i64> = Vec::new();
    let mut notes: Vec<(i64, String)> = Vec::new();
    for ((line, record, row), id) in creates.iter().zip(&new_ids) {
        match id {
            Some(id) => {
                created.push(*id);
                if !row.notes.is_empty() {
                    notes.push((*id, row.notes.clone()));
                }
            }
            None => problems.add(
                *line,
                ProblemKind::DuplicateExisting,
                "Another prospect took this email while the file was importing; skipped.".into(),
                record,
            ),
        }
    }
    prospects::db::insert_events_many(conn, &created, actor_id, "created").await?;
    record_notes(conn, &notes, actor_id).await?;

    let filled: Vec<(i64, _)> = updates
        .iter()
        .map(|(id, row)| (*id, with_account(row)))
        .collect();
    let stopped = prospects::db::fill_many(conn, &filled).await?;
    let now = time::OffsetDateTime::now_utc();
    // The file turned do-not-contact on with the row: the engine stops their cadences.
    let stopping = Event::DoNotContactChanged {
        from: false,
        to: true,
        note: Some("Import".into()),
    };
    let changes: Vec<_> = store::load_many(conn, &Scope::everyone(), &stopped, store::Detail::Plan)
        .await?
        .iter()
        .map(|loaded| loaded.decide(&stopping, now, Some(actor_id)))
        .collect();
    store::apply(conn, &changes).await?;
    for (id, row) in &updates {
        if !row.notes.is_empty() {
            prospects::db::record_facts(
                conn,
                *id,
                &[(QualifyingField::Notes, row.notes.clone())],
                actor_id,
                None,
                now,
            )
            .await?;
        }
    }

    let mut enrolled = 0;
    if let Some(cadence_id) = job.cadence_id {
        // An archived cadence enrolls nobody; the page says so.
        if let Some(cadence) = store::chosen_cadence(&mut *conn, cadence_id).await? {
            let ids: Vec<i64> = created
                .iter()
                .copied()
                .chain(updates.iter().map(|(id, _)| *id))
                .collect();
            enrolled = enrollments_db::enroll_many(conn, actor_id, &cadence, &ids).await?;
        }
    }

    problems.insert(conn, job.id).await?;
    let (invalid, skipped) = problems.counts();
    sqlx::query!(
        r#"update imports
           set status = case when $2 then 'done'::import_status else 'running'::import_status end,
               started_at = coalesce(started_at, now()),
               finished_at = case when $2 then now() end,
               content = case when $2 then ''::bytea else content end,
               next_byte = $3, next_line = $4, next_record = $5,
               rows_done = rows_done + $6, created_count = created_count + $7,
               updated_count = updated_count + $8, failed_count = failed_count + $9,
               skipped_count = skipped_count + $10, enrolled_count = enrolled_count + $11,
               attempts = 0, error = null, updated_at = now()
           where id = $1"#,
        job.id,
        finished,
        next.byte() as i64,
        next.line() as i64,
        next.record() as i64,
        rows_in_batch as i32,
        created.len() as i32,
        updates.len() as i32,
        invalid,
        skipped,
        enrolled as i32,
    )
    .execute(&mut *conn)
    .await?;
    if finished {
        *cache.0.lock().await = None;
    }
    if job.status == ImportStatus::Queued {
        tracing::info!(import_id = job.id, "import started");
    }
    Ok(rows_in_batch)
}

/// Notes from the file, as qualifying facts learned now.
async fn record_notes(
    conn: &mut PgConnection,
    notes: &[(i64, String)],
    actor_id: i64,
) -> sqlx::Result<()> {
    if notes.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"insert into qualifying_facts (prospect_id, field, value, recorded_by)
           select n.id, 'notes', n.value, $3 from unnest($1::bigint[], $2::text[]) as n (id, value)"#,
        &notes.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        &notes.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
        actor_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The batch's problem rows, column by column.
#[derive(Default)]
struct Problems {
    lines: Vec<i64>,
    kinds: Vec<String>,
    messages: Vec<String>,
    records: Vec<String>,
}

impl Problems {
    fn add(&mut self, line: u64, kind: ProblemKind, message: String, record: &StringRecord) {
        self.lines.push(line as i64);
        self.kinds.push(kind.as_str().to_string());
        self.messages.push(message);
        self.records.push(file::to_line(record));
    }

    /// (invalid rows, rows skipped as duplicates or not updated).
    fn counts(&self) -> (i32, i32) {
        let invalid = self.kinds.iter().filter(|k| *k == "invalid").count() as i32;
        (invalid, self.kinds.len() as i32 - invalid)
    }

    async fn insert(&self, conn: &mut PgConnection, import_id: i64) -> sqlx::Result<()> {
        if self.lines.is_empty() {
            return Ok(());
        }
        sqlx::query!(
            r#"insert into import_problems (import_id, line, kind, message, record)
               select $1, * from unnest($2::bigint[], $3::text[], $4::text[], $5::text[])
               on conflict (import_id, line) do nothing"#,
            import_id,
            &self.lines,
            &self.kinds,
            &self.messages,
            &self.records
        )
        .execute(conn)
        .await?;
        Ok(())
    }
}
