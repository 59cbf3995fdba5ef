//! Reminders: the emails that keep the process moving when nobody has the app open.
//!
//! * the **morning agenda** ([`agenda`]): overdue touches, today's touches and the
//!   future-interest prospects to re-engage this week, to each user on their working days;
//! * the **overdue nudge** ([`nudge`]): the touches that have just become N business days
//!   overdue;
//! * the **weekly summary** ([`weekly`]): a manager's team, last week against the week
//!   before, on Monday;
//! * the **preferences page** ([`preferences`]) where each user turns each kind on or off
//!   and chooses the hour.
//!
//! # When
//!
//! Every kind goes out at the user's *reminder hour* (`users.agenda_time`, 07:30 by
//! default) in their own IANA time zone, on business days ([`schedule::is_business_day`],
//! the one place that will learn about holidays). The scheduler calls [`run_due`] on every
//! pass and wakes at the next reminder hour ([`next_due`]), so an email leaves within a
//! second or so of its hour, and a pass that runs late (an outage) catches up.
//!
//! # Once, however many schedulers
//!
//! Each email has an idempotency key naming its occasion (`agenda:{user}:{local date}`,
//! `nudge:{user}:{local date}`, `weekly:{user}:{ISO week}`) that the outbox's unique index
//! enforces: two schedulers cannot queue the same email twice, whatever their timing. On
//! top of that, the users due are claimed in batches with `for no key update skip locked`,
//! so that concurrent schedulers share the work instead of both building the same email
//! only for one of them to be discarded. The email is queued in the batch's transaction: a
//! crash before the commit leaves the key free for the next pass, after it the email is in
//! the outbox, to be delivered by the mail sender.

pub mod agenda;
pub mod nudge;
pub mod preferences;
pub mod weekly;

use std::collections::HashSet;

use axum::{Router, routing::get};
use jiff::tz::TimeZone;
use sqlx::{PgConnection, PgExecutor, PgPool};
use time::{Date, Duration, OffsetDateTime, Time};
use url::Url;

use crate::{
    mail::outbox::{self, NewMail},
    schedule::{is_business_day, local_instant, next_business_day},
    state::AppState,
};

/// The page where a user chooses which reminders they get, and when.
pub const PREFERENCES_PATH: &str = "/settings/reminders";

/// How many users a transaction claims: their emails are built and queued together, so
/// the batch is small enough to commit in well under a second.
const BATCH: usize = 100;

pub fn router() -> Router<AppState> {
    Router::new().route(
        PREFERENCES_PATH,
        get(preferences::show).post(preferences::save),
    )
}

/// What one call of [`run_due`] queued.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReminderReport {
    pub agendas: u64,
    pub nudges: u64,
    pub weekly_summaries: u64,
}

impl ReminderReport {
    pub fn is_empty(&self) -> bool {
        self.agendas == 0 && self.nudges == 0 && self.weekly_summaries == 0
    }
}

impl std::fmt::Display for ReminderReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} agendas, {} nudges and {} weekly summaries queued",
            self.agendas, self.nudges, self.weekly_summaries
        )
    }
}

/// Queues every reminder due at `now` that has not been queued yet. Links in the emails
/// are absolute, under `base_url` (the app's public address).
pub async fn run_due(
    db: &PgPool,
    now: OffsetDateTime,
    base_url: &Url,
) -> anyhow::Result<ReminderReport> {
    let links = Links::new(base_url);
    Ok(ReminderReport {
        agendas: agenda::run_due(db, now, &links).await?,
        nudges: nudge::run_due(db, now, &links).await?,
        weekly_summaries: weekly::run_due(db, now, &links).await?,
    })
}

