//! The dashboard's filters: a range of days, a team (admins) and a rep, checked against
//! what the viewer may see, and the people whose figures they select.

use serde::Deserialize;
use sqlx::PgExecutor;
use time::{Date, Duration, OffsetDateTime};

use crate::{
    auth::{CurrentUser, Scope},
    web::{FormErrors, format},
};

/// The longest range a dashboard covers.
pub const MAX_RANGE_DAYS: i64 = 731;
/// Weeks shown when no range is chosen: this one and the eleven before it.
pub const DEFAULT_WEEKS: i64 = 12;
/// An open opportunity with no activity for this many days is stalled, unless chosen.
pub const DEFAULT_STALLED_DAYS: i64 = 14;

/// The filter form as typed (every field optional), kept to show it back.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DashboardQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub rep: String,
    #[serde(default)]
    pub stalled: String,
}

/// A person whose figures a dashboard can show.
#[derive(Debug, Clone)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub team_id: Option<i64>,
    pub team_name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TeamChoice {
    pub id: i64,
    pub name: String,
}

/// How per-person figures are broken down: by rep within a team, by team across teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    Rep,
    Team,
}

/// Valid filters, resolved to the people they select.
#[derive(Debug, Clone)]
pub struct Filters {
    pub from: Date,
    pub to: Date,
    pub team: Option<i64>,
    pub rep: Option<i64>,
    pub stalled_days: i64,
    /// Whose figures count; `None` is everyone (an admin looking at every team).
    pub users: Option<Vec<i64>>,
    /// The people selected, by name, for per-person figures and the rep picker.
    pub people: Vec<Person>,
    /// When the figures were read.
    pub now: OffsetDateTime,
}

impl DashboardQuery {
    /// Checks the form against the viewer's scope. On error, the messages by field.
    pub async fn resolve(
        &self,
        db: impl PgExecutor<'_> + Copy,
        user: &CurrentUser,
        scope: &Scope,
    ) -> sqlx::Result<Result<Filters, FormErrors>> {
        let mut errors = FormErrors::default();
        let today = format::today(&user.time_zone);
        let from = date_or(&mut errors, "from", &self.from, default_from(today));
        let to = date_or(&mut errors, "to", &self.to, today);
        if errors.is_empty() {
            if from > to {
                errors.add("to", "The end of the range comes before its start.");
            } else if (to - from).whole_days() >= MAX_RANGE_DAYS {
                errors.add(
                    "from",
                    format!("Choose a range of at most {MAX_RANGE_DAYS} days."),
                );
            }
        }
        let stalled_days = match self.stalled.trim() {
            "" => DEFAULT_STALLED_DAYS,
            raw => match raw.parse::<i64>() {
                Ok(days @ 1..=365) => days,
                _ => {
                    errors.add("stalled", "Use a whole number of days from 1 to 365.");
                    DEFAULT_STALLED_DAYS
                }
            },
        };

        let team = match self.team.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(id) if user.is_admin() || user.team_id == Some(id) => Some(id),
                _ => {
                    errors.add("team", "Choose a team from the list.");
                    None
                }
            },
        };
        let visible = visible_people(db, scope, team).await?;
        let rep = match self.rep.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(id) if visible.iter().any(|p| p.id == id) => Some(id),
                _ => {
                    errors.add("rep", "Choose a rep from the list.");
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Ok(Err(errors));
        }

        // Everyone's figures (an admin with no team chosen) need no list of owners.
        let users = match (rep, team, scope.owner_ids()) {
            (Some(rep), ..) => Some(vec![rep]),
            (None, None, None) => None,
            _ => Some(visible.iter().map(|p| p.id).collect()),
        };
        let people = match rep {
            Some(rep) => visible.into_iter().filter(|p| p.id == rep).collect(),
            None => visible,
        };
        Ok(Ok(Filters {
            from,
            to,
            team,
            rep,
            stalled_days,
            users,
            people,
            now: OffsetDateTime::now_utc(),
        }))
    }
}

/// The people a viewer can pick: the reps in scope (in `team`, when one is chosen), and
/// managers who prospect themselves (own prospects or log interactions). Admins are not
/// reps and are left out.
pub async fn visible_people(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    team: Option<i64>,
) -> sqlx::Result<Vec<Person>> {
    sqlx::query_as!(
        Person,
        r#"select u.id, u.name, u.team_id, t.name as "team_name?"
           from users u left join teams t on t.id = u.team_id
           where (u.role = 'rep'
                  or (u.role = 'manager'
                      and (exists (select 1 from prospects p where p.owner_id = u.id)
                           or exists (select 1 from interactions i where i.logged_by = u.id))))
             and ($1::bigint[] is null or u.id = any($1))
             and ($2::bigint is null or u.team_id = $2)
           order by lower(u.name), u.id"#,
        scope.owner_ids() as Option<&[i64]>,
        team
    )
    .fetch_all(db)
    .await
}

