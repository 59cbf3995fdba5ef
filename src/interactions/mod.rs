//! Logging an interaction — the core gesture — and the interest decision made in it.

pub mod db;
pub mod handlers;

use axum::{Router, routing::post};
use serde::{Deserialize, Serialize};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/prospects/{id}/interactions", post(handlers::log))
}

/// Declares a Postgres enum mirrored in Rust with its wire name and label.
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident, $pg:literal, { $($variant:ident => ($wire:literal, $label:literal)),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
        #[sqlx(type_name = $pg, rename_all = "snake_case")]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }

            pub fn parse(raw: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw)
            }
        }
    };
}
pub(crate) use labelled_enum;

labelled_enum!(
    /// How the prospect was reached.
    Channel, "interaction_channel", {
        Call => ("call", "Call"),
        Email => ("email", "Email"),
        Meeting => ("meeting", "Meeting"),
        Linkedin => ("linkedin", "LinkedIn"),
        Mail => ("mail", "Mail"),
        Event => ("event", "Event"),
        Other => ("other", "Other"),
    }
);

labelled_enum!(
    /// What happened.
    Outcome, "interaction_outcome", {
        NoAnswer => ("no_answer", "No answer"),
        LeftMessage => ("left_message", "Left a message"),
        Connected => ("connected", "Connected"),
        Replied => ("replied", "Replied"),
        MeetingBooked => ("meeting_booked", "Meeting booked"),
        MeetingHeld => ("meeting_held", "Meeting held"),
        NotInterested => ("not_interested", "Not interested"),
        BadData => ("bad_data", "Bad data"),
    }
);

labelled_enum!(
    /// The interest assessment made in an interaction: current first, else future, else none.
    Decision, "interest_decision", {
        Current => ("current", "Current interest"),
        Future => ("future", "Future interest"),
        None => ("none", "No interest"),
    }
);

impl Decision {
    pub fn interest(self) -> crate::prospects::InterestState {
        use crate::prospects::InterestState;
        match self {
            Decision::Current => InterestState::Current,
            Decision::Future => InterestState::Future,
            Decision::None => InterestState::None,
        }
    }
}
