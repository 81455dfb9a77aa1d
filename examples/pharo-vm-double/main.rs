//! `pharo-vm-double`: a stand-in for the Pharo VM, used by pharo-ctl's integration tests and by
//! its demo on machines without Pharo.
//!
//! It is invoked exactly like the VM, `pharo-vm-double [VM-OPTIONS...] IMAGE.image [SCRIPT.st]
//! [ARGS...]`, and scans the startup script for what a Zinc server script does:
//! `ZnReadEvalPrintDelegate startInServerOn: N` starts the REPL web service on 127.0.0.1:N
//! (served faithfully to Zinc, with a small Smalltalk evaluator behind `POST /repl`),
//! `ZnServer startDefaultOn: N` starts an application server answering `Hello from Pharo`, and
//! `Smalltalk at: #ShutdownSequence put: [` defines the cooperative shutdown sequence.
//!
//! The expanded form of `startInServerOn:` starts the REPL too, `(ZnServer on: N)
//! bindingAddress: NetNameResolver loopBackAddress; delegate: ZnReadEvalPrintDelegate new; …
//! start`, and with `authenticator: (ZnBasicAuthenticator username: … password: …)` its REPL
//! asks for those credentials as Zinc does (see `auth.rs`); a request turned away is the event
//! `401 METHOD PATH`, its body unrecorded and unevaluated.
//!
//! Once serving it prints `pharo-vm-double: image IMAGE, REPL on 127.0.0.1:PORT` (or `, no
//! REPL`); a missing image or an unreadable script is an error (exit 1).
//!
//! Environment switches make it misbehave the way real images do (all read at start):
//! `PHARO_DOUBLE_IGNORE_SHUTDOWN`, `PHARO_DOUBLE_IGNORE_SIGTERM`, `PHARO_DOUBLE_HANG` (=1),
//! `PHARO_DOUBLE_SLOW_MS`, `PHARO_DOUBLE_START_DELAY_MS`, `PHARO_DOUBLE_DIE_ON_START` (exit code)
//! with `PHARO_DOUBLE_DIE_DELAY_MS`, `PHARO_DOUBLE_EXIT_AFTER_MS` with `PHARO_DOUBLE_EXIT_CODE`,
//! `PHARO_DOUBLE_ORPHAN_MS` (leave an orphaned grandchild behind), `PHARO_DOUBLE_QUIT_DELAY_MS`
//! (a quit expression drops the connection at once and ends the process that much later), and
//! `PHARO_DOUBLE_EVENTS`
//! (a file that receives every line the double prints, Transcript output aside, plus one line
//! per REPL request, `POST /repl <first line of body>` or `GET /repl`, and `exit <code>` when it
//! quits by itself, so that a test can wait on it), and `PHARO_DOUBLE_WEDGE_AFTER_MS` (after that
//! long the REPL still accepts connections but never answers, while the process lives on: a
//! wedged image), and `PHARO_DOUBLE_NO_QUIT` (a REPL that cannot bind its port is reported
//! and the double runs on without one, as an image run with `--no-quit` does).
//!
//! The REPL's port is read from `startInServerOn: N`, from `startInServerOn: (OSEnvironment
//! current at: 'VAR') asNumber` (the environment's), or from the form that one stands for,
//! `(ZnServer on: N) bindingAddress: …; delegate: ZnReadEvalPrintDelegate new; … start`.
//!
//! The image: values set with `Smalltalk at: #K put: V` (literals) are globals of the image;
//! `Smalltalk snapshot: true andQuit: false` saves them as the VM saves an image — the file
//! truncated, then written in place — and answers `false`; a double started from the saved
//! file has them again (see `image.rs`). `PHARO_DOUBLE_SAVE_SLOW_MS` makes the write take that
//! long; `PHARO_DOUBLE_SAVE_FAIL` (=1) makes it stop half-way, leaving a short file, and answer
//! an error, as on a full disk; `PHARO_DOUBLE_IMAGE_GROWTH` (bytes) makes the saved image that
//! much larger than the file it started from (a heap that grew), so that a real disk can fill
//! up during the save (then the write's error is answered, as the VM's). Each save is an event: `saved IMAGE (N bytes)` or `save failed`.
//!
//! Signals, as the VM takes them: SIGUSR1 appends a stack report shaped like the VM's ("All
//! Smalltalk process stacks (active first)", "Most recent primitives") to `crash.dmp` in the
//! working directory and prints it to stderr, and the double runs on;
//! `PHARO_DOUBLE_USR1_SILENT` makes it catch SIGUSR1 but write no report, and
//! `PHARO_DOUBLE_USR1_DEFAULT` makes it not catch SIGUSR1 at all, so that the signal's default
//! action kills it (as it kills an older VM). SIGUSR2 prints a line; so does SIGQUIT, which the
//! double survives (a real VM treats it as a crash). Each is also an event.

