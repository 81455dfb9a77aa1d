//! Who counts as an image's VM: one rule for the pid file, the scan of the process table, the
//! process tree and `ps`. A process is the image's VM only when its program is a VM (named
//! like a Pharo or Squeak VM, or the program pharo-ctl would run, including a script run
//! through its interpreter) and its command line names the image.
//!
//! The scan reads only `/proc/PID/cmdline`, and only looks further at processes whose command
//! line mentions the image's file name, so it costs about what `pgrep -f` costs. Of what it
//! finds, a wrapper and the VM it started count once ([`one_per_tree`]).

use crate::process::{
    FileId, Stat, Table, all_pids, is_pharo_ctl, ppid, read_cmdline, read_proc, split_cmdline,
};
use std::collections::HashSet;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

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
            Some(args) => self.identify_args(pid, &args),
            None => Identity::Other,
        }
    }

    /// [`ImageMatcher::identify`] on a command line already read (`args`): tests that must
    /// agree on one process judge one reading of its command line, which may change at any
    /// moment (an exec).
    pub fn identify_args(&self, pid: i32, args: &[OsString]) -> Identity {
        if is_vm(pid, args, || self.vm.into_iter().collect()) {
            self.identify_cmdline(pid, args)
        } else {
            Identity::Other
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
/// (its `argv[0]` or its executable), or one of the VMs `vms` answers (those pharo-ctl would
/// run; asked only when the name does not tell). A script run through its interpreter (`python3
/// SCRIPT`, `bash SCRIPT`, how the kernel runs a `#!` script) is judged by the script. Tools
/// that merely name an image file (`tail -f zinc.image`, `cp`, an editor) are not VMs.
pub fn is_vm(pid: i32, args: &[OsString], vms: impl FnOnce() -> Vec<FileId>) -> bool {
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
    let vms = vms();
    if vms.is_empty() {
        return false;
    }
    let is_one = |id: Option<FileId>| id.is_some_and(|id| vms.contains(&id));
    let exe_is_vm = || is_one(FileId::of(Path::new(&format!("/proc/{pid}/exe"))));
    let script_is_vm = || {
        script.is_some_and(|script| {
            let path = if script.is_absolute() {
                Some(script.to_path_buf())
            } else {
                std::fs::read_link(format!("/proc/{pid}/cwd"))
                    .ok()
                    .map(|cwd| cwd.join(script))
            };
            is_one(path.and_then(|p| FileId::of(&p)))
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

/// All live VMs whose command line names the image, pharo-ctl and its ancestors aside, with
/// the command line each was judged by. A VM whose working directory cannot be read is passed
/// over when it names the image by a relative path (it may be another user's image of the
/// same name); `unknown` hears of it.
pub fn scan(
    matcher: &ImageMatcher,
    mut unknown: impl FnMut(i32, &str),
) -> Vec<(i32, Vec<OsString>)> {
    let excluded = self_and_ancestors();
    let mut found: Vec<(i32, Vec<OsString>)> = all_pids()
        .filter(|pid| !excluded.contains(pid))
        .filter_map(|pid| {
            let raw = read_proc(&format!("/proc/{pid}/cmdline")).ok()?;
            if !matcher.mentioned_in(&raw) {
                return None;
            }
            let args = split_cmdline(&raw);
            match matcher.identify_args(pid, &args) {
                Identity::Runs => Some((pid, args)),
                Identity::Other => None,
                Identity::Unknown(why) => {
                    unknown(pid, &why);
                    None
                }
            }
        })
        .collect();
    found.sort_unstable_by_key(|(pid, _)| *pid);
    found
}

/// Of the VMs a scan found, one per process tree: a fork of a candidate (a wrapper's
/// subshell) is none, a candidate above another is that one's wrapper, and a session made for
/// a VM (its leader is a candidate, or gone) holds one instance, whose VM proper is the
/// earliest started (others are forks of it).
pub fn one_per_tree(table: &impl Table, candidates: &[(i32, Vec<OsString>)]) -> Vec<i32> {
    let candidates: Vec<i32> = candidates
        .iter()
        .filter(|(pid, args)| !table.is_a_fork(*pid, args))
        .map(|(pid, _)| *pid)
        .collect();
    let all: HashSet<i32> = candidates.iter().copied().collect();
    let mut wrappers = HashSet::new();
    for &pid in &candidates {
        for parent in crate::process::ancestors(pid, |p| table.ppid(p)) {
            if all.contains(&parent) {
                wrappers.insert(parent);
            }
        }
    }
    let mut kept: Vec<(i32, Stat)> = candidates
        .iter()
        .filter(|pid| !wrappers.contains(pid))
        .filter_map(|&pid| Some((pid, table.stat(pid)?)))
        .collect();
    kept.sort_by_key(|&(pid, stat)| (stat.start, pid));
    let mut sessions = HashSet::new();
    kept.retain(|(_, stat)| {
        let made_for_a_vm =
            stat.sid > 0 && (all.contains(&stat.sid) || table.stat(stat.sid).is_none());
        !made_for_a_vm || sessions.insert(stat.sid)
    });
    let mut pids: Vec<i32> = kept.into_iter().map(|(pid, _)| pid).collect();
    pids.sort_unstable();
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

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
