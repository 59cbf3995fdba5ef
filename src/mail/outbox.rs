//! The outbox: one row per email, unique by idempotency key. Queueing, claiming with a
//! lease, recording what the server said, and what the admin page reads and does.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::wakeup;

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
///
/// A new row also wakes the schedulers (whose pass delivers mail): within the caller's
/// transaction the notification goes out at commit, and not at all on rollback. It is one
/// statement, so that `db` may be a connection in a transaction as well as the pool.
pub async fn enqueue(db: impl PgExecutor<'_>, mail: &NewMail) -> sqlx::Result<bool> {
    let inserted = sqlx::query_scalar!(
        r#"with inserted as (
               insert into mail_outbox
                   (idempotency_key, kind, user_id, to_address, to_name, subject, body_text,
                    body_html)
               values ($1, $2, $3, $4, $5, $6, $7, $8)
               on conflict (idempotency_key) do nothing
               returning id
           )
           select count(*) as "inserted!"
           from inserted cross join lateral (select pg_notify($9, '')) as notified"#,
        mail.idempotency_key,
        mail.kind,
        mail.user_id,
        mail.to_address,
        mail.to_name,
        mail.subject,
        mail.body_text,
        mail.body_html,
        wakeup::CHANNEL,
    )
    .fetch_one(db)
    .await?;
    Ok(inserted == 1)
}

/// A message a sender has claimed: it holds the row until `leased_until`.
#[derive(Debug, Clone)]
pub struct ClaimedMail {
    pub id: i64,
    pub idempotency_key: String,
    pub kind: String,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Claims so far, this one included.
    pub attempts: i32,
    pub created_at: OffsetDateTime,
    /// The lease, exactly as stored: the sender's proof, when it records a failure, that
    /// the row is still its own.
    pub leased_until: OffsetDateTime,
}

/// Claims up to `limit` queued messages due at `now` whose lease (if any) has run out,
/// leasing them until `leased_until`, and counts the claim as an attempt. The statement
/// commits on its own: the lease, not a held transaction, keeps other senders away while
/// this one talks to the SMTP server, and outlives a sender that dies.
///
/// `skip locked` lets senders take disjoint rows instead of queueing on each other; a row
/// claimed and committed by another sender meanwhile is re-checked against the lease
/// condition when locked (PostgreSQL re-reads the row's newest version), so it is skipped.
pub async fn claim(
    db: impl PgExecutor<'_>,
    now: OffsetDateTime,
    leased_until: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<ClaimedMail>> {
    sqlx::query_as!(
        ClaimedMail,
        r#"with due as (
               select id from mail_outbox
               where status = 'queued' and next_attempt_at <= $1
                 and (leased_until is null or leased_until < $1)
               order by next_attempt_at, id
               limit $3
               for update skip locked
           )
           update mail_outbox m set leased_until = $2, attempts = m.attempts + 1
           from due where m.id = due.id
           returning m.id, m.idempotency_key, m.kind, m.to_address, m.to_name, m.subject,
                     m.body_text, m.body_html, m.attempts, m.created_at,
                     m.leased_until as "leased_until!""#,
        now,
        leased_until,
        limit
    )
    .fetch_all(db)
    .await
}

/// Records that the server accepted the message. Whoever sent it, a message sent is
/// recorded as sent, even if its lease ran out meanwhile; `false` if it already was.
pub async fn record_sent(
    db: impl PgExecutor<'_>,
    id: i64,
    at: OffsetDateTime,
    server_response: &str,
) -> sqlx::Result<bool> {
    let updated = sqlx::query!(
        r#"update mail_outbox
           set status = 'sent', sent_at = $2, server_response = $3, leased_until = null
           where id = $1 and status = 'queued'"#,
        id,
        at,
        server_response
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// What to do with a message whose sending failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again from this time.
    RetryAt(OffsetDateTime),
    /// Give up: the message is failed until an admin retries it.
    GiveUp,
}

/// Records a failed attempt, if the row is still held by the lease `leased_until`: a
/// sender that took so long that another claimed the message must not undo that one's
/// work. `false` when the lease was lost.
pub async fn record_failure(
    db: impl PgExecutor<'_>,
    id: i64,
    leased_until: OffsetDateTime,
    error: &str,
    after: AfterFailure,
) -> sqlx::Result<bool> {
    let (give_up, retry_at) = match after {
        AfterFailure::RetryAt(at) => (false, Some(at)),
        AfterFailure::GiveUp => (true, None),
    };
    let updated = sqlx::query!(
        r#"update mail_outbox
           set status = case when $4 then 'failed'::mail_status else status end,
               next_attempt_at = coalesce($5, next_attempt_at),
               last_error = $3,
               leased_until = null
           where id = $1 and status = 'queued' and leased_until = $2"#,
        id,
        leased_until,
        error,
        give_up,
        retry_at
    )
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// When a queued message next becomes claimable (its next attempt, or the end of the
/// lease another sender holds on it), for the scheduler's sleep. `None` when nothing is
/// queued.
pub async fn next_due(db: impl PgExecutor<'_>) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar!(
        r#"select min(greatest(next_attempt_at, leased_until)) from mail_outbox
           where status = 'queued'"#
    )
    .fetch_one(db)
    .await
}

// ---------------------------------------------------------------- the admin page

/// How many messages are in each state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MailCounts {
    pub queued: i64,
    /// Queued messages that have failed at least once and wait for their next attempt.
    pub retrying: i64,
    pub sent: i64,
    pub failed: i64,
}

