//! The systemd service that runs an instance with `pharo-ctl run`, rendered from plain
//! values: `pharo-ctl unit` prints it for an instance or a template, and the man pages show it
//! as their example. `Type=notify`, `KillMode=mixed`, the options in effect written out on
//! `ExecStart=`, and stop and start timeouts above pharo-ctl's own, so that systemd's SIGKILL
//! never pre-empts the cooperative shutdown.

use super::watchdog::Config;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How much longer than pharo-ctl's own escalation systemd waits before it kills.
const MARGIN: Duration = Duration::from_secs(5);

/// systemd's specifier for the instance name of a template unit.
pub const INSTANCE: &str = "%i";

/// The pharo-ctl a unit runs and the instance it acts on: the options in effect, as
/// `ExecStart=` writes them before the command (`run` of the service, `snapshot` of the
/// snapshot timer's).
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The pharo-ctl that runs.
    pub exe: PathBuf,
    pub dir: PathBuf,
    pub image: Option<PathBuf>,
    pub script: Option<PathBuf>,
    pub pid_file: Option<PathBuf>,
    pub vm: Option<PathBuf>,
    pub vm_args: Vec<String>,
    pub repl_url: Option<String>,
    pub allow_remote: bool,
    /// The REPL secret's file (its name, never what it holds).
    pub repl_secret: Option<PathBuf>,
}

impl Invocation {
    /// The words before the command, unquoted.
    pub fn words(&self) -> Vec<String> {
        let mut args: Vec<String> = vec![path(&self.exe), "--dir".into(), path(&self.dir)];
        for (flag, value) in [
            ("--image", &self.image),
            ("--script", &self.script),
            ("--pid-file", &self.pid_file),
        ] {
            if let Some(value) = value {
                args.extend([flag.into(), path(value)]);
            }
        }
        if let Some(vm) = &self.vm {
            args.extend(["--vm".into(), path(vm)]);
        }
        for arg in &self.vm_args {
            args.push(format!("--vm-arg={arg}"));
        }
        if let Some(url) = &self.repl_url {
            args.extend(["--repl".into(), url.clone()]);
        }
        if self.allow_remote {
            args.push("--allow-remote".into());
        }
        if let Some(secret) = &self.repl_secret {
            args.extend(["--repl-secret".into(), path(secret)]);
        }
        args
    }
}

/// A service that runs an instance: everything its unit says.
#[derive(Debug, Clone)]
pub struct Service {
    /// The comment lines at the top (what it is, how to install it).
    pub comments: Vec<String>,
    /// The instance's name, or [`INSTANCE`] for a template.
    pub name: String,
    /// The pharo-ctl that runs it, and the instance's options.
    pub invocation: Invocation,
    /// The shutdown expression, when it is not the default one.
    pub shutdown: Option<String>,
    pub grace: Duration,
    pub kill_after: Duration,
    /// The NAME as `ExecStart=` gives it to `run`.
    pub exec_name: String,
    pub start_timeout: Duration,
    pub watchdog: Option<Config>,
    pub user: Option<String>,
}

impl Service {
    /// The service the man pages show: /srv/zinc, run as pharo, with the defaults.
    pub fn example() -> Service {
        Service {
            comments: vec![
                "The Pharo image zinc, run by pharo-ctl.".into(),
                "Install: pharo-ctl unit zinc > /etc/systemd/system/pharo-zinc.service".into(),
            ],
            name: "zinc".into(),
            invocation: Invocation {
                exe: "/usr/local/bin/pharo-ctl".into(),
                dir: "/srv/zinc".into(),
                image: None,
                script: None,
                pid_file: None,
                vm: Some("/srv/zinc/pharo".into()),
                vm_args: Vec::new(),
                repl_url: None,
                allow_remote: false,
                repl_secret: None,
            },
            shutdown: None,
            grace: Duration::from_secs(5),
            kill_after: Duration::from_secs(5),
            exec_name: "zinc".into(),
            start_timeout: Duration::from_secs(60),
            watchdog: None,
            user: Some("pharo".into()),
        }
    }

    /// The `ExecStart=` words, each quoted as systemd reads it: the options first, as the units
    /// of earlier versions have them (`run` takes them), the NAME as it is (`%i` must stay a
    /// specifier).
    fn exec_start(&self) -> Vec<String> {
        let mut args = self.invocation.words();
        if let Some(shutdown) = &self.shutdown {
            args.extend(["--shutdown".into(), shutdown.clone()]);
        }
        args.extend([
            "--timeout".into(),
            crate::duration::exact(self.grace),
            "--kill-after".into(),
            crate::duration::exact(self.kill_after),
            "run".into(),
        ]);
        let mut words: Vec<String> = args.iter().map(|a| quote(a)).collect();
        words.push(if self.exec_name == INSTANCE {
            INSTANCE.to_string()
        } else {
            quote(&self.exec_name)
        });
        let mut after = vec![
            "--start-timeout".to_string(),
            crate::duration::exact(self.start_timeout),
        ];
        if let Some(watchdog) = self.watchdog {
            after.extend([
                "--watchdog".into(),
                crate::duration::exact(watchdog.interval),
                "--watchdog-misses".into(),
                watchdog.misses.to_string(),
            ]);
        }
        words.extend(after.iter().map(|a| quote(a)));
        words
    }

