//! Keyset positions of lists ordered by a time and an id, as they travel in links.

use time::OffsetDateTime;

/// `(unix nanoseconds)~(id)`.
pub fn encode_time_id(at: OffsetDateTime, id: i64) -> String {
    format!("{}~{id}", at.unix_timestamp_nanos())
}

pub fn decode_time_id(raw: &str) -> Option<(OffsetDateTime, i64)> {
    let (nanos, id) = raw.split_once('~')?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_round_trip() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_700_000_000_123_456_789).unwrap();
        assert_eq!(decode_time_id(&encode_time_id(at, 5)), Some((at, 5)));
        assert_eq!(decode_time_id("garbage"), None);
    }
}
