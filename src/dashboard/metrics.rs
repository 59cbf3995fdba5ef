//! The dashboard's figures read from the rollups (sums over a few hundred rows per team),
//! and the live ones counted over what is behind them (see `behind`). Each function takes
//! the resolved filters; none scans a source table.

use sqlx::{PgExecutor, PgPool};
use time::Date;

use super::{
    behind::{Behind, Tally},
    filters::Filters,
};
use crate::{
    cadences::Purpose, enrollments::EnrollmentStatus, interactions::Channel, opportunities::Stage,
    prospects::InterestState,
};

/// Funnel steps, in order; a prospect counts in every step up to the furthest it reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FunnelStep {
    Touched = 1,
    Connected = 2,
    MeetingBooked = 3,
    MeetingHeld = 4,
    Opportunity = 5,
    Won = 6,
}

impl FunnelStep {
    pub const ALL: [FunnelStep; 6] = [
        FunnelStep::Touched,
        FunnelStep::Connected,
        FunnelStep::MeetingBooked,
        FunnelStep::MeetingHeld,
        FunnelStep::Opportunity,
        FunnelStep::Won,
    ];

    pub fn level(self) -> i16 {
        self as i16
    }

    pub fn from_level(level: i64) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|s| i64::from(s.level()) == level)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FunnelStep::Touched => "touched",
            FunnelStep::Connected => "connected",
            FunnelStep::MeetingBooked => "meeting_booked",
            FunnelStep::MeetingHeld => "meeting_held",
            FunnelStep::Opportunity => "opportunity",
            FunnelStep::Won => "won",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            FunnelStep::Touched => "Touched",
            FunnelStep::Connected => "Connected",
            FunnelStep::MeetingBooked => "Meeting booked",
            FunnelStep::MeetingHeld => "Meeting held",
            FunnelStep::Opportunity => "Opportunity",
            FunnelStep::Won => "Won",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageFigure {
    pub stage: Stage,
    pub opportunities: i64,
    pub value_cents: i64,
    /// Value × probability, summed.
    pub weighted_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// Every open stage, in order, zeros included.
    pub stages: Vec<StageFigure>,
    pub stalled: i64,
    pub stalled_value_cents: i64,
}

impl Pipeline {
    pub fn open_count(&self) -> i64 {
        self.stages.iter().map(|s| s.opportunities).sum()
    }

    pub fn open_value(&self) -> i64 {
        self.stages.iter().map(|s| s.value_cents).sum()
    }

    pub fn weighted_value(&self) -> i64 {
        self.stages.iter().map(|s| s.weighted_cents).sum()
    }
}

pub async fn pipeline(db: &PgPool, f: &Filters) -> sqlx::Result<Pipeline> {
    let rows = sqlx::query!(
        r#"select stage as "stage: Stage", sum(opportunities)::bigint as "opportunities!",
                  sum(value_cents)::bigint as "value_cents!",
                  (sum(weighted_cent_percent) / 100)::bigint as "weighted_cents!"
           from pipeline_rollup
           where ($1::bigint[] is null or owner_id = any($1))
             and stage in ('qualifying', 'meeting', 'proposal', 'negotiation')
           group by stage"#,
        f.users() as Option<&[i64]>
    )
    .fetch_all(db)
    .await?;
    let stages = Stage::OPEN
        .iter()
        .map(|&stage| {
            let row = rows.iter().find(|r| r.stage == stage);
            StageFigure {
                stage,
                opportunities: row.map_or(0, |r| r.opportunities),
                value_cents: row.map_or(0, |r| r.value_cents),
                weighted_cents: row.map_or(0, |r| r.weighted_cents),
            }
        })
        .collect();
    let stalled = Behind::Stalled.tally(db, f).await?;
    Ok(Pipeline {
        stages,
        stalled: stalled.count,
        stalled_value_cents: stalled.amount as i64,
    })
}

