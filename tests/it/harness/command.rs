//! The builder over the real `pharo-ctl` binary: a command, run to its end or watched while
//! it runs, and its outcome, whose exit status is checked.

use super::*;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest any single pharo-ctl invocation may take in a test before it is killed.
const COMMAND_LIMIT: Duration = Duration::from_secs(60);

/// One line on stderr, starting with `error:`.
#[track_caller]
pub fn one_error_line(out: &Outcome) {
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].starts_with("error: "), "{}", out.stderr);
}

/// A pharo-ctl invocation being built.
#[must_use = "a command does nothing until it is run"]
pub struct Cmd {
    pub(super) command: Command,
    stdin: Option<Vec<u8>>,
    /// Keep stdin open for [`Running::write_stdin`].
    keep_stdin: bool,
}

impl Cmd {
    pub fn new(dir: &Path) -> Cmd {
        Cmd::program(pharo_ctl(), dir)
    }

    /// Another program (a script of the project) run the same way: in `dir`, with the double
    /// as the VM and a clean environment, killed after a minute.
    pub fn program(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Cmd {
        let mut command = Command::new(program);
        command.current_dir(dir);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("PHARO") || key == "NOTIFY_SOCKET" || key.ends_with("_proxy") {
                command.env_remove(&key);
            }
        }
        command.env("PHARO_VM", double()).env("NO_COLOR", "1");
        Cmd {
            command,
            stdin: None,
            keep_stdin: false,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Cmd {
        self.command.env_remove(key);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(input.into());
        self
    }

    /// Gives pharo-ctl a pipe as stdin that the test writes to as it goes
    /// ([`Running::write_stdin`], [`Running::close_stdin`]).
    pub fn stdin_pipe(mut self) -> Cmd {
        self.keep_stdin = true;
        self
    }

    /// Runs pharo-ctl in a process group of its own, as a shell runs a foreground job, so
    /// that a test can signal the whole group as a terminal's Ctrl-C does.
    pub fn own_process_group(mut self) -> Cmd {
        self.command.process_group(0);
        self
    }

    /// Starts the command in the background; the guard kills it on drop.
    pub fn spawn(mut self) -> Running {
        self.command
            .stdin(if self.stdin.is_some() || self.keep_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("pharo-ctl runs");
        if let Some(input) = self.stdin.take() {
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        Running {
            child: Some(child),
            stderr_seen: None,
            stdout_seen: None,
        }
    }

    /// Runs the command to its end (killing it after a minute) and answers what it did.
    pub fn run(self) -> Outcome {
        self.spawn().finish()
    }
}

/// A stream as a reader thread collects it.
struct Watched {
    seen: Arc<Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
    /// Tells the reader to stop and close the stream.
    stop: Arc<AtomicBool>,
}

impl Watched {
    /// A stream that is closed already.
    fn closed() -> Watched {
        Watched {
            seen: Arc::new(Mutex::new(Vec::new())),
            reader: std::thread::spawn(|| {}),
            stop: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Stops reading and closes the stream; what was read is kept.
    fn close(self) -> Watched {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.reader.join();
        Watched {
            reader: std::thread::spawn(|| {}),
            ..self
        }
    }
}

/// A pharo-ctl started in the background; killed on drop if still running.
pub struct Running {
    child: Option<Child>,
    /// stderr as read so far, once a test waits for something on it.
    stderr_seen: Option<Watched>,
    /// stdout likewise.
    stdout_seen: Option<Watched>,
}

impl Running {
    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    /// Sends a signal to pharo-ctl.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill only sends a signal, to our own child, not yet reaped.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0, "kill failed");
    }

    /// Sends a signal to pharo-ctl's whole process group (see [`Cmd::own_process_group`]), as
    /// a terminal's Ctrl-C does.
    pub fn signal_group(&self, signal: i32) {
        // SAFETY: killpg only sends a signal, to the group our own child leads.
        let rc = unsafe { libc::killpg(self.pid(), signal) };
        assert_eq!(rc, 0, "killpg failed");
    }

    /// Writes to pharo-ctl's stdin (see [`Cmd::stdin_pipe`]).
    pub fn write_stdin(&mut self, text: &str) {
        let stdin = self
            .child
            .as_mut()
            .unwrap()
            .stdin
            .as_mut()
            .expect("stdin is a pipe");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes pharo-ctl's stdin: it reads the end of its input.
    pub fn close_stdin(&mut self) {
        drop(self.child.as_mut().unwrap().stdin.take());
    }

    /// Closes the read end of pharo-ctl's stderr: its writes fail from now on (EPIPE).
    pub fn close_stderr(&mut self) {
        drop(self.child.as_mut().unwrap().stderr.take());
        self.stderr_seen = Some(
            self.stderr_seen
                .take()
                .map_or_else(Watched::closed, Watched::close),
        );
    }

    /// Closes the read end of pharo-ctl's stdout, as a reader that went away does: its writes
    /// fail from now on (EPIPE).
    pub fn close_stdout(&mut self) {
        drop(self.child.as_mut().unwrap().stdout.take());
        self.stdout_seen = Some(
            self.stdout_seen
                .take()
                .map_or_else(Watched::closed, Watched::close),
        );
    }

    /// What pharo-ctl has written on stderr so far.
    pub fn stderr_so_far(&mut self) -> String {
        let seen = self.watch_stderr();
        String::from_utf8_lossy(&seen.lock().unwrap()).into_owned()
    }

    /// What pharo-ctl has written on stdout so far.
    pub fn stdout_so_far(&mut self) -> String {
        let seen = self.watch_stdout();
        String::from_utf8_lossy(&seen.lock().unwrap()).into_owned()
    }

    /// Waits until pharo-ctl has written `text` on stderr; fails the test after `limit`.
    #[track_caller]
    pub fn wait_stderr(&mut self, text: &str, limit: Duration) {
        let seen = self.watch_stderr();
        wait_for_text("stderr", &seen, text, limit);
    }

    /// Waits until pharo-ctl has written `text` on stdout; fails the test after `limit`.
    #[track_caller]
    pub fn wait_stdout(&mut self, text: &str, limit: Duration) {
        let seen = self.watch_stdout();
        wait_for_text("stdout", &seen, text, limit);
    }

    /// Starts reading stderr as it comes.
    fn watch_stderr(&mut self) -> Arc<Mutex<Vec<u8>>> {
        if let Some(watched) = &self.stderr_seen {
            return Arc::clone(&watched.seen);
        }
        let stderr = self.child.as_mut().unwrap().stderr.take().unwrap();
        let watched = watch(stderr);
        let seen = Arc::clone(&watched.seen);
        self.stderr_seen = Some(watched);
        seen
    }

    /// Starts reading stdout as it comes.
    fn watch_stdout(&mut self) -> Arc<Mutex<Vec<u8>>> {
        if let Some(watched) = &self.stdout_seen {
            return Arc::clone(&watched.seen);
        }
        let stdout = self.child.as_mut().unwrap().stdout.take().unwrap();
        let watched = watch(stdout);
        let seen = Arc::clone(&watched.seen);
        self.stdout_seen = Some(watched);
        seen
    }

    /// Waits for the end (at most a minute) and collects the output.
    pub fn finish(mut self) -> Outcome {
        let mut child = self.child.take().unwrap();
        let out = collect(child.stdout.take(), self.stdout_seen.take());
        let err = collect(child.stderr.take(), self.stderr_seen.take());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > COMMAND_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the command ran longer than {COMMAND_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let elapsed = started.elapsed();
        Outcome {
            code: status.code(),
            signal: status.signal(),
            stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
            elapsed,
            checked: std::cell::Cell::new(false),
        }
    }
}

/// Reads a stream on a thread as it comes.
fn watch(mut stream: impl Read + AsFd + Send + 'static) -> Watched {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (sink, stopped) = (Arc::clone(&seen), Arc::clone(&stop));
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        // A short poll, so that a test can close the stream while nothing comes.
        while !stopped.load(Ordering::Relaxed) {
            let mut fds = [PollFd::new(stream.as_fd(), PollFlags::POLLIN)];
            if !matches!(poll(&mut fds, PollTimeout::from(20u8)), Ok(n) if n > 0) {
                continue;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink.lock().unwrap().extend_from_slice(&chunk[..n]),
            }
        }
    });
    Watched { seen, reader, stop }
}

/// A thread that answers all of a stream: read to its end, or what its watcher collected.
fn collect(
    stream: Option<impl Read + Send + 'static>,
    seen: Option<Watched>,
) -> JoinHandle<Vec<u8>> {
    match (stream, seen) {
        (Some(mut stream), _) => std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stream.read_to_end(&mut s);
            s
        }),
        (None, Some(watched)) => std::thread::spawn(move || {
            let _ = watched.reader.join();
            std::mem::take(&mut *watched.seen.lock().unwrap())
        }),
        (None, None) => unreachable!("a stream is read one way or the other"),
    }
}

/// Waits until `text` is among what a watcher collected of `stream`.
#[track_caller]
fn wait_for_text(stream: &str, seen: &Mutex<Vec<u8>>, text: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let so_far = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
        if so_far.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {text:?} on {stream}\n{stream}: {so_far}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a finished pharo-ctl did. Its exit status must be 0 unless the test says which it
/// expects ([`Outcome::code`]) or that any will do ([`Outcome::any_code`]): an outcome dropped
/// unchecked asserts success, as just's test builder does.
#[derive(Debug)]
#[must_use = "an outcome is checked: .success(), .code(N) or .any_code()"]
pub struct Outcome {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// Whether the test said what exit status it expects.
    pub(super) checked: std::cell::Cell<bool>,
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if !self.checked.get() && !std::thread::panicking() {
            assert_eq!(
                self.code,
                Some(0),
                "exit status not 0, and the test did not say which it expects\nstdout: {}\nstderr: {}",
                self.stdout,
                self.stderr
            );
        }
    }
}

impl Outcome {
    /// The exit status, for a test that decides by it (a wait on a condition).
    pub fn exited(&self) -> Option<i32> {
        self.checked.set(true);
        self.code
    }

    /// Any exit status will do: the test looks at something else.
    pub fn any_code(&self) -> &Outcome {
        self.checked.set(true);
        self
    }

    #[track_caller]
    pub fn code(&self, expected: i32) -> &Outcome {
        self.checked.set(true);
        assert_eq!(
            self.code,
            Some(expected),
            "expected exit {expected}\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Outcome {
        self.code(0)
    }

    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Outcome {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\nstderr: {}\nstdout: {}",
            self.stderr,
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Outcome {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_is(&self, text: &str) -> &Outcome {
        assert_eq!(self.stdout, text, "stderr: {}", self.stderr);
        self
    }
}
