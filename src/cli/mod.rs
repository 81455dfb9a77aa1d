//! The command line: one clap derive definition, which also generates the completions and the
//! man pages. Every `///` here becomes both `--help` text and man page text. The subcommands
//! are in [`command`]; their argument groups one per file: the instances and their files
//! ([`instance`]), starting ([`start`]), the REPL and the stop ([`repl`]), the output
//! ([`output`]), saving the image ([`save`]).

pub(crate) mod words;

use crate::exit_code;
use clap::Parser;

mod command;
pub(crate) mod examples;
mod instance;
mod output;
mod repl;
pub(crate) mod save;
mod start;

pub use command::Command;
pub use instance::{InstanceArgs, Names, VmArgs};
pub use output::{ColorChoice, OutputArgs};
pub use repl::{DEFAULT_SHUTDOWN, ReplArgs, StopArgs};
pub use save::SaveArgs;
pub use start::{StartArgs, WatchdogArgs};

/// The control plane for headless Pharo Smalltalk servers.
///
/// Starts an image, stops it cooperatively through its REPL (with a safe fallback to SIGTERM
/// and SIGKILL), tells whether it runs, evaluates Smalltalk in it, and runs it as the main
/// process of a systemd service or a container.
#[derive(Debug, Parser)]
#[command(name = "pharo-ctl", version, max_term_width = WIDTH, after_help = after_help())]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Every command's: what is printed, and how.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The widest the help is printed.
const WIDTH: usize = 100;

/// What `pharo-ctl --help` shows after the options: the exit codes (the examples follow,
/// from [`examples`]).
fn after_help() -> String {
    exit_code::help_section("pharo-ctl", WIDTH)
}

/// The command line as clap sees it: the definition below, with each command's notes and
/// exit codes after its `--help`, while `-h` keeps to the options and the examples (one
/// screen).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    split_help(Cli::command().mut_subcommands(split_help))
}

/// Gives a command's `after_help` to `--help` whole, with the exit codes, and only its
/// examples to `-h`.
fn split_help(command: clap::Command) -> clap::Command {
    let help = command
        .get_after_help()
        .map(ToString::to_string)
        .unwrap_or_default();
    let codes = exit_code::help_section(command.get_name(), WIDTH);
    let examples = examples::section(command.get_name());
    let notes = help.replace(&codes, "").trim().to_string();
    let long: Vec<&str> = [notes.as_str(), codes.as_str(), examples.as_str()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect();
    let long = long.join("\n\n");
    command.after_help(examples).after_long_help(long)
}

/// Parses a command line.
pub fn parse(args: Vec<String>) -> Result<Cli, clap::Error> {
    use clap::FromArgMatches;
    let matches = command().try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut command()))
}

/// Removes pharo-ctl's own environment variables (those of the `env = ` attributes above:
/// `PHARO_VM`, `PHARO_CTL_DIR`, …) that are set but empty, so that they count as unset: a
/// systemd `Environment=PHARO_VM=` line means "no VM given", not "the VM is ''".
///
/// # Safety
///
/// It changes the process's environment, so no other thread may exist (one could be reading
/// the environment): call it first thing in `main`.
pub unsafe fn unset_empty_env() {
    use clap::CommandFactory;
    let command = Cli::command();
    let arguments = command
        .get_arguments()
        .chain(command.get_subcommands().flat_map(|c| c.get_arguments()));
    for name in arguments.filter_map(|arg| arg.get_env()) {
        if std::env::var_os(name).is_some_and(|value| value.is_empty()) {
            // SAFETY: the caller guarantees that this process has no other thread.
            unsafe { std::env::remove_var(name) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_the_exit_codes_name_exists() {
        let names: Vec<String> = command()
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        for named in exit_code::commands_with_codes() {
            assert!(names.iter().any(|n| n == named), "{named}");
        }
    }
    use clap::CommandFactory;

    #[test]
    fn command_names_are_the_command_line_s() {
        for sub in Cli::command().get_subcommands() {
            let name = sub.get_name();
            let extra: &[&str] = match name {
                "completions" => &["bash"],
                "generate-docs" => &["."],
                "restore" => &["zinc"],
                _ => &[],
            };
            let args: Vec<&str> = ["pharo-ctl", name]
                .into_iter()
                .chain(extra.iter().copied())
                .collect();
            let cli = Cli::try_parse_from(args).unwrap();
            assert_eq!(cli.command.name(), name);
        }
    }

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }
}
