//! What is behind each number of the dashboard: the rows a figure counts, as SQL.
//!
//! Every `Behind` selects `(item_id, prospect_id, who, amount)` rows: the thing counted
//! (an interaction, a touch, an opportunity, a prospect, an enrollment, a timeline event),
//! its prospect, the person it is credited to, and a number some figures add up (an
//! opportunity's value, how long a comeback took, whether a date was honoured). The list
//! page shows the prospects (or opportunities) of those rows, and the live figures (stalled
//! opportunities, comebacks, overdue touches, re-engage dates) are counted over the same
//! rows, so a number and the list behind it cannot disagree. The figures read from rollups
//! are checked against these lists by the tests.

use std::collections::HashMap;

use sqlx::{PgPool, Postgres, QueryBuilder, Row};
use time::Duration;

use super::{filters::Filters, metrics::FunnelStep};
use crate::{
    enrollments::EnrollmentStatus,
    interactions::{Channel, Decision},
    opportunities::Stage,
    prospects::InterestState,
};

/// Which measure of a cadence step a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepMeasure {
    Done,
    Skipped,
    Cancelled,
    Replied,
    Meetings,
}

impl StepMeasure {
    pub const ALL: [StepMeasure; 5] = [
        StepMeasure::Done,
        StepMeasure::Skipped,
        StepMeasure::Cancelled,
        StepMeasure::Replied,
        StepMeasure::Meetings,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StepMeasure::Done => "done",
            StepMeasure::Skipped => "skipped",
            StepMeasure::Cancelled => "cancelled",
            StepMeasure::Replied => "replied",
            StepMeasure::Meetings => "meetings",
        }
    }

    fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    fn label(self) -> &'static str {
        match self {
            StepMeasure::Done => "done",
            StepMeasure::Skipped => "skipped by the rep",
            StepMeasure::Cancelled => "cancelled when the plan ended or changed",
            StepMeasure::Replied => "done with a reply",
            StepMeasure::Meetings => "done with a meeting booked or held",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Behind {
    /// Open opportunities (in a stage), now.
    Stage(Option<Stage>),
    /// Open opportunities with no interaction and no stage change for the chosen days.
    Stalled,
    /// Prospects first touched in the range that reached at least this step.
    Funnel(FunnelStep),
    /// Interactions logged in the range (through one channel).
    Activity(Option<Channel>),
    /// Interactions in the range whose interest decision was this one.
    Decision(Decision),
    /// Prospects in this interest state, now.
    Interest(InterestState),
    /// Future interest brought back to current interest in the range.
    Comebacks,
    /// Touches due and not done, now.
    Overdue,
    /// Open prospects with no next step and no recorded reason, now.
    DeadEnds,
    /// Re-engage dates due in the range up to today (all, honoured on time, or missed).
    ReEngage { on_time: Option<bool> },
    /// Cadence touches (of one cadence, of one step) closed in the range.
    CadenceStep {
        cadence_id: Option<i64>,
        position: Option<i32>,
        measure: StepMeasure,
    },
    /// Enrollments in one cadence that ended in the range, this way and for this reason.
    CadenceEnding {
        cadence_id: i64,
        ending: EnrollmentStatus,
        reason: String,
    },
}

/// A count of the rows behind a number, the sum of their amounts and its median.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tally {
    pub count: i64,
    pub amount: f64,
    pub median: Option<f64>,
}

/// What the list behind a number shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listed {
    Prospects,
    Opportunities,
}

impl Behind {
    pub fn listed(&self) -> Listed {
        match self {
            Behind::Stage(_) | Behind::Stalled => Listed::Opportunities,
            _ => Listed::Prospects,
        }
    }

