//! The words of the command line before clap reads them: pharo-ctl.sh's order `SCRIPT
//! COMMAND IMAGE` rewritten into pharo-ctl's own, the errors of that order that name what was
//! typed, and the options written before the command moved to after it.

use crate::cli::Cli;
use clap::CommandFactory;

/// The commands that pharo-ctl.sh's argument order `SCRIPT COMMAND IMAGE` accepts.
const LEGACY_COMMANDS: [&str; 5] = ["start", "stop", "restart", "run", "pid"];

/// Rewrites pharo-ctl.sh's `SCRIPT COMMAND IMAGE` into pharo-ctl's own form, with its file
/// names: `COMMAND --script SCRIPT.st --pid-file SCRIPT.pid --log-file SCRIPT.log
/// --image IMAGE.image SCRIPT`. Any other command line is returned as it is.
pub fn rewrite_legacy(args: Vec<String>) -> Vec<String> {
    let Some(&[s, c, m]) = legacy_positions(&args).as_deref() else {
        return args;
    };
    if !LEGACY_COMMANDS.contains(&args[c].as_str()) {
        return args;
    }
    let script = args[s].trim_end_matches(".st").to_string();
    let image = args[m].trim_end_matches(".image").to_string();
    let mut rewritten: Vec<String> = Vec::with_capacity(args.len() + 8);
    // The options go after COMMAND, where both the global ones and COMMAND's own are taken.
    rewritten.extend([args[0].clone(), args[c].clone()]);
    for (j, arg) in args.iter().enumerate().skip(1) {
        if j != s && j != c && j != m {
            rewritten.push(arg.clone());
        }
    }
    rewritten.extend([
        "--legacy-order".to_string(),
        format!("--script={script}.st"),
        format!("--pid-file={script}.pid"),
        format!("--log-file={script}.log"),
        format!("--image={image}.image"),
        "--".to_string(),
        script,
    ]);
    rewritten
}

/// Moves the options written before the command to after it (`pharo-ctl -C /srv stop zinc` is
/// `pharo-ctl stop -C /srv zinc`), where the command takes those it has: each command has only
/// the options it uses. Units and scripts that put the same options before every command keep
/// working: those the command does not use (`-C` before `ps`) are left out.
pub fn hoist_options(args: Vec<String>) -> Vec<String> {
    let root = Cli::command();
    // The options and their values: (first word, how many words).
    let mut options: Vec<(usize, usize)> = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let arg = &args[i];
        if arg == "--" || !arg.starts_with('-') || arg.len() == 1 {
            break;
        }
        let words = if value_in_next_word(&root, arg) { 2 } else { 1 };
        options.push((i, words));
        i += words;
    }
    let Some(sub) = args
        .get(i)
        .filter(|word| *word != "help")
        .and_then(|word| root.find_subcommand(word))
    else {
        return args;
    };
    if options.is_empty() {
        return args;
    }
    let mut hoisted = vec![args[0].clone(), args[i].clone()];
    for (at, words) in options {
        if takes_option(&root, sub, &args[at]) {
            hoisted.extend(args[at..at + words].iter().cloned());
        }
    }
    hoisted.extend(args[i + 1..].iter().cloned());
    hoisted
}

/// Whether a command, or the root with its global options, has the option of a word (`--dir`,
/// `--dir=D`, `-C`). A cluster of short flags (`-qC`) is left for clap to judge.
fn takes_option(root: &clap::Command, sub: &clap::Command, word: &str) -> bool {
    let arguments = || root.get_arguments().chain(sub.get_arguments());
    if let Some(long) = word.strip_prefix("--") {
        let long = long.split('=').next().unwrap_or(long);
        return long == "help" || arguments().any(|a| a.get_long() == Some(long));
    }
    let mut flags = word[1..].chars();
    match (flags.next(), flags.next()) {
        (Some(short), None) => short == 'h' || arguments().any(|a| a.get_short() == Some(short)),
        _ => true,
    }
}

/// A command line in pharo-ctl.sh's order that it cannot run.
#[derive(Debug, PartialEq, Eq)]
pub struct LegacyError {
    pub message: String,
    /// Whether the words are surely meant in pharo-ctl.sh's order (their COMMAND is a command
    /// of pharo-ctl), rather than perhaps a misspelt command of pharo-ctl's own order.
    pub certain: bool,
}

