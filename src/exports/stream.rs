//! CSV downloads written page by page as they are read (keyset pages of the database), so
//! that exporting a million rows holds one page in memory, not the file.

use std::future::Future;

use axum::{
    body::{Body, Bytes},
    http::header,
    response::{IntoResponse, Response},
};
use futures_util::{StreamExt as _, stream};

/// One page of rows, and where the next starts (`None` after the last).
pub struct Page<C> {
    pub rows: Vec<Vec<String>>,
    pub next: Option<C>,
}

/// How many rows a page of an export reads.
pub const PAGE_ROWS: i64 = 1000;

/// Where the page after `rows` starts: the last row's key, when the page was full.
pub fn next_after<T, C>(rows: &[T], key: impl Fn(&T) -> C) -> Option<C> {
    if rows.len() as i64 == PAGE_ROWS {
        rows.last().map(key)
    } else {
        None
    }
}

/// A cell as spreadsheet programs should see it: a value that would start a formula
/// (`=`, `+`, `-`, `@`) gets a leading `'`, so that opening an export cannot run one
/// (CSV injection). Phone numbers and negative numbers are left alone. The import removes
/// the quote again.
pub fn cell(value: &str) -> String {
    let looks_numeric = |rest: &str| {
        !rest.is_empty()
            && rest
                .chars()
                .all(|c| c.is_ascii_digit() || " ().-/x".contains(c))
    };
    match value.chars().next() {
        Some('=' | '@' | '\t' | '\r') => format!("'{value}"),
        Some('+' | '-') if !looks_numeric(&value[1..]) => format!("'{value}"),
        _ => value.to_string(),
    }
}

/// Undoes [`cell`] for a value read from a CSV file.
pub fn uncell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest,
        _ => value,
    }
}

fn encode(rows: &[Vec<String>]) -> std::io::Result<Bytes> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(rows.len() * 128));
    for row in rows {
        writer.write_record(row.iter().map(|v| cell(v)))?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

/// A `text/csv` attachment named `file_name`: the header, then each page `fetch` returns,
/// starting from `first`. A UTF-8 BOM leads, so that Excel reads the accents right.
pub fn download<C, F, Fut>(file_name: &str, header_row: Vec<String>, first: C, fetch: F) -> Response
where
    C: Send + 'static,
    F: FnMut(C) -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<Page<C>>> + Send + 'static,
{
    struct State<C, F> {
        header: Option<Vec<String>>,
        next: Option<C>,
        fetch: F,
    }
    let state = State {
        header: Some(header_row),
        next: Some(first),
        fetch,
    };
    // Fused: a compressing body polls its source once more after the end (to flush), and
    // an unfused unfold panics there, cutting the download short.
    let body = stream::unfold(state, |mut state| async move {
        if let Some(header_row) = state.header.take() {
            let chunk = encode(&[header_row]).map(|csv| {
                let mut bytes = b"\xEF\xBB\xBF".to_vec();
                bytes.extend_from_slice(&csv);
                Bytes::from(bytes)
            });
            return Some((chunk, state));
        }
        let cursor = state.next.take()?;
        match (state.fetch)(cursor).await {
            Ok(page) => {
                state.next = page.next;
                Some((encode(&page.rows), state))
            }
            Err(err) => {
                // The status is sent already: cutting the body short tells the client.
                tracing::error!(error = %format!("{err:#}"), "a CSV export failed midway");
                Some((Err(std::io::Error::other("export failed")), state))
            }
        }
    })
    .fuse();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_restored() {
        for raw in [
            "=HYPERLINK(\"x\")",
            "@SUM(A1)",
            "+cmd|' /C calc'!A0",
            "-2+3",
        ] {
            assert!(cell(raw).starts_with('\''), "{raw}");
            assert_eq!(uncell(&cell(raw)), raw);
        }
        for raw in ["+33 1 23 45 67 89", "-12", "Ada", "", "'quoted"] {
            assert_eq!(cell(raw), raw);
            assert_eq!(uncell(raw), raw);
        }
    }
}