/// Prospects first touched in the range, by the furthest step each has reached since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Funnel {
    /// Every step in order with the prospects that reached at least it.
    pub steps: Vec<(FunnelStep, i64)>,
}

pub async fn funnel(db: impl PgExecutor<'_>, f: &Filters) -> sqlx::Result<Funnel> {
    let rows = sqlx::query!(
        r#"select level as "level!", sum(prospects)::bigint as "prospects!"
           from funnel_rollup
           where ($1::bigint[] is null or owner_id = any($1))
             and cohort_day between $2 and $3
           group by level"#,
        f.users() as Option<&[i64]>,
        f.from,
        f.to
    )
    .fetch_all(db)
    .await?;
    let steps = FunnelStep::ALL
        .iter()
        .map(|&step| {
            let reached = rows
                .iter()
                .filter(|r| r.level >= step.level())
                .map(|r| r.prospects)
                .sum();
            (step, reached)
        })
        .collect();
    Ok(Funnel { steps })
}

/// Interactions one person logged in one week through one channel, and the decisions made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityCell {
    pub user_id: i64,
    /// The week's Monday.
    pub week: Date,
    pub channel: Channel,
    pub interactions: i64,
    pub decided_current: i64,
    pub decided_future: i64,
    pub decided_none: i64,
}

pub async fn activity(db: impl PgExecutor<'_>, f: &Filters) -> sqlx::Result<Vec<ActivityCell>> {
    sqlx::query_as!(
        ActivityCell,
        r#"select user_id, date_trunc('week', day::timestamp)::date as "week!",
                  channel as "channel: Channel",
                  sum(interactions)::bigint as "interactions!",
                  sum(decided_current)::bigint as "decided_current!",
                  sum(decided_future)::bigint as "decided_future!",
                  sum(decided_none)::bigint as "decided_none!"
           from activity_rollup
           where ($1::bigint[] is null or user_id = any($1))
             and day between $2 and $3
           group by 1, 2, 3
           having sum(interactions) <> 0
           order by 1, 2, 3"#,
        f.users() as Option<&[i64]>,
        f.from,
        f.to
    )
    .fetch_all(db)
    .await
}

/// Prospects owned now, per owner and interest state, and the dead ends among them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerState {
    pub owner_id: i64,
    pub interest: InterestState,
    pub prospects: i64,
    pub dead_ends: i64,
}

pub async fn prospect_states(
    db: impl PgExecutor<'_>,
    f: &Filters,
) -> sqlx::Result<Vec<OwnerState>> {
    sqlx::query_as!(
        OwnerState,
        r#"select owner_id, interest as "interest: InterestState",
                  sum(prospects)::bigint as "prospects!", sum(dead_ends)::bigint as "dead_ends!"
           from prospect_rollup
           where ($1::bigint[] is null or owner_id = any($1))
           group by 1, 2
           having sum(prospects) <> 0
           order by 1, 2"#,
        f.users() as Option<&[i64]>
    )
    .fetch_all(db)
    .await
}

/// Future-interest prospects brought back to current interest in the range.
#[derive(Debug, Clone, PartialEq)]
pub struct Comebacks {
    pub count: i64,
    /// How long they had been future interest, in days (the median).
    pub median_days: Option<f64>,
    /// Per person who brought them back.
    pub by_user: Vec<(i64, i64)>,
}

pub async fn comebacks(db: &PgPool, f: &Filters) -> sqlx::Result<Comebacks> {
    let Tally { count, median, .. } = Behind::Comebacks.tally(db, f).await?;
    let by_user = Behind::Comebacks
        .tally_by_person(db, f)
        .await?
        .into_iter()
        .map(|(who, tally)| (who, tally.count))
        .collect();
    Ok(Comebacks {
        count,
        median_days: median.map(|seconds| seconds / 86_400.0),
        by_user,
    })
}

/// Per person: touches overdue now, dead ends now, and re-engage dates that fell due in
/// the range with how many were honoured on time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FollowThrough {
    pub user_id: i64,
    pub overdue: i64,
    pub dead_ends: i64,
    pub re_engage_due: i64,
    pub re_engage_on_time: i64,
}

