//! When a cadence step's touch is due: business-day arithmetic in the owner's time zone.
//!
//! Pure functions, no database. Instants come in and go out as `time::OffsetDateTime` in
//! UTC (our storage type); the calendar work is done in the owner's IANA zone with jiff,
//! which carries the tz database. The machine's local zone is never consulted.
//!
//! # Rules
//!
//! * **Business days** are Monday to Friday in the owner's zone ([`is_business_day`]).
//!   Holidays are not modelled yet; that function is the one place to add them.
//! * **The effective window** of a day is the intersection of the owner's working hours
//!   and the step's optional [`Window`], as local wall-clock times, start inclusive and
//!   end exclusive. If the step's window does not overlap the working hours at all (or is
//!   empty), it is ignored and the working hours are used.
//! * **Delay 0** means "as soon as possible within the window": on a business day, the
//!   touch is due at the later of `done_at` and the window's start, provided that is
//!   before the window's end; otherwise (done after the window, or on a weekend) it is due
//!   at the window's start on the next business day.
//! * **Delay N ≥ 1** means the N-th business day *after* the local date of `done_at`, at
//!   the window's start; the time of day of `done_at` does not matter. A weekend belongs to
//!   the Friday before it: from a Saturday or Sunday, the first business day after is
//!   Monday, so Saturday + 1 is Monday (the same as Saturday + 0 and Friday-evening + 1),
//!   and Saturday + 2 is Tuesday.
//! * **Daylight saving time.** A wall-clock time that does not exist on that date (it falls
//!   in the gap when clocks spring forward) is moved to the first instant that does exist,
//!   the moment of the jump: a 02:30 start in New York on 2026-03-08 is 03:00 EDT. Note
//!   that this differs from jiff's `Disambiguation::Compatible`, which shifts by the size
//!   of the gap (03:30). A wall-clock time that occurs twice (clocks falling back) is the
//!   earlier of the two instants. In the zones most reps live in these transitions fall on
//!   Sundays, so they only matter for due times in zones that change clocks on weekdays
//!   (Israel on a Friday in March, Egypt on a Thursday night in October...).
//! * Instants beyond the range both crates support (around the year 9999) cannot be
//!   scheduled; [`due_at`] then returns `done_at` unchanged rather than panicking.

use jiff::Timestamp;
use jiff::tz::{AmbiguousOffset, TimeZone};
use time::{Date, OffsetDateTime, Time, Weekday};

/// When a person works: their IANA zone and daily hours (local wall-clock times,
/// `start` inclusive, `end` exclusive).
#[derive(Clone, Debug)]
pub struct WorkingHours {
    pub time_zone: TimeZone,
    pub start: Time,
    pub end: Time,
}

impl WorkingHours {
    /// The calendar day `at` falls on in these hours' zone (as the database's
    /// `local_date` gives it).
    pub fn local_date(&self, at: OffsetDateTime) -> Option<Date> {
        local_date(at, &self.time_zone)
    }

    /// Working hours in the IANA zone `tz_name` (e.g. "Europe/London"); `start` must be
    /// before `end` (hours spanning midnight are not supported).
    pub fn new(tz_name: &str, start: Time, end: Time) -> Result<Self, String> {
        let time_zone = TimeZone::get(tz_name.trim()).map_err(|_| {
            format!("unknown time zone {tz_name:?}; use an IANA name such as \"Europe/London\"")
        })?;
        if start >= end {
            return Err(format!(
                "working hours must start before they end (got {} to {})",
                hhmm(start),
                hhmm(end)
            ));
        }
        Ok(Self {
            time_zone,
            start,
            end,
        })
    }
}

/// An optional narrower window within the day for a step (e.g. calls 10:00–12:00), in the
/// owner's local wall-clock time, `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub start: Time,
    pub end: Time,
}

/// Whether touches may be due on `date` (a local date in the owner's zone): Monday to
/// Friday. Holidays, when we have them, go here.
pub fn is_business_day(date: Date) -> bool {
    !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
}

/// The first business day strictly after `date`, or `None` past the end of the calendar.
pub fn next_business_day(date: Date) -> Option<Date> {
    let mut day = date.next_day()?;
    while !is_business_day(day) {
        day = day.next_day()?;
    }
    Some(day)
}