pub async fn team_choices(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<TeamChoice>> {
    sqlx::query_as!(
        TeamChoice,
        "select id, name from teams order by lower(name), id"
    )
    .fetch_all(db)
    .await
}

fn date_or(errors: &mut FormErrors, field: &'static str, raw: &str, default: Date) -> Date {
    if raw.trim().is_empty() {
        return default;
    }
    errors.optional_date(field, raw).unwrap_or(default)
}

/// The Monday `DEFAULT_WEEKS - 1` weeks before this week's.
pub fn default_from(today: Date) -> Date {
    monday_of(today) - Duration::weeks(DEFAULT_WEEKS - 1)
}

pub fn monday_of(day: Date) -> Date {
    day - Duration::days(i64::from(day.weekday().number_days_from_monday()))
}

/// One calendar week of the range (Monday to Sunday), clipped to the range's ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    pub monday: Date,
    pub first: Date,
    pub last: Date,
}

impl Week {
    /// "3 Nov", the week's Monday.
    pub fn label(&self) -> String {
        format!(
            "{} {}",
            self.monday.day(),
            &self.monday.month().to_string()[..3]
        )
    }
}

impl Filters {
    /// The weeks the range covers, oldest first.
    pub fn weeks(&self) -> Vec<Week> {
        let mut weeks = Vec::new();
        let mut monday = monday_of(self.from);
        while monday <= self.to {
            let sunday = monday + Duration::days(6);
            weeks.push(Week {
                monday,
                first: monday.max(self.from),
                last: sunday.min(self.to),
            });
            monday += Duration::weeks(1);
        }
        weeks
    }

    /// Whether figures per person are per rep, or per team (an admin across teams).
    pub fn breakdown(&self) -> Breakdown {
        let mut teams = self.people.iter().map(|p| p.team_id);
        let first = teams.next().flatten();
        if self.rep.is_none() && self.team.is_none() && teams.any(|t| t != first) {
            Breakdown::Team
        } else {
            Breakdown::Rep
        }
    }

    pub fn users(&self) -> Option<&[i64]> {
        self.users.as_deref()
    }

    /// The query string that reproduces these filters, with `extra` pairs after them.
    pub fn query_string(&self, extra: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, String)> =
            vec![("from", self.from.to_string()), ("to", self.to.to_string())];
        if let Some(team) = self.team {
            pairs.push(("team", team.to_string()));
        }
        if let Some(rep) = self.rep {
            pairs.push(("rep", rep.to_string()));
        }
        if self.stalled_days != DEFAULT_STALLED_DAYS {
            pairs.push(("stalled", self.stalled_days.to_string()));
        }
        pairs.extend(extra.iter().cloned());
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }

    /// The range in words: "3 Nov 2026 – 30 Nov 2026".
    pub fn range_label(&self) -> String {
        format!("{} – {}", format::date(self.from), format::date(self.to))
    }

    /// Instants surely before the range's first day and after its last in every time zone
    /// (UTC−12 to UTC+14), to narrow an index scan before the exact local-day test.
    pub fn instant_bounds(&self) -> (OffsetDateTime, OffsetDateTime) {
        let start = (self.from - Duration::days(1)).midnight().assume_utc();
        let end = (self.to + Duration::days(2)).midnight().assume_utc();
        (start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Weekday, macros::date};

    fn filters(from: Date, to: Date) -> Filters {
        Filters {
            from,
            to,
            team: None,
            rep: None,
            stalled_days: DEFAULT_STALLED_DAYS,
            users: None,
            people: Vec::new(),
            now: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn the_default_range_is_twelve_weeks_from_a_monday() {
        // Tuesday 1 December 2026.
        let from = default_from(date!(2026 - 12 - 01));
        assert_eq!(from, date!(2026 - 09 - 14));
        assert_eq!(from.weekday(), Weekday::Monday);
    }

    #[test]
    fn weeks_are_clipped_to_the_range() {
        // Wednesday 4 Nov to Tuesday 17 Nov 2026.
        let weeks = filters(date!(2026 - 11 - 04), date!(2026 - 11 - 17)).weeks();
        assert_eq!(
            weeks,
            vec![
                Week {
                    monday: date!(2026 - 11 - 02),
                    first: date!(2026 - 11 - 04),
                    last: date!(2026 - 11 - 08)
                },
                Week {
                    monday: date!(2026 - 11 - 09),
                    first: date!(2026 - 11 - 09),
                    last: date!(2026 - 11 - 15)
                },
                Week {
                    monday: date!(2026 - 11 - 16),
                    first: date!(2026 - 11 - 16),
                    last: date!(2026 - 11 - 17)
                },
            ]
        );
        assert_eq!(weeks[0].label(), "2 Nov");
    }

    #[test]
    fn the_query_string_round_trips_the_filters() {
        let mut f = filters(date!(2026 - 11 - 02), date!(2026 - 11 - 29));
        f.rep = Some(7);
        f.stalled_days = 30;
        assert_eq!(
            f.query_string(&[("stage", "proposal".into())]),
            "from=2026-11-02&to=2026-11-29&rep=7&stalled=30&stage=proposal"
        );
    }
}
