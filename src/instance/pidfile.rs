//! The pid file: the decimal pid and a newline, the format of systemd's `PIDFile=` and
//! pharo-ctl.sh. Written atomically (a temporary file renamed over it, never through a
//! symlink); trusted only as start-stop-daemon trusts one.

use crate::error::Fail;
use crate::exit_code::Code;
use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What a pid file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PidFile {
    /// There is no pid file.
    Missing,
    /// It names this pid.
    Pid(i32),
    /// It holds something that is not a pid (a stale leftover).
    Garbage,
}

/// Reads a pid file, refusing one that is not to be trusted: a symlink, one that is
/// world-writable, or (when we are root) one owned by another non-root user.
pub fn read(path: &Path) -> Result<PidFile> {
    let cannot_read = |e: std::io::Error| -> anyhow::Error {
        let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
            let owner = std::fs::symlink_metadata(path).map_or_else(
                |_| "its owner".to_string(),
                |m| format!("its owner (uid {})", m.uid()),
            );
            format!("; run as {owner}, the user the instance runs as, or as root")
        } else {
            String::new()
        };
        Fail::new(
            Code::Unknown,
            format!(
                "cannot read the pid file {}: {}{hint}",
                path.display(),
                crate::error::reason(&e)
            ),
        )
        .into()
    };
    let untrusted = |why: &str| -> Result<PidFile> {
        Err(Fail::new(
            Code::Unknown,
            format!(
                "not trusting the pid file {}: it {why}; remove it or fix its owner and mode",
                path.display()
            ),
        )
        .into())
    };
    // Opened once, and judged by what was opened: a file renamed over it or removed meanwhile
    // (a start or a stop beside this one) cannot be judged by one and read from another.
    // O_NOFOLLOW refuses a symlink, O_NONBLOCK keeps a FIFO from blocking the open.
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PidFile::Missing),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return untrusted("is a symlink"),
        Err(e) => return Err(cannot_read(e)),
    };
    let meta = file.metadata().map_err(cannot_read)?;
    if !meta.is_file() {
        return untrusted("is not a regular file");
    }
    if meta.mode() & 0o002 != 0 {
        return untrusted("is world-writable");
    }
    // As start-stop-daemon: root does not act on a pid file another user could have written.
    if nix::unistd::geteuid().is_root() && meta.uid() != 0 {
        let uid = nix::unistd::Uid::from_raw(meta.uid());
        let user = nix::unistd::User::from_uid(uid)
            .ok()
            .flatten()
            .map_or_else(|| format!("uid {uid}"), |u| u.name);
        return Err(Fail::new(
            Code::Unknown,
            format!(
                "not trusting the pid file {} as root: it is owned by {user}; run pharo-ctl as that user (`sudo -u {user} pharo-ctl …`), or remove the file",
                path.display()
            ),
        )
        .into());
    }
    // A pid and a newline are a few bytes; more is garbage, read no further.
    let mut head = Vec::with_capacity(MAX_LEN);
    file.take(MAX_LEN as u64)
        .read_to_end(&mut head)
        .map_err(cannot_read)?;
    Ok(parse(&head))
}

/// The most a pid file is read: a pid, a newline, and room for stray blanks.
const MAX_LEN: usize = 64;

/// Judges a pid file's bytes: a decimal pid above 1 with blanks around it; anything else
/// (nothing, text, binary, a sign, zero, one, a number no pid can be) is garbage.
fn parse(raw: &[u8]) -> PidFile {
    let digits = raw.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return PidFile::Garbage;
    }
    match std::str::from_utf8(digits).map(str::parse::<i32>) {
        Ok(Ok(pid)) if pid > 1 => PidFile::Pid(pid),
        _ => PidFile::Garbage,
    }
}

/// Writes `pid` and a newline to `path` atomically: see [`write_atomically`].
pub fn write(path: &Path, pid: i32) -> Result<()> {
    write_atomically(path, &format!("{pid}\n"))
        .with_context(|| format!("cannot write the pid file {}", path.display()))
}

