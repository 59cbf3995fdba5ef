//! Rendering a feed as iCalendar. The `icalendar` crate writes the format (escaping,
//! CRLF line ends, folding at 75 octets); this module decides what each event says.
//!
//! Times are written in UTC (`…Z`), which every client converts to its viewer's zone, so
//! the feed needs no VTIMEZONE. UIDs are stable (`touch-42@host`), so a client updates an
//! event when a touch is snoozed instead of showing it twice.

use icalendar::{Calendar, Component, Event, EventStatus, Property};
use time::{Duration, OffsetDateTime, format_description::FormatItem, macros::format_description};

use super::db::{Entry, EntryKind};
use crate::{interactions::Channel, touches::TouchKind};

const UTC_FORMAT: &[FormatItem<'_>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

fn utc(ts: OffsetDateTime) -> String {
    ts.to_offset(time::UtcOffset::UTC)
        .format(UTC_FORMAT)
        .unwrap_or_default()
}

/// How long an entry blocks in the calendar: a meeting half an hour, any other touch a
/// quarter.
fn length(entry: &Entry) -> Duration {
    match entry.channel {
        Channel::Meeting => Duration::minutes(30),
        _ => Duration::minutes(15),
    }
}

fn summary(entry: &Entry) -> String {
    let who = match &entry.account_name {
        Some(account) => format!("{} ({account})", entry.prospect_name),
        None => entry.prospect_name.clone(),
    };
    match (entry.kind, entry.channel) {
        (EntryKind::Meeting, _) => format!("Meeting held with {who}"),
        (EntryKind::Touch(TouchKind::ReEngage), _) => format!("Re-engage {who}"),
        (_, Channel::Meeting) => format!("Meeting with {who}"),
        (_, Channel::Call) => format!("Call {who}"),
        (_, Channel::Email) => format!("Email {who}"),
        (_, Channel::Linkedin) => format!("LinkedIn: {who}"),
        (_, channel) => format!("{}: {who}", channel.label()),
    }
}

/// The feed of `owner_name`'s entries, links pointing into the app at `base_url`.
pub fn render(
    entries: &[Entry],
    owner_name: &str,
    time_zone: &str,
    base_url: &url::Url,
    now: OffsetDateTime,
) -> String {
    let base = base_url.as_str().trim_end_matches('/');
    let host = base_url.host_str().unwrap_or("prospector");
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new(
            "PRODID",
            "-//Prospector//Touches and meetings//EN",
        ))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name(&format!("Prospector: {owner_name}"))
        .description("Your touches to do and the meetings you logged, from Prospector.")
        .timezone(time_zone)
        // How often subscribers should fetch again: RFC 7986, and its older Microsoft twin.
        .append_property(
            Property::new("REFRESH-INTERVAL", "PT1H")
                .add_parameter("VALUE", "DURATION")
                .done(),
        )
        .append_property(Property::new("X-PUBLISHED-TTL", "PT1H"));

    for entry in entries {
        let (uid, link) = match entry.kind {
            EntryKind::Touch(_) => (
                format!("touch-{}@{host}", entry.id),
                format!("{base}/today/work?touch={}", entry.id),
            ),
            EntryKind::Meeting => (
                format!("meeting-{}@{host}", entry.id),
                format!("{base}/prospects/{}#history", entry.prospect_id),
            ),
        };
        let mut description = String::new();
        if !entry.title.is_empty() {
            description.push_str(&format!("{}\n", entry.title));
        }
        if !entry.detail.trim().is_empty() {
            description.push_str(&format!("{}\n", entry.detail.trim()));
        }
        description.push_str(&format!("\nOpen in Prospector: {link}"));
        let mut event = Event::new();
        event
            .uid(&uid)
            .add_property("DTSTAMP", utc(now))
            .add_property("LAST-MODIFIED", utc(entry.changed_at))
            .add_property("DTSTART", utc(entry.starts_at))
            .add_property("DTEND", utc(entry.starts_at + length(entry)))
            .summary(&summary(entry))
            .description(&description)
            .url(&link)
            .status(EventStatus::Confirmed)
            // Touches are work to fit in the day, not appointments: they do not make the
            // rep look busy to colleagues scheduling meetings.
            .add_property(
                "TRANSP",
                if entry.channel == Channel::Meeting {
                    "OPAQUE"
                } else {
                    "TRANSPARENT"
                },
            )
            .add_property("CATEGORIES", "Prospector");
        calendar.push(event.done());
    }
    calendar.done().to_string()
}
