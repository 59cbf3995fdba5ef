//! Rendering a feed as iCalendar. The `icalendar` crate writes the format (escaping,
//! CRLF line ends); this module decides what each event says, and folds the lines itself
//! (the crate lets a folded line's last piece reach 76 octets).
//!
//! Times are written in UTC (`…Z`), which every client converts to its viewer's zone, so
//! the feed needs no VTIMEZONE. UIDs are stable (`touch-42@host`), so a client updates an
//! event when a touch is snoozed instead of showing it twice.

use icalendar::{Calendar, Component, Event, EventStatus, Property};
use time::{Duration, OffsetDateTime, format_description::FormatItem, macros::format_description};

use super::db::{Contents, Entry, EntryKind, Overflow};
use crate::{interactions::Channel, touches::TouchKind};

const UTC_FORMAT: &[FormatItem<'_>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");
const DATE_FORMAT: &[FormatItem<'_>] = format_description!("[year][month][day]");

/// RFC 5545 §3.1: a content line is at most 75 octets, not counting its CRLF.
pub const LINE_OCTETS: usize = 75;

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

fn count(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The all-day event that stands for a day's touches and meetings beyond the feed's limit.
fn overflow_event(overflow: &Overflow, base: &str, host: &str, now: OffsetDateTime) -> Event {
    let date = |d: time::Date| d.format(DATE_FORMAT).unwrap_or_default();
    let mut parts = Vec::new();
    if overflow.touches > 0 {
        parts.push(count(overflow.touches, "more touch", "more touches"));
    }
    if overflow.meetings > 0 {
        parts.push(count(
            overflow.meetings,
            "more meeting held",
            "more meetings held",
        ));
    }
    let what = parts.join(" and ");
    let link = format!("{base}/today");
    let mut event = Event::new();
    event
        .uid(&format!("more-{}@{host}", date(overflow.day)))
        .add_property("DTSTAMP", utc(now))
        .append_property(
            Property::new("DTSTART", date(overflow.day))
                .add_parameter("VALUE", "DATE")
                .done(),
        )
        .append_property(
            Property::new(
                "DTEND",
                date(overflow.day.next_day().unwrap_or(overflow.day)),
            )
            .add_parameter("VALUE", "DATE")
            .done(),
        )
        .summary(&format!("Prospector: {what} this day"))
        .description(&format!(
            "This calendar shows up to {} touches and {} meetings a day; {what} on this \
             day are not shown one by one. See them all in Prospector: {link}",
            super::db::DAY_LIMIT,
            super::db::DAY_LIMIT
        ))
        .url(&link)
        .status(EventStatus::Confirmed)
        .add_property("TRANSP", "TRANSPARENT")
        .add_property("CATEGORIES", "Prospector");
    event.done()
}

/// Folds content lines as RFC 5545 §3.1 says: a line longer than 75 octets goes on after
/// CRLF and one space (which counts towards the next line's 75), and never between the
/// bytes of one UTF-8 character. Nor next to a space or tab when it can be helped: some
/// parsers drop every blank at a fold, not only the one the fold added, and a name would
/// lose its space. Takes and returns CRLF-ended lines.
pub fn fold(unfolded: &str) -> String {
    let mut folded = String::with_capacity(unfolded.len() + unfolded.len() / 24);
    for line in unfolded.split_terminator("\r\n") {
        let (mut rest, mut room) = (line, LINE_OCTETS);
        while rest.len() > room {
            let cut = fold_point(rest, room);
            folded.push_str(&rest[..cut]);
            folded.push_str("\r\n ");
            rest = &rest[cut..];
            room = LINE_OCTETS - 1;
        }
        folded.push_str(rest);
        folded.push_str("\r\n");
    }
    folded
}

/// Where to cut `text` (longer than `room` octets) to keep at most `room`: the last
/// character boundary not next to a blank among the last few, or failing that (blanks
/// all along), the last character boundary.
fn fold_point(text: &str, room: usize) -> usize {
    /// How far back to look for a fold away from blanks: a few characters.
    const LOOK_BACK: usize = 12;
    let blank = |b: u8| b == b' ' || b == b'\t';
    let bytes = text.as_bytes();
    let boundaries = (room.saturating_sub(LOOK_BACK).max(1)..=room)
        .rev()
        .filter(|&cut| text.is_char_boundary(cut));
    boundaries
        .clone()
        .find(|&cut| !blank(bytes[cut - 1]) && !blank(bytes[cut]))
        .or_else(|| boundaries.clone().next())
        .unwrap_or(room)
}

/// The feed of `owner_name`'s entries, links pointing into the app at `base_url`.
pub fn render(
    contents: &Contents,
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

    for entry in &contents.entries {
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
    for overflow in &contents.overflow {
        calendar.push(overflow_event(overflow, base, host, now));
    }
    // The crate's own folds are undone ("\r\n " never starts a content line), then the
    // lines are folded right.
    fold(&calendar.done().to_string().replace("\r\n ", ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_fold_at_75_octets_between_characters_and_away_from_blanks() {
        // Every length around the folds, in characters of one to four bytes, and blanks.
        // With the last three, every place to fold is next to a blank.
        for (piece, away_from_blanks) in [
            ("a", true),
            ("é", true),
            ("老", true),
            ("🦀", true),
            ("a老", true),
            ("éa🦀", true),
            ("a b", true),
            ("word  ", true),
            (" 老", false),
            ("🦀\t", false),
            ("  ", false),
        ] {
            for n in 0..200 {
                let value = format!("DESCRIPTION:{}", piece.repeat(n));
                let folded = fold(&format!("{value}\r\n"));
                assert!(folded.ends_with("\r\n"));
                let lines: Vec<&str> = folded.split_terminator("\r\n").collect();
                for (i, line) in lines.iter().enumerate() {
                    assert!(line.len() <= LINE_OCTETS, "{} octets: {line:?}", line.len());
                    assert_eq!(i > 0, line.starts_with(' '), "{line:?}");
                    if i + 1 < lines.len() {
                        // Folded where it had to be, give or take a few characters.
                        assert!(line.len() + 12 > LINE_OCTETS, "{line:?}");
                    }
                    if !away_from_blanks {
                        continue;
                    }
                    if i > 0 {
                        assert!(!line[1..].starts_with([' ', '\t']), "{line:?}");
                    }
                    if i + 1 < lines.len() {
                        assert!(!line.ends_with([' ', '\t']), "{line:?}");
                    }
                }
                // Lines are whole characters (they are `str`), and unfold to the value.
                assert_eq!(folded.replace("\r\n ", ""), format!("{value}\r\n"));
            }
        }
    }
}
