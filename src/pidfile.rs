//! The pid file: the decimal pid and a newline, the format of systemd's `PIDFile=` and
//! pharo-ctl.sh. Written atomically (a temporary file renamed over it, never through a
//! symlink); trusted only as start-stop-daemon trusts one.

use crate::error::Fail;
use crate::exit_code::Code;
use anyhow::{Context, Result};
use std::io::Write;
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
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(PidFile::Missing),
        Err(e) => {
            return Err(Fail::new(
                Code::Unknown,
                format!("cannot read the pid file {}: {e}", path.display()),
            )
            .into());
        }
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
    if meta.file_type().is_symlink() {
        return untrusted("is a symlink");
    }
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
    let text = std::fs::read_to_string(path).map_err(|e| {
        Fail::new(
            Code::Unknown,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    Ok(parse(&text))
}

fn parse(text: &str) -> PidFile {
    match text.trim().parse::<i32>() {
        Ok(pid) if pid > 1 => PidFile::Pid(pid),
        _ => PidFile::Garbage,
    }
}

/// Writes `pid` and a newline to `path` atomically: see [`write_atomically`].
pub fn write(path: &Path, pid: i32) -> Result<()> {
    write_atomically(path, &format!("{pid}\n"))
        .with_context(|| format!("cannot write the pid file {}", path.display()))
}

/// Writes `text` to `path` atomically: a temporary file in the same directory, flushed to
/// disk, then renamed over `path` (rename replaces a symlink, never follows it).
pub fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "pid".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
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

/// Removes the pid file if it still names `pid` (another start may have replaced it).
pub fn remove_if_names(path: &Path, pid: i32) -> Result<bool> {
    match read(path) {
        Ok(PidFile::Pid(p)) if p == pid => remove(path).map(|()| true),
        _ => Ok(false),
    }
}

/// Removes the pid file, and with it the record of an unanswered REPL ([`crate::hung`]): the
/// instance has stopped. A missing one is fine.
pub fn remove(path: &Path) -> Result<()> {
    crate::hung::clear(path);
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
        assert_eq!(parse("1234\n"), PidFile::Pid(1234));
        assert_eq!(parse(" 77 "), PidFile::Pid(77));
        assert_eq!(parse("1\n"), PidFile::Garbage);
        assert_eq!(parse("-5"), PidFile::Garbage);
        assert_eq!(parse("zinc"), PidFile::Garbage);
        assert_eq!(parse(""), PidFile::Garbage);
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
