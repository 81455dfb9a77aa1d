//! Processes: what `/proc` tells of them (here), handles that act on one process only through
//! a pidfd ([`handle`]), who counts as an image's VM ([`identity`]), an instance's process tree
//! ([`tree`]), what VMs use ([`usage`]), stack dumps ([`dump`]) and signals received
//! ([`signals`]). It knows nothing of instances or the REPL.
//!
//! Facts about processes from `/proc`: command lines, `stat` fields (parent, process group,
//! session, start time), the process table, the identity of files, and how a process ended.

pub(crate) mod dump;
pub(crate) mod handle;
pub(crate) mod identity;
pub(crate) mod members;
pub(crate) mod signals;
pub(crate) mod tree;
pub(crate) mod usage;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;

/// The identity of a file: device and inode, so that two paths naming one file compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    dev: u64,
    ino: u64,
}

impl FileId {
    pub fn of(path: &Path) -> Option<FileId> {
        let meta = std::fs::metadata(path).ok()?;
        Some(FileId {
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }
}

/// Whether a process is pharo-ctl itself (same executable, or a program named pharo-ctl).
pub fn is_pharo_ctl(pid: i32, argv0: &OsString) -> bool {
    static OURS: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();
    let named = Path::new(argv0)
        .file_name()
        .is_some_and(|n| n == "pharo-ctl");
    named || {
        let ours = OURS.get_or_init(|| std::fs::read_link("/proc/self/exe").ok());
        ours.is_some() && std::fs::read_link(format!("/proc/{pid}/exe")).ok() == *ours
    }
}

/// The whole of a file of `/proc`, read without asking its size first (`std::fs::read` does):
/// the kernel makes it up as it is read, and says its size is 0.
pub fn read_proc(path: &str) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut raw = vec![0u8; 4096];
    let mut len = 0;
    loop {
        if len == raw.len() {
            raw.resize(len * 2, 0);
        }
        match file.read(&mut raw[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    raw.truncate(len);
    Ok(raw)
}

/// The arguments of a process; `None` when it is gone or is a zombie (empty command line).
pub fn read_cmdline(pid: i32) -> Option<Vec<OsString>> {
    let raw = read_proc(&format!("/proc/{pid}/cmdline")).ok()?;
    let args = split_cmdline(&raw);
    (!args.is_empty()).then_some(args)
}

pub(crate) fn split_cmdline(raw: &[u8]) -> Vec<OsString> {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    raw.split(|b| *b == 0)
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect()
}

/// The command line of a process as one printable line.
pub fn cmdline_string(pid: i32) -> Option<String> {
    let args = read_cmdline(pid)?;
    Some(
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// The command line a `Command` runs, as the start line shows it: the program and its
/// arguments, separated by spaces.
pub fn command_line(command: &std::process::Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|word| word.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `exited with status 3`, `was killed by SIGSEGV`.
pub fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by {}", signal_name(signal)),
        _ => "ended".to_string(),
    }
}

fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

/// What `/proc/PID/stat` tells of a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub state: char,
    pub ppid: i32,
    /// Its process group.
    pub pgid: i32,
    /// Its session.
    pub sid: i32,
    /// Its start time in clock ticks since boot.
    pub start: u64,
    /// How many threads it has (a zombie counts as one until it is waited for).
    pub threads: u32,
    /// The kernel's flags of its first thread (`PF_*`).
    pub flags: u32,
}

/// The kernel's flag of a task that has begun to exit: its descriptors are being closed.
const PF_EXITING: u32 = 0x4;

impl Stat {
    /// Whether it has ended (a zombie, or dead). The state is its first thread's: a process
    /// whose first thread ended before the others (they may run on, or still be dying of a
    /// SIGKILL) shows as a zombie, yet lives and cannot be waited for until the last is gone.
    pub fn ended(&self) -> bool {
        self.state == 'X' || (self.state == 'Z' && self.threads <= 1)
    }

    /// Whether it has ended or has begun to: killed, it closes its descriptors (its sockets
    /// among them) before it becomes a zombie.
    pub fn exiting(&self) -> bool {
        self.ended() || self.flags & PF_EXITING != 0
    }
}

/// The fields of `/proc/PID/stat`, `None` when the process is gone.
pub fn stat(pid: i32) -> Option<Stat> {
    let mut buffer = [0u8; 1024];
    let n = std::fs::File::open(format!("/proc/{pid}/stat"))
        .and_then(|mut file| std::io::Read::read(&mut file, &mut buffer))
        .ok()?;
    parse_stat(&buffer[..n])
}

/// The fields of a `/proc/PID/stat` line after the command name, from the state on (field 3
/// of proc(5) is the first): the name is in parentheses and may itself hold spaces or
/// parentheses.
pub fn stat_fields(raw: &[u8]) -> Option<std::str::Split<'_, char>> {
    let close = raw.iter().rposition(|&b| b == b')')?;
    Some(std::str::from_utf8(raw.get(close + 2..)?).ok()?.split(' '))
}

fn parse_stat(raw: &[u8]) -> Option<Stat> {
    let mut fields = stat_fields(raw)?;
    let state = fields.next()?.chars().next()?;
    let mut number = |skip: usize| -> Option<i64> { fields.nth(skip)?.parse().ok() };
    let (ppid, pgid, sid) = (number(0)?, number(0)?, number(0)?);
    let flags = number(2)?;
    let (threads, start) = (number(10)?, number(1)?);
    Some(Stat {
        state,
        ppid: i32::try_from(ppid).ok()?,
        pgid: i32::try_from(pgid).ok()?,
        sid: i32::try_from(sid).ok()?,
        start: u64::try_from(start).ok()?,
        threads: u32::try_from(threads).ok()?,
        flags: u32::try_from(flags).ok()?,
    })
}

/// The process table as the scan of an image's VMs reads it: `/proc` itself ([`Proc`]), or
/// the unit tests' fake table.
pub trait Table {
    /// The fields of a process's stat, `None` when it is gone.
    fn stat(&self, pid: i32) -> Option<Stat>;
    /// Its arguments, `None` when it is gone or is a zombie.
    fn cmdline(&self, pid: i32) -> Option<Vec<OsString>>;

    /// Whether the process exists and is not a zombie.
    fn alive(&self, pid: i32) -> bool {
        self.stat(pid).is_some_and(|stat| !stat.ended())
    }

    /// The parent of a process, `None` when it is gone (or has none).
    fn ppid(&self, pid: i32) -> Option<i32> {
        self.stat(pid)
            .map(|stat| stat.ppid)
            .filter(|&ppid| ppid > 0)
    }

    /// Whether process `pid`, whose command line read `args`, is a fork of its parent that
    /// ran no program of its own (then): a subshell of a wrapper script, a VM's forked child.
    /// That command line is its parent's. One reading is judged: the fork may exec at any
    /// moment, and a second reading could pass a test the first would have failed.
    fn is_a_fork(&self, pid: i32, args: &[OsString]) -> bool {
        self.ppid(pid)
            .is_some_and(|parent| self.cmdline(parent).is_some_and(|theirs| theirs == args))
    }
}

/// The live process table, read from `/proc`.
#[derive(Debug, Clone, Copy)]
pub struct Proc;

impl Table for Proc {
    fn stat(&self, pid: i32) -> Option<Stat> {
        stat(pid)
    }

    fn cmdline(&self, pid: i32) -> Option<Vec<OsString>> {
        read_cmdline(pid)
    }
}

/// The parent of a process, `None` when it is gone (or has none).
/// How far up a chain of parents, or down to the VM proper, a process tree is followed.
pub const MAX_DEPTH: usize = 16;

/// The parents of `pid`, nearest first, at most [`MAX_DEPTH`] of them, as `ppid` tells them.
/// Each parent is asked for only when the walk goes on to it.
pub fn ancestors(pid: i32, ppid: impl Fn(i32) -> Option<i32>) -> impl Iterator<Item = i32> {
    let mut at = Some(pid);
    std::iter::from_fn(move || {
        let parent = ppid(at?);
        at = parent;
        parent
    })
    .take(MAX_DEPTH)
}

pub fn ppid(pid: i32) -> Option<i32> {
    Proc.ppid(pid)
}

/// Whether process `pid`, whose command line read `args`, is a fork of its parent that ran
/// no program of its own (then); see [`Table::is_a_fork`].
pub fn is_a_fork(pid: i32, args: &[OsString]) -> bool {
    Proc.is_a_fork(pid, args)
}

/// Every live process and its stat (zombies aside).
pub fn table() -> Vec<(i32, Stat)> {
    all_pids()
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .filter(|(_, stat)| !stat.ended())
        .collect()
}

/// The live processes (zombies aside) whose pids were handed out after `after`, up to `last`
/// (pids are handed out in increasing order, wrapping around at the top).
pub fn table_since(after: i32, last: i32) -> Vec<(i32, Stat)> {
    let since = |pid: i32| {
        if after <= last {
            pid > after && pid <= last
        } else {
            pid > after || pid <= last
        }
    };
    all_pids()
        .filter(|&pid| since(pid))
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .filter(|(_, stat)| !stat.ended())
        .collect()
}

/// The last pid handed out in this PID namespace.
pub fn last_pid() -> Option<i32> {
    std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Every pid in `/proc`.
pub fn all_pids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_are_asked_for_only_as_the_walk_goes_on() {
        let asked = std::cell::RefCell::new(Vec::new());
        let parents = |pid: i32| {
            asked.borrow_mut().push(pid);
            (pid > 1).then_some(pid / 10)
        };
        let mut walk = ancestors(1234, parents);
        assert_eq!(walk.next(), Some(123));
        assert_eq!(walk.next(), Some(12));
        assert_eq!(*asked.borrow(), [1234, 123], "12's parent is not read yet");
        assert_eq!(walk.collect::<Vec<_>>(), [1]);
        let deep: Vec<i32> = ancestors(1, |pid| Some(pid + 1)).collect();
        assert_eq!(deep.len(), MAX_DEPTH);
    }

    #[test]
    fn splits_command_lines() {
        assert_eq!(
            split_cmdline(b"pharo\0--headless\0zinc.image\0"),
            vec!["pharo", "--headless", "zinc.image"]
        );
        assert!(split_cmdline(b"").is_empty());
    }

    #[test]
    fn reads_our_own_stat() {
        let me = stat(std::process::id() as i32).unwrap();
        assert!(me.state == 'R' || me.state == 'S');
        assert!(me.ppid > 0);
        assert_eq!(me.pgid, nix::unistd::getpgrp().as_raw());
        assert_eq!(me.sid, nix::unistd::getsid(None).unwrap().as_raw());
    }

    #[test]
    fn parses_a_stat_whose_name_holds_parentheses() {
        let raw = b"42 (a) b (c) S 7 42 40 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 9876 0 0";
        let stat = parse_stat(raw).unwrap();
        assert_eq!(
            (stat.state, stat.ppid, stat.pgid, stat.sid),
            ('S', 7, 42, 40)
        );
        assert_eq!((stat.start, stat.threads), (9876, 1));
        assert_eq!(stat.flags, 4194560);
        assert!(!stat.exiting());
    }

    #[test]
    fn a_process_that_has_begun_to_exit_is_exiting() {
        // Killed, it runs on in the kernel with PF_EXITING while its descriptors are closed.
        let raw = b"42 (pharo) R 7 42 40 0 -1 4194564 1 0 0 0 0 0 0 0 20 0 1 0 9876 0 0";
        let stat = parse_stat(raw).unwrap();
        assert!(!stat.ended());
        assert!(stat.exiting());
    }

    #[test]
    fn a_zombie_first_thread_with_others_left_has_not_ended() {
        let stat = |state: &str, threads: u32| {
            let raw = format!(
                "42 (pharo) {state} 7 42 40 0 -1 4228108 411 305 0 0 0 0 0 0 20 0 {threads} 0 776966 0 0"
            );
            parse_stat(raw.as_bytes()).unwrap()
        };
        // Its first thread ended, another is still dying of SIGKILL: not yet to be waited for.
        assert_eq!(stat("Z", 2).threads, 2);
        assert!(!stat("Z", 2).ended());
        assert!(stat("Z", 1).ended());
        assert!(stat("X", 1).ended());
        assert!(!stat("S", 3).ended());
    }
}
