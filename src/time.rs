//! RFC 3339 times, for the manifest's `created`, reports and the verifier's `--at`.

use std::time::Duration;

use rustls_pki_types::UnixTime;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Parses an RFC 3339 time (`2027-03-31T00:00:00Z`) to seconds since the Unix epoch.
/// Times before 1970 are rejected: no package or certificate here predates it.
pub fn parse_rfc3339(text: &str) -> Option<UnixTime> {
    let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    let secs = u64::try_from(t.unix_timestamp()).ok()?;
    Some(UnixTime::since_unix_epoch(Duration::from_secs(secs)))
}

/// Formats seconds since the Unix epoch as RFC 3339 in UTC.
pub(crate) fn format_secs(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| format!("@{secs}"))
}

/// Formats a [`UnixTime`] as RFC 3339 in UTC.
pub(crate) fn format_unix(t: UnixTime) -> String {
    format_secs(i64::try_from(t.as_secs()).unwrap_or(i64::MAX))
}

/// Seconds since the Unix epoch as a [`UnixTime`] (a time before 1970 as the epoch).
pub(crate) fn unix(secs: i64) -> UnixTime {
    UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}
