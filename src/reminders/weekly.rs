//! The manager's weekly summary, Monday at their reminder hour: how their team's last
//! week went against the week before, and where the process has gaps right now.
//!
//! * **The weeks** are calendar weeks in the manager's zone: "last week" is the seven days
//!   before this Monday 00:00 local, "the week before" the seven days before that.
//! * **The team** is everyone with the manager's `team_id`. Activity counts what they
//!   logged (`interactions.logged_by`); opportunities and comebacks count the prospects
//!   they own today (`prospects.owner_id`), read from the timeline (`prospect_events`), so
//!   a stage changed on Friday and again on Monday counts in the week it happened.
//! * **Values** are the opportunities' values today (the timeline does not record a value
//!   at each stage change); an opportunity counts once per week and outcome however many
//!   times it moved.
//! * **Overdue touches and dead ends per rep** are counted now, with the same rules as the
//!   Today page (`due_at < now`) and the dead-ends list (`touches::queue::dead_ends`).
//!
//! A summary is due from Monday's reminder hour; a scheduler that could not send it on
//! Monday sends it on the next business day of the same week (key `weekly:{user}:{ISO
//! week}`), never twice.

use askama::Template;
use sqlx::{PgConnection, PgPool};
use time::{Date, Duration, OffsetDateTime};

use super::{Due, Links, Recipient, Reminder, count_of, queue_each};
use crate::{
    interactions::Channel,
    mail::outbox::NewMail,
    schedule::{is_business_day, local_instant},
    web::format,
};

pub const KIND: &str = "weekly";

/// The most comebacks the summary lists by name.
pub const LIST_LIMIT: usize = 25;

/// The idempotency key of `user_id`'s summary for the ISO week of `monday`.
pub fn key(user_id: i64, monday: Date) -> String {
    let (year, week, _) = monday.to_iso_week_date();
    format!("weekly:{user_id}:{year}-W{week:02}")
}

/// A number last week and the week before.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Compared {
    pub week: i64,
    pub prior: i64,
}

impl Compared {
    /// "+3", "−2", "±0".
    pub fn change(&self) -> String {
        match self.week - self.prior {
            0 => "±0".to_string(),
            d if d > 0 => format!("+{d}"),
            d => format!("−{}", -d),
        }
    }
}

/// Opportunities counted with their value, last week and the week before.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Deals {
    pub count: Compared,
    pub value: Compared,
}

impl Deals {
    /// "2 ($15,000)".
    pub fn week(&self) -> String {
        format!("{} ({})", self.count.week, format::money(self.value.week))
    }

    pub fn prior(&self) -> String {
        format!("{} ({})", self.count.prior, format::money(self.value.prior))
    }
}

/// Interactions on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelActivity {
    pub channel: Channel,
    pub label: &'static str,
    pub count: Compared,
}

/// A prospect who came back from future to current interest last week.
#[derive(Debug, Clone)]
pub struct Comeback {
    pub prospect_id: i64,
    pub name: String,
    pub account: Option<String>,
    pub url: String,
}

/// Where one rep stands now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepStanding {
    pub user_id: i64,
    pub name: String,
    pub overdue: i64,
    pub dead_ends: i64,
    pub today_url: String,
    pub dead_ends_url: String,
}

/// Everything the summary says.
#[derive(Debug, Clone)]
pub struct WeeklySummary {
    pub first_name: String,
    pub team: String,
    /// "6 – 12 Jul 2026".
    pub week: String,
    pub prior_week: String,
    /// Every channel used in either week, in the channels' order.
    pub channels: Vec<ChannelActivity>,
    pub interactions: Compared,
    pub opened: Deals,
    pub won: Deals,
    pub lost: Deals,
    pub comebacks: Compared,
    /// Last week's comebacks, at most [`LIST_LIMIT`].
    pub comeback_list: Vec<Comeback>,
    pub reps: Vec<RepStanding>,
    pub overdue: i64,
    pub dead_ends: i64,
    pub dead_ends_url: String,
    pub preferences_url: String,
}

impl WeeklySummary {
    fn more_comebacks(&self) -> i64 {
        self.comebacks.week - self.comeback_list.len() as i64
    }

    fn comebacks_heading(&self) -> String {
        format!(
            "Back to current interest: {}",
            count_of(self.comebacks.week, "prospect", "prospects")
        )
    }
}

#[derive(Template)]
#[template(path = "email/weekly/subject.txt", escape = "none")]
struct Subject<'a> {
    email: &'a WeeklySummary,
}