    /// The query pairs naming this list (after the filters' own).
    pub fn query_pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![("show", self.kind().to_string())];
        match self {
            Behind::Stage(Some(stage)) => pairs.push(("stage", stage.as_str().into())),
            Behind::Funnel(step) => pairs.push(("step", step.as_str().into())),
            Behind::Activity(Some(channel)) => pairs.push(("channel", channel.as_str().into())),
            Behind::Decision(decision) => pairs.push(("decision", decision.as_str().into())),
            Behind::Interest(interest) => pairs.push(("interest", interest.as_str().into())),
            Behind::ReEngage { on_time: Some(on) } => {
                pairs.push(("on_time", if *on { "yes" } else { "no" }.into()));
            }
            Behind::CadenceStep {
                cadence_id,
                position,
                measure,
            } => {
                if let Some(cadence_id) = cadence_id {
                    pairs.push(("cadence", cadence_id.to_string()));
                }
                if let Some(position) = position {
                    pairs.push(("position", position.to_string()));
                }
                pairs.push(("measure", measure.as_str().into()));
            }
            Behind::CadenceEnding {
                cadence_id,
                ending,
                reason,
            } => {
                pairs.push(("cadence", cadence_id.to_string()));
                pairs.push(("ending", ending.as_str().into()));
                pairs.push(("reason", reason.clone()));
            }
            _ => {}
        }
        pairs
    }

    fn kind(&self) -> &'static str {
        match self {
            Behind::Stage(_) => "stage",
            Behind::Stalled => "stalled",
            Behind::Funnel(_) => "funnel",
            Behind::Activity(_) => "activity",
            Behind::Decision(_) => "decision",
            Behind::Interest(_) => "interest",
            Behind::Comebacks => "comebacks",
            Behind::Overdue => "overdue",
            Behind::DeadEnds => "dead_ends",
            Behind::ReEngage { .. } => "re_engage",
            Behind::CadenceStep { .. } => "cadence_step",
            Behind::CadenceEnding { .. } => "cadence_ending",
        }
    }

    /// Reads a list from its query pairs; `None` when they name none.
    pub fn parse(pairs: &HashMap<String, String>) -> Option<Behind> {
        let get = |key: &str| pairs.get(key).map(|v| v.trim()).unwrap_or("");
        Some(match get("show") {
            "stage" => Behind::Stage(match get("stage") {
                "" => None,
                raw => Some(Stage::parse(raw).filter(|s| s.is_open())?),
            }),
            "stalled" => Behind::Stalled,
            "funnel" => Behind::Funnel(FunnelStep::parse(get("step"))?),
            "activity" => Behind::Activity(match get("channel") {
                "" => None,
                raw => Some(Channel::parse(raw)?),
            }),
            "decision" => Behind::Decision(Decision::parse(get("decision"))?),
            "interest" => Behind::Interest(InterestState::parse(get("interest"))?),
            "comebacks" => Behind::Comebacks,
            "overdue" => Behind::Overdue,
            "dead_ends" => Behind::DeadEnds,
            "re_engage" => Behind::ReEngage {
                on_time: match get("on_time") {
                    "" => None,
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => return None,
                },
            },
            "cadence_step" => Behind::CadenceStep {
                cadence_id: optional_number(get("cadence"))?,
                position: optional_number(get("position"))?,
                measure: StepMeasure::parse(get("measure"))?,
            },
            "cadence_ending" => Behind::CadenceEnding {
                cadence_id: get("cadence").parse().ok()?,
                ending: EnrollmentStatus::parse(get("ending")).filter(|e| {
                    matches!(e, EnrollmentStatus::Completed | EnrollmentStatus::Exited)
                })?,
                reason: pairs.get("reason").cloned().unwrap_or_default(),
            },
            _ => return None,
        })
    }

    /// Whether the list depends on the range (the others are as of now).
    pub fn uses_range(&self) -> bool {
        !matches!(
            self,
            Behind::Stage(_)
                | Behind::Stalled
                | Behind::Interest(_)
                | Behind::Overdue
                | Behind::DeadEnds
        )
    }

    /// A heading for the list: what its rows are.
    pub fn describe(&self, f: &Filters) -> String {
        match self {
            Behind::Stage(None) => "Open opportunities".to_string(),
            Behind::Stage(Some(stage)) => format!("Open opportunities in {}", stage.label()),
            Behind::Stalled => format!(
                "Open opportunities with no activity for {} days",
                f.stalled_days
            ),
            Behind::Funnel(step) => format!(
                "Prospects first touched {} who reached “{}” or further",
                f.range_label(),
                step.label()
            ),
            Behind::Activity(None) => format!("Interactions logged {}", f.range_label()),
            Behind::Activity(Some(channel)) => format!(
                "Interactions by {} logged {}",
                channel.label().to_lowercase(),
                f.range_label()
            ),
            Behind::Decision(decision) => format!(
                "Interactions {} that found {}",
                f.range_label(),
                decision.label().to_lowercase()
            ),
            Behind::Interest(interest) => {
                format!(
                    "Prospects whose interest is {} now",
                    interest.label().to_lowercase()
                )
            }
            Behind::Comebacks => format!(
                "Future-interest prospects brought back to current interest {}",
                f.range_label()
            ),
            Behind::Overdue => "Touches overdue now".to_string(),
            Behind::DeadEnds => "Dead ends now: open prospects with no next step".to_string(),
            Behind::ReEngage { on_time } => format!(
                "Re-engage dates due {} (up to today){}",
                f.range_label(),
                match on_time {
                    None => "",
                    Some(true) => ", honoured on time",
                    Some(false) => ", not honoured on time",
                }
            ),
            Behind::CadenceStep {
                position, measure, ..
            } => format!(
                "Cadence touches{} {} {}",
                position
                    .map(|p| format!(" of step {p}"))
                    .unwrap_or_default(),
                measure.label(),
                f.range_label()
            ),
            Behind::CadenceEnding { ending, reason, .. } => match ending {
                EnrollmentStatus::Completed => {
                    format!("Enrollments that completed every step {}", f.range_label())
                }
                _ => format!("Enrollments that exited “{reason}” {}", f.range_label()),
            },
        }
    }

    /// Appends the select of `(item_id, prospect_id, who, amount)` rows.
    pub fn push_rows(&self, q: &mut QueryBuilder<'_, Postgres>, f: &Filters) {
        let users = f.users().map(<[i64]>::to_vec);
        match self {
            Behind::Stage(stage) => {
                q.push(
                    "select o.id as item_id, o.prospect_id, o.owner_id as who,
                            o.value_cents::float8 as amount
                     from opportunities o
                     where o.stage in ('qualifying', 'meeting', 'proposal', 'negotiation')",
                );
                if let Some(stage) = stage {
                    q.push(" and o.stage = ").push_bind(*stage);
                }
                push_users(q, "o.owner_id", users);
            }
            Behind::Stalled => {
                let cutoff = f.now - Duration::days(f.stalled_days);
                // `last_activity_at`: the latest interaction with the prospect or stage
                // change (the opening included), by when it happened.
                q.push(
                    "select o.id as item_id, o.prospect_id, o.owner_id as who,
                            o.value_cents::float8 as amount
                     from opportunities o
                     where o.stage in ('qualifying', 'meeting', 'proposal', 'negotiation')
                       and o.last_activity_at < ",
                )
                .push_bind(cutoff);
                push_users(q, "o.owner_id", users);
            }
            Behind::Funnel(step) => {
                q.push(
                    "select p.id as item_id, p.id as prospect_id, p.owner_id as who,
                            0::float8 as amount
                     from prospects p
                     where p.first_touched_on between ",
                )
                .push_bind(f.from)
                .push(" and ")
                .push_bind(f.to)
                .push(" and greatest(p.funnel_contact_level, p.funnel_opportunity_level) >= ")
                .push_bind(step.level());
                push_users(q, "p.owner_id", users);
            }
            Behind::Activity(channel) => {
                push_interactions(q, f, users);
                if let Some(channel) = channel {
                    q.push(" and i.channel = ").push_bind(*channel);
                }
            }
            Behind::Decision(decision) => {
                push_interactions(q, f, users);
                q.push(" and i.decision = ").push_bind(*decision);
            }
            Behind::Interest(interest) => {
                q.push(
                    "select p.id as item_id, p.id as prospect_id, p.owner_id as who,
                            0::float8 as amount
                     from prospects p where p.interest = ",
                )
                .push_bind(*interest);
                push_users(q, "p.owner_id", users);
            }
            Behind::Comebacks => {
                // `comebacks`: one row per return, with how long it had been future interest.
                q.push(
                    "select c.event_id as item_id, c.prospect_id, c.user_id as who,
                            c.waited_seconds as amount
                     from comebacks c where c.day between ",
                )
                .push_bind(f.from)
                .push(" and ")
                .push_bind(f.to);
                push_users(q, "c.user_id", users);
            }
            Behind::Overdue => {
                q.push(
                    "select t.id as item_id, t.prospect_id, t.owner_id as who, 0::float8 as amount
                     from touches t where t.status = 'pending' and t.due_at < ",
                )
                .push_bind(f.now);
                push_users(q, "t.owner_id", users);
            }
            Behind::DeadEnds => {
                // The condition of `prospect_is_dead_end` and `touches::queue::dead_ends`,
                // written out so that `prospects_dead_end_idx` serves it.
                q.push(
                    "select p.id as item_id, p.id as prospect_id, p.owner_id as who,
                            0::float8 as amount
                     from prospects p
                     where p.interest in ('new', 'current', 'future') and not p.do_not_contact
                       and p.no_next_step_reason is null and p.open_touches = 0",
                );
                push_users(q, "p.owner_id", users);
            }
            Behind::ReEngage { on_time } => {
                // The rule of `re_engage_rollup`: dates that fell due in the range, up to
                // today, that the system did not withdraw; on time when done by the end of
                // the day the date first fell due (a snooze makes it late).
                q.push(
                    "select t.id as item_id, t.prospect_id, t.owner_id as who,
                            (t.status = 'done' and t.completed_on <= t.due_on)::int::float8 as amount
                     from touches t
                     where t.kind = 're_engage' and not t.cancelled and t.due_on between ",
                )
                .push_bind(f.from)
                .push(" and ")
                .push_bind(f.to.min(f.today));
                push_users(q, "t.owner_id", users);
                match on_time {
                    Some(true) => q.push(" and t.status = 'done' and t.completed_on <= t.due_on"),
                    Some(false) => q.push(
                        " and not (t.status = 'done' and t.completed_on is not null
                                   and t.completed_on <= t.due_on)",
                    ),
                    None => q,
                };
            }
            Behind::CadenceStep {
                cadence_id,
                position,
                measure,
            } => {
                q.push(
                    "select t.id as item_id, t.prospect_id, t.owner_id as who, 0::float8 as amount
                     from touches t
                     join enrollments e on e.id = t.enrollment_id
                     join cadence_steps s on s.id = t.step_id
                     left join interactions i on i.id = t.interaction_id
                     where t.kind = 'step' and t.status in ('done', 'skipped') and t.completed_on between ",
                )
                .push_bind(f.from)
                .push(" and ")
                .push_bind(f.to);
                if let Some(cadence_id) = cadence_id {
                    q.push(" and e.cadence_id = ").push_bind(*cadence_id);
                }
                if let Some(position) = position {
                    q.push(" and s.position = ").push_bind(*position);
                }
                q.push(match measure {
                    StepMeasure::Done => " and t.status = 'done'",
                    StepMeasure::Skipped => " and t.status = 'skipped' and not t.cancelled",
                    StepMeasure::Cancelled => " and t.status = 'skipped' and t.cancelled",
                    StepMeasure::Replied => " and t.status = 'done' and i.outcome = 'replied'",
                    StepMeasure::Meetings => {
                        " and t.status = 'done' and i.outcome in ('meeting_booked', 'meeting_held')"
                    }
                });
                push_users(q, "t.owner_id", users);
            }
            Behind::CadenceEnding {
                cadence_id,
                ending,
                reason,
            } => {
                q.push(
                    "select e.id as item_id, e.prospect_id, e.ended_owner_id as who,
                            0::float8 as amount
                     from enrollments e where e.status = ",
                )
                .push_bind(*ending)
                .push(" and e.ended_on between ")
                .push_bind(f.from)
                .push(" and ")
                .push_bind(f.to)
                .push(" and e.cadence_id = ")
                .push_bind(*cadence_id)
                .push(" and coalesce(e.exit_reason, '') = ")
                .push_bind(reason.clone());
                push_users(q, "e.ended_owner_id", users);
            }
        }
    }

    /// Counts the rows behind the number, adds up their amounts and takes their median.
    pub async fn tally(&self, db: &PgPool, f: &Filters) -> sqlx::Result<Tally> {
        let mut q = QueryBuilder::new(
            "select count(*) as count, coalesce(sum(amount), 0)::float8 as amount,
                    percentile_cont(0.5) within group (order by amount) as median
             from (",
        );
        self.push_rows(&mut q, f);
        q.push(") behind");
        let row = q.build().fetch_one(db).await?;
        Ok(Tally {
            count: row.try_get("count")?,
            amount: row.try_get("amount")?,
            median: row.try_get("median")?,
        })
    }

    /// The same, per person credited.
    pub async fn tally_by_person(
        &self,
        db: &PgPool,
        f: &Filters,
    ) -> sqlx::Result<Vec<(i64, Tally)>> {
        let mut q = QueryBuilder::new(
            "select who, count(*) as count, coalesce(sum(amount), 0)::float8 as amount,
                    percentile_cont(0.5) within group (order by amount) as median
             from (",
        );
        self.push_rows(&mut q, f);
        q.push(") behind where who is not null group by who order by who");
        let rows = q.build().fetch_all(db).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("who")?,
                    Tally {
                        count: row.try_get("count")?,
                        amount: row.try_get("amount")?,
                        median: row.try_get("median")?,
                    },
                ))
            })
            .collect()
    }
}

