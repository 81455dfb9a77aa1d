//! pharo-ctl: the control plane for headless Pharo Smalltalk servers on Linux.
//!
//! `main` reads the command line ([`cli`]) and hands it to [`run`], which resolves it once
//! ([`context`]) and dispatches to one module per command ([`commands`]). Each folder owns one
//! concern and says so in its `mod.rs`; README.md's Development section draws the layout and
//! which way the imports go.

pub mod cli;
pub(crate) mod commands;
pub(crate) mod context;
pub(crate) mod docs;
pub(crate) mod duration;
pub(crate) mod error;
pub mod exit_code;
pub(crate) mod instance;
pub(crate) mod output;
pub(crate) mod process;
pub(crate) mod repl;
pub(crate) mod run;
pub(crate) mod snapshot;
pub(crate) mod start;
pub(crate) mod stop;

use cli::Cli;
use exit_code::Code;
use std::process::ExitCode;

/// The program: parse the command line (accepting pharo-ctl.sh's argument order), run the
/// command, and turn its outcome into an exit status.
pub fn main() -> ExitCode {
    let args = match utf8_args(std::env::args_os()) {
        Ok(args) => args,
        Err(message) => {
            cli::OutputArgs::from_words(&lossy_args()).init(false);
            output::error(message);
            return Code::Usage.into();
        }
    };
    let cli = match cli::parse(cli::words::hoist_options(cli::words::rewrite_legacy(
        args.clone(),
    ))) {
        Ok(cli) => cli,
        Err(e) => {
            if e.kind() == clap::error::ErrorKind::InvalidSubcommand
                && let Some(legacy) = cli::words::legacy_error(&args)
            {
                // A first word that resembles a command may be a misspelt one: say both.
                let message = match usage_error_line(&e.render().to_string(), None) {
                    Some(clap) if has_suggestion(&e) && !legacy.certain => {
                        format!(
                            "{}; or, {}",
                            clap.trim_end_matches("; see `pharo-ctl --help`"),
                            legacy.message
                        )
                    }
                    _ => legacy.message,
                };
                cli::OutputArgs::from_words(&args).init(false);
                output::error(format!("{message}; see `pharo-ctl --help`"));
                return Code::Usage.into();
            }
            // A usage error is one line; the help that a bare `pharo-ctl` shows, --help and
            // --version are printed as clap renders them.
            match usage_error_line(&e.render().to_string(), subcommand_in(&args)) {
                Some(line) if e.use_stderr() => {
                    cli::OutputArgs::from_words(&args).init(false);
                    output::error(line);
                }
                _ => {
                    let _ = e.print();
                }
            }
            return if e.use_stderr() {
                Code::Usage.into()
            } else {
                Code::Success.into()
            };
        }
    };
    run(cli).into()
}

/// Whether clap suggests a subcommand for a word that is none.
fn has_suggestion(error: &clap::Error) -> bool {
    error
        .get(clap::error::ContextKind::SuggestedSubcommand)
        .is_some()
}

/// The arguments as UTF-8, or the usage error that names the first that is not: a path or an
/// expression silently changed (U+FFFD for each bad byte) would name another file or say
/// something else. The program's own name may be anything.
fn utf8_args(args: impl Iterator<Item = std::ffi::OsString>) -> Result<Vec<String>, String> {
    args.enumerate()
        .map(|(n, arg)| match arg.into_string() {
            Ok(arg) => Ok(arg),
            Err(arg) if n == 0 => Ok(arg.to_string_lossy().into_owned()),
            Err(arg) => Err(format!(
                "argument {n} is not valid UTF-8 ({}): pharo-ctl takes UTF-8 paths and expressions",
                escape_invalid(arg.as_encoded_bytes())
            )),
        })
        .collect()
}

/// Bytes as text, with each byte that is not part of valid UTF-8 shown as `\xNN`.
fn escape_invalid(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// Runs a parsed command line and answers its exit code. Errors are printed here, once, as
/// one `error: …` line.
pub fn run(cli: Cli) -> Code {
    let machine = matches!(
        cli.command,
        cli::Command::Status { json: true, .. }
            | cli::Command::Status { probe: true, .. }
            | cli::Command::Ps { json: true, .. }
            | cli::Command::Dump { json: true, .. }
    );
    let probe = matches!(cli.command, cli::Command::Status { probe: true, .. });
    cli.output.init(machine);
    match commands::dispatch(cli) {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => Code::Success,
        Err(e) => {
            output::error(format!("{e:#}"));
            // A probe that cannot tell is "unknown", whatever stopped it.
            if probe {
                Code::Unknown
            } else {
                error::code_of(&e)
            }
        }
    }
}

/// clap's report of a usage error as one line: the error, then its tips and possible values,
/// then where to read more; `None` when the report is no error (help text). `error: ` itself
/// is added by [`output::error`].
fn usage_error_line(report: &str, subcommand: Option<&str>) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    // The indented lines under an error that ends in a colon are what it lists.
    let mut listing = false;
    for line in report.lines().map(str::trim) {
        if let Some(error) = line.strip_prefix("error: ") {
            listing = error.ends_with(':');
            parts.push(error.to_string());
        } else if listing && !line.is_empty() && !line.starts_with("tip: ") {
            if let Some(error) = parts.last_mut() {
                error.push(' ');
                error.push_str(line);
            }
        } else if let Some(tip) = line.strip_prefix("tip: ") {
            listing = false;
            parts.push(tip.to_string());
        } else if line.is_empty() {
            listing = false;
        } else if line.starts_with("[possible values:") {
            parts.push(line.trim_matches(['[', ']']).to_string());
        }
    }
    let usage = report
        .lines()
        .find_map(|line| line.strip_prefix("Usage: "))
        .and_then(|usage| usage.split_whitespace().nth(1))
        .filter(|word| !word.starts_with(['[', '<', '-']))
        .or(subcommand)
        .map_or_else(
            || "pharo-ctl --help".to_string(),
            |sub| format!("pharo-ctl {sub} --help"),
        );
    if parts.is_empty() {
        return None;
    }
    let parts: Vec<String> = parts.iter().map(|part| closest_only(part)).collect();
    Some(format!("{}; see `{usage}`", parts.join("; ")))
}

