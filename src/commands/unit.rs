//! `pharo-ctl unit`: print a systemd unit that runs the image with `pharo-ctl run`, ready for
//! `systemctl enable`: `Type=notify`, `KillMode=mixed`, absolute paths, the options in effect
//! written out on `ExecStart=` (so the service does not depend on the caller's environment),
//! and stop and start timeouts above pharo-ctl's own, so that systemd's SIGKILL never
//! pre-empts the cooperative shutdown. `--template` prints `pharo@.service` instead, whose
//! instance name (`%i`) is the NAME, so that one unit file runs every image of a directory.

use crate::cli::{Cli, WatchdogArgs};
use crate::context::Context;
use crate::exit_code::Code;
use crate::instance::{self, Instance};
use crate::watchdog::Config;
use anyhow::{Context as _, Result};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// How much longer than pharo-ctl's own escalation systemd waits before it kills.
const MARGIN: Duration = Duration::from_secs(5);

/// What the unit is for.
pub enum For<'a> {
    /// One instance, by NAME (none: the only image of the directory).
    Name(Option<&'a str>),
    /// Every instance of the directory: the template `pharo@.service`.
    Template,
}

/// systemd's specifier for the instance name of a template unit.
const INSTANCE: &str = "%i";

/// What a unit holds besides the options in effect.
struct Spec<'a> {
    /// The comment lines at its top.
    comments: Vec<String>,
    /// The NAME as the unit names it: escaped, or `%i`.
    name: &'a str,
    dir: &'a Path,
    exec_start: String,
    user: Option<&'a str>,
    start_timeout: Duration,
    watchdog: Option<Config>,
}

pub fn run(
    ctx: &Context,
    target: For<'_>,
    user: Option<&str>,
    start_timeout: Duration,
    watchdog: WatchdogArgs,
) -> Result<Code> {
    let watchdog = watchdog.watchdog.map(|interval| Config {
        interval,
        misses: watchdog.watchdog_misses,
    });
    let unit = match target {
        For::Name(name) => {
            let instance = ctx.instance(name)?;
            instance.check_files()?;
            let vm = instance::find_vm(ctx.instance.vm.as_deref(), &instance.dir)?;
            ctx.repl(Some(&instance))?;
            let name = &instance.name;
            render(
                ctx,
                &Spec {
                    comments: vec![
                        format!("The Pharo image {name}, run by pharo-ctl."),
                        format!(
                            "Install: pharo-ctl unit {name} > /etc/systemd/system/pharo-{name}.service"
                        ),
                        format!(
                            "         systemctl daemon-reload && systemctl enable --now pharo-{name}"
                        ),
                    ],
                    name: &escape(name),
                    dir: &instance.dir,
                    exec_start: exec_start(ctx, &instance.dir, Some(&instance), &vm, quote(name))?,
                    user,
                    start_timeout,
                    watchdog,
                },
            )?
        }
        For::Template => {
            crate::fleet::refuse_one_instance_options(ctx)?;
            // Every instance's own files are found when it starts; the directory and the VM
            // are the template's.
            let dir = instance::directory(&ctx.instance)?;
            let vm = instance::find_vm(ctx.instance.vm.as_deref(), &dir)?;
            ctx.repl(None)?;
            render(
                ctx,
                &Spec {
                    comments: vec![
                        format!(
                            "The Pharo images of {}, run by pharo-ctl: pharo@NAME runs NAME.image.",
                            dir.display()
                        ),
                        "Install: pharo-ctl unit --template > /etc/systemd/system/pharo@.service"
                            .to_string(),
                        "         systemctl daemon-reload && systemctl enable --now pharo@NAME1 pharo@NAME2"
                            .to_string(),
                    ],
                    name: INSTANCE,
                    dir: &dir,
                    exec_start: exec_start(ctx, &dir, None, &vm, INSTANCE.to_string())?,
                    user,
                    start_timeout,
                    watchdog,
                },
            )?
        }
    };
    std::io::Write::write_all(&mut std::io::stdout().lock(), unit.as_bytes())?;
    Ok(Code::Success)
}

