//! The instance's files as a start needs them, checked before anything starts or stops:
//! the pid file's directory and the log may be written, and the start lock (`NAME.pid.lock`)
//! that makes concurrent starts of one instance yield one VM.

use crate::error::Fail;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::pidfile;
use anyhow::Result;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Checks, before anything is started or stopped, that the pid file and the log can be
/// written: exit 4 when we may not (with what to do), 6 when a directory is missing.
/// Both are checked, and both problems said at once (on one line).
pub fn check_writable(instance: &Instance) -> Result<()> {
    let pid_file = check_pid_file_writable(instance);
    let log = &instance.log_file;
    let log = if log.exists() {
        check_access(log, log, "log file", "--log-file", "its owner")
    } else {
        check_access(
            log,
            parent(log),
            "log file",
            "--log-file",
            "the directory's owner",
        )
    };
    match (pid_file, log) {
        (Err(first), Err(second)) => {
            let code = crate::error::code_of(&first);
            Err(Fail::new(code, format!("{first:#}; and {second:#}")).into())
        }
        (pid_file, log) => pid_file.and(log),
    }
}

/// Checks that the pid file can be written (`run` has no log file of its own).
pub fn check_pid_file_writable(instance: &Instance) -> Result<()> {
    // The pid file is written as a temporary file renamed over it: its directory must be
    // writable, whoever owns the file.
    check_access(
        &instance.pid_file,
        parent(&instance.pid_file),
        "pid file",
        "--pid-file",
        "the directory's owner",
    )
}

/// The directory a file is in (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Checks that `target` (the file itself, or its directory) is writable by our effective user.
fn check_access(file: &Path, target: &Path, what: &str, option: &str, owner: &str) -> Result<()> {
    use nix::unistd::AccessFlags;
    let access = if target.is_dir() {
        AccessFlags::W_OK | AccessFlags::X_OK
    } else {
        AccessFlags::W_OK
    };
    match nix::unistd::eaccess(target, access) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::ENOENT | nix::errno::Errno::ENOTDIR) => Err(Fail::new(
            Code::NotConfigured,
            format!(
                "cannot write the {what} {}: its directory {} does not exist; create it or pass {option}",
                file.display(),
                target.display()
            ),
        )
        .into()),
        Err(errno) => {
            use std::os::unix::fs::MetadataExt;
            let ours = target
                .metadata()
                .is_ok_and(|m| m.uid() == nix::unistd::geteuid().as_raw());
            let remedy = if errno == nix::errno::Errno::EROFS {
                format!("pass {option}")
            } else if ours {
                // Its owner, without write permission: running as the owner changes nothing.
                format!(
                    "it is yours but not writable: chmod u+w {}, or pass {option}",
                    target.display()
                )
            } else {
                format!("run as {owner} or pass {option}")
            };
            Err(Fail::new(
                Code::Unknown,
                format!(
                    "cannot write the {what} {}: {}; {remedy}",
                    file.display(),
                    errno.desc()
                ),
            )
            .into())
        }
    }
}

/// Whether an error opening a file says that we may not (rather than that it is missing).
fn is_denied(error: &std::io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(libc::EACCES | libc::EPERM | libc::EROFS)
    )
}

/// Takes the instance's start lock, waiting for a concurrent start to finish.
pub fn lock(pid_file: &Path) -> Result<nix::fcntl::Flock<File>> {
    let path = pidfile::lock_path(pid_file);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path)
        .map_err(|e| {
            if is_denied(&e) {
                Fail::new(
                    Code::Unknown,
                    format!(
                        "cannot open the start lock {}: {}; run as its owner (the user the instance runs as) or pass --pid-file",
                        path.display(),
                        crate::error::reason(&e)
                    ),
                )
            } else {
                Fail::new(
                    Code::Failure,
                    format!(
                        "cannot open the start lock {}: {e}; check its directory or pass --pid-file",
                        path.display()
                    ),
                )
            }
        })?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
        .map_err(|(_, errno)| anyhow::anyhow!("cannot lock {}: {errno}", path.display()))
}

/// Opens the log for appending (the VM's stdout and stderr).
pub fn open_log(path: &Path) -> Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o640)
        .open(path)
        .map_err(|e| {
            let (code, what) = if is_denied(&e) {
                (Code::Unknown, "run as its owner or pass --log-file")
            } else {
                (Code::NotConfigured, "fix its directory or pass --log-file")
            };
            Fail::new(
                code,
                format!(
                    "cannot open the log file {}: {}; {what}",
                    path.display(),
                    crate::error::reason(&e)
                ),
            )
            .into()
        })
}
