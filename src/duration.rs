//! Durations on the command line: `500ms`, `5s`, `2m`, `1h` or plain (fractional) seconds.

use std::time::{Duration, Instant};

/// The longest duration the command line accepts: a year (8760h). Anything longer is a typo,
/// and would not fit in a deadline.
pub const MAX: Duration = Duration::from_secs(365 * 24 * 3600);

/// Parses a duration as the command line accepts it.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("'{text}' is not a duration: use e.g. 500ms, 5s, 2m or 10"))?;
    let seconds = match unit.trim() {
        "" | "s" | "sec" | "secs" => value,
        "ms" => value / 1000.0,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{text}': use ms, s, m or h"
            ));
        }
    };
    if seconds > MAX.as_secs_f64() {
        return Err(format!(
            "'{text}' is too long a duration: the maximum is 8760h (a year)"
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("'{text}' is too long a duration"))
}

/// Parses a duration that must not be zero (an interval).
pub fn parse_positive(text: &str) -> Result<Duration, String> {
    match parse(text)? {
        d if d.is_zero() => Err(format!(
            "'{text}' is no interval: give more than zero, e.g. 10s"
        )),
        d => Ok(d),
    }
}

/// The instant `after` from `from`, for a deadline. It never overflows: a duration too long to
/// add is cut to [`MAX`] (and, should even that not fit, the deadline is `from`).
pub fn deadline(from: Instant, after: Duration) -> Instant {
    from.checked_add(after)
        .or_else(|| from.checked_add(MAX))
        .unwrap_or(from)
}

/// The instant `after` from now; see [`deadline`].
pub fn from_now(after: Duration) -> Instant {
    deadline(Instant::now(), after)
}

/// Formats a duration for a step line: `0.42s`, `12ms`, `2m03s`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 0.1 {
        format!("{}ms", d.as_millis())
    } else if secs < 60.0 {
        format!("{secs:.2}s")
    } else {
        let total = d.as_secs();
        let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
        if h > 0 {
            format!("{h}h{m:02}m{s:02}s")
        } else {
            format!("{m}m{s:02}s")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_forms() {
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse("0.25"), Ok(Duration::from_millis(250)));
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse("").is_err());
        assert!(parse("5 parsecs").is_err());
        assert!(parse("-1").is_err());
        assert!(parse("ms").is_err());
    }

    #[test]
    fn rejects_more_than_a_year() {
        assert_eq!(parse("8760h"), Ok(MAX));
        let error = parse("8761h").unwrap_err();
        assert!(error.contains("the maximum is 8760h"), "{error}");
        assert!(parse("3000000000000000h").is_err());
        assert!(parse("99999999999999999999999999").is_err());
    }

    #[test]
    fn deadlines_never_overflow() {
        let now = Instant::now();
        assert_eq!(
            deadline(now, Duration::from_secs(1)),
            now + Duration::from_secs(1)
        );
        assert!(deadline(now, Duration::MAX) > now);
    }

    #[test]
    fn formats_for_people() {
        assert_eq!(human(Duration::from_millis(420)), "0.42s");
        assert_eq!(human(Duration::from_millis(12)), "12ms");
        assert_eq!(human(Duration::from_secs(123)), "2m03s");
    }
}
