//! Dates, times and money as people read them. Times are stored in UTC and shown in the
//! viewer's IANA time zone (jiff carries the tz database, DST included).

use jiff::{Timestamp, tz::TimeZone};
use time::{Date, OffsetDateTime};

fn zone(tz: &str) -> TimeZone {
    TimeZone::get(tz).unwrap_or(TimeZone::UTC)
}

fn to_jiff(ts: OffsetDateTime) -> Timestamp {
    Timestamp::from_second(ts.unix_timestamp()).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// "Mon 23 Nov 2026, 14:05" in the viewer's zone.
pub fn datetime(ts: OffsetDateTime, tz: &str) -> String {
    to_jiff(ts)
        .to_zoned(zone(tz))
        .strftime("%a %-d %b %Y, %H:%M")
        .to_string()
}

/// "23 Nov 2026".
pub fn date(d: Date) -> String {
    format!("{} {} {}", d.day(), &month_name(d)[..3], d.year())
}

fn month_name(d: Date) -> String {
    d.month().to_string()
}

/// The value a `datetime-local` input shows for `ts` in the viewer's zone.
pub fn datetime_local_input(ts: OffsetDateTime, tz: &str) -> String {
    to_jiff(ts)
        .to_zoned(zone(tz))
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Reads a `datetime-local` value as a wall-clock time in the viewer's zone. In a DST gap
/// the later valid instant is taken, and in an overlap the earlier, as jiff's default does.
/// A date outside the input rule's range (`crate::input`) is no time at all.
pub fn parse_datetime_local(raw: &str, tz: &str) -> Option<OffsetDateTime> {
    let civil: jiff::civil::DateTime = raw.trim().parse().ok()?;
    let year = i32::from(civil.year());
    let (first, last) = (
        crate::input::FIRST_DATE.year(),
        crate::input::LAST_DATE.year(),
    );
    if !(first..=last).contains(&year) {
        return None;
    }
    let zoned = civil.to_zoned(zone(tz)).ok()?;
    OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second()).ok()
}

/// The calendar date of `ts` in the viewer's zone.
pub fn local_date(ts: OffsetDateTime, tz: &str) -> Date {
    let local = to_jiff(ts).to_zoned(zone(tz));
    let month = time::Month::try_from(local.month() as u8).unwrap_or(time::Month::January);
    Date::from_calendar_date(local.year().into(), month, local.day() as u8).unwrap_or(ts.date())
}

/// Today's date in the viewer's zone.
pub fn today(tz: &str) -> Date {
    local_date(OffsetDateTime::now_utc(), tz)
}

/// "$12,500" (or "$12,500.50" when there are cents).
pub fn money(cents: i64) -> String {
    let whole = cents / 100;
    let rest = cents % 100;
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if rest == 0 {
        format!("${grouped}")
    } else {
        format!("${grouped}.{rest:02}")
    }
}

/// Cents as a form shows them for editing: "12500" or "12500.50".
pub fn money_input(cents: i64) -> String {
    if cents % 100 == 0 {
        (cents / 100).to_string()
    } else {
        format!("{}.{:02}", cents / 100, cents % 100)
    }
}

/// "3 days ago", "in 2 weeks": for scanning a list.
pub fn relative_date(d: Date, today: Date) -> String {
    let days = (d - today).whole_days();
    match days {
        0 => "today".into(),
        1 => "tomorrow".into(),
        -1 => "yesterday".into(),
        2..=13 => format!("in {days} days"),
        -13..=-2 => format!("{} days ago", -days),
        14..=59 => format!("in {} weeks", days / 7),
        -59..=-14 => format!("{} weeks ago", -days / 7),
        60..=729 => format!("in {} months", days / 30),
        -729..=-60 => format!("{} months ago", -days / 30),
        730.. => format!("in {} years", days / 365),
        _ => format!("{} years ago", -days / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn money_is_grouped() {
        assert_eq!(money(0), "$0");
        assert_eq!(money(1_250_000), "$12,500");
        assert_eq!(money(123_456_789), "$1,234,567.89");
        assert_eq!(money_input(1_250_050), "12500.50");
    }

    #[test]
    fn times_are_shown_in_the_viewers_zone() {
        let ts = datetime!(2026-07-01 12:00 UTC);
        assert_eq!(datetime(ts, "Europe/Paris"), "Wed 1 Jul 2026, 14:00");
        assert_eq!(
            datetime_local_input(ts, "America/New_York"),
            "2026-07-01T08:00"
        );
        assert_eq!(
            parse_datetime_local("2026-07-01T08:00", "America/New_York"),
            Some(ts)
        );
        assert_eq!(date(date!(2026 - 11 - 23)), "23 Nov 2026");
    }

    #[test]
    fn relative_dates_read_naturally() {
        let today = date!(2026 - 11 - 23);
        assert_eq!(relative_date(today, today), "today");
        assert_eq!(relative_date(date!(2026 - 11 - 26), today), "in 3 days");
        assert_eq!(relative_date(date!(2026 - 12 - 23), today), "in 4 weeks");
        assert_eq!(relative_date(date!(2027 - 05 - 23), today), "in 6 months");
        assert_eq!(relative_date(date!(2030 - 01 - 01), today), "in 3 years");
    }
}
