//! Cursor pagination: every list answers one page and, when there is more, an opaque
//! `next_cursor` to send back as `cursor`. Cursors are keyset positions (the sort key and
//! id of the last row), so a deep page costs what the first does and rows inserted
//! meanwhile neither repeat nor vanish.

use base64::Engine as _;

use super::problem::{ApiError, invalid};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// The page size asked for: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn limit(raw: Option<i64>) -> Result<i64, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(invalid(
            "limit",
            format!("Ask for 1 to {MAX_LIMIT} items per page."),
        )),
    }
}

/// Wraps a position in an opaque, URL-safe cursor.
pub fn encode(position: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(position)
}

/// Reads a cursor back with `parse`; a cursor that does not parse is a field error.
pub fn decode<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<Option<T>, ApiError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|position| parse(&position))
        .map(Some)
        .ok_or_else(|| {
            invalid(
                "cursor",
                "This cursor is not one this list gave out; start again without it.",
            )
        })
}
