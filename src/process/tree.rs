//! The instance's process tree: what `start` or `run` launched — wrappers that do not exec
//! (Pharo's zeroconf `pharo` script runs `pharo-vm/pharo` as a child), the VM proper (the
//! process that runs the image), and whatever they start — found, signalled and awaited as
//! one.
//!
//! `start` makes the tree a session of its own and `run` a process group, so every member
//! carries that id (fields 6 and 5 of `/proc/PID/stat`) unless it left it on purpose; a VM
//! started otherwise is its outermost wrapper and that one's descendants. A member is acted on
//! only through a pidfd opened before its stat is read and still alive after the read, so a
//! pid reused meanwhile is never taken for a member. A session or group id is not handed out
//! again while a member lives, so the tree is gone when no live process carries the id: the
//! members are watched through their pidfds, and the process table is listed again only when
//! the last of them is gone (to see whether one forked meanwhile).

pub use super::members::Members;
use crate::output::Spinner;
use crate::process::handle::{self, ProcessHandle, Wait};
use crate::process::identity::{self, Identity, ImageMatcher};
use crate::process::{self, Stat};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags};
use nix::sys::signal::Signal;
use std::collections::HashSet;
use std::io;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

/// Which processes belong to a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every process of this session (`start` makes one for what it launches).
    Session(i32),
    /// Every process of this process group (`run` makes one).
    Group(i32),
    /// The outermost process and its descendants (a VM started by hand).
    Below,
}

/// An instance's process tree.
#[derive(Debug)]
pub struct Tree {
    /// The VM proper.
    vm: ProcessHandle,
    /// The outermost wrapper above the VM proper, when one stands above it.
    wrapper: Option<ProcessHandle>,
    scope: Scope,
    /// The members last seen alive, watched through their pidfds.
    held: Vec<ProcessHandle>,
    /// The process groups of the members at the last listing (`None` before the first):
    /// when none has a process left, neither has the session, and it is not listed again.
    groups: Option<HashSet<i32>>,
    /// The last pid handed out when the process table was last listed in full: a member
    /// that appeared since has a later pid, so only those are looked at again.
    listed_after: Option<i32>,
    /// The last signal sent to the tree: members that appear later get it too.
    sent: Option<Signal>,
}

impl Tree {
    /// The tree of a process pharo-ctl has just launched in a session (`start`) or a process
    /// group (`run`) of its own: until [`Tree::find_vm_proper`] finds a VM below it, it is
    /// the VM.
    pub fn launched(handle: ProcessHandle, scope: Scope) -> Tree {
        Tree {
            vm: handle,
            wrapper: None,
            scope,
            held: Vec::new(),
            groups: None,
            listed_after: None,
            sent: None,
        }
    }

    /// The tree of a VM found through its pid file or a scan: the VM proper is the deepest VM
    /// of the image below it (when it is a script, such as a wrapper), the wrapper the
    /// outermost VM of the image above it (a wrapper script that did not exec), and the scope
    /// the session or process group that wrapper leads, as `start` and `run` make them.
    pub fn of(found: ProcessHandle, matcher: &ImageMatcher) -> Tree {
        let vm = deeper_vm(found.pid(), matcher).unwrap_or(found);
        let mut wrapper = None;
        let mut pid = vm.pid();
        // The VM's own stat, read once: its parent starts the walk, its session and group
        // give the scope.
        let vm_pid = vm.pid();
        let vm_stat = process::stat(vm_pid);
        let parent_of = |at: i32| {
            if at == vm_pid {
                vm_stat.map(|stat| stat.ppid).filter(|&ppid| ppid > 0)
            } else {
                process::ppid(at)
            }
        };
        for parent in process::ancestors(vm_pid, parent_of) {
            match ProcessHandle::open_live(parent) {
                Ok(Some((handle, _))) if matcher.identify(parent) == Identity::Runs => {
                    pid = parent;
                    wrapper = Some(handle);
                }
                _ => break,
            }
        }
        let top = pid;
        let scope = match vm_stat {
            Some(stat) if stat.sid == top => Scope::Session(top),
            Some(stat) if stat.pgid == top && launcher_of(top).is_some() => Scope::Group(top),
            _ => Scope::Below,
        };
        Tree {
            vm,
            wrapper,
            scope,
            held: Vec::new(),
            groups: None,
            listed_after: None,
            sent: None,
        }
    }

