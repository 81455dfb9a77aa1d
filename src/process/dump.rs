//! Stack dumps: a Pharo VM that receives SIGUSR1 appends a report with all its Smalltalk
//! process stacks and its most recent primitives to `crash.dmp` in its working directory,
//! prints it again to stderr, and runs on (pharo-vm `src/debugUnix.c`).
//!
//! The default action of SIGUSR1 ends a process, and older VMs (Squeak's classic Unix VM) do
//! not catch it: a VM is sent SIGUSR1 only when its caught-signal mask (`SigCgt` in
//! `/proc/PID/status`) says it catches it. The report is complete when it ends with the VM's
//! closing `(SIGUSR1)` line, or once what it writes stops growing.

use crate::output;
use crate::process::handle::ProcessHandle;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The file a Pharo VM appends its reports to, in its working directory.
pub const CRASH_DUMP: &str = "crash.dmp";

/// How long a VM may take to write its report, unless told otherwise.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(5);

/// How long a report that stopped growing (without its closing line) is waited for.
const QUIET: Duration = Duration::from_millis(250);

/// How often the files are looked at while the VM writes.
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// Whether process `pid` catches `signal`: its bit in the `SigCgt` mask of
/// `/proc/PID/status` (bit N-1 for signal N).
pub fn catches(pid: i32, signal: Signal) -> io::Result<bool> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("SigCgt:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .ok_or_else(|| io::Error::other(format!("no SigCgt line in /proc/{pid}/status")))?;
    Ok(mask & (1 << (signal as u32 - 1)) != 0)
}

/// Why a signal is not sent to a VM that does not catch it.
pub fn not_caught(pid: i32, signal: Signal) -> String {
    format!(
        "the VM (pid {pid}) does not catch {}, whose default action would end it (an older VM, such as Squeak's classic Unix VM, has no stack dump)",
        signal.as_str()
    )
}

/// One stack report.
#[derive(Debug)]
pub struct Report {
    pub pid: i32,
    pub taken_at: SystemTime,
    /// Where it was read from: `crash.dmp`, or the log.
    pub file: PathBuf,
    pub text: String,
}

/// Why no report came.
#[derive(Debug)]
pub enum NoReport {
    /// Nothing was written within the timeout, to any of these files.
    Silent(Vec<PathBuf>),
    /// The VM ended meanwhile.
    Exited,
    /// The interrupt descriptor became readable (a signal to the launcher).
    Interrupted,
    /// The signal could not be sent.
    Signal(io::Error),
}

/// A file that may receive the report, and its size before the signal.
struct Watched {
    path: PathBuf,
    start: u64,
    /// Its size when last looked at, and since when it has not changed.
    size: u64,
    since: Instant,
}

impl Watched {
    fn new(path: PathBuf) -> Watched {
        let start = size_of(&path);
        Watched {
            path,
            start,
            size: start,
            since: Instant::now(),
        }
    }

    /// The report written to it since the signal, once complete.
    fn complete(&mut self, now: Instant) -> Option<String> {
        let size = size_of(&self.path);
        // A file truncated or replaced meanwhile is read from its start.
        if size < self.start {
            self.start = 0;
        }
        if size != self.size {
            self.size = size;
            self.since = now;
        }
        if size == self.start {
            return None;
        }
        let text = read_from(&self.path, self.start)?;
        let closed = text.lines().any(|line| line.trim() == "(SIGUSR1)");
        (closed || now.duration_since(self.since) >= QUIET).then_some(text)
    }
}

