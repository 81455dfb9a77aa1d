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

    /// Whether process `pid` runs this image: one of its arguments (not its program) names
    /// the image file, resolved against the process's working directory, and the process is
    /// not a pharo-ctl. This is the identity check of a pid file.
    pub fn identify(&self, pid: i32) -> Identity {
        match read_cmdline(pid) {
            Some(args) => self.identify_cmdline(pid, &args),
            None => Identity::Other,
        }
    }

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

/// Whether the program of process `pid` is a VM: one [`looks_like_a_vm`], or the VM `vm`
/// answers (the one pharo-ctl would run; asked only when the name does not tell).
pub fn is_vm(pid: i32, argv0: &OsString, vm: impl FnOnce() -> Option<FileId>) -> bool {
    looks_like_a_vm(pid, argv0)
        || vm().is_some_and(|vm| FileId::of(Path::new(&format!("/proc/{pid}/exe"))) == Some(vm))
}

/// Whether a process's program is named like a Pharo VM (`pharo`, `Pharo`, `pharo-vm`, a
/// Squeak VM…): its argv[0] or its executable. Tools that merely name an image file (`tail -f
/// zinc.image`, `cp`, an editor) are not VMs.
pub fn looks_like_a_vm(pid: i32, argv0: &OsString) -> bool {
    let vm_like = |path: &Path| {
        path.file_name().is_some_and(|name| {
            let name = name.to_string_lossy().to_lowercase();
            name.contains("pharo") || name.contains("squeak")
        })
    };
    vm_like(Path::new(argv0))
        || std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| vm_like(&exe))
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

/// Fields of `/proc/PID/stat` after the command name: (state, ppid, start time in clock ticks).
pub fn stat(pid: i32) -> Option<(char, i32, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may itself hold spaces or parentheses.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let state = fields.first()?.chars().next()?;
    let ppid = fields.get(1)?.parse().ok()?;
    let start = fields.get(19)?.parse().ok()?;
    Some((state, ppid, start))
}

/// Whether the process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|(state, _, _)| state != 'Z' && state != 'X')
}

/// pharo-ctl's own pid and those of all its ancestors: never candidates of a scan.
fn self_and_ancestors() -> HashSet<i32> {
    let mut set = HashSet::new();
    let mut pid = std::process::id() as i32;
    while pid > 0 && set.insert(pid) {
        pid = match stat(pid) {
            Some((_, ppid, _)) => ppid,
            None => break,
        };
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
            if args.is_empty() || !is_vm(pid, &args[0], || matcher.vm) {
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
        let (state, ppid, _) = stat(std::process::id() as i32).unwrap();
        assert!(state == 'R' || state == 'S');
        assert!(ppid > 0);
    }
}