mod auth;
mod bignum;
mod eval;
mod http;
mod image;
mod png;
mod report;

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::env;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::process;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{self, SigHandler, SigSet, Signal};

use crate::eval::Outcome;
use crate::http::{Ended, Reply, Request, Response};

const TEXT_PLAIN: &str = "text/plain;charset=utf-8";

// ---------------------------------------------------------------------------------------------
// Configuration: environment switches and the startup script
// ---------------------------------------------------------------------------------------------

/// The misbehaviour switches, read from the environment at start.
struct Switches {
    ignore_shutdown: bool,
    ignore_sigterm: bool,
    hang: bool,
    slow: Option<Duration>,
    start_delay: Option<Duration>,
    die_on_start: Option<i32>,
    die_delay: Duration,
    exit_after: Option<Duration>,
    exit_code: i32,
    orphan: Option<Duration>,
    /// How long a quit expression takes to end the process after dropping the connection.
    quit_delay: Option<Duration>,
    events: Option<PathBuf>,
    /// When the REPL stops answering (a wedged image).
    wedge_after: Option<Duration>,
    /// Run on without a REPL when it cannot bind its port.
    no_quit: bool,
    usr1: Usr1,
    save: image::SaveMode,
}

/// What SIGUSR1 does to the double.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Usr1 {
    /// Caught: a report to `crash.dmp` and stderr, as the VM writes it.
    Report,
    /// Caught, but no report.
    Silent,
    /// Not caught: its default action ends the process.
    Default,
}

impl Switches {
    fn from_env() -> Self {
        let flag = |name| env::var(name).is_ok_and(|value| !value.is_empty() && value != "0");
        let millis = |name| number(name).map(Duration::from_millis);
        Switches {
            ignore_shutdown: flag("PHARO_DOUBLE_IGNORE_SHUTDOWN"),
            ignore_sigterm: flag("PHARO_DOUBLE_IGNORE_SIGTERM"),
            hang: flag("PHARO_DOUBLE_HANG"),
            slow: millis("PHARO_DOUBLE_SLOW_MS"),
            start_delay: millis("PHARO_DOUBLE_START_DELAY_MS"),
            die_on_start: number("PHARO_DOUBLE_DIE_ON_START"),
            die_delay: millis("PHARO_DOUBLE_DIE_DELAY_MS").unwrap_or_default(),
            exit_after: millis("PHARO_DOUBLE_EXIT_AFTER_MS"),
            exit_code: number("PHARO_DOUBLE_EXIT_CODE").unwrap_or(0),
            orphan: millis("PHARO_DOUBLE_ORPHAN_MS"),
            quit_delay: millis("PHARO_DOUBLE_QUIT_DELAY_MS"),
            events: env::var_os("PHARO_DOUBLE_EVENTS")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            wedge_after: millis("PHARO_DOUBLE_WEDGE_AFTER_MS"),
            save: image::SaveMode {
                slow: millis("PHARO_DOUBLE_SAVE_SLOW_MS"),
                fail_half_way: flag("PHARO_DOUBLE_SAVE_FAIL"),
                growth: number("PHARO_DOUBLE_IMAGE_GROWTH").unwrap_or(0),
            },
            no_quit: flag("PHARO_DOUBLE_NO_QUIT"),
            usr1: if flag("PHARO_DOUBLE_USR1_DEFAULT") {
                Usr1::Default
            } else if flag("PHARO_DOUBLE_USR1_SILENT") {
                Usr1::Silent
            } else {
                Usr1::Report
            },
        }
    }
}

