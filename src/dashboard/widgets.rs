//! From figures to what the page shows: for each widget its headline numbers, its charts
//! (server-drawn SVG, each with its data table) and its CSV rows. Every number links to
//! the list behind it (`/dashboard/list?…`, see `behind`).

use std::collections::BTreeMap;

use time::Date;

use super::{
    behind::{Behind, StepMeasure},
    filters::{Breakdown, Filters, Week},
    metrics::{
        ActivityCell, Comebacks, EndingFigure, FollowThrough, Funnel, OwnerState, Pipeline,
        StepFigure,
    },
};
use crate::{
    charts::{self, Chart, Series},
    enrollments::EnrollmentStatus,
    interactions::{Channel, Decision},
    prospects::InterestState,
    web::format,
};

/// One block of the dashboard.
pub struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// What the figures mean, in a sentence or two.
    pub intro: String,
    pub stats: Vec<Stat>,
    pub charts: Vec<ChartBlock>,
    /// Tables without a chart of their own (per person, per cadence).
    pub tables: Vec<String>,
    pub csv_url: String,
}

/// A headline number.
pub struct Stat {
    pub label: String,
    pub value: String,
    pub href: Option<String>,
}

/// A chart and, one click away, its numbers as a table.
pub struct ChartBlock {
    pub svg: String,
    pub table: String,
}

impl ChartBlock {
    fn of(chart: &Chart, svg: String) -> Self {
        ChartBlock {
            svg,
            table: chart.data_table(),
        }
    }
}

/// Whose figures a link narrows to.
#[derive(Debug, Clone, Copy)]
pub enum Who {
    Everyone,
    Rep(i64),
    Team(i64),
}

/// The list behind a number, for the dashboard's filters narrowed to `who` (and `week`).
pub fn href(f: &Filters, who: Who, week: Option<&Week>, behind: &Behind) -> String {
    let mut narrowed = f.clone();
    match who {
        Who::Everyone => {}
        Who::Rep(id) => narrowed.rep = Some(id),
        Who::Team(id) => {
            narrowed.team = Some(id);
            narrowed.rep = None;
        }
    }
    if let Some(week) = week {
        narrowed.from = week.first;
        narrowed.to = week.last;
    }
    format!(
        "/dashboard/list?{}",
        narrowed.query_string(&behind.query_pairs())
    )
}

pub fn csv_href(f: &Filters, widget: &str) -> String {
    format!("/dashboard/{widget}.csv?{}", f.query_string(&[]))
}

/// The groups per-person figures are shown in: each rep, or each team across teams.
pub struct Group {
    pub name: String,
    pub who: Who,
    pub members: Vec<i64>,
}

pub fn groups(f: &Filters) -> Vec<Group> {
    match f.breakdown() {
        Breakdown::Rep => f
            .people
            .iter()
            .map(|p| Group {
                name: p.name.clone(),
                who: Who::Rep(p.id),
                members: vec![p.id],
            })
            .collect(),
        Breakdown::Team => {
            let mut teams: BTreeMap<(String, i64), Vec<i64>> = BTreeMap::new();
            for p in &f.people {
                let key = match (p.team_id, &p.team_name) {
                    (Some(id), Some(name)) => (name.to_lowercase(), id),
                    _ => ("~no team".to_string(), 0),
                };
                teams.entry(key).or_default().push(p.id);
            }
            teams
                .into_iter()
                .map(|((_, id), members)| {
                    let name = f
                        .people
                        .iter()
                        .find(|p| p.team_id == Some(id))
                        .and_then(|p| p.team_name.clone())
                        .unwrap_or_else(|| "No team".to_string());
                    Group {
                        name,
                        who: if id == 0 {
                            Who::Everyone
                        } else {
                            Who::Team(id)
                        },
                        members,
                    }
                })
                .collect()
        }
    }
}

/// A person's name and team, for CSV rows (their id, if they are not among the people).
fn person_columns(f: &Filters, user_id: i64) -> [String; 2] {
    match f.people.iter().find(|p| p.id == user_id) {
        Some(p) => [p.name.clone(), p.team_name.clone().unwrap_or_default()],
        None => [user_id.to_string(), String::new()],
    }
}

fn money(v: f64) -> String {
    format::money(v.round() as i64)
}

