//! How a start counts, and the REPL watchdog of `run`.

use crate::duration;
use clap::Args;
use std::time::Duration;

/// Options of start and restart.
#[derive(Debug, Args, Clone)]
pub struct StartArgs {
    /// Wait until the REPL answers before reporting success.
    #[arg(long)]
    pub wait: bool,
    /// How long the VM must stay up before a start counts (without --wait).
    ///
    /// Sooner when the REPL that the startup script names answers.
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = duration::parse, allow_hyphen_values = true)]
    pub settle: Duration,
    /// With --wait: how long to wait for the REPL.
    ///
    /// Each request may take the time left: a busy image may answer slowly at first.
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration::parse, allow_hyphen_values = true)]
    pub start_timeout: Duration,
}

impl StartArgs {
    /// When a start counts as done: what the machinery below the command line takes.
    pub fn readiness(&self) -> crate::start::Readiness {
        crate::start::Readiness {
            wait: self.wait,
            settle: self.settle,
            start_timeout: self.start_timeout,
        }
    }
}

/// The REPL watchdog of run (and of the unit that runs it).
#[derive(Debug, Args, Clone, Copy, Default)]
#[command(next_help_heading = "REPL")]
pub struct WatchdogArgs {
    /// Probe the REPL every INTERVAL; unanswered probes mean the image is hung [default: off].
    ///
    /// Each probe is GET /repl; N probes in a row without an answer (--watchdog-misses) mean
    /// the image is hung: a stack dump, the stop, exit 8. Under systemd's watchdog
    /// (WATCHDOG_USEC) the interval is WatchdogSec/(N+2).
    #[arg(long, value_name = "INTERVAL", value_parser = duration::parse_positive, allow_hyphen_values = true)]
    pub watchdog: Option<Duration>,
    /// How many probes in a row without an answer mean the image is hung.
    #[arg(long, value_name = "N", default_value_t = crate::run::watchdog::DEFAULT_MISSES, value_parser = clap::value_parser!(u32).range(1..=1000), hide_short_help = true)]
    pub watchdog_misses: u32,
}