    /// The VM proper.
    pub fn vm(&self) -> &ProcessHandle {
        &self.vm
    }

    pub fn pid(&self) -> i32 {
        self.vm.pid()
    }

    /// The outermost wrapper above the VM proper, if one stands above it.
    pub fn wrapper(&self) -> Option<i32> {
        self.wrapper.as_ref().map(ProcessHandle::pid)
    }

    /// The pharo-ctl that runs the tree in the foreground (`run`): the parent of its
    /// outermost process, when that is a pharo-ctl.
    pub fn launcher(&self) -> Option<i32> {
        launcher_of(self.wrapper().unwrap_or(self.pid()))
    }

    /// Looks for the VM proper below a launched wrapper: answers whether it was found now.
    pub fn find_vm_proper(&mut self, matcher: &ImageMatcher) -> bool {
        let Some(deeper) = deeper_vm(self.vm.pid(), matcher) else {
            return false;
        };
        let above = std::mem::replace(&mut self.vm, deeper);
        self.wrapper.get_or_insert(above);
        true
    }

    /// Takes `handle` (the process launched) for the VM proper again: what was found below it
    /// was not the VM.
    pub fn restart_from(&mut self, handle: ProcessHandle) {
        self.vm = handle;
        self.wrapper = None;
    }

    /// Whether the VM proper is known for sure: it is a program, not a script that may yet
    /// start the VM as its child (or exec it). A command line that cannot be read (the
    /// process is in the middle of an exec) tells nothing yet.
    pub fn settled(&self) -> bool {
        process::read_cmdline(self.vm.pid())
            .is_some_and(|args| !identity::runs_a_script(self.vm.pid(), &args))
    }

    /// The live members of the tree among the processes of `table`, each with a handle
    /// opened before its identity was read, and their process groups.
    fn members(&self, table: &[(i32, Stat)]) -> (Vec<ProcessHandle>, HashSet<i32>) {
        super::members::members_of(self.scope, &self.vm, self.wrapper.as_ref(), table)
    }

    /// A view of the tree's membership that can be kept apart from it: the REPL's identity
    /// check looks for the holder of a socket among the members, whenever it asks.
    pub fn members_view(&self) -> io::Result<Members> {
        Ok(Members::new(
            self.vm.try_clone()?,
            self.wrapper
                .as_ref()
                .map(ProcessHandle::try_clone)
                .transpose()?,
            self.scope,
        ))
    }

    /// Whether the VM proper is the only process of the tree.
    pub fn alone(&self) -> bool {
        self.members(&process::table()).0.len() <= 1
    }

    /// Lists every member, reading the whole process table.
    fn list(&mut self) {
        self.listed_after = process::last_pid();
        let (held, groups) = self.members(&process::table());
        self.held = held;
        self.groups = (self.scope != Scope::Below).then_some(groups);
    }

    /// Lists the members again once those last seen are gone: only processes created since
    /// the last full listing can be new members of a session or group (its id cannot be
    /// joined from outside), so only they are read; descendants need the whole table. Those
    /// that appeared since a signal was sent get it too.
    fn relist(&mut self) {
        match (self.scope, self.listed_after) {
            (Scope::Session(_) | Scope::Group(_), Some(after)) => {
                let Some(last) = process::last_pid() else {
                    return self.list();
                };
                let (held, groups) = self.members(&process::table_since(after, last));
                self.held = held;
                self.groups = Some(groups);
                self.listed_after = Some(last);
            }
            _ => self.list(),
        }
        if let Some(signal) = self.sent {
            for member in &self.held {
                let _ = member.signal(signal);
            }
        }
    }

    /// Sends a signal to every member of the tree and answers their pids (the VM proper
    /// first). Every member is signalled even when one may not be; that one's error is then
    /// answered.
    pub fn signal(&mut self, signal: Signal) -> io::Result<Vec<i32>> {
        self.sent = Some(signal);
        self.list();
        let mut error = None;
        for member in &self.held {
            if let Err(e) = member.signal(signal) {
                error.get_or_insert(e);
            }
        }
        if let Some(error) = error {
            return Err(error);
        }
        let mut pids: Vec<i32> = self.held.iter().map(ProcessHandle::pid).collect();
        pids.sort_by_key(|&pid| (pid != self.vm.pid(), pid));
        Ok(pids)
    }