fn number<T: FromStr>(name: &str) -> Option<T> {
    env::var(name).ok()?.trim().parse().ok()
}

/// What the startup script sets up.
#[derive(Default)]
struct Script {
    repl_port: Option<u16>,
    /// The REPL's `ZnBasicAuthenticator`: its user name and password.
    auth: Option<(String, auth::Password)>,
    app_port: Option<u16>,
    defines_shutdown: bool,
}

impl Script {
    fn scan(source: &str) -> Self {
        let code = normalized(source);
        Script {
            repl_port: port_after(&code, "ZnReadEvalPrintDelegate startInServerOn:")
                .or_else(|| env_port_after(&code, "ZnReadEvalPrintDelegate startInServerOn:"))
                .or_else(|| server_form_port(&code)),
            auth: auth::scan(&code),
            app_port: port_after(&code, "ZnServer startDefaultOn:")
                .or_else(|| port_after(&code, "ZnServer defaultOn:")),
            defines_shutdown: code.contains("Smalltalk at: #ShutdownSequence put:"),
        }
    }
}

/// The script's code without comments, each run of whitespace made a single space.
fn normalized(source: &str) -> String {
    let mut code = String::with_capacity(source.len());
    let (mut in_string, mut in_comment) = (false, false);
    for c in source.chars() {
        if in_comment {
            in_comment = c != '"';
            continue;
        }
        in_comment = c == '"' && !in_string;
        in_string ^= c == '\'';
        if c.is_whitespace() || in_comment {
            if !code.ends_with(' ') {
                code.push(' ');
            }
        } else {
            code.push(c);
        }
    }
    code
}

/// The port of `startInServerOn: (OSEnvironment current at: 'NAME') asNumber`: the
/// environment variable NAME's.
fn env_port_after(code: &str, pattern: &str) -> Option<u16> {
    let rest = code[code.find(pattern)? + pattern.len()..].trim_start();
    let rest = rest.strip_prefix("(OSEnvironment current at: '")?;
    let name = &rest[..rest.find('\'')?];
    env::var(name).ok()?.trim().parse().ok()
}

/// The port of the REPL in the form `startInServerOn:` stands for: `(ZnServer on: N)
/// bindingAddress: …; delegate: ZnReadEvalPrintDelegate new; … start`, in one statement.
fn server_form_port(code: &str) -> Option<u16> {
    let mut from = 0;
    while let Some(at) = code[from..].find("ZnServer on:") {
        let start = from + at;
        let statement = &code[start..];
        let statement = &statement[..statement.find(". ").unwrap_or(statement.len())];
        if statement.contains("delegate: ZnReadEvalPrintDelegate new") {
            return port_after(statement, "ZnServer on:");
        }
        from = start + "ZnServer on:".len();
    }
    None
}

