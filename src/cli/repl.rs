//! How the image's REPL is reached, and how an image is stopped through it.

use crate::duration;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// How to reach the image's REPL.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "REPL")]
pub struct ReplArgs {
    /// The REPL's URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl].
    ///
    /// An instance's REPL is sent to only when a process of the instance's tree holds the
    /// socket listening there (the kernel's socket table, the tree's descriptors); otherwise
    /// nothing is sent and the holder is named. Where the script says nothing or wrong, the
    /// VM's own loopback listener that answers GET /repl like Zinc is its REPL. Only `eval`
    /// and `console` with --repl and no NAME send to the URL as asked.
    #[arg(
        long = "repl",
        env = "PHARO_REPL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub url: Option<String>,
    /// Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent).
    #[arg(long, hide_short_help = true)]
    pub allow_remote: bool,
    /// The file of the REPL's secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists].
    ///
    /// Nobody but its owner may read or write it (chmod 600).
    #[arg(
        long = "repl-secret",
        env = "PHARO_REPL_SECRET_FILE",
        value_name = "FILE",
        hide_short_help = true
    )]
    pub secret: Option<PathBuf>,
}

/// How an image is stopped. Durations take hyphens as values, so that a negative one is
/// refused by what it is rather than taken for an option.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Stop")]
pub struct StopArgs {
    /// How long the image may take to exit after the shutdown request, before SIGTERM.
    #[arg(short = 't', long, value_name = "DURATION", default_value = "5s", value_parser = duration::parse, allow_hyphen_values = true)]
    pub timeout: Duration,
    /// Wait between SIGTERM and SIGKILL.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration::parse, allow_hyphen_values = true)]
    pub kill_after: Duration,
    /// The Smalltalk that asks the image to shut down.
    #[arg(
        long,
        env = "PHARO_CTL_SHUTDOWN",
        hide_env_values = true,
        value_name = "EXPR",
        default_value = DEFAULT_SHUTDOWN,
        hide_short_help = true
    )]
    pub shutdown: String,
}

/// The shutdown expression when none is given.
pub const DEFAULT_SHUTDOWN: &str = "ShutdownSequence fork . true";
