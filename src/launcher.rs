//! The launcher: `pharo-ctl run`, the main process of a systemd service or a container.
//!
//! The VM is a child in its own process group (so a Ctrl-C at a terminal, which signals the
//! whole foreground group, reaches only the launcher), stdin from /dev/null, its output passed
//! through; that group is the VM's process tree (a wrapper, the VM proper it starts, what they
//! start). SIGTERM, SIGINT and SIGHUP start the stop sequence of [`crate::stopper`] on the
//! tree; a second SIGTERM or SIGINT moves it to its next step at once. SIGUSR1, SIGUSR2 and
//! SIGQUIT are forwarded to the VM proper (SIGUSR1 and SIGUSR2 only when it catches them).
//! Under systemd `Type=notify` the launcher says `READY=1` once the REPL answers, `STOPPING=1`
//! when it stops, and every step line as `STATUS=`.
//!
//! With `--watchdog INTERVAL` (or systemd's `WATCHDOG_USEC`) the launcher probes the REPL
//! ([`crate::watchdog`]), says `WATCHDOG=1` after each answered probe, and after N in a row
//! without an answer takes a stack dump, stops the VM and exits 8.
//!
//! The launcher is a subreaper (as PID 1 it is one anyway), so orphans the VM leaves behind
//! become its children and it reaps them. Signal handlers only write to a pipe; between
//! events the launcher sleeps in `poll` on that pipe and the VM's pidfd, using no CPU.

use crate::context::Context;
use crate::duration::human;
use crate::error::Fail;
use crate::exit_code::Code;
use crate::files;
use crate::finder::{self, Found};
use crate::handle::ProcessHandle;
use crate::instance::{self, Instance};
use crate::launch::Launched;
use crate::notify::{NOTIFY_SOCKET, Notifier};
use crate::output::{self, Spinner};
use crate::pidfile;
use crate::probe::Probe;
use crate::reaper::Reaper;
use crate::repl::{Repl, ReplError};
use crate::signals::Signals;
use crate::starter::describe_status;
use crate::stopper::{self, Interrupts};
use crate::tree::Scope;
use crate::watchdog::{Config, Watchdog};
use anyhow::{Context as _, Result};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod watch;

/// The signals the launcher handles.
const HANDLED: [Signal; 7] = [
    Signal::SIGTERM,
    Signal::SIGINT,
    Signal::SIGHUP,
    Signal::SIGUSR1,
    Signal::SIGUSR2,
    Signal::SIGQUIT,
    Signal::SIGCHLD,
];

/// Runs the instance in the foreground until it ends, and answers the exit code; `watchdog`
/// probes the REPL once the image is ready.
pub fn run(
    ctx: &Context,
    instance: &Instance,
    start_timeout: Duration,
    watchdog: Option<Config>,
) -> Result<Code> {
    instance.check_files()?;
    let vm = instance::find_vm(ctx.instance.vm.as_deref(), &instance.dir)?;
    // The REPL URL is checked before anything starts.
    let repl = ctx.repl(Some(instance))?;
    let watchdog = watchdog
        .map(|config| Watchdog::new(config, &repl))
        .transpose()?;
    let notifier = Notifier::from_env()?.map(Arc::new);
    if let Some(notifier) = &notifier {
        let notifier = Arc::clone(notifier);
        output::on_step(move |line| notifier.status(line));
    }
    // Installed before the VM starts, so that no signal meant for the launcher is lost.
    let signals = Signals::install(&HANDLED)?;
    become_subreaper();

    let Some(pid) = spawn(ctx, instance, &vm, &signals)? else {
        return Ok(Code::Success);
    };
    // The VM is our child and is not reaped before we say so: its pid cannot be reused. It
    // leads the process group of its tree.
    let handle = ProcessHandle::open(pid)?.context("the VM vanished at once")?;
    let tree = handle.try_clone()?;
    let mut launcher = Launcher {
        ctx,
        instance,
        handle,
        launched: Launched::new(tree, Scope::Group(pid), instance),
        signals,
        notifier,
        reaper: Reaper::new(pid),
    };
    let outcome = launcher.supervise(repl, start_timeout, watchdog);
    // Only a VM that ended is waited for: after a failed stop it may be stuck in the kernel,
    // and its pid file then still names a live process.
    if launcher.handle.exited() {
        launcher.reaper.wait_vm();
        pidfile::remove_if_names(&instance.pid_file, &launcher.launched.pids())?;
    }
    outcome
}

/// Asks the kernel to re-parent orphaned descendants to the launcher (as `tini -s` does), so
/// that it reaps them as PID 1 would. As PID 1 this is so anyway.
fn become_subreaper() {
    if std::process::id() == 1 {
        return;
    }
    // SAFETY: PR_SET_CHILD_SUBREAPER takes a plain integer; no memory is shared.
    let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    if rc != 0 {
        output::detail(format!(
            "cannot become a subreaper ({}); orphans go to PID 1",
            Errno::last()
        ));
    }
}

