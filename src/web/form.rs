//! Per-field validation messages, shown next to the field with what the user typed kept.
//! Every text and date a form reads goes through one of these helpers, which hold it to
//! the input rule (`crate::input`) as well as to the field's own.

use std::collections::BTreeMap;

use time::{Date, macros::format_description};

use crate::input;

#[derive(Debug, Default, Clone)]
pub struct FormErrors(BTreeMap<&'static str, String>);

impl FormErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn messages(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.0.iter().map(|(k, v)| (*k, v.as_str()))
    }

    /// `Ok(value)` when no error was added, for the end of a `validate` function.
    pub fn into_result<T>(self, value: impl FnOnce() -> T) -> Result<T, FormErrors> {
        if self.is_empty() {
            Ok(value())
        } else {
            Err(self)
        }
    }

    /// A required text field, trimmed, at most `max` characters.
    pub fn required(&mut self, field: &'static str, raw: &str, max: usize) -> String {
        let value = raw.trim();
        if value.is_empty() {
            self.add(field, "This field is required.");
        }
        self.optional(field, value, max)
    }

    /// An optional text field, trimmed, at most `max` characters.
    pub fn optional(&mut self, field: &'static str, raw: &str, max: usize) -> String {
        let value = raw.trim();
        if let Some(problem) = input::text_problem(value) {
            self.add(field, problem);
        } else if value.chars().count() > max {
            self.add(field, format!("Use at most {max} characters."));
        }
        value.to_string()
    }

    /// An optional email address, normalised to lower case.
    pub fn optional_email(&mut self, field: &'static str, raw: &str) -> Option<String> {
        let value = raw.trim();
        if value.is_empty() {
            return None;
        }
        if let Some(problem) = input::text_problem(value) {
            self.add(field, problem);
            return None;
        }
        if value.len() > 254
            || !email_address::EmailAddress::is_valid(value)
            || !value.contains('.')
        {
            self.add(field, "Enter an email address such as name@example.com.");
            return None;
        }
        Some(value.to_lowercase())
    }

    /// An optional `YYYY-MM-DD` date, as a date input sends it.
    pub fn optional_date(&mut self, field: &'static str, raw: &str) -> Option<Date> {
        let value = raw.trim();
        if value.is_empty() {
            return None;
        }
        match Date::parse(value, format_description!("[year]-[month]-[day]")) {
            Ok(date) => match input::date_problem(date) {
                None => Some(date),
                Some(problem) => {
                    self.add(field, problem);
                    None
                }
            },
            Err(_) => {
                self.add(field, "Enter a date as YYYY-MM-DD.");
                None
            }
        }
    }

    /// An optional amount of money such as `12,500` or `12500.50`, in cents.
    pub fn optional_money(&mut self, field: &'static str, raw: &str) -> Option<i64> {
        if let Some(problem) = input::text_problem(raw) {
            self.add(field, problem);
            return None;
        }
        let value: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ',' | ' ' | '$' | '€' | '£' | '_'))
            .collect();
        if value.is_empty() {
            return None;
        }
        let parsed = parse_cents(&value);
        if parsed.is_none() {
            self.add(field, "Enter an amount such as 12500 or 12,500.50.");
        }
        parsed
    }
}

fn parse_cents(value: &str) -> Option<i64> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole
        .checked_mul(100)?
        .checked_add(cents)
        .filter(|c| *c < 100_000_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_parses_to_cents() {
        let mut errors = FormErrors::default();
        assert_eq!(errors.optional_money("v", "12,500.5"), Some(1_250_050));
        assert_eq!(errors.optional_money("v", "$300"), Some(30_000));
        assert_eq!(errors.optional_money("v", ""), None);
        assert!(errors.is_empty());
        assert_eq!(errors.optional_money("v", "12.345"), None);
        assert!(errors.has("v"));
    }

    #[test]
    fn emails_are_checked_and_lowercased() {
        let mut errors = FormErrors::default();
        assert_eq!(
            errors.optional_email("e", " Ada@Example.COM "),
            Some("ada@example.com".into())
        );
        assert_eq!(errors.optional_email("e", "not an email"), None);
        assert!(errors.has("e"));
    }

    #[test]
    fn text_and_dates_follow_the_input_rule() {
        let mut errors = FormErrors::default();
        assert_eq!(
            errors.optional("notes", "  two\nlines\t ", 100),
            "two\nlines"
        );
        assert!(errors.is_empty());
        assert_eq!(
            errors.required("name", "a\u{0}b", 100),
            "a\u{0}b",
            "kept to show"
        );
        assert_eq!(errors.get("name"), Some(input::CONTROL_CHARACTER));
        assert_eq!(errors.optional_email("email", "a\u{0}b@x.org"), None);
        assert_eq!(errors.optional_date("close", "-0001-01-01"), None);
        assert!(errors.has("close"));
        assert_eq!(errors.optional_date("revisit", "0024-05-01"), None);
        assert_eq!(errors.get("revisit"), Some(input::DATE_OUT_OF_RANGE));
        assert!(errors.optional_date("ok", "2099-12-31").is_some());
        assert!(!errors.has("ok"));
    }
}