#[derive(Template)]
#[template(path = "email/weekly/body.txt", escape = "none")]
struct Text<'a> {
    email: &'a WeeklySummary,
}

#[derive(Template)]
#[template(path = "email/weekly/body.html")]
struct Html<'a> {
    email: &'a WeeklySummary,
}

/// What the weekly summary knows of a manager due one: their team, and the Monday of the
/// week it is due.
#[derive(Debug, Clone)]
struct TeamWeek {
    team_id: i64,
    team: String,
    monday: Date,
}

/// Queues the summaries due at `now`; returns how many.
pub(super) async fn run_due(
    db: &PgPool,
    now: OffsetDateTime,
    links: &Links,
) -> anyhow::Result<u64> {
    let candidates = sqlx::query!(
        r#"select u.id, u.email::text as "email!", u.name, u.time_zone, u.agenda_time,
                  t.id as team_id, t.name as team
           from users u join teams t on t.id = u.team_id
           where u.active and u.weekly_summary_enabled and u.role = 'manager'
           order by u.id"#
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
            let monday = due_week(&user, now)?;
            Some(Due {
                key: key(user.id, monday),
                user,
                reminder: TeamWeek {
                    team_id: row.team_id,
                    team: row.team,
                    monday,
                },
            })
        })
        .collect();
    queue_each(db, due, now, links).await
}

impl Reminder for TeamWeek {
    async fn mail(
        conn: &mut PgConnection,
        due: &Due<Self>,
        now: OffsetDateTime,
        links: &Links,
    ) -> anyhow::Result<Option<NewMail>> {
        let week = &due.reminder;
        let summary = summary(
            conn,
            &due.user,
            week.team_id,
            &week.team,
            week.monday,
            now,
            links,
        )
        .await?;
        Ok(Some(mail(&due.user, &due.key, &summary)?))
    }
}

/// The Monday of the week whose summary is due to `user` at `now`: from that Monday's
/// reminder hour, on the business days of its week.
fn due_week(user: &Recipient, now: OffsetDateTime) -> Option<Date> {
    let zone = user.zone();
    let today = super::local_date(now, &zone);
    let monday = super::monday_of(today);
    let hour_at = local_instant(monday, user.hour, &zone)?;
    (is_business_day(today) && now >= hour_at).then_some(monday)
}

fn mail(user: &Recipient, key: &str, summary: &WeeklySummary) -> askama::Result<NewMail> {
    super::reminder_mail(
        user,
        key,
        KIND,
        Subject { email: summary },
        Text { email: summary },
        Html { email: summary },
    )
}

