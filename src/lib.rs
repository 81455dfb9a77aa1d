//! pharo-ctl: the control plane for headless Pharo Smalltalk servers on Linux.
//!
//! `main` parses the command line and hands it to [`run`], which dispatches to one module per
//! command under [`commands`]. The shared machinery lives in modules named for what they own:
//! the instance and its files ([`instance`]), the pid file ([`pidfile`]), the process table
//! ([`process`]), process handles ([`handle`]), finding a VM ([`finder`]), the REPL client
//! ([`repl`]), the stop sequence ([`stopper`]) and starting a VM ([`starter`]); the generated
//! documentation has its own: the completion scripts ([`completion`]) and the man pages
//! ([`manual`]).

pub mod cli;
pub mod commands;
pub mod completion;
pub mod context;
pub mod duration;
pub mod error;
pub mod exit_code;
pub mod finder;
pub mod handle;
pub mod instance;
pub mod manual;
pub mod output;
pub mod pidfile;
pub mod process;
pub mod repl;
pub mod starter;
pub mod stopper;

use clap::Parser;
use cli::Cli;
use exit_code::Code;
use std::process::ExitCode;

/// The program: parse the command line (accepting pharo-ctl.sh's argument order), run the
/// command, and turn its outcome into an exit status.
pub fn main() -> ExitCode {
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cli = match Cli::try_parse_from(cli::rewrite_legacy(args)) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Code::Usage.into()
            } else {
                Code::Success.into()
            };
        }
    };
    run(cli).into()
}

/// Runs a parsed command line and answers its exit code. Errors are printed here, once, as
/// one `error: …` line.
pub fn run(cli: Cli) -> Code {
    let machine = matches!(
        cli.command,
        cli::Command::Status { json: true, .. } | cli::Command::Ps { json: true }
    );
    output::init(&cli.output, machine);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => Code::Success,
        Err(e) => {
            output::error(format!("{e:#}"));
            error::code_of(&e)
        }
    }
}

/// A reader that went away (`pharo-ctl status | head -1`) is not a failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