fn size_of(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

fn read_from(path: &Path, offset: u64) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    file.seek(SeekFrom::Start(offset)).ok()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Where a VM's report can be read: `crash.dmp` in its working directory (when that can be
/// read), then `log`, the file its output goes to.
pub fn places(pid: i32, log: Option<&Path>) -> Vec<PathBuf> {
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
    cwd.map(|dir| dir.join(CRASH_DUMP))
        .into_iter()
        .chain(log.map(Path::to_path_buf))
        .collect()
}

/// Sends SIGUSR1 to the VM (the caller has checked that it [`catches`] it) and waits up to
/// `timeout` for its report in `places`, the first of which wins. The wait ends early when
/// `interrupt` becomes readable or the VM ends.
pub fn take(
    handle: &ProcessHandle,
    places: &[PathBuf],
    timeout: Duration,
    interrupt: Option<BorrowedFd<'_>>,
) -> Result<Report, NoReport> {
    let mut watched: Vec<Watched> = places.iter().cloned().map(Watched::new).collect();
    let taken_at = SystemTime::now();
    handle.signal(Signal::SIGUSR1).map_err(NoReport::Signal)?;
    let deadline = crate::duration::from_now(timeout);
    loop {
        let now = Instant::now();
        for place in &mut watched {
            if let Some(text) = place.complete(now) {
                return Ok(Report {
                    pid: handle.pid(),
                    taken_at,
                    file: place.path.clone(),
                    text,
                });
            }
        }
        if handle.exited() {
            return Err(NoReport::Exited);
        }
        if now >= deadline {
            return Err(NoReport::Silent(places.to_vec()));
        }
        let nap = LOOK_EVERY.min(deadline.saturating_duration_since(now));
        let mut fds: Vec<PollFd> = interrupt
            .map(|fd| PollFd::new(fd, PollFlags::POLLIN))
            .into_iter()
            .collect();
        let timeout = PollTimeout::try_from(nap).unwrap_or(PollTimeout::MAX);
        if matches!(poll(&mut fds, timeout), Ok(n) if n > 0) {
            return Err(NoReport::Interrupted);
        }
    }
}

/// The watchdog's stack dump of a hung VM, for the journal: the VM prints its report to its
/// stderr (which goes where the launcher's output goes) and to `crash.dmp`; the step lines
/// say where it went, or why there is none. A VM that does not catch SIGUSR1 is not sent it.
pub fn into_log(handle: &ProcessHandle, name: &str, interrupt: Option<BorrowedFd<'_>>) {
    let pid = handle.pid();
    match catches(pid, Signal::SIGUSR1) {
        Ok(true) => {}
        Ok(false) => {
            output::warn(format!(
                "{name}: no stack dump: {}",
                not_caught(pid, Signal::SIGUSR1)
            ));
            return;
        }
        Err(e) => {
            output::warn(format!(
                "{name}: no stack dump: cannot tell whether the VM catches SIGUSR1 ({e})"
            ));
            return;
        }
    }
    output::step(format!(
        "{name}: asking the VM (pid {pid}) for its stack report (SIGUSR1)"
    ));
    match take(handle, &places(pid, None), DEFAULT_WAIT, interrupt) {
        Ok(report) => output::step(format!(
            "{name}: the VM wrote its stack report ({} lines) to {} and to its stderr",
            report.text.lines().count(),
            report.file.display()
        )),
        Err(NoReport::Silent(places)) => output::warn(format!(
            "{name}: the VM wrote no stack report within {} (nothing new in {})",
            crate::duration::human(DEFAULT_WAIT),
            places
                .first()
                .map_or_else(|| format!("/proc/{pid}/cwd"), |p| p.display().to_string())
        )),
        Err(NoReport::Interrupted) => output::step(format!(
            "{name}: not waiting for the stack report: a signal arrived"
        )),
        Err(NoReport::Exited) => output::step(format!(
            "{name}: the VM ended before writing its stack report"
        )),
        Err(NoReport::Signal(e)) => {
            output::warn(format!("{name}: cannot send SIGUSR1 to the VM: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_caught_signal_mask() {
        // The test runner does not catch SIGUSR1 (its default action would end it).
        let me = std::process::id() as i32;
        assert!(!catches(me, Signal::SIGUSR1).unwrap());
    }

    #[test]
    fn a_report_is_complete_at_its_closing_line_or_when_it_stops_growing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CRASH_DUMP);
        std::fs::write(&path, "an older report\n").unwrap();
        let mut watched = Watched::new(path.clone());
        let now = Instant::now();
        assert_eq!(watched.complete(now), None);
        std::fs::write(&path, "an older report\nSIGUSR1 now\n").unwrap();
        assert_eq!(watched.complete(now), None, "still growing");
        assert_eq!(
            watched.complete(now + QUIET).as_deref(),
            Some("SIGUSR1 now\n")
        );
        std::fs::write(&path, "an older report\nSIGUSR1 now\n\n\t(SIGUSR1)\n").unwrap();
        assert!(watched.complete(now).unwrap().ends_with("\t(SIGUSR1)\n"));
    }
}
