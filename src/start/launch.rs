//! What `start` and `run` share. Before the VM is spawned: its image and program checked,
//! what runs already found under the instance's lock and a stale pid file cleared; then the
//! spawn, the pid file written (or nothing left behind), and the start line. Once it is
//! spawned: the process tree it heads, and a pid file kept naming the VM proper; and the
//! message of a REPL that never answered. What pharo-ctl spawns may be a wrapper that does not exec
//! (Pharo's zeroconf `pharo` script); until the VM proper is known for sure — a program, not a
//! script that may yet start it — the tree is looked at again at growing intervals, and the
//! pid file rewritten once the wrapper has started the VM proper. The looking is bounded: it
//! ends once the VM is up (its REPL answered, or the settle time passed, which `start` counts
//! from the moment the VM proper is known, or [`VM_PROPER_WAIT`] has passed).

use crate::duration::human;
use crate::error::Fail;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::finder::{self, Found};
use crate::instance::pidfile;
use crate::output;
use crate::process;
use crate::process::handle::ProcessHandle;
use crate::process::identity::ImageMatcher;
use crate::process::tree::{Scope, Tree};
use crate::repl::Repl;
use crate::repl::holder::{self, Verdict};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// The first look for the VM proper below a wrapper, and the longest interval between looks.
const FIRST_LOOK: Duration = Duration::from_millis(2);
const LONGEST_LOOK: Duration = Duration::from_millis(100);

/// How long `start` without `--wait` gives a wrapper to start a VM program, at most, before
/// it takes the script itself for the VM (a VM that is a script).
pub const VM_PROPER_WAIT: Duration = Duration::from_secs(5);

/// The VM program that starts `instance`, once its image and startup script are known to be
/// there.
pub fn find_vm(instance: &Instance) -> Result<&Path> {
    instance.check_files()?;
    instance.vm()
}

/// Refuses (exit 6), before anything is launched or stopped, a REPL address (`repl`'s, when the
/// script or `--repl` names it) that a process outside the instance holds: `tree` is the
/// instance's when it runs, and then only a socket of its own counts as free. A holder that
/// cannot be told is let be: the identity check of each request still stands.
pub fn check_repl_port(instance: &Instance, repl: &Repl, tree: Option<&Tree>) -> Result<()> {
    let Some(addr) = repl.is_named().then(|| repl.socket_addr().ok()).flatten() else {
        return Ok(());
    };
    if !addr.ip().is_loopback() {
        return Ok(());
    }
    let name = &instance.name;
    let line = match tree {
        Some(tree) => match holder::judge(addr, name, &tree.members_view()?) {
            Verdict::Stranger(line) => line,
            _ => return Ok(()),
        },
        None => match holder::held_by(addr) {
            Some(who) => format!("port {} is held by {who}", addr.port()),
            None => return Ok(()),
        },
    };
    Err(Fail::new(
        Code::NotConfigured,
        format!(
            "{line}: {name}'s REPL cannot listen there; stop that process or give {name} a port of its own in its startup script (pharo-ctl init prints one); nothing was started or stopped"
        ),
    )
    .into())
}

/// The tree of the VM that runs the instance already, if one does; a stale pid file is
/// removed on the way. To be asked under the instance's lock.
pub fn running(instance: &Instance) -> Result<Option<Tree>> {
    pidfile::clean_temp_files(&instance.pid_file);
    match finder::find(instance)? {
        Found::Running { tree, .. } => Ok(Some(tree)),
        Found::Stale(_) => {
            pidfile::remove(&instance.pid_file)?;
            output::step(format!(
                "{}: removed the stale pid file {}",
                instance.name,
                instance.pid_file.display()
            ));
            Ok(None)
        }
        Found::NotRunning => Ok(None),
    }
}

/// Spawns the VM program `vm` with `command`; one that cannot be run is exit 5.
pub fn spawn(command: &mut Command, vm: &Path) -> Result<Child> {
    command.spawn().map_err(|e| {
        Fail::new(
            Code::VmNotFound,
            format!("cannot run the VM {}: {e}; check --vm", vm.display()),
        )
        .into()
    })
}

