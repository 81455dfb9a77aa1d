//! Facts about processes from `/proc`: command lines, identity ("is this the VM of that
//! image?"), and the scan of the process table.
//!
//! The scan reads only `/proc/PID/cmdline`, and only looks further at processes whose command
//! line mentions the image's file name, so it costs about what `pgrep -f` costs.

use std::collections::HashSet;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

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

/// What identifies an image's VM in the process table.
#[derive(Debug, Clone)]
pub struct ImageMatcher {
    path: PathBuf,
    file_name: Vec<u8>,
    id: Option<FileId>,
    /// The VM pharo-ctl would run for this instance, when there is one.
    vm: Option<FileId>,
}

/// Whether a process runs an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// One of its arguments names the image file.
    Runs,
    /// None of its arguments names the image file (or it is gone, or a pharo-ctl).
    Other,
    /// An argument names a file of the image's name by a relative path, and the process's
    /// working directory cannot be read: whether it is the same file cannot be told.
    Unknown(String),
}

impl ImageMatcher {
    pub fn new(image: &Path, vm: Option<&Path>) -> ImageMatcher {
        ImageMatcher {
            path: image.to_path_buf(),
            file_name: image
                .file_name()
                .map(|n| n.as_bytes().to_vec())
                .unwrap_or_default(),
            id: FileId::of(image),
            vm: vm.and_then(FileId::of),
        }
    }

    /// Whether process `pid` is this image's VM: its program is a VM ([`is_vm`]) and one of
    /// its arguments (not its program) names the image file, resolved against the process's
    /// working directory. The one rule of the pid file, the scan and the process tree.
    pub fn identify(&self, pid: i32) -> Identity {
        match read_cmdline(pid) {
            Some(args) if is_vm(pid, &args, || self.vm) => self.identify_cmdline(pid, &args),
            _ => Identity::Other,
        }
    }

    /// Whether the command line of process `pid` names the image (its program aside).
    fn identify_cmdline(&self, pid: i32, args: &[OsString]) -> Identity {
        if args.is_empty() || is_pharo_ctl(pid, &args[0]) {
            return Identity::Other;
        }
        let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"));
        let mut unknown = None;
        for arg in &args[1..] {
            let arg = Path::new(arg);
            if arg.file_name().map(OsStrExt::as_bytes) != Some(&self.file_name[..]) {
                continue;
            }
            let path = match (&cwd, arg.is_absolute()) {
                (_, true) => arg.to_path_buf(),
                (Ok(cwd), false) => cwd.join(arg),
                (Err(e), false) => {
                    unknown = Some(format!(
                        "it names {} by a relative path and its working directory cannot be read ({e})",
                        arg.display()
                    ));
                    continue;
                }
            };
            let same = match self.id {
                Some(id) => FileId::of(&path) == Some(id),
                None => path == self.path,
            };
            if same {
                return Identity::Runs;
            }
        }
        unknown.map_or(Identity::Other, Identity::Unknown)
    }

    /// A cheap first test on a raw command line: does it mention the image's file name?
    fn mentioned_in(&self, raw: &[u8]) -> bool {
        !self.file_name.is_empty()
            && raw
                .windows(self.file_name.len())
                .any(|w| w == &self.file_name[..])
    }
}

/// Whether the program of process `pid` (command line `args`) is a VM: one named like a VM
/// (its argv[0] or its executable), or the VM `vm` answers (the one pharo-ctl would run; asked
/// only when the name does not tell). A script run through its interpreter (`python3
/// SCRIPT`, `bash SCRIPT`, how the kernel runs a `#!` script) is judged by the script. Tools
/// that merely name an image file (`tail -f zinc.image`, `cp`, an editor) are not VMs.
pub fn is_vm(pid: i32, args: &[OsString], vm: impl FnOnce() -> Option<FileId>) -> bool {
    let Some(argv0) = args.first() else {
        return false;
    };
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    let script = interpreted_script(args, exe.as_deref());
    if [Some(Path::new(argv0)), exe.as_deref(), script]
        .into_iter()
        .flatten()
        .any(vm_like)
    {
        return true;
    }
    let Some(vm) = vm() else {
        return false;
    };
    let exe_is_vm = || FileId::of(Path::new(&format!("/proc/{pid}/exe"))) == Some(vm);
    let script_is_vm = || {
        script.is_some_and(|script| {
            let path = if script.is_absolute() {
                Some(script.to_path_buf())
            } else {
                std::fs::read_link(format!("/proc/{pid}/cwd"))
                    .ok()
                    .map(|cwd| cwd.join(script))
            };
            path.and_then(|p| FileId::of(&p)) == Some(vm)
        })
    };
    exe_is_vm() || script_is_vm()
}

/// Whether a program's file name is a VM's: `pharo`, `Pharo`, `pharo-vm`, a Squeak VM…
fn vm_like(path: &Path) -> bool {
    path.file_name().is_some_and(|name| {
        let name = name.to_string_lossy().to_lowercase();
        name.contains("pharo") || name.contains("squeak")
    })
}

/// Interpreters that run a script named on their command line, as the kernel runs a `#!`
/// script (`INTERPRETER [OPTIONS] SCRIPT ARGS`); version suffixes aside (`python3.12`).
const INTERPRETERS: [&str; 14] = [
    "sh", "bash", "dash", "ash", "ksh", "mksh", "zsh", "env", "python", "perl", "ruby", "node",
    "lua", "tclsh",
];

/// Whether a program is an interpreter of [`INTERPRETERS`].
fn is_interpreter(program: &Path) -> bool {
    program.file_name().is_some_and(|name| {
        let name = name.to_string_lossy();
        let bare = name.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
        INTERPRETERS.contains(&bare)
    })
}