    /// Whether no process of the tree is left. Once the members last seen have all exited,
    /// the process table is listed again only if one of their process groups still has a
    /// process (one forked meanwhile, or a zombie not yet reaped): a group id is not handed
    /// out again while it has a process, so an empty one stays empty.
    pub fn gone(&mut self) -> bool {
        self.held.retain(|member| !member.exited());
        if self.held.is_empty() {
            let empty = |group: &i32| {
                nix::sys::signal::killpg(nix::unistd::Pid::from_raw(*group), None)
                    == Err(Errno::ESRCH)
            };
            if self
                .groups
                .as_ref()
                .is_some_and(|groups| groups.iter().all(empty))
            {
                return true;
            }
            self.relist();
        }
        self.held.is_empty()
    }

    /// Waits until no process of the tree is left, the deadline passes, or one of `extra`
    /// becomes readable, whichever comes first; the last member's exit is noticed the moment
    /// it happens (the wait sleeps in the kernel on the members' pidfds). A spinner, if shown,
    /// is ticked meanwhile.
    pub fn wait(
        &mut self,
        deadline: Option<Instant>,
        extra: &[BorrowedFd<'_>],
        spinner: Option<&Spinner>,
    ) -> io::Result<Wait> {
        let tick = spinner.and_then(Spinner::interval);
        loop {
            if self.gone() {
                return Ok(Wait::Exited);
            }
            let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if left == Some(Duration::ZERO) {
                return Ok(Wait::TimedOut);
            }
            let fallback = self.held.iter().any(|member| !member.has_pidfd());
            let mut fds: Vec<PollFd> = Vec::with_capacity(extra.len() + self.held.len());
            fds.extend(extra.iter().map(|fd| PollFd::new(*fd, PollFlags::POLLIN)));
            fds.extend(
                self.held
                    .iter()
                    .filter_map(ProcessHandle::as_fd)
                    .map(|fd| PollFd::new(fd, PollFlags::POLLIN)),
            );
            handle::sleep_on(&mut fds, handle::nap(left, tick, fallback))?;
            let ready = fds[..extra.len()].iter().position(handle::ready);
            drop(fds);
            if self.gone() {
                return Ok(Wait::Exited);
            }
            if let Some(index) = ready {
                return Ok(Wait::Ready(index));
            }
            if let Some(spinner) = spinner {
                spinner.tick();
            }
        }
    }
}

/// The parent of `pid` when it is a pharo-ctl (the launcher of `run`).
fn launcher_of(pid: i32) -> Option<i32> {
    process::ppid(pid)
        .and_then(|parent| Some((parent, process::read_cmdline(parent)?)))
        .filter(|(parent, args)| process::is_pharo_ctl(*parent, &args[0]))
        .map(|(parent, _)| parent)
}

/// The deepest VM of the image below `pid`, while `pid` and the VMs on the way are scripts
/// (wrappers that run the VM as a child); `None` when there is none.
fn deeper_vm(pid: i32, matcher: &ImageMatcher) -> Option<ProcessHandle> {
    let is_script = |pid: i32| {
        process::read_cmdline(pid).is_some_and(|args| identity::runs_a_script(pid, &args))
    };
    if !is_script(pid) {
        return None;
    }
    let mut table = process::table();
    table.sort_by_key(|&(pid, stat)| (stat.start, pid));
    let mut found = None;
    let mut at = pid;
    for _ in 0..process::MAX_DEPTH {
        let child = table
            .iter()
            .filter(|(_, stat)| stat.ppid == at)
            .find_map(|&(child, _)| {
                let (handle, stat) = ProcessHandle::open_live(child).ok()??;
                let args = process::read_cmdline(child)?;
                (stat.ppid == at
                    && matcher.identify_args(child, &args) == Identity::Runs
                    && !process::is_a_fork(child, &args))
                .then_some(handle)
            });
        // A script that has meanwhile exec'd a program is the VM proper: a child judged before
        // that exec may be a subshell of it, which keeps the script's command line.
        let Some(child) = child.filter(|_| is_script(at)) else {
            break;
        };
        at = child.pid();
        found = Some(child);
        if !is_script(at) {
            break;
        }
    }
    found
}
