//! The scheduler: the background task that makes Prospector's time-based transitions.
//!
//! Requests do the work they can in their own transaction (completing a touch schedules the
//! next one there and then). What is left is what happens because time passes, or what a
//! request deliberately hands over because it is too big for one transaction:
//!
//! * snoozed touches whose snooze has ended become pending again;
//! * active enrollments without a touch to do get their current step scheduled (a bulk
//!   enrollment writes only the enrollments; a crash may have left one behind), or, past
//!   their cadence's last step, are completed, leaving the prospect at a dead end that the
//!   dead-ends list shows;
//! * future-interest prospects whose re-engage date arrives get a re-engage touch;
//! * touches turning overdue need no write (overdue is `due_at < now`): a pass counts them;
//! * reminder emails whose hour has come (agenda, nudge, weekly summary) are queued, when
//!   the scheduler knows the app's address ([`Scheduler::with_base_url`]; see `reminders`);
//! * CSV imports waiting for their next batch are imported (`imports::run`), first, so
//!   that the enrollments an import makes get their first touches in the same pass; a
//!   pass gives imports at most [`IMPORT_BUDGET`] and comes straight back for the rest;
//! * queued email is delivered, when the scheduler has a mail sender ([`Scheduler::with_mail`];
//!   the module `mail::sender` says how it sends each message once);
//! * the dashboard's rollups are compacted (`dashboard::rollups`): the figures are exact
//!   without it, compaction keeps them cheap to read. While there is activity to fold, the
//!   scheduler comes back for more within [`ROLLUP_COMPACTION`].
//!
//! # Why it is safe to run many
//!
//! Every server runs a scheduler, and `prospector worker` runs one alone. Each kind of work
//! is claimed in batches with `FOR NO KEY UPDATE SKIP LOCKED` (the lock an update takes,
//! which does not block foreign-key checks of concurrent inserts) and done in one
//! transaction per batch, so instances share the work instead of queueing on each other, a
//! pass skips the prospects and touches a request holds rather than wait for them (a
//! request that then wants the enrollment the pass holds would deadlock with it), and a
//! crash rolls back at most the batch in hand. Claiming alone would not be enough: a
//! scheduler whose snapshot predates another's commit can claim a row already handled. The
//! unique keys on touches (`touches_step_key`, `touches_re_engage_key`) with
//! `on conflict do nothing` are what make a duplicate touch impossible.
//!
//! # Why it does not poll
//!
//! After a pass the loop sleeps until the earliest time work becomes due (a snooze ending,
//! a re-engage date arriving, an email's next attempt; at most [`MAX_SLEEP`], as a safety
//! net), or until a request calls [`wakeup::notify`](crate::wakeup::notify) (delivered
//! through `LISTEN`; queueing an email does), or until shutdown. When the database is unreachable it logs and retries with
//! exponential backoff, and it listens again before the next pass so that no notification
//! falls between the two.

mod work;

