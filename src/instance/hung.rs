//! Since when an instance's REPL has not answered: `NAME.pid.hung` beside the pid file holds
//! the VM's pid and the time the first unanswered probe began (`PID SECONDS.NANOS`, seconds
//! since the epoch). The watchdog of `run` and `status` write it when a probe of theirs goes
//! unanswered and no record names that VM yet, and remove it as soon as one of their probes is
//! answered; it goes with the pid file when the instance stops. A record that names another
//! pid (an earlier VM) counts for nothing. So "not answering since T" means: a probe began at
//! T got no answer, and no probe answered since.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The record of a pid file: its path plus `.hung`.
pub fn path(pid_file: &Path) -> PathBuf {
    let mut name = pid_file.as_os_str().to_owned();
    name.push(".hung");
    PathBuf::from(name)
}

/// Since when the REPL of VM `pid` has not answered, if a record says so.
pub fn since(pid_file: &Path, pid: i32) -> Option<SystemTime> {
    let path = path(pid_file);
    if std::fs::symlink_metadata(&path)
        .ok()?
        .file_type()
        .is_symlink()
    {
        return None;
    }
    parse(&std::fs::read_to_string(path).ok()?, pid)
}

fn parse(text: &str, pid: i32) -> Option<SystemTime> {
    let (recorded, at) = text.trim().split_once(' ')?;
    if recorded.parse::<i32>().ok()? != pid {
        return None;
    }
    let seconds: f64 = at
        .parse()
        .ok()
        .filter(|s: &f64| s.is_finite() && *s >= 0.0)?;
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(seconds).ok()?)
}

/// Records that a probe of VM `pid`'s REPL begun at `at` went unanswered, unless a record
/// for that VM exists already; answers since when the REPL has not answered. A record that
/// cannot be written leaves `at`, which is true of this probe alone.
pub fn record(pid_file: &Path, pid: i32, at: SystemTime) -> SystemTime {
    if let Some(since) = since(pid_file, pid) {
        return since;
    }
    let seconds = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let text = format!(
        "{pid} {}.{:09}\n",
        seconds.as_secs(),
        seconds.subsec_nanos()
    );
    if let Err(e) = crate::instance::pidfile::write_atomically(&path(pid_file), &text) {
        crate::output::detail(format!(
            "cannot record the unanswered probe in {}: {e}",
            path(pid_file).display()
        ));
    }
    at
}

/// Removes the record: the REPL answered, or the instance stopped. A missing one is fine.
pub fn clear(pid_file: &Path) {
    let _ = std::fs::remove_file(path(pid_file));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_counts_for_its_own_vm_only_and_keeps_the_first_time() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("zinc.pid");
        assert_eq!(since(&pid_file, 42), None);
        let first = UNIX_EPOCH + Duration::from_millis(1_764_683_159_250);
        assert_eq!(record(&pid_file, 42, first), first);
        let later = first + Duration::from_secs(10);
        assert_eq!(record(&pid_file, 42, later), first);
        assert_eq!(since(&pid_file, 42), Some(first));
        assert_eq!(since(&pid_file, 43), None, "another VM's record");
        assert_eq!(record(&pid_file, 43, later), later);
        clear(&pid_file);
        assert_eq!(since(&pid_file, 43), None);
        assert_eq!(parse("42 nonsense", 42), None);
    }
}
