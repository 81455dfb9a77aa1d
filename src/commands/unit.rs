//! `pharo-ctl unit`: print a systemd unit that runs the image with `pharo-ctl run`, ready for
//! `systemctl enable`: `Type=notify`, `KillMode=mixed`, absolute paths, the options in effect
//! written out on `ExecStart=` (so the service does not depend on the caller's environment),
//! and stop and start timeouts above pharo-ctl's own, so that systemd's SIGKILL never
//! pre-empts the cooperative shutdown. `--template` prints `pharo@.service` instead, whose
//! instance name (`%i`) is the NAME, so that one unit file runs every image of a directory.

use crate::cli::{DEFAULT_SHUTDOWN, WatchdogArgs};
use crate::context::Context;
use crate::exit_code::Code;
use crate::instance::{self, Instance};
use crate::run::watchdog::Config;
use anyhow::{Context as _, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// How much longer than pharo-ctl's own escalation systemd waits before it kills.
const MARGIN: Duration = Duration::from_secs(5);

/// What the unit is for.
pub enum For<'a> {
    /// One instance.
    Instance(&'a Instance),
    /// Every instance of the directory: the template `pharo@.service`.
    Template,
}

/// systemd's specifier for the instance name of a template unit.
const INSTANCE: &str = "%i";

pub fn run(
    ctx: &Context,
    target: For<'_>,
    user: Option<&str>,
    start_timeout: Duration,
    watchdog: WatchdogArgs,
) -> Result<Code> {
    // The directory and the VM; the NAME as ExecStart= and Description= write it; the
    // comments at the top.
    let (dir, vm, exec_name, name, comments) = match target {
        For::Instance(instance) => {
            instance.check_files()?;
            let vm = instance.vm()?.to_path_buf();
            ctx.repl(Some(instance))?;
            let name = &instance.name;
            let comments = [
                format!("The Pharo image {name}, run by pharo-ctl."),
                format!(
                    "Install: pharo-ctl unit {name} > /etc/systemd/system/pharo-{name}.service"
                ),
                format!("         systemctl daemon-reload && systemctl enable --now pharo-{name}"),
            ];
            (
                instance.dir.clone(),
                vm,
                quote(name),
                escape(name),
                comments,
            )
        }
        For::Template => {
            // Each instance's files are found when it starts; the directory and the VM are
            // the template's.
            crate::commands::fleet::refuse_one_instance_options(ctx)?;
            ctx.all_names()?;
            let vm = instance::find_vm(ctx.vm.as_deref(), &ctx.dir)?;
            ctx.repl(None)?;
            let comments = [
                format!(
                    "The Pharo images of {}, run by pharo-ctl: pharo@NAME runs NAME.image.",
                    ctx.dir.display()
                ),
                "Install: pharo-ctl unit --template > /etc/systemd/system/pharo@.service".into(),
                "         systemctl daemon-reload && systemctl enable --now pharo@NAME1 pharo@NAME2"
                    .into(),
            ];
            let name = INSTANCE.to_string();
            (ctx.dir.clone(), vm, name.clone(), name, comments)
        }
    };
    let exe = std::env::current_exe().context("cannot tell where pharo-ctl is installed")?;
    let exe = exe.canonicalize().unwrap_or(exe);

    // The options come first, as the units of earlier versions have them; `run` takes them.
    let mut args: Vec<String> = vec![path(&exe), "--dir".into(), path(&dir)];
    let given = &ctx.overrides;
    for (flag, value) in [
        ("--image", &given.image),
        ("--script", &given.script),
        ("--pid-file", &given.pid_file),
    ] {
        if let Some(value) = value {
            args.extend([flag.into(), path(value)]);
        }
    }
    args.extend(["--vm".into(), path(&vm)]);
    for arg in &ctx.vm_args {
        args.push(format!("--vm-arg={arg}"));
    }
    if let Some(url) = &ctx.repl_url {
        args.extend(["--repl".into(), url.clone()]);
    }
    if ctx.allow_remote {
        args.push("--allow-remote".into());
    }
    if ctx.stop.shutdown != DEFAULT_SHUTDOWN {
        args.extend(["--shutdown".into(), ctx.stop.shutdown.clone()]);
    }
    let (grace, kill_after) = (ctx.stop.grace, ctx.stop.kill_after);
    args.extend([
        "--timeout".into(),
        crate::duration::exact(grace),
        "--kill-after".into(),
        crate::duration::exact(kill_after),
        "run".into(),
    ]);
    // The NAME goes in as it is (`%i` must stay a specifier).
    let mut exec_start: Vec<String> = args.iter().map(|a| quote(a)).collect();
    exec_start.push(exec_name);
    let mut args: Vec<String> = vec![
        "--start-timeout".into(),
        crate::duration::exact(start_timeout),
    ];
    let watchdog = watchdog.watchdog.map(|interval| Config {
        interval,
        misses: watchdog.watchdog_misses,
    });
    if let Some(watchdog) = watchdog {
        args.extend([
            "--watchdog".into(),
            crate::duration::exact(watchdog.interval),
            "--watchdog-misses".into(),
            watchdog.misses.to_string(),
        ]);
    }
    exec_start.extend(args.iter().map(|a| quote(a)));

    let mut unit = String::new();
    let w = &mut unit;
    for line in comments {
        writeln!(w, "# {line}")?;
    }
    writeln!(w, "[Unit]")?;
    writeln!(w, "Description=Pharo image {name}")?;
    writeln!(w, "After=network.target")?;
    writeln!(w)?;
    writeln!(w, "[Service]")?;
    writeln!(w, "Type=notify")?;
    writeln!(w, "NotifyAccess=main")?;
    writeln!(w, "ExecStart={}", exec_start.join(" "))?;
    writeln!(w, "WorkingDirectory={}", escape(&path(&dir)))?;
    if let Some(user) = user {
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
        seconds(start_timeout + kill_after + MARGIN)
    )?;
    writeln!(w, "TimeoutStopSec={}", seconds(grace + kill_after + MARGIN))?;
    if let Some(watchdog) = watchdog {
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
    writeln!(w, "Restart=on-failure")?;
    writeln!(w)?;
    writeln!(w, "[Install]")?;
    writeln!(w, "WantedBy=multi-user.target")?;
    std::io::Write::write_all(&mut std::io::stdout().lock(), unit.as_bytes())?;
    Ok(Code::Success)
}

fn path(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Whole seconds, rounded up, for systemd's timeouts.
fn seconds(d: Duration) -> String {
    format!("{}s", d.as_secs() + u64::from(d.subsec_nanos() > 0))
}

/// Escapes systemd's specifiers (`%`) and, on command lines, variable references (`$`).
fn escape(text: &str) -> String {
    text.replace('%', "%%")
}

/// One word of `ExecStart=`: escaped, and in double quotes (with C escapes) unless plain.
fn quote(word: &str) -> String {
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