/// The `ExecStart=` line up to `run NAME`: pharo-ctl with the options in effect; `name` is
/// the NAME word as it goes into the unit (quoted, or `%i`). The files given on the command
/// line are those of `instance` (none for a template).
fn exec_start(
    ctx: &Context,
    dir: &Path,
    instance: Option<&Instance>,
    vm: &Path,
    name: String,
) -> Result<String> {
    let exe = std::env::current_exe().context("cannot tell where pharo-ctl is installed")?;
    let exe = exe.canonicalize().unwrap_or(exe);

    let mut args: Vec<String> = vec![path(&exe), "--dir".into(), path(dir)];
    let given = &ctx.instance;
    if let Some(instance) = instance {
        for (flag, value, resolved) in [
            ("--image", &given.image, &instance.image),
            ("--pid-file", &given.pid_file, &instance.pid_file),
        ] {
            if value.is_some() {
                args.extend([flag.into(), path(resolved)]);
            }
        }
        if given.script.is_some()
            && let Some(script) = &instance.script
        {
            args.extend(["--script".into(), path(script)]);
        }
    }
    args.extend(["--vm".into(), path(vm)]);
    for arg in &given.vm_args {
        args.push(format!("--vm-arg={arg}"));
    }
    if let Some(url) = &ctx.repl.url {
        args.extend(["--repl".into(), url.clone()]);
    }
    if ctx.repl.allow_remote {
        args.push("--allow-remote".into());
    }
    if Some(ctx.repl.shutdown.as_str()) != default_shutdown().as_deref() {
        args.extend(["--shutdown".into(), ctx.repl.shutdown.clone()]);
    }
    args.extend([
        "--timeout".into(),
        crate::duration::exact(ctx.grace()),
        "--kill-after".into(),
        crate::duration::exact(ctx.timing.kill_after),
        "run".into(),
    ]);
    let mut words: Vec<String> = args.iter().map(|a| quote(a)).collect();
    words.push(name);
    Ok(words.join(" "))
}

/// The unit's text.
fn render(ctx: &Context, spec: &Spec<'_>) -> Result<String> {
    let grace = ctx.grace();
    let kill_after = ctx.timing.kill_after;
    let mut exec_start = format!(
        "{} --start-timeout {}",
        spec.exec_start,
        crate::duration::exact(spec.start_timeout)
    );
    if let Some(watchdog) = spec.watchdog {
        exec_start.push_str(&format!(
            " --watchdog {} --watchdog-misses {}",
            crate::duration::exact(watchdog.interval),
            watchdog.misses
        ));
    }
    let mut unit = String::new();
    let w = &mut unit;
    for line in &spec.comments {
        writeln!(w, "# {line}")?;
    }
    writeln!(w, "[Unit]")?;
    writeln!(w, "Description=Pharo image {}", spec.name)?;
    writeln!(w, "After=network.target")?;
    writeln!(w)?;
    writeln!(w, "[Service]")?;
    writeln!(w, "Type=notify")?;
    writeln!(w, "NotifyAccess=main")?;
    writeln!(w, "ExecStart={exec_start}")?;
    writeln!(w, "WorkingDirectory={}", escape(&path(spec.dir)))?;
    if let Some(user) = spec.user {
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
        seconds(spec.start_timeout + kill_after + MARGIN)
    )?;
    writeln!(w, "TimeoutStopSec={}", seconds(grace + kill_after + MARGIN))?;
    if let Some(watchdog) = spec.watchdog {
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
    Ok(unit)
}

/// The default shutdown expression, as the command line defines it.
fn default_shutdown() -> Option<String> {
    use clap::CommandFactory;
    Cli::command()
        .get_arguments()
        .find(|a| a.get_id() == "shutdown")
        .and_then(|a| a.get_default_values().first().cloned())
        .map(|v| v.to_string_lossy().into_owned())
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
