//! `pharo-ctl console`: an interactive session with the image's REPL, with line editing,
//! persistent history per instance and multi-line input (an expression goes on, at a
//! continuation prompt, while a bracket, a string or a comment is open, see
//! [`expression`]). What is typed while an answer is awaited is kept and read next, so each
//! expression is sent in turn. Ctrl-C cancels the expression being typed, or the request in
//! flight (its connection is closed); Ctrl-D leaves.
//!
//! Off a terminal (`pharo-ctl console < script.st`) it reads whole expressions from standard
//! input, prints each answer, and exits 1 when any answer was an error.

use crate::commands::console::expression::Lines;
use crate::context::Context;
use crate::error::{Fail, fail};
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::output;
use crate::process::signals::Signals;
use crate::repl::Reply;
use crate::repl::{self, Repl, ReplError};
use anyhow::{Context as _, Result};
use nix::sys::signal::Signal;
use rustyline::error::ReadlineError;
use std::io::{BufRead, IsTerminal, Write};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

mod editor;
pub(crate) mod expression;

/// How long a dropped connection may take to turn into a REPL that is gone, for the console
/// to call it a quit.
const QUIT_WAIT: Duration = Duration::from_secs(3);

const HELP: &str = "\
Type Smalltalk and press Enter: the image's answer is printed as it sent it. An expression
goes on over several lines (at the ...> prompt) while a [ ( { or a 'string' or \"comment\"
is open. What is typed while an answer is awaited is sent next, in order.
  :help               this text
  :timeout            the request timeout in effect
  :timeout DURATION   change it (500ms, 30s, 2m)
  :quit               leave (so does Ctrl-D)
Ctrl-C cancels the line being typed, or the request in flight (its connection is closed;
the image may still be evaluating it).
";

/// The REPL's health, as the prompt shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Health {
    /// It answered.
    Ok,
    /// It could not be reached.
    Down,
    /// It gave no answer in time: the image may be busy.
    Busy,
}

impl Health {
    fn word(self) -> (&'static str, &'static str) {
        match self {
            Health::Ok => ("ok", "32"),
            Health::Down => ("down", "31"),
            Health::Busy => ("busy", "33"),
        }
    }
}

/// What one expression came to.
enum Turn {
    Answered {
        error: bool,
    },
    Cancelled,
    Failed(ReplError),
    /// The connection was dropped and the REPL is gone: the expression quit the image.
    Quit,
}

struct Session {
    repl: Repl,
    /// The instance whose REPL it is, to find its REPL again once its VM is gone (a restart).
    renew: Option<(Context, Instance)>,
    label: String,
    timeout: Duration,
    health: Health,
    color: bool,
    /// At a terminal, as opposed to reading a script.
    interactive: bool,
}

/// The session; `timeout` is how long each answer may take.
pub fn run(ctx: &Context, name: Option<&str>, timeout: Duration) -> Result<Code> {
    // Without NAME, the instance (when the directory names one) tells the REPL's port; with
    // several images and no --repl, which one is meant is not guessed.
    let instance = match name {
        Some(_) => Some(ctx.instance(name)?),
        // `--repl` without NAME: the REPL the operator names, as asked.
        None if ctx.repl_url.is_some() => None,
        None => match ctx.instance(None) {
            Ok(instance) => Some(instance),
            Err(e) if ctx.repl_url.is_none() && crate::error::code_of(&e) == Code::Usage => {
                return Err(e);
            }
            Err(_) => None,
        },
    };
    let repl = match &instance {
        Some(instance) => ctx.running_repl(instance)?,
        None => ctx.repl(None)?,
    };
    let label = match &instance {
        Some(instance) => instance.name.clone(),
        None => repl.host_and_target().0,
    };
    let mut session = Session {
        repl,
        renew: instance.map(|instance| (ctx.clone(), instance)),
        label,
        timeout,
        health: Health::Ok,
        color: output::colored(),
        interactive: std::io::stdin().is_terminal(),
    };
    if session.interactive {
        session.interactive()
    } else {
        session.script(std::io::stdin().lock())
    }
}

impl Session {
    fn interactive(&mut self) -> Result<Code> {
        self.health = match self.repl.probe(Repl::PROBE_TIMEOUT) {
            Ok(_) => Health::Ok,
            Err(ReplError::Timeout(_)) => Health::Busy,
            // No expression could be evaluated: say so now, not at each one.
            Err(error @ ReplError::Unauthorized { .. }) => {
                return Err(self.failure(&error).into());
            }
            Err(_) => Health::Down,
        };
        let (mut editor, mut history) = editor::open(&self.label, self.color)?;
        output::step(format!(
            "{}: console on {} (REPL {}); :help for help, Ctrl-D to leave",
            self.label,
            self.repl.url(),
            self.health.word().0
        ));
        // The lines of an expression not yet whole.
        let mut pending = Lines::default();
        let mut continued = false;
        loop {
            let prompt = if continued {
                self.continuation_prompt()
            } else {
                self.prompt()
            };
            let line = match editor.readline(&prompt) {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => {
                    (pending, continued) = (Lines::default(), false);
                    continue;
                }
                Err(ReadlineError::Eof) => return Ok(Code::Success),
                Err(e) => return Err(e.into()),
            };
            if !continued && line.trim().is_empty() {
                continue;
            }
            let expr = if !continued && line.trim_start().starts_with(':') {
                line.trim().to_string()
            } else {
                match pending.push(&format!("{line}\n")) {
                    Some(expr) => expr,
                    None => {
                        continued = true;
                        continue;
                    }
                }
            };
            continued = false;
            let text = expr.trim();
            editor.add_history_entry(text)?;
            if let Some(path) = &history
                && let Err(e) = editor.append_history(path)
            {
                output::warn(format!(
                    "cannot write the history {}: {e}; this session's input is not saved",
                    path.display()
                ));
                history = None;
            }
            if let Some(command) = text.strip_prefix(':') {
                if !self.command(command)? {
                    return Ok(Code::Success);
                }
                continue;
            }
            // Ctrl-C reaches pharo-ctl as SIGINT while a request is in flight (the line
            // editor reads it as a key otherwise).
            let interrupts = Signals::install(&[Signal::SIGINT])?;
            let turn = self.evaluate(text, Some(interrupts.fd()));
            drop(interrupts);
            match turn? {
                Turn::Quit => return Ok(Code::Success),
                Turn::Failed(error) => output::error(self.failure(&error).message),
                Turn::Answered { .. } | Turn::Cancelled => {}
            }
        }
    }

    /// A script from standard input: each whole expression in turn, as soon as it is read.
    fn script(&mut self, mut input: impl BufRead) -> Result<Code> {
        let mut lines = Lines::default();
        let mut code = Code::Success;
        let mut bytes = Vec::new();
        for number in 1.. {
            bytes.clear();
            let read = input
                .read_until(b'\n', &mut bytes)
                .context("cannot read the console's input")?;
            let expr = if read == 0 {
                std::mem::take(&mut lines).finish()
            } else {
                let Ok(line) = std::str::from_utf8(&bytes) else {
                    return fail(
                        Code::Usage,
                        format!(
                            "line {number} of standard input is not valid UTF-8: pharo-ctl takes UTF-8 expressions; convert it first, e.g. with iconv"
                        ),
                    );
                };
                lines.push(line)
            };
            if let Some(expr) = expr {
                match self.evaluate(&expr, None)? {
                    Turn::Answered { error: false } => {}
                    Turn::Answered { error: true } => code = Code::Failure,
                    Turn::Cancelled => unreachable!("nothing cancels a script's request"),
                    Turn::Failed(
                        error @ (ReplError::Unreachable(_) | ReplError::Unauthorized { .. }),
                    ) => {
                        return Err(self.failure(&error).into());
                    }
                    Turn::Failed(error) => {
                        output::error(self.failure(&error).message);
                        code = Code::Failure;
                    }
                    Turn::Quit => break,
                }
            }
            if read == 0 {
                break;
            }
        }
        Ok(code)
    }

    /// Once the instance's VM is gone, the REPL of the VM that runs it now, if one does: only
    /// a REPL of the running VM's tree is ever sent to.
    fn renew_repl(&mut self) {
        if let Some((ctx, instance)) = &self.renew
            && self.repl.owner_gone()
            && let Ok(repl) = ctx.running_repl(instance)
        {
            self.repl = repl;
        }
    }

    /// How a request that got no answer is reported.
    fn failure(&self, error: &ReplError) -> Fail {
        let more_time = if self.interactive {
            "give it more time with :timeout DURATION"
        } else {
            "raise --timeout"
        };
        error.failure(self.repl.url(), more_time)
    }

    /// Sends one expression and prints what came of it.
    fn evaluate(&mut self, expr: &str, cancel: Option<BorrowedFd<'_>>) -> Result<Turn> {
        self.renew_repl();
        let turn = match self.repl.post(expr, self.timeout, cancel) {
            Ok(Reply::Answer(answer)) => {
                let error = repl::is_error_answer(&String::from_utf8_lossy(&answer));
                self.print_answer(&answer, error)?;
                Turn::Answered { error }
            }
            Ok(Reply::Cancelled) => {
                output::step(format!(
                    "{}: cancelled; the connection is closed, the image may still be evaluating it",
                    self.label
                ));
                return Ok(Turn::Cancelled);
            }
            Err(ReplError::Dropped) if self.repl_gone() => {
                output::step(format!(
                    "{}: the image quit (the connection closed without an answer and the REPL is gone)",
                    self.label
                ));
                self.health = Health::Down;
                return Ok(Turn::Quit);
            }
            Err(error) => Turn::Failed(error),
        };
        self.health = match &turn {
            Turn::Failed(ReplError::Unreachable(_)) => Health::Down,
            Turn::Failed(ReplError::Timeout(_)) => Health::Busy,
            _ => Health::Ok,
        };
        Ok(turn)
    }

    /// Prints an answer as the image sent it; an error in the error colour (its first line
    /// highlighted, the stack dimmed) when colour is on. At the prompt, an answer that does
    /// not end its line gets a newline, so that the prompt starts on its own.
    fn print_answer(&self, answer: &[u8], error: bool) -> Result<()> {
        let mut out = std::io::stdout().lock();
        if error && self.color {
            let text = String::from_utf8_lossy(answer);
            let (first, stack) = text.split_once('\n').unwrap_or((&text, ""));
            write!(out, "\x1b[1;31m{first}\x1b[0m\n\x1b[2m{stack}\x1b[0m")?;
        } else {
            out.write_all(answer)?;
        }
        if self.interactive && !answer.ends_with(b"\n") && !answer.is_empty() {
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(())
    }

    /// Whether the REPL stopped answering within [`QUIT_WAIT`], as after a quit.
    fn repl_gone(&self) -> bool {
        let deadline = crate::duration::from_now(QUIT_WAIT);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.repl.probe(left.min(Repl::PROBE_TIMEOUT)) {
                Err(ReplError::Unreachable(_)) => return true,
                _ if left.is_zero() => return false,
                _ => std::thread::sleep(Repl::PROBE_INTERVAL.min(left)),
            }
        }
    }

    /// The prompt, plain and coloured: the instance and the REPL's health.
    fn prompt(&self) -> (String, String) {
        let (word, style) = self.health.word();
        (
            format!("{} {word}> ", self.label),
            format!("\x1b[1m{}\x1b[0m \x1b[{style}m{word}\x1b[0m> ", self.label),
        )
    }

    /// The prompt of an expression's further lines, as wide as [`Session::prompt`]'s.
    fn continuation_prompt(&self) -> (String, String) {
        let width = self.prompt().0.chars().count();
        let plain = format!("{:>width$}", "...> ");
        let styled = format!("\x1b[2m{plain}\x1b[0m");
        (plain, styled)
    }

    /// A console command (`:help`, `:timeout`, `:quit`); answers whether to go on.
    fn command(&mut self, command: &str) -> Result<bool> {
        let mut words = command.split_whitespace();
        match (words.next().unwrap_or(""), words.next(), words.next()) {
            ("help" | "h" | "?", None, _) => print!("{HELP}"),
            ("quit" | "q" | "exit", None, _) => return Ok(false),
            ("timeout", None, _) => println!(
                "the request timeout is {}",
                crate::duration::human(self.timeout)
            ),
            ("timeout", Some(value), None) => match crate::duration::parse(value) {
                Ok(timeout) if !timeout.is_zero() => {
                    self.timeout = timeout;
                    println!(
                        "the request timeout is now {}",
                        crate::duration::human(timeout)
                    );
                }
                Ok(_) => output::error("a timeout of 0 would never wait: give e.g. :timeout 30s"),
                Err(why) => output::error(format!("{why}; e.g. :timeout 30s")),
            },
            _ => output::error(format!(
                "':{command}' is not a console command: :help lists them"
            )),
        }
        std::io::stdout().flush()?;
        Ok(true)
    }
}