fn push_users(q: &mut QueryBuilder<'_, Postgres>, column: &str, users: Option<Vec<i64>>) {
    if let Some(users) = users {
        q.push(format!(" and {column} = any("))
            .push_bind(users)
            .push(")");
    }
}

/// `Some(None)` for an empty value, `None` for one that is not a number.
fn optional_number<T: std::str::FromStr>(raw: &str) -> Option<Option<T>> {
    match raw {
        "" => Some(None),
        raw => raw.parse().ok().map(Some),
    }
}

fn push_interactions(q: &mut QueryBuilder<'_, Postgres>, f: &Filters, users: Option<Vec<i64>>) {
    q.push(
        "select i.id as item_id, i.prospect_id, i.logged_by as who, 0::float8 as amount
         from interactions i where i.occurred_on between ",
    )
    .push_bind(f.from)
    .push(" and ")
    .push_bind(f.to);
    push_users(q, "i.logged_by", users);
}

/// Rows of a list page.
pub const LIST_PAGE_SIZE: i64 = 50;

/// A prospect behind a number, with how many of the counted rows are its.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedProspect {
    pub id: i64,
    pub name: String,
    pub account_name: Option<String>,
    pub owner_name: String,
    pub interest: InterestState,
    pub last_interaction_at: Option<time::OffsetDateTime>,
    pub items: i64,
}

