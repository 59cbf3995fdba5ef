//! The morning agenda: one email per user per working day, at their reminder hour, with
//! what their day holds: touches already overdue, touches due today, and the
//! future-interest prospects whose re-engage date falls this week (Monday to Sunday, in
//! their zone). Every line links to the touch in work mode or to the prospect.
//!
//! It goes to every active user with the agenda on, whatever their role: a manager or an
//! admin who carries prospects has a day to plan too, and one who carries none gets
//! nothing, since an empty agenda sends nothing unless the user asked for it
//! (`agenda_when_empty`).
//!
//! An agenda is only sent within [`SEND_WITHIN`] of the hour: a scheduler that was down all
//! morning does not mail a "morning" agenda in the evening, and a day that was empty at
//! 07:30 does not produce one at 16:00 because a touch was scheduled meanwhile.

use askama::Template;
use sqlx::{PgConnection, PgPool};
use time::{Date, Duration, OffsetDateTime};

use super::{Due, Links, Recipient, Reminder, count_of, queue_each};
use crate::{interactions::Channel, mail::outbox::NewMail, touches::TouchKind, web::format};

pub const KIND: &str = "agenda";

/// How long after the reminder hour an agenda may still go out.
pub const SEND_WITHIN: Duration = Duration::hours(4);

/// The most lines a section lists; the rest are counted, with a link to Today.
pub const SECTION_LIMIT: i64 = 25;

/// The idempotency key of `user_id`'s agenda for `date` (their local date).
pub fn key(user_id: i64, date: Date) -> String {
    format!("agenda:{user_id}:{date}")
}

/// A touch as the email lists it.
#[derive(Debug, Clone)]
pub struct TouchLine {
    pub touch_id: i64,
    /// "10:00" today, or "Mon 29 Jun 2026, 10:00" when overdue.
    pub when: String,
    pub channel: &'static str,
    pub prospect: String,
    pub account: Option<String>,
    /// "Step 2 of 5 · Outbound", "Re-engage".
    pub what: String,
    pub url: String,
}

/// A prospect as the email lists it.
#[derive(Debug, Clone)]
pub struct ProspectLine {
    pub prospect_id: i64,
    pub name: String,
    pub account: Option<String>,
    /// "Thu 2 Jul".
    pub when: String,
    pub url: String,
}

/// Everything the agenda says.
#[derive(Debug, Clone)]
pub struct Agenda {
    pub first_name: String,
    /// "Wednesday 1 July".
    pub day: String,
    /// "Wed 1 Jul", for the subject.
    pub short_day: String,
    pub overdue: Vec<TouchLine>,
    pub overdue_total: i64,
    pub today: Vec<TouchLine>,
    pub today_total: i64,
    pub re_engage: Vec<ProspectLine>,
    pub re_engage_total: i64,
    /// "29 Jun – 5 Jul".
    pub week: String,
    pub time_zone: String,
    pub today_url: String,
    pub work_url: String,
    pub preferences_url: String,
}

impl Agenda {
    pub fn is_empty(&self) -> bool {
        self.overdue_total == 0 && self.today_total == 0 && self.re_engage_total == 0
    }

    /// "2 overdue, 3 due today, 1 to re-engage", for the subject.
    fn summary(&self) -> String {
        let parts: Vec<String> = [
            (self.overdue_total, "overdue"),
            (self.today_total, "due today"),
            (self.re_engage_total, "to re-engage"),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        if parts.is_empty() {
            "nothing due".to_string()
        } else {
            parts.join(", ")
        }
    }

    fn more_overdue(&self) -> i64 {
        self.overdue_total - self.overdue.len() as i64
    }

    fn more_today(&self) -> i64 {
        self.today_total - self.today.len() as i64
    }

    fn more_re_engage(&self) -> i64 {
        self.re_engage_total - self.re_engage.len() as i64
    }

    fn overdue_heading(&self) -> String {
        format!(
            "Overdue: {}",
            count_of(self.overdue_total, "touch", "touches")
        )
    }

    fn today_heading(&self) -> String {
        format!(
            "Due today: {}",
            count_of(self.today_total, "touch", "touches")
        )
    }

    fn re_engage_heading(&self) -> String {
        format!(
            "To re-engage this week ({}): {}",
            self.week,
            count_of(self.re_engage_total, "prospect", "prospects")
        )
    }
}

#[derive(Template)]
#[template(path = "email/agenda/subject.txt", escape = "none")]
struct Subject<'a> {
    email: &'a Agenda,
}

#[derive(Template)]
#[template(path = "email/agenda/body.txt", escape = "none")]
struct Text<'a> {
    email: &'a Agenda,
}

#[derive(Template)]
#[template(path = "email/agenda/body.html")]
struct Html<'a> {
    email: &'a Agenda,
}

/// Queues the agendas due at `now`; returns how many.
pub(super) async fn run_due(
    db: &PgPool,
    now: OffsetDateTime,
    links: &Links,
) -> anyhow::Result<u64> {
    let candidates = sqlx::query!(
        r#"select id, email::text as "email!", name, time_zone, agenda_time, agenda_when_empty
           from users
           where active and agenda_enabled
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
            (now < day.hour_at + SEND_WITHIN).then(|| Due {
                key: key(user.id, day.date),
                user,
                reminder: Settings {
                    when_empty: row.agenda_when_empty,
                },
            })
        })
        .collect();
    queue_each(db, due, now, links).await
}

/// What the agenda knows of a user due one.
#[derive(Debug, Clone)]
struct Settings {
    /// Whether they want the agenda on a day with nothing in it.
    when_empty: bool,
}

