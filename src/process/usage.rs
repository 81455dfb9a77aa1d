//! What processes use: start time, resident memory and CPU time, each read from one file
//! (`/proc/PID/stat`) per process (`ps`, `status`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Start time, resident memory in bytes and CPU time of each of `pids`, in their order;
/// `None` for a process that is gone.
pub fn of(pids: &[i32]) -> Vec<Option<(SystemTime, u64, Duration)>> {
    if pids.is_empty() {
        return Vec::new();
    }
    use nix::unistd::{SysconfVar, sysconf};
    let value = |var| {
        sysconf(var)
            .ok()
            .flatten()
            .and_then(|v| u64::try_from(v).ok())
    };
    let (Some(ticks), Some(page), Ok(booted)) = (
        value(SysconfVar::CLK_TCK),
        value(SysconfVar::PAGE_SIZE),
        sysinfo::System::boot_time(),
    ) else {
        return vec![None; pids.len()];
    };
    let ticks = ticks.max(1);
    let booted = UNIX_EPOCH + Duration::from_secs(booted);
    let in_time = |t: u64| {
        Duration::from_secs(t / ticks) + Duration::from_nanos(t % ticks * 1_000_000_000 / ticks)
    };
    pids.iter()
        .map(|pid| {
            let raw = crate::process::read_proc(&format!("/proc/{pid}/stat")).ok()?;
            let fields = Fields::parse(&raw)?;
            Some((
                booted + in_time(fields.start),
                fields.rss_pages.saturating_mul(page),
                in_time(fields.cpu),
            ))
        })
        .collect()
}

/// What `/proc/PID/stat` tells of what a process uses, in clock ticks and pages.
#[derive(Debug, PartialEq, Eq)]
struct Fields {
    /// CPU time in user and kernel mode.
    cpu: u64,
    /// Start time since boot.
    start: u64,
    /// Resident pages.
    rss_pages: u64,
}

impl Fields {
    fn parse(raw: &[u8]) -> Option<Fields> {
        // Counted from the state as 0.
        let fields: Vec<&str> = crate::process::stat_fields(raw)?.collect();
        let number = |i: usize| -> Option<u64> { fields.get(i)?.trim().parse().ok() };
        Some(Fields {
            cpu: number(11)?.saturating_add(number(12)?),
            start: number(19)?,
            rss_pages: number(21)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fields_past_an_odd_command_name() {
        let raw = b"4242 (a) b) (c) S 1 4242 4242 0 -1 4194560 120 0 0 0 310 45 0 0 20 0 3 0 987654 123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        assert_eq!(
            Fields::parse(raw),
            Some(Fields {
                cpu: 355,
                start: 987_654,
                rss_pages: 2048,
            })
        );
        assert_eq!(Fields::parse(b"4242 (cut) S 1 2"), None);
    }

    #[test]
    fn this_process_uses_memory_and_started_before_now() {
        let me = std::process::id() as i32;
        let (started, rss, _) = of(&[me])[0].expect("this process runs");
        assert!(rss > 0);
        assert!(started <= SystemTime::now());
        assert!(SystemTime::now().duration_since(started).unwrap() < Duration::from_secs(3600));
    }
}