/// The next reminder hour after `now` of any user with a reminder turned on, for the
/// scheduler's sleep. `None` when nobody wants reminders.
pub async fn next_due(
    db: impl PgExecutor<'_>,
    now: OffsetDateTime,
) -> sqlx::Result<Option<OffsetDateTime>> {
    // Few distinct (zone, hour) pairs, however many users.
    let hours = sqlx::query!(
        r#"select distinct time_zone, agenda_time
           from users
           where active
             and (agenda_enabled or nudge_enabled
                  or (weekly_summary_enabled and role = 'manager' and team_id is not null))"#
    )
    .fetch_all(db)
    .await?;
    Ok(hours
        .into_iter()
        .filter_map(|row| next_hour_after(now, &zone(&row.time_zone), row.agenda_time))
        .min())
}

/// The first instant after `now` at which the wall clock in `zone` shows `hour` on a
/// business day.
fn next_hour_after(now: OffsetDateTime, zone: &TimeZone, hour: Time) -> Option<OffsetDateTime> {
    let mut day = local_date(now, zone).previous_day()?;
    // A business day comes within a few days; the bound only guards against a calendar
    // with none.
    for _ in 0..14 {
        day = day.next_day()?;
        if is_business_day(day) {
            let at = local_instant(day, hour, zone)?;
            if at > now {
                return Some(at);
            }
        }
    }
    None
}

// ------------------------------------------------------------------ who is due

/// A user a reminder may go to, as every kind loads them.
#[derive(Debug, Clone)]
pub(crate) struct Recipient {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub time_zone: String,
    pub hour: Time,
}

impl Recipient {
    pub fn zone(&self) -> TimeZone {
        zone(&self.time_zone)
    }

    pub fn first_name(&self) -> &str {
        self.name.split_whitespace().next().unwrap_or(&self.name)
    }

    /// Today in the user's zone, if it is a business day and their reminder hour has come.
    pub fn reminder_day(&self, now: OffsetDateTime) -> Option<ReminderDay> {
        let zone = self.zone();
        let date = local_date(now, &zone);
        let hour_at = local_instant(date, self.hour, &zone)?;
        (is_business_day(date) && now >= hour_at).then_some(ReminderDay { date, hour_at })
    }
}

/// A business day on which a user's reminder hour has come.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ReminderDay {
    /// The user's local date.
    pub date: Date,
    /// When their reminder hour struck that day.
    pub hour_at: OffsetDateTime,
}

/// The IANA zone a user chose; UTC if the name is unknown (it was checked when saved, but
/// a tz database update could in principle retire it).
pub(crate) fn zone(tz: &str) -> TimeZone {
    TimeZone::get(tz).unwrap_or(TimeZone::UTC)
}

/// The date the wall clock in `zone` shows at `instant`. (`web::format::local_date` does
/// the same from a zone's name; the reminders hold the zone itself.)
pub(crate) fn local_date(instant: OffsetDateTime, zone: &TimeZone) -> Date {
    let local = jiff::Timestamp::from_second(instant.unix_timestamp())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(zone.clone());
    time::Month::try_from(local.month() as u8)
        .ok()
        .and_then(|month| {
            Date::from_calendar_date(local.year().into(), month, local.day() as u8).ok()
        })
        .unwrap_or(instant.date())
}

/// Midnight at the start of `date` in `zone`, as an instant.
pub(crate) fn start_of_day(date: Date, zone: &TimeZone) -> OffsetDateTime {
    local_instant(date, Time::MIDNIGHT, zone).unwrap_or_else(|| date.midnight().assume_utc())
}

/// The Monday of `date`'s week.
pub(crate) fn monday_of(date: Date) -> Date {
    date - Duration::days(date.weekday().number_days_from_monday().into())
}

/// "14:05" in the zone `tz`.
pub(crate) fn clock(instant: OffsetDateTime, tz: &str) -> String {
    jiff::Timestamp::from_second(instant.unix_timestamp())
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(zone(tz))
        .strftime("%H:%M")
        .to_string()
}

/// "Wednesday 1 July".
pub(crate) fn long_day(date: Date) -> String {
    format!("{} {} {}", date.weekday(), date.day(), date.month())
}

/// "Wed 1 Jul".
pub(crate) fn short_day(date: Date) -> String {
    let weekday = date.weekday().to_string();
    format!("{} {}", &weekday[..3], day_month(date))
}

