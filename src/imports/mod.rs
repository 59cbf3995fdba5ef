//! CSV import of prospects with their accounts, in four steps:
//!
//! 1. **Upload** (`handlers::upload`): the file (up to 50 MB) is checked — UTF-8 (a BOM is
//!    fine), `,` `;` or tab separated, quoted newlines, not binary, well-formed — and stored
//!    in the `imports` row with its columns guessed (`fields::guess`).
//! 2. **Map and preview** (`handlers::show`): the person confirms which column fills which
//!    field, how to treat emails already in Prospector (skip, or update), the owner and
//!    an optional cadence, and sees the first rows with their problems and the whole
//!    file's counts (invalid rows, duplicates within the file and against the database).
//! 3. **Import in the background** (`run`): the scheduler claims the job with
//!    `for update skip locked` and imports one batch per transaction, committing the rows,
//!    their problems and the job's progress together. A crash loses at most the batch in
//!    hand, which the next claim redoes; any number of instances share the work.
//! 4. **Result**: the progress page (which survives a reload: it is read from the row) and
//!    the rows not imported, downloadable as CSV with their reasons.
//!
//! Duplicates are never merged silently: a second row with an email already seen in the
//! file is reported and skipped; an email already in Prospector is reported and, as the
//! person chose, skipped or used to update that prospect (only one they may edit).

pub mod db;
pub mod fields;
pub mod file;
pub mod handlers;
pub mod rows;
pub mod run;

use axum::{
    Router,
    extract::DefaultBodyLimit,
    http::StatusCode,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};
use tower_http::timeout::TimeoutLayer;

use crate::{process::labelled_enum, state::AppState};

labelled_enum!(
    ImportStatus, "import_status", {
        Mapping => ("mapping", "Waiting for you to check the columns"),
        Queued => ("queued", "Waiting to start"),
        Running => ("running", "Importing"),
        Done => ("done", "Done"),
        Failed => ("failed", "Failed"),
        Cancelled => ("cancelled", "Cancelled"),
    }
);

impl ImportStatus {
    pub fn is_active(self) -> bool {
        matches!(self, ImportStatus::Queued | ImportStatus::Running)
    }
}

labelled_enum!(
    /// What to do with a row whose email is already a prospect's.
    DuplicatePolicy, "duplicate_policy", {
        Skip => ("skip", "Skip it and report it"),
        Update => ("update", "Update that prospect with the row's non-empty values"),
    }
);

/// The pages, but the upload (see [`upload_router`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/imports", get(handlers::index))
        .route("/imports/{id}", get(handlers::show).post(handlers::save))
        .route("/imports/{id}/cancel", post(handlers::cancel))
        .route("/imports/{id}/problems.csv", get(handlers::problems_csv))
}

/// The upload, apart from the other pages: it takes a body up to the file limit (plus the
/// multipart framing; a larger one is refused while it is read, with a page that says so) and the time a 50 MB upload needs on a slow line. `startup::app`
/// merges it outside the pages' 2 MiB and 30 s limits.
pub fn upload_router() -> Router<AppState> {
    const LIMIT: usize = file::MAX_BYTES + 64 * 1024;
    Router::new()
        .route("/imports/upload", post(handlers::upload))
        .layer(DefaultBodyLimit::max(LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(300),
        ))
}