    /// The unit file.
    pub fn render(&self) -> String {
        let mut unit = String::new();
        self.write(&mut unit)
            .expect("writing to a String cannot fail");
        unit
    }

    fn write(&self, w: &mut String) -> std::fmt::Result {
        for line in &self.comments {
            writeln!(w, "# {line}")?;
        }
        let name = if self.name == INSTANCE {
            INSTANCE.to_string()
        } else {
            escape(&self.name)
        };
        writeln!(w, "[Unit]")?;
        writeln!(w, "Description=Pharo image {name}")?;
        writeln!(w, "After=network.target")?;
        writeln!(w)?;
        writeln!(w, "[Service]")?;
        writeln!(w, "Type=notify")?;
        writeln!(w, "NotifyAccess=main")?;
        writeln!(w, "ExecStart={}", self.exec_start().join(" "))?;
        writeln!(
            w,
            "WorkingDirectory={}",
            escape(&path(&self.invocation.dir))
        )?;
        if let Some(user) = &self.user {
            writeln!(w, "User={}", escape(user))?;
        }
        writeln!(
            w,
            "# SIGTERM goes to pharo-ctl only; it asks the image to shut down, then escalates."
        )?;
        writeln!(w, "KillMode=mixed")?;
        writeln!(
            w,
            "TimeoutStartSec={}",
            seconds(self.start_timeout + self.kill_after + MARGIN)
        )?;
        writeln!(
            w,
            "TimeoutStopSec={}",
            seconds(self.grace + self.kill_after + MARGIN)
        )?;
        if let Some(watchdog) = self.watchdog {
            writeln!(
                w,
                "# pharo-ctl probes the REPL every {}; {} probes in a row without an answer, at most {}",
                crate::duration::exact(watchdog.interval),
                watchdog.misses,
                seconds(watchdog.verdict_within())
            )?;
            writeln!(
                w,
                "# (INTERVAL x (N+1)) after the last answer, make it dump, stop the image and exit 8."
            )?;
            writeln!(
                w,
                "# WatchdogSec leaves 5s more: systemd's watchdog only ends a launcher that hangs too."
            )?;
            writeln!(
                w,
                "WatchdogSec={}",
                seconds(watchdog.verdict_within() + MARGIN)
            )?;
        }
        writeln!(
            w,
            "# An image may quit by itself (Smalltalk snapshot: false andQuit: true), and run then"
        )?;
        writeln!(
            w,
            "# exits 0: it is started again all the same. systemctl stop stops it for good."
        )?;
        writeln!(w, "Restart=always")?;
        writeln!(w)?;
        writeln!(w, "[Install]")?;
        writeln!(w, "WantedBy=multi-user.target")
    }
}

pub fn path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Whole seconds, rounded up, for systemd's timeouts.
pub fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// Escapes systemd's specifiers (`%`) and, on command lines, variable references (`$`).
pub fn escape(text: &str) -> String {
    text.replace('%', "%%")
}

/// One word of `ExecStart=`: escaped, and in double quotes (with C escapes) unless plain.
pub fn quote(word: &str) -> String {
    let escaped = escape(word).replace('$', "$$");
    let plain = !escaped.is_empty()
        && escaped
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '"' | '\'' | '\\' | ';'));
    if plain {
        return escaped;
    }
    let mut quoted = String::with_capacity(escaped.len() + 2);
    quoted.push('"');
    for c in escaped.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\t' => quoted.push_str("\\t"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_words_as_systemd_reads_them() {
        assert_eq!(quote("/usr/bin/pharo-ctl"), "/usr/bin/pharo-ctl");
        assert_eq!(
            quote("ShutdownSequence fork . true"),
            "\"ShutdownSequence fork . true\""
        );
        assert_eq!(quote("50%"), "50%%");
        assert_eq!(quote("$HOME"), "$$HOME");
        assert_eq!(quote("say \"hi\"\n"), "\"say \\\"hi\\\"\\n\"");
        assert_eq!(quote(""), "\"\"");
    }

    #[test]
    fn durations_round_up() {
        assert_eq!(seconds(Duration::from_millis(15_001)), "16s");
        assert_eq!(seconds(Duration::from_secs(15)), "15s");
    }
}