impl FollowThrough {
    /// The share of re-engage dates honoured on time, when any fell due.
    pub fn on_time_share(&self) -> Option<f64> {
        (self.re_engage_due > 0).then(|| self.re_engage_on_time as f64 / self.re_engage_due as f64)
    }
}

pub async fn follow_through(
    db: &PgPool,
    f: &Filters,
    states: &[OwnerState],
) -> sqlx::Result<Vec<FollowThrough>> {
    let overdue = Behind::Overdue.tally_by_person(db, f).await?;
    let re_engage = Behind::ReEngage { on_time: None }
        .tally_by_person(db, f)
        .await?;
    Ok(f.people
        .iter()
        .map(|person| FollowThrough {
            user_id: person.id,
            overdue: overdue
                .iter()
                .find(|(who, _)| *who == person.id)
                .map_or(0, |(_, t)| t.count),
            dead_ends: states
                .iter()
                .filter(|s| s.owner_id == person.id)
                .map(|s| s.dead_ends)
                .sum(),
            re_engage_due: re_engage
                .iter()
                .find(|(who, _)| *who == person.id)
                .map_or(0, |(_, t)| t.count),
            re_engage_on_time: re_engage
                .iter()
                .find(|(who, _)| *who == person.id)
                .map_or(0, |(_, t)| t.amount as i64),
        })
        .collect())
}

/// One step of one cadence, as worked in the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFigure {
    pub cadence_id: i64,
    pub cadence_name: String,
    pub purpose: Purpose,
    pub position: i32,
    pub done: i64,
    pub skipped: i64,
    pub replied: i64,
    pub meetings: i64,
}

pub async fn cadence_steps(db: impl PgExecutor<'_>, f: &Filters) -> sqlx::Result<Vec<StepFigure>> {
    sqlx::query_as!(
        StepFigure,
        r#"select r.cadence_id, c.name as cadence_name, c.purpose as "purpose: Purpose", r.position,
                  sum(r.done)::bigint as "done!", sum(r.skipped)::bigint as "skipped!",
                  sum(r.replied)::bigint as "replied!", sum(r.meetings)::bigint as "meetings!"
           from cadence_step_rollup r join cadences c on c.id = r.cadence_id
           where ($1::bigint[] is null or r.owner_id = any($1))
             and r.day between $2 and $3
           group by r.cadence_id, c.name, c.purpose, r.position
           having sum(r.done) <> 0 or sum(r.skipped) <> 0
           order by c.purpose, lower(c.name), r.cadence_id, r.position"#,
        f.users() as Option<&[i64]>,
        f.from,
        f.to
    )
    .fetch_all(db)
    .await
}

/// How enrollments in one cadence ended in the range, by reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndingFigure {
    pub cadence_id: i64,
    pub cadence_name: String,
    pub ending: EnrollmentStatus,
    /// Empty for completions.
    pub reason: String,
    pub enrollments: i64,
}

pub async fn cadence_endings(
    db: impl PgExecutor<'_>,
    f: &Filters,
) -> sqlx::Result<Vec<EndingFigure>> {
    sqlx::query_as!(
        EndingFigure,
        r#"select r.cadence_id, c.name as cadence_name, r.ending as "ending: EnrollmentStatus",
                  r.reason, sum(r.enrollments)::bigint as "enrollments!"
           from cadence_exit_rollup r join cadences c on c.id = r.cadence_id
           where ($1::bigint[] is null or r.owner_id = any($1))
             and r.day between $2 and $3
           group by r.cadence_id, c.name, r.ending, r.reason
           having sum(r.enrollments) <> 0
           order by lower(c.name), r.cadence_id, r.ending, sum(r.enrollments) desc, r.reason"#,
        f.users() as Option<&[i64]>,
        f.from,
        f.to
    )
    .fetch_all(db)
    .await
}
