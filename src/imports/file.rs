//! Reading an uploaded file: refusing what is not CSV text with a message that says what
//! to do instead, finding the separator, and reading records from any position (a batch
//! resumes where the last committed one ended).

use std::io::Cursor;

use csv::{Position, StringRecord};

/// The largest file accepted.
pub const MAX_BYTES: usize = 50 * 1024 * 1024;

/// The most columns a file may have. Exports from CRMs carry a few dozen, a "with every
/// property" one a couple of hundred; the mapping page shows each column with a choice of
/// field, so the page grows with them and must stay a page.
pub const MAX_COLUMNS: usize = 300;

/// How much of a column's name is kept (and shown): enough for any real header.
pub const MAX_HEADER_CHARS: usize = 100;

/// A CSV file as stored for import: UTF-8 text without its BOM.
#[derive(Debug, Clone)]
pub struct CsvFile {
    pub text: Vec<u8>,
    pub delimiter: u8,
    pub headers: Vec<String>,
    /// Rows to import: records after the header with at least one non-empty field.
    pub rows: usize,
    /// Where the first data record starts.
    pub data_start: Position,
}

const SAVE_AS: &str = "In Excel or Numbers, choose File → Save As (or Export) → \"CSV UTF-8\"; \
    in Google Sheets, File → Download → \"Comma-separated values\"; then upload that file.";

fn line_of(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Checks and reads an upload. The error is a sentence for the person who uploaded it.
pub fn read(mut bytes: Vec<u8>) -> Result<CsvFile, String> {
    if bytes.len() > MAX_BYTES {
        return Err(format!(
            "The file is {:.1} MB; files up to 50 MB can be imported. Split it into smaller files.",
            bytes.len() as f64 / 1_048_576.0
        ));
    }
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    normalize_line_breaks(&mut bytes);
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(format!(
            "The file is saved as UTF-16 text, not UTF-8. {SAVE_AS}"
        ));
    }
    if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(format!(
            "This is a spreadsheet workbook (.xlsx or .xls) or an archive, not a CSV file. {SAVE_AS}"
        ));
    }
    if bytes.contains(&0) {
        return Err(format!(
            "This is not a text file (it contains binary data): upload a CSV file. {SAVE_AS}"
        ));
    }
    if let Err(err) = std::str::from_utf8(&bytes) {
        return Err(format!(
            "The file is not UTF-8 text: line {} has characters in another encoding \
             (often Windows-1252 or Latin-1). {SAVE_AS}",
            line_of(&bytes, err.valid_up_to())
        ));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("The file is empty.".into());
    }

    let delimiter = sniff_delimiter(&bytes);
    if let Some(line) = unclosed_quote(&bytes, delimiter) {
        return Err(format!(
            "This is not well-formed CSV: the quoted value that starts on line {line} is never \
             closed, so everything after it would be read as one value. Check that line, or \
             export the file again. {SAVE_AS}"
        ));
    }
    let mut reader = reader(&bytes, delimiter);
    let mut record = StringRecord::new();
    let header_read = reader
        .read_record(&mut record)
        .map_err(|err| format!("The file could not be read as CSV: {err}."))?;
    if !header_read || record.iter().all(str::is_empty) {
        return Err("The first row should name the columns, and it is empty.".into());
    }
    if record.len() > MAX_COLUMNS {
        return Err(format!(
            "The first row names {} columns; a file can have at most {MAX_COLUMNS}. Delete the \
             columns you do not need to import (or export fewer), then upload the file again.",
            record.len()
        ));
    }
    let headers: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, h)| {
            if h.is_empty() {
                format!("Column {}", i + 1)
            } else {
                h.chars().take(MAX_HEADER_CHARS).collect()
            }
        })
        .collect();
    let data_start = reader.position().clone();

    let (mut rows, mut misshapen) = (0usize, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) if is_blank(&record) => {}
            Ok(true) => {
                rows += 1;
                if record.len() != headers.len() {
                    misshapen += 1;
                }
            }
            Err(err) => return Err(format!("The file could not be read as CSV: {err}.")),
        }
    }
    if rows == 0 {
        return Err("The file names its columns but has no rows to import.".into());
    }
    if rows >= 2 && misshapen * 2 > rows {
        return Err(format!(
            "This does not look like a well-formed CSV file: {misshapen} of {rows} rows do not \
             have the {} columns the first row names. A quote may be left open, or the \
             file may use another separator. {SAVE_AS}",
            headers.len()
        ));
    }
    Ok(CsvFile {
        text: bytes,
        delimiter,
        headers,
        rows,
        data_start,
    })
}