/// The summary for `manager` of the team `team_id`, for the week before `monday` (a
/// Monday, in the manager's zone), with the standings as of `now`.
pub(crate) async fn summary(
    conn: &mut PgConnection,
    manager: &Recipient,
    team_id: i64,
    team: &str,
    monday: Date,
    now: OffsetDateTime,
    links: &Links,
) -> sqlx::Result<WeeklySummary> {
    let zone = manager.zone();
    let week_ends = super::start_of_day(monday, &zone);
    let week_starts = super::start_of_day(monday - Duration::days(7), &zone);
    let prior_starts = super::start_of_day(monday - Duration::days(14), &zone);
    let members: Vec<i64> = sqlx::query_scalar!("select id from users where team_id = $1", team_id)
        .fetch_all(&mut *conn)
        .await?;

    let activity = sqlx::query!(
        r#"select channel as "channel: Channel",
                  count(*) filter (where occurred_at >= $2) as "week!",
                  count(*) filter (where occurred_at < $2) as "prior!"
           from interactions
           where logged_by = any($4) and occurred_at >= $1 and occurred_at < $3
           group by channel"#,
        prior_starts,
        week_starts,
        week_ends,
        &members
    )
    .fetch_all(&mut *conn)
    .await?;
    let channels: Vec<ChannelActivity> = Channel::ALL
        .iter()
        .filter_map(|channel| {
            let row = activity.iter().find(|row| row.channel == *channel)?;
            Some(ChannelActivity {
                channel: *channel,
                label: channel.label(),
                count: Compared {
                    week: row.week,
                    prior: row.prior,
                },
            })
        })
        .collect();
    let interactions = Compared {
        week: channels.iter().map(|c| c.count.week).sum(),
        prior: channels.iter().map(|c| c.count.prior).sum(),
    };

    let deals = sqlx::query!(
        r#"with moves as (
               select distinct e.opportunity_id,
                      case when e.kind = 'opportunity_opened' then 'opened' else e.to_value end
                          as what,
                      e.occurred_at >= $2 as this_week
               from prospect_events e
               join prospects p on p.id = e.prospect_id
               where p.owner_id = any($4) and e.occurred_at >= $1 and e.occurred_at < $3
                 and e.opportunity_id is not null
                 and (e.kind = 'opportunity_opened'
                      or (e.kind = 'stage_changed' and e.to_value in ('won', 'lost')))
           )
           select m.what as "what!", m.this_week as "this_week!", count(*) as "count!",
                  coalesce(sum(o.value_cents), 0)::bigint as "value!"
           from moves m join opportunities o on o.id = m.opportunity_id
           group by m.what, m.this_week"#,
        prior_starts,
        week_starts,
        week_ends,
        &members
    )
    .fetch_all(&mut *conn)
    .await?;
    let tally = |what: &str| {
        deals
            .iter()
            .filter(|row| row.what == what)
            .fold(Deals::default(), |mut acc, row| {
                if row.this_week {
                    acc.count.week += row.count;
                    acc.value.week += row.value;
                } else {
                    acc.count.prior += row.count;
                    acc.value.prior += row.value;
                }
                acc
            })
    };

    let comeback_rows = sqlx::query!(
        r#"select distinct on (e.occurred_at >= $2, e.prospect_id)
                  e.prospect_id, e.occurred_at >= $2 as "this_week!",
                  trim(p.first_name || ' ' || p.last_name) as "name!", a.name as "account?"
           from prospect_events e
           join prospects p on p.id = e.prospect_id
           left join accounts a on a.id = p.account_id
           where p.owner_id = any($4) and e.kind = 'interest_changed'
             and e.from_value = 'future' and e.to_value = 'current'
             and e.occurred_at >= $1 and e.occurred_at < $3
           order by e.occurred_at >= $2, e.prospect_id, e.occurred_at"#,
        prior_starts,
        week_starts,
        week_ends,
        &members
    )
    .fetch_all(&mut *conn)
    .await?;
    let comebacks = Compared {
        week: comeback_rows.iter().filter(|r| r.this_week).count() as i64,
        prior: comeback_rows.iter().filter(|r| !r.this_week).count() as i64,
    };
    let comeback_list = comeback_rows
        .into_iter()
        .filter(|row| row.this_week)
        .take(LIST_LIMIT)
        .map(|row| Comeback {
            prospect_id: row.prospect_id,
            name: row.name,
            account: row.account,
            url: links.prospect(row.prospect_id),
        })
        .collect();

    // The dead-end rule is `touches::queue::dead_ends`'s, counted instead of listed.
    let reps: Vec<RepStanding> = sqlx::query!(
        r#"select u.id, u.name,
                  (select count(*) from touches t
                   where t.owner_id = u.id and t.status = 'pending' and t.due_at < $2) as "overdue!",
                  (select count(*) from prospects p
                   where p.owner_id = u.id and p.interest in ('new', 'current', 'future')
                     and not p.do_not_contact and p.no_next_step_reason is null
                     and p.open_touches = 0) as "dead_ends!"
           from users u
           where u.team_id = $1 and u.active
             and (u.role = 'rep' or exists (select 1 from prospects p where p.owner_id = u.id))
           order by u.name, u.id"#,
        team_id,
        now
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|row| RepStanding {
        user_id: row.id,
        name: row.name,
        overdue: row.overdue,
        dead_ends: row.dead_ends,
        today_url: links.to(&format!("/today?rep={}", row.id)),
        dead_ends_url: links.to(&format!("/dead-ends?owner={}", row.id)),
    })
    .collect();

    let last_sunday = monday - Duration::days(1);
    let prior_sunday = monday - Duration::days(8);
    Ok(WeeklySummary {
        first_name: manager.first_name().to_string(),
        team: team.to_string(),
        week: week_label(monday - Duration::days(7), last_sunday),
        prior_week: week_label(monday - Duration::days(14), prior_sunday),
        channels,
        interactions,
        opened: tally("opened"),
        won: tally("won"),
        lost: tally("lost"),
        comebacks,
        comeback_list,
        overdue: reps.iter().map(|r| r.overdue).sum(),
        dead_ends: reps.iter().map(|r| r.dead_ends).sum(),
        reps,
        dead_ends_url: links.to("/dead-ends"),
        preferences_url: links.preferences(),
    })
}

/// "6 – 12 Jul 2026".
fn week_label(first: Date, last: Date) -> String {
    format!("{} – {}", super::day_month(first), format::date(last))
}
