//! The rules every value from outside obeys, checked where it enters: the pages' forms
//! and queries (`web::Form`, `web::Query` and `FormErrors`), the API's JSON and queries
//! (`api::problem`), and imported files.
//!
//! * **Text** is UTF-8 without control characters, apart from tab and line breaks. Bytes
//!   that are not UTF-8 are refused, never replaced: a value is stored as it was typed or
//!   not at all. Nobody types a NUL or a C1 control on purpose; they come from binary
//!   files, broken exports and attackers, and PostgreSQL refuses NUL in text.
//! * **Dates** a person enters lie between 1900-01-01 and 2099-12-31: anything else is a
//!   slip of the keyboard (`0024` for `2024`), not a date anyone means.

use time::{Date, macros::date};

/// The first date a person may enter.
pub const FIRST_DATE: Date = date!(1900 - 01 - 01);
/// The last date a person may enter.
pub const LAST_DATE: Date = date!(2099 - 12 - 31);

/// What a form or the API says about a date outside the range.
pub const DATE_OUT_OF_RANGE: &str = "Enter a date between 1900-01-01 and 2099-12-31.";

/// What a form or the API says about text with a control character.
pub const CONTROL_CHARACTER: &str =
    "Remove the control character (such as NUL) from this text; tabs and line breaks are fine.";

/// What is said about bytes that are not UTF-8 text.
pub const NOT_UTF8: &str = "This text is not valid UTF-8.";

/// Whether `c` is a control character that text may not hold: C0 controls other than tab,
/// line feed and carriage return, DEL, and the C1 controls.
pub fn is_refused_char(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// Why `text` is refused, or `None` when it is acceptable.
pub fn text_problem(text: &str) -> Option<&'static str> {
    text.chars()
        .any(is_refused_char)
        .then_some(CONTROL_CHARACTER)
}

/// Why `date` is refused, or `None` when a person could mean it.
pub fn date_problem(date: Date) -> Option<&'static str> {
    (date < FIRST_DATE || date > LAST_DATE).then_some(DATE_OUT_OF_RANGE)
}

/// `text` fit to show back in a message: each refused character made visible as U+FFFD,
/// at most `max` characters.
pub fn visible(text: &str, max: usize) -> String {
    text.chars()
        .take(max)
        .map(|c| {
            if is_refused_char(c) {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

/// The first name or value in a URL-encoded form or query string (`a=1&b=2`) that breaks
/// the text rule, as the name of its field (lossily decoded, to be shown) and the reason.
/// Both names and values are percent-decoded strictly: invalid UTF-8 is an error here,
/// where `serde_urlencoded` would silently replace it with U+FFFD.
pub fn urlencoded_problem(encoded: &[u8]) -> Option<(String, &'static str)> {
    for pair in encoded.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode_component(name);
        let value = decode_component(value);
        let shown = match &name {
            Ok(name) => name.clone(),
            Err(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        };
        let problem = match (&name, &value) {
            (Err(_), _) | (_, Err(_)) => Some(NOT_UTF8),
            (Ok(name), Ok(value)) => text_problem(name).or_else(|| text_problem(value)),
        };
        if let Some(problem) = problem {
            return Some((shown, problem));
        }
    }
    None
}

/// One `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte.
fn decode_component(raw: &[u8]) -> Result<String, Vec<u8>> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|b| if *b == b'+' { b' ' } else { *b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&spaced).collect();
    String::from_utf8(bytes).map_err(|e| e.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_tabs_and_line_breaks_are_not() {
        for text in [
            "a\0b",
            "\u{1}",
            "\u{b}",
            "\u{c}",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{85}",
            "\u{9f}",
        ] {
            assert_eq!(text_problem(text), Some(CONTROL_CHARACTER), "{text:?}");
        }
        for text in [
            "",
            "plain",
            "tab\there",
            "two\r\nlines",
            "Zoë 東京 🚀",
            "\u{a0}",
            "\u{fffd}",
        ] {
            assert_eq!(text_problem(text), None, "{text:?}");
        }
    }

    #[test]
    fn dates_a_person_could_mean() {
        assert_eq!(date_problem(date!(1900 - 01 - 01)), None);
        assert_eq!(date_problem(date!(2099 - 12 - 31)), None);
        assert_eq!(date_problem(date!(1899 - 12 - 31)), Some(DATE_OUT_OF_RANGE));
        assert_eq!(date_problem(date!(2100 - 01 - 01)), Some(DATE_OUT_OF_RANGE));
        assert_eq!(
            date_problem(date!(-0001 - 01 - 01)),
            Some(DATE_OUT_OF_RANGE)
        );
    }

    #[test]
    fn urlencoded_text_is_decoded_strictly() {
        assert_eq!(urlencoded_problem(b"q=caf%C3%A9+au+lait&tag=a%09b"), None);
        assert_eq!(urlencoded_problem(b"&&q=&=x&flag"), None);
        assert_eq!(
            urlencoded_problem(b"email=a%00b%40demo.test"),
            Some(("email".into(), CONTROL_CHARACTER))
        );
        assert_eq!(
            urlencoded_problem(b"ok=1&notes=caf%E9"),
            Some(("notes".into(), NOT_UTF8)),
            "Latin-1, not UTF-8"
        );
        assert_eq!(
            urlencoded_problem(b"n%00ame=x"),
            Some(("n\0ame".into(), CONTROL_CHARACTER))
        );
        assert_eq!(urlencoded_problem(b"q=\xff"), Some(("q".into(), NOT_UTF8)));
    }
}
