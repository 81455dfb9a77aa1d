//! `run` as a service's main process: the launcher (here), its state machine ([`machine`])
//! and live ports ([`live`]), its children ([`reaper`]), readiness probe ([`probe`]), REPL
//! watchdog ([`watchdog`]) and systemd notifications ([`notify`]).
//!
//! The launcher: `pharo-ctl run`, the main process of a systemd service or a container.
//!
//! The VM is a child in its own process group (so a Ctrl-C at a terminal, which signals the
//! whole foreground group, reaches only the launcher), stdin from /dev/null, its output passed
//! through; that group is the VM's process tree (a wrapper, the VM proper it starts, what they
//! start). SIGTERM, SIGINT and SIGHUP start the stop sequence of [`crate::stop`] on the
//! tree; a second SIGTERM or SIGINT moves it to its next step at once. SIGUSR1, SIGUSR2 and
//! SIGQUIT are forwarded to the VM proper (SIGUSR1 and SIGUSR2 only when it catches them).
//! Under systemd `Type=notify` the launcher says `READY=1` once the REPL answers, `STOPPING=1`
//! when it stops, and every step line as `STATUS=`.
//!
//! With `--watchdog INTERVAL` (or systemd's `WATCHDOG_USEC`) the launcher probes the REPL
//! ([`crate::run::watchdog`]), says `WATCHDOG=1` after each answered probe, and after N in a row
//! without an answer takes a stack dump, stops the VM and exits 8.
//!
//! The launcher is a subreaper (as PID 1 it is one anyway), so orphans the VM leaves behind
//! become its children and it reaps them. Signal handlers only write to a pipe; between
//! events the launcher sleeps in `poll` on that pipe and the VM's pidfd, using no CPU.
//!
//! What it does on each event is its state machine ([`machine`]), which acts only through
//! ports: the real VM's ([`live`]), or a recording fake in its unit tests.

use crate::error::Fail;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::files;
use crate::instance::pidfile;
use crate::output;
use crate::process::handle::ProcessHandle;
use crate::process::signals::Signals;
use crate::process::tree::Scope;
use crate::repl::Repl;
use crate::run::notify::{NOTIFY_SOCKET, Notifier};
use crate::run::reaper::Reaper;
use crate::run::watchdog::{Config, Watchdog};
use crate::start::launch::{self, Launched};
use crate::stop::Settings;
use anyhow::{Context as _, Result};
use live::Launcher;
use nix::sys::signal::Signal;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

mod live;
mod machine;
pub(crate) mod notify;
pub(crate) mod probe;
pub(crate) mod reaper;
pub(crate) mod unit;
pub(crate) mod watchdog;

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

/// Runs the instance in the foreground until it ends, and answers the exit code: `repl` is
/// the configured REPL (asked only once the VM's tree is shown to hold it), `stop` how a stop
/// goes, and `watchdog` probes the REPL once the image is ready.
pub fn run(
    instance: &Instance,
    repl: Repl,
    stop: Settings,
    start_timeout: Duration,
    watchdog: Option<Config>,
) -> Result<Code> {
    let vm = launch::find_vm(instance)?;
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

    let Some(pid) = spawn(instance, vm, &repl, &signals)? else {
        return Ok(Code::Success);
    };
    // The VM is our child and is not reaped before we say so: its pid cannot be reused. It
    // leads the process group of its tree.
    let handle = ProcessHandle::open(pid)?.context("the VM vanished at once")?;
    let tree = handle.try_clone()?;
    let launched = Launched::new(tree, Scope::Group(pid), instance)?;
    // Only the REPL that the VM's tree holds is asked: readiness, the watchdog, the stop.
    let repl = repl.owned(&instance.name, &launched.tree)?;
    let watchdog = watchdog.map(|w| w.owned(&repl));
    let mut launcher = Launcher {
        stop,
        instance,
        handle,
        launched,
        signals,
        notifier,
        reaper: Reaper::new(pid),
        repl,
        watchdog,
    };
    let outcome = machine::supervise(&mut launcher, start_timeout);
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
    if let Err(errno) = nix::sys::prctl::set_child_subreaper(true) {
        output::detail(format!(
            "cannot become a subreaper ({errno}); orphans go to PID 1"
        ));
    }
}

/// Starts the VM unless the instance already runs; answers its pid, recorded in the pid file,
/// or `None` when a stop was asked for before the VM started (it is then not started).
fn spawn(instance: &Instance, vm: &Path, repl: &Repl, signals: &Signals) -> Result<Option<i32>> {
    let name = &instance.name;
    files::check_pid_file_writable(instance)?;
    let _lock = files::lock(&instance.pid_file)?;
    if let Some(tree) = launch::running(instance)? {
        return Err(Fail::new(
            Code::Failure,
            format!(
                "{name} is already running (pid {}): stop it first (`pharo-ctl stop {name}`); a second VM would share its image and ports",
                tree.pid()
            ),
        )
        .into());
    }
    launch::check_repl_port(instance, repl, None)?;
    while let Some(signal) = signals.next() {
        if matches!(signal, Signal::SIGTERM | Signal::SIGINT | Signal::SIGHUP) {
            output::step(format!(
                "{name}: received {} before the VM started: not starting it",
                signal.as_str()
            ));
            return Ok(None);
        }
    }
    let mut command = instance.command(vm);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .env_remove(NOTIFY_SOCKET)
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .process_group(0);
    let child = launch::spawn(&mut command, vm)?;
    let pid = child.id() as i32;
    // The child is reaped by the [`Reaper`], never through `std::process::Child`.
    drop(child);
    launch::record(instance, pid, &command, || {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        Reaper::new(pid).wait_vm();
    })?;
    Ok(Some(pid))
}
