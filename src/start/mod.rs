//! Starting an instance in the background (here), with what `start` and `run` share before
//! and just after the launch ([`launch`]).
//!
//! Starting a VM in the background: one at a time per instance (a `flock`), in a session of
//! its own (the VM's process tree), stdin from /dev/null, output appended to the log, the pid
//! file written atomically (naming the VM proper once a wrapper has started it), and a start
//! that counts only once the VM stayed up (`--settle`) or its REPL answers (`--wait`). A
//! failed start leaves neither a pid file nor a process of the tree behind.

pub(crate) mod launch;

use crate::duration::{self, human};
use crate::error::Fail;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::files::{check_writable, lock, open_log};
use crate::instance::logfile;
use crate::instance::pidfile;
use crate::output::{self, Spinner};
use crate::process::describe_status;
use crate::process::handle::{ProcessHandle, Wait};
use crate::process::tree::Scope;
use crate::repl::{Repl, ReplError};
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
    /// Only once the REPL answered (`--wait`), else once the VM stayed up for `settle`.
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
    // Only the REPL that the VM's tree holds is waited for.
    let repl = match args.wait {
        true => Some(repl.owned(&instance.name, &launched.tree)?),
        false => None,
    };
    let outcome = match &repl {
        Some(repl) => wait_ready(instance, &mut launched, repl, args.start_timeout),
        None => settle(instance, &mut launched, args.settle),
    };
    let outcome = outcome.and_then(|()| launched.stop_looking().map_err(Failure::Other));
    match outcome {
        Ok(()) => {
            output::step(format!(
                "{} is running (pid {}){}",
                instance.name,
                launched.tree.pid(),
                if args.wait {
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
        Err(Failure::NotOwn(why)) => {
            output::step(format!(
                "{}: not its REPL: {why}; stopping the VM",
                instance.name
            ));
            let stopped = stop::stop(&mut launched.tree, &stop.plan(&instance.name, None), None)?;
            output::step(stopped.describe(&instance.name));
            reap(&mut child);
            pidfile::remove_if_names(&instance.pid_file, &launched.pids())?;
            report_log_tail(instance, log_start);
            Err(Fail::new(
                Code::Failure,
                format!("{} failed to start: {why}", instance.name),
            )
            .into())
        }
        Err(Failure::NotReady) => {
            output::step(format!(
                "{}: the REPL did not answer within {}; stopping the VM",
                instance.name,
                human(args.start_timeout)
            ));
            let plan = stop.plan(&instance.name, None);
            let stopped = stop::stop(&mut launched.tree, &plan, None)?;
            output::step(stopped.describe(&instance.name));
            reap(&mut child);
            pidfile::remove_if_names(&instance.pid_file, &launched.pids())?;
            report_log_tail(instance, log_start);
            Err(Fail::new(
                Code::Failure,
                format!(
                    "{} failed to start: {}",
                    instance.name,
                    launch::unanswered(repl.as_ref().map_or("", |r| r.url()), args.start_timeout)
                ),
            )
            .into())
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

enum Failure {
    /// The VM exited during the start.
    Exited,
    /// The REPL did not answer in time.
    NotReady,
    /// The socket on the REPL's address is not the VM's (or whose it is cannot be told).
    NotOwn(ReplError),
    /// The pid file could not be rewritten to name the VM proper.
    Other(anyhow::Error),
}

/// Waits on the VM proper until `until` (or, `until_known`, until it is known for sure),
/// looking for it below a wrapper meanwhile; answers whether it exited.
fn wait_vm(
    launched: &mut Launched,
    until: Instant,
    until_known: bool,
    spinner: &Spinner,
) -> Result<bool, Failure> {
    loop {
        let look = launched.look().map_err(Failure::Other)?;
        if until_known && look.is_none() {
            return Ok(false);
        }
        let next = look.map_or(until, |at| at.min(until));
        match launched.tree.vm().wait(Some(next), &[], Some(spinner)) {
            Ok(Wait::TimedOut) if next < until => {}
            Ok(Wait::TimedOut) => return Ok(false),
            _ if launched.lost_vm().map_err(Failure::Other)? => {}
            _ => return Ok(true),
        }
    }
}

/// A start counts once the VM has stayed up this long (supervisord's `startsecs`), counted
/// from the moment the VM proper is known: a wrapper may take a while to start it. A script
/// that has stayed up that long with no process beside it (at two looks in a row) is itself
/// the VM; a wrapper gets [`launch::VM_PROPER_WAIT`] at most.
fn settle(instance: &Instance, launched: &mut Launched, settle: Duration) -> Result<(), Failure> {
    let started = Instant::now();
    let spinner = Spinner::new(
        format!("{}: making sure the VM stays up", instance.name),
        Some(duration::deadline(started, settle)),
    );
    let Some(known_at) = vm_proper(launched, started, settle, &spinner)? else {
        return Ok(());
    };
    if wait_vm(
        launched,
        duration::deadline(known_at, settle),
        false,
        &spinner,
    )? {
        return Err(Failure::Exited);
    }
    Ok(())
}

/// Waits until the VM proper is known for sure, and answers when it was; `None` when the
/// process spawned is taken for it instead: a script that has stayed up `settle` (from
/// `started`) with no process beside it, at two looks in a row, is itself the VM, and a
/// wrapper gets [`launch::VM_PROPER_WAIT`] at most.
fn vm_proper(
    launched: &mut Launched,
    started: Instant,
    settle: Duration,
    spinner: &Spinner,
) -> Result<Option<Instant>, Failure> {
    let settled_by = duration::deadline(started, settle);
    let given_up_by = duration::deadline(started, launch::VM_PROPER_WAIT.max(settle));
    launched.look_now();
    let mut known_at = started;
    let mut alone = 0;
    while !launched.known() {
        let until = settled_by.max(Instant::now() + ALONE_LOOK).min(given_up_by);
        if wait_vm(launched, until, true, spinner)? {
            return Err(Failure::Exited);
        }
        known_at = Instant::now();
        if launched.known() {
            break;
        }
        if known_at >= given_up_by {
            return Ok(None);
        }
        if known_at >= settled_by {
            alone = if launched.tree.alone() { alone + 1 } else { 0 };
            if alone == 2 {
                return Ok(None);
            }
        }
    }
    Ok(Some(known_at))
}

/// How often a script that may be the VM itself is looked at once the settle time is over.
const ALONE_LOOK: Duration = Duration::from_millis(20);

/// Waits until the REPL answers `GET`, noticing at once if the VM dies meanwhile.
fn wait_ready(
    instance: &Instance,
    launched: &mut Launched,
    repl: &Repl,
    timeout: Duration,
) -> Result<(), Failure> {
    let deadline = duration::from_now(timeout);
    output::step(format!(
        "{}: waiting up to {} for the REPL at {}",
        instance.name,
        human(timeout),
        repl.url()
    ));
    let spinner = Spinner::new(
        format!("{}: waiting for the REPL", instance.name),
        Some(deadline),
    )
    .before("giving up");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::NotReady);
        }
        if launched.tree.vm().exited() && !launched.lost_vm().map_err(Failure::Other)? {
            return Err(Failure::Exited);
        }
        match repl.probe(left.min(Repl::PROBE_TIMEOUT)) {
            // The REPL answers: a wrapper has started the VM proper, or is about to.
            Ok(_) => {
                return vm_proper(launched, Instant::now(), Duration::ZERO, &spinner).map(drop);
            }
            Err(why @ (ReplError::NotOwn(_) | ReplError::Unverified(_))) => {
                return Err(Failure::NotOwn(why));
            }
            Err(_) => {}
        }
        let next = duration::from_now(Repl::PROBE_INTERVAL).min(deadline);
        if wait_vm(launched, next, false, &spinner)? {
            return Err(Failure::Exited);
        }
    }
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