fn port_after(code: &str, pattern: &str) -> Option<u16> {
    let rest = code[code.find(pattern)? + pattern.len()..].trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Output: stdout (flushed per line) and the optional events file
// ---------------------------------------------------------------------------------------------

static EVENTS: OnceLock<Mutex<File>> = OnceLock::new();

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn print_flushed(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints a line on stdout and records it as an event.
fn say(line: &str) {
    print_flushed(&format!("{line}\n"));
    event(line);
}

/// Appends a line to the events file, if there is one.
fn event(line: &str) {
    if let Some(file) = EVENTS.get() {
        let mut file = lock(file);
        let _ = file.write_all(format!("{line}\n").as_bytes());
        let _ = file.flush();
    }
}

fn quit(code: i32) -> ! {
    event(&format!("exit {code}"));
    process::exit(code)
}

fn fail(message: &str) -> ! {
    eprintln!("pharo-vm-double: {message}");
    process::exit(1)
}

// ---------------------------------------------------------------------------------------------
// The image: REPL requests and ShutdownSequence
// ---------------------------------------------------------------------------------------------

/// The running image: what the script set up, and the switches it runs with.
struct Vm {
    switches: Switches,
    script: Script,
    repl_port: u16,
    /// The credentials the REPL asks for, if the script gave it an authenticator.
    authenticator: Option<auth::Authenticator>,
    app: Option<Arc<AppServer>>,
    shutdown_started: AtomicBool,
    started: Instant,
    /// The image file, its globals and the size it is saved at (at least its size at start).
    image: PathBuf,
    globals: Mutex<BTreeMap<String, String>>,
    image_size: u64,
}

impl Vm {
    /// Zinc's ZnReadEvalPrintDelegate, plus the misbehaviours asked for.
    fn repl_reply(&self, request: &Request) -> Reply {
        let wedged = self
            .switches
            .wedge_after
            .is_some_and(|after| self.started.elapsed() >= after);
        if self.switches.hang || wedged {
            event(&describe(request));
            return Reply::Silence;
        }
        // The server's authenticator turns a request away before its delegate sees it.
        if let Some(authenticator) = &self.authenticator
            && !authenticator.admits(request.header("authorization"))
        {
            event(&format!("401 {} {}", request.method, request.path));
            return Reply::Send(Response::unauthorized());
        }
        event(&describe(request));
        if let Some(delay) = self.switches.slow {
            thread::sleep(delay);
        }
        let textual = is_textual(request.header("content-type"));
        match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/repl") => Reply::Send(Response::ok(TEXT_PLAIN, help_text(self.repl_port))),
            ("GET", "/display") => Reply::Send(Response::ok("image/png", png::world_png(64, 48))),
            ("POST", "/repl") if textual && !request.body.is_empty() => self.evaluate(request),
            _ => Reply::Send(Response::not_found(&request.path)),
        }
    }

    /// `POST /repl`. A forked ShutdownSequence starts only once the answer has been sent, as
    /// in Pharo, where the forked process waits for the REPL's process to yield.
    fn evaluate(&self, request: &Request) -> Reply {
        let evaluation = Evaluation {
            vm: self,
            forked: Cell::new(false),
        };
        let source = String::from_utf8_lossy(&request.body);
        match eval::evaluate(&source, &evaluation) {
            Outcome::Quit => Reply::Quit,
            Outcome::Answer(text) if evaluation.forked.get() => {
                let app = self.app.clone();
                let shutdown = move || {
                    shutdown_sequence(app.as_deref());
                    quit(0)
                };
                let fork = Box::new(move || drop(thread::spawn(shutdown)));
                Reply::SendThen(Response::ok(TEXT_PLAIN, text), fork)
            }
            Outcome::Answer(text) => Reply::Send(Response::ok(TEXT_PLAIN, text)),
        }
    }
}

/// The image as one evaluation sees it.
struct Evaluation<'a> {
    vm: &'a Vm,
    /// Whether the expression forked ShutdownSequence.
    forked: Cell<bool>,
}

impl eval::Image for Evaluation<'_> {
    fn has_shutdown_sequence(&self) -> bool {
        self.vm.script.defines_shutdown
    }

    fn run_shutdown_sequence(&self, fork: bool) -> bool {
        if self.vm.switches.ignore_shutdown {
            say("ShutdownSequence ignored");
            return false;
        }
        if self.vm.shutdown_started.swap(true, Ordering::SeqCst) {
            return false;
        }
        if fork {
            self.forked.set(true);
            return false;
        }
        shutdown_sequence(self.vm.app.as_deref());
        true
    }

    fn transcript(&self, text: &str) {
        print_flushed(text);
    }

    fn global(&self, key: &str) -> Option<String> {
        lock(&self.vm.globals).get(key).cloned()
    }

    fn set_global(&self, key: &str, print_string: String) {
        lock(&self.vm.globals).insert(key.to_string(), print_string);
    }

    fn save(&self) -> Result<(), String> {
        let vm = self.vm;
        // The image is one: two saves at once would interleave their writes.
        let globals = lock(&vm.globals);
        match image::save(&vm.image, &globals, vm.image_size, vm.switches.save) {
            Ok(size) => {
                event(&format!("saved {} ({size} bytes)", vm.image.display()));
                Ok(())
            }
            Err(why) => {
                event(&format!("save failed: {why}"));
                Err(why)
            }
        }
    }
}

/// The seed script's ShutdownSequence, up to (not including) its final quit.
fn shutdown_sequence(app: Option<&AppServer>) {
    say("Starting ShutdownSequence...");
    if let Some(app) = app {
        app.stop();
        if app.has_open_connections() {
            thread::sleep(Duration::from_secs(3));
        }
        app.close_connections();
    }
    say("Completed ShutdownSequence successfully");
}

