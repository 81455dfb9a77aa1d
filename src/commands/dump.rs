//! `pharo-ctl dump`: ask the running VM for its stack report (SIGUSR1) and print it, from
//! `crash.dmp` in the VM's working directory, else from the new part of the log.

use crate::error::{Fail, fail};
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::finder::{self, Found};
use crate::process::dump::{self, NoReport};
use crate::process::handle::ProcessHandle;
use anyhow::Result;
use nix::sys::signal::Signal;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Takes the instance's stack report, waiting at most `timeout` for it.
pub fn run(instance: &Instance, json: bool, timeout: Duration) -> Result<Code> {
    let tree = match finder::find(instance)? {
        Found::Running { tree, .. } => tree,
        Found::Stale(_) | Found::NotRunning => {
            return fail(
                Code::NotRunning,
                format!(
                    "{} is not running: no VM to ask for a stack dump",
                    instance.name
                ),
            );
        }
    };
    // The VM proper, not a wrapper above it.
    let handle = tree.vm();
    refuse_unless_caught(handle, Signal::SIGUSR1)?;
    let places = dump::places(handle.pid(), Some(&instance.log_file));
    let report = match dump::take(handle, &places, timeout, None) {
        Ok(report) => report,
        Err(why) => return Err(no_report(handle.pid(), why, timeout).into()),
    };
    let mut out = std::io::stdout().lock();
    if json {
        let value = json!({
            "pid": report.pid,
            "taken_at": humantime::format_rfc3339_seconds(report.taken_at).to_string(),
            "file": report.file,
            "report": report.text,
        });
        writeln!(out, "{value}")?;
    } else {
        out.write_all(report.text.as_bytes())?;
    }
    out.flush()?;
    Ok(Code::Success)
}

/// Refuses (exit 1) to send a signal that the VM does not catch: its default action would end
/// the VM.
pub fn refuse_unless_caught(handle: &ProcessHandle, signal: Signal) -> Result<()> {
    let pid = handle.pid();
    match dump::catches(pid, signal) {
        Ok(true) => Ok(()),
        Ok(false) => fail(
            Code::Failure,
            format!(
                "not sending {}: {}",
                signal.as_str(),
                dump::not_caught(pid, signal)
            ),
        ),
        Err(e) => fail(
            Code::Unknown,
            format!(
                "cannot tell whether pid {pid} catches {} (/proc/{pid}/status: {e}): not sending it",
                signal.as_str()
            ),
        ),
    }
}

/// The error for a dump that brought no report: where pharo-ctl looked, and what to check.
fn no_report(pid: i32, why: NoReport, timeout: Duration) -> Fail {
    match why {
        NoReport::Silent(places) => Fail::new(
            Code::Failure,
            format!(
                "pid {pid} wrote no stack report within {}: nothing new in {}; a Pharo VM appends one to crash.dmp in its working directory: raise --timeout, or check that the VM is a Pharo VM",
                crate::duration::human(timeout),
                looked_at(pid, &places)
            ),
        ),
        NoReport::Exited => Fail::new(
            Code::Failure,
            format!("pid {pid} ended before writing its stack report"),
        ),
        NoReport::Signal(e) if e.kind() == std::io::ErrorKind::PermissionDenied => Fail::new(
            Code::Unknown,
            format!("no permission to signal pid {pid}: run pharo-ctl as the VM's user or as root"),
        ),
        NoReport::Signal(e) => Fail::new(
            Code::Failure,
            format!("cannot send SIGUSR1 to pid {pid}: {e}"),
        ),
        NoReport::Interrupted => Fail::new(Code::Failure, "interrupted"),
    }
}

/// The files a report was looked for in, or why there were none.
fn looked_at(pid: i32, places: &[PathBuf]) -> String {
    if places.is_empty() {
        return format!("no file (the working directory /proc/{pid}/cwd cannot be read)");
    }
    places
        .iter()
        .map(|p: &PathBuf| Path::display(p).to_string())
        .collect::<Vec<_>>()
        .join(" nor in ")
}