fn share(part: i64, whole: i64) -> String {
    if whole == 0 {
        "—".to_string()
    } else {
        charts::format_percent(part as f64 / whole as f64)
    }
}

fn count(n: i64) -> String {
    charts::format_number(n as f64)
}

// ---------------------------------------------------------------------------------------
// Pipeline
// ---------------------------------------------------------------------------------------

pub fn pipeline(f: &Filters, p: &Pipeline) -> Section {
    let stage_names: Vec<String> = p.stages.iter().map(|s| s.stage.label().into()).collect();
    let stage_links: Vec<String> = p
        .stages
        .iter()
        .map(|s| href(f, Who::Everyone, None, &Behind::Stage(Some(s.stage))))
        .collect();
    let values = Chart::new(
        "Open pipeline by stage",
        "Stage",
        "Value",
        stage_names.clone(),
        vec![
            Series::new(
                "Total value",
                p.stages.iter().map(|s| s.value_cents as f64).collect(),
            )
            .with_hrefs(stage_links.clone()),
            Series::new(
                "Weighted by probability",
                p.stages.iter().map(|s| s.weighted_cents as f64).collect(),
            )
            .with_hrefs(stage_links.clone()),
        ],
    )
    .with_id("pipeline-value")
    .with_format(money);
    let counts = Chart::new(
        "Open opportunities by stage",
        "Stage",
        "Opportunities",
        stage_names,
        vec![
            Series::new(
                "Opportunities",
                p.stages.iter().map(|s| s.opportunities as f64).collect(),
            )
            .with_hrefs(stage_links),
        ],
    )
    .with_id("pipeline-count");
    let stalled_href = href(f, Who::Everyone, None, &Behind::Stalled);
    let open_href = href(f, Who::Everyone, None, &Behind::Stage(None));
    Section {
        id: "pipeline",
        title: "Pipeline",
        intro: format!(
            "Open opportunities now, by stage, with their total value and their value weighted \
             by probability. Stalled: open, with no interaction and no stage change for {} days.",
            f.stalled_days
        ),
        stats: vec![
            Stat {
                label: "open opportunities".into(),
                value: count(p.open_count()),
                href: Some(open_href.clone()),
            },
            Stat {
                label: "open pipeline".into(),
                value: format::money(p.open_value()),
                href: Some(open_href.clone()),
            },
            Stat {
                label: "weighted pipeline".into(),
                value: format::money(p.weighted_value()),
                href: Some(open_href),
            },
            Stat {
                label: format!(
                    "stalled ({} days) · {}",
                    f.stalled_days,
                    format::money(p.stalled_value_cents)
                ),
                value: count(p.stalled),
                href: Some(stalled_href),
            },
        ],
        charts: vec![
            ChartBlock::of(&values, charts::horizontal_bars(&values)),
            ChartBlock::of(&counts, charts::bar_chart(&counts)),
        ],
        tables: Vec::new(),
        csv_url: csv_href(f, "pipeline"),
    }
}

pub fn pipeline_csv(f: &Filters, p: &Pipeline) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "stage".to_string(),
        "open_opportunities".into(),
        "total_value".into(),
        "weighted_value".into(),
    ]];
    for s in &p.stages {
        rows.push(vec![
            s.stage.as_str().into(),
            s.opportunities.to_string(),
            format::money_input(s.value_cents),
            format::money_input(s.weighted_cents),
        ]);
    }
    rows.push(vec![
        format!("stalled_{}_days", f.stalled_days),
        p.stalled.to_string(),
        format::money_input(p.stalled_value_cents),
        String::new(),
    ]);
    rows
}

// ---------------------------------------------------------------------------------------
// Funnel
// ---------------------------------------------------------------------------------------