/// The local wall-clock window touches of a step are placed in: the working hours
/// narrowed by the step's window, or the working hours alone when the two do not overlap.
pub fn effective_window(hours: &WorkingHours, window: Option<&Window>) -> (Time, Time) {
    let whole_day = (hours.start, hours.end);
    match window {
        Some(w) => {
            let start = w.start.max(hours.start);
            let end = w.end.min(hours.end);
            if start < end { (start, end) } else { whole_day }
        }
        None => whole_day,
    }
}

/// The instant (in UTC) at which the wall clock in `zone` shows `time` on `date`. A time
/// skipped by a DST jump resolves to the first instant after the jump; a time that occurs
/// twice resolves to the earlier instant. `None` only outside the supported date range.
pub fn local_instant(date: Date, time: Time, zone: &TimeZone) -> Option<OffsetDateTime> {
    let civil = jiff::civil::DateTime::new(
        i16::try_from(date.year()).ok()?,
        i8::try_from(u8::from(date.month())).ok()?,
        i8::try_from(date.day()).ok()?,
        i8::try_from(time.hour()).ok()?,
        i8::try_from(time.minute()).ok()?,
        i8::try_from(time.second()).ok()?,
        i32::try_from(time.nanosecond()).ok()?,
    )
    .ok()?;
    let instant = match zone.to_ambiguous_timestamp(civil).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(civil).ok()?,
        AmbiguousOffset::Fold { before, .. } => before.to_timestamp(civil).ok()?,
        AmbiguousOffset::Gap { after, .. } => {
            // Read with the offset in force after the jump, `civil` names an instant just
            // before the jump; the next transition after it is the jump itself.
            let before_jump = after.to_timestamp(civil).ok()?;
            zone.following(before_jump).next()?.timestamp()
        }
    };
    from_jiff(instant)
}

/// The due time of a step `delay_business_days` after `done_at` (UTC), in UTC. See the
/// module documentation for the rules.
pub fn due_at(
    done_at: OffsetDateTime,
    delay_business_days: u16,
    hours: &WorkingHours,
    window: Option<&Window>,
) -> OffsetDateTime {
    try_due_at(done_at, delay_business_days, hours, window).unwrap_or(done_at)
}

fn try_due_at(
    done_at: OffsetDateTime,
    delay_business_days: u16,
    hours: &WorkingHours,
    window: Option<&Window>,
) -> Option<OffsetDateTime> {
    let zone = &hours.time_zone;
    let (start, end) = effective_window(hours, window);
    let done_at = from_jiff(to_jiff(done_at)?)?; // the same instant, normalised to UTC
    let done_on = local_date(done_at, zone)?;

    if delay_business_days == 0 {
        if is_business_day(done_on) {
            let opens = local_instant(done_on, start, zone)?;
            let closes = local_instant(done_on, end, zone)?;
            let due = done_at.max(opens);
            if due < closes {
                return Some(due);
            }
        }
        return local_instant(next_business_day(done_on)?, start, zone);
    }

    let mut day = done_on;
    for _ in 0..delay_business_days {
        day = next_business_day(day)?;
    }
    local_instant(day, start, zone)
}

/// The date the wall clock in `zone` shows at `instant`.
fn local_date(instant: OffsetDateTime, zone: &TimeZone) -> Option<Date> {
    let local = to_jiff(instant)?.to_zoned(zone.clone());
    let month = time::Month::try_from(u8::try_from(local.month()).ok()?).ok()?;
    Date::from_calendar_date(local.year().into(), month, u8::try_from(local.day()).ok()?).ok()
}

fn to_jiff(instant: OffsetDateTime) -> Option<Timestamp> {
    // `unix_timestamp` rounds down and `nanosecond` is never negative; jiff accepts that.
    Timestamp::new(
        instant.unix_timestamp(),
        i32::try_from(instant.nanosecond()).ok()?,
    )
    .ok()
}

fn from_jiff(instant: Timestamp) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(instant.as_second())
        .ok()?
        .checked_add(time::Duration::nanoseconds(
            instant.subsec_nanosecond().into(),
        ))
}

