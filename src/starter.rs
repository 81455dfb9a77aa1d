//! Starting a VM in the background: one at a time per instance (a `flock`), in its own
//! session, stdin from /dev/null, output appended to the log, the pid file written
//! atomically, and a start that counts only once the VM stayed up (`--settle`) or its REPL
//! answers (`--wait`). A failed start leaves neither a pid file nor a VM behind.

use crate::cli::StartArgs;
use crate::context::Context;
use crate::duration::{self, human};
use crate::error::Fail;
use crate::exit_code::Code;
use crate::finder::{self, Found};
use crate::handle::{ProcessHandle, Wait};
use crate::instance::Instance;
use crate::output::{self, Spinner};
use crate::pidfile;
use crate::repl::Repl;
use crate::stopper;
use anyhow::{Context as _, Result};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How many lines of the log a failed start shows.
const LOG_TAIL: usize = 10;

/// Starts the instance unless it already runs.
pub fn start(ctx: &Context, instance: &Instance, args: &StartArgs) -> Result<Code> {
    instance.check_files()?;
    let vm = instance.vm()?;
    let repl = if args.wait {
        Some(ctx.repl(Some(instance))?)
    } else {
        None
    };
    check_writable(instance)?;
    let _lock = lock(&instance.pid_file)?;
    match finder::find(instance)? {
        Found::Running { handle, .. } => {
            output::step(format!(
                "{} is already running (pid {})",
                instance.name,
                handle.pid()
            ));
            return Ok(Code::Success);
        }
        Found::Stale(_) => {
            pidfile::remove(&instance.pid_file)?;
            output::step(format!(
                "{}: removed the stale pid file {}",
                instance.name,
                instance.pid_file.display()
            ));
        }
        Found::NotRunning => {}
    }

    let log = open_log(&instance.log_file)?;
    let log_start = log.metadata().map(|m| m.len()).unwrap_or(0);
    let mut command = instance.command(vm);
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent; it runs in the
    // child between fork and exec.
    unsafe {
        command.pre_exec(|| nix::unistd::setsid().map(drop).map_err(Into::into));
    }
    let mut child = command.spawn().map_err(|e| {
        Fail::new(
            Code::VmNotFound,
            format!("cannot run the VM {}: {e}; check --vm", vm.display()),
        )
    })?;
    let pid = child.id() as i32;
    // The child is ours until we exit, so its pid cannot be reused meanwhile.
    let handle = ProcessHandle::open(pid)?.context("the VM vanished at once")?;
    if let Err(e) = pidfile::write(&instance.pid_file, pid) {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e);
    }
    output::step(format!(
        "{}: started pid {pid}: {}",
        instance.name,
        crate::process::command_line(&command)
    ));

    let started = Instant::now();
    let outcome = match &repl {
        Some(repl) => wait_ready(instance, &handle, repl, args.start_timeout),
        None => settle(instance, &handle, args.settle),
    };
    match outcome {
        Ok(()) => {
            output::step(format!(
                "{} is running (pid {pid}){}",
                instance.name,
                if args.wait {
                    format!("; its REPL answered after {}", human(started.elapsed()))
                } else {
                    String::new()
                }
            ));
            Ok(Code::Success)
        }
        Err(Failure::Exited) => {
            let status = child.wait()?;
            pidfile::remove_if_names(&instance.pid_file, pid)?;
            report_log_tail(&instance.log_file, log_start);
            Err(Fail::new(
                Code::Failure,
                format!(
                    "{} failed to start: the VM {} after {}; see the log above and {}",
                    instance.name,
                    describe_status(status),
                    human(started.elapsed()),
                    instance.log_file.display()
                ),
            )
            .into())
        }
        Err(Failure::NotReady) => {
            output::step(format!(
                "{}: the REPL did not answer within {}; stopping the VM",
                instance.name,
                human(args.start_timeout)
            ));
            let plan = ctx.plan(instance, None);
            stopper::stop(&handle, &plan, None)?;
            reap(&mut child);
            pidfile::remove_if_names(&instance.pid_file, pid)?;
            report_log_tail(&instance.log_file, log_start);
            Err(Fail::new(
                Code::Failure,
                format!(
                    "{} failed to start: its REPL at {} did not answer within {}; check the startup script's `startInServerOn:` and --repl, or raise --start-timeout",
                    instance.name,
                    repl.as_ref().map_or("", |r| r.url()),
                    human(args.start_timeout)
                ),
            )
            .into())
        }
    }
}