impl Reminder for Settings {
    async fn mail(
        conn: &mut PgConnection,
        due: &Due<Self>,
        now: OffsetDateTime,
        links: &Links,
    ) -> anyhow::Result<Option<NewMail>> {
        let agenda = build(conn, &due.user, now, links).await?;
        if agenda.is_empty() && !due.reminder.when_empty {
            return Ok(None);
        }
        Ok(Some(mail(&due.user, &due.key, &agenda)?))
    }
}

fn mail(user: &Recipient, key: &str, agenda: &Agenda) -> askama::Result<NewMail> {
    super::reminder_mail(
        user,
        key,
        KIND,
        Subject { email: agenda },
        Text { email: agenda },
        Html { email: agenda },
    )
}

/// The agenda of `user` for their local day at `now`.
pub(crate) async fn build(
    conn: &mut PgConnection,
    user: &Recipient,
    now: OffsetDateTime,
    links: &Links,
) -> sqlx::Result<Agenda> {
    let zone = user.zone();
    let tz = user.time_zone.as_str();
    let today = super::local_date(now, &zone);
    let day_starts = super::start_of_day(today, &zone);
    let day_ends = super::start_of_day(today + Duration::days(1), &zone);
    let monday = super::monday_of(today);
    let sunday = monday + Duration::days(6);

    let counts = sqlx::query!(
        r#"select count(*) filter (where due_at < $2) as "overdue!",
                  count(*) filter (where due_at >= $2) as "today!"
           from touches
           where owner_id = $1 and status = 'pending' and due_at < $3"#,
        user.id,
        day_starts,
        day_ends
    )
    .fetch_one(&mut *conn)
    .await?;
    let overdue = touch_lines(&mut *conn, user.id, None, day_starts, links)
        .await?
        .into_iter()
        .map(|(due_at, line)| TouchLine {
            when: format::datetime(due_at, tz),
            ..line
        })
        .collect();
    let due_today = touch_lines(&mut *conn, user.id, Some(day_starts), day_ends, links)
        .await?
        .into_iter()
        .map(|(due_at, line)| TouchLine {
            when: super::clock(due_at, tz),
            ..line
        })
        .collect();

    let re_engage_total = sqlx::query_scalar!(
        r#"select count(*) as "count!" from prospects
           where owner_id = $1 and interest = 'future' and not do_not_contact
             and re_engage_on between $2 and $3"#,
        user.id,
        monday,
        sunday
    )
    .fetch_one(&mut *conn)
    .await?;
    let re_engage = sqlx::query!(
        r#"select p.id, trim(p.first_name || ' ' || p.last_name) as "name!",
                  a.name as "account?", p.re_engage_on as "re_engage_on!"
           from prospects p
           left join accounts a on a.id = p.account_id
           where p.owner_id = $1 and p.interest = 'future' and not p.do_not_contact
             and p.re_engage_on between $2 and $3
           order by p.re_engage_on, p.id
           limit $4"#,
        user.id,
        monday,
        sunday,
        SECTION_LIMIT
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| ProspectLine {
        prospect_id: row.id,
        name: row.name,
        account: row.account,
        when: super::short_day(row.re_engage_on),
        url: links.prospect(row.id),
    })
    .collect();

    Ok(Agenda {
        first_name: user.first_name().to_string(),
        day: super::long_day(today),
        short_day: super::short_day(today),
        overdue,
        overdue_total: counts.overdue,
        today: due_today,
        today_total: counts.today,
        re_engage,
        re_engage_total,
        week: format!(
            "{} – {}",
            super::day_month(monday),
            super::day_month(sunday)
        ),
        time_zone: user.time_zone.clone(),
        today_url: links.to("/today"),
        work_url: links.to("/today/work"),
        preferences_url: links.preferences(),
    })
}

/// The owner's pending touches due in `[from, until)` (from the beginning when `from` is
/// `None`), oldest first, at most [`SECTION_LIMIT`], each with its due time.
async fn touch_lines(
    conn: &mut PgConnection,
    owner_id: i64,
    from: Option<OffsetDateTime>,
    until: OffsetDateTime,
    links: &Links,
) -> sqlx::Result<Vec<(OffsetDateTime, TouchLine)>> {
    let rows = sqlx::query!(
        r#"select t.id, t.kind as "kind: TouchKind", t.channel as "channel: Channel", t.due_at,
                  trim(p.first_name || ' ' || p.last_name) as "prospect!", a.name as "account?",
                  s.position as "position?", c.name as "cadence?",
                  (select count(*) from cadence_steps s2 where s2.version_id = s.version_id)
                      as "step_count?"
           from touches t
           join prospects p on p.id = t.prospect_id
           left join accounts a on a.id = p.account_id
           left join cadence_steps s on s.id = t.step_id
           left join enrollments e on e.id = t.enrollment_id
           left join cadences c on c.id = e.cadence_id
           where t.owner_id = $1 and t.status = 'pending'
             and ($2::timestamptz is null or t.due_at >= $2) and t.due_at < $3
           order by t.due_at, t.id
           limit $4"#,
        owner_id,
        from,
        until,
        SECTION_LIMIT
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let what = match (row.kind, row.position, row.step_count, row.cadence) {
                (TouchKind::Step, Some(n), Some(m), Some(cadence)) => {
                    format!("Step {n} of {m} · {cadence}")
                }
                (kind, ..) => kind.label().to_string(),
            };
            (
                row.due_at,
                TouchLine {
                    touch_id: row.id,
                    when: String::new(),
                    channel: row.channel.label(),
                    prospect: row.prospect,
                    account: row.account,
                    what,
                    url: links.touch(row.id),
                },
            )
        })
        .collect())
}