/// clap's `some similar subcommands exist: 'a', 'b', 'c'` names them from the least similar to
/// the most: only the most similar is worth a hint (`stpo` is `stop`, not `snapshot`).
fn closest_only(part: &str) -> String {
    let Some(rest) = part.split_once("some similar subcommands exist: ") else {
        return part.to_string();
    };
    match rest.1.rsplit(", ").next() {
        Some(closest) => format!("{}a similar subcommand exists: {closest}", rest.0),
        None => part.to_string(),
    }
}

/// The first word of a command line that names a subcommand, for the hint of a usage error
/// whose report does not say which command it concerns.
fn subcommand_in(args: &[String]) -> Option<&str> {
    use clap::CommandFactory;
    let command = Cli::command();
    args.iter().skip(1).map(String::as_str).find(|word| {
        command
            .get_subcommands()
            .any(|sub| !sub.is_hide_set() && sub.get_name() == *word)
    })
}

/// The command line as text, whatever its encoding (for reading the colour choice of a line
/// that is refused for not being UTF-8).
fn lossy_args() -> Vec<String> {
    std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// A reader that went away (`pharo-ctl status | head -1`) is not a failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    let broken = Some(std::io::ErrorKind::BrokenPipe);
    error.chain().any(|cause| {
        cause.downcast_ref::<std::io::Error>().map(|e| e.kind()) == broken
            || cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
                == broken
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_usage_error_suggests_the_closest_subcommand_only() {
        assert_eq!(
            closest_only(
                "unrecognized subcommand 'stpo'; some similar subcommands exist: 'snapshot', 'restore', 'stop'"
            ),
            "unrecognized subcommand 'stpo'; a similar subcommand exists: 'stop'"
        );
        let one = "unrecognized subcommand 'stpo'; a similar subcommand exists: 'stop'";
        assert_eq!(closest_only(one), one);
    }

    #[test]
    fn arguments_must_be_utf8() {
        use std::os::unix::ffi::OsStringExt;
        let args = |list: Vec<Vec<u8>>| list.into_iter().map(std::ffi::OsString::from_vec);
        assert_eq!(
            utf8_args(args(vec![b"pharo-ctl\xff".to_vec(), b"status".to_vec()])),
            Ok(vec!["pharo-ctl\u{fffd}".to_string(), "status".to_string()])
        );
        assert_eq!(
            utf8_args(args(vec![b"pharo-ctl".to_vec(), b"-C".to_vec(), b"/tmp/d\xff\xc3\xa9".to_vec()])),
            Err("argument 2 is not valid UTF-8 (/tmp/d\\xff\u{e9}): pharo-ctl takes UTF-8 paths and expressions".to_string())
        );
    }

    #[test]
    fn usage_errors_are_one_line() {
        let report = "error: unexpected argument '--timeot' found\n\n  tip: a similar argument exists: '--timeout'\n\nUsage: pharo-ctl stop --timeout <DURATION> [NAME]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            usage_error_line(report, Some("stop")).unwrap(),
            "unexpected argument '--timeot' found; a similar argument exists: '--timeout'; see `pharo-ctl stop --help`"
        );
        let report = "error: invalid value 'tcsh' for '<SHELL>'\n  [possible values: bash, elvish, fish, powershell, zsh]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            usage_error_line(report, Some("completions")).unwrap(),
            "invalid value 'tcsh' for '<SHELL>'; possible values: bash, elvish, fish, powershell, zsh; see `pharo-ctl completions --help`"
        );
        assert_eq!(
            usage_error_line(report, None).unwrap(),
            "invalid value 'tcsh' for '<SHELL>'; possible values: bash, elvish, fish, powershell, zsh; see `pharo-ctl --help`"
        );
        let report = "error: the following required arguments were not provided:\n  --json\n\nUsage: pharo-ctl status --json --pretty [NAME]\n";
        assert_eq!(
            usage_error_line(report, Some("status")).unwrap(),
            "the following required arguments were not provided: --json; see `pharo-ctl status --help`"
        );
        assert_eq!(
            usage_error_line("Usage: pharo-ctl [OPTIONS] <COMMAND>\n", None),
            None
        );
    }
}
