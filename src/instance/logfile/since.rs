//! `--since`: a time given as a duration ago (`10m`) or as an RFC 3339 time, and the
//! timestamps that begin a log's lines (`2026-01-31T12:00:00.123+01:00 …`, what Pharo's
//! `DateAndTime now` prints, or `2026-01-31 12:00:00 …`). A time without a zone counts as UTC.

use crate::duration;
use std::time::{Duration, SystemTime};

/// Parses `--since`: a duration ago, or an RFC 3339 time.
pub fn parse(text: &str) -> Result<SystemTime, String> {
    if let Ok(ago) = duration::parse(text) {
        return SystemTime::now()
            .checked_sub(ago)
            .ok_or_else(|| format!("'{text}' reaches back before 1970"));
    }
    match timestamp(text.trim().as_bytes()) {
        Some((time, len)) if len == text.trim().len() => Ok(time),
        _ => Err(format!(
            "'{text}' is neither a duration (10m, 2h) nor an RFC 3339 time (2026-01-31T12:00:00Z)"
        )),
    }
}

/// The time a log line begins with, if it begins with one.
pub fn line_time(line: &[u8]) -> Option<SystemTime> {
    let (time, len) = timestamp(line)?;
    // A timestamp is a word of its own: `2026-01-31T12:00:00x` is not one.
    match line.get(len) {
        None => Some(time),
        Some(c) if !c.is_ascii_alphanumeric() => Some(time),
        Some(_) => None,
    }
}

/// A timestamp at the start of `text` and its length: `YYYY-MM-DD`, `T` or a space,
/// `HH:MM:SS`, an optional fraction, then `Z`, `±HH:MM`, `±HHMM` or no zone (UTC).
fn timestamp(text: &[u8]) -> Option<(SystemTime, usize)> {
    const SHAPE: &[u8] = b"dddd-dd-ddTdd:dd:dd";
    if text.len() < SHAPE.len() {
        return None;
    }
    let fits = SHAPE.iter().zip(text).all(|(shape, c)| match shape {
        b'd' => c.is_ascii_digit(),
        b'T' => matches!(c, b'T' | b't' | b' '),
        other => c == other,
    });
    if !fits {
        return None;
    }
    let mut end = SHAPE.len();
    if text.get(end) == Some(&b'.') {
        let digits = text[end + 1..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 {
            return None;
        }
        end += 1 + digits;
    }
    let mut local = String::from_utf8_lossy(&text[..end]).into_owned();
    local.replace_range(10..11, "T");
    let time = humantime::parse_rfc3339_weak(&local).ok()?;
    let (offset, zone_len) = zone(&text[end..])?;
    let time = if offset >= 0 {
        time.checked_sub(Duration::from_secs(offset.unsigned_abs()))?
    } else {
        time.checked_add(Duration::from_secs(offset.unsigned_abs()))?
    };
    Some((time, end + zone_len))
}

/// A zone after the time, as seconds east of UTC and its length; no zone is UTC.
fn zone(text: &[u8]) -> Option<(i64, usize)> {
    let digit = |i: usize| {
        text.get(i)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i64::from(c - b'0'))
    };
    match text.first() {
        Some(b'Z' | b'z') => Some((0, 1)),
        Some(sign @ (b'+' | b'-')) => {
            let hours = digit(1)? * 10 + digit(2)?;
            let (minutes, len) = match text.get(3) {
                Some(b':') => (digit(4)? * 10 + digit(5)?, 6),
                _ => (digit(3)? * 10 + digit(4)?, 5),
            };
            let seconds = hours * 3600 + minutes * 60;
            Some((if *sign == b'-' { -seconds } else { seconds }, len))
        }
        _ => Some((0, 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn reads_the_timestamps_that_begin_lines() {
        assert_eq!(
            line_time(b"2026-01-31T12:00:00Z started"),
            Some(at("2026-01-31T12:00:00Z"))
        );
        assert_eq!(
            line_time(b"2026-01-31T13:00:00.250+01:00 a Pharo line"),
            Some(at("2026-01-31T12:00:00.250Z"))
        );
        assert_eq!(
            line_time(b"2026-01-31 12:00:00 no zone"),
            Some(at("2026-01-31T12:00:00Z"))
        );
        assert_eq!(
            line_time(b"2026-01-31T10:30:00-0130"),
            Some(at("2026-01-31T12:00:00Z"))
        );
        for line in [
            &b"pharo-vm-double: image zinc.image"[..],
            b"Starting ShutdownSequence...",
            b"2026-01-31",
            b"2026-01-31T12:00:00x",
            b"2026-13-31T12:00:00Z",
            b"",
        ] {
            assert_eq!(line_time(line), None, "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn since_is_a_duration_ago_or_a_time() {
        let ten_minutes_ago = parse("10m").unwrap();
        let elapsed = SystemTime::now().duration_since(ten_minutes_ago).unwrap();
        assert!(elapsed >= Duration::from_secs(600) && elapsed < Duration::from_secs(660));
        assert_eq!(
            parse("2026-01-31T12:00:00Z").unwrap(),
            at("2026-01-31T12:00:00Z")
        );
        assert_eq!(
            parse("2026-01-31T14:00:00+02:00").unwrap(),
            at("2026-01-31T12:00:00Z")
        );
        let error = parse("yesterday").unwrap_err();
        assert!(error.contains("'yesterday'"), "{error}");
        assert!(parse("2026-01-31T12:00:00Z and more").is_err());
    }
}