/// Turns every CRLF and every lone CR into LF, in place. The CSV reader numbers lines by
/// their LF and counts a CRLF's LF towards the next record, so a file from HubSpot,
/// Salesforce or Excel (CRLF) would report each row one line too low, and an old Mac
/// file (CR) would put every row on line 1. The reader splits records at CR, LF and CRLF
/// alike, so the records read the same; a line break inside a quoted value becomes LF,
/// as a textarea's is stored.
fn normalize_line_breaks(bytes: &mut Vec<u8>) {
    if !bytes.contains(&b'\r') {
        return;
    }
    let mut write = 0;
    for read in 0..bytes.len() {
        let b = bytes[read];
        if b == b'\r' {
            if bytes.get(read + 1) == Some(&b'\n') {
                continue;
            }
            bytes[write] = b'\n';
        } else {
            bytes[write] = b;
        }
        write += 1;
    }
    bytes.truncate(write);
}

/// The line on which a quoted value starts that the file never closes, read the way the
/// CSV reader reads quotes: a value is quoted when it starts with `"`, `""` inside it is a
/// quote, and a `"` in the middle of an unquoted value is just a character. The reader
/// itself would silently take the rest of the file as that one value.
fn unclosed_quote(bytes: &[u8], delimiter: u8) -> Option<usize> {
    let (mut line, mut opened_on) = (1, 0);
    let (mut in_quotes, mut at_field_start) = (false, true);
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
        } else if at_field_start && b == b'"' {
            in_quotes = true;
            opened_on = line;
        }
        if b == b'\n' {
            line += 1;
        }
        if !in_quotes {
            at_field_start = b == delimiter || b == b'\n' || b == b'\r';
        }
        i += 1;
    }
    in_quotes.then_some(opened_on)
}

/// The separator that splits the first rows into the same number of columns most often:
/// `,`, `;` (spreadsheets in many European locales) or a tab.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for delimiter in [b',', b';', b'\t'] {
        let mut records = reader(bytes, delimiter).into_records();
        let Some(Ok(header)) = records.next() else {
            continue;
        };
        if header.len() < 2 {
            continue;
        }
        let consistent = records
            .take(50)
            .filter_map(Result::ok)
            .filter(|r| r.len() == header.len())
            .count();
        if (consistent, header.len()) > (best.1, best.2) {
            best = (delimiter, consistent, header.len());
        }
    }
    best.0
}

fn builder(delimiter: u8) -> csv::ReaderBuilder {
    let mut builder = csv::ReaderBuilder::new();
    builder
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All);
    builder
}

fn reader(bytes: &[u8], delimiter: u8) -> csv::Reader<Cursor<&[u8]>> {
    builder(delimiter).from_reader(Cursor::new(bytes))
}

/// A record with nothing in it (`;;;`): skipped, not counted.
pub fn is_blank(record: &StringRecord) -> bool {
    record.iter().all(str::is_empty)
}

/// A reader positioned at `at` (the start of a record).
pub fn reader_at<'a>(
    text: &'a [u8],
    delimiter: u8,
    at: &Position,
) -> csv::Result<csv::Reader<Cursor<&'a [u8]>>> {
    let mut reader = reader(text, delimiter);
    reader.seek(at.clone())?;
    Ok(reader)
}

/// The line a record starts on, counted from 1. The reader's position for a record is
/// where it began reading it, before the empty lines it skips, so those are counted here.
pub fn line_of_record(text: &[u8], record: &StringRecord) -> u64 {
    let Some(position) = record.position() else {
        return 0;
    };
    let skipped = text
        .get(position.byte() as usize..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| **b == b'\n')
        .count();
    position.line() + skipped as u64
}

/// A position from its stored parts.
pub fn position(byte: i64, line: i64, record: i64) -> Position {
    let mut pos = Position::new();
    pos.set_byte(byte.max(0) as u64)
        .set_line(line.max(1) as u64)
        .set_record(record.max(0) as u64);
    pos
}

/// A record as one CSV line, to keep a problem row as it was.
pub fn to_line(record: &StringRecord) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = writer.write_record(record);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches('\n')
        .to_string()
}

