//! Starting an instance in the background (here), with what `start` and `run` share before
//! and just after the launch ([`launch`]).
//!
//! Starting a VM in the background: one at a time per instance (a `flock`), in a session of
//! its own (the VM's process tree), stdin from /dev/null, output appended to the log, the pid
//! file written atomically (naming the VM proper once a wrapper has started it), and a start
//! that counts only once the VM stayed up (`--settle`) or its REPL answers (`--wait`). A
//! failed start leaves neither a pid file nor a process of the tree behind.

pub(crate) mod launch;
mod wait;

use wait::{answered_or_settled, settle, wait_ready};

use crate::duration::{self, human};
use crate::error::Fail;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::files::{check_writable, lock, open_log};
use crate::instance::logfile;
use crate::instance::pidfile;
use crate::output::{self};
use crate::process::describe_status;
use crate::process::handle::{ProcessHandle, Wait};
use crate::process::tree::Scope;
use crate::repl::{self, Repl, ReplError};
use crate::stop::{self, Settings};
use anyhow::{Context as _, Result};
use launch::Launched;
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// How many lines of the log a failed start shows.
const LOG_TAIL: usize = 10;

/// When a start counts as done, resolved from the options of `start` and `restart`.
#[derive(Debug, Clone, Copy)]
pub struct Readiness {
    /// Only once the REPL answered (`--wait`), else once the VM stayed up for `settle` or,
    /// sooner, once the REPL the startup script names answered.
    pub wait: bool,
    /// How long the VM must stay up, without `wait`.
    pub settle: Duration,
    /// With `wait`: how long to wait for the REPL.
    pub start_timeout: Duration,
}

/// Starts the instance unless it already runs.
/// `repl` is the configured REPL (awaited with `--wait`, only once the VM's tree is shown to
/// hold it); `stop` stops a start that failed.
pub fn start(instance: &Instance, repl: &Repl, stop: &Settings, args: &Readiness) -> Result<Code> {
    let vm = launch::find_vm(instance)?;
    check_writable(instance)?;
    let _lock = lock(&instance.pid_file)?;
    if let Some(tree) = launch::running(instance)? {
        output::step(format!(
            "{} is already running (pid {})",
            instance.name,
            tree.pid()
        ));
        return Ok(Code::Success);
    }
    launch::check_repl_port(instance, repl, None)?;

    let log = open_log(&instance.log_file)?;
    let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
    let mut command = instance.command(vm);
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent; it runs in the
    // child between fork and exec.
    unsafe {
        command.pre_exec(|| nix::unistd::setsid().map(drop).map_err(Into::into));
    }
    let mut child = launch::spawn(&mut command, vm)?;
    let pid = child.id() as i32;
    // The child is ours until we exit, so its pid cannot be reused meanwhile; setsid made its
    // pid the id of the tree's session.
    let handle = ProcessHandle::open(pid)?.context("the VM vanished at once")?;
    let mut launched = Launched::new(handle, Scope::Session(pid), instance)?;
    launch::record(instance, pid, &command, || {
        let _ = stop::kill(&mut launched.tree, &instance.name);
        reap(&mut child);
    })?;

    let started = Instant::now();
    // Only the REPL that the VM's tree holds is waited for. Without --wait, a REPL that the
    // startup script names makes the start count as soon as it answers.
    let repl = match args.wait || instance.script_repl_port().is_some() {
        true => Some(repl.owned(&instance.name, &launched.tree)?),
        false => None,
    };
    let outcome = match &repl {
        Some(repl) if args.wait => {
            wait_ready(&instance.name, &mut launched, repl, args.start_timeout).map(|()| true)
        }
        Some(repl) => answered_or_settled(&instance.name, &mut launched, repl, args.settle),
        None => settle(&instance.name, &mut launched, started, args.settle).map(|()| false),
    };
    let outcome = outcome.and_then(|answered| {
        launched
            .stop_looking()
            .map(|()| answered)
            .map_err(Failure::Other)
    });
    match outcome {
        Ok(answered) => {
            output::step(format!(
                "{} is running (pid {}){}",
                instance.name,
                launched.tree.pid(),
                if answered {
                    format!("; its REPL answered after {}", human(started.elapsed()))
                } else {
                    String::new()
                }
            ));
            Ok(Code::Success)
        }
        Err(Failure::Exited) => {
            let ended = ended(instance, &mut launched, &mut child)?;
            pidfile::remove_if_names(&instance.pid_file, &launched.pids())?;
            report_log_tail(instance, log_start);
            Err(Fail::new(
                Code::Failure,
                format!(
                    "{} failed to start: the VM {ended} after {}; see the log above and {}",
                    instance.name,
                    human(started.elapsed()),
                    instance.log_file.display()
                ),
            )
            .into())
        }
        Err(why @ (Failure::NotOwn(_) | Failure::NotReady | Failure::Unauthorized(_))) => {
            let url = repl.as_ref().map_or("", |r| r.url());
            let name = &instance.name;
            let (step, reason) = match why {
                Failure::NotOwn(why) => (format!("{name}: not its REPL: {why}"), why.to_string()),
                Failure::Unauthorized(sent) => (
                    format!(
                        "{name}: the REPL answers, but it {}",
                        ReplError::Unauthorized { sent }
                    ),
                    repl::unauthorized(url, sent),
                ),
                _ => (
                    format!(
                        "{name}: the REPL did not answer within {}",
                        human(args.start_timeout)
                    ),
                    launch::unanswered(url, args.start_timeout),
                ),
            };
            // The VM is stopped with signals: its REPL is not one to ask.
            output::step(format!("{step}; stopping the VM"));
            let stopped = stop::stop(&mut launched.tree, &stop.plan(name, None), None)?;
            output::step(stopped.describe(name));
            reap(&mut child);
            pidfile::remove_if_names(&instance.pid_file, &launched.pids())?;
            report_log_tail(instance, log_start);
            Err(Fail::new(Code::Failure, format!("{name} failed to start: {reason}")).into())
        }
        Err(Failure::Other(e)) => {
            let _ = stop::kill(&mut launched.tree, &instance.name);
            reap(&mut child);
            let _ = pidfile::remove_if_names(&instance.pid_file, &launched.pids());
            Err(e)
        }
    }
}

