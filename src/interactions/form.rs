//! The log-interaction form: what was typed, how a page shows it, and its validation,
//! shared by the prospect page, work mode and the API.

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::{Channel, Outcome};
use crate::{
    error::Result,
    opportunities::Stage,
    prospects::{QualifyingField, QualifyingInput},
    web::{FormErrors, Layout, format},
};

/// What the user typed in the log form, kept as typed so a failed attempt shows it again.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct LogForm {
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub occurred_at: String,
    #[serde(default)]
    pub notes: String,
    /// `current`, `future`, `none`, or empty when there was nothing to assess.
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub opportunity_name: String,
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub expected_close_on: String,
    #[serde(default)]
    pub re_engage_on: String,
    #[serde(default)]
    pub no_interest_reason: String,
    #[serde(default)]
    pub do_not_contact: Option<String>,
    #[serde(flatten)]
    pub qualifying: QualifyingInput,
}

/// The open opportunity a current-interest decision would advance.
#[derive(Clone, Debug)]
pub struct OpenOpportunity {
    pub id: i64,
    pub name: String,
    pub stage: Stage,
}

/// The log form as a page shows it (`templates/interactions/_log_form.html`): where it
/// posts, what was typed, its errors.
pub struct LogFormView {
    pub action: String,
    pub csrf_token: String,
    pub title: &'static str,
    pub submit_label: &'static str,
    pub form: LogForm,
    pub errors: FormErrors,
    pub open_opportunity: Option<OpenOpportunity>,
    pub do_not_contact: bool,
}

impl LogFormView {
    /// A fresh form for a prospect: the stage starts where the open opportunity stands, so
    /// logging current interest never moves it backwards by accident.
    pub fn blank_stage_follows(mut form: LogForm, open: Option<&OpenOpportunity>) -> LogForm {
        if let Some(open) = open {
            form.stage = open.stage.as_str().to_string();
        }
        form
    }

    pub fn channels(&self) -> &'static [Channel] {
        Channel::ALL
    }

    pub fn outcomes(&self) -> &'static [Outcome] {
        Outcome::ALL
    }

    pub fn open_stages(&self) -> [Stage; 4] {
        Stage::OPEN
    }

    pub fn qualifying_fields(&self) -> [QualifyingField; 5] {
        QualifyingField::ALL
    }

    pub fn qualifying_value(&self, field: &QualifyingField) -> &str {
        self.form.qualifying.get(*field)
    }

    pub fn qualifying_name(&self, field: &QualifyingField) -> &'static str {
        QualifyingInput::form_name(*field)
    }
}

/// The decision and what it carries, validated.
pub use crate::process::DecisionInput;

#[derive(Debug, Clone)]
pub struct ValidLog {
    pub channel: Channel,
    pub outcome: Outcome,
    pub occurred_at: OffsetDateTime,
    pub notes: String,
    pub decision: DecisionInput,
    pub qualifying: QualifyingInput,
}

/// How far ahead of the clock a logged time may be: an interaction is logged once it happened.
const CLOCK_SKEW: Duration = Duration::minutes(5);

impl LogForm {
    pub fn blank(layout: &Layout) -> Self {
        LogForm {
            channel: Channel::Call.as_str().into(),
            occurred_at: format::datetime_local_input(
                OffsetDateTime::now_utc(),
                layout.time_zone(),
            ),
            stage: Stage::Qualifying.as_str().into(),
            ..Default::default()
        }
    }

    pub fn do_not_contact(&self) -> bool {
        self.do_not_contact.is_some()
    }

    pub fn validate(&self, time_zone: &str, now: OffsetDateTime) -> Result<ValidLog, FormErrors> {
        let occurred_at = if self.occurred_at.trim().is_empty() {
            Ok(None)
        } else {
            format::parse_datetime_local(&self.occurred_at, time_zone)
                .map(Some)
                .ok_or("Enter a date and time.")
        };
        self.validate_at(occurred_at, time_zone, now)
    }

