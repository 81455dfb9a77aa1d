//! What is printed, and how: the options every command takes.

pub use crate::output::ColorChoice;
use clap::{Args, ValueEnum};

/// What is printed, and how.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// When to use colour; --json output is never coloured.
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value = "auto",
        hide_short_help = true
    )]
    pub color: ColorChoice,
    /// Print no step lines, only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Print more detail about each step.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

impl OutputArgs {
    /// The output options of a command line that could not be parsed, as far as they can be
    /// read from its words (`--color never`, `--color=never`), for printing its usage error.
    pub fn from_words(words: &[String]) -> OutputArgs {
        let mut color = ColorChoice::Auto;
        let mut words = words.iter().skip(1);
        while let Some(word) = words.next() {
            let value = match word.strip_prefix("--color") {
                Some("") => words.next().map(String::as_str),
                Some(rest) => rest.strip_prefix('='),
                None => None,
            };
            if let Some(choice) = value.and_then(|v| ColorChoice::from_str(v, false).ok()) {
                color = choice;
            }
        }
        OutputArgs {
            color,
            ..OutputArgs::default()
        }
    }

    /// Sets up the output as these options say; `machine_output` (JSON) is never coloured.
    pub fn init(&self, machine_output: bool) {
        crate::output::init(self.color, self.quiet, self.verbose, machine_output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colour_choice_is_read_from_an_unparsed_command_line() {
        let words = |line: &str| line.split(' ').map(String::from).collect::<Vec<_>>();
        for (line, color) in [
            ("pharo-ctl --color never stop --bogus", ColorChoice::Never),
            ("pharo-ctl stop --color=always --bogus", ColorChoice::Always),
            ("pharo-ctl stop --bogus", ColorChoice::Auto),
            ("pharo-ctl --color", ColorChoice::Auto),
        ] {
            assert_eq!(OutputArgs::from_words(&words(line)).color, color, "{line}");
        }
    }
}
