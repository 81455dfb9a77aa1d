//! The launcher's [`Ports`] on a real VM: it sleeps in `poll` on the signal pipe, the pidfd of
//! the process it spawned and whatever it waits for (the readiness probe, the watchdog's
//! probe), forwards the signals the VM is meant to see and reaps orphans meanwhile.

use super::machine::{Event, Ports};
use crate::instance::Instance;
use crate::instance::hung;
use crate::output::{self, Spinner};
use crate::process::dump;
use crate::process::handle::ProcessHandle;
use crate::process::signals::Signals;
use crate::repl::{Repl, ReplError};
use crate::run::notify::Notifier;
use crate::run::probe::Probe;
use crate::run::reaper::Reaper;
use crate::run::watchdog::{Config, Outcome, Watchdog};
use crate::start::launch::Launched;
use crate::stop::Settings;
use crate::stop::{self, Interrupts, Stopped};
use anyhow::{Context as _, Result};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use std::os::fd::{AsFd, BorrowedFd};
use std::process::ExitStatus;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the launcher holds while the VM runs.
pub(super) struct Launcher<'a> {
    /// How a stop goes.
    pub(super) stop: Settings,
    pub(super) instance: &'a Instance,
    /// The process the launcher spawned (the wrapper, or the VM itself): its child.
    pub(super) handle: ProcessHandle,
    pub(super) launched: Launched,
    pub(super) signals: Signals,
    pub(super) notifier: Option<Arc<Notifier>>,
    pub(super) reaper: Reaper,
    pub(super) repl: Repl,
    pub(super) watchdog: Option<Watchdog>,
}

impl Ports for Launcher<'_> {
    fn name(&self) -> &str {
        &self.instance.name
    }

    fn pid(&self) -> i32 {
        self.launched.tree.pid()
    }

    fn url(&self) -> &str {
        self.repl.url()
    }

    fn notifies(&self) -> bool {
        self.notifier.is_some()
    }

    fn notify(&self, message: &str) {
        if let Some(notifier) = &self.notifier {
            notifier.send(message);
        }
    }

    fn status(&self, line: &str) {
        if let Some(notifier) = &self.notifier {
            notifier.status(line);
        }
    }

    fn ready(&mut self, timeout: Duration) -> Result<Event<Result<Duration, ReplError>>> {
        let probe = Probe::start(self.repl.clone(), timeout)?;
        let mut spinner = Spinner::new(
            format!("{}: waiting for the REPL", self.instance.name),
            Some(crate::duration::from_now(timeout)),
        );
        if self.notifier.is_some() {
            // Under Type=notify no answer in time fails the start.
            spinner = spinner.before("giving up");
        }
        let done = Some((probe.done.as_fd(), PollFlags::POLLIN));
        let event = self.next_event(done, None, Some(&spinner))?;
        // The readiness probe's thread ends with it.
        Ok(event.with(|| probe.answer()))
    }

    fn settled(&mut self) -> Result<()> {
        self.launched.stop_looking()?;
        self.reaper.set_proper(self.launched.tree.pid());
        Ok(())
    }

    fn next(&mut self) -> Result<Event> {
        self.next_event(None, None, None)
    }

    fn start_watchdog(&mut self) -> Option<Config> {
        let watchdog = self.watchdog.as_mut()?;
        watchdog.arm();
        Some(watchdog.config)
    }

    fn probe(&mut self) -> Result<Event<Outcome>> {
        let mut watchdog = self.watchdog.take().context("no watchdog is configured")?;
        let event = self.next_event(watchdog.fd(), Some(watchdog.wake_at()), None);
        let event = event.map(|event| event.with(|| watchdog.wake(Instant::now())));
        self.watchdog = Some(watchdog);
        event
    }

    fn record_unanswered(&mut self, missing: bool) {
        let pid_file = &self.instance.pid_file;
        if !missing {
            hung::clear(pid_file);
        } else if let Some(since) = self.watchdog.as_ref().and_then(|w| w.first_missed_at) {
            hung::record(pid_file, self.launched.tree.pid(), since);
        }
    }

    fn dump(&mut self) {
        dump::into_log(
            self.launched.tree.vm(),
            &self.instance.name,
            Some(self.signals.fd()),
        );
    }

    fn stop_tree(&mut self, cooperative: bool) -> Result<Stopped> {
        let repl = self.repl.clone();
        let instance = self.instance;
        let plan = self.stop.plan(&instance.name, cooperative.then_some(&repl));
        let mut interrupts = StopInterrupts {
            signals: &self.signals,
            vm: self.launched.tree.vm().try_clone()?,
            reaper: &mut self.reaper,
            name: &instance.name,
        };
        stop::stop(&mut self.launched.tree, &plan, Some(&mut interrupts))
    }

    fn reap(&mut self) -> ExitStatus {
        let spawned = self.reaper.wait_vm();
        self.passed_on(spawned)
    }

    fn passed_on(&mut self, spawned: ExitStatus) -> ExitStatus {
        self.reaper.reap();
        self.reaper.passed_on(spawned)
    }

    fn tree_gone(&mut self) -> bool {
        self.launched.tree.gone()
    }
}