/// The script an interpreter runs: its first argument that is not an option, when the
/// process's executable (or, where that cannot be read, its argv[0]) is an interpreter. `env`
/// (`#!/usr/bin/env python3`, before it execs the interpreter) runs the script after the
/// interpreter's name and the variables it sets.
fn interpreted_script<'a>(args: &'a [OsString], exe: Option<&Path>) -> Option<&'a Path> {
    let program = exe.unwrap_or(Path::new(args.first()?));
    if !is_interpreter(program) {
        return None;
    }
    let mut operands = args[1..]
        .iter()
        .filter(|arg| !arg.as_bytes().starts_with(b"-"));
    if program.file_name().is_some_and(|name| name == "env") {
        operands
            .by_ref()
            .find(|arg| !arg.as_bytes().contains(&b'='))?;
    }
    operands.next().map(Path::new)
}

/// Whether process `pid` runs a script through an interpreter (a wrapper, or a VM that is a
/// script), rather than a compiled program.
pub fn runs_a_script(pid: i32, args: &[OsString]) -> bool {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
    interpreted_script(args, exe.as_deref()).is_some()
}

/// Whether a process is pharo-ctl itself (same executable, or a program named pharo-ctl).
pub fn is_pharo_ctl(pid: i32, argv0: &OsString) -> bool {
    let named = Path::new(argv0)
        .file_name()
        .is_some_and(|n| n == "pharo-ctl");
    named || {
        let ours = std::fs::read_link("/proc/self/exe").ok();
        ours.is_some() && std::fs::read_link(format!("/proc/{pid}/exe")).ok() == ours
    }
}

/// The arguments of a process; `None` when it is gone or is a zombie (empty command line).
pub fn read_cmdline(pid: i32) -> Option<Vec<OsString>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args = split_cmdline(&raw);
    (!args.is_empty()).then_some(args)
}

fn split_cmdline(raw: &[u8]) -> Vec<OsString> {
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
}

impl Stat {
    /// Whether it has ended (a zombie, or dead).
    pub fn ended(&self) -> bool {
        self.state == 'Z' || self.state == 'X'
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

fn parse_stat(raw: &[u8]) -> Option<Stat> {
    // The command name is in parentheses and may itself hold spaces or parentheses.
    let close = raw.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(raw.get(close + 2..)?).ok()?;
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    let mut number = |skip: usize| -> Option<i64> { fields.nth(skip)?.parse().ok() };
    let (ppid, pgid, sid) = (number(0)?, number(0)?, number(0)?);
    let start = number(15)?;
    Some(Stat {
        state,
        ppid: i32::try_from(ppid).ok()?,
        pgid: i32::try_from(pgid).ok()?,
        sid: i32::try_from(sid).ok()?,
        start: u64::try_from(start).ok()?,
    })
}

/// Whether the process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|stat| !stat.ended())
}

/// The parent of a process, `None` when it is gone (or has none).
pub fn ppid(pid: i32) -> Option<i32> {
    stat(pid).map(|stat| stat.ppid).filter(|&ppid| ppid > 0)
}

/// pharo-ctl's own pid and those of all its ancestors: never candidates of a scan.
fn self_and_ancestors() -> HashSet<i32> {
    let mut set = HashSet::new();
    let mut pid = Some(std::process::id() as i32);
    while let Some(p) = pid
        && set.insert(p)
    {
        pid = ppid(p);
    }
    set
}

/// All live VMs whose command line names the image, pharo-ctl and its ancestors aside. A VM
/// whose working directory cannot be read is passed over when it names the image by a
/// relative path (it may be another user's image of the same name); `unknown` hears of it.
pub fn scan(matcher: &ImageMatcher, mut unknown: impl FnMut(i32, &str)) -> Vec<i32> {
    let excluded = self_and_ancestors();
    let mut found: Vec<i32> = all_pids()
        .filter(|pid| !excluded.contains(pid))
        .filter(|&pid| {
            let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                return false;
            };
            if !matcher.mentioned_in(&raw) {
                return false;
            }
            let args = split_cmdline(&raw);
            if !is_vm(pid, &args, || matcher.vm) {
                return false;
            }
            match matcher.identify_cmdline(pid, &args) {
                Identity::Runs => true,
                Identity::Other => false,
                Identity::Unknown(why) => {
                    unknown(pid, &why);
                    false
                }
            }
        })
        .collect();
    found.sort_unstable();
    found
}

/// Every live process and its stat (zombies aside).
pub fn table() -> Vec<(i32, Stat)> {
    all_pids()
        .filter_map(|pid| Some((pid, stat(pid)?)))
        .filter(|(_, stat)| !stat.ended())
        .collect()
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
        assert_eq!(stat.start, 9876);
    }

    #[test]
    fn finds_the_script_an_interpreter_runs() {
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();
        let python = Path::new("/usr/bin/python3.12");
        let script = |a: &[&str], exe| interpreted_script(&args(a), exe).map(Path::to_path_buf);
        assert_eq!(
            script(&["python3", "-u", "/srv/vm", "zinc.image"], Some(python)),
            Some("/srv/vm".into())
        );
        assert_eq!(
            script(&["/bin/bash", "./pharo", "--headless"], None),
            Some("./pharo".into())
        );
        assert_eq!(
            script(
                &[
                    "/usr/bin/env",
                    "-S",
                    "A=1",
                    "python3",
                    "-u",
                    "./vm",
                    "zinc.image"
                ],
                Some(Path::new("/usr/bin/env"))
            ),
            Some("./vm".into())
        );
        assert_eq!(script(&["tail", "-f", "zinc.image"], None), None);
        assert_eq!(
            script(&["/srv/pharo", "zinc.image"], Some(Path::new("/srv/pharo"))),
            None
        );
    }
}
