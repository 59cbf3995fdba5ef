//! A prospect's timeline: interactions with their decisions, and every change of
//! interest, stage, owner and do-not-contact, newest first.

use sqlx::PgExecutor;
use time::{Date, OffsetDateTime};

use super::InterestState;
use crate::{
    auth::Scope,
    process::{Channel, Decision, Outcome, Stage},
    web::format,
};

pub const LIMIT: i64 = 200;

#[derive(Debug)]
pub struct TimelineEntry {
    pub kind: String,
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor: Option<String>,
    pub channel: Option<Channel>,
    pub outcome: Option<Outcome>,
    pub decision: Option<Decision>,
    pub notes: String,
    pub note: Option<String>,
    pub re_engage_on: Option<Date>,
    pub from_value: Option<String>,
    pub to_value: Option<String>,
    pub opportunity_id: Option<i64>,
}

pub async fn load(
    db: impl PgExecutor<'_>,
    scope: &Scope,
    prospect_id: i64,
) -> sqlx::Result<Vec<TimelineEntry>> {
    sqlx::query_as!(
        TimelineEntry,
        r#"select kind as "kind!", id as "id!", at as "at!", actor, channel as "channel: Channel",
                  outcome as "outcome: Outcome", decision as "decision: Decision", notes as "notes!",
                  note, re_engage_on, from_value, to_value, opportunity_id
           from (
               select 'interaction' as kind, i.id, i.occurred_at as at, u.name as actor,
                      i.channel, i.outcome, i.decision, i.notes, i.no_interest_reason as note,
                      i.re_engage_on, null::text as from_value, null::text as to_value,
                      i.opportunity_id
               from interactions i join users u on u.id = i.logged_by
               where i.prospect_id = $1
               union all
               select e.kind, e.id, e.occurred_at, u.name, null, null, null, '', e.note,
                      null, e.from_value, e.to_value, e.opportunity_id
               from prospect_events e left join users u on u.id = e.actor_id
               where e.prospect_id = $1
           ) entries
           where exists (
               select 1 from prospects p
               where p.id = $1 and ($2::bigint[] is null or p.owner_id = any($2))
           )
           order by at desc, kind = 'interaction', id desc
           limit $3"#,
        prospect_id,
        scope.owner_ids() as Option<&[i64]>,
        LIMIT
    )
    .fetch_all(db)
    .await
}

fn interest_label(raw: &Option<String>) -> &'static str {
    raw.as_deref()
        .and_then(InterestState::parse)
        .map_or("?", InterestState::label)
}

fn stage_label(raw: &Option<String>) -> &'static str {
    raw.as_deref()
        .and_then(Stage::parse)
        .map_or("?", Stage::label)
}

impl TimelineEntry {
    pub fn is_interaction(&self) -> bool {
        self.kind == "interaction"
    }

    pub fn headline(&self) -> String {
        match self.kind.as_str() {
            "interaction" => {
                let channel = self.channel.map_or("Interaction", Channel::label);
                let outcome = self.outcome.map_or("", Outcome::label);
                format!("{channel} · {outcome}")
            }
            "created" => "Prospect created".into(),
            "interest_changed" => format!(
                "Interest: {} → {}",
                interest_label(&self.from_value),
                interest_label(&self.to_value)
            ),
            "opportunity_opened" => {
                format!("Opportunity opened at {}", stage_label(&self.to_value))
            }
            "stage_changed" => format!(
                "Opportunity stage: {} → {}",
                stage_label(&self.from_value),
                stage_label(&self.to_value)
            ),
            "owner_changed" => format!(
                "Owner: {} → {}",
                self.from_value.as_deref().unwrap_or("?"),
                self.to_value.as_deref().unwrap_or("?")
            ),
            "do_not_contact" => match self.to_value.as_deref() {
                Some("true") => "Marked do-not-contact".into(),
                _ => "Do-not-contact removed".into(),
            },
            "qualifying_updated" => "Qualifying information updated".into(),
            "enrolled" => "Enrolled in a cadence".into(),
            "enrollment_exited" => "Left a cadence".into(),
            "enrollment_paused" => "Cadence paused".into(),
            "enrollment_resumed" => "Cadence resumed".into(),
            "enrollment_completed" => "Cadence finished".into(),
            "touch_skipped" => "Touch skipped".into(),
            "touch_snoozed" => "Touch snoozed".into(),
            "no_next_step" => "No next step, by decision".into(),
            "data_flagged" => "Flagged: bad contact data".into(),
            other => other.replace('_', " "),
        }
    }

    /// The decision made in an interaction, as a sentence.
    pub fn decision_text(&self) -> Option<String> {
        let decision = self.decision?;
        Some(match decision {
            Decision::Current => "Decision: current interest".into(),
            Decision::Future => match self.re_engage_on {
                Some(date) => format!(
                    "Decision: future interest — re-engage on {}",
                    format::date(date)
                ),
                None => "Decision: future interest".into(),
            },
            Decision::None => match &self.note {
                Some(reason) => format!("Decision: no interest — {reason}"),
                None => "Decision: no interest".into(),
            },
        })
    }

    /// A note carried by an event (a lost reason, a revisit date…).
    pub fn event_note(&self) -> Option<&str> {
        (!self.is_interaction())
            .then_some(self.note.as_deref())
            .flatten()
    }

    pub fn marker_class(&self) -> &'static str {
        match (self.kind.as_str(), self.decision) {
            ("interaction", Some(Decision::Current)) => "timeline-marker marker-decision-current",
            ("interaction", Some(Decision::Future)) => "timeline-marker marker-decision-future",
            ("interaction", Some(Decision::None)) => "timeline-marker marker-decision-none",
            ("interaction", None) => "timeline-marker marker-interaction",
            _ => "timeline-marker marker-event",
        }
    }

    pub fn when(&self, tz: &str) -> String {
        format::datetime(self.at, tz)
    }
}
