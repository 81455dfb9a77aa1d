//! The exit codes of every command, in one table: the enum, the numbers, and the meanings that
//! `--help`, the man pages and the README's table show (a test holds the README to it).
//! Adding a code is one line of the table.

/// Defines [`Code`] from the table: each line is a variant, its number and its meaning.
macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $meaning:literal;)*) => {
        /// An exit status of `pharo-ctl`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code {
            $($(#[$doc])* $name,)*
            /// A VM's own exit status passed through by `run` (128+N for a signal).
            Raw(u8),
        }

        impl Code {
            /// Every code of the table, in order.
            pub const TABLE: &[Code] = &[$(Code::$name),*];

            /// The numeric status handed to the operating system.
            pub fn value(self) -> u8 {
                match self {
                    $(Code::$name => $value,)*
                    Code::Raw(n) => n,
                }
            }

            /// What the code means, as the README's table says it.
            pub fn meaning(self) -> &'static str {
                match self {
                    $(Code::$name => $meaning,)*
                    Code::Raw(_) => "the VM's own exit status (run)",
                }
            }
        }
    };
}

codes! {
    Success = 0, "success; status: running";
    Failure = 1, "failure: start failed, could not stop, the stop was not cooperative (run), evaluation error, stale pid file (status, pid), the image not saved (snapshot, stop --save), a restore refused or failed";
    Usage = 2, "usage error: a bad option, argument or instance name, a refused REPL URL, an ambiguous instance";
    NotRunning = 3, "not running (status, pid, snapshot)";
    Unknown = 4, "insufficient privilege (a VM pharo-ctl may not signal, a pid file, log or directory it may not write or list, a REPL whose owner it may not tell), an untrusted pid file, several candidate VMs, or status unknown";
    VmNotFound = 5, "VM not found or not executable";
    NotConfigured = 6, "not configured: no such instance, or its image, script or directory missing; two instances of a directory on one REPL port, or a REPL port another process holds (start, restart, run)";
    ReplUnreachable = 7, "REPL unreachable, or not the instance's (eval, console, snapshot)";
    Hung = 8, "hung: run --watchdog stopped the VM because its REPL stopped answering";
}

impl Code {
    /// The codes a command can end with: those of an instance (3 and above) do not concern
    /// the commands that touch none, and only run ends hung.
    pub fn of_command(command: &str) -> impl Iterator<Item = Code> {
        let instance = !matches!(command, "ps" | "completions" | "generate-docs");
        // Only the watchdog of run ends a command as hung.
        let hung = matches!(command, "pharo-ctl" | "run");
        Code::TABLE
            .iter()
            .copied()
            .filter(move |code| instance || code.value() <= 2)
            .filter(move |code| hung || *code != Code::Hung)
    }
}

/// The exit codes of a command for `--help`: `  0  success; …`, wrapped to `width` columns
/// under their meaning.
pub fn help_section(command: &str, width: usize) -> String {
    let mut text = String::from("Exit codes:");
    for code in Code::of_command(command) {
        let mut line = format!("\n  {:<3}", code.value());
        let indent = line.len() - 1;
        let mut column = indent;
        for (i, word) in code.meaning().split(' ').enumerate() {
            if i > 0 && column + 1 + word.len() > width {
                line.push('\n');
                line.push_str(&" ".repeat(indent));
                column = indent;
            } else if i > 0 {
                line.push(' ');
                column += 1;
            }
            line.push_str(word);
            column += word.len();
        }
        text.push_str(&line);
    }
    text
}

impl From<Code> for std::process::ExitCode {
    fn from(code: Code) -> Self {
        std::process::ExitCode::from(code.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_numbered_in_order() {
        for (n, code) in Code::TABLE.iter().enumerate() {
            assert_eq!(usize::from(code.value()), n, "{code:?}");
        }
    }

    /// The rows of the README's "Exit codes" table: `| 0 | success… |`.
    fn readme_rows() -> Vec<(u8, String)> {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"));
        let table = &readme[readme.find("### Exit codes").expect("README has the table")..];
        table
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .filter_map(|line| {
                let cells: Vec<&str> = line.trim_matches('|').split(" | ").collect();
                Some((cells[0].trim().parse().ok()?, cells[1].trim().to_string()))
            })
            .collect()
    }

    #[test]
    fn the_readme_s_table_is_this_one() {
        let ours: Vec<(u8, String)> = Code::TABLE
            .iter()
            .map(|code| (code.value(), code.meaning().to_string()))
            .collect();
        assert_eq!(
            readme_rows(),
            ours,
            "README.md's exit codes differ from src/exit_code.rs"
        );
    }

    #[test]
    fn the_help_section_wraps_under_the_meaning() {
        let help = help_section("stop", 60);
        assert!(help.starts_with("Exit codes:\n  0  success; status: running\n"));
        assert!(help.lines().all(|line| line.len() <= 60), "{help}");
        assert!(help.contains("\n     "), "{help}");
        assert!(!help_section("ps", 100).contains("\n  3 "));
    }
}
