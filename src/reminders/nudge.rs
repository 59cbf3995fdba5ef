//! The overdue nudge: a touch still pending N business days after the day it was due
//! (the owner's N, 2 by default) is named in one nudge to its owner.
//!
//! # Why one email per rep per day, not per touch
//!
//! A bulk enrollment puts hundreds of touches at the same due time; one email per touch
//! would bury the rep under as many emails the day they slip. So a touch's *nudge day* is
//! the N-th business day after its local due date (due Friday, N = 2: Tuesday), and each
//! business day, at their reminder hour, a rep gets one nudge listing the touches whose
//! nudge day it is (key `nudge:{user}:{date}`). A touch has exactly one nudge day, so it
//! is named in one nudge: the issue's "one nudge per touch", grouped. A touch worked
//! before the nudge goes out is left out of it; moving a touch (a snooze) gives it a new
//! due date and so a new nudge day.
//!
//! A nudge day missed entirely (no scheduler ran that business day) is not caught up the
//! next day: those touches are still in every morning agenda's overdue list.

use askama::Template;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;

use super::{Due, Links, Recipient, Reminder, business_days_after, count_of, queue_each};
use crate::mail::outbox::NewMail;
use crate::{interactions::Channel, web::format};

pub const KIND: &str = "nudge";

/// The most touches one nudge lists; the rest are counted, with a link to Today.
pub const LIST_LIMIT: usize = 50;

/// The idempotency key of `user_id`'s nudge on `date` (their local date).
pub fn key(user_id: i64, date: time::Date) -> String {
    format!("nudge:{user_id}:{date}")
}

/// A touch as the nudge lists it.
#[derive(Debug, Clone)]
pub struct NudgeLine {
    pub touch_id: i64,
    pub channel: &'static str,
    pub prospect: String,
    pub account: Option<String>,
    /// "Mon 29 Jun 2026, 10:00".
    pub due: String,
    pub url: String,
}

/// Everything the nudge says.
#[derive(Debug, Clone)]
pub struct Nudge {
    pub first_name: String,
    pub business_days: u16,
    pub touches: Vec<NudgeLine>,
    pub total: usize,
    pub today_url: String,
    pub preferences_url: String,
}

impl Nudge {
    fn more(&self) -> usize {
        self.total - self.touches.len()
    }

    /// "2 business days", "1 business day".
    fn days(&self) -> String {
        count_of(self.business_days.into(), "business day", "business days")
    }

    /// "Overdue for 2 business days: Ada Lovelace (Call)", or ": 3 touches".
    fn headline(&self) -> String {
        let what = match self.touches.first() {
            Some(only) if self.total == 1 => format!("{} ({})", only.prospect, only.channel),
            _ => count_of(self.total as i64, "touch", "touches"),
        };
        format!("Overdue for {}: {what}", self.days())
    }
}

#[derive(Template)]
#[template(path = "email/nudge/subject.txt", escape = "none")]
struct Subject<'a> {
    email: &'a Nudge,
}

#[derive(Template)]
#[template(path = "email/nudge/body.txt", escape = "none")]
struct Text<'a> {
    email: &'a Nudge,
}

#[derive(Template)]
#[template(path = "email/nudge/body.html")]
struct Html<'a> {
    email: &'a Nudge,
}

/// Queues the nudges due at `now`; returns how many.
pub(super) async fn run_due(
    db: &PgPool,
    now: OffsetDateTime,
    links: &Links,
) -> anyhow::Result<u64> {
    let candidates = sqlx::query!(
        r#"select id, email::text as "email!", name, time_zone, agenda_time,
                  nudge_after_business_days
           from users
           where active and nudge_enabled
           order by id"#
    )
    .fetch_all(db)
    .await?;
    let due = candidates
        .into_iter()
        .filter_map(|row| {
            let user = Recipient {
                id: row.id,
                email: row.email,
                name: row.name,
                time_zone: row.time_zone,
                hour: row.agenda_time,
            };
            let day = user.reminder_day(now)?;
            let n = u16::try_from(row.nudge_after_business_days)
                .unwrap_or(2)
                .max(1);
            Some(Due {
                key: key(user.id, day.date),
                user,
                reminder: Settings {
                    after_business_days: n,
                },
            })
        })
        .collect();
    queue_each(db, due, now, links).await
}

/// What the nudge knows of a user due one.
#[derive(Debug, Clone)]
struct Settings {
    /// How many business days overdue a touch is when it is named in a nudge.
    after_business_days: u16,
}

impl Reminder for Settings {
    async fn mail(
        conn: &mut PgConnection,
        due: &Due<Self>,
        now: OffsetDateTime,
        links: &Links,
    ) -> anyhow::Result<Option<NewMail>> {
        let n = due.reminder.after_business_days;
        let Some(nudge) = build(conn, &due.user, n, now, links).await? else {
            return Ok(None);
        };
        Ok(Some(mail(&due.user, &due.key, &nudge)?))
    }
}

fn mail(user: &Recipient, key: &str, nudge: &Nudge) -> askama::Result<NewMail> {
    super::reminder_mail(
        user,
        key,
        KIND,
        Subject { email: nudge },
        Text { email: nudge },
        Html { email: nudge },
    )
}

/// The nudge of `user` for their local day at `now`: their pending touches whose nudge
/// day (the `n`-th business day after the local due date) it is. `None` when there are
/// none.
pub(crate) async fn build(
    conn: &mut PgConnection,
    user: &Recipient,
    n: u16,
    now: OffsetDateTime,
    links: &Links,
) -> sqlx::Result<Option<Nudge>> {
    let zone = user.zone();
    let today = super::local_date(now, &zone);
    // Every touch due N business days before today was due in this window: N business
    // days span at most 7N/5 + 2 calendar days, and a day of slack covers the zone.
    let span = time::Duration::days(i64::from(n) * 2 + 4);
    let day_starts = super::start_of_day(today, &zone);
    let rows = sqlx::query!(
        r#"select t.id, t.channel as "channel: Channel", t.due_at,
                  trim(p.first_name || ' ' || p.last_name) as "prospect!", a.name as "account?"
           from touches t
           join prospects p on p.id = t.prospect_id
           left join accounts a on a.id = p.account_id
           where t.owner_id = $1 and t.status = 'pending'
             and t.due_at >= $2 and t.due_at < $3
           order by t.due_at, t.id"#,
        user.id,
        day_starts - span,
        day_starts
    )
    .fetch_all(conn)
    .await?;
    let lines: Vec<NudgeLine> = rows
        .into_iter()
        .filter(|row| {
            let due_on = super::local_date(row.due_at, &zone);
            business_days_after(due_on, n) == Some(today)
        })
        .map(|row| NudgeLine {
            touch_id: row.id,
            channel: row.channel.label(),
            prospect: row.prospect,
            account: row.account,
            due: format::datetime(row.due_at, &user.time_zone),
            url: links.touch(row.id),
        })
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    let total = lines.len();
    Ok(Some(Nudge {
        first_name: user.first_name().to_string(),
        business_days: n,
        touches: lines.into_iter().take(LIST_LIMIT).collect(),
        total,
        today_url: links.to("/today"),
        preferences_url: links.preferences(),
    }))
}