enum Failure {
    /// The VM exited during the start.
    Exited,
    /// The REPL did not answer in time.
    NotReady,
}

/// A start counts once the VM has stayed up this long (supervisord's `startsecs`).
fn settle(instance: &Instance, handle: &ProcessHandle, settle: Duration) -> Result<(), Failure> {
    let deadline = duration::from_now(settle);
    let spinner = Spinner::new(
        format!("{}: making sure the VM stays up", instance.name),
        Some(deadline),
    );
    match handle.wait(Some(deadline), &[], Some(&spinner)) {
        Ok(Wait::TimedOut) => Ok(()),
        _ => Err(Failure::Exited),
    }
}

/// Waits until the REPL answers `GET`, noticing at once if the VM dies meanwhile.
fn wait_ready(
    instance: &Instance,
    handle: &ProcessHandle,
    repl: &Repl,
    timeout: Duration,
) -> Result<(), Failure> {
    let deadline = duration::from_now(timeout);
    output::step(format!(
        "{}: waiting up to {} for the REPL at {}",
        instance.name,
        human(timeout),
        repl.url()
    ));
    let spinner = Spinner::new(
        format!("{}: waiting for the REPL", instance.name),
        Some(deadline),
    )
    .before("giving up");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::NotReady);
        }
        if handle.exited() {
            return Err(Failure::Exited);
        }
        if repl.probe(left.min(Repl::PROBE_TIMEOUT)).is_ok() {
            return Ok(());
        }
        let next = duration::from_now(Repl::PROBE_INTERVAL).min(deadline);
        if let Ok(Wait::Exited) = handle.wait(Some(next), &[], Some(&spinner)) {
            return Err(Failure::Exited);
        }
    }
}

/// Checks, before anything is started or stopped, that the pid file and the log can be
/// written: exit 4 when we may not (with what to do), 6 when a directory is missing.
pub fn check_writable(instance: &Instance) -> Result<()> {
    check_pid_file_writable(instance)?;
    let log = &instance.log_file;
    if log.exists() {
        check_access(log, log, "log file", "--log-file", "its owner")
    } else {
        check_access(
            log,
            parent(log),
            "log file",
            "--log-file",
            "the directory's owner",
        )
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
            let remedy = if errno == nix::errno::Errno::EROFS {
                format!("pass {option}")
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

fn open_log(path: &Path) -> Result<File> {
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

/// `exited with status 3`, `was killed by SIGSEGV`.
pub fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by {}", signal_name(signal)),
        _ => "ended".to_string(),
    }
}

pub fn signal_name(signal: i32) -> String {
    nix::sys::signal::Signal::try_from(signal)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {signal}"))
}

fn reap(child: &mut Child) {
    let _ = child.wait();
}

/// Prints the lines the VM wrote to the log since `offset` (at most the last few).
fn report_log_tail(path: &Path, offset: u64) {
    let lines = read_tail(path, offset, LOG_TAIL);
    if lines.is_empty() {
        output::step(format!("(the VM wrote nothing to {})", path.display()));
    }
    for line in lines {
        output::step(format!("  | {line}"));
    }
}

/// The last `count` lines of a file, read from `offset` on (at most the last 64 KiB).
pub fn read_tail(path: &Path, offset: u64, count: usize) -> Vec<String> {
    const WINDOW: u64 = 64 * 1024;
    let Ok(mut file) = File::open(path) else {
        return Vec::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    let from = offset.max(len.saturating_sub(WINDOW));
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    lines[lines.len().saturating_sub(count)..].to_vec()
}