/// How long a wrapper may take to end after the VM it started ended during the start.
const WRAPPER_END: Duration = Duration::from_secs(1);

/// The VM ended during the start: how, as its spawned process (a wrapper passes the VM's
/// status on) tells. A tree that does not end with its VM is killed: nothing is left.
fn ended(instance: &Instance, launched: &mut Launched, child: &mut Child) -> Result<String> {
    let deadline = duration::from_now(WRAPPER_END);
    if launched.tree.wait(Some(deadline), &[], None)? == Wait::Exited {
        return Ok(describe_status(child.wait()?));
    }
    stop::kill(&mut launched.tree, &instance.name)?;
    reap(child);
    Ok("exited (what was left of its process tree was killed)".to_string())
}

pub(super) enum Failure {
    /// The VM exited during the start.
    Exited,
    /// The REPL did not answer in time.
    NotReady,
    /// The REPL answered 401: it asks for credentials pharo-ctl did not send (`false`) or
    /// that it refused (`true`).
    Unauthorized(bool),
    /// The socket on the REPL's address is not the VM's (or whose it is cannot be told).
    NotOwn(ReplError),
    /// The pid file could not be rewritten to name the VM proper.
    Other(anyhow::Error),
}

fn reap(child: &mut Child) {
    let _ = child.wait();
}

/// Prints the lines the VM wrote to the log since `offset` (at most the last few), each
/// with the instance's name, as every step line (several instances may start at once).
fn report_log_tail(instance: &Instance, offset: u64) {
    let (name, path) = (&instance.name, &instance.log_file);
    let lines = logfile::last_lines(path, offset, LOG_TAIL);
    if lines.is_empty() {
        output::step(format!(
            "{name}: the VM wrote nothing to {}",
            path.display()
        ));
    }
    for line in lines {
        output::step(format!("{name}: | {line}"));
    }
}