pub fn funnel(f: &Filters, funnel: &Funnel) -> Section {
    let spec = charts::Funnel::new(
        "From first touch to won",
        funnel
            .steps
            .iter()
            .map(|(step, n)| {
                (
                    step.label().to_string(),
                    *n as f64,
                    Some(href(f, Who::Everyone, None, &Behind::Funnel(*step))),
                )
            })
            .collect(),
    )
    .with_id("funnel");
    let touched = funnel.steps.first().map_or(0, |s| s.1);
    let won = funnel.steps.last().map_or(0, |s| s.1);
    Section {
        id: "funnel",
        title: "Funnel",
        intro: format!(
            "The prospects first touched {}, and how far each has come since: a prospect counts \
             in every step up to the furthest it reached. Connected means a conversation (a call \
             answered or a reply); the rate under each step is its share of the step before.",
            f.range_label()
        ),
        stats: vec![
            Stat {
                label: "prospects first touched".into(),
                value: count(touched),
                href: Some(href(
                    f,
                    Who::Everyone,
                    None,
                    &Behind::Funnel(super::metrics::FunnelStep::Touched),
                )),
            },
            Stat {
                label: "touched to won".into(),
                value: share(won, touched),
                href: Some(href(
                    f,
                    Who::Everyone,
                    None,
                    &Behind::Funnel(super::metrics::FunnelStep::Won),
                )),
            },
        ],
        charts: vec![ChartBlock {
            svg: charts::funnel(&spec),
            table: spec.data_table(),
        }],
        tables: Vec::new(),
        csv_url: csv_href(f, "funnel"),
    }
}

pub fn funnel_csv(funnel: &Funnel) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "step".to_string(),
        "prospects".into(),
        "conversion_from_previous".into(),
    ]];
    let mut previous: Option<i64> = None;
    for (step, n) in &funnel.steps {
        rows.push(vec![
            step.as_str().into(),
            n.to_string(),
            previous
                .filter(|p| *p > 0)
                .map(|p| format!("{:.4}", *n as f64 / p as f64))
                .unwrap_or_default(),
        ]);
        previous = Some(*n);
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Activity
// ---------------------------------------------------------------------------------------

fn cell_sum(
    cells: &[ActivityCell],
    members: Option<&[i64]>,
    week: Option<Date>,
    channel: Option<Channel>,
    value: fn(&ActivityCell) -> i64,
) -> i64 {
    cells
        .iter()
        .filter(|c| members.is_none_or(|m| m.contains(&c.user_id)))
        .filter(|c| week.is_none_or(|w| c.week == w))
        .filter(|c| channel.is_none_or(|ch| c.channel == ch))
        .map(value)
        .sum()
}

fn interactions(c: &ActivityCell) -> i64 {
    c.interactions
}

pub fn activity(f: &Filters, cells: &[ActivityCell]) -> Section {
    let weeks = f.weeks();
    let week_names: Vec<String> = weeks.iter().map(Week::label).collect();
    let channels: Vec<Channel> = Channel::ALL
        .iter()
        .copied()
        .filter(|ch| cells.iter().any(|c| c.channel == *ch))
        .collect();
    let weekly = Chart::new(
        "Interactions per week by channel",
        "Week beginning",
        "Interactions",
        week_names.clone(),
        channels
            .iter()
            .map(|&ch| {
                Series::new(
                    ch.label(),
                    weeks
                        .iter()
                        .map(|w| {
                            cell_sum(cells, None, Some(w.monday), Some(ch), interactions) as f64
                        })
                        .collect(),
                )
                .with_hrefs(
                    weeks
                        .iter()
                        .map(|w| href(f, Who::Everyone, Some(w), &Behind::Activity(Some(ch))))
                        .collect(),
                )
            })
            .collect(),
    )
    .with_id("activity-weekly")
    .stacked();

    let groups = groups(f);
    let per_group_title = match f.breakdown() {
        Breakdown::Rep => "Interactions per rep by channel",
        Breakdown::Team => "Interactions per team by channel",
    };
    let per_group = Chart::new(
        per_group_title,
        match f.breakdown() {
            Breakdown::Rep => "Rep",
            Breakdown::Team => "Team",
        },
        "Interactions",
        groups.iter().map(|g| g.name.clone()).collect(),
        channels
            .iter()
            .map(|&ch| {
                Series::new(
                    ch.label(),
                    groups
                        .iter()
                        .map(|g| {
                            cell_sum(cells, Some(&g.members), None, Some(ch), interactions) as f64
                        })
                        .collect(),
                )
                .with_hrefs(
                    groups
                        .iter()
                        .map(|g| href(f, g.who, None, &Behind::Activity(Some(ch))))
                        .collect(),
                )
            })
            .collect(),
    )
    .with_id("activity-per-person")
    .stacked();

    // Per person per week, every channel together.
    let table = charts::data_table(
        &format!(
            "{} per week",
            match f.breakdown() {
                Breakdown::Rep => "Interactions per rep",
                Breakdown::Team => "Interactions per team",
            }
        ),
        "Week beginning",
        &week_names,
        &groups
            .iter()
            .map(|g| {
                Series::new(
                    g.name.clone(),
                    weeks
                        .iter()
                        .map(|w| {
                            cell_sum(cells, Some(&g.members), Some(w.monday), None, interactions)
                                as f64
                        })
                        .collect(),
                )
                .with_hrefs(
                    weeks
                        .iter()
                        .map(|w| href(f, g.who, Some(w), &Behind::Activity(None)))
                        .collect(),
                )
            })
            .collect::<Vec<_>>(),
        charts::format_number,
    );

    let total = cell_sum(cells, None, None, None, interactions);
    let weeks_count = weeks.len().max(1) as f64;
    Section {
        id: "activity",
        title: "Activity",
        intro: format!(
            "Interactions logged {}, by the rep who logged them, in each week and channel.",
            f.range_label()
        ),
        stats: vec![
            Stat {
                label: "interactions".into(),
                value: count(total),
                href: Some(href(f, Who::Everyone, None, &Behind::Activity(None))),
            },
            Stat {
                label: "per week on average".into(),
                value: charts::format_number((total as f64 / weeks_count * 10.0).round() / 10.0),
                href: Some(href(f, Who::Everyone, None, &Behind::Activity(None))),
            },
        ],
        charts: vec![
            ChartBlock::of(&weekly, charts::bar_chart(&weekly)),
            ChartBlock::of(&per_group, charts::horizontal_bars(&per_group)),
        ],
        tables: vec![table],
        csv_url: csv_href(f, "activity"),
    }
}

pub fn activity_csv(f: &Filters, cells: &[ActivityCell]) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "rep".to_string(),
        "team".into(),
        "week_beginning".into(),
        "channel".into(),
        "interactions".into(),
        "decided_current".into(),
        "decided_future".into(),
        "decided_none".into(),
    ]];
    for c in cells {
        let [rep, team] = person_columns(f, c.user_id);
        rows.push(vec![
            rep,
            team,
            c.week.to_string(),
            c.channel.as_str().into(),
            c.interactions.to_string(),
            c.decided_current.to_string(),
            c.decided_future.to_string(),
            c.decided_none.to_string(),
        ]);
    }
    rows
}

