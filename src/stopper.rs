//! The stop sequence, shared by `stop`, `restart`, a failed `start --wait` and the launcher:
//! ask the image to shut down through its REPL, wait up to the grace period for it to exit,
//! then SIGTERM and wait again, then SIGKILL. An error answer or an unreachable REPL skips the
//! grace at once; a connection dropped after a quit expression counts as accepted. The signals
//! reach every process of the VM's tree and nothing else, and each wait lasts until no process
//! of the tree is left: it sleeps on their pidfds, so the exit is noticed the moment it happens.

use crate::duration::{self, human};
use crate::error::Fail;
use crate::exit_code::Code;
use crate::handle::Wait;
use crate::output::{self, Spinner};
use crate::repl::{self, Repl, ReplError};
use crate::tree::Tree;
use anyhow::{Result, bail};
use nix::sys::signal::Signal;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long to wait after SIGKILL before giving up on a process (one stuck in the kernel).
const AFTER_KILL: Duration = Duration::from_secs(10);

/// What the stop sequence needs to know.
#[derive(Debug, Clone)]
pub struct Plan<'a> {
    /// The instance's name, for the step lines.
    pub name: &'a str,
    /// The REPL; `None` skips the cooperative request (e.g. the image never became ready).
    pub repl: Option<&'a Repl>,
    /// The Smalltalk that asks the image to shut down.
    pub shutdown: &'a str,
    /// How long the image may take to exit after accepting the request.
    pub grace: Duration,
    /// How long between SIGTERM and SIGKILL.
    pub kill_after: Duration,
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited by itself after the shutdown request (or before anything was sent).
    Cooperative,
    /// SIGTERM ended it.
    Terminated,
    /// SIGKILL ended it.
    Killed,
}

/// The result of a stop: how it ended and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Stopped {
    pub ending: Ending,
    pub elapsed: Duration,
}

impl Stopped {
    /// Warns, when the stop had to fall back to signals, that the shutdown was not
    /// cooperative and what to check.
    pub fn warn_if_not_cooperative(&self, name: &str) {
        if !self.cooperative() {
            output::warn(format!(
                "{name}: the shutdown was not cooperative; check that the startup script defines ShutdownSequence and starts the REPL"
            ));
        }
    }

    /// `zinc stopped cooperatively in 0.42s`, `zinc terminated by SIGTERM after 5.01s`, …
    pub fn describe(&self, name: &str) -> String {
        let took = human(self.elapsed);
        match self.ending {
            Ending::Cooperative => format!("{name} stopped cooperatively in {took}"),
            Ending::Terminated => format!("{name} terminated by SIGTERM after {took}"),
            Ending::Killed => format!("{name} killed by SIGKILL after {took}"),
        }
    }

    pub fn cooperative(&self) -> bool {
        self.ending == Ending::Cooperative
    }
}

/// Something that can cut a wait short: the launcher's second signal. `fd` becomes readable
/// when there is news; `escalate` reads it and says whether to move to the next step now.
pub trait Interrupts {
    fn fd(&self) -> BorrowedFd<'_>;
    fn escalate(&mut self) -> bool;
}

/// Runs the stop sequence on a running VM's process tree.
pub fn stop(
    tree: &mut Tree,
    plan: &Plan<'_>,
    mut interrupts: Option<&mut dyn Interrupts>,
) -> Result<Stopped> {
    let started = Instant::now();
    let name = plan.name;
    let done = |ending| {
        Ok(Stopped {
            ending,
            elapsed: started.elapsed(),
        })
    };

    if let Some(repl) = plan.repl {
        output::step(format!(
            "{name}: asking the image to shut down: POST '{}' to {}",
            plan.shutdown,
            repl.url()
        ));
        let deadline = duration::deadline(started, plan.grace);
        let request = Request::send(repl, plan.shutdown, plan.grace)?;
        let mut pending = Some(request);
        let spinner =
            Spinner::new(format!("waiting for {name} to exit"), Some(deadline)).before("SIGTERM");
        loop {
            let mut extra: Vec<BorrowedFd<'_>> = Vec::with_capacity(2);
            if let Some(interrupts) = interrupts.as_deref() {
                extra.push(interrupts.fd());
            }
            if let Some(request) = &pending {
                extra.push(request.done.as_fd());
            }
            let has_interrupts = interrupts.is_some();
            match tree.wait(Some(deadline), &extra, Some(&spinner))? {
                Wait::Exited => return done(Ending::Cooperative),
                Wait::TimedOut => {
                    output::step(format!(
                        "{name}: still running after the {} grace period",
                        human(plan.grace)
                    ));
                    break;
                }
                Wait::Ready(0) if has_interrupts => {
                    if interrupts.as_deref_mut().is_some_and(|i| i.escalate()) {
                        output::step(format!(
                            "{name}: escalating at once: not waiting for the cooperative shutdown"
                        ));
                        break;
                    }
                }
                Wait::Ready(_) => {
                    let request = pending.take().expect("a request is pending");
                    if !request.accepted(name) {
                        break;
                    }
                    output::step(format!(
                        "{name}: shutdown accepted; waiting up to {} for the image to exit",
                        human(deadline.saturating_duration_since(Instant::now()))
                    ));
                }
            }
        }
    }

    if tree.gone() {
        return done(Ending::Cooperative);
    }
    let pids = send(tree, Signal::SIGTERM, name)?;
    output::step(format!(
        "{name}: sending SIGTERM to {}; waiting up to {}",
        describe_pids(tree, &pids),
        human(plan.kill_after)
    ));
    let deadline = duration::from_now(plan.kill_after);
    let spinner = Spinner::new(
        format!("waiting for {name} to exit after SIGTERM"),
        Some(deadline),
    )
    .before("SIGKILL");
    loop {
        let extra: Vec<BorrowedFd<'_>> =
            interrupts.as_deref().map(|i| i.fd()).into_iter().collect();
        match tree.wait(Some(deadline), &extra, Some(&spinner))? {
            Wait::Exited => return done(Ending::Terminated),
            Wait::TimedOut => {
                output::step(format!(
                    "{name}: still running {} after SIGTERM",
                    human(plan.kill_after)
                ));
                break;
            }
            Wait::Ready(_) => {
                if interrupts.as_deref_mut().is_some_and(|i| i.escalate()) {
                    output::step(format!("{name}: escalating to SIGKILL at once"));
                    break;
                }
            }
        }
    }
    drop(spinner);

    let pids = send(tree, Signal::SIGKILL, name)?;
    output::step(format!(
        "{name}: sending SIGKILL to {}",
        describe_pids(tree, &pids)
    ));
    kill_wait(tree, name).map(|()| Stopped {
        ending: Ending::Killed,
        elapsed: started.elapsed(),
    })
}

