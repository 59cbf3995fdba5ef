//! The outbox: one row per email, unique by idempotency key.

use sqlx::PgExecutor;

/// An email to queue. `idempotency_key` names the event, e.g. `agenda:42:2026-11-23`:
/// queueing the same key twice sends one email.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub idempotency_key: String,
    pub kind: &'static str,
    pub user_id: Option<i64>,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
}

/// Queues the email; `false` if one with this key was already queued (or sent).
pub async fn enqueue(db: impl PgExecutor<'_>, mail: &NewMail) -> sqlx::Result<bool> {
    let inserted = sqlx::query!(
        r#"insert into mail_outbox
               (idempotency_key, kind, user_id, to_address, to_name, subject, body_text, body_html)
           values ($1, $2, $3, $4, $5, $6, $7, $8)
           on conflict (idempotency_key) do nothing"#,
        mail.idempotency_key,
        mail.kind,
        mail.user_id,
        mail.to_address,
        mail.to_name,
        mail.subject,
        mail.body_text,
        mail.body_html,
    )
    .execute(db)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