pub async fn counts(db: impl PgExecutor<'_>) -> sqlx::Result<MailCounts> {
    let row = sqlx::query!(
        r#"select count(*) filter (where status = 'queued') as "queued!",
                  count(*) filter (where status = 'queued' and last_error is not null)
                      as "retrying!",
                  count(*) filter (where status = 'sent') as "sent!",
                  count(*) filter (where status = 'failed') as "failed!"
           from mail_outbox"#
    )
    .fetch_one(db)
    .await?;
    Ok(MailCounts {
        queued: row.queued,
        retrying: row.retrying,
        sent: row.sent,
        failed: row.failed,
    })
}

/// One message as the admin page lists it.
#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub to_address: String,
    pub to_name: String,
    pub subject: String,
    pub attempts: i32,
    pub next_attempt_at: OffsetDateTime,
    pub last_error: Option<String>,
    pub server_response: Option<String>,
    pub sent_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

/// The newest failed messages.
pub async fn recent_failed(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<OutboxEntry>> {
    sqlx::query_as!(
        OutboxEntry,
        r#"select id, kind, to_address, to_name, subject, attempts, next_attempt_at,
                  last_error, server_response, sent_at, created_at
           from mail_outbox where status = 'failed'
           order by created_at desc, id desc
           limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// Queued messages that failed before and wait for their next attempt, soonest first.
pub async fn retrying(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<OutboxEntry>> {
    sqlx::query_as!(
        OutboxEntry,
        r#"select id, kind, to_address, to_name, subject, attempts, next_attempt_at,
                  last_error, server_response, sent_at, created_at
           from mail_outbox where status = 'queued' and last_error is not null
           order by next_attempt_at, id
           limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// The newest sent messages (newest queued, which the status index serves; near enough
/// to newest sent).
pub async fn recent_sent(db: impl PgExecutor<'_>, limit: i64) -> sqlx::Result<Vec<OutboxEntry>> {
    sqlx::query_as!(
        OutboxEntry,
        r#"select id, kind, to_address, to_name, subject, attempts, next_attempt_at,
                  last_error, server_response, sent_at, created_at
           from mail_outbox where status = 'sent'
           order by created_at desc, id desc
           limit $1"#,
        limit
    )
    .fetch_all(db)
    .await
}

/// What asking to retry a message came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Queued again, due now, with a fresh allowance of attempts.
    Requeued,
    /// It is not failed (already queued again, or sent): nothing to do.
    NotFailed,
    NotFound,
}

/// Puts a failed message back in the queue, due now with a fresh allowance of attempts,
/// and wakes the schedulers. The last error is kept until the next attempt replaces it.
pub async fn retry(conn: &mut PgConnection, id: i64) -> sqlx::Result<Retry> {
    let requeued = sqlx::query!(
        r#"update mail_outbox
           set status = 'queued', attempts = 0, next_attempt_at = now(), leased_until = null
           where id = $1 and status = 'failed'"#,
        id
    )
    .execute(&mut *conn)
    .await?;
    if requeued.rows_affected() == 1 {
        wakeup::notify(&mut *conn).await?;
        return Ok(Retry::Requeued);
    }
    let exists = sqlx::query_scalar!(
        r#"select exists (select 1 from mail_outbox where id = $1) as "exists!""#,
        id
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(if exists {
        Retry::NotFailed
    } else {
        Retry::NotFound
    })
}
