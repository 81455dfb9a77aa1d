//! The double's configuration: the misbehaviour switches read from the environment at
//! start, and what the startup script sets up (the REPL's port in its three forms, the
//! application server, the shutdown sequence, the authenticator).

use crate::*;
use std::env;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// The misbehaviour switches, read from the environment at start.
pub(crate) struct Switches {
    pub(crate) ignore_shutdown: bool,
    pub(crate) ignore_sigterm: bool,
    pub(crate) hang: bool,
    pub(crate) slow: Option<Duration>,
    pub(crate) start_delay: Option<Duration>,
    pub(crate) die_on_start: Option<i32>,
    pub(crate) die_delay: Duration,
    pub(crate) exit_after: Option<Duration>,
    pub(crate) exit_code: i32,
    pub(crate) orphan: Option<Duration>,
    /// How long a quit expression takes to end the process after dropping the connection.
    pub(crate) quit_delay: Option<Duration>,
    pub(crate) events: Option<PathBuf>,
    /// When the REPL stops answering (a wedged image).
    pub(crate) wedge_after: Option<Duration>,
    /// Run on without a REPL when it cannot bind its port.
    pub(crate) no_quit: bool,
    pub(crate) usr1: Usr1,
    pub(crate) save: image::SaveMode,
}

/// What SIGUSR1 does to the double.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Usr1 {
    /// Caught: a report to `crash.dmp` and stderr, as the VM writes it.
    Report,
    /// Caught, but no report.
    Silent,
    /// Not caught: its default action ends the process.
    Default,
}

impl Switches {
    pub(crate) fn from_env() -> Self {
        let flag = |name| env::var(name).is_ok_and(|value| !value.is_empty() && value != "0");
        let millis = |name| number(name).map(Duration::from_millis);
        Switches {
            ignore_shutdown: flag("PHARO_DOUBLE_IGNORE_SHUTDOWN"),
            ignore_sigterm: flag("PHARO_DOUBLE_IGNORE_SIGTERM"),
            hang: flag("PHARO_DOUBLE_HANG"),
            slow: millis("PHARO_DOUBLE_SLOW_MS"),
            start_delay: millis("PHARO_DOUBLE_START_DELAY_MS"),
            die_on_start: number("PHARO_DOUBLE_DIE_ON_START"),
            die_delay: millis("PHARO_DOUBLE_DIE_DELAY_MS").unwrap_or_default(),
            exit_after: millis("PHARO_DOUBLE_EXIT_AFTER_MS"),
            exit_code: number("PHARO_DOUBLE_EXIT_CODE").unwrap_or(0),
            orphan: millis("PHARO_DOUBLE_ORPHAN_MS"),
            quit_delay: millis("PHARO_DOUBLE_QUIT_DELAY_MS"),
            events: env::var_os("PHARO_DOUBLE_EVENTS")
                .filter(|path| !path.is_empty())
                .map(PathBuf::from),
            wedge_after: millis("PHARO_DOUBLE_WEDGE_AFTER_MS"),
            save: image::SaveMode {
                slow: millis("PHARO_DOUBLE_SAVE_SLOW_MS"),
                fail_half_way: flag("PHARO_DOUBLE_SAVE_FAIL"),
                growth: number("PHARO_DOUBLE_IMAGE_GROWTH").unwrap_or(0),
            },
            no_quit: flag("PHARO_DOUBLE_NO_QUIT"),
            usr1: if flag("PHARO_DOUBLE_USR1_DEFAULT") {
                Usr1::Default
            } else if flag("PHARO_DOUBLE_USR1_SILENT") {
                Usr1::Silent
            } else {
                Usr1::Report
            },
        }
    }
}

pub(crate) fn number<T: FromStr>(name: &str) -> Option<T> {
    env::var(name).ok()?.trim().parse().ok()
}

/// What the startup script sets up.
#[derive(Default)]
pub(crate) struct Script {
    pub(crate) repl_port: Option<u16>,
    /// The REPL's `ZnBasicAuthenticator`: its user name and password.
    pub(crate) auth: Option<(String, auth::Password)>,
    pub(crate) app_port: Option<u16>,
    pub(crate) defines_shutdown: bool,
}

impl Script {
    pub(crate) fn scan(source: &str) -> Self {
        let code = normalized(source);
        Script {
            repl_port: port_after(&code, "ZnReadEvalPrintDelegate startInServerOn:")
                .or_else(|| env_port_after(&code, "ZnReadEvalPrintDelegate startInServerOn:"))
                .or_else(|| server_form_port(&code)),
            auth: auth::scan(&code),
            app_port: port_after(&code, "ZnServer startDefaultOn:")
                .or_else(|| port_after(&code, "ZnServer defaultOn:")),
            defines_shutdown: code.contains("Smalltalk at: #ShutdownSequence put:"),
        }
    }
}

/// The script's code without comments, each run of whitespace made a single space.
pub(crate) fn normalized(source: &str) -> String {
    let mut code = String::with_capacity(source.len());
    let (mut in_string, mut in_comment) = (false, false);
    for c in source.chars() {
        if in_comment {
            in_comment = c != '"';
            continue;
        }
        in_comment = c == '"' && !in_string;
        in_string ^= c == '\'';
        if c.is_whitespace() || in_comment {
            if !code.ends_with(' ') {
                code.push(' ');
            }
        } else {
            code.push(c);
        }
    }
    code
}

/// The port of `startInServerOn: (OSEnvironment current at: 'NAME') asNumber`: the
/// environment variable NAME's.
pub(crate) fn env_port_after(code: &str, pattern: &str) -> Option<u16> {
    let rest = code[code.find(pattern)? + pattern.len()..].trim_start();
    let rest = rest.strip_prefix("(OSEnvironment current at: '")?;
    let name = &rest[..rest.find('\'')?];
    env::var(name).ok()?.trim().parse().ok()
}

/// The port of the REPL in the form `startInServerOn:` stands for: `(ZnServer on: N)
/// bindingAddress: …; delegate: ZnReadEvalPrintDelegate new; … start`, in one statement.
pub(crate) fn server_form_port(code: &str) -> Option<u16> {
    let mut from = 0;
    while let Some(at) = code[from..].find("ZnServer on:") {
        let start = from + at;
        let statement = &code[start..];
        let statement = &statement[..statement.find(". ").unwrap_or(statement.len())];
        if statement.contains("delegate: ZnReadEvalPrintDelegate new") {
            return port_after(statement, "ZnServer on:");
        }
        from = start + "ZnServer on:".len();
    }
    None
}

pub(crate) fn port_after(code: &str, pattern: &str) -> Option<u16> {
    let rest = code[code.find(pattern)? + pattern.len()..].trim_start();
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}
