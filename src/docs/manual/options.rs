//! What clap_mangen leaves out of the options: the description of an option whose help is
//! hidden from `-h` (clap_mangen shows only a long help then, and these have none), and the
//! value an option takes in the synopsis (`[--color WHEN]`, not `[--color]`).

/// `command` and its subcommands, with each option's help also as its long help where it has
/// none, so that every option of a page is described.
pub(super) fn described(command: clap::Command) -> clap::Command {
    command
        .mut_args(|arg| match (arg.get_long_help(), arg.get_help().cloned()) {
            (None, Some(help)) => arg.long_help(help),
            _ => arg,
        })
        .mut_subcommands(described)
}

/// The synopsis of `command` with the value of each option that takes one after its name,
/// as `--help`'s usage line shows it.
pub(super) fn with_values(command: &clap::Command, text: String) -> String {
    command
        .get_arguments()
        .filter(|arg| !arg.is_positional() && !arg.is_hide_set())
        .filter(|arg| arg.get_num_args().is_some_and(|n| n.takes_values()))
        .fold(text, |text, arg| {
            let value = arg
                .get_value_names()
                .and_then(|names| names.first())
                .map_or_else(
                    || arg.get_id().to_string().to_uppercase(),
                    |n| n.to_string(),
                );
            let names = match (arg.get_short(), arg.get_long()) {
                (Some(short), Some(long)) => {
                    format!(
                        "\\fB\\-{short}\\fR|\\fB\\-\\-{}\\fR",
                        long.replace('-', "\\-")
                    )
                }
                (None, Some(long)) => format!("\\fB\\-\\-{}\\fR", long.replace('-', "\\-")),
                (Some(short), None) => format!("\\fB\\-{short} \\fR"),
                (None, None) => return text,
            };
            let bare = format!("[{names}]");
            text.replacen(&bare, &format!("[{names} \\fI{value}\\fR]"), 1)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{Arg, ArgAction, Command};

    #[test]
    fn an_option_whose_help_is_hidden_from_h_is_described() {
        let command = described(
            Command::new("x")
                .arg(
                    Arg::new("quiet")
                        .long("quiet")
                        .help("Say less")
                        .hide_short_help(true),
                )
                .subcommand(
                    Command::new("y")
                        .arg(Arg::new("f").long("f").help("Eff").hide_short_help(true)),
                ),
        );
        let quiet = command.get_arguments().next().unwrap();
        assert_eq!(quiet.get_long_help().unwrap().to_string(), "Say less");
        let sub = command.get_subcommands().next().unwrap();
        let f = sub.get_arguments().next().unwrap();
        assert_eq!(f.get_long_help().unwrap().to_string(), "Eff");
    }

    #[test]
    fn the_synopsis_shows_the_values() {
        let mut command = Command::new("x")
            .arg(Arg::new("color").long("color").value_name("WHEN"))
            .arg(Arg::new("dir").short('C').long("dir").value_name("DIR"))
            .arg(Arg::new("all").long("all").action(ArgAction::SetTrue));
        command.build();
        let text = with_values(
            &command,
            "[\\fB\\-\\-color\\fR] [\\fB\\-C\\fR|\\fB\\-\\-dir\\fR] [\\fB\\-\\-all\\fR]"
                .to_string(),
        );
        assert_eq!(
            text,
            "[\\fB\\-\\-color\\fR \\fIWHEN\\fR] [\\fB\\-C\\fR|\\fB\\-\\-dir\\fR \\fIDIR\\fR] [\\fB\\-\\-all\\fR]"
        );
    }
}
