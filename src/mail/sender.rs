//! The sender: delivers the outbox. Part of each scheduler pass (see
//! `Scheduler::with_mail`), so it runs wherever a scheduler runs, wakes on the same
//! notification (`outbox::enqueue` sends it) and shuts down with it.
//!
//! # Once, and only once (nearly)
//!
//! * The unique idempotency key means an event queues one row, however often it is
//!   announced.
//! * A sender claims rows with `FOR UPDATE SKIP LOCKED` and commits a **lease** on them
//!   before it talks to the SMTP server, so no two senders hold a row at once, and a
//!   sender that dies mid-send only delays its messages until the lease runs out.
//! * The result is recorded the moment the server answers, one row at a time.
//!
//! What remains is an at-least-once window, which no outbox can close without the mail
//! server's help: if the server accepts a message and the sender dies (or loses the
//! database) before recording it, the message is sent again when the lease runs out. The
//! window is one `update` long. Because the `Message-ID` is derived from the idempotency
//! key, the copy carries the same id, so clients that thread by id show it once. The lease
//! ([`LEASE`]) is far longer than a send may take ([`SEND_TIMEOUT`]), so a slow server
//! never lets a second sender in while the first is still talking to it.
//!
//! # Failures
//!
//! A 5xx reply (or a message that cannot be built, e.g. a malformed address) fails the
//! message at once: the server has said no, asking again would not change that. Anything
//! else (4xx replies, refused connections, timeouts, TLS trouble) is retried with
//! exponential backoff and jitter, [`FIRST_BACKOFF`] doubling up to [`LAST_BACKOFF`],
//! until [`MAX_ATTEMPTS`] claims have been made; then the message is failed too. Failed
//! messages are listed on the admin mail page, which can queue them again.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::task::JoinSet;

use super::{
    outbox::{self, AfterFailure, ClaimedMail},
    transport::{self, Mailer, SMTP_CONNECTIONS, SendError, SenderIdentity},
};
use crate::config::Config;

/// How long a claim keeps other senders away from a message.
pub const LEASE: Duration = Duration::from_secs(5 * 60);

/// The longest one message may take to send, connection included, before it counts as a
/// temporary failure. Well within [`LEASE`].
pub const SEND_TIMEOUT: Duration = Duration::from_secs(2 * 60);

/// Claims (attempts) before a message that keeps failing temporarily is failed: with the
/// backoff below, about three hours of trying.
pub const MAX_ATTEMPTS: i32 = 10;

/// The wait after the first failed attempt; it doubles after each one.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(30);

/// The longest wait between attempts.
pub const LAST_BACKOFF: Duration = Duration::from_secs(60 * 60);

/// What one delivery run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Accepted by the server (or written to a file).
    pub sent: u64,
    /// Failed for now; tried again later.
    pub retrying: u64,
    /// Failed for good.
    pub failed: u64,
    /// Results not recorded because another sender had claimed the message meanwhile.
    pub leases_lost: u64,
}

impl DeliveryReport {
    /// Whether any message was claimed.
    pub fn is_empty(&self) -> bool {
        *self == DeliveryReport::default()
    }

    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Sent => self.sent += 1,
            Outcome::Retrying => self.retrying += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::LeaseLost => self.leases_lost += 1,
        }
    }
}

impl std::fmt::Display for DeliveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} emails sent, {} to retry, {} failed",
            self.sent, self.retrying, self.failed
        )?;
        if self.leases_lost > 0 {
            write!(f, ", {} taken over by another sender", self.leases_lost)?;
        }
        Ok(())
    }
}

enum Outcome {
    Sent,
    Retrying,
    Failed,
    LeaseLost,
}

/// Delivers due mail. Cheap to clone; any number may run against one database.
#[derive(Clone, Debug)]
pub struct Sender(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    db: PgPool,
    mailer: Mailer,
    identity: SenderIdentity,
    batch: i64,
}

impl Sender {
    pub fn new(db: PgPool, mailer: Mailer, identity: SenderIdentity) -> Sender {
        Sender(Arc::new(Inner {
            db,
            mailer,
            identity,
            batch: i64::from(SMTP_CONNECTIONS),
        }))
    }

    /// The sender the configuration asks for (see `Mailer::from_config`, which logs where
    /// mail goes).
    pub fn from_config(db: PgPool, config: &Config) -> anyhow::Result<Sender> {
        Ok(Sender::new(
            db,
            Mailer::from_config(config)?,
            SenderIdentity::from_config(config),
        ))
    }

    pub fn mailer(&self) -> &Mailer {
        &self.0.mailer
    }

    /// Delivers every message due at `now`, as if the clock read `now` (plus the time the
    /// run has taken): for tests and `prospector worker --once --at`.
    pub async fn deliver_due(&self, now: OffsetDateTime) -> sqlx::Result<DeliveryReport> {
        self.deliver(now, &AtomicBool::new(false)).await
    }