/// An opportunity behind a number.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ListedOpportunity {
    pub id: i64,
    pub name: String,
    pub prospect_id: i64,
    pub prospect_name: String,
    pub owner_name: String,
    pub stage: Stage,
    pub value_cents: i64,
    /// The latest interaction with its prospect or change of its stage, by when it
    /// happened: what makes it stalled. (`updated_at` is when the row was last written,
    /// which a backdated log or a value edit makes today.)
    pub last_activity_at: time::OffsetDateTime,
}

/// How many rows are behind the number and on how many prospects the viewer can open.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListTotals {
    pub items: i64,
    pub prospects: i64,
}

fn push_visible(q: &mut QueryBuilder<'_, Postgres>, scope: &crate::auth::Scope) {
    if let Some(owners) = scope.owner_ids() {
        q.push(" and p.owner_id = any(")
            .push_bind(owners.to_vec())
            .push(")");
    }
}

impl Behind {
    /// Counts what the list shows: the rows on prospects the viewer can see.
    pub async fn list_totals(
        &self,
        db: &PgPool,
        scope: &crate::auth::Scope,
        f: &Filters,
    ) -> sqlx::Result<ListTotals> {
        let mut q = QueryBuilder::new("with behind as (");
        self.push_rows(&mut q, f);
        q.push(
            ") select count(*) as items, count(distinct b.prospect_id) as prospects
             from behind b join prospects p on p.id = b.prospect_id where true",
        );
        push_visible(&mut q, scope);
        let row = q.build().fetch_one(db).await?;
        Ok(ListTotals {
            items: row.try_get("items")?,
            prospects: row.try_get("prospects")?,
        })
    }