    /// The validation itself, with the time already read: from the form's local
    /// `datetime-local` value, or (the API) from an RFC 3339 timestamp. `Ok(None)` is now.
    pub fn validate_at(
        &self,
        occurred_at: Result<Option<OffsetDateTime>, &str>,
        time_zone: &str,
        now: OffsetDateTime,
    ) -> Result<ValidLog, FormErrors> {
        let mut errors = FormErrors::default();
        let channel = Channel::parse(&self.channel);
        if channel.is_none() {
            errors.add("channel", "Choose how you reached the prospect.");
        }
        let outcome = Outcome::parse(&self.outcome);
        if outcome.is_none() {
            errors.add("outcome", "Choose what happened.");
        }
        let occurred_at = match occurred_at {
            Ok(None) => now,
            Ok(Some(at)) if at > now + CLOCK_SKEW => {
                errors.add("occurred_at", "Log an interaction once it has happened: pick a time that is not in the future.");
                now
            }
            Ok(Some(at)) if at < now - Duration::days(3 * 365) => {
                errors.add("occurred_at", "That is more than three years ago.");
                now
            }
            Ok(Some(at)) => at,
            Err(message) => {
                errors.add("occurred_at", message);
                now
            }
        };
        let notes = errors.optional("notes", &self.notes, 5000);
        self.qualifying.validate(&mut errors);

        let today = format::today(time_zone);
        let decision = match self.decision.as_str() {
            "" => DecisionInput::Unassessed,
            "current" => {
                if outcome == Some(Outcome::NotInterested) {
                    errors.add("decision", "The outcome says not interested: choose future or no interest, or change the outcome.");
                }
                let stage = Stage::parse(&self.stage).filter(|s| s.is_open());
                if stage.is_none() {
                    errors.add("stage", "Choose an open stage.");
                }
                let name = errors.optional("opportunity_name", &self.opportunity_name, 200);
                DecisionInput::Current {
                    name: (!name.is_empty()).then_some(name),
                    stage: stage.unwrap_or(Stage::Qualifying),
                    value_cents: errors.optional_money("value", &self.value),
                    expected_close_on: errors
                        .optional_date("expected_close_on", &self.expected_close_on),
                }
            }
            "future" => {
                let date = errors.optional_date("re_engage_on", &self.re_engage_on);
                match date {
                    Some(date) if date <= today => {
                        errors.add("re_engage_on", "Choose a date after today.");
                    }
                    None if !errors.has("re_engage_on") => {
                        errors.add(
                            "re_engage_on",
                            "Future interest needs a date to re-engage on.",
                        );
                    }
                    _ => {}
                }
                DecisionInput::Future {
                    re_engage_on: date.unwrap_or(today),
                }
            }
            "none" => {
                let reason = errors.required("no_interest_reason", &self.no_interest_reason, 500);
                DecisionInput::None {
                    reason,
                    do_not_contact: self.do_not_contact(),
                }
            }
            _ => {
                errors.add("decision", "Choose current, future or no interest.");
                DecisionInput::Unassessed
            }
        };

        let (Some(channel), Some(outcome)) = (channel, outcome) else {
            return Err(errors);
        };
        errors.into_result(|| ValidLog {
            channel,
            outcome,
            occurred_at,
            notes,
            decision,
            qualifying: self.qualifying.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-23 15:00 UTC);

    fn form(decision: &str) -> LogForm {
        LogForm {
            channel: "call".into(),
            outcome: "connected".into(),
            occurred_at: "2026-11-23T09:30".into(),
            decision: decision.into(),
            stage: "qualifying".into(),
            ..Default::default()
        }
    }

    #[test]
    fn future_interest_needs_a_later_date() {
        let errors = form("future").validate("Europe/Paris", NOW).unwrap_err();
        assert!(errors.has("re_engage_on"));

        let mut past = form("future");
        past.re_engage_on = "2026-11-23".into();
        assert!(
            past.validate("Europe/Paris", NOW)
                .unwrap_err()
                .has("re_engage_on")
        );

        let mut ok = form("future");
        ok.re_engage_on = "2027-03-01".into();
        let valid = ok.validate("Europe/Paris", NOW).unwrap();
        assert_eq!(
            valid.decision,
            DecisionInput::Future {
                re_engage_on: time::macros::date!(2027 - 03 - 01)
            }
        );
        assert_eq!(valid.occurred_at, datetime!(2026-11-23 08:30 UTC));
    }

    #[test]
    fn no_interest_needs_a_reason() {
        assert!(
            form("none")
                .validate("UTC", NOW)
                .unwrap_err()
                .has("no_interest_reason")
        );
    }

    #[test]
    fn not_interested_contradicts_current_interest() {
        let mut f = form("current");
        f.outcome = "not_interested".into();
        assert!(f.validate("UTC", NOW).unwrap_err().has("decision"));
    }

    #[test]
    fn the_future_cannot_be_logged() {
        let mut f = form("");
        f.occurred_at = "2026-11-24T09:00".into();
        assert!(f.validate("UTC", NOW).unwrap_err().has("occurred_at"));
    }

    #[test]
    fn unknown_values_are_refused() {
        let mut f = form("maybe");
        f.channel = "pigeon".into();
        let errors = f.validate("UTC", NOW).unwrap_err();
        assert!(errors.has("channel") && errors.has("decision"));
    }
}