// ---------------------------------------------------------------------------------------
// Interest
// ---------------------------------------------------------------------------------------

fn decided(decision: Decision) -> fn(&ActivityCell) -> i64 {
    match decision {
        Decision::Current => |c| c.decided_current,
        Decision::Future => |c| c.decided_future,
        Decision::None => |c| c.decided_none,
    }
}

pub fn interest(
    f: &Filters,
    cells: &[ActivityCell],
    states: &[OwnerState],
    comebacks: &Comebacks,
) -> Section {
    let weeks = f.weeks();
    let decisions = Chart::new(
        "Interest decisions per week",
        "Week beginning",
        "Decisions",
        weeks.iter().map(Week::label).collect(),
        Decision::ALL
            .iter()
            .map(|&d| {
                Series::new(
                    d.label(),
                    weeks
                        .iter()
                        .map(|w| cell_sum(cells, None, Some(w.monday), None, decided(d)) as f64)
                        .collect(),
                )
                .with_hrefs(
                    weeks
                        .iter()
                        .map(|w| href(f, Who::Everyone, Some(w), &Behind::Decision(d)))
                        .collect(),
                )
            })
            .collect(),
    )
    .with_id("interest-decisions")
    .stacked();

    let pool_of = |state: InterestState| -> i64 {
        states
            .iter()
            .filter(|s| s.interest == state)
            .map(|s| s.prospects)
            .sum()
    };
    let pool = Chart::new(
        "Prospects by interest now",
        "Interest",
        "Prospects",
        InterestState::ALL
            .iter()
            .map(|s| s.label().to_string())
            .collect(),
        vec![
            Series::new(
                "Prospects",
                InterestState::ALL
                    .iter()
                    .map(|&s| pool_of(s) as f64)
                    .collect(),
            )
            .with_hrefs(
                InterestState::ALL
                    .iter()
                    .map(|&s| href(f, Who::Everyone, None, &Behind::Interest(s)))
                    .collect(),
            ),
        ],
    )
    .with_id("interest-pool");

    let current: i64 = cell_sum(cells, None, None, None, decided(Decision::Current));
    let future: i64 = cell_sum(cells, None, None, None, decided(Decision::Future));
    let groups = groups(f);
    let comeback_table = charts::data_table(
        "Comebacks per person who brought them back",
        match f.breakdown() {
            Breakdown::Rep => "Rep",
            Breakdown::Team => "Team",
        },
        &groups.iter().map(|g| g.name.clone()).collect::<Vec<_>>(),
        &[Series::new(
            "Back to current interest",
            groups
                .iter()
                .map(|g| {
                    comebacks
                        .by_user
                        .iter()
                        .filter(|(who, _)| g.members.contains(who))
                        .map(|(_, n)| *n)
                        .sum::<i64>() as f64
                })
                .collect(),
        )
        .with_hrefs(
            groups
                .iter()
                .map(|g| href(f, g.who, None, &Behind::Comebacks))
                .collect(),
        )],
        charts::format_number,
    );
    Section {
        id: "interest",
        title: "Interest",
        intro: format!(
            "The interest decisions made in interactions {} (current first; failing that, future; \
             else none), the prospects in each state now, and the future-interest prospects \
             brought back to current interest.",
            f.range_label()
        ),
        stats: vec![
            Stat {
                label: "future-interest pool now".into(),
                value: count(pool_of(InterestState::Future)),
                href: Some(href(
                    f,
                    Who::Everyone,
                    None,
                    &Behind::Interest(InterestState::Future),
                )),
            },
            Stat {
                label: "current vs future decisions".into(),
                value: format!("{} : {}", count(current), count(future)),
                href: Some(href(
                    f,
                    Who::Everyone,
                    None,
                    &Behind::Decision(Decision::Current),
                )),
            },
            Stat {
                label: "back from future to current".into(),
                value: count(comebacks.count),
                href: Some(href(f, Who::Everyone, None, &Behind::Comebacks)),
            },
            Stat {
                label: "median wait before coming back".into(),
                value: comebacks
                    .median_days
                    .map_or_else(|| "—".to_string(), |d| format!("{} days", d.round() as i64)),
                href: Some(href(f, Who::Everyone, None, &Behind::Comebacks)),
            },
        ],
        charts: vec![
            ChartBlock::of(&decisions, charts::bar_chart(&decisions)),
            ChartBlock::of(&pool, charts::horizontal_bars(&pool)),
        ],
        tables: vec![comeback_table],
        csv_url: csv_href(f, "interest"),
    }
}