/// Starts the VM unless the instance already runs; answers its pid, recorded in the pid file,
/// or `None` when a stop was asked for before the VM started (it is then not started).
fn spawn(ctx: &Context, instance: &Instance, vm: &Path, signals: &Signals) -> Result<Option<i32>> {
    let name = &instance.name;
    files::check_pid_file_writable(instance)?;
    let _lock = files::lock(&instance.pid_file)?;
    match finder::find(instance)? {
        Found::Running { tree, .. } => {
            return Err(Fail::new(
                Code::Failure,
                format!(
                    "{name} is already running (pid {}): stop it first (`pharo-ctl stop {name}`); a second VM would share its image and ports",
                    tree.pid()
                ),
            )
            .into());
        }
        Found::Stale(_) => {
            pidfile::remove(&instance.pid_file)?;
            output::step(format!(
                "{name}: removed the stale pid file {}",
                instance.pid_file.display()
            ));
        }
        Found::NotRunning => {}
    }
    while let Some(signal) = signals.next() {
        if matches!(signal, Signal::SIGTERM | Signal::SIGINT | Signal::SIGHUP) {
            output::step(format!(
                "{name}: received {} before the VM started: not starting it",
                signal.as_str()
            ));
            return Ok(None);
        }
    }
    let mut command = instance.command(vm, &ctx.instance.vm_args);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .env_remove(NOTIFY_SOCKET)
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .process_group(0);
    let child = command.spawn().map_err(|e| {
        Fail::new(
            Code::VmNotFound,
            format!("cannot run the VM {}: {e}; check --vm", vm.display()),
        )
    })?;
    let pid = child.id() as i32;
    // The child is reaped by the [`Reaper`], never through `std::process::Child`.
    drop(child);
    if let Err(e) = pidfile::write(&instance.pid_file, pid) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        Reaper::new(pid).wait_vm();
        return Err(e);
    }
    output::step(format!(
        "{name}: started pid {pid}: {}",
        crate::process::command_line(&command)
    ));
    Ok(Some(pid))
}

/// What the launcher holds while the VM runs.
struct Launcher<'a> {
    ctx: &'a Context,
    instance: &'a Instance,
    /// The process the launcher spawned (the wrapper, or the VM itself): its child.
    handle: ProcessHandle,
    launched: Launched,
    signals: Signals,
    notifier: Option<Arc<Notifier>>,
    reaper: Reaper,
}

/// What woke the launcher up.
enum Event {
    /// SIGTERM, SIGINT or SIGHUP.
    Stop(Signal),
    /// The VM ended by itself.
    Exited(ExitStatus),
    /// The watched descriptor is ready, or the time waited for has come.
    Ready,
}

