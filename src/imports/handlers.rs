//! The import pages: upload, map and preview, progress and result, the problem rows as
//! CSV. Imports are private to the person who uploaded them.

use std::collections::HashMap;

use crate::web::extract::{Form, Multipart, Path};
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use csv::StringRecord;
use tower_sessions::Session;

use super::{
    DuplicatePolicy, ImportStatus,
    db::{self, Import, Settings},
    fields::{self, ImportField},
    file,
    run::{self, Judge, ProblemKind, Verdict},
};
use crate::{
    auth::{CurrentUser, Scope},
    enrollments::handlers::{CadenceChoice, cadence_choices},
    error::{AppError, Result},
    exports::stream::{self, PAGE_ROWS, Page},
    state::AppState,
    users::{self, db::OwnerChoice},
    web::{FlashKind, FormErrors, Layout, flash},
};

#[derive(Template, WebTemplate)]
#[template(path = "imports/index.html")]
pub struct ImportsPage {
    pub layout: Layout,
    pub imports: Vec<Import>,
    pub upload_error: Option<String>,
    pub owners: Vec<OwnerChoice>,
    pub stages: &'static [crate::opportunities::Stage],
    pub max_mb: usize,
}

async fn imports_page(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    scope: &Scope,
    upload_error: Option<String>,
) -> Result<ImportsPage> {
    let owners = if user.manages() {
        users::db::owner_choices(&state.db, scope.owner_ids()).await?
    } else {
        Vec::new()
    };
    Ok(ImportsPage {
        imports: db::recent(&state.db, user.id).await?,
        layout,
        upload_error,
        owners,
        stages: crate::opportunities::Stage::ALL,
        max_mb: file::MAX_BYTES / (1024 * 1024),
    })
}

pub async fn index(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
) -> Result<ImportsPage> {
    imports_page(&state, layout, &user, &scope, None).await
}

/// The file field of the upload form, or why there is none to read.
async fn uploaded_file(
    Multipart(mut multipart): Multipart,
) -> std::result::Result<(String, Vec<u8>), String> {
    let too_large = || {
        format!(
            "The file is larger than {} MB; split it into smaller files.",
            file::MAX_BYTES / (1024 * 1024)
        )
    };
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err("Choose a CSV file to upload.".into()),
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err("The upload was interrupted; try again.".into()),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.chars().take(200).collect::<String>())
            .unwrap_or_else(|| "upload.csv".into());
        return match field.bytes().await {
            Ok(bytes) if bytes.is_empty() && name.is_empty() => {
                Err("Choose a CSV file to upload.".into())
            }
            Ok(bytes) => Ok((name, bytes.to_vec())),
            Err(err) if err.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(too_large()),
            Err(_) => Err("The upload was interrupted; try again.".into()),
        };
    }
}