pub fn interest_csv(
    f: &Filters,
    cells: &[ActivityCell],
    states: &[OwnerState],
    comebacks: &Comebacks,
) -> Vec<Vec<String>> {
    let mut rows = vec![vec!["measure".to_string(), "key".into(), "value".into()]];
    for w in f.weeks() {
        for d in Decision::ALL {
            rows.push(vec![
                format!("decisions_{}", d.as_str()),
                w.monday.to_string(),
                cell_sum(cells, None, Some(w.monday), None, decided(*d)).to_string(),
            ]);
        }
    }
    for s in InterestState::ALL {
        let n: i64 = states
            .iter()
            .filter(|o| o.interest == s)
            .map(|o| o.prospects)
            .sum();
        rows.push(vec![
            "prospects_now".into(),
            s.as_str().into(),
            n.to_string(),
        ]);
    }
    rows.push(vec![
        "back_to_current".into(),
        String::new(),
        comebacks.count.to_string(),
    ]);
    rows.push(vec![
        "median_days_future_before_back".into(),
        String::new(),
        comebacks
            .median_days
            .map(|d| format!("{d:.1}"))
            .unwrap_or_default(),
    ]);
    rows
}

// ---------------------------------------------------------------------------------------
// Follow-through
// ---------------------------------------------------------------------------------------

fn total_for(rows: &[FollowThrough], members: &[i64]) -> FollowThrough {
    rows.iter()
        .filter(|r| members.contains(&r.user_id))
        .fold(FollowThrough::default(), |acc, r| FollowThrough {
            user_id: 0,
            overdue: acc.overdue + r.overdue,
            dead_ends: acc.dead_ends + r.dead_ends,
            re_engage_due: acc.re_engage_due + r.re_engage_due,
            re_engage_on_time: acc.re_engage_on_time + r.re_engage_on_time,
        })
}

