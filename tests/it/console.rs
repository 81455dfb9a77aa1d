//! `pharo-ctl console`: on a real pseudo-terminal (line editing, history across sessions,
//! multi-line input, Ctrl-C on a line and during a slow answer, an error answer in colour,
//! the image quitting, a REPL that goes away), and off a terminal as a scripted session.

use crate::harness::*;
use nix::pty::{OpenptyResult, Winsize, openpty};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(20);
const UP: &str = "\x1b[A";
const CTRL_A: &str = "\x01";
const CTRL_C: &str = "\x03";
const CTRL_D: &str = "\x04";
const BACKSPACE: &str = "\x7f";

/// pharo-ctl console on a pseudo-terminal of its own, as the session leader whose controlling
/// terminal it is (so that Ctrl-C there is SIGINT, as at a real terminal). Killed on drop.
struct Terminal {
    child: Child,
    master: File,
    seen: Arc<Mutex<Vec<u8>>>,
    /// How far [`Terminal::expect`] has read.
    cursor: usize,
}

impl Terminal {
    fn open(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> Terminal {
        let size = Winsize {
            ws_row: 24,
            ws_col: 100,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let OpenptyResult { master, slave } = openpty(Some(&size), None).unwrap();
        let mut command = Command::new(pharo_ctl());
        command
            .args(args)
            .current_dir(env.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", env.path())
            .env("XDG_STATE_HOME", env.file("state"))
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .env("PHARO_VM", double());
        for (key, value) in envs {
            if value.is_empty() {
                command.env_remove(key);
            } else {
                command.env(key, value);
            }
        }
        let io = |fd: &OwnedFd| Stdio::from(fd.try_clone().unwrap());
        command
            .stdin(io(&slave))
            .stdout(io(&slave))
            .stderr(io(&slave));
        let tty = slave.as_raw_fd();
        // SAFETY: between fork and exec only async-signal-safe calls: setsid and ioctl.
        unsafe {
            command.pre_exec(move || {
                if libc::setsid() < 0 || libc::ioctl(tty, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().unwrap();
        drop(slave);
        let master = File::from(master);
        let mut reader = master.try_clone().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            // EIO once the last process holding the terminal has closed it.
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
        });
        Terminal {
            child,
            master,
            seen,
            cursor: 0,
        }
    }

    fn type_keys(&mut self, keys: &str) {
        self.master.write_all(keys.as_bytes()).unwrap();
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.seen.lock().unwrap()).into_owned()
    }

    /// Waits until `text` appears after what was expected before.
    #[track_caller]
    fn expect(&mut self, text: &str) {
        let deadline = Instant::now() + LIMIT;
        loop {
            let screen = self.screen();
            if let Some(at) = screen.get(self.cursor..).and_then(|rest| rest.find(text)) {
                self.cursor += at + text.len();
                return;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {text:?} on the terminal; after the last match:\n{:?}",
                screen.get(self.cursor..).unwrap_or("")
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// What appeared after the last expected text, so far.
    fn since_last(&self) -> String {
        self.screen().get(self.cursor..).unwrap_or("").to_string()
    }

    /// Waits for the console to exit and answers its exit code.
    #[track_caller]
    fn exit_code(&mut self) -> i32 {
        let deadline = Instant::now() + LIMIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "the console did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The TCP connections the console holds open.
    fn connections(&self) -> usize {
        let tcp: String = ["/proc/net/tcp", "/proc/net/tcp6"]
            .iter()
            .filter_map(|table| std::fs::read_to_string(table).ok())
            .collect();
        let inodes: Vec<&str> = tcp
            .lines()
            .skip(1)
            .filter_map(|line| line.split_whitespace().nth(9))
            .collect();
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id()))
            .unwrap()
            .flatten()
            .filter_map(|fd| std::fs::read_link(fd.path()).ok())
            .filter(|target| {
                let target = target.to_string_lossy();
                target
                    .strip_prefix("socket:[")
                    .and_then(|rest| rest.strip_suffix(']'))
                    .is_some_and(|inode| inodes.contains(&inode))
            })
            .count()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn edits_the_line_and_prints_the_answer() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let mut term = Terminal::open(&env, &["console", "zinc"], &[]);
    term.expect("console on http://127.0.0.1:");
    term.expect("zinc ok> ");
    // "3 + 55", one character rubbed out, then a 1 put at the start of the line: 13 + 5.
    term.type_keys(&format!("3 + 55{BACKSPACE}{CTRL_A}1\r"));
    term.expect("18\r\n");
    term.expect("zinc ok> ");
    // Ctrl-C drops the line being typed; nothing is sent.
    term.type_keys(&format!("100 factorial{CTRL_C}"));
    term.expect("zinc ok> ");
    term.type_keys("5 + 5\r");
    term.expect("10\r\n");
    assert!(!term.screen().contains("93326215443944"));
    term.type_keys(":timeout 2s\r");
    term.expect("the request timeout is now 2");
    term.type_keys(":help\r");
    term.expect(":timeout DURATION");
    term.type_keys(":bogus\r");
    term.expect("':bogus' is not a console command");
    term.expect("zinc ok> ");
    term.type_keys(CTRL_D);
    assert_eq!(term.exit_code(), 0);
}

#[test]
fn history_carries_over_to_the_next_session() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let mut first = Terminal::open(&env, &["console", "zinc"], &[]);
    first.expect("zinc ok> ");
    first.type_keys("6 * 7\r");
    first.expect("42\r\n");
    first.type_keys(":quit\r");
    assert_eq!(first.exit_code(), 0);
    let history = env.read("state/pharo-ctl/history/zinc");
    assert!(history.contains("6 * 7"), "{history:?}");
    // What was typed at an image is nobody else's business.
    use std::os::unix::fs::PermissionsExt;
    for (path, mode) in [
        ("state/pharo-ctl/history", 0o700),
        ("state/pharo-ctl/history/zinc", 0o600),
    ] {
        let meta = std::fs::metadata(env.file(path)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, mode, "{path}");
    }

    let mut second = Terminal::open(&env, &["console", "zinc"], &[]);
    second.expect("zinc ok> ");
    // The last entry is ":quit"; the one before it, the expression.
    second.type_keys(&format!("{UP}{UP}\r"));
    second.expect("42\r\n");
    second.type_keys(CTRL_D);
    assert_eq!(second.exit_code(), 0);
}

#[test]
fn a_history_that_cannot_be_kept_is_a_warning() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    std::fs::write(env.file("not-a-directory"), "").unwrap();
    let state = env.file("not-a-directory");
    let mut term = Terminal::open(
        &env,
        &["console", "zinc"],
        &[("XDG_STATE_HOME", state.to_str().unwrap())],
    );
    term.expect("warning: cannot create");
    term.expect("zinc ok> ");
    term.type_keys("3 + 4\r");
    term.expect("7\r\n");
    term.type_keys(CTRL_D);
    assert_eq!(term.exit_code(), 0);
}

#[test]
fn an_open_bracket_string_or_parenthesis_continues_the_expression() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let mut term = Terminal::open(&env, &["console", "zinc"], &[]);
    term.expect("zinc ok> ");
    // Sent line by line, "(3 +" alone would be a syntax error.
    term.type_keys("(3 +\r");
    term.type_keys("4) * 10\r");
    term.expect("70\r\n");
    term.type_keys("'two\r");
    term.type_keys("lines' size\r");
    term.expect("9\r\n");
    // A pasted block (the terminal's bracketed paste) is sent whole, however many lines.
    term.type_keys("\x1b[200~(100 -\r  1) \"a comment\r  over lines\"\r  * 2\x1b[201~\r");
    term.expect("198\r\n");
    assert!(!term.screen().contains("SyntaxError"), "{}", term.screen());
}

#[test]
fn ctrl_c_cancels_a_slow_answer_and_closes_its_connection() {
    let env = Env::new();
    env.instance("zinc");
    let events = env.file("events");
    // The double is slow to answer anything, so it is started without waiting for its REPL.
    env.cmd()
        .env("PHARO_DOUBLE_SLOW_MS", "30000")
        .env("PHARO_DOUBLE_EVENTS", &events)
        .args(["start", "zinc"])
        .run()
        .success();
    let mut term = Terminal::open(&env, &["console", "zinc"], &[]);
    // Its probe of the REPL timed out: busy.
    term.expect("zinc busy> ");
    term.type_keys("3 + 4\r");
    wait_until("the request to reach the image", LIMIT, || {
        std::fs::read_to_string(&events).is_ok_and(|e| e.contains("POST /repl 3 + 4"))
    });
    assert_eq!(term.connections(), 1, "the request's connection is open");
    term.type_keys(CTRL_C);
    term.expect("cancelled; the connection is closed");
    term.expect("> ");
    assert_eq!(term.connections(), 0);
    term.type_keys(CTRL_D);
    assert_eq!(term.exit_code(), 0);
    assert!(!term.screen().contains("7\r\n"));
}

#[test]
fn an_error_answer_is_shown_in_the_error_colour() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let mut term = Terminal::open(&env, &["console", "zinc"], &[("NO_COLOR", "")]);
    term.expect("ok");
    term.expect("> ");
    term.type_keys("3 foo\r");
    term.expect("\x1b[1;31mMessageNotUnderstood: SmallInteger>>foo\x1b[0m");
    term.expect("\x1b[2mSmallInteger(Object)>>doesNotUnderstand: #foo");
    term.type_keys("3 + 4\r");
    term.expect("7\r\n");
    assert!(!term.since_last().contains("\x1b[1;31m"));
}

#[test]
fn an_expression_that_quits_the_image_ends_the_console() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    let mut term = Terminal::open(&env, &["console", "zinc"], &[]);
    term.expect("zinc ok> ");
    term.type_keys("Smalltalk snapshot: false andQuit: true\r");
    term.expect("zinc: the image quit");
    assert_eq!(term.exit_code(), 0);
    wait_until("the VM to exit", LIMIT, || !alive(pid));
}

#[test]
fn a_repl_that_goes_away_shows_in_the_prompt() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let mut term = Terminal::open(&env, &["console", "zinc"], &[]);
    term.expect("zinc ok> ");
    env.cmd().args(["stop", "zinc"]).run().success();
    term.type_keys("3 + 4\r");
    term.expect("cannot reach the REPL");
    term.expect("zinc down> ");
    env.start(&inst);
    term.type_keys("3 + 4\r");
    term.expect("7\r\n");
    term.expect("zinc ok> ");
}

#[test]
fn off_a_terminal_it_evaluates_each_whole_expression() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    env.cmd()
        .args(["console", "zinc"])
        .stdin("3 + 4\n\n(3 +\n 4) * 2\n'it''s' size\n")
        .run()
        .success()
        .stdout_is("7\n14\n4\n");
    let out = env
        .cmd()
        .args(["console", "zinc"])
        .stdin("3 foo\n42\n")
        .run();
    out.code(1)
        .stdout_has("MessageNotUnderstood: SmallInteger>>foo\n")
        .stdout_has("\n42\n");
    assert!(!out.stdout.contains('\x1b'));
    let out = env
        .cmd()
        .args(["console", "zinc"])
        .stdin("Smalltalk snapshot: false andQuit: true\n3 + 4\n")
        .run();
    out.success().stderr_has("the image quit");
    assert_eq!(out.stdout, "");
    let out = env.cmd().args(["console", "zinc"]).stdin("3 + 4\n").run();
    out.code(7)
        .stderr_has("zinc is not running, so nothing was sent");
    one_error_line(&out);
}

