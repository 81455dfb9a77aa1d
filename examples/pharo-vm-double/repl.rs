//! The image: REPL requests (GET, POST, the display), the Smalltalk they evaluate, and
//! `ShutdownSequence`.

use crate::*;
use std::cell::Cell;
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::eval::Outcome;
use crate::http::{Ended, Reply, Request, Response};

/// The running image: what the script set up, and the switches it runs with.
pub(crate) struct Vm {
    pub(crate) switches: Switches,
    pub(crate) script: Script,
    pub(crate) repl_port: u16,
    /// The credentials the REPL asks for, if the script gave it an authenticator.
    pub(crate) authenticator: Option<auth::Authenticator>,
    pub(crate) app: Option<Arc<AppServer>>,
    pub(crate) shutdown_started: AtomicBool,
    pub(crate) started: Instant,
    /// The image file, its globals and the size it is saved at (at least its size at start).
    pub(crate) image: PathBuf,
    pub(crate) globals: Mutex<BTreeMap<String, String>>,
    pub(crate) image_size: u64,
}

impl Vm {
    /// Zinc's ZnReadEvalPrintDelegate, plus the misbehaviours asked for.
    pub(crate) fn repl_reply(&self, request: &Request) -> Reply {
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
    pub(crate) fn evaluate(&self, request: &Request) -> Reply {
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
pub(crate) struct Evaluation<'a> {
    pub(crate) vm: &'a Vm,
    /// Whether the expression forked ShutdownSequence.
    pub(crate) forked: Cell<bool>,
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
pub(crate) fn shutdown_sequence(app: Option<&AppServer>) {
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

pub(crate) fn help_text(port: u16) -> String {
    format!(
        "# Pharo Smalltalk REPL. POST expressions to evaluate\n# Here is one way (with curl)\n\
         # curl -X POST -H'Content-Type:text/plain' --data-binary '42 factorial' http://localhost:{port}/repl\n"
    )
}

/// Zinc accepts only textual entities: `text/*`, or a subtype naming a textual format.
pub(crate) fn is_textual(content_type: Option<&str>) -> bool {
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
pub(crate) fn describe(request: &Request) -> String {
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

pub(crate) fn serve_repl(vm: Arc<Vm>, listener: TcpListener) -> ! {
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