/// The fields of a line written by [`to_line`].
pub fn from_line(line: &str) -> Vec<String> {
    builder(b',')
        .trim(csv::Trim::None)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &[u8]) -> CsvFile {
        read(text.to_vec()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn bom_semicolons_and_quoted_newlines() {
        let file = ok(b"\xEF\xBB\xBFFirst name;Email;Notes\nAda;ada@x.org;\"line one\nline two\"\nAlan;alan@x.org;\n");
        assert_eq!(file.delimiter, b';');
        assert_eq!(file.headers, ["First name", "Email", "Notes"]);
        assert_eq!(file.rows, 2);
        let mut reader = reader_at(&file.text, file.delimiter, &file.data_start).unwrap();
        let first = reader.records().next().unwrap().unwrap();
        assert_eq!(&first[2], "line one\nline two");
        assert_eq!(first.position().unwrap().line(), 2);
        let second = reader.records().next().unwrap().unwrap();
        assert_eq!(second.position().unwrap().line(), 4);
    }

    /// The line of each data record, as the import and its preview report it.
    fn lines_of(file: &CsvFile) -> Vec<u64> {
        reader_at(&file.text, file.delimiter, &file.data_start)
            .unwrap()
            .records()
            .map(|r| line_of_record(&file.text, &r.unwrap()))
            .collect()
    }

    #[test]
    fn lines_are_counted_alike_whatever_ends_them() {
        let lf = "Email,Notes\nada@x.org,one\nalan@x.org,\"two\nlines\"\ngrace@x.org,three\n";
        for (ending, text) in [
            ("LF", lf.to_string()),
            ("CRLF", lf.replace('\n', "\r\n")),
            ("CR", lf.replace('\n', "\r")),
        ] {
            let file = ok(text.as_bytes());
            assert_eq!(file.rows, 3, "{ending}");
            assert_eq!(lines_of(&file), [2, 3, 5], "{ending}");
            let mut reader = reader_at(&file.text, file.delimiter, &file.data_start).unwrap();
            let second = reader.records().nth(1).unwrap().unwrap();
            assert_eq!(&second[1], "two\nlines", "{ending}");
        }
        // Empty lines between rows, and no final line break.
        for text in [
            &b"Email\r\na@x.org\r\n\r\n\r\nb@x.org\r\nc@x.org"[..],
            b"Email\na@x.org\n\n\nb@x.org\nc@x.org",
        ] {
            assert_eq!(lines_of(&ok(text)), [2, 5, 6]);
        }
        let err = read(b"a,b\r\n1,2\r\n3,\"open\r\n4,5\r\n".to_vec()).unwrap_err();
        assert!(err.contains("line 3 is never"), "{err}");
        let err = read(b"a,b\r\n1,2\r\ncaf\xe9,1\r\n".to_vec()).unwrap_err();
        assert!(err.contains("line 3"), "{err}");
    }

    #[test]
    fn quotes_inside_values_are_not_mistaken_for_an_open_one() {
        assert_eq!(
            unclosed_quote(b"a,b\n5\" screen,\"say \"\"hi\"\"\"\n", b','),
            None
        );
        assert_eq!(unclosed_quote(b"a,b\n1,2\n3,\"x\n", b','), Some(3));
    }

    #[test]
    fn tabs_and_commas() {
        assert_eq!(ok(b"a\tb\n1\t2\n").delimiter, b'\t');
        assert_eq!(ok(b"a,b\n1,2\n").delimiter, b',');
        // Commas inside quoted values do not fool the guess.
        assert_eq!(
            ok(b"name;city\n\"Smith, Ada\";Paris\n\"Doe, Jo\";Rome\n").delimiter,
            b';'
        );
    }

    #[test]
    fn what_is_not_csv_text_is_refused_with_a_reason() {
        for (bytes, expected) in [
            (b"".to_vec(), "empty"),
            (b"PK\x03\x04rest".to_vec(), "workbook"),
            (b"a,b\n1,\x002\n".to_vec(), "binary"),
            (b"a,b\ncaf\xe9,1\n".to_vec(), "line 2"),
            (b"\xFF\xFEa\x00".to_vec(), "UTF-16"),
            (b"first,last\n".to_vec(), "no rows"),
            (b"a,b,c\n1\n2\n3\n".to_vec(), "well-formed"),
            (b"a,b\n1,\"open\n2,3\n".to_vec(), "line 2 is never"),
        ] {
            let err = read(bytes).unwrap_err();
            assert!(err.contains(expected), "{expected}: {err}");
        }
        let wide = |columns: usize| {
            let header: Vec<String> = (1..=columns).map(|i| format!("c{i}")).collect();
            format!("{}\n{}\n", header.join(","), vec!["x"; columns].join(",")).into_bytes()
        };
        assert_eq!(ok(&wide(MAX_COLUMNS)).headers.len(), MAX_COLUMNS);
        for columns in [MAX_COLUMNS + 1, 1_000_000] {
            let err = read(wide(columns)).unwrap_err();
            assert!(err.contains(&format!("names {columns} columns")), "{err}");
        }
        let long = format!("{},Email\nAda,ada@x.org\n", "N".repeat(10_000));
        assert_eq!(ok(long.as_bytes()).headers[0], "N".repeat(MAX_HEADER_CHARS));
        let big = vec![b'a'; MAX_BYTES + 1];
        assert!(read(big).unwrap_err().contains("50 MB"));
    }

    #[test]
    fn lines_round_trip() {
        let record = StringRecord::from(vec!["a,b", "say \"hi\"", "multi\nline"]);
        assert_eq!(
            from_line(&to_line(&record)),
            ["a,b", "say \"hi\"", "multi\nline"]
        );
    }
}