    /// One page of the prospects behind the number, newest first, after `after`.
    pub async fn prospects(
        &self,
        db: &PgPool,
        scope: &crate::auth::Scope,
        f: &Filters,
        after: Option<i64>,
    ) -> sqlx::Result<(Vec<ListedProspect>, Option<i64>)> {
        let mut q = QueryBuilder::new("with behind as (");
        self.push_rows(&mut q, f);
        q.push(
            ") select p.id, trim(p.first_name || ' ' || p.last_name) as name,
                      a.name as account_name, u.name as owner_name, p.interest,
                      p.last_interaction_at, b.items
             from (select prospect_id, count(*) as items from behind group by prospect_id) b
             join prospects p on p.id = b.prospect_id
             join users u on u.id = p.owner_id
             left join accounts a on a.id = p.account_id
             where true",
        );
        push_visible(&mut q, scope);
        if let Some(after) = after {
            q.push(" and p.id < ").push_bind(after);
        }
        q.push(" order by p.id desc limit ")
            .push_bind(LIST_PAGE_SIZE + 1);
        let mut rows: Vec<ListedProspect> = q.build_query_as().fetch_all(db).await?;
        let next = page(&mut rows, |r| r.id);
        Ok((rows, next))
    }

    /// One page of the opportunities behind the number, newest first, after `after`.
    pub async fn opportunities(
        &self,
        db: &PgPool,
        scope: &crate::auth::Scope,
        f: &Filters,
        after: Option<i64>,
    ) -> sqlx::Result<(Vec<ListedOpportunity>, Option<i64>)> {
        let mut q = QueryBuilder::new("with behind as (");
        self.push_rows(&mut q, f);
        q.push(
            ") select o.id, o.name, o.prospect_id,
                      trim(p.first_name || ' ' || p.last_name) as prospect_name,
                      u.name as owner_name, o.stage, o.value_cents, o.last_activity_at
             from behind b
             join opportunities o on o.id = b.item_id
             join prospects p on p.id = o.prospect_id
             join users u on u.id = p.owner_id
             where true",
        );
        push_visible(&mut q, scope);
        if let Some(after) = after {
            q.push(" and o.id < ").push_bind(after);
        }
        q.push(" order by o.id desc limit ")
            .push_bind(LIST_PAGE_SIZE + 1);
        let mut rows: Vec<ListedOpportunity> = q.build_query_as().fetch_all(db).await?;
        let next = page(&mut rows, |r| r.id);
        Ok((rows, next))
    }
}

/// Trims the look-ahead row and says where the next page starts.
fn page<T>(rows: &mut Vec<T>, id: impl Fn(&T) -> i64) -> Option<i64> {
    if rows.len() as i64 > LIST_PAGE_SIZE {
        rows.truncate(LIST_PAGE_SIZE as usize);
        rows.last().map(id)
    } else {
        None
    }
}
