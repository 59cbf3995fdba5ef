//! The mail page: how much mail is queued, sent and failed; why messages fail; and a way
//! to queue a failed message again once its cause (a wrong SMTP password, a full mailbox)
//! is dealt with. Queries live with the outbox in `mail::outbox`.

use crate::web::extract::Path;
use askama::Template;
use askama_web::WebTemplate;
use axum::{extract::State, response::Redirect};
use tower_sessions::Session;

use crate::{
    auth::session::Admin,
    error::{AppError, Result},
    mail::outbox::{self, MailCounts, OutboxEntry, Retry},
    state::AppState,
    web::{FlashKind, Layout, flash},
};

/// How many messages each list shows.
const LIST_LIMIT: i64 = 20;

#[derive(Template, WebTemplate)]
#[template(path = "admin/mail.html")]
pub struct MailPage {
    pub layout: Layout,
    pub counts: MailCounts,
    /// Where mail goes, as the log says it at start-up.
    pub destination: String,
    pub failed: Vec<OutboxEntry>,
    pub retrying: Vec<OutboxEntry>,
    pub sent: Vec<OutboxEntry>,
}

impl MailPage {
    /// "Rita Rep <rita@example.com>", or the address alone.
    fn recipient(&self, entry: &OutboxEntry) -> String {
        if entry.to_name.trim().is_empty() {
            entry.to_address.clone()
        } else {
            format!("{} <{}>", entry.to_name, entry.to_address)
        }
    }
}

pub async fn mail(
    Admin(_admin): Admin,
    State(state): State<AppState>,
    layout: Layout,
) -> Result<MailPage> {
    let destination = match &state.config.smtp_url {
        Some(url) => format!("Mail is sent through {url}."),
        None => format!(
            "Mail is written to {} as .eml files: set SMTP_URL to send it.",
            state.config.mail_dir.display()
        ),
    };
    Ok(MailPage {
        layout,
        counts: outbox::counts(&state.db).await?,
        destination,
        failed: outbox::recent_failed(&state.db, LIST_LIMIT).await?,
        retrying: outbox::retrying(&state.db, LIST_LIMIT).await?,
        sent: outbox::recent_sent(&state.db, LIST_LIMIT).await?,
    })
}

pub async fn retry(
    Admin(_admin): Admin,
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Redirect> {
    let mut tx = state.db.begin().await?;
    let retried = outbox::retry(&mut tx, id).await?;
    tx.commit().await?;
    match retried {
        Retry::Requeued => {
            flash(
                &session,
                FlashKind::Success,
                format!("Message {id} is queued again and will be sent shortly."),
            )
            .await?
        }
        Retry::NotFailed => {
            flash(
                &session,
                FlashKind::Info,
                format!("Message {id} is not failed: it is already queued or sent."),
            )
            .await?
        }
        Retry::NotFound => return Err(AppError::NotFound),
    }
    Ok(Redirect::to("/admin/mail"))
}