/// `POST /imports/upload` (multipart; the CSRF token comes in the query string, as the
/// middleware reads no multipart body).
pub async fn upload(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    multipart: Multipart,
) -> Result<Response> {
    let refuse = |message: String| async {
        let page = imports_page(&state, layout, &user, &scope, Some(message)).await?;
        Ok::<_, AppError>((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let (name, bytes) = match uploaded_file(multipart).await {
        Ok(upload) => upload,
        Err(message) => return refuse(message).await,
    };
    // Parsing 50 MB takes a moment of CPU: off the async threads.
    let parsed = tokio::task::spawn_blocking(move || file::read(bytes))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let csv = match parsed {
        Ok(csv) => csv,
        Err(message) => return refuse(message).await,
    };
    let mapping = fields::guess(&csv.headers);
    let id = db::insert(
        &state.db,
        &db::NewImport {
            created_by: user.id,
            file_name: &name,
            file: &csv,
            mapping: &mapping,
        },
    )
    .await?;
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

/// A column on the mapping page: its header, a few values, the field chosen.
pub struct ColumnView {
    pub index: usize,
    pub header: String,
    pub samples: Vec<String>,
    pub field: Option<ImportField>,
}

impl ColumnView {
    fn is(&self, field: &ImportField) -> bool {
        self.field == Some(*field)
    }
}

/// A row of the preview: what the row becomes.
pub struct PreviewRow {
    pub line: u64,
    pub name: String,
    pub email: String,
    pub account: String,
    pub outcome: &'static str,
    pub css: &'static str,
    pub message: String,
}

/// The whole file's counts, as the import would go now.
#[derive(Default)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub invalid: usize,
    pub duplicate_in_file: usize,
    pub duplicate_existing: usize,
    pub not_updated: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/show.html")]
pub struct ImportPage {
    pub layout: Layout,
    pub import: Import,
    pub columns: Vec<ColumnView>,
    pub fields: &'static [ImportField],
    pub policies: &'static [DuplicatePolicy],
    pub owners: Vec<OwnerChoice>,
    pub cadences: Vec<CadenceChoice>,
    pub preview: Vec<PreviewRow>,
    pub summary: Summary,
    pub errors: FormErrors,
    pub problems: Vec<db::Problem>,
}

impl ImportPage {
    fn problem_label(&self, kind: &str) -> &'static str {
        ProblemKind::label(kind)
    }

    fn cadence_is(&self, id: &i64) -> bool {
        self.import.cadence_id == Some(*id)
    }
}

const PREVIEW_ROWS: usize = 10;

/// Judges the whole file as the import would with these settings: the preview's first
/// rows and the counts. Runs the import's own `Judge`.
async fn analyse(
    state: &AppState,
    scope: &Scope,
    import: &Import,
    mapping: &[Option<ImportField>],
) -> Result<(Vec<ColumnView>, Vec<PreviewRow>, Summary)> {
    let text = db::content(&state.db, import.id).await?;
    let delimiter = import.delimiter_byte();
    let first_lines = run::first_lines(&text, delimiter, mapping)?;
    let mut conn = state.db.acquire().await?;
    let existing = run::existing(&mut conn, first_lines.keys().cloned().collect()).await?;
    drop(conn);
    let judge = Judge {
        headers: import.headers.len(),
        mapping,
        first_lines: &first_lines,
        existing: &existing,
        policy: import.duplicates,
        scope,
    };
    let mut columns: Vec<ColumnView> = import
        .headers
        .iter()
        .enumerate()
        .map(|(index, header)| ColumnView {
            index,
            header: header.clone(),
            samples: Vec::new(),
            field: mapping.get(index).copied().flatten(),
        })
        .collect();
    let mut preview = Vec::new();
    let mut summary = Summary::default();
    let mut reader =
        file::reader_at(&text, delimiter, &file::position(0, 1, 0)).map_err(anyhow::Error::from)?;
    let mut record = StringRecord::new();
    let mut header = true;
    while reader
        .read_record(&mut record)
        .map_err(anyhow::Error::from)?
    {
        if std::mem::take(&mut header) || file::is_blank(&record) {
            continue;
        }
        let line = file::line_of_record(&text, &record);
        for (column, value) in columns.iter_mut().zip(record.iter()) {
            if column.samples.len() < 3 && !value.is_empty() {
                column.samples.push(value.chars().take(60).collect());
            }
        }
        let verdict = judge.judge(line, &record);
        match &verdict {
            Verdict::Create(_) => summary.create += 1,
            Verdict::Update { .. } => summary.update += 1,
            Verdict::Problem { kind, .. } => match kind {
                ProblemKind::Invalid => summary.invalid += 1,
                ProblemKind::DuplicateInFile => summary.duplicate_in_file += 1,
                ProblemKind::DuplicateExisting => summary.duplicate_existing += 1,
                ProblemKind::NotUpdated => summary.not_updated += 1,
            },
        }
        if preview.len() < PREVIEW_ROWS {
            preview.push(preview_row(line, verdict));
        }
    }
    Ok((columns, preview, summary))
}

fn preview_row(line: u64, verdict: Verdict) -> PreviewRow {
    let describe = |row: &crate::imports::rows::ImportRow| {
        let fields = &row.prospect.fields;
        (
            format!("{} {}", fields.first_name, fields.last_name)
                .trim()
                .to_string(),
            fields.email.clone().unwrap_or_default(),
            row.prospect.account_name.clone().unwrap_or_default(),
        )
    };
    let (row, outcome) = match verdict {
        Verdict::Create(row) => (row, "New prospect"),
        Verdict::Update { row, .. } => (row, "Updates a prospect"),
        Verdict::Problem { kind, message } => {
            return PreviewRow {
                line,
                name: String::new(),
                email: String::new(),
                account: String::new(),
                outcome: ProblemKind::label(kind.as_str()),
                css: if kind == ProblemKind::Invalid {
                    "error"
                } else {
                    "warning"
                },
                message,
            };
        }
    };
    let (name, email, account) = describe(&row);
    PreviewRow {
        line,
        name,
        email,
        account,
        outcome,
        css: "ok",
        message: String::new(),
    }
}

async fn import_page(
    state: &AppState,
    layout: Layout,
    user: &CurrentUser,
    scope: &Scope,
    import: Import,
    errors: FormErrors,
) -> Result<ImportPage> {
    let (columns, preview, summary) = if import.status == ImportStatus::Mapping {
        let mapping = import.mapping.0.clone();
        analyse(state, scope, &import, &mapping).await?
    } else {
        (Vec::new(), Vec::new(), Summary::default())
    };
    let problems = if import.status == ImportStatus::Mapping {
        Vec::new()
    } else {
        db::first_problems(&state.db, import.id).await?
    };
    let mut owners = users::db::owner_choices(&state.db, scope.owner_ids()).await?;
    if !owners.iter().any(|o| o.id == user.id) {
        // Admins own no prospects by default, but may import for themselves.
        owners.insert(
            0,
            OwnerChoice {
                id: user.id,
                name: user.name.clone(),
            },
        );
    }
    Ok(ImportPage {
        owners,
        cadences: cadence_choices(&state.db).await?,
        fields: ImportField::ALL,
        policies: DuplicatePolicy::ALL,
        layout,
        import,
        columns,
        preview,
        summary,
        errors,
        problems,
    })
}

pub async fn show(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    Path(id): Path<i64>,
) -> Result<ImportPage> {
    let import = db::get(&state.db, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    import_page(&state, layout, &user, &scope, import, FormErrors::default()).await
}

/// The mapping form: `column_N` per column, `duplicates`, `owner_id`, `cadence_id`, and
/// `action` (`preview` or `start`).
pub async fn save(
    State(state): State<AppState>,
    layout: Layout,
    user: CurrentUser,
    scope: Scope,
    session: Session,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response> {
    let mut import = db::get(&state.db, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if import.status != ImportStatus::Mapping {
        return Ok(Redirect::to(&format!("/imports/{id}")).into_response());
    }
    let form: HashMap<String, String> = pairs.into_iter().collect();
    let value = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut errors = FormErrors::default();

    let mapping: Vec<Option<ImportField>> = (0..import.headers.len())
        .map(|i| ImportField::parse(value(&format!("column_{i}"))))
        .collect();
    for field in ImportField::ALL.iter().filter(|f| **f != ImportField::Tags) {
        if mapping.iter().filter(|m| **m == Some(*field)).count() > 1 {
            errors.add(
                "mapping",
                format!("Choose one column for “{}”.", field.label()),
            );
        }
    }
    let named = |field| mapping.contains(&Some(field));
    if !named(ImportField::FirstName) && !named(ImportField::FullName) {
        errors.add(
            "mapping",
            "Choose the column with first names (or full names): every prospect needs one.",
        );
    }
    let duplicates = DuplicatePolicy::parse(value("duplicates")).unwrap_or(DuplicatePolicy::Skip);
    let owners = users::db::owner_choices(&state.db, scope.owner_ids()).await?;
    let owner_id = match value("owner_id").parse::<i64>() {
        Ok(owner) if owners.iter().any(|o| o.id == owner) || owner == user.id => owner,
        _ => {
            errors.add("owner_id", "Choose who will own the imported prospects.");
            import.owner_id
        }
    };
    let cadence_id = match value("cadence_id") {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(id) if cadence_choices(&state.db).await?.iter().any(|c| c.id == id) => Some(id),
            _ => {
                errors.add(
                    "cadence_id",
                    "Choose a cadence that is not archived, or none.",
                );
                None
            }
        },
    };
    import.mapping.0.clone_from(&mapping);
    import.duplicates = duplicates;
    if !errors.is_empty() {
        let page = import_page(&state, layout, &user, &scope, import, errors).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let start = value("action") == "start";
    let mut conn = state.db.acquire().await?;
    let settings = Settings {
        mapping: &mapping,
        duplicates,
        owner_id,
        cadence_id,
    };
    if db::save_settings(&mut conn, user.id, id, &settings, start).await? && start {
        flash(
            &session,
            FlashKind::Success,
            "Import started. You can leave this page: it goes on in the background.",
        )
        .await?;
    }
    Ok(Redirect::to(&format!("/imports/{id}")).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    user: CurrentUser,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Redirect> {
    match db::cancel(&state.db, user.id, id).await? {
        db::Cancelled::NotFound => return Err(AppError::NotFound),
        db::Cancelled::Already => {}
        db::Cancelled::Now => {
            flash(
                &session,
                FlashKind::Info,
                "Import cancelled. The rows imported so far stay.",
            )
            .await?
        }
    }
    Ok(Redirect::to(&format!("/imports/{id}")))
}

/// The rows that were not imported as they stood, with the reason, then the row as it was.
pub async fn problems_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response> {
    let import = db::get(&state.db, user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut header = vec!["Line".to_string(), "Problem".into(), "Reason".into()];
    header.extend(import.headers.iter().cloned());
    let db = state.db.clone();
    let file_name = format!("import-{id}-problems.csv");
    Ok(stream::download(
        &file_name,
        header,
        0i64,
        move |after_line| {
            let db = db.clone();
            async move {
                let rows = db::problems(&db, id, after_line, PAGE_ROWS).await?;
                let next = stream::next_after(&rows, |p| p.line);
                Ok(Page {
                    rows: rows
                        .into_iter()
                        .map(|p| {
                            let mut row = vec![
                                p.line.to_string(),
                                ProblemKind::label(&p.kind).to_string(),
                                p.message,
                            ];
                            row.extend(file::from_line(&p.record));
                            row
                        })
                        .collect(),
                    next,
                })
            }
        },
    ))
}