pub fn follow_through(f: &Filters, rows: &[FollowThrough]) -> Section {
    let groups = groups(f);
    let totals: Vec<FollowThrough> = groups.iter().map(|g| total_for(rows, &g.members)).collect();
    let names: Vec<String> = groups.iter().map(|g| g.name.clone()).collect();
    let gaps = Chart::new(
        match f.breakdown() {
            Breakdown::Rep => "Overdue touches and dead ends per rep",
            Breakdown::Team => "Overdue touches and dead ends per team",
        },
        match f.breakdown() {
            Breakdown::Rep => "Rep",
            Breakdown::Team => "Team",
        },
        "Now",
        names.clone(),
        vec![
            Series::new(
                "Overdue touches",
                totals.iter().map(|t| t.overdue as f64).collect(),
            )
            .with_hrefs(
                groups
                    .iter()
                    .map(|g| href(f, g.who, None, &Behind::Overdue))
                    .collect(),
            ),
            Series::new(
                "Dead ends",
                totals.iter().map(|t| t.dead_ends as f64).collect(),
            )
            .with_hrefs(
                groups
                    .iter()
                    .map(|g| href(f, g.who, None, &Behind::DeadEnds))
                    .collect(),
            ),
        ],
    )
    .with_id("follow-through-gaps");
    let honoured = Chart::new(
        "Re-engage dates honoured on time",
        gaps.category_label.clone(),
        "Share on time",
        names,
        vec![
            Series::new(
                "On time",
                totals
                    .iter()
                    .map(|t| t.on_time_share().unwrap_or(0.0))
                    .collect(),
            )
            .with_hrefs(
                groups
                    .iter()
                    .map(|g| {
                        href(
                            f,
                            g.who,
                            None,
                            &Behind::ReEngage {
                                on_time: Some(true),
                            },
                        )
                    })
                    .collect(),
            ),
        ],
    )
    .with_id("follow-through-re-engage")
    .with_format(charts::format_percent);

    let everyone = total_for(rows, &f.people.iter().map(|p| p.id).collect::<Vec<_>>());
    let mut table = String::from(
        "<table class=\"table chart-data\"><caption>Follow-through per person</caption><thead><tr>\
         <th scope=\"col\">Who</th><th scope=\"col\" class=\"num\">Overdue touches</th>\
         <th scope=\"col\" class=\"num\">Dead ends</th>\
         <th scope=\"col\" class=\"num\">Re-engage dates due</th>\
         <th scope=\"col\" class=\"num\">Honoured on time</th>\
         <th scope=\"col\" class=\"num\">Missed</th>\
         <th scope=\"col\" class=\"num\">Share on time</th></tr></thead><tbody>",
    );
    for (g, t) in groups.iter().zip(&totals) {
        table.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td></tr>",
            charts::escape(&g.name),
            link(&href(f, g.who, None, &Behind::Overdue), t.overdue),
            link(&href(f, g.who, None, &Behind::DeadEnds), t.dead_ends),
            link(
                &href(f, g.who, None, &Behind::ReEngage { on_time: None }),
                t.re_engage_due
            ),
            link(
                &href(
                    f,
                    g.who,
                    None,
                    &Behind::ReEngage {
                        on_time: Some(true)
                    }
                ),
                t.re_engage_on_time
            ),
            link(
                &href(
                    f,
                    g.who,
                    None,
                    &Behind::ReEngage {
                        on_time: Some(false)
                    }
                ),
                t.re_engage_due - t.re_engage_on_time
            ),
            share(t.re_engage_on_time, t.re_engage_due),
        ));
    }
    table.push_str("</tbody></table>");

    Section {
        id: "follow-through",
        title: "Follow-through",
        intro: format!(
            "Gaps in the process now: touches past due and not done, and dead ends (open \
             prospects with no next step and no recorded reason). Re-engage dates that fell due \
             {} and by now: on time means done by the end of the day it was due, without a \
             snooze; a date the system withdrew (a later date, the prospect leaving every \
             cadence) is not counted.",
            f.range_label()
        ),
        stats: vec![
            Stat {
                label: "overdue touches".into(),
                value: count(everyone.overdue),
                href: Some(href(f, Who::Everyone, None, &Behind::Overdue)),
            },
            Stat {
                label: "dead ends".into(),
                value: count(everyone.dead_ends),
                href: Some(href(f, Who::Everyone, None, &Behind::DeadEnds)),
            },
            Stat {
                label: format!(
                    "re-engage dates on time ({} of {})",
                    everyone.re_engage_on_time, everyone.re_engage_due
                ),
                value: share(everyone.re_engage_on_time, everyone.re_engage_due),
                href: Some(href(
                    f,
                    Who::Everyone,
                    None,
                    &Behind::ReEngage { on_time: None },
                )),
            },
        ],
        charts: vec![
            ChartBlock::of(&gaps, charts::horizontal_bars(&gaps)),
            ChartBlock::of(&honoured, charts::horizontal_bars(&honoured)),
        ],
        tables: vec![table],
        csv_url: csv_href(f, "follow-through"),
    }
}

