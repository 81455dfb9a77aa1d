//! Durations: how the command line reads them (`500ms`, `5s`, `1m30s`, `1h30m`, `2 min` or
//! plain seconds) and how every message prints them (`12ms`, `0.42s`, `5s`, `1m30s`, `2h05m`),
//! in one style that the command line reads back.

use std::time::{Duration, Instant};

/// The longest duration the command line accepts: a year (8760h). Anything longer is a typo,
/// and would not fit in a deadline.
pub const MAX: Duration = Duration::from_secs(365 * 24 * 3600);

/// What a duration looks like, for error messages.
const EXAMPLES: &str = "e.g. 500ms, 5s, 1m30s or 10 (seconds)";

/// Parses a duration as the command line accepts it: one or more numbers, each with a unit
/// (`ms`, `s`, `m`, `h`, or their long names), or one plain number of seconds.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Some(magnitude) = text.strip_prefix('-') {
        return Err(if parse(magnitude).is_ok() {
            format!("'{text}' is negative: a duration is 0 or more, {EXAMPLES}")
        } else {
            format!(
                "'{text}' is not a duration (an option where a duration belongs?): use {EXAMPLES}"
            )
        });
    }
    let mut rest = text;
    let mut seconds = 0.0;
    let mut parts = 0;
    while !rest.is_empty() {
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(end);
        let value: f64 = number
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite())
            .ok_or_else(|| format!("'{text}' is not a duration: use {EXAMPLES}"))?;
        let after = after.trim_start();
        let end = after
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        let (unit, after) = after.split_at(end);
        let scale = match unit {
            "" if parts == 0 && after.is_empty() => 1.0,
            "" => {
                return Err(format!(
                    "'{text}' has a number without a unit: write each part with one, {EXAMPLES}"
                ));
            }
            "ms" => 0.001,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hour" | "hours" => 3600.0,
            other => {
                return Err(format!(
                    "unknown unit '{other}' in '{text}': use ms, s, m or h, {EXAMPLES}"
                ));
            }
        };
        seconds += value * scale;
        parts += 1;
        rest = after.trim_start();
    }
    if parts == 0 {
        return Err(format!("'{text}' is not a duration: use {EXAMPLES}"));
    }
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

/// A duration as every message prints it, rounded to what a person reads: whole milliseconds
/// below 0.1s (`12ms`), hundredths of a second below a minute (`0.42s`, `5s`), whole seconds
/// above (`1m`, `1m30s`, `2h05m`, `1h00m03s`).
pub fn human(d: Duration) -> String {
    if d < Duration::from_millis(100) {
        return format!("{}ms", d.as_millis());
    }
    let hundredths = (d.as_secs_f64() * 100.0).round() as u64;
    if hundredths < 6000 {
        let text = format!("{}.{:02}", hundredths / 100, hundredths % 100);
        return format!("{}s", text.trim_end_matches('0').trim_end_matches('.'));
    }
    clock(d.as_secs() + u64::from(d.subsec_millis() >= 500))
}

/// A duration exactly, in the same style, for a command line that reads it back (`5s`,
/// `1m30s`, `1500ms`).
pub fn exact(d: Duration) -> String {
    if d.subsec_nanos() == 0 && !d.is_zero() {
        clock(d.as_secs())
    } else {
        format!("{}ms", d.as_millis().max(u128::from(!d.is_zero())))
    }
}

/// Whole seconds as hours, minutes and seconds, trailing zero parts left out: `45s`, `1m`,
/// `1m30s`, `2h05m`.
fn clock(total: u64) -> String {
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, 0) => format!("{h}h{m:02}m"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
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
        assert_eq!(parse("1 min"), Ok(Duration::from_secs(60)));
    }

    #[test]
    fn accepts_compound_durations() {
        assert_eq!(parse("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("2m 3s"), Ok(Duration::from_secs(123)));
        assert_eq!(parse("1s500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse("1h00m03s"), Ok(Duration::from_secs(3603)));
    }

    #[test]
    fn rejects_nonsense() {
        assert!(parse("").is_err());
        assert!(
            parse("5 parsecs")
                .unwrap_err()
                .contains("unknown unit 'parsecs'")
        );
        assert!(parse("ms").is_err());
        assert!(parse("1m30").unwrap_err().contains("without a unit"));
        assert!(parse("1.2.3s").is_err());
        assert!(
            parse("--kill-after")
                .unwrap_err()
                .contains("is not a duration")
        );
    }

    #[test]
    fn says_what_is_wrong_with_a_negative_duration() {
        for text in ["-1", "-1s", "-0.5m"] {
            let error = parse(text).unwrap_err();
            assert!(
                error.starts_with(&format!("'{text}' is negative: a duration is 0 or more")),
                "{error}"
            );
        }
    }

    #[test]
    fn rejects_more_than_a_year() {
        assert_eq!(parse("8760h"), Ok(MAX));
        let error = parse("8761h").unwrap_err();
        assert!(error.contains("the maximum is 8760h"), "{error}");
        assert!(parse("8759h61m").is_err());
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
    fn prints_one_way() {
        let ms = Duration::from_millis;
        for (d, text) in [
            (ms(0), "0ms"),
            (ms(12), "12ms"),
            (ms(420), "0.42s"),
            (ms(1500), "1.5s"),
            (ms(5000), "5s"),
            (ms(59_999), "1m"),
            (ms(60_000), "1m"),
            (ms(90_000), "1m30s"),
            (ms(123_000), "2m03s"),
            (ms(5_400_000), "1h30m"),
            (ms(3_603_000), "1h00m03s"),
        ] {
            assert_eq!(human(d), text, "{d:?}");
            // What is printed reads back as the command line would take it.
            let back = parse(text).unwrap();
            assert!(back.abs_diff(d) <= ms(5), "{text}");
        }
    }

    #[test]
    fn exact_durations_read_back_as_they_were() {
        for d in [
            Duration::from_secs(5),
            Duration::from_secs(60),
            Duration::from_secs(90),
            Duration::from_millis(1500),
            Duration::from_millis(1),
            Duration::ZERO,
            MAX,
        ] {
            assert_eq!(parse(&exact(d)), Ok(d), "{}", exact(d));
        }
        assert_eq!(exact(Duration::from_secs(60)), "1m");
        assert_eq!(exact(Duration::from_millis(1500)), "1500ms");
    }
}
