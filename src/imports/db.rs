//! The `imports` rows: a job per uploaded file, read and changed only by the person who
//! uploaded it (and the background run).

use sqlx::{PgConnection, PgExecutor, types::Json};
use time::OffsetDateTime;

use super::{DuplicatePolicy, ImportStatus, fields::ImportField, file::CsvFile};

pub struct NewImport<'a> {
    pub created_by: i64,
    pub file_name: &'a str,
    pub file: &'a CsvFile,
    pub mapping: &'a [Option<ImportField>],
}

pub async fn insert(db: impl PgExecutor<'_>, new: &NewImport<'_>) -> sqlx::Result<i64> {
    let delimiter = (new.file.delimiter as char).to_string();
    sqlx::query_scalar!(
        r#"insert into imports (created_by, file_name, content, delimiter, headers, total_rows,
                                mapping, owner_id, next_byte, next_line, next_record)
           values ($1, $2, $3, $4, $5, $6, $7, $1, $8, $9, $10)
           returning id"#,
        new.created_by,
        new.file_name,
        &new.file.text,
        delimiter,
        &new.file.headers,
        new.file.rows as i32,
        Json(new.mapping) as _,
        new.file.data_start.byte() as i64,
        new.file.data_start.line() as i64,
        new.file.data_start.record() as i64,
    )
    .fetch_one(db)
    .await
}

/// An import as its page shows it (without the file).
#[derive(Debug, Clone)]
pub struct Import {
    pub id: i64,
    pub created_by: i64,
    pub file_name: String,
    pub delimiter: String,
    pub headers: Vec<String>,
    pub total_rows: i32,
    pub mapping: Json<Vec<Option<ImportField>>>,
    pub duplicates: DuplicatePolicy,
    pub owner_id: i64,
    pub owner_name: String,
    pub cadence_id: Option<i64>,
    pub cadence_name: Option<String>,
    pub status: ImportStatus,
    pub rows_done: i32,
    pub created_count: i32,
    pub updated_count: i32,
    pub skipped_count: i32,
    pub failed_count: i32,
    pub enrolled_count: i32,
    pub error: Option<String>,
    pub created_at: OffsetDateTime,
    pub started_at: Option<OffsetDateTime>,
    pub finished_at: Option<OffsetDateTime>,
}

impl Import {
    pub fn delimiter_byte(&self) -> u8 {
        self.delimiter.bytes().next().unwrap_or(b',')
    }

    pub fn percent(&self) -> i32 {
        if self.total_rows == 0 {
            100
        } else {
            (i64::from(self.rows_done) * 100 / i64::from(self.total_rows)) as i32
        }
    }
}

/// One of the user's imports.
pub async fn get(db: impl PgExecutor<'_>, user_id: i64, id: i64) -> sqlx::Result<Option<Import>> {
    Ok(of_user(db, user_id, Some(id), 1).await?.pop())
}

/// The user's latest imports.
pub async fn recent(db: impl PgExecutor<'_>, user_id: i64) -> sqlx::Result<Vec<Import>> {
    of_user(db, user_id, None, 20).await
}

/// The user's imports, newest first (or just the one with `id`).
async fn of_user(
    db: impl PgExecutor<'_>,
    user_id: i64,
    id: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Import>> {
    sqlx::query_as!(
        Import,
        r#"select i.id, i.created_by, i.file_name, i.delimiter, i.headers, i.total_rows,
                  i.mapping as "mapping: Json<Vec<Option<ImportField>>>",
                  i.duplicates as "duplicates: DuplicatePolicy", i.owner_id, u.name as owner_name,
                  i.cadence_id, c.name as "cadence_name?", i.status as "status: ImportStatus",
                  i.rows_done, i.created_count, i.updated_count, i.skipped_count, i.failed_count,
                  i.enrolled_count, i.error, i.created_at, i.started_at, i.finished_at
           from imports i
           join users u on u.id = i.owner_id
           left join cadences c on c.id = i.cadence_id
           where i.created_by = $1 and ($2::bigint is null or i.id = $2)
           order by i.id desc
           limit $3"#,
        user_id,
        id,
        limit
    )
    .fetch_all(db)
    .await
}

/// The stored file of an import still being mapped or imported.
pub async fn content(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Vec<u8>> {
    sqlx::query_scalar!("select content from imports where id = $1", id)
        .fetch_one(db)
        .await
}

/// The choices made on the mapping page.
pub struct Settings<'a> {
    pub mapping: &'a [Option<ImportField>],
    pub duplicates: DuplicatePolicy,
    pub owner_id: i64,
    pub cadence_id: Option<i64>,
}

/// Saves the choices of an import still being mapped, and with `start` queues it; `false`
/// if it is no longer being mapped (started meanwhile, in another tab).
pub async fn save_settings(
    conn: &mut PgConnection,
    user_id: i64,
    id: i64,
    settings: &Settings<'_>,
    start: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"update imports
           set mapping = $3, duplicates = $4, owner_id = $5, cadence_id = $6,
               status = case when $7 then 'queued'::import_status else status end,
               queued_at = case when $7 then now() end, updated_at = now()
           where id = $1 and created_by = $2 and status = 'mapping'"#,
        id,
        user_id,
        Json(settings.mapping) as _,
        settings.duplicates as DuplicatePolicy,
        settings.owner_id,
        settings.cadence_id,
        start,
    )
    .execute(&mut *conn)
    .await?;
    if start && done.rows_affected() == 1 {
        // The scheduler wakes at commit and starts on it.
        crate::wakeup::notify(&mut *conn).await?;
    }
    Ok(done.rows_affected() == 1)
}

/// What asking to cancel an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// It stopped; what was imported stays.
    Now,
    /// It had finished (or was cancelled) already.
    Already,
    /// The user has no such import.
    NotFound,
}

/// Stops an import of the user's that has not finished; what is imported stays.
pub async fn cancel(db: impl PgExecutor<'_>, user_id: i64, id: i64) -> sqlx::Result<Cancelled> {
    let row = sqlx::query!(
        r#"with mine as (
               select id, status from imports where id = $1 and created_by = $2
           ), stopped as (
               update imports i
               set status = 'cancelled', content = '', finished_at = now(), updated_at = now()
               from mine
               where i.id = mine.id and mine.status in ('mapping', 'queued', 'running')
               returning i.id
           )
           select exists (select 1 from mine) as "found!",
                  exists (select 1 from stopped) as "stopped!""#,
        id,
        user_id
    )
    .fetch_one(db)
    .await?;
    Ok(match (row.found, row.stopped) {
        (_, true) => Cancelled::Now,
        (true, false) => Cancelled::Already,
        (false, false) => Cancelled::NotFound,
    })
}

pub struct Problem {
    pub line: i64,
    pub kind: String,
    pub message: String,
    pub record: String,
}

/// An import's problem rows from a line on, in file order, for the download.
pub async fn problems(
    db: impl PgExecutor<'_>,
    import_id: i64,
    after_line: i64,
    limit: i64,
) -> sqlx::Result<Vec<Problem>> {
    sqlx::query_as!(
        Problem,
        r#"select line, kind, message, record from import_problems
           where import_id = $1 and line > $2 order by line limit $3"#,
        import_id,
        after_line,
        limit
    )
    .fetch_all(db)
    .await
}

/// The first problems, for the result page.
pub async fn first_problems(db: impl PgExecutor<'_>, import_id: i64) -> sqlx::Result<Vec<Problem>> {
    problems(db, import_id, 0, 20).await
}