    /// Delivers batch after batch until none is full, or until `stop` is set (checked
    /// between batches: the sends in hand are finished and recorded, never abandoned).
    /// Each batch's messages are sent at once, one connection each.
    pub(crate) async fn deliver(
        &self,
        now: OffsetDateTime,
        stop: &AtomicBool,
    ) -> sqlx::Result<DeliveryReport> {
        let started = Instant::now();
        let mut report = DeliveryReport::default();
        while !stop.load(Ordering::Relaxed) {
            let at = clock(now, started);
            let claimed = outbox::claim(&self.0.db, at, at + LEASE, self.0.batch).await?;
            let full = i64::try_from(claimed.len()).is_ok_and(|n| n >= self.0.batch);
            let mut sends = JoinSet::new();
            for mail in claimed {
                let sender = self.clone();
                sends.spawn(async move { sender.deliver_one(mail, now, started).await });
            }
            let mut db_error = None;
            while let Some(joined) = sends.join_next().await {
                match joined {
                    Ok(Ok(outcome)) => report.add(outcome),
                    Ok(Err(err)) => db_error = Some(err),
                    // Its message stays leased and is retried when the lease runs out.
                    Err(err) => tracing::error!(error = %err, "a mail delivery task failed"),
                }
            }
            if let Some(err) = db_error {
                return Err(err);
            }
            if !full {
                break;
            }
        }
        Ok(report)
    }

    /// Sends one claimed message and records the outcome.
    async fn deliver_one(
        &self,
        mail: ClaimedMail,
        now: OffsetDateTime,
        started: Instant,
    ) -> sqlx::Result<Outcome> {
        let sent = match transport::build_message(&mail, &self.0.identity) {
            Ok(message) => {
                match tokio::time::timeout(SEND_TIMEOUT, self.0.mailer.send(&message)).await {
                    Ok(sent) => sent,
                    Err(_) => Err(SendError {
                        permanent: false,
                        message: format!("no answer within {} s", SEND_TIMEOUT.as_secs()),
                    }),
                }
            }
            Err(err) => Err(err),
        };
        let at = clock(now, started);
        let db = &self.0.db;
        match sent {
            Ok(response) => {
                if !outbox::record_sent(db, mail.id, at, &response).await? {
                    tracing::warn!(
                        mail_id = mail.id,
                        "mail sent, but another sender had already recorded it as sent"
                    );
                }
                tracing::info!(mail_id = mail.id, kind = %mail.kind, %response, "mail sent");
                Ok(Outcome::Sent)
            }
            Err(err) => {
                let after = if err.permanent || mail.attempts >= MAX_ATTEMPTS {
                    AfterFailure::GiveUp
                } else {
                    AfterFailure::RetryAt(at + backoff(mail.attempts))
                };
                let recorded =
                    outbox::record_failure(db, mail.id, mail.leased_until, &err.message, after)
                        .await?;
                if !recorded {
                    tracing::warn!(
                        mail_id = mail.id,
                        error = %err.message,
                        "mail not sent, and another sender has claimed it since"
                    );
                    return Ok(Outcome::LeaseLost);
                }
                match after {
                    AfterFailure::GiveUp => {
                        tracing::warn!(
                            mail_id = mail.id,
                            kind = %mail.kind,
                            attempts = mail.attempts,
                            error = %err.message,
                            "mail failed; an admin can retry it on /admin/mail"
                        );
                        Ok(Outcome::Failed)
                    }
                    AfterFailure::RetryAt(retry_at) => {
                        tracing::warn!(
                            mail_id = mail.id,
                            kind = %mail.kind,
                            attempts = mail.attempts,
                            error = %err.message,
                            retry_in_secs = (retry_at - at).whole_seconds(),
                            "mail not sent; will retry"
                        );
                        Ok(Outcome::Retrying)
                    }
                }
            }
        }
    }

    /// When the next queued message becomes claimable, if any is queued.
    pub async fn next_due(&self) -> sqlx::Result<Option<OffsetDateTime>> {
        outbox::next_due(&self.0.db).await
    }
}

/// The injected clock: `now` plus the time the run has taken, so that a run at the real
/// time records real times and a test's run stays on the test's clock.
fn clock(now: OffsetDateTime, started: Instant) -> OffsetDateTime {
    now + started.elapsed()
}

/// The wait after the `attempts`-th failed attempt: [`FIRST_BACKOFF`] doubled for each
/// earlier one, at most [`LAST_BACKOFF`], then ±20% at random so that messages that failed
/// together (the server was down) do not all come back at once.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    let base = FIRST_BACKOFF
        .saturating_mul(1 << doublings)
        .min(LAST_BACKOFF);
    base.mul_f64(rand::random_range(0.8..1.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour_with_jitter() {
        let within = |attempts, secs: f64| {
            let wait = backoff(attempts).as_secs_f64();
            assert!(
                wait >= secs * 0.8 && wait <= secs * 1.2,
                "attempt {attempts}: {wait} s, expected about {secs} s"
            );
        };
        within(1, 30.0);
        within(2, 60.0);
        within(3, 120.0);
        within(8, 3600.0);
        within(MAX_ATTEMPTS, 3600.0);
        within(i32::MAX, 3600.0);
        within(0, 30.0);
    }
}