#[test]
fn off_a_terminal_each_expression_is_sent_as_soon_as_it_is_read() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let mut console = env.cmd().args(["console", "zinc"]).stdin_pipe().spawn();
    console.write_stdin("3 + 4\n(1 +\n");
    console.wait_stdout("7\n", LIMIT);
    assert_eq!(
        console.stdout_so_far(),
        "7\n",
        "the open expression waits for its end"
    );
    console.write_stdin("1) * 5\n");
    console.wait_stdout("7\n10\n", LIMIT);
    console.close_stdin();
    console.finish().success().stdout_is("7\n10\n");
}

#[test]
fn lines_typed_while_an_answer_is_awaited_are_each_sent_in_order() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let events = env.file("events");
    // Each answer takes a while, so the next lines are typed while it is awaited.
    env.cmd().args(["stop", "zinc"]).run().success();
    env.cmd()
        .env("PHARO_DOUBLE_SLOW_MS", "400")
        .env("PHARO_DOUBLE_EVENTS", &events)
        .args(["start", "--wait", "zinc"])
        .run()
        .success();
    let mut term = Terminal::open(&env, &["console", "zinc"], &[]);
    term.expect("zinc ok> ");
    // Typed (or pasted without bracketed paste) at once: three expressions, the second over
    // two lines.
    term.type_keys("3 + 4\r(5 +\r6)\r7 + 8\r");
    term.expect("7\r\n");
    term.expect("11\r\n");
    term.expect("15\r\n");
    wait_until("three requests", LIMIT, || {
        std::fs::read_to_string(&events).is_ok_and(|e| e.matches("POST /repl").count() == 3)
    });
    let posts: Vec<String> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("POST /repl"))
        .map(str::to_string)
        .collect();
    assert_eq!(
        posts,
        ["POST /repl 3 + 4", "POST /repl (5 +", "POST /repl 7 + 8"]
    );
    // More typed while an answer is awaited, the last line unfinished: it waits at the prompt.
    term.type_keys("1 + 1\r2 + 2\r10 fact");
    term.expect("2\r\n");
    term.expect("4\r\n");
    term.type_keys("orial\r");
    term.expect("3628800\r\n");
    term.type_keys(CTRL_D);
    assert_eq!(term.exit_code(), 0);
}

#[test]
fn a_continued_expression_gets_a_continuation_prompt() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let mut term = Terminal::open(&env, &["console", "zinc"], &[]);
    term.expect("zinc ok> ");
    term.type_keys("(3 +\r");
    term.expect("    ...> ");
    term.type_keys("'a\r");
    term.expect("    ...> ");
    term.type_keys("b' size) * 10\r");
    term.expect("60\r\n");
    term.expect("zinc ok> ");
    // Ctrl-C drops the whole expression, not only its last line.
    term.type_keys("(1 +\r");
    term.expect("    ...> ");
    term.type_keys(CTRL_C);
    term.expect("zinc ok> ");
    term.type_keys("2 + 2\r");
    term.expect("4\r\n");
    term.type_keys(CTRL_D);
    assert_eq!(term.exit_code(), 0);
}