/// Writes the pid file naming the process just spawned, and says so with the command it
/// runs. A pid file that cannot be written fails the start, and `kill` then ends what was
/// spawned, so that nothing is left running unrecorded.
pub fn record(instance: &Instance, pid: i32, command: &Command, kill: impl FnOnce()) -> Result<()> {
    if let Err(e) = pidfile::write(&instance.pid_file, pid) {
        kill();
        return Err(e);
    }
    output::step(format!(
        "{}: started pid {pid}: {}",
        instance.name,
        process::command_line(command)
    ));
    Ok(())
}

/// Why a start failed when the REPL did not answer in time, and what to check.
pub fn unanswered(url: &str, timeout: Duration) -> String {
    format!(
        "its REPL at {url} did not answer within {}; check the startup script's `startInServerOn:` and --repl, or raise --start-timeout",
        human(timeout)
    )
}

/// A tree pharo-ctl launched.
#[derive(Debug)]
pub struct Launched {
    pub tree: Tree,
    /// The pid pharo-ctl spawned: the wrapper, or the VM itself.
    pub spawned: i32,
    /// A handle on it, to look again from.
    top: ProcessHandle,
    name: String,
    matcher: ImageMatcher,
    pid_file: PathBuf,
    /// When to look for the VM proper next; `None` once it is known.
    next_look: Option<Instant>,
    interval: Duration,
}

impl Launched {
    /// The tree of the process just spawned (`handle`), in the session or process group
    /// `scope` made for it. Its pid file is written by the caller.
    pub fn new(handle: ProcessHandle, scope: Scope, instance: &Instance) -> Result<Launched> {
        let spawned = handle.pid();
        let top = handle.try_clone();
        let tree = Tree::launched(handle, scope);
        let next_look = (!tree.settled()).then(Instant::now);
        Ok(Launched {
            tree,
            spawned,
            top: top?,
            name: instance.name.clone(),
            matcher: instance.matcher(),
            pid_file: instance.pid_file.clone(),
            next_look,
            interval: FIRST_LOOK,
        })
    }

    /// When what was taken for the VM proper has ended while the process spawned lives on,
    /// it was not the VM (a wrapper's short-lived child): looks again from the spawned
    /// process, which the pid file names meanwhile. Answers whether so.
    pub fn lost_vm(&mut self) -> Result<bool> {
        if self.tree.pid() == self.spawned || !self.tree.vm().exited() || self.top.exited() {
            return Ok(false);
        }
        let lost = self.tree.pid();
        self.tree.restart_from(self.top.try_clone()?);
        pidfile::replace(&self.pid_file, lost, self.spawned)?;
        self.next_look = Some(Instant::now());
        self.interval = FIRST_LOOK;
        Ok(true)
    }

    /// Looks for the VM proper when it is time to, and answers when to look next (`None`: it
    /// is known). Found, it is what the pid file names from then on.
    pub fn look(&mut self) -> Result<Option<Instant>> {
        match self.next_look {
            Some(at) if at <= Instant::now() => {}
            next => return Ok(next),
        }
        let above = self.tree.pid();
        if self.tree.find_vm_proper(&self.matcher)
            && pidfile::replace(&self.pid_file, above, self.tree.pid())?
        {
            output::step(format!(
                "{}: the wrapper pid {} started the VM, pid {}; the pid file names the VM",
                self.name,
                self.spawned,
                self.tree.pid()
            ));
        }
        self.next_look = if self.tree.settled() {
            None
        } else {
            self.interval = (self.interval * 2).min(LONGEST_LOOK);
            Some(Instant::now() + self.interval)
        };
        Ok(self.next_look)
    }

    /// Brings the next look forward to now, when there is one to come.
    pub fn look_now(&mut self) {
        if self.next_look.is_some() {
            self.next_look = Some(Instant::now());
        }
    }

    /// Whether the VM proper is known for sure (no more looking).
    pub fn known(&self) -> bool {
        self.next_look.is_none()
    }

    /// The last look, once the VM is up: what runs the image now is the VM proper.
    pub fn stop_looking(&mut self) -> Result<()> {
        if self.next_look.is_some() {
            self.look_now();
            self.look()?;
            self.next_look = None;
        }
        Ok(())
    }

    /// The pids a pid file of this launch may name: the VM proper and what was spawned.
    pub fn pids(&self) -> [i32; 2] {
        [self.tree.pid(), self.spawned]
    }
}
