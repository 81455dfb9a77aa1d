//! Output: stderr's step lines and spinners (here) and the tables of `ps` and `status`
//! ([`table`]).
//!
//! What is printed on stderr and how: one colour decision at start-up, step lines, warnings,
//! and a spinner for waits on a terminal.
//!
//! Results (eval answers, pids, JSON) go to stdout and are written by the commands themselves;
//! everything here goes to stderr, one line per step, so that a journal reads as a story.

pub(crate) mod table;

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Settings {
    quiet: bool,
    verbose: bool,
    /// stderr is a terminal: spinners are allowed.
    interactive: bool,
    /// Colour on stderr (warnings, errors, detail), decided for stderr itself: stdout may be a
    /// terminal while stderr goes to a file, or the other way round.
    stderr_color: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// The spinner on screen, if any, with its number: lines printed meanwhile go above it
/// instead of through its line.
static ACTIVE: Mutex<Option<(u64, ProgressBar)>> = Mutex::new(None);
static SPINNERS: AtomicU64 = AtomicU64::new(0);
/// Set while several instances are worked on at once: no spinner then.
static NO_SPINNERS: AtomicBool = AtomicBool::new(false);

/// Prints a line on stderr, above the spinner when one is shown. A stderr nobody reads any
/// more (a closed terminal, a restarted journal) loses the line but never stops the work.
fn print_line(line: &str) {
    let write = || {
        // Unit tests print through the macro, which the test runner captures.
        #[cfg(test)]
        eprintln!("{line}");
        #[cfg(not(test))]
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    };
    let active = ACTIVE
        .lock()
        .map(|active| active.as_ref().map(|(_, bar)| bar.clone()))
        .unwrap_or(None);
    match active {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Who else hears every step line, quiet or not (the launcher's `STATUS=` for systemd).
type StepListener = Box<dyn Fn(&str) + Send + Sync>;
static STEP_LISTENER: OnceLock<StepListener> = OnceLock::new();

fn settings() -> Settings {
    *SETTINGS.get_or_init(|| Settings {
        quiet: false,
        verbose: false,
        interactive: false,
        stderr_color: false,
    })
}

/// Decides once whether to use colour, on stdout and on stderr each by whether it is a
/// terminal, and whether steps and spinners are shown. `machine_output` (`--json`) means no
/// colour and no spinner.
pub fn init(choice: ColorChoice, quiet: bool, verbose: bool, machine_output: bool) {
    let color = !machine_output && use_color(choice, std::io::stdout().is_terminal());
    colored::control::set_override(color);
    let stderr_terminal = std::io::stderr().is_terminal();
    let _ = SETTINGS.set(Settings {
        quiet,
        verbose,
        interactive: !machine_output && stderr_terminal && !dumb_terminal(),
        stderr_color: !machine_output && use_color(choice, stderr_terminal),
    });
}

/// When to colour (`--color`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb.
    #[default]
    Auto,
    /// Always colour, even into a pipe or a file (and despite NO_COLOR).
    Always,
    /// Never colour.
    Never,
}

/// `text` in an SGR style (`1;33` bold yellow…) when stderr is coloured.
fn paint(text: &str, style: &str) -> String {
    if settings().stderr_color {
        format!("\x1b[{style}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn dumb_terminal() -> bool {
    std::env::var_os("TERM").is_some_and(|t| t == "dumb")
}

/// The colour rule of ripgrep and fd: `always` and `never` mean what they say; `auto` colours
/// a terminal unless `NO_COLOR` is set and non-empty, or `TERM=dumb`.
pub fn use_color(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            terminal
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && !dumb_terminal()
        }
    }
}

/// Writes JSON on stdout: one line, or indented when `pretty`, and a newline.
pub fn json(value: &impl serde::Serialize, pretty: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    if pretty {
        serde_json::to_writer_pretty(&mut out, value)?;
    } else {
        serde_json::to_writer(&mut out, value)?;
    }
    writeln!(out)?;
    Ok(())
}

/// A measured figure with no more decimals than it was measured to (`0.487` ms, not
/// `0.48674999999999996`).
pub fn rounded(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// `120.3M`, as systemctl prints memory.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "K", "M", "G", "T"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n}B")
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

/// Whether colour is on (after [`init`]).
pub fn colored() -> bool {
    colored::control::SHOULD_COLORIZE.should_colorize()
}

/// One step of what is being done, e.g. `zinc: asking the image to shut down`.
pub fn step(line: impl AsRef<str>) {
    let line = line.as_ref();
    if let Some(listener) = STEP_LISTENER.get() {
        listener(line);
    }
    if !settings().quiet {
        print_line(line);
    }
}

/// Offers every later step line to `listener` too, even with `-q`. Only the first listener
/// set counts.
pub fn on_step(listener: impl Fn(&str) + Send + Sync + 'static) {
    let _ = STEP_LISTENER.set(Box::new(listener));
}

/// Detail shown with `-v`.
pub fn detail(line: impl AsRef<str>) {
    if settings().verbose {
        print_line(&paint(line.as_ref(), "2"));
    }
}

/// Turns spinners off from now on: several waits at once would fight over one line (their
/// step lines say what each awaits).
pub fn without_spinners() {
    NO_SPINNERS.store(true, Ordering::Relaxed);
}

/// Something the operator should notice; shown even with `-q`.
pub fn warn(line: impl AsRef<str>) {
    print_line(&format!("{} {}", paint("warning:", "1;33"), line.as_ref()));
}

/// Prints an error the way every command ends on failure: `error: …` on one line.
pub fn error(line: impl AsRef<str>) {
    print_line(&format!("{} {}", paint("error:", "1;31"), line.as_ref()));
}

/// A wait that shows a spinner on a terminal: what is awaited, and the time left before the
/// next escalation (`waiting for zinc to exit (SIGTERM in 3.2s)`). Off a terminal it prints
/// nothing (the step line before it says what is awaited); step lines printed while it spins
/// go above it.
pub struct Spinner {
    bar: Option<ProgressBar>,
    id: u64,
    what: String,
    deadline: Option<Instant>,
    /// What happens at the deadline, e.g. `SIGTERM`.
    next: Option<String>,
}

impl Spinner {
    pub fn new(what: impl Into<String>, deadline: Option<Instant>) -> Spinner {
        let s = settings();
        let bar = (s.interactive && !s.quiet && !NO_SPINNERS.load(Ordering::Relaxed)).then(|| {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg}")
                    .expect("the spinner template is valid"),
            );
            bar
        });
        let id = SPINNERS.fetch_add(1, Ordering::Relaxed);
        if let (Some(bar), Ok(mut active)) = (&bar, ACTIVE.lock()) {
            *active = Some((id, bar.clone()));
        }
        let spinner = Spinner {
            bar,
            id,
            what: what.into(),
            deadline,
            next: None,
        };
        spinner.tick();
        spinner
    }

    /// Names what happens at the deadline: the spinner then counts down to it.
    pub fn before(mut self, next: impl Into<String>) -> Spinner {
        self.next = Some(next.into());
        self.tick();
        self
    }

    /// Whether the waits should wake up now and then to call [`Spinner::tick`].
    pub fn wants_ticks(&self) -> bool {
        self.bar.is_some()
    }

    /// How often [`Spinner::tick`] wants to be called, if at all.
    pub fn interval(&self) -> Option<Duration> {
        self.wants_ticks().then_some(Duration::from_millis(100))
    }

    pub fn tick(&self) {
        if let Some(bar) = &self.bar {
            let message = match self.deadline {
                Some(deadline) => {
                    // Tenths of a second, so that the count-down does not flicker.
                    let left = deadline.saturating_duration_since(Instant::now());
                    let left = crate::duration::human(Duration::from_millis(
                        (left.as_millis() as u64).div_ceil(100) * 100,
                    ));
                    match &self.next {
                        Some(next) => format!("{} ({next} in {left})", self.what),
                        None => format!("{} ({left} left)", self.what),
                    }
                }
                None => self.what.clone(),
            };
            bar.set_message(message);
            bar.tick();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            if let Ok(mut active) = ACTIVE.lock()
                && active.as_ref().is_some_and(|(id, _)| *id == self.id)
            {
                *active = None;
            }
        }
    }
}
