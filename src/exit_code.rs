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
    Unknown = 4, "insufficient privilege (a VM pharo-ctl may not signal, a pid file, log or directory it may not write or list, a REPL secret it may not read, a REPL whose owner it may not tell), an untrusted pid file, a REPL secret others may read, a REPL that asks for credentials pharo-ctl lacks (eval, console, snapshot), several candidate VMs, or status unknown";
    VmNotFound = 5, "VM not found or not executable";
    NotConfigured = 6, "not configured: no such instance, or its image, script or directory missing; two instances of a directory on one REPL port, or a REPL port another process holds (start, restart, run)";
    ReplUnreachable = 7, "REPL unreachable, or not the instance's (eval, console, snapshot)";
    Hung = 8, "hung: run --watchdog stopped the VM because its REPL stopped answering";
}

/// What each command's exit codes mean for it, beyond 0 (success) and 2 (a usage error),
/// which every command may end with: the one source of `--help`'s and the man pages' exit
/// codes, and of the lifecycle test's (which reads `--help`). A man page lists only the codes
/// its command returns.
const RETURNS: &[(&str, &[(Code, &str)])] = &[
    (
        "start",
        &[
            (
                Code::Failure,
                "the start failed: the VM exited during it, or its REPL did not answer (--wait), was not its own, or asked for credentials pharo-ctl lacks",
            ),
            (
                Code::Unknown,
                "a pid file, log or directory it may not write, an untrusted pid file, several candidate VMs, or a REPL secret others may read or it may not read",
            ),
            (Code::VmNotFound, "VM not found or not executable"),
            (
                Code::NotConfigured,
                "no such instance, or its image, script or directory missing; a REPL port another instance's script names too, or that another process holds",
            ),
        ],
    ),
    (
        "stop",
        &[
            (
                Code::Failure,
                "could not stop: the VM outlived SIGKILL; with --save, the image was not saved, and the instance runs on",
            ),
            (
                Code::Unknown,
                "a VM it may not signal, a pid file it may not read or remove, an untrusted pid file, several candidate VMs, or a REPL secret others may read or it may not read",
            ),
            (Code::NotConfigured, "no such instance"),
            (
                Code::ReplUnreachable,
                "with --save: the REPL unreachable or not the instance's: nothing was saved or stopped",
            ),
        ],
    ),
    (
        "snapshot",
        &[
            (
                Code::Failure,
                "the image was not saved: too little room, the backup failed, or the save did (the backup was put back); or another save or restore of it was under way",
            ),
            (Code::NotRunning, "not running: there is nothing to save"),
            (
                Code::Unknown,
                "a pid file it may not read, an untrusted pid file, several candidate VMs, a REPL whose owner it may not tell, a REPL secret others may read or it may not read, or a REPL that asks for credentials it lacks: nothing was saved",
            ),
            (
                Code::NotConfigured,
                "no such instance, or its image missing",
            ),
            (
                Code::ReplUnreachable,
                "REPL unreachable or not the instance's: nothing was saved",
            ),
        ],
    ),
    (
        "restore",
        &[
            (
                Code::Failure,
                "the instance runs, it has no backup, or a file could not be backed up or put in place",
            ),
            (
                Code::Unknown,
                "a pid file it may not read, an untrusted pid file, or several candidate VMs",
            ),
            (Code::NotConfigured, "no such instance"),
        ],
    ),
    (
        "restart",
        &[
            (
                Code::Failure,
                "the stop or the start failed (a rolling restart stops at the first)",
            ),
            (
                Code::Unknown,
                "a VM it may not signal, a pid file, log or directory it may not write, an untrusted pid file, several candidate VMs, or a REPL secret others may read or it may not read",
            ),
            (Code::VmNotFound, "VM not found or not executable"),
            (
                Code::NotConfigured,
                "no such instance, or its image, script or directory missing; a REPL port another instance's script names too, or that another process holds",
            ),
        ],
    ),
    (
        "status",
        &[
            (
                Code::Failure,
                "not running but a stale pid file is left; with --probe, running but its REPL does not answer (hung); of several, some run and some do not",
            ),
            (Code::NotRunning, "not running"),
            (
                Code::Unknown,
                "status unknown: a pid file it may not read, an untrusted pid file, several candidate VMs, a REPL secret others may read or it may not read, or (--probe) a REPL whose owner it may not tell",
            ),
            (Code::NotConfigured, "no such instance"),
        ],
    ),
    (
        "eval",
        &[
            (
                Code::Failure,
                "the answer is an evaluation error, no answer in time, or the REPL refused the request",
            ),
            (
                Code::Unknown,
                "whose the socket on the REPL's address is cannot be told (another user's VM), an untrusted pid file, several candidate VMs, or a REPL secret others may read or it may not read: nothing was sent; or the REPL asks for credentials pharo-ctl lacks or refused them",
            ),
            (
                Code::NotConfigured,
                "no such instance, or no secret at --repl-secret",
            ),
            (
                Code::ReplUnreachable,
                "REPL unreachable, not the instance's, or the instance not running: nothing was sent",
            ),
        ],
    ),
    (
        "console",
        &[
            (
                Code::Failure,
                "off a terminal, an answer was an evaluation error",
            ),
            (
                Code::Unknown,
                "whose the socket on the REPL's address is cannot be told (another user's VM), an untrusted pid file, several candidate VMs, or a REPL secret others may read or it may not read: nothing was sent; or the REPL asks for credentials pharo-ctl lacks or refused them",
            ),
            (
                Code::NotConfigured,
                "no such instance, or no secret at --repl-secret",
            ),
            (
                Code::ReplUnreachable,
                "REPL unreachable, not the instance's, or the instance not running: nothing was sent",
            ),
        ],
    ),
    (
        "logs",
        &[
            (Code::Failure, "the log cannot be read"),
            (Code::Unknown, "a log it may not read"),
            (Code::NotConfigured, "no such instance"),
        ],
    ),
    (
        "run",
        &[
            (
                Code::Failure,
                "the start failed (the REPL did not answer, was not its own, or asked for credentials pharo-ctl lacks), or the stop fell back to signals (not cooperative)",
            ),
            (
                Code::Unknown,
                "a pid file, log or directory it may not write, an untrusted pid file, or a REPL secret others may read or it may not read",
            ),
            (Code::VmNotFound, "VM not found or not executable"),
            (
                Code::NotConfigured,
                "no such instance, or its image, script or directory missing; a REPL port another instance's script names too, or that another process holds",
            ),
            (
                Code::Hung,
                "hung: the watchdog stopped the VM because its REPL stopped answering",
            ),
        ],
    ),
    (
        "dump",
        &[
            (
                Code::Failure,
                "no report came: the VM does not catch SIGUSR1, or it ended",
            ),
            (Code::NotRunning, "not running"),
            (
                Code::Unknown,
                "a VM it may not signal, or its working directory it may not read",
            ),
            (Code::NotConfigured, "no such instance"),
        ],
    ),
    (
        "pid",
        &[
            (Code::Failure, "not running but a stale pid file is left"),
            (Code::NotRunning, "not running"),
            (
                Code::Unknown,
                "a pid file it may not read, an untrusted pid file, or several candidate VMs",
            ),
            (Code::NotConfigured, "no such instance"),
        ],
    ),
    (
        "unit",
        &[
            (
                Code::Unknown,
                "a REPL secret others may read or it may not read, or a --user who cannot write the instance's files",
            ),
            (Code::VmNotFound, "VM not found or not executable"),
            (
                Code::NotConfigured,
                "no such instance, or its image or directory missing",
            ),
        ],
    ),
    (
        "init",
        &[
            (
                Code::Failure,
                "a file could not be copied or written (what was written is taken back), or no free port",
            ),
            (
                Code::Unknown,
                "a directory it may not write, a script it may not read, --user when not root, or an existing secret others may read",
            ),
            (
                Code::NotConfigured,
                "no image (pass --image), --repl-port another script of the directory names, or a script whose REPL reads its password elsewhere",
            ),
        ],
    ),
    (
        "generate-docs",
        &[(Code::Failure, "a file could not be written")],
    ),
];