/// Ends a tree at once with SIGKILL (a start that cannot go on), and waits for it to be gone.
pub fn kill(tree: &mut Tree, name: &str) -> Result<()> {
    send(tree, Signal::SIGKILL, name)?;
    kill_wait(tree, name)
}

/// Waits for a tree after SIGKILL.
fn kill_wait(tree: &mut Tree, name: &str) -> Result<()> {
    match tree.wait(Some(duration::from_now(AFTER_KILL)), &[], None)? {
        Wait::Exited => Ok(()),
        _ => bail!(
            "{name}: pid {} is still alive {} after SIGKILL (stuck in the kernel?); see `cat /proc/{}/stack`",
            tree.pid(),
            human(AFTER_KILL),
            tree.pid()
        ),
    }
}

/// `pid 4242`, or `pid 4242 and its tree (pids 4240, 4241)` for a VM under a wrapper.
fn describe_pids(tree: &Tree, pids: &[i32]) -> String {
    let others: Vec<String> = pids
        .iter()
        .filter(|&&pid| pid != tree.pid())
        .map(i32::to_string)
        .collect();
    if others.is_empty() {
        format!("pid {}", tree.pid())
    } else {
        format!(
            "pid {} and the rest of its process tree (pids {})",
            tree.pid(),
            others.join(", ")
        )
    }
}

/// Sends a signal to the VM's tree and answers the pids it reached; a VM we may not signal
/// (another user's) is exit 4 with what to do.
fn send(tree: &mut Tree, signal: Signal, name: &str) -> Result<Vec<i32>> {
    tree.signal(signal).map_err(|e| {
        if e.raw_os_error() == Some(libc::EPERM) {
            Fail::new(
                Code::Unknown,
                format!(
                    "no permission to signal {name}'s VM (pid {}): run pharo-ctl as its user or as root",
                    tree.pid()
                ),
            )
            .into()
        } else {
            anyhow::Error::new(e).context(format!(
                "cannot send {} to {name}'s VM (pid {})",
                signal.as_str(),
                tree.pid()
            ))
        }
    })
}

/// The shutdown request, sent from its own thread so that the wait for the exit can start at
/// once. `done` becomes readable (hang-up) when the answer is in.
struct Request {
    done: OwnedFd,
    answer: mpsc::Receiver<Result<Vec<u8>, ReplError>>,
}

impl Request {
    fn send(repl: &Repl, expr: &str, timeout: Duration) -> Result<Request> {
        let (done, notify) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let (tx, answer) = mpsc::channel();
        let repl = repl.clone();
        let expr = expr.to_string();
        std::thread::Builder::new()
            .name("shutdown-request".into())
            .spawn(move || {
                let _ = tx.send(repl.eval(&expr, timeout));
                // Closing the write end wakes the waiter.
                drop(notify);
            })?;
        Ok(Request { done, answer })
    }

    /// Reads the answer and says whether the image accepted the shutdown.
    fn accepted(self, name: &str) -> bool {
        match self.answer.recv() {
            Ok(Ok(body)) => {
                let text = String::from_utf8_lossy(&body);
                if repl::is_error_answer(&text) {
                    output::step(format!(
                        "{name}: the REPL answered an error, so no grace period: {}",
                        text.lines().next().unwrap_or("")
                    ));
                    false
                } else {
                    output::detail(format!("{name}: the REPL answered {}", text.trim_end()));
                    true
                }
            }
            Ok(Err(ReplError::Dropped)) => {
                output::detail(format!(
                    "{name}: the image closed the connection without answering (quitting)"
                ));
                true
            }
            Ok(Err(ReplError::Timeout(_))) => true,
            Ok(Err(error @ ReplError::Unreachable(_))) => {
                output::step(format!("{name}: the REPL is {error}, so no grace period"));
                false
            }
            Ok(Err(error)) => {
                output::step(format!(
                    "{name}: the REPL refused: {error}, so no grace period"
                ));
                false
            }
            Err(_) => false,
        }
    }
}
