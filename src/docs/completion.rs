//! Shell completion scripts: clap_complete's static script for each shell, plus a small
//! shell-native layer that completes instance NAMEs from the `*.image` files of the directory
//! in effect (`-C/--dir`, else `$PHARO_CTL_DIR`, else the current directory), one module per
//! shell.
//!
//! The layer is generated from the same clap definition as the rest (which subcommands take a
//! NAME, which options take a value), so the scripts stay in step with the command line and
//! the checked-in copies under `completions/` are reproducible byte for byte.

use crate::cli::Cli;
use clap::{CommandFactory, ValueHint};
use clap_complete::Shell;

mod bash;
mod elvish;
mod fish;
mod powershell;
mod zsh;

/// The program's name, as the shells know it.
pub const BIN: &str = "pharo-ctl";

/// The shells a completion script is generated for, with the file name it is checked in as.
pub const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "pharo-ctl.bash"),
    (Shell::Zsh, "_pharo-ctl"),
    (Shell::Fish, "pharo-ctl.fish"),
    (Shell::Elvish, "pharo-ctl.elv"),
    (Shell::PowerShell, "_pharo-ctl.ps1"),
];

/// The complete script for one shell.
pub fn script(shell: Shell) -> String {
    let spec = Spec::from_cli();
    let clap = clap_script(shell);
    match shell {
        Shell::Bash => bash::bash(&clap, &spec),
        Shell::Zsh => zsh::zsh(&clap, &spec),
        Shell::Fish => fish::fish(&clap, &spec),
        Shell::Elvish => elvish::elvish(&clap, &spec),
        Shell::PowerShell => powershell::powershell(&clap, &spec),
        _ => clap,
    }
}

fn clap_script(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut visible_command(), BIN, &mut buf);
    String::from_utf8(buf).expect("clap_complete writes UTF-8")
}

/// The command line as operators see it: clap_complete's scripts would offer hidden
/// subcommands (`generate-docs`) and hidden options (`--legacy-order`) too, so they are left
/// out of the command it is given.
fn visible_command() -> clap::Command {
    visible(&Cli::command().name(BIN).version(env!("CARGO_PKG_VERSION")))
}

/// `command` without its hidden options and subcommands, at every level.
fn visible(command: &clap::Command) -> clap::Command {
    let mut visible = clap::Command::new(command.get_name().to_string())
        .args(
            command
                .get_arguments()
                .filter(|a| !a.is_hide_set())
                .cloned(),
        )
        .subcommands(
            command
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .map(visible),
        )
        .visible_aliases(command.get_visible_aliases().map(str::to_string));
    if let Some(version) = command.get_version() {
        visible = visible.version(version.to_string());
    }
    if let Some(about) = command.get_about() {
        visible = visible.about(about.clone());
    }
    if let Some(about) = command.get_long_about() {
        visible = visible.long_about(about.clone());
    }
    visible
}

/// What the NAME layer needs to know about the command line.
#[derive(Debug)]
struct Spec {
    /// The subcommands whose first positional argument is one instance NAME.
    name_commands: Vec<String>,
    /// The subcommands whose positional arguments are all instance NAMEs (`stop a b c`).
    names_commands: Vec<String>,
    /// Every option that takes a separate value (`-C`, `--dir`, …), global or not.
    value_options: Vec<String>,
    /// Those of them whose value is a path (`--vm`, `--image`, `-C`…).
    path_options: Vec<String>,
}

impl Spec {
    fn from_cli() -> Spec {
        let root = Cli::command();
        let mut value_options = Vec::new();
        let mut path_options = Vec::new();
        let mut add_options = |command: &clap::Command| {
            for arg in command.get_arguments() {
                if arg.is_positional() || !arg.get_action().takes_values() {
                    continue;
                }
                let flags = arg
                    .get_short()
                    .map(|s| format!("-{s}"))
                    .into_iter()
                    .chain(arg.get_long().map(|l| format!("--{l}")));
                let path = matches!(
                    arg.get_value_hint(),
                    ValueHint::FilePath
                        | ValueHint::DirPath
                        | ValueHint::AnyPath
                        | ValueHint::ExecutablePath
                );
                for flag in flags {
                    if path && !path_options.contains(&flag) {
                        path_options.push(flag.clone());
                    }
                    if !value_options.contains(&flag) {
                        value_options.push(flag);
                    }
                }
            }
        };
        add_options(&root);
        for sub in root.get_subcommands() {
            add_options(sub);
        }
        let taking = |id: &str| -> Vec<String> {
            root.get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .filter(|sub| {
                    sub.get_positionals()
                        .next()
                        .is_some_and(|a| a.get_id() == id)
                })
                .map(|sub| sub.get_name().to_string())
                .collect()
        };
        Spec {
            name_commands: taking("name"),
            names_commands: taking("names"),
            value_options,
            path_options,
        }
    }

    fn value_options_joined(&self, separator: &str) -> String {
        self.value_options.join(separator)
    }
}

/// Replaces `from` by `to` exactly once, or panics: the generated script's shape is checked by
/// the tests, so a clap_complete upgrade that changes it is noticed at once.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "clap_complete's script changed shape: {from:?} is not there exactly once"
    );
    text.replacen(from, to, 1)
}

/// Words in single quotes, joined by `separator` (a list in elvish or PowerShell).
fn single_quoted(words: &[String], separator: &str) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_name_commands_and_value_options() {
        let spec = Spec::from_cli();
        for command in ["eval", "run", "dump", "pid", "unit"] {
            assert!(spec.name_commands.iter().any(|c| c == command), "{command}");
        }
        for command in ["start", "stop", "restart", "status"] {
            assert!(
                spec.names_commands.iter().any(|c| c == command),
                "{command}"
            );
        }
        assert!(!spec.name_commands.iter().any(|c| c == "ps"));
        for option in [
            "-C",
            "--dir",
            "--vm",
            "--image",
            "-t",
            "--kill-after",
            "--color",
        ] {
            assert!(spec.value_options.iter().any(|o| o == option), "{option}");
        }
        assert!(
            !spec
                .value_options
                .iter()
                .any(|o| o == "--json" || o == "-q")
        );
    }

    #[test]
    fn every_shell_gets_its_layer() {
        for (shell, _) in SHELLS {
            let script = script(shell);
            assert!(script.contains("*.image"), "{shell}");
        }
    }

    #[test]
    fn powershell_registers_one_completer_that_falls_back_to_clap() {
        let script = script(Shell::PowerShell);
        assert!(script.trim_start().starts_with("using namespace"));
        assert_eq!(script.matches("Register-ArgumentCompleter").count(), 1);
        assert_eq!(script.matches("$pharoCtlClapCompleter = {").count(), 1);
        assert!(
            script.contains("& $pharoCtlClapCompleter $wordToComplete $commandAst $cursorPosition")
        );
        assert!(script.contains("'stop'") && script.contains("'--dir'"));
    }
}
