//! `pharo-ctl logs`: the instance's log (the VM's output, `NAME.log`): its last lines, the
//! lines since a time, or followed as the VM writes, across rotation, until interrupted or
//! until the VM exits. An instance whose VM writes elsewhere (run by `pharo-ctl run`, its
//! output in the journal or the container's log) is told apart and the place named.

use crate::error::{Fail, fail, reason};
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::finder::{self, Found};
use crate::instance::logfile::{self, Follower, Woke};
use crate::output;
use crate::process::FileId;
use crate::process::tree::Tree;
use anyhow::Result;
use std::fs::File;
use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::SystemTime;

/// How many lines are printed without `-n` (as tail does).
const DEFAULT_LINES: usize = 10;

/// What to print of the log.
#[derive(Debug, Clone, Copy)]
pub struct Selection {
    pub lines: Option<usize>,
    pub follow: bool,
    pub until_exit: bool,
    pub since: Option<SystemTime>,
}

pub fn run(instance: &Instance, selection: Selection) -> Result<Code> {
    let tree = match finder::find(instance)? {
        Found::Running { tree, .. } => Some(tree),
        Found::Stale(_) | Found::NotRunning => None,
    };
    if let Some(tree) = &tree
        && let Some(place) = output_elsewhere(tree, &instance.log_file)
    {
        return fail(Code::Failure, format!("{}: {place}", instance.name));
    }
    let follow = selection.follow || selection.until_exit;
    let path = &instance.log_file;
    let mut file = open(path, &instance.name, follow && tree.is_some())?;
    let mut out = std::io::stdout().lock();
    let mut offset = 0;
    if let Some(file) = &mut file {
        let start = match selection.since {
            Some(since) => logfile::since_start(file, since)?.ok_or_else(|| {
                Fail::new(
                    Code::Usage,
                    format!(
                        "--since: the lines of {} carry no timestamps, so none can be told to be since then; use -n/--lines N instead",
                        path.display()
                    ),
                )
            })?,
            None => logfile::tail_start(file, selection.lines.unwrap_or(DEFAULT_LINES))?,
        };
        offset = logfile::copy_from(file, start, &mut out)?;
        out.flush()?;
    }
    if !follow {
        return Ok(Code::Success);
    }
    let watched = match tree {
        Some(tree) if selection.until_exit => Some(tree),
        None if selection.until_exit => {
            output::step(format!(
                "{} is not running: nothing to follow",
                instance.name
            ));
            return Ok(Code::Success);
        }
        _ => None,
    };
    let mut follower = Follower::new(path, file, offset);
    loop {
        let vm_fd = watched.as_ref().and_then(|tree| tree.vm().as_fd());
        if follower.wait(vm_fd, out.as_fd())? == Woke::ReaderGone {
            return Ok(Code::Success);
        }
        follower.pump(&mut out)?;
        if watched.as_ref().is_some_and(|tree| tree.vm().exited()) {
            // What it wrote while it exited is in the file by now.
            follower.pump(&mut out)?;
            output::step(format!("{} exited", instance.name));
            return Ok(Code::Success);
        }
    }
}

/// Opens the log; `None` when it does not exist yet and `wait` says to wait for it.
fn open(path: &Path, name: &str, wait: bool) -> Result<Option<File>> {
    match File::open(path) {
        Ok(file) => Ok(Some(file)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && wait => {
            output::step(format!("waiting for {} to appear", path.display()));
            Ok(None)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => fail(
            Code::Failure,
            format!(
                "no log at {}: {} has not been started with `pharo-ctl start` there (the VM of `pharo-ctl run` writes to the journal or to its container's log); check --log-file",
                path.display(),
                name
            ),
        ),
        Err(e) => {
            let denied = e.kind() == std::io::ErrorKind::PermissionDenied;
            fail(
                if denied { Code::Unknown } else { Code::Failure },
                format!(
                    "cannot read the log {}: {}{}",
                    path.display(),
                    reason(&e),
                    if denied {
                        "; run as the VM's user or as root"
                    } else {
                        ""
                    }
                ),
            )
        }
    }
}

/// Where the output of the running VM of `tree` goes when it is not its log `log`, said for
/// the operator; `None` when it goes to the log, or cannot be told and no `pharo-ctl run`
/// runs the VM.
fn output_elsewhere(tree: &Tree, log: &Path) -> Option<String> {
    let pid = tree.pid();
    let stdout = format!("/proc/{pid}/fd/1");
    let target = std::fs::read_link(&stdout).ok();
    if target.is_some() && FileId::of(Path::new(&stdout)) == FileId::of(log) {
        return None;
    }
    let launcher = tree.launcher();
    let target = match (target, launcher) {
        (Some(target), _) => target.to_string_lossy().into_owned(),
        (None, Some(_)) => String::new(),
        (None, None) => return None,
    };
    let place = if let Some(unit) = service_unit(pid).filter(|_| target.starts_with("socket:")) {
        format!("the journal: read it with `journalctl {unit}`")
    } else if launcher.is_some_and(first_of_its_namespace) {
        "the container's log: read it with `docker logs CONTAINER` (or podman logs)".to_string()
    } else if target.starts_with('/') && launcher.is_none() {
        format!("{target} (pass --log-file {target})")
    } else {
        match (launcher, target.is_empty()) {
            (Some(_), true) => "its own output".to_string(),
            (Some(_), false) => format!("its own output ({target})"),
            (None, _) => target,
        }
    };
    let who = match launcher {
        Some(launcher) => {
            format!("runs under `pharo-ctl run` (pid {launcher}), which passes the VM's output to")
        }
        None => format!("its VM (pid {pid}) writes its output to"),
    };
    Some(format!("{who} {place}, not to {}", log.display()))
}

/// The `-u UNIT` (`--user -u UNIT` for a user's service) of the systemd service a process
/// belongs to, from its cgroup.
fn service_unit(pid: i32) -> Option<String> {
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    unit_of_cgroup(&cgroup)
}

fn unit_of_cgroup(cgroup: &str) -> Option<String> {
    let path = cgroup.lines().find_map(|line| line.strip_prefix("0::"))?;
    let unit = path
        .split('/')
        .rev()
        .find(|part| part.ends_with(".service") && !part.starts_with("user@"))?;
    Some(if path.contains("/user@") {
        format!("--user -u {unit}")
    } else {
        format!("-u {unit}")
    })
}

/// Whether a process is the first of its pid namespace (the last of its `NSpid` is 1): the
/// entrypoint of a container, which the container runtime's log captures.
fn first_of_its_namespace(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|status| {
        status
            .lines()
            .find_map(|line| line.strip_prefix("NSpid:"))
            .and_then(|ids| ids.split_whitespace().last())
            == Some("1")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_service_of_a_cgroup() {
        assert_eq!(
            unit_of_cgroup("0::/system.slice/pharo-zinc.service\n").as_deref(),
            Some("-u pharo-zinc.service")
        );
        assert_eq!(
            unit_of_cgroup(
                "0::/user.slice/user-1000.slice/user@1000.service/app.slice/zinc.service\n"
            )
            .as_deref(),
            Some("--user -u zinc.service")
        );
        assert_eq!(
            unit_of_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n"),
            None
        );
        assert_eq!(unit_of_cgroup("0::/\n"), None);
    }
}