/// The commands [`RETURNS`] names.
pub fn commands_with_codes() -> impl Iterator<Item = &'static str> {
    RETURNS.iter().map(|(command, _)| *command)
}

impl Code {
    /// The codes `command` ends with, each with what it means for that command: 0 and 2 for
    /// every one, then those of [`RETURNS`]; `pharo-ctl` alone (the main page) has the whole
    /// table.
    pub fn of_command(command: &str) -> Vec<(Code, &'static str)> {
        if command == "pharo-ctl" {
            return Code::TABLE
                .iter()
                .map(|&code| (code, code.meaning()))
                .collect();
        }
        let mut codes = vec![
            (Code::Success, "success"),
            (Code::Usage, Code::Usage.meaning()),
        ];
        if let Some((_, own)) = RETURNS.iter().find(|(name, _)| *name == command) {
            codes.extend(own.iter().copied());
        }
        codes.sort_by_key(|(code, _)| code.value());
        codes
    }
}

/// The exit codes of a command for `--help`: `  0  success; …`, wrapped to `width` columns
/// under their meaning.
pub fn help_section(command: &str, width: usize) -> String {
    let mut text = String::from("Exit codes:");
    for (code, meaning) in Code::of_command(command) {
        let mut line = format!("\n  {:<3}", code.value());
        let indent = line.len() - 1;
        let mut column = indent;
        for (i, word) in meaning.split(' ').enumerate() {
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
        let table = &readme[readme.find("## Exit codes").expect("README has the table")..];
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
        assert!(help.starts_with("Exit codes:\n  0  success\n"), "{help}");
        assert!(help.lines().all(|line| line.len() <= 60), "{help}");
        assert!(help.contains("\n     "), "{help}");
        assert!(!help_section("ps", 100).contains("\n  3 "));
    }

    #[test]
    fn each_command_lists_only_its_own_codes() {
        let codes = |command| -> Vec<u8> {
            Code::of_command(command)
                .iter()
                .map(|(code, _)| code.value())
                .collect()
        };
        assert_eq!(codes("ps"), [0, 2]);
        assert_eq!(codes("start"), [0, 1, 2, 4, 5, 6]);
        assert_eq!(codes("eval"), [0, 1, 2, 4, 6, 7]);
        assert_eq!(codes("run"), [0, 1, 2, 4, 5, 6, 8]);
        assert_eq!(codes("pharo-ctl").len(), Code::TABLE.len());
        // Every code the table gives is in the table (the command line's tests check that
        // every command it names exists).
        for (command, own) in RETURNS {
            for (code, _) in *own {
                assert!(Code::TABLE.contains(code), "{command}: {code:?}");
            }
        }
    }
}