/// Makes the pid file name `pid` instead of `was`, and answers whether it did: a pid file
/// that no longer names `was` (a stop beside the start removed it, or another start replaced
/// it) is left as it is, never written again.
pub fn replace(path: &Path, was: i32, pid: i32) -> Result<bool> {
    match read(path) {
        Ok(PidFile::Pid(p)) if p == was => write(path, pid).map(|()| true),
        _ => Ok(false),
    }
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over `path` (rename replaces a symlink, never follows it).
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "pid".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(temp_name(&name, std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// The temporary file a writer with pid `pid` renames over the pid file `name`.
fn temp_name(name: &str, pid: u32) -> String {
    format!(".{name}.{pid}.tmp")
}

/// Removes the temporary files that writers of the pid file left when they were killed
/// mid-write (`.NAME.pid.PID.tmp` whose PID is no live pharo-ctl). Best effort: a file that
/// cannot be removed is left for the owner of the directory.
pub fn clean_temp_files(path: &Path) {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(writer) = file
            .to_str()
            .and_then(|f| f.strip_prefix(&prefix)?.strip_suffix(".tmp"))
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let writing = crate::process::read_cmdline(writer as i32)
            .is_some_and(|args| crate::process::is_pharo_ctl(writer as i32, &args[0]));
        if !writing && file.to_str() == Some(&temp_name(&name, writer)) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Removes the pid file if it still names one of `pids` (the VM proper, or the wrapper above
/// it), or a process that has ended: a start beside the stop may have rewritten it for a
/// process of the tree just stopped. One naming a live process another start wrote is kept.
pub fn remove_if_names(path: &Path, pids: &[i32]) -> Result<bool> {
    let ended = |pid: i32| crate::process::stat(pid).is_none_or(|stat| stat.ended());
    match read(path) {
        Ok(PidFile::Pid(p)) if pids.contains(&p) || ended(p) => remove(path).map(|()| true),
        _ => Ok(false),
    }
}

/// Removes the other pid files (`*.pid`) beside `path` that name one of `pids`, processes of
/// a tree just stopped that have ended: a pid file pharo-ctl.sh's order wrote (`SCRIPT.pid`)
/// for the VM that a stop by NAME found in the process table. Answers the files removed.
pub fn remove_others_naming(path: &Path, pids: &[i32]) -> Result<Vec<PathBuf>> {
    let ended = |pid: i32| crate::process::stat(pid).is_none_or(|stat| stat.ended());
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut removed = Vec::new();
    for entry in entries.flatten() {
        let other = entry.path();
        if other.extension().is_none_or(|e| e != "pid")
            || other.file_name() == path.file_name()
            || !entry.file_type().is_ok_and(|t| t.is_file())
        {
            continue;
        }
        if let Ok(PidFile::Pid(p)) = read(&other)
            && pids.contains(&p)
            && ended(p)
        {
            remove(&other)?;
            removed.push(other);
        }
    }
    removed.sort();
    Ok(removed)
}

/// Removes the pid file, and with it the record of an unanswered REPL ([`crate::instance::hung`]): the
/// instance has stopped. A missing one is fine.
pub fn remove(path: &Path) -> Result<()> {
    crate::instance::hung::clear(path);
    match std::fs::remove_file(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => {
            let code = if e.kind() == std::io::ErrorKind::PermissionDenied {
                Code::Unknown
            } else {
                Code::Failure
            };
            Err(Fail::new(
                code,
                format!(
                    "cannot remove the pid file {}: {e}; remove it as the owner of its directory (meanwhile it names no running VM, so it counts as stale)",
                    path.display()
                ),
            )
            .into())
        }
        Ok(()) => Ok(()),
    }
}

/// The lock file that serialises starts of one instance: the pid file's path plus `.lock`.
pub fn lock_path(pid_file: &Path) -> PathBuf {
    let mut name = pid_file.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pids() {
        assert_eq!(parse(b"1234\n"), PidFile::Pid(1234));
        assert_eq!(parse(b" 77 \r\n"), PidFile::Pid(77));
        for garbage in [
            &b"1\n"[..],
            b"0",
            b"-5",
            b"+5",
            b"zinc",
            b"",
            b"\n",
            b"12 34",
            b"99999999999999999999",
            b"2147483648",
            b"\xff\xfe4\x00",
            "\u{0663}\u{0664}".as_bytes(),
        ] {
            assert_eq!(parse(garbage), PidFile::Garbage, "{garbage:?}");
        }
    }

    #[test]
    fn a_binary_or_huge_pid_file_is_garbage_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("zinc.pid");
        std::fs::write(&pid_file, b"\xff\xfe\x00\x80binary").unwrap();
        assert_eq!(read(&pid_file).unwrap(), PidFile::Garbage);
        std::fs::write(&pid_file, "4242".repeat(100_000)).unwrap();
        assert_eq!(read(&pid_file).unwrap(), PidFile::Garbage);
    }

    #[test]
    fn a_pid_file_is_replaced_only_while_it_names_what_it_did() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("zinc.pid");
        write(&pid_file, 100).unwrap();
        assert!(replace(&pid_file, 100, 104).unwrap());
        assert_eq!(read(&pid_file).unwrap(), PidFile::Pid(104));
        // Another start replaced it meanwhile: left as it is.
        assert!(!replace(&pid_file, 100, 108).unwrap());
        assert_eq!(read(&pid_file).unwrap(), PidFile::Pid(104));
        // A stop beside the start removed it: not written again.
        remove(&pid_file).unwrap();
        assert!(!replace(&pid_file, 104, 108).unwrap());
        assert!(!pid_file.exists());
    }

    #[test]
    fn after_a_stop_a_pid_file_naming_an_ended_process_goes_and_a_live_one_stays() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("zinc.pid");
        // A live process another start wrote: kept.
        write(&pid_file, std::process::id() as i32).unwrap();
        assert!(!remove_if_names(&pid_file, &[100, 104]).unwrap());
        assert!(pid_file.exists());
        // A process that has ended (a child, reaped): removed.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id() as i32;
        child.wait().unwrap();
        write(&pid_file, gone).unwrap();
        assert!(remove_if_names(&pid_file, &[100, 104]).unwrap());
        assert!(!pid_file.exists());
    }

    #[test]
    fn temporary_files_of_dead_writers_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("zinc.pid");
        // A writer that is gone: a child that has been reaped.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let left = dir.path().join(temp_name("zinc.pid", dead));
        let other = dir.path().join(temp_name("seaside.pid", dead));
        let unrelated = dir.path().join(".zinc.pid.notes.tmp");
        for file in [&left, &other, &unrelated] {
            std::fs::write(file, "1\n").unwrap();
        }
        clean_temp_files(&pid_file);
        assert!(!left.exists());
        assert!(other.exists() && unrelated.exists());
    }

    #[test]
    fn writes_atomically_and_replaces_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "precious").unwrap();
        let pid_file = dir.path().join("zinc.pid");
        std::os::unix::fs::symlink(&target, &pid_file).unwrap();
        write(&pid_file, 4242).unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&pid_file).unwrap(), "4242\n");
        assert_eq!(read(&pid_file).unwrap(), PidFile::Pid(4242));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }
}