use std::{
    future::Future,
    pin::pin,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use anyhow::Context as _;
use sqlx::{PgPool, postgres::PgListener};
use time::OffsetDateTime;

use crate::{mail, wakeup::CHANNEL};

/// The longest a scheduler sleeps: work nobody announced (rows written by hand, a lost
/// notification) is still picked up within this time.
pub const MAX_SLEEP: Duration = Duration::from_secs(15 * 60);

/// The shortest sleep between passes. Work that is due but was not done is being held by
/// another scheduler; there is no point asking again at once.
const MIN_SLEEP: Duration = Duration::from_secs(1);

/// How soon a scheduler that folded rollup deltas comes back for the next ones.
pub const ROLLUP_COMPACTION: Duration = Duration::from_secs(30);

const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(60);

/// The longest a pass spends importing before it does the other work (and loops again).
pub const IMPORT_BUDGET: Duration = Duration::from_secs(10);

/// How many rows a batch claims by default: big enough to amortise the round trips, small
/// enough that a batch commits in well under a second.
pub const DEFAULT_BATCH: i64 = 500;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    /// Snoozed touches made pending again.
    pub snoozes_ended: u64,
    /// Step touches scheduled for enrollments that had none.
    pub steps_scheduled: u64,
    /// Enrollments completed because their cadence has no step left.
    pub enrollments_completed: u64,
    /// Re-engage touches scheduled for arriving dates.
    pub re_engages_scheduled: u64,
    /// Pending touches already past due at the end of the pass (nothing is written for them).
    pub overdue: i64,
    /// What the mail sender did (nothing without one).
    pub mail: mail::DeliveryReport,
    /// Reminder emails queued (none without a base URL: see [`Scheduler::with_base_url`]).
    pub reminders: crate::reminders::ReminderReport,
    /// Password reset links sent for the requests queued by the forgot-password page.
    pub reset_links_sent: u64,
    /// Import batches run, and the rows they handled.
    pub imports: crate::imports::run::Report,
    /// Rollup keys whose delta rows were folded into one (not a change of any figure).
    pub rollup_keys_compacted: u64,
}

impl PassReport {
    /// Whether the pass changed anything.
    pub fn wrote_nothing(&self) -> bool {
        self.snoozes_ended == 0
            && self.steps_scheduled == 0
            && self.enrollments_completed == 0
            && self.re_engages_scheduled == 0
            && self.mail.is_empty()
            && self.reminders.is_empty()
            && self.reset_links_sent == 0
            && self.imports.batches == 0
    }
}

impl std::fmt::Display for PassReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} snoozes ended, {} steps scheduled, {} enrollments completed, \
             {} re-engage touches scheduled, {} touches overdue",
            self.snoozes_ended,
            self.steps_scheduled,
            self.enrollments_completed,
            self.re_engages_scheduled,
            self.overdue
        )?;
        if self.imports.batches > 0 {
            write!(
                f,
                ", {} import rows in {} batches",
                self.imports.rows, self.imports.batches
            )?;
        }
        if !self.reminders.is_empty() {
            write!(f, ", {}", self.reminders)?;
        }
        if self.reset_links_sent > 0 {
            write!(f, ", {} password reset links", self.reset_links_sent)?;
        }
        if !self.mail.is_empty() {
            write!(f, ", {}", self.mail)?;
        }
        if self.rollup_keys_compacted > 0 {
            write!(f, ", {} rollup keys compacted", self.rollup_keys_compacted)?;
        }
        Ok(())
    }
}

/// One scheduler instance. Cheap to make; any number may run against one database.
#[derive(Clone, Debug)]
pub struct Scheduler {
    db: PgPool,
    batch: i64,
    mail: Option<mail::Sender>,
    /// Where the app is served, for the links in reminder emails; without it none are queued.
    base_url: Option<url::Url>,
    /// The file of the import in hand, shared by this instance's passes.
    imports: crate::imports::run::Cache,
}

impl Scheduler {
    pub fn new(db: PgPool) -> Self {
        Self {
            db,
            batch: DEFAULT_BATCH,
            mail: None,
            base_url: None,
            imports: Default::default(),
        }
    }

    /// Also queues the reminder emails that are due, linking to the app at `base_url`.
    pub fn with_base_url(self, base_url: url::Url) -> Self {
        Self {
            base_url: Some(base_url),
            ..self
        }
    }

    /// Claims at most `batch` rows per transaction (at least 1).
    pub fn with_batch(self, batch: i64) -> Self {
        Self {
            batch: batch.max(1),
            ..self
        }
    }

    /// Also delivers queued email, at the end of each pass (after the work that may queue
    /// some).
    pub fn with_mail(self, sender: mail::Sender) -> Self {
        Self {
            mail: Some(sender),
            ..self
        }
    }

    /// One pass over all kinds of work, as if the clock read `now`. For `prospector worker
    /// --once [--at]` and for tests; the loop in [`Scheduler::run`] uses the real clock.
    pub async fn run_once(&self, now: OffsetDateTime) -> anyhow::Result<PassReport> {
        self.pass(now, &AtomicBool::new(false)).await
    }

