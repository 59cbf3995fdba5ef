//! Sign-in throttling, kept in PostgreSQL so that every instance sees the same counts.
//!
//! Failures are counted in a sliding window. Once a limit is reached, attempts are refused
//! until the oldest counted failure leaves the window, so a lock-out always ends by itself
//! and refused attempts do not extend it. Who is held depends on the browser (OWASP's
//! device cookies, `device`):
//!
//! * a browser that has signed in to the account before counts only its own failures, so
//!   nobody elsewhere can lock the real user out;
//! * every other browser is held by the failures of all of them together, per account and
//!   per client address.

use std::net::IpAddr;

use sqlx::PgExecutor;
use sqlx::types::ipnetwork::IpNetwork;
use time::{Duration, OffsetDateTime};

pub const WINDOW: Duration = Duration::minutes(15);
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
pub const MAX_FAILURES_PER_ADDRESS: i64 = 30;

/// When sign-in may be tried again, if it is throttled now, for a browser that carries
/// `device` (the nonce of its device cookie for this account) or none.
pub async fn retry_after(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: IpAddr,
    device: Option<&str>,
) -> sqlx::Result<Option<Duration>> {
    let since = OffsetDateTime::now_utc() - WINDOW;
    let row = sqlx::query!(
        r#"
        with account as (
            select attempted_at from login_attempts
            where not succeeded and attempted_at > $3
              and case when $6::text is null then email = $1 and device is null
                       else device = $6 end
            order by attempted_at desc limit $4
        ), address as (
            select attempted_at from login_attempts
            where $6::text is null
              and client_ip = $2 and not succeeded and device is null and attempted_at > $3
            order by attempted_at desc limit $5
        )
        select
            (select count(*) from account) as "account_failures!",
            (select min(attempted_at) from account) as account_oldest,
            (select count(*) from address) as "address_failures!",
            (select min(attempted_at) from address) as address_oldest
        "#,
        email,
        IpNetwork::from(client_ip),
        since,
        MAX_FAILURES_PER_ACCOUNT,
        MAX_FAILURES_PER_ADDRESS,
        device,
    )
    .fetch_one(db)
    .await?;

    let now = OffsetDateTime::now_utc();
    let wait = |failures: i64, limit: i64, oldest: Option<OffsetDateTime>| {
        (failures >= limit)
            .then(|| oldest.map(|t| t + WINDOW - now))
            .flatten()
            .filter(|d| d.is_positive())
    };
    Ok(wait(
        row.account_failures,
        MAX_FAILURES_PER_ACCOUNT,
        row.account_oldest,
    )
    .max(wait(
        row.address_failures,
        MAX_FAILURES_PER_ADDRESS,
        row.address_oldest,
    )))
}

pub async fn record_attempt(
    db: impl PgExecutor<'_>,
    email: &str,
    client_ip: IpAddr,
    device: Option<&str>,
    succeeded: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into login_attempts (email, client_ip, device, succeeded) values ($1, $2, $3, $4)",
        email,
        IpNetwork::from(client_ip),
        device,
        succeeded
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A successful sign-in wipes the failures it was held by: its own browser's when it
/// came with a device cookie, else those of every browser without one. A known browser
/// signing in leaves an attacker's count as it was.
pub async fn forget_failures(
    db: impl PgExecutor<'_>,
    email: &str,
    device: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "delete from login_attempts
         where not succeeded
           and case when $2::text is null then email = $1 and device is null
                    else device = $2 end",
        email,
        device
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Housekeeping: attempts older than a day no longer matter.
pub async fn prune(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done =
        sqlx::query!("delete from login_attempts where attempted_at < now() - interval '1 day'")
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}
