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

mod app;
mod auth;
mod bignum;
mod config;
mod eval;
mod http;
mod image;
mod output;
mod png;
mod repl;
mod report;
mod signals;

use std::env;
use std::fs::{self, OpenOptions};
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Instant;

use crate::{app::*, config::*, output::*, repl::*, signals::*};

const TEXT_PLAIN: &str = "text/plain;charset=utf-8";

// Start

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