/// The usage error for pharo-ctl.sh's order with a COMMAND it does not have (`pharo-ctl
/// run-zn status zinc`, `pharo-ctl zinc bogus zinc`) or without its IMAGE (`pharo-ctl run-zn
/// start`), naming what was typed; `None` for any other command line.
pub fn legacy_error(args: &[String]) -> Option<LegacyError> {
    let positions = legacy_positions(args)?;
    let script = &args[positions[0]];
    let command = args.get(*positions.get(1)?)?;
    let legacy = LEGACY_COMMANDS.contains(&command.as_str());
    let order = format!(
        "in pharo-ctl.sh's order SCRIPT COMMAND IMAGE, COMMAND is one of {}",
        LEGACY_COMMANDS.join(", ")
    );
    match (positions.len(), legacy) {
        (3, false) => {
            let own = is_subcommand(&Cli::command(), command);
            let hint = if own {
                format!(" (in pharo-ctl's own order: `pharo-ctl {command} NAME`)")
            } else {
                String::new()
            };
            // The instance's files in the directory tell that pharo-ctl.sh's order is meant,
            // however much SCRIPT looks like a misspelt command.
            let image = &args[positions[2]];
            let files_there = legacy_dir(args).is_some_and(|dir| {
                dir.join(format!("{script}.st")).is_file()
                    || dir.join(format!("{image}.image")).is_file()
            });
            Some(LegacyError {
                message: format!("'{command}' is not a command: {order}{hint}"),
                certain: own || files_there,
            })
        }
        (2, true) => Some(LegacyError {
            message: format!(
                "'{script} {command}' lacks the IMAGE: in pharo-ctl.sh's order SCRIPT COMMAND IMAGE, e.g. `pharo-ctl {script} {command} IMAGE`"
            ),
            certain: true,
        }),
        _ => None,
    }
}

/// Whether a word is one of the subcommands of `command` (or `help`).
fn is_subcommand(command: &clap::Command, word: &str) -> bool {
    word == "help" || command.find_subcommand(word).is_some()
}

/// The positions of SCRIPT, COMMAND and IMAGE, as far as there are any, when the command line
/// has pharo-ctl.sh's shape: up to three positional words (options and their values skipped),
/// the first of which is not a subcommand.
/// The directory pharo-ctl.sh's order would look in: `-C`/`--dir` as given, else
/// `PHARO_CTL_DIR`, else the current one.
fn legacy_dir(args: &[String]) -> Option<std::path::PathBuf> {
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        let value = match word.as_str() {
            "-C" | "--dir" => words.next().cloned(),
            other => other
                .strip_prefix("--dir=")
                .or_else(|| other.strip_prefix("-C").filter(|v| !v.is_empty()))
                .map(str::to_string),
        };
        if let Some(dir) = value {
            return Some(dir.into());
        }
    }
    std::env::var_os("PHARO_CTL_DIR")
        .map(Into::into)
        .or_else(|| std::env::current_dir().ok())
}

fn legacy_positions(args: &[String]) -> Option<Vec<usize>> {
    let command = Cli::command();
    let mut positions = Vec::new();
    let mut i = 1;
    while i < args.len() && positions.len() < 3 {
        let arg = &args[i];
        if arg == "--" {
            break;
        }
        if arg.starts_with('-') && arg.len() > 1 {
            if value_in_next_word(&command, arg) {
                i += 1;
            }
        } else {
            positions.push(i);
        }
        i += 1;
    }
    let first = args[*positions.first()?].as_str();
    (!is_subcommand(&command, first)).then_some(positions)
}