/// "1 Jul".
pub(crate) fn day_month(date: Date) -> String {
    let month = date.month().to_string();
    format!("{} {}", date.day(), &month[..3])
}

/// Of `keys`, those no email has been queued under yet.
async fn unsent(db: impl PgExecutor<'_>, keys: &[String]) -> sqlx::Result<HashSet<String>> {
    let queued: HashSet<String> = sqlx::query_scalar!(
        "select idempotency_key from mail_outbox where idempotency_key = any($1)",
        keys
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .collect();
    Ok(keys
        .iter()
        .filter(|key| !queued.contains(*key))
        .cloned()
        .collect())
}

/// A user due one kind of reminder: the key its email goes out under, and what that kind
/// knows of them beyond the [`Recipient`].
#[derive(Debug, Clone)]
pub(crate) struct Due<T> {
    pub user: Recipient,
    pub key: String,
    pub reminder: T,
}

/// One kind of reminder, as [`queue_each`] sends it; implemented by what the kind knows of a
/// user due one.
pub(crate) trait Reminder: Sized + Sync {
    /// The email to `due.user`, built in the batch's transaction at `now`; `None` when
    /// there is nothing to send.
    fn mail<'a>(
        conn: &'a mut PgConnection,
        due: &'a Due<Self>,
        now: OffsetDateTime,
        links: &'a Links,
    ) -> impl Future<Output = anyhow::Result<Option<NewMail>>> + Send + 'a;
}

/// Queues the emails of `due` that are not queued yet, every kind the same way: the users
/// are claimed batch by batch (see [`claim`]) and each claimed user's email is built and
/// queued in the batch's transaction. Returns how many were queued.
pub(crate) async fn queue_each<R: Reminder>(
    db: &PgPool,
    due: Vec<Due<R>>,
    now: OffsetDateTime,
    links: &Links,
) -> anyhow::Result<u64> {
    let due = drop_sent(db, due).await?;
    let mut queued = 0;
    for batch in due.chunks(BATCH) {
        let mut tx = db.begin().await?;
        let ids: Vec<(i64, &str)> = batch.iter().map(|d| (d.user.id, d.key.as_str())).collect();
        let claimed = claim(&mut tx, &ids).await?;
        for d in batch.iter().filter(|d| claimed.contains(&d.user.id)) {
            if let Some(email) = R::mail(&mut tx, d, now, links).await? {
                queued += u64::from(outbox::enqueue(&mut *tx, &email).await?);
            }
        }
        tx.commit().await?;
    }
    Ok(queued)
}

/// Keeps, of `due`, those whose email is not queued yet.
async fn drop_sent<T>(db: &PgPool, due: Vec<Due<T>>) -> sqlx::Result<Vec<Due<T>>> {
    if due.is_empty() {
        return Ok(due);
    }
    let keys: Vec<String> = due.iter().map(|d| d.key.clone()).collect();
    let unsent = unsent(db, &keys).await?;
    Ok(due
        .into_iter()
        .filter(|d| unsent.contains(&d.key))
        .collect())
}