fn hhmm(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::format_description::well_known::Rfc3339;
    use time::macros::{date, time};

    const NINE_TO_FIVE: (Time, Time) = (time!(09:00), time!(17:00));

    /// One scheduling case: all instants in RFC 3339 UTC, hours and window local.
    struct Case {
        what: &'static str,
        done: &'static str,
        delay: u16,
        zone: &'static str,
        hours: (Time, Time),
        window: Option<(Time, Time)>,
        due: &'static str,
    }

    const fn case(
        what: &'static str,
        done: &'static str,
        delay: u16,
        zone: &'static str,
        hours: (Time, Time),
        window: Option<(Time, Time)>,
        due: &'static str,
    ) -> Case {
        Case {
            what,
            done,
            delay,
            zone,
            hours,
            window,
            due,
        }
    }

    fn utc(s: &str) -> OffsetDateTime {
        OffsetDateTime::parse(s, &Rfc3339).unwrap_or_else(|e| panic!("bad timestamp {s}: {e}"))
    }

    fn rfc3339(t: OffsetDateTime) -> String {
        t.format(&Rfc3339).unwrap_or_default()
    }

    const NY: &str = "America/New_York";
    const LONDON: &str = "Europe/London";
    const PARIS: &str = "Europe/Paris";
    const KOLKATA: &str = "Asia/Kolkata";
    const SYDNEY: &str = "Australia/Sydney";
    const AUCKLAND: &str = "Pacific/Auckland";
    const JERUSALEM: &str = "Asia/Jerusalem";
    const CAIRO: &str = "Africa/Cairo";

    #[rustfmt::skip]
    const CASES: &[Case] = &[
        // --- Same day, New York in summer (EDT, UTC-4); 2026-07-01 is a Wednesday.
        case("before hours: 07:00 local -> 09:00 local",
             "2026-07-01T11:00:00Z", 0, NY, NINE_TO_FIVE, None, "2026-07-01T13:00:00Z"),
        case("inside hours: due at once (10:30 local)",
             "2026-07-01T14:30:00Z", 0, NY, NINE_TO_FIVE, None, "2026-07-01T14:30:00Z"),
        case("after hours: 18:00 local -> Thursday 09:00",
             "2026-07-01T22:00:00Z", 0, NY, NINE_TO_FIVE, None, "2026-07-02T13:00:00Z"),
        case("exactly at closing (17:00 local): the end is exclusive -> Thursday 09:00",
             "2026-07-01T21:00:00Z", 0, NY, NINE_TO_FIVE, None, "2026-07-02T13:00:00Z"),
        case("delay 1 ignores the time of day: Wednesday 10:30 -> Thursday 09:00",
             "2026-07-01T14:30:00Z", 1, NY, NINE_TO_FIVE, None, "2026-07-02T13:00:00Z"),

        // --- Weekends (New York, EDT). Fri 2026-07-10, Sat 11, Sun 12, Mon 13, Tue 14.
        case("Friday 18:30 + 0 -> Monday 09:00",
             "2026-07-10T22:30:00Z", 0, NY, NINE_TO_FIVE, None, "2026-07-13T13:00:00Z"),
        case("Friday 18:30 + 1 -> Monday 09:00",
             "2026-07-10T22:30:00Z", 1, NY, NINE_TO_FIVE, None, "2026-07-13T13:00:00Z"),
        case("Saturday 11:00 + 0 -> Monday 09:00",
             "2026-07-11T15:00:00Z", 0, NY, NINE_TO_FIVE, None, "2026-07-13T13:00:00Z"),
        case("Saturday 11:00 + 1 -> Monday 09:00 (first business day after Saturday)",
             "2026-07-11T15:00:00Z", 1, NY, NINE_TO_FIVE, None, "2026-07-13T13:00:00Z"),
        case("Sunday 11:00 + 2 -> Tuesday 09:00",
             "2026-07-12T15:00:00Z", 2, NY, NINE_TO_FIVE, None, "2026-07-14T13:00:00Z"),
        case("Thursday + 1 -> Friday 09:00",
             "2026-07-09T15:00:00Z", 1, NY, NINE_TO_FIVE, None, "2026-07-10T13:00:00Z"),
        case("Thursday + 2 crosses the weekend -> Monday 09:00",
             "2026-07-09T15:00:00Z", 2, NY, NINE_TO_FIVE, None, "2026-07-13T13:00:00Z"),
        case("Thursday + 6 -> Friday of the next week",
             "2026-07-09T15:00:00Z", 6, NY, NINE_TO_FIVE, None, "2026-07-17T13:00:00Z"),

        // --- Step windows (New York, EDT, hours 09:00-17:00).
        case("window 10-12, done 09:30 -> 10:00",
             "2026-07-01T13:30:00Z", 0, NY, NINE_TO_FIVE, Some((time!(10:00), time!(12:00))), "2026-07-01T14:00:00Z"),
        case("window 10-12, done 11:15 -> at once",
             "2026-07-01T15:15:00Z", 0, NY, NINE_TO_FIVE, Some((time!(10:00), time!(12:00))), "2026-07-01T15:15:00Z"),
        case("window 10-12, done 12:30 (still working hours) -> Thursday 10:00",
             "2026-07-01T16:30:00Z", 0, NY, NINE_TO_FIVE, Some((time!(10:00), time!(12:00))), "2026-07-02T14:00:00Z"),
        case("window 10-12, delay 1 -> Thursday 10:00",
             "2026-07-01T13:30:00Z", 1, NY, NINE_TO_FIVE, Some((time!(10:00), time!(12:00))), "2026-07-02T14:00:00Z"),
        case("window 07-10 overlaps hours 09-17 -> effective 09-10; done 06:30 -> 09:00",
             "2026-07-01T10:30:00Z", 0, NY, NINE_TO_FIVE, Some((time!(07:00), time!(10:00))), "2026-07-01T13:00:00Z"),
        case("effective window 09-10; done 10:30 -> Thursday 09:00",
             "2026-07-01T14:30:00Z", 0, NY, NINE_TO_FIVE, Some((time!(07:00), time!(10:00))), "2026-07-02T13:00:00Z"),
        case("window 18-20 outside hours -> working hours; done 08:00 -> 09:00",
             "2026-07-01T12:00:00Z", 0, NY, NINE_TO_FIVE, Some((time!(18:00), time!(20:00))), "2026-07-01T13:00:00Z"),
        case("window 18-20 outside hours; done 18:30 (in the window, after hours) -> Thursday 09:00",
             "2026-07-01T22:30:00Z", 0, NY, NINE_TO_FIVE, Some((time!(18:00), time!(20:00))), "2026-07-02T13:00:00Z"),
        case("window 17-19 only touches the end of hours (end exclusive) -> working hours",
             "2026-07-01T14:30:00Z", 0, NY, NINE_TO_FIVE, Some((time!(17:00), time!(19:00))), "2026-07-01T14:30:00Z"),

        // --- Other zones.
        case("London in winter (GMT): 08:00 -> 09:00",
             "2026-01-13T08:00:00Z", 0, LONDON, NINE_TO_FIVE, None, "2026-01-13T09:00:00Z"),
        case("London in summer (BST, UTC+1): 08:30 local -> 09:00 local",
             "2026-07-01T07:30:00Z", 0, LONDON, NINE_TO_FIVE, None, "2026-07-01T08:00:00Z"),
        case("Kolkata (UTC+5:30): 07:30 local -> 09:00 local",
             "2026-07-01T02:00:00Z", 0, KOLKATA, NINE_TO_FIVE, None, "2026-07-01T03:30:00Z"),
        case("Kolkata: Wednesday 17:30 local -> Thursday 09:00",
             "2026-07-01T12:00:00Z", 0, KOLKATA, NINE_TO_FIVE, None, "2026-07-02T03:30:00Z"),
        case("Kolkata: Friday 10:30 + 1 -> Monday 09:00",
             "2026-07-03T05:00:00Z", 1, KOLKATA, NINE_TO_FIVE, None, "2026-07-06T03:30:00Z"),
        case("Kolkata: Thursday 23:00 UTC is Friday 04:30 local -> Friday 09:00",
             "2026-07-02T23:00:00Z", 0, KOLKATA, NINE_TO_FIVE, None, "2026-07-03T03:30:00Z"),
        case("Sydney (AEST, UTC+10): Friday 23:30 UTC is Saturday 09:30 local -> Monday 09:00",
             "2026-07-10T23:30:00Z", 0, SYDNEY, NINE_TO_FIVE, None, "2026-07-12T23:00:00Z"),
        case("Sydney: Sunday 23:30 UTC is Monday 09:30 local -> at once",
             "2026-07-12T23:30:00Z", 0, SYDNEY, NINE_TO_FIVE, None, "2026-07-12T23:30:00Z"),
        case("Sydney: Friday 23:30 UTC (Saturday local) + 1 -> Monday 09:00",
             "2026-07-10T23:30:00Z", 1, SYDNEY, NINE_TO_FIVE, None, "2026-07-12T23:00:00Z"),
        case("Auckland (NZDT, UTC+13): Tuesday 23:59 UTC is Wednesday 12:59 local -> at once",
             "2026-01-13T23:59:00Z", 0, AUCKLAND, NINE_TO_FIVE, None, "2026-01-13T23:59:00Z"),

        // --- US DST: spring forward Sun 2026-03-08 (EST -5 -> EDT -4), fall back Sun 2026-11-01.
        case("NY Friday 17:00 EST + 1 -> Monday 09:00 EDT",
             "2026-03-06T22:00:00Z", 1, NY, NINE_TO_FIVE, None, "2026-03-09T13:00:00Z"),
        case("NY Friday 17:00 EST + 0 -> Monday 09:00 EDT",
             "2026-03-06T22:00:00Z", 0, NY, NINE_TO_FIVE, None, "2026-03-09T13:00:00Z"),
        case("NY done on the spring-forward Sunday (11:00 EDT) + 0 -> Monday 09:00 EDT",
             "2026-03-08T15:00:00Z", 0, NY, NINE_TO_FIVE, None, "2026-03-09T13:00:00Z"),
        case("NY Friday 11:00 EDT + 1 -> Monday 09:00 EST",
             "2026-10-30T15:00:00Z", 1, NY, NINE_TO_FIVE, None, "2026-11-02T14:00:00Z"),
        case("NY Saturday before fall-back + 1 -> Monday 09:00 EST",
             "2026-10-31T15:00:00Z", 1, NY, NINE_TO_FIVE, None, "2026-11-02T14:00:00Z"),
        case("NY done on the fall-back Sunday at 01:30 EST (second pass) + 0 -> Monday 09:00 EST",
             "2026-11-01T06:30:00Z", 0, NY, NINE_TO_FIVE, None, "2026-11-02T14:00:00Z"),

        // --- EU DST: spring forward Sun 2026-03-29, fall back Sun 2026-10-25 (01:00 UTC).
        case("London Friday 12:00 GMT + 1 -> Monday 09:00 BST",
             "2026-03-27T12:00:00Z", 1, LONDON, NINE_TO_FIVE, None, "2026-03-30T08:00:00Z"),
        case("Paris Thursday 11:00 CET + 2 -> Monday 09:00 CEST",
             "2026-03-26T10:00:00Z", 2, PARIS, NINE_TO_FIVE, None, "2026-03-30T07:00:00Z"),
        case("London Friday 17:30 BST + 0 -> Monday 09:00 GMT",
             "2026-10-23T16:30:00Z", 0, LONDON, NINE_TO_FIVE, None, "2026-10-26T09:00:00Z"),
        case("London Friday 17:30 BST + 1 -> Monday 09:00 GMT",
             "2026-10-23T16:30:00Z", 1, LONDON, NINE_TO_FIVE, None, "2026-10-26T09:00:00Z"),

        // --- Southern hemisphere DST. Sydney: AEDT +11 -> AEST +10 on Sun 2026-04-05,
        // back to AEDT on Sun 2026-10-04. Auckland: NZDT +13 -> NZST +12 on Sun 2026-04-05,
        // back to NZDT on Sun 2026-09-27.
        case("Sydney Friday 18:00 AEDT + 1 -> Monday 09:00 AEST",
             "2026-04-03T07:00:00Z", 1, SYDNEY, NINE_TO_FIVE, None, "2026-04-05T23:00:00Z"),
        case("Sydney Friday 12:00 AEST + 1 -> Monday 09:00 AEDT",
             "2026-10-02T02:00:00Z", 1, SYDNEY, NINE_TO_FIVE, None, "2026-10-04T22:00:00Z"),
        case("Auckland Thursday 11:00 NZDT + 2 -> Monday 09:00 NZST",
             "2026-04-01T22:00:00Z", 2, AUCKLAND, NINE_TO_FIVE, None, "2026-04-05T21:00:00Z"),
        case("Auckland Friday 12:00 NZST + 1 -> Monday 09:00 NZDT",
             "2026-09-25T00:00:00Z", 1, AUCKLAND, NINE_TO_FIVE, None, "2026-09-27T20:00:00Z"),

        // --- Transitions on business days. Israel springs forward on Friday 2026-03-27 at
        // 02:00 IST (+2) = 00:00 UTC to 03:00 IDT (+3); Egypt falls back at the end of
        // Thursday 2026-10-29, 24:00 EEST (+3) = 21:00 UTC, to 23:00 EET (+2).
        case("Jerusalem: day starting 02:30 (in the gap) starts at the jump, 03:00 IDT",
             "2026-03-26T10:00:00Z", 1, JERUSALEM, (time!(02:30), time!(10:00)), None, "2026-03-27T00:00:00Z"),
        case("Jerusalem: Thursday after hours + 0 -> the same Friday start",
             "2026-03-26T10:00:00Z", 0, JERUSALEM, (time!(02:30), time!(10:00)), None, "2026-03-27T00:00:00Z"),
        case("Jerusalem: done 01:45 IST, before the gap -> the jump",
             "2026-03-26T23:45:00Z", 0, JERUSALEM, (time!(02:30), time!(10:00)), None, "2026-03-27T00:00:00Z"),
        case("Jerusalem: done 03:10 IDT, after the gap -> at once",
             "2026-03-27T00:10:00Z", 0, JERUSALEM, (time!(02:30), time!(10:00)), None, "2026-03-27T00:10:00Z"),
        case("Jerusalem: day ending 02:30 (in the gap) ends at the jump; done 01:50 IST -> at once",
             "2026-03-26T23:50:00Z", 0, JERUSALEM, (time!(00:00), time!(02:30)), None, "2026-03-26T23:50:00Z"),
        case("Cairo: day starting 23:30 on the fall-back Thursday (twice) -> the earlier, EEST",
             "2026-10-28T12:00:00Z", 1, CAIRO, (time!(23:30), time!(23:59)), None, "2026-10-29T20:30:00Z"),
        case("Cairo: window 23:30-23:45 on the fall-back Thursday -> the earlier 23:30",
             "2026-10-28T12:00:00Z", 1, CAIRO, (time!(20:00), time!(23:59)), Some((time!(23:30), time!(23:45))), "2026-10-29T20:30:00Z"),
    ];

    #[test]
    fn due_times_follow_the_table() {
        let mut failures = Vec::new();
        for c in CASES {
            let hours = WorkingHours::new(c.zone, c.hours.0, c.hours.1)
                .unwrap_or_else(|e| panic!("{}: {e}", c.what));
            let window = c.window.map(|(start, end)| Window { start, end });
            let got = due_at(utc(c.done), c.delay, &hours, window.as_ref());
            if got != utc(c.due) {
                failures.push(format!(
                    "{}: {} + {} in {}: expected {}, got {}",
                    c.what,
                    c.done,
                    c.delay,
                    c.zone,
                    c.due,
                    rfc3339(got)
                ));
            }
            assert_eq!(got.offset(), time::UtcOffset::UTC, "{}: not in UTC", c.what);
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
    }

    #[test]
    fn wall_clock_times_resolve_through_dst() {
        #[rustfmt::skip]
        let cases: &[(&str, Date, Time, &str, &str)] = &[
            ("NY spring forward: 02:30 is skipped -> 03:00 EDT",
             date!(2026 - 03 - 08), time!(02:30), NY, "2026-03-08T07:00:00Z"),
            ("NY fall back: 01:30 occurs twice -> 01:30 EDT",
             date!(2026 - 11 - 01), time!(01:30), NY, "2026-11-01T05:30:00Z"),
            ("NY fall back: 00:30 is before the fold -> EDT",
             date!(2026 - 11 - 01), time!(00:30), NY, "2026-11-01T04:30:00Z"),
            ("NY fall back: 02:30 is after the fold -> EST",
             date!(2026 - 11 - 01), time!(02:30), NY, "2026-11-01T07:30:00Z"),
            ("London spring forward: 01:30 is skipped -> 02:00 BST",
             date!(2026 - 03 - 29), time!(01:30), LONDON, "2026-03-29T01:00:00Z"),
            ("London fall back: 01:30 occurs twice -> 01:30 BST",
             date!(2026 - 10 - 25), time!(01:30), LONDON, "2026-10-25T00:30:00Z"),
            ("Sydney spring forward: 02:30 is skipped -> 03:00 AEDT",
             date!(2026 - 10 - 04), time!(02:30), SYDNEY, "2026-10-03T16:00:00Z"),
            ("Sydney fall back: 02:30 occurs twice -> 02:30 AEDT",
             date!(2026 - 04 - 05), time!(02:30), SYDNEY, "2026-04-04T15:30:00Z"),
            ("Auckland spring forward: 02:30 is skipped -> 03:00 NZDT",
             date!(2026 - 09 - 27), time!(02:30), AUCKLAND, "2026-09-26T14:00:00Z"),
            ("Auckland fall back: 02:30 occurs twice -> 02:30 NZDT",
             date!(2026 - 04 - 05), time!(02:30), AUCKLAND, "2026-04-04T13:30:00Z"),
            ("Kolkata has no DST: 09:00 IST",
             date!(2026 - 03 - 08), time!(09:00), KOLKATA, "2026-03-08T03:30:00Z"),
        ];
        for (what, day, at, zone, expected) in cases {
            let tz = TimeZone::get(zone).unwrap();
            assert_eq!(local_instant(*day, *at, &tz), Some(utc(expected)), "{what}");
        }
    }

    #[test]
    fn business_days_are_weekdays() {
        assert!(is_business_day(date!(2026 - 07 - 10))); // Friday
        assert!(!is_business_day(date!(2026 - 07 - 11))); // Saturday
        assert!(!is_business_day(date!(2026 - 07 - 12))); // Sunday
        assert!(is_business_day(date!(2026 - 07 - 13))); // Monday
        assert_eq!(
            next_business_day(date!(2026 - 07 - 10)),
            Some(date!(2026 - 07 - 13))
        );
        assert_eq!(
            next_business_day(date!(2026 - 07 - 11)),
            Some(date!(2026 - 07 - 13))
        );
        assert_eq!(
            next_business_day(date!(2026 - 07 - 13)),
            Some(date!(2026 - 07 - 14))
        );
    }

    #[test]
    fn working_hours_are_validated() {
        let ok = WorkingHours::new("Asia/Kolkata", time!(09:30), time!(18:00)).unwrap();
        assert_eq!(ok.time_zone.iana_name(), Some("Asia/Kolkata"));
        assert!(WorkingHours::new("Mars/Olympus_Mons", time!(09:00), time!(17:00)).is_err());
        assert!(WorkingHours::new("", time!(09:00), time!(17:00)).is_err());
        let err = WorkingHours::new(NY, time!(17:00), time!(09:00)).unwrap_err();
        assert!(err.contains("17:00 to 09:00"), "{err}");
        assert!(WorkingHours::new(NY, time!(09:00), time!(09:00)).is_err());
    }

    #[test]
    fn sub_second_precision_and_other_offsets_are_kept() {
        let hours = WorkingHours::new(NY, NINE_TO_FIVE.0, NINE_TO_FIVE.1).unwrap();
        // 10:30:00.123456 EDT given with a -04:00 offset comes back as the same instant in UTC.
        let done = utc("2026-07-01T10:30:00.123456-04:00");
        let due = due_at(done, 0, &hours, None);
        assert_eq!(due, done);
        assert_eq!(rfc3339(due), "2026-07-01T14:30:00.123456Z");
    }
}