    /// Runs until `shutdown` completes. A pass in progress when it does finishes the batch
    /// in hand (a transaction is never abandoned midway) and stops before the next one.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = pin!(shutdown);
        let stop = AtomicBool::new(false);
        let mut listener: Option<PgListener> = None;
        let mut retry = FIRST_RETRY;
        let mut failing = false;
        tracing::info!(batch = self.batch, "scheduler started");

        loop {
            let outcome = {
                let mut cycle = pin!(self.cycle(&mut listener, &stop));
                tokio::select! {
                    outcome = &mut cycle => outcome,
                    () = &mut shutdown => {
                        // The pass sees the flag between batches and returns.
                        stop.store(true, Ordering::Relaxed);
                        cycle.await
                    }
                }
            };
            let stopping = stop.load(Ordering::Relaxed);
            let wake_at = match outcome {
                Ok(wake_at) => {
                    if failing {
                        tracing::info!("scheduler: the database is reachable again");
                        failing = false;
                    }
                    retry = FIRST_RETRY;
                    wake_at
                }
                Err(err) => {
                    failing = true;
                    listener = None;
                    tracing::warn!(
                        error = format!("{err:#}"),
                        retry_in_secs = retry.as_secs(),
                        "scheduler pass failed (is the database down?); retrying"
                    );
                    if stopping {
                        break;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(retry) => {}
                        () = &mut shutdown => break,
                    }
                    retry = (retry * 2).min(LAST_RETRY);
                    continue;
                }
            };
            // Once stopping, `shutdown` has completed and must not be polled again.
            if stopping {
                break;
            }

            let Some(active) = listener.as_mut() else {
                continue; // not reached: a successful cycle leaves a listener
            };
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep(sleep_until(wake_at)) => {}
                received = active.try_recv() => match received {
                    Ok(Some(_)) => drain(active).await,
                    Ok(None) => tracing::info!(
                        "scheduler: the LISTEN connection was lost and re-established; \
                         running a pass for anything announced meanwhile"
                    ),
                    Err(err) => {
                        tracing::warn!(error = %err, "scheduler: LISTEN failed; reconnecting");
                        listener = None;
                        failing = true;
                    }
                },
            }
        }
        tracing::info!("scheduler stopped");
    }

    /// Listens (if not already listening), runs a pass with the real clock and says when
    /// the next work falls due.
    async fn cycle(
        &self,
        listener: &mut Option<PgListener>,
        stop: &AtomicBool,
    ) -> anyhow::Result<OffsetDateTime> {
        if listener.is_none() {
            *listener = Some(
                listen(&self.db)
                    .await
                    .context("listening for notifications")?,
            );
        }
        let now = OffsetDateTime::now_utc();
        let started = std::time::Instant::now();
        let report = self.pass(now, stop).await?;
        let took_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if report.wrote_nothing() {
            tracing::debug!(%report, took_ms, "scheduler pass");
        } else {
            tracing::info!(%report, took_ms, "scheduler pass");
        }
        let mut next = work::next_due(&self.db, now)
            .await
            .context("finding the next due time")?;
        if crate::imports::run::pending(&self.db)
            .await
            .context("looking for imports")?
        {
            // An import left for the next pass (its budget ran out): straight back to it.
            next = Some(now);
        }
        if let Some(mail) = &self.mail {
            let mail_due = mail
                .next_due()
                .await
                .context("finding the next email due")?;
            next = next.into_iter().chain(mail_due).min();
        }
        if self.base_url.is_some() {
            let reminder_due = crate::reminders::next_due(&self.db, now)
                .await
                .context("finding the next reminder hour")?;
            next = next.into_iter().chain(reminder_due).min();
        }
        if report.rollup_keys_compacted > 0 {
            next = next.into_iter().chain([now + ROLLUP_COMPACTION]).min();
        }
        Ok(next.unwrap_or(now + MAX_SLEEP))
    }

    /// Every kind of work, batch after batch; stops early (between batches) once `stop` is
    /// set.
    async fn pass(&self, now: OffsetDateTime, stop: &AtomicBool) -> anyhow::Result<PassReport> {
        let mut report = PassReport::default();
        let stopping = || stop.load(Ordering::Relaxed);

        report.imports =
            crate::imports::run::work(&self.db, &self.imports, IMPORT_BUDGET, stopping)
                .await
                .context("importing")?;

        while !stopping() {
            let mut tx = self.db.begin().await?;
            let woken = work::end_snoozes(&mut tx, now, self.batch)
                .await
                .context("ending snoozes")?;
            tx.commit().await?;
            report.snoozes_ended += woken;
            if !self.is_full(woken) {
                break;
            }
        }

        let mut after_id = 0;
        while !stopping() {
            let mut tx = self.db.begin().await?;
            let batch = work::schedule_enrollments(&mut tx, now, after_id, self.batch)
                .await
                .context("scheduling enrollments")?;
            tx.commit().await?;
            report.steps_scheduled += batch.scheduled;
            report.enrollments_completed += batch.completed;
            match batch.last_id {
                Some(last) if self.is_full(batch.claimed as u64) => after_id = last,
                _ => break,
            }
        }

        let mut after_id = 0;
        while !stopping() {
            let mut tx = self.db.begin().await?;
            let batch = work::schedule_re_engages(&mut tx, now, after_id, self.batch)
                .await
                .context("scheduling re-engage touches")?;
            tx.commit().await?;
            report.re_engages_scheduled += batch.scheduled;
            match batch.last_id {
                Some(last) if self.is_full(batch.claimed as u64) => after_id = last,
                _ => break,
            }
        }

        // Before delivery, so that the links and reminders queued now go out in this pass.
        if let Some(base_url) = &self.base_url {
            while !stopping() {
                let mut tx = self.db.begin().await?;
                let (sent, answered) =
                    crate::auth::recovery::answer_reset_requests(&mut tx, base_url, self.batch)
                        .await
                        .context("answering password reset requests")?;
                tx.commit().await?;
                report.reset_links_sent += sent;
                if !self.is_full(answered) {
                    break;
                }
            }
        }
        if let Some(base_url) = &self.base_url
            && !stopping()
        {
            report.reminders = crate::reminders::run_due(&self.db, now, base_url)
                .await
                .context("queueing reminders")?;
        }

        if let Some(mail) = &self.mail
            && !stopping()
        {
            report.mail = mail.deliver(now, stop).await.context("delivering email")?;
        }

        if !stopping() {
            report.rollup_keys_compacted = crate::dashboard::rollups::compact(&self.db)
                .await
                .context("compacting the dashboard's rollups")?;
        }

        report.overdue = work::count_overdue(&self.db, now).await?;
        Ok(report)
    }

    /// Whether a batch that handled `rows` rows was full, so that more may be waiting.
    fn is_full(&self, rows: u64) -> bool {
        i64::try_from(rows).is_ok_and(|rows| rows >= self.batch)
    }
}

async fn listen(db: &PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(db).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// Swallows the notifications that arrive together (a burst of bulk enrollments), so that
/// they cause one pass rather than one each.
async fn drain(listener: &mut PgListener) {
    while let Ok(Ok(Some(_))) =
        tokio::time::timeout(Duration::from_millis(20), listener.try_recv()).await
    {}
}

/// How long to sleep to wake at `at`, within [`MIN_SLEEP`] and [`MAX_SLEEP`].
fn sleep_until(at: OffsetDateTime) -> Duration {
    let wait = at - OffsetDateTime::now_utc();
    Duration::try_from(wait)
        .unwrap_or(Duration::ZERO)
        .clamp(MIN_SLEEP, MAX_SLEEP)
}
