//! The words of the follow-up process, shared by the engine, the data layer and the pages:
//! each mirrors a PostgreSQL enum, with its wire name and its label.

use serde::{Deserialize, Serialize};

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
    pub fn interest(self) -> InterestState {
        match self {
            Decision::Current => InterestState::Current,
            Decision::Future => InterestState::Future,
            Decision::None => InterestState::None,
        }
    }
}

/// Where a prospect stands. It follows the latest interest decision logged.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema,
)]
#[sqlx(type_name = "interest_state", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum InterestState {
    New,
    Current,
    Future,
    None,
    Customer,
}

impl InterestState {
    pub const ALL: [InterestState; 5] = [
        InterestState::New,
        InterestState::Current,
        InterestState::Future,
        InterestState::None,
        InterestState::Customer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            InterestState::New => "new",
            InterestState::Current => "current",
            InterestState::Future => "future",
            InterestState::None => "none",
            InterestState::Customer => "customer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            InterestState::New => "New",
            InterestState::Current => "Current interest",
            InterestState::Future => "Future interest",
            InterestState::None => "No interest",
            InterestState::Customer => "Customer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            InterestState::New => "badge badge-new",
            InterestState::Current => "badge badge-current",
            InterestState::Future => "badge badge-future",
            InterestState::None => "badge badge-none",
            InterestState::Customer => "badge badge-customer",
        }
    }
}

labelled_enum!(
    Purpose, "cadence_purpose", {
        Pursue => ("pursue", "Pursue"),
        Nurture => ("nurture", "Nurture"),
    }
);

labelled_enum!(
    Stage, "opportunity_stage", {
        Qualifying => ("qualifying", "Qualifying"),
        Meeting => ("meeting", "Meeting"),
        Proposal => ("proposal", "Proposal"),
        Negotiation => ("negotiation", "Negotiation"),
        Won => ("won", "Won"),
        Lost => ("lost", "Lost"),
    }
);

labelled_enum!(
    EnrollmentStatus, "enrollment_status", {
        Active => ("active", "Active"),
        Paused => ("paused", "Paused"),
        Completed => ("completed", "Completed"),
        Exited => ("exited", "Exited"),
    }
);

labelled_enum!(
    TouchStatus, "touch_status", {
        Pending => ("pending", "Due"),
        Done => ("done", "Done"),
        Skipped => ("skipped", "Skipped"),
        Snoozed => ("snoozed", "Snoozed"),
    }
);

labelled_enum!(
    TouchKind, "touch_kind", {
        Step => ("step", "Cadence step"),
        ReEngage => ("re_engage", "Re-engage"),
    }
);