/// Whether an option word takes its value from the next word: `--dir` (not `--dir=D`), `-C`,
/// or a cluster of short flags that ends in one that takes a value (`-qC`, but not `-qCdir`).
/// The options of every subcommand count too, since they may come before IMAGE.
fn value_in_next_word(command: &clap::Command, arg: &str) -> bool {
    let arguments = || {
        command
            .get_arguments()
            .chain(command.get_subcommands().flat_map(|c| c.get_arguments()))
    };
    if let Some(long) = arg.strip_prefix("--") {
        return !long.contains('=')
            && arguments().any(|a| a.get_long() == Some(long) && a.get_action().takes_values());
    }
    let cluster = &arg[1..];
    for (at, flag) in cluster.char_indices() {
        let takes_value =
            arguments().any(|a| a.get_short() == Some(flag) && a.get_action().takes_values());
        if takes_value {
            // The rest of the word, if any, is the value.
            return at + flag.len_utf8() == cluster.len();
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn legacy_order_is_rewritten() {
        assert_eq!(
            rewrite_legacy(words("pharo-ctl -C /srv run-zn stop zinc")),
            words(
                "pharo-ctl stop -C /srv --legacy-order --script=run-zn.st --pid-file=run-zn.pid --log-file=run-zn.log --image=zinc.image -- run-zn"
            )
        );
    }

    #[test]
    fn legacy_order_with_clustered_short_flags() {
        let expected = words(
            "pharo-ctl pid -qC w --legacy-order --script=zinc.st --pid-file=zinc.pid --log-file=zinc.log --image=zinc.image -- zinc",
        );
        assert_eq!(
            rewrite_legacy(words("pharo-ctl -qC w zinc pid zinc")),
            expected
        );
        let expected = words(
            "pharo-ctl pid -qCw --legacy-order --script=zinc.st --pid-file=zinc.pid --log-file=zinc.log --image=zinc.image -- zinc",
        );
        assert_eq!(
            rewrite_legacy(words("pharo-ctl -qCw zinc pid zinc")),
            expected
        );
        let expected = words(
            "pharo-ctl start -vt 2s --settle 3s --legacy-order --script=zn.st --pid-file=zn.pid --log-file=zn.log --image=zinc.image -- zn",
        );
        assert_eq!(
            rewrite_legacy(words("pharo-ctl -vt 2s zn start --settle 3s zinc")),
            expected
        );
    }

    #[test]
    fn a_bad_legacy_command_is_named() {
        let error = legacy_error(&words("pharo-ctl zinc bogus zinc")).unwrap();
        assert!(error.message.contains("'bogus'"), "{error:?}");
        assert!(error.message.contains("start, stop, restart, run, pid"));
        assert!(!error.certain);
        let error = legacy_error(&words("pharo-ctl run-zn status zinc")).unwrap();
        assert!(error.message.starts_with("'status' is not a command"));
        assert!(error.message.contains("`pharo-ctl status NAME`"));
        assert!(error.certain);
        let error = legacy_error(&words("pharo-ctl -C /srv run-zn start")).unwrap();
        assert!(error.message.contains("'run-zn start' lacks the IMAGE"));
        assert_eq!(legacy_error(&words("pharo-ctl zinc stop zinc")), None);
        assert_eq!(legacy_error(&words("pharo-ctl stop zinc x")), None);
        assert_eq!(legacy_error(&words("pharo-ctl run-zn zinc")), None);
        assert_eq!(legacy_error(&words("pharo-ctl run-zn")), None);
    }

    #[test]
    fn options_before_the_command_go_after_it() {
        assert_eq!(
            hoist_options(words("pharo-ctl -C /srv -t 5s stop zinc")),
            words("pharo-ctl stop -C /srv -t 5s zinc")
        );
        assert_eq!(
            hoist_options(words("pharo-ctl -qC w --json status")),
            words("pharo-ctl status -qC w --json")
        );
        // Options the command does not use are left out when they come before it.
        assert_eq!(
            hoist_options(words(
                "pharo-ctl -C /srv --image=/x -t 1s --kill-after 1s ps --json"
            )),
            words("pharo-ctl ps -C /srv --json")
        );
        assert_eq!(
            hoist_options(words(
                "pharo-ctl -C /srv -t 1s --kill-after 1s -q start zinc"
            )),
            words("pharo-ctl start -C /srv -q zinc")
        );
        for line in [
            "pharo-ctl stop -C /srv zinc",
            "pharo-ctl -C /srv",
            "pharo-ctl --version",
            "pharo-ctl -C /srv zinc stop zinc",
            "pharo-ctl -q help stop",
        ] {
            assert_eq!(hoist_options(words(line)), words(line), "{line}");
        }
    }

    #[test]
    fn modern_order_is_kept() {
        for line in [
            "pharo-ctl stop zinc",
            "pharo-ctl -t 5s stop zinc",
            "pharo-ctl eval 42",
            "pharo-ctl status",
            "pharo-ctl stop start stop",
            "pharo-ctl help stop zinc",
            "pharo-ctl -qC w stop zinc",
        ] {
            assert_eq!(rewrite_legacy(words(line)), words(line));
        }
    }
}