impl Launcher<'_> {
    /// Sleeps in the kernel until something happens: a signal, the VM's end, `watched` (a
    /// descriptor and what to wait for on it) ready, or `until` come. Forwarded signals and
    /// reaped orphans are dealt with here. A spinner on a terminal wakes it up to be redrawn,
    /// and while a wrapper has not yet started the VM proper, it wakes up to look for it;
    /// otherwise it sleeps with no other wake-up.
    fn next_event(
        &mut self,
        watched: Option<(BorrowedFd<'_>, PollFlags)>,
        until: Option<Instant>,
        spinner: Option<&Spinner>,
    ) -> Result<Event> {
        loop {
            if let Some(status) = self.reaper.status() {
                return Ok(Event::Exited(status));
            }
            let now = Instant::now();
            if until.is_some_and(|until| now >= until) {
                return Ok(Event::Ready(()));
            }
            self.launched.lost_vm()?;
            let look = self
                .launched
                .look()?
                .map(|at| at.saturating_duration_since(now));
            self.reaper.set_proper(self.launched.tree.pid());
            // Rounded up to whole milliseconds, poll's unit, so that a wait never ends a hair
            // before its time and wakes up once more.
            let nap = [
                until.map(|u| u - now),
                spinner.and_then(Spinner::interval),
                look,
            ]
            .into_iter()
            .flatten()
            .min()
            .map(|n| Duration::from_millis(n.as_nanos().div_ceil(1_000_000) as u64));
            let timeout = match nap {
                Some(nap) => PollTimeout::try_from(nap).unwrap_or(PollTimeout::MAX),
                None => PollTimeout::NONE,
            };
            let mut fds = vec![PollFd::new(self.signals.fd(), PollFlags::POLLIN)];
            if let Some(fd) = self.handle.as_fd() {
                fds.push(PollFd::new(fd, PollFlags::POLLIN));
            }
            if let Some((fd, events)) = watched {
                fds.push(PollFd::new(fd, events));
            }
            match poll(&mut fds, timeout) {
                Ok(0) => {
                    if let Some(spinner) = spinner {
                        spinner.tick();
                    }
                }
                Ok(_) | Err(Errno::EINTR) => {}
                Err(errno) => return Err(errno).context("cannot wait for the VM"),
            }
            let ready: Vec<bool> = fds
                .iter()
                .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
                .collect();
            drop(fds);
            if ready[0] {
                while let Some(signal) = self.signals.next() {
                    match signal {
                        Signal::SIGTERM | Signal::SIGINT | Signal::SIGHUP => {
                            return Ok(Event::Stop(signal));
                        }
                        Signal::SIGCHLD => self.reaper.reap(),
                        other => forward(self.launched.tree.vm(), &self.instance.name, other),
                    }
                }
            }
            if self.handle.has_pidfd() && ready[1] {
                return Ok(Event::Exited(self.reaper.wait_vm()));
            }
            if watched.is_some() && ready[ready.len() - 1] {
                return Ok(Event::Ready(()));
            }
        }
    }
}

/// Forwards a signal the VM is meant to see (SIGUSR1 makes a Pharo VM print its stacks). SIGUSR1
/// and SIGUSR2 are not forwarded to a VM that does not catch them: their default action would
/// end it.
fn forward(handle: &ProcessHandle, name: &str, signal: Signal) {
    let pid = handle.pid();
    if matches!(signal, Signal::SIGUSR1 | Signal::SIGUSR2)
        && dump::catches(pid, signal).is_ok_and(|caught| !caught)
    {
        output::warn(format!(
            "{name}: not forwarding {}: {}",
            signal.as_str(),
            dump::not_caught(pid, signal)
        ));
        return;
    }
    output::step(format!(
        "{name}: forwarding {} to the VM (pid {pid})",
        signal.as_str()
    ));
    if let Err(e) = handle.signal(signal) {
        output::warn(format!("{name}: cannot forward {}: {e}", signal.as_str()));
    }
}

/// The launcher's signals during the stop sequence: a second SIGTERM or SIGINT escalates;
/// forwarded signals and orphans are still dealt with meanwhile.
struct StopInterrupts<'a> {
    signals: &'a Signals,
    /// The VM proper, which forwarded signals reach.
    vm: ProcessHandle,
    reaper: &'a mut Reaper,
    name: &'a str,
}

impl Interrupts for StopInterrupts<'_> {
    fn fd(&self) -> BorrowedFd<'_> {
        self.signals.fd()
    }

    /// Reads signals up to the first that escalates; later ones stay in the pipe, which
    /// therefore stays readable for the next step.
    fn escalate(&mut self) -> bool {
        while let Some(signal) = self.signals.next() {
            match signal {
                Signal::SIGTERM | Signal::SIGINT => {
                    output::step(format!(
                        "{}: received {} again: skipping to the next step",
                        self.name,
                        signal.as_str()
                    ));
                    return true;
                }
                Signal::SIGHUP => {
                    output::detail(format!("{}: ignoring SIGHUP: already stopping", self.name))
                }
                Signal::SIGCHLD => self.reaper.reap(),
                other => forward(&self.vm, self.name, other),
            }
        }
        false
    }
}
