//! Waking the schedulers: a `NOTIFY` on one channel, which every scheduler `LISTEN`s to.
//!
//! It sits below the features so that they can announce work they leave to the scheduler
//! (a bulk enrollment, a queued email) without depending on the scheduler itself.

use sqlx::PgExecutor;

/// The `LISTEN` channel that wakes schedulers.
pub const CHANNEL: &str = "prospector_scheduler";

/// Wakes the schedulers, e.g. after a bulk enrollment. Within a transaction the
/// notification is delivered at commit, and not at all on rollback.
pub async fn notify(db: impl PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query!("select pg_notify($1, '')", CHANNEL)
        .execute(db)
        .await?;
    Ok(())
}