fn link(href: &str, n: i64) -> String {
    format!(
        "<a href=\"{}\">{}</a>",
        charts::escape(href),
        charts::format_number(n as f64)
    )
}

pub fn follow_through_csv(f: &Filters, rows: &[FollowThrough]) -> Vec<Vec<String>> {
    let mut out = vec![vec![
        "rep".to_string(),
        "team".into(),
        "overdue_touches".into(),
        "dead_ends".into(),
        "re_engage_due".into(),
        "re_engage_on_time".into(),
    ]];
    for r in rows {
        let [rep, team] = person_columns(f, r.user_id);
        out.push(vec![
            rep,
            team,
            r.overdue.to_string(),
            r.dead_ends.to_string(),
            r.re_engage_due.to_string(),
            r.re_engage_on_time.to_string(),
        ]);
    }
    out
}

// ---------------------------------------------------------------------------------------
// Cadences
// ---------------------------------------------------------------------------------------

pub fn cadences(f: &Filters, steps: &[StepFigure], endings: &[EndingFigure]) -> Section {
    let mut cadence_ids: Vec<(i64, String)> = Vec::new();
    for s in steps {
        if !cadence_ids.iter().any(|(id, _)| *id == s.cadence_id) {
            cadence_ids.push((s.cadence_id, s.cadence_name.clone()));
        }
    }
    for e in endings {
        if !cadence_ids.iter().any(|(id, _)| *id == e.cadence_id) {
            cadence_ids.push((e.cadence_id, e.cadence_name.clone()));
        }
    }

    let mut charts_out = Vec::new();
    let mut tables = Vec::new();
    for (cadence_id, name) in &cadence_ids {
        let rows: Vec<&StepFigure> = steps
            .iter()
            .filter(|s| s.cadence_id == *cadence_id)
            .collect();
        if !rows.is_empty() {
            let step_href = |position: i32, measure: StepMeasure| {
                href(
                    f,
                    Who::Everyone,
                    None,
                    &Behind::CadenceStep {
                        cadence_id: Some(*cadence_id),
                        position: Some(position),
                        measure,
                    },
                )
            };
            let rates = Chart::new(
                format!("{name}: reply and meeting rates by step"),
                "Step",
                "Share of touches done",
                rows.iter()
                    .map(|s| format!("Step {}", s.position))
                    .collect(),
                vec![
                    Series::new(
                        "Reply rate",
                        rows.iter().map(|s| rate(s.replied, s.done)).collect(),
                    )
                    .with_hrefs(
                        rows.iter()
                            .map(|s| step_href(s.position, StepMeasure::Replied))
                            .collect(),
                    ),
                    Series::new(
                        "Meeting rate",
                        rows.iter().map(|s| rate(s.meetings, s.done)).collect(),
                    )
                    .with_hrefs(
                        rows.iter()
                            .map(|s| step_href(s.position, StepMeasure::Meetings))
                            .collect(),
                    ),
                ],
            )
            .with_id(format!("cadence-{cadence_id}-rates"))
            .with_format(charts::format_percent);
            let mut table = format!(
                "<table class=\"table chart-data\"><caption>{}: steps worked</caption><thead><tr>\
                 <th scope=\"col\">Step</th><th scope=\"col\" class=\"num\">Done</th>\
                 <th scope=\"col\" class=\"num\">Skipped</th><th scope=\"col\" class=\"num\">Replies</th>\
                 <th scope=\"col\" class=\"num\">Reply rate</th><th scope=\"col\" class=\"num\">Meetings</th>\
                 <th scope=\"col\" class=\"num\">Meeting rate</th></tr></thead><tbody>",
                charts::escape(name)
            );
            for s in &rows {
                table.push_str(&format!(
                    "<tr><th scope=\"row\">Step {}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                     <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                     <td class=\"num\">{}</td></tr>",
                    s.position,
                    link(&step_href(s.position, StepMeasure::Done), s.done),
                    link(&step_href(s.position, StepMeasure::Skipped), s.skipped),
                    link(&step_href(s.position, StepMeasure::Replied), s.replied),
                    share(s.replied, s.done),
                    link(&step_href(s.position, StepMeasure::Meetings), s.meetings),
                    share(s.meetings, s.done),
                ));
            }
            table.push_str("</tbody></table>");
            charts_out.push(ChartBlock {
                svg: charts::bar_chart(&rates),
                table,
            });
        }

        let ended: Vec<&EndingFigure> = endings
            .iter()
            .filter(|e| e.cadence_id == *cadence_id)
            .collect();
        if !ended.is_empty() {
            let label = |e: &EndingFigure| match e.ending {
                EnrollmentStatus::Completed => "Completed every step".to_string(),
                _ => e.reason.clone(),
            };
            tables.push(charts::data_table(
                &format!("{name}: how enrollments ended"),
                "Ending",
                &ended.iter().map(|e| label(e)).collect::<Vec<_>>(),
                &[Series::new(
                    "Enrollments",
                    ended.iter().map(|e| e.enrollments as f64).collect(),
                )
                .with_hrefs(
                    ended
                        .iter()
                        .map(|e| {
                            href(
                                f,
                                Who::Everyone,
                                None,
                                &Behind::CadenceEnding {
                                    cadence_id: *cadence_id,
                                    ending: e.ending,
                                    reason: e.reason.clone(),
                                },
                            )
                        })
                        .collect(),
                )],
                charts::format_number,
            ));
        }
    }

    let done: i64 = steps.iter().map(|s| s.done).sum();
    let replied: i64 = steps.iter().map(|s| s.replied).sum();
    let meetings: i64 = steps.iter().map(|s| s.meetings).sum();
    let all_steps = |measure| {
        Some(href(
            f,
            Who::Everyone,
            None,
            &Behind::CadenceStep {
                cadence_id: None,
                position: None,
                measure,
            },
        ))
    };
    Section {
        id: "cadences",
        title: "Cadences",
        intro: format!(
            "Cadence touches closed {}, per cadence and step (all versions of a step together): \
             done and skipped, and the share of done touches whose interaction got a reply or a \
             meeting. Below each, how its enrollments ended, by reason.",
            f.range_label()
        ),
        stats: vec![
            Stat {
                label: "cadence touches done".into(),
                value: count(done),
                href: all_steps(StepMeasure::Done),
            },
            Stat {
                label: "reply rate".into(),
                value: share(replied, done),
                href: all_steps(StepMeasure::Replied),
            },
            Stat {
                label: "meeting rate".into(),
                value: share(meetings, done),
                href: all_steps(StepMeasure::Meetings),
            },
        ],
        charts: charts_out,
        tables,
        csv_url: csv_href(f, "cadences"),
    }
}

fn rate(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

pub fn cadences_csv(steps: &[StepFigure], endings: &[EndingFigure]) -> Vec<Vec<String>> {
    let mut rows = vec![vec![
        "cadence".to_string(),
        "purpose".into(),
        "step".into(),
        "done".into(),
        "skipped".into(),
        "replied".into(),
        "meetings".into(),
        "ending".into(),
        "reason".into(),
        "enrollments".into(),
    ]];
    for s in steps {
        rows.push(vec![
            s.cadence_name.clone(),
            s.purpose.as_str().into(),
            s.position.to_string(),
            s.done.to_string(),
            s.skipped.to_string(),
            s.replied.to_string(),
            s.meetings.to_string(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    for e in endings {
        rows.push(vec![
            e.cadence_name.clone(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            e.ending.as_str().into(),
            e.reason.clone(),
            e.enrollments.to_string(),
        ]);
    }
    rows
}