impl Launcher<'_> {
    /// Waits for the REPL, then for a stop signal, the VM's end, or (with a watchdog) the
    /// verdict that the image is hung; answers the exit code.
    fn supervise(
        &mut self,
        repl: Repl,
        start_timeout: Duration,
        watchdog: Option<Watchdog>,
    ) -> Result<Code> {
        let instance = self.instance;
        let name = &instance.name;
        output::step(format!(
            "{name}: waiting up to {} for the REPL at {}",
            human(start_timeout),
            repl.url()
        ));
        let probe = Probe::start(repl, start_timeout)?;
        let mut spinner = Spinner::new(
            format!("{name}: waiting for the REPL"),
            Some(crate::duration::from_now(start_timeout)),
        );
        if self.notifier.is_some() {
            // Under Type=notify no answer in time fails the start.
            spinner = spinner.before("giving up");
        }
        let done = Some((probe.done.as_fd(), PollFlags::POLLIN));
        let event = self.next_event(done, None, Some(&spinner))?;
        drop(spinner);
        let answer = match event {
            Event::Stop(signal) => return self.stop(Some(signal)),
            Event::Exited(status) => return self.exited(status),
            Event::Ready => probe.answer(),
        };
        self.launched.stop_looking()?;
        match answer {
            Ok(after) => {
                output::step(format!(
                    "{name} is ready: its REPL answered after {}",
                    human(after)
                ));
                self.notify("READY=1");
                output::step(format!(
                    "{name} is running (pid {})",
                    self.launched.tree.pid()
                ));
            }
            Err(why) => {
                if self.notifier.is_some() {
                    return self.not_ready(&probe.url, start_timeout, &why);
                }
                output::warn(format!(
                    "{name}: the REPL at {} did not answer within {} ({why}); a stop will not be cooperative",
                    probe.url,
                    human(start_timeout)
                ));
            }
        }
        // The readiness probe's thread ends with it.
        drop(probe);
        match watchdog {
            Some(watchdog) => self.watch(watchdog),
            None => loop {
                match self.next_event(None, None, None)? {
                    Event::Stop(signal) => return self.stop(Some(signal)),
                    Event::Exited(status) => return self.exited(status),
                    Event::Ready => {}
                }
            },
        }
    }

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
                return Ok(Event::Ready);
            }
            let look = self
                .launched
                .look()?
                .map(|at| at.saturating_duration_since(now));
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
                return Ok(Event::Ready);
            }
        }
    }

    /// The stop sequence, on a signal or when the image never became ready.
    fn stop(&mut self, signal: Option<Signal>) -> Result<Code> {
        let instance = self.instance;
        let name = &instance.name;
        self.notify("STOPPING=1");
        if let Some(signal) = signal {
            output::step(format!(
                "{name}: received {}: stopping the image (a second SIGTERM or SIGINT skips to the next step)",
                signal.as_str()
            ));
        }
        let repl = self.ctx.repl(Some(self.instance))?;
        let plan = self.ctx.plan(self.instance, Some(&repl));
        let stopped = self.stop_with(&plan)?;
        if stopped.cooperative() {
            // The VM quit after the request; only a clean exit is a cooperative stop.
            let status = self.reaper.wait_vm();
            if status.success() {
                output::step(stopped.describe(name));
                return Ok(Code::Success);
            }
            output::step(format!(
                "{name}: the VM {} during its shutdown",
                describe_status(status)
            ));
            output::warn(format!(
                "{name}: the shutdown did not end cleanly; see the VM's output above"
            ));
            Ok(exit_code_of(status))
        } else {
            output::step(stopped.describe(name));
            stopped.warn_if_not_cooperative(name);
            Ok(Code::Failure)
        }
    }

    /// The REPL did not answer in time under `Type=notify`: a failed start, never a silent
    /// success. The VM is stopped with signals (there is no REPL to ask).
    fn not_ready(&mut self, url: &str, timeout: Duration, why: &ReplError) -> Result<Code> {
        let instance = self.instance;
        let name = &instance.name;
        self.notify("STOPPING=1");
        output::step(format!(
            "{name}: the REPL did not answer within {} ({why}); stopping the VM",
            human(timeout)
        ));
        let plan = self.ctx.plan(self.instance, None);
        let stopped = self.stop_with(&plan)?;
        output::step(stopped.describe(name));
        Err(Fail::new(
            Code::Failure,
            format!(
                "{name} did not become ready: its REPL at {url} did not answer within {}; check the startup script's `startInServerOn:` and --repl, or raise --start-timeout",
                human(timeout)
            ),
        )
        .into())
    }

    fn stop_with(&mut self, plan: &stopper::Plan<'_>) -> Result<stopper::Stopped> {
        let mut interrupts = StopInterrupts {
            signals: &self.signals,
            vm: self.launched.tree.vm().try_clone()?,
            reaper: &mut self.reaper,
            name: &self.instance.name,
        };
        stopper::stop(&mut self.launched.tree, plan, Some(&mut interrupts))
    }

    /// The VM ended by itself: pass its status on (a wrapper passes the VM's), so that
    /// `Restart=` policies work. What is left of its tree is stopped with signals.
    fn exited(&mut self, status: ExitStatus) -> Result<Code> {
        let instance = self.instance;
        let name = &instance.name;
        self.notify("STOPPING=1");
        output::step(format!(
            "{name}: the VM {} without being asked to stop",
            describe_status(status)
        ));
        if !self.launched.tree.gone() {
            output::step(format!("{name}: stopping what is left of its process tree"));
            let plan = self.ctx.plan(self.instance, None);
            self.stop_with(&plan)?;
        }
        Ok(exit_code_of(status))
    }

    fn notify(&self, message: &str) {
        if let Some(notifier) = &self.notifier {
            notifier.send(message);
        }
    }
}

/// The VM's status as pharo-ctl's own exit status: its code, or 128+N for signal N, as a shell
/// reports it.
fn exit_code_of(status: ExitStatus) -> Code {
    match (status.code(), status.signal()) {
        (Some(0), _) => Code::Success,
        (Some(code), _) => Code::Raw(code as u8),
        (None, Some(signal)) => Code::Raw(128u8.wrapping_add(signal as u8)),
        _ => Code::Failure,
    }
}

/// Forwards a signal the VM is meant to see (SIGUSR1 makes a Pharo VM print its stacks). SIGUSR1
/// and SIGUSR2 are not forwarded to a VM that does not catch them: their default action would
/// end it.
fn forward(handle: &ProcessHandle, name: &str, signal: Signal) {
    let pid = handle.pid();
    if matches!(signal, Signal::SIGUSR1 | Signal::SIGUSR2)
        && crate::dump::catches(pid, signal).is_ok_and(|caught| !caught)
    {
        output::warn(format!(
            "{name}: not forwarding {}: {}",
            signal.as_str(),
            crate::dump::not_caught(pid, signal)
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
