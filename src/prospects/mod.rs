//! Prospects: the people we prospect, their interest state and qualifying information —
//! their queries, form validation, saving, timeline and the list's query. The pages that
//! show them with their plan, opportunities and log form are in `prospect_pages`.

pub mod db;
pub mod form;
pub mod list;
pub mod save;
pub mod timeline;

use serde::Deserialize;

pub use crate::process::InterestState;

/// The facets of qualifying information (BANT, plus free notes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "qualifying_field", rename_all = "snake_case")]
pub enum QualifyingField {
    Need,
    Budget,
    Authority,
    Timeline,
    Notes,
}

impl QualifyingField {
    pub const ALL: [QualifyingField; 5] = [
        QualifyingField::Need,
        QualifyingField::Budget,
        QualifyingField::Authority,
        QualifyingField::Timeline,
        QualifyingField::Notes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            QualifyingField::Need => "need",
            QualifyingField::Budget => "budget",
            QualifyingField::Authority => "authority",
            QualifyingField::Timeline => "timeline",
            QualifyingField::Notes => "notes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QualifyingField::Need => "Need",
            QualifyingField::Budget => "Budget",
            QualifyingField::Authority => "Authority",
            QualifyingField::Timeline => "Timeline",
            QualifyingField::Notes => "Notes",
        }
    }

    pub fn hint(self) -> &'static str {
        match self {
            QualifyingField::Need => "What problem would we solve for them?",
            QualifyingField::Budget => "Is money set aside? How much, when?",
            QualifyingField::Authority => "Who decides, who signs, who influences?",
            QualifyingField::Timeline => "When would they buy, and what drives the date?",
            QualifyingField::Notes => "Anything else worth knowing next time.",
        }
    }
}

/// Qualifying information as entered on a form: one optional text per field.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct QualifyingInput {
    #[serde(default)]
    pub need: String,
    #[serde(default)]
    pub budget: String,
    #[serde(default)]
    pub authority: String,
    #[serde(default)]
    pub timeline: String,
    #[serde(default, rename = "qualifying_notes")]
    pub notes: String,
}

impl QualifyingInput {
    pub fn get(&self, field: QualifyingField) -> &str {
        match field {
            QualifyingField::Need => &self.need,
            QualifyingField::Budget => &self.budget,
            QualifyingField::Authority => &self.authority,
            QualifyingField::Timeline => &self.timeline,
            QualifyingField::Notes => &self.notes,
        }
    }

    /// The form field name of each facet (`notes` is `qualifying_notes`, to stay clear
    /// of an interaction's own notes).
    pub fn form_name(field: QualifyingField) -> &'static str {
        match field {
            QualifyingField::Notes => "qualifying_notes",
            other => other.as_str(),
        }
    }

    /// The facets that carry text, trimmed; each at most 2000 characters.
    pub fn entries(&self) -> Vec<(QualifyingField, String)> {
        QualifyingField::ALL
            .into_iter()
            .map(|f| (f, self.get(f).trim().to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }

    pub fn validate(&self, errors: &mut crate::web::FormErrors) {
        for field in QualifyingField::ALL {
            errors.optional(Self::form_name(field), self.get(field), 2000);
        }
    }
}