fn help_text(port: u16) -> String {
    format!(
        "# Pharo Smalltalk REPL. POST expressions to evaluate\n# Here is one way (with curl)\n\
         # curl -X POST -H'Content-Type:text/plain' --data-binary '42 factorial' http://localhost:{port}/repl\n"
    )
}

/// Zinc accepts only textual entities: `text/*`, or a subtype naming a textual format.
fn is_textual(content_type: Option<&str>) -> bool {
    const TEXTUAL: &str = "javascript json ston html xml sgml yaml csv";
    let mime = content_type
        .and_then(|value| value.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime.split_once('/').is_some_and(|(main, sub)| {
        main == "text" || TEXTUAL.split_whitespace().any(|t| sub.contains(t))
    })
}

/// The event line for a request: `POST /repl <first line of body>`, or method and path.
fn describe(request: &Request) -> String {
    let body = String::from_utf8_lossy(&request.body);
    let first_line = body.lines().next().filter(|_| request.method == "POST");
    let line = format!(
        "{} {} {}",
        request.method,
        request.path,
        first_line.unwrap_or("")
    );
    line.trim_end().to_string()
}

fn serve_repl(vm: Arc<Vm>, listener: TcpListener) -> ! {
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                let vm = Arc::clone(&vm);
                thread::spawn(move || {
                    if http::serve(stream, |request| vm.repl_reply(request)) == Ended::Quit {
                        if let Some(delay) = vm.switches.quit_delay {
                            thread::sleep(delay);
                        }
                        quit(0);
                    }
                });
            }
            Err(_) => thread::sleep(Duration::from_millis(10)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The application server: `ZnServer default`
// ---------------------------------------------------------------------------------------------

struct AppServer {
    listener: TcpListener,
    stopped: AtomicBool,
    connections: Mutex<HashMap<u64, TcpStream>>,
    next_id: AtomicU64,
}

impl AppServer {
    fn start(port: u16) -> io::Result<Arc<Self>> {
        let server = Arc::new(AppServer {
            listener: TcpListener::bind((Ipv4Addr::LOCALHOST, port))?,
            stopped: AtomicBool::new(false),
            connections: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        });
        let acceptor = Arc::clone(&server);
        thread::spawn(move || acceptor.accept_loop());
        Ok(server)
    }

    fn accept_loop(self: Arc<Self>) {
        while !self.stopped.load(Ordering::SeqCst) {
            let Ok((stream, _)) = self.listener.accept() else {
                thread::sleep(Duration::from_millis(10));
                continue;
            };
            let id = self.next_id.fetch_add(1, Ordering::SeqCst);
            if let Ok(clone) = stream.try_clone() {
                lock(&self.connections).insert(id, clone);
            }
            let server = Arc::clone(&self);
            thread::spawn(move || {
                http::serve(stream, |request| match request.method.as_str() {
                    "GET" => Reply::Send(Response::ok(TEXT_PLAIN, "Hello from Pharo\n")),
                    _ => Reply::Send(Response::not_found(&request.path)),
                });
                lock(&server.connections).remove(&id);
            });
        }
    }

    /// `stopServer`: stop accepting. Shutting the listening socket down refuses new connections
    /// and wakes the blocked accept.
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ =
            nix::sys::socket::shutdown(self.listener.as_raw_fd(), nix::sys::socket::Shutdown::Both);
    }

    fn has_open_connections(&self) -> bool {
        !lock(&self.connections).is_empty()
    }

    fn close_connections(&self) {
        for (_, stream) in lock(&self.connections).drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Process-level behaviour: signals and the orphan
// ---------------------------------------------------------------------------------------------

/// Gives SIGTERM and SIGINT their default action (or ignores them), and catches SIGUSR1
/// (unless `usr1` is [`Usr1::Default`]), SIGUSR2 and SIGQUIT: each gets a handler, so that the
/// kernel counts it as caught (`SigCgt` in /proc/PID/status) as a VM's would be, and is blocked
/// in the calling thread, so that the reporter thread takes it with `sigwait`. Call it before
/// spawning any thread, so that every thread inherits the mask. Answers the blocked set.
fn setup_signals(ignore_termination: bool, usr1: Usr1) -> nix::Result<SigSet> {
    let handler = if ignore_termination {
        SigHandler::SigIgn
    } else {
        SigHandler::SigDfl
    };
    let mut termination = SigSet::empty();
    for sig in [Signal::SIGTERM, Signal::SIGINT] {
        // SAFETY: SIG_IGN and SIG_DFL run no code in signal context, so no handler can break
        // async-signal-safety, and no other thread exists yet to race with.
        unsafe { signal::signal(sig, handler) }?;
        termination.add(sig);
    }
    let mut reported = SigSet::empty();
    for sig in [Signal::SIGUSR1, Signal::SIGUSR2, Signal::SIGQUIT] {
        if sig == Signal::SIGUSR1 && usr1 == Usr1::Default {
            termination.add(sig);
            continue;
        }
        // SAFETY: the handler does nothing at all (the signal is blocked and taken by
        // sigwait), so it is async-signal-safe; no other thread exists yet.
        unsafe { signal::signal(sig, SigHandler::Handler(caught)) }?;
        reported.add(sig);
    }
    termination.thread_unblock()?;
    reported.thread_block()?;
    Ok(reported)
}

/// The handler of the signals the reporter thread takes: it never runs, since they stay
/// blocked, but makes them count as caught.
extern "C" fn caught(_: libc::c_int) {}

/// Answers each SIGUSR1 with the VM's stack report (or, [`Usr1::Silent`], nothing), each
/// SIGUSR2 with a line, and each SIGQUIT with a line (the double survives it, so that a test
/// can see it arrive). Every signal is an event.
fn report_signals(signals: SigSet, usr1: Usr1, image: String) {
    thread::spawn(move || {
        loop {
            match signals.wait() {
                Ok(Signal::SIGQUIT) => say("pharo-vm-double: SIGQUIT received"),
                Ok(Signal::SIGUSR1) if usr1 == Usr1::Silent => {
                    event("pharo-vm-double: SIGUSR1 received, writing no report");
                }
                Ok(Signal::SIGUSR1) => {
                    event("pharo-vm-double: SIGUSR1 received, printing process stacks");
                    report::write(&image);
                }
                Ok(sig) => say(&format!(
                    "pharo-vm-double: {} received, printing process stacks",
                    sig.as_str()
                )),
                Err(_) => {}
            }
        }
    });
}

/// Leaves an orphan behind: a child forks a grandchild and exits at once, so the grandchild
/// (which sleeps for `lifetime`, then exits) is re-parented to the nearest subreaper or PID 1.
/// Must run before any thread is spawned. Answers the grandchild's pid.
fn make_orphan(lifetime: Duration) -> io::Result<i32> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe() to fill.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the process is still single-threaded, so the child starts in a consistent state;
    // it only makes async-signal-safe calls and never returns.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => orphan_parent(fds, lifetime),
        child => {
            // SAFETY: fds[1] is our open write end, closed exactly once; fds[0] is an open read
            // end that nothing else owns, so the File may take it over.
            let mut reader = unsafe {
                libc::close(fds[1]);
                File::from_raw_fd(fds[0])
            };
            let mut pid = [0; 4];
            let read = reader.read_exact(&mut pid);
            let mut status = 0;
            // SAFETY: `child` is our child's pid and `status` a valid place for its status.
            unsafe { libc::waitpid(child, &mut status, 0) };
            read?;
            match i32::from_ne_bytes(pid) {
                pid if pid > 0 => Ok(pid),
                _ => Err(io::Error::other("fork of the grandchild failed")),
            }
        }
    }
}

/// The forked child: forks the grandchild, sends its pid through the pipe and exits.
fn orphan_parent(fds: [libc::c_int; 2], lifetime: Duration) -> ! {
    // SAFETY: we are the single-threaded child of fork(); fork, open, dup2, close, write,
    // nanosleep and _exit are async-signal-safe, and the pointers passed are valid.
    unsafe {
        let grandchild = libc::fork();
        if grandchild == 0 {
            // Let go of the caller's pipes (stdout may be a test's capture pipe).
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            libc::close(null);
            libc::close(fds[0]);
            libc::close(fds[1]);
            let mut remaining = libc::timespec {
                tv_sec: lifetime.as_secs() as libc::time_t,
                tv_nsec: libc::c_long::from(lifetime.subsec_nanos() as i32),
            };
            let mut rest = remaining;
            while libc::nanosleep(&remaining, &mut rest) == -1 {
                remaining = rest;
            }
            libc::_exit(0);
        }
        let pid = grandchild.to_ne_bytes();
        libc::write(fds[1], pid.as_ptr().cast(), pid.len());
        libc::_exit(0)
    }
}

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

fn main() {
    let started = Instant::now();
    let switches = Switches::from_env();
    let args: Vec<String> = env::args().skip(1).collect();
    let mut positional = args.iter().skip_while(|arg| arg.starts_with('-'));
    let (image, script_path) = (positional.next(), positional.next());
    let Some(image) = image.filter(|image| Path::new(image).is_file()) else {
        fail(&format!(
            "cannot open image {}",
            image.map_or("(none given)", String::as_str)
        ));
    };
    let mut script = match script_path {
        Some(path) => match fs::read(path) {
            Ok(source) => Script::scan(&String::from_utf8_lossy(&source)),
            Err(error) => fail(&format!("cannot read script {path}: {error}")),
        },
        None => Script::default(),
    };
    if let Some(path) = &switches.events {
        match OpenOptions::new().create(true).append(true).open(path) {
            Ok(file) => drop(EVENTS.set(Mutex::new(file))),
            Err(error) => fail(&format!(
                "cannot open events file {}: {error}",
                path.display()
            )),
        }
    }
    if let Some(lifetime) = switches.orphan {
        match make_orphan(lifetime) {
            Ok(pid) => say(&format!("pharo-vm-double: orphan {pid}")),
            Err(error) => fail(&format!("cannot make an orphan: {error}")),
        }
    }
    let signals = setup_signals(switches.ignore_sigterm, switches.usr1)
        .unwrap_or_else(|error| fail(&format!("cannot set up signals: {error}")));
    if let Some(code) = switches.die_on_start {
        thread::sleep(switches.die_delay);
        eprintln!("pharo-vm-double: simulated crash during start");
        process::exit(code);
    }
    report_signals(signals, switches.usr1, image.clone());
    if let Some(after) = switches.exit_after {
        let code = switches.exit_code;
        thread::spawn(move || {
            thread::sleep(after);
            quit(code)
        });
    }
    let app = script.app_port.map(|port| {
        AppServer::start(port)
            .unwrap_or_else(|error| fail(&format!("cannot start ZnServer on port {port}: {error}")))
    });
    if let Some(delay) = switches.start_delay {
        thread::sleep(delay);
    }
    let Some(port) = script.repl_port else {
        say(&format!("pharo-vm-double: image {image}, no REPL"));
        loop {
            thread::park();
        }
    };
    let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
        Ok(listener) => listener,
        // A Pharo image run with --no-quit logs its startup script's error and runs on.
        Err(error) if switches.no_quit => {
            say(&format!(
                "pharo-vm-double: cannot start the REPL on port {port}: {error}; running on without it"
            ));
            say(&format!("pharo-vm-double: image {image}, no REPL"));
            loop {
                thread::park();
            }
        }
        Err(error) => fail(&format!("cannot start the REPL on port {port}: {error}")),
    };
    let repl_port = listener.local_addr().map_or(port, |address| address.port());
    let authenticator = script.auth.take().map(|(username, password)| {
        auth::Authenticator::new(username, password, Path::new(image))
            .unwrap_or_else(|error| fail(&format!("cannot start the REPL: {error}")))
    });
    say(&format!(
        "pharo-vm-double: image {image}, REPL on 127.0.0.1:{repl_port}{}",
        if authenticator.is_some() {
            " (credentials required)"
        } else {
            ""
        }
    ));
    let (globals, image_size) = image::load(Path::new(image));
    let vm = Vm {
        switches,
        script,
        repl_port,
        authenticator,
        app,
        shutdown_started: AtomicBool::new(false),
        started,
        image: PathBuf::from(image),
        globals: Mutex::new(globals),
        image_size,
    };
    serve_repl(Arc::new(vm), listener)
}