/// Claims, in the caller's transaction, the users of `due` that no other scheduler holds
/// and whose email is still not queued; returns their ids. The users stay locked until the
/// transaction ends.
async fn claim(conn: &mut PgConnection, due: &[(i64, &str)]) -> sqlx::Result<HashSet<i64>> {
    let ids: Vec<i64> = due.iter().map(|(id, _)| *id).collect();
    let locked: HashSet<i64> = sqlx::query_scalar!(
        r#"select id from users where id = any($1) and active
           order by id
           for no key update skip locked"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    // A statement of its own, so that it reads after the locks were granted: a scheduler
    // that held one of these users has committed (or rolled back) its email by now.
    let keys: Vec<String> = due.iter().map(|(_, key)| key.to_string()).collect();
    let unsent = unsent(&mut *conn, &keys).await?;
    Ok(due
        .iter()
        .filter(|(id, key)| locked.contains(id) && unsent.contains(*key))
        .map(|(id, _)| *id)
        .collect())
}

// ------------------------------------------------------------------ the emails

/// Absolute links into the app, for emails.
#[derive(Debug, Clone)]
pub(crate) struct Links {
    base: String,
}

impl Links {
    pub fn new(base_url: &Url) -> Self {
        Links {
            base: base_url.as_str().trim_end_matches('/').to_string(),
        }
    }

    /// `path` must start with `/`.
    pub fn to(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Work mode opened on this touch.
    pub fn touch(&self, touch_id: i64) -> String {
        self.to(&format!("/today/work?touch={touch_id}"))
    }

    pub fn prospect(&self, prospect_id: i64) -> String {
        self.to(&format!("/prospects/{prospect_id}"))
    }

    pub fn preferences(&self) -> String {
        self.to(PREFERENCES_PATH)
    }
}

/// The outbox row for a reminder: its subject, text and HTML templates rendered for `user`.
pub(crate) fn reminder_mail(
    user: &Recipient,
    key: &str,
    kind: &'static str,
    subject: impl askama::Template,
    text: impl askama::Template,
    html: impl askama::Template,
) -> askama::Result<NewMail> {
    Ok(NewMail {
        idempotency_key: key.to_string(),
        kind,
        user_id: Some(user.id),
        to_address: user.email.clone(),
        to_name: user.name.clone(),
        subject: subject_line(&subject.render()?),
        body_text: text.render()?,
        body_html: html.render()?,
    })
}

/// A subject line: one line, whatever the template's whitespace, so that it is a valid
/// header.
pub(crate) fn subject_line(rendered: &str) -> String {
    rendered.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "1 touch", "3 touches".
pub(crate) fn count_of(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The N-th business day after `date`.
pub(crate) fn business_days_after(date: Date, n: u16) -> Option<Date> {
    let mut day = date;
    for _ in 0..n {
        day = next_business_day(day)?;
    }
    Some(day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime, time};

    #[test]
    fn the_next_reminder_hour_skips_the_weekend_and_follows_the_zone() {
        let ny = zone("America/New_York");
        // Friday 2026-07-03 12:00 UTC is 08:00 in New York: today's 07:30 has passed.
        assert_eq!(
            next_hour_after(datetime!(2026-07-03 12:00 UTC), &ny, time!(07:30)),
            Some(datetime!(2026-07-06 11:30 UTC))
        );
        // Thursday 11:00 UTC is 07:00 in New York: today's is still to come.
        assert_eq!(
            next_hour_after(datetime!(2026-07-02 11:00 UTC), &ny, time!(07:30)),
            Some(datetime!(2026-07-02 11:30 UTC))
        );
        // Sunday 22:00 UTC is already Monday 07:00 in Tokyo.
        assert_eq!(
            next_hour_after(
                datetime!(2026-07-05 22:00 UTC),
                &zone("Asia/Tokyo"),
                time!(07:30)
            ),
            Some(datetime!(2026-07-05 22:30 UTC))
        );
    }

    #[test]
    fn days_read_naturally() {
        assert_eq!(long_day(date!(2026 - 07 - 01)), "Wednesday 1 July");
        assert_eq!(short_day(date!(2026 - 07 - 01)), "Wed 1 Jul");
        assert_eq!(monday_of(date!(2026 - 07 - 05)), date!(2026 - 06 - 29));
        assert_eq!(monday_of(date!(2026 - 07 - 06)), date!(2026 - 07 - 06));
        assert_eq!(
            business_days_after(date!(2026 - 07 - 03), 2),
            Some(date!(2026 - 07 - 07))
        );
        assert_eq!(
            clock(datetime!(2026-07-01 12:05 UTC), "Europe/Paris"),
            "14:05"
        );
    }

    #[test]
    fn subjects_are_one_line() {
        assert_eq!(
            subject_line("  Your agenda\n for today \n"),
            "Your agenda for today"
        );
    }
}
