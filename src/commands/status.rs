//! `pharo-ctl status`: whether the image runs, in the spirit of `systemctl status`, or as one
//! JSON object. Exit codes follow the LSB: 0 running, 1 stale pid file, 3 not running,
//! 4 unknown. A running VM whose REPL does not answer is hung: the report says since when
//! (see [`crate::instance::hung`]), and `--probe` prints nothing and exits 1 for it, so that an
//! orchestrator's health or liveness probe tells it apart. A REPL that answers 401 asks for
//! credentials pharo-ctl lacks: it answered, so it is neither ok nor hung; whether the REPL
//! asks for credentials is `repl.auth`. Several instances are one row each ([`overview`]).

use crate::duration::human;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::finder::{self, Found};
use crate::instance::hung;
use crate::instance::logfile;
use crate::output;
use crate::process::usage;
use crate::repl::ping::Pings;
use crate::repl::{Repl, ReplError};
use anyhow::Result;

pub(super) mod overview;
mod saved;
use colored::Colorize;
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How the report is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The human report, with this many lines of the log.
    Human { lines: usize },
    /// One JSON object, indented when `pretty`.
    Json { pretty: bool },
    /// Nothing: the exit status alone.
    Probe,
}

/// What status reports.
pub(crate) struct Report {
    pub(crate) state: &'static str,
    pub(crate) pid: Option<i32>,
    /// The wrapper that stands above the VM proper, if any.
    pub(crate) wrapper: Option<i32>,
    pub(crate) via_pid_file: bool,
    pub(crate) started_at: Option<SystemTime>,
    pub(crate) uptime: Option<Duration>,
    pub(crate) rss_bytes: Option<u64>,
    pub(crate) cpu: Option<Duration>,
    pub(crate) command: Option<String>,
    pub(crate) repl_ok: bool,
    pub(crate) latency: Option<Duration>,
    pub(crate) repl_error: Option<String>,
    /// Whether the REPL asks for credentials: `basic` or `none`; `None` when it did not tell.
    pub(crate) repl_auth: Option<&'static str>,
    /// The REPL answered 401: it is up, but pharo-ctl lacks the credentials it asks for.
    pub(crate) locked_out: bool,
    /// Whether the REPL's owner cannot be told (so its health cannot either).
    pub(crate) repl_unverified: bool,
    /// The URL of the REPL the VM holds, when it is not the configured one.
    pub(crate) repl_found: Option<String>,
    /// Since when the REPL of the running VM has not answered.
    pub(crate) hung_since: Option<SystemTime>,
}

impl Report {
    /// The VM runs and its REPL does not answer (a REPL that asks for credentials pharo-ctl
    /// lacks answers).
    pub(crate) fn hung(&self) -> bool {
        self.state == "running" && !self.repl_ok && !self.locked_out
    }

    /// Adds the answer of the running VM's REPL to a probe sent at `asked_at`: the latency,
    /// or why there was none and since when the VM has been hung (its `NAME.pid.hung` mark,
    /// which an answer clears). `bare` is the answer to the same probe without credentials,
    /// when the REPL has some: whether it asks for them.
    pub(crate) fn add_answer(
        &mut self,
        instance: &Instance,
        answer: Answer,
        bare: Option<Answer>,
        asked_at: SystemTime,
    ) {
        let Some(pid) = self.pid else { return };
        match answer {
            Ok(latency) => {
                self.repl_ok = true;
                self.latency = Some(latency);
                self.repl_error = None;
                self.repl_auth = match bare {
                    None | Some(Ok(_)) => Some("none"),
                    Some(Err(ReplError::Unauthorized { .. })) => Some("basic"),
                    Some(Err(_)) => None,
                };
                hung::clear(&instance.pid_file);
            }
            Err(e @ ReplError::Unauthorized { .. }) => {
                self.repl_error = Some(e.to_string());
                self.repl_auth = Some("basic");
                self.locked_out = true;
                hung::clear(&instance.pid_file);
            }
            Err(e @ ReplError::Unverified(_)) => {
                self.repl_error = Some(format!("unverified: {e}"));
                self.repl_unverified = true;
            }
            Err(e) => {
                self.repl_error = Some(e.to_string());
                self.hung_since = Some(hung::record(&instance.pid_file, pid, asked_at));
            }
        }
    }

    /// Adds what the VM uses: start time and uptime, memory, CPU time.
    pub(crate) fn add_usage(&mut self, usage: Option<(SystemTime, u64, Duration)>) {
        if let Some((started, rss, cpu)) = usage {
            self.started_at = Some(started);
            self.uptime = SystemTime::now().duration_since(started).ok();
            self.rss_bytes = Some(rss);
            self.cpu = Some(cpu);
        }
    }
}

/// A REPL's answer to a probe, or why there was none.
pub(crate) type Answer = Result<Duration, ReplError>;

/// Sends the probes of `repl`: one with its credentials, and, when it has some, one without,
/// which tells whether the REPL asks for them. Answers their indexes among the results.
pub(crate) fn send_probes(pings: &mut Pings, repl: &Repl) -> (usize, Option<usize>) {
    let main = pings.send(repl);
    let bare = repl
        .credentials()
        .is_some()
        .then(|| pings.send(&repl.without_credentials()));
    (main, bare)
}

/// Reports on the instance as `view` says, probing its REPL for at most `timeout`; its backups
/// are looked for in `backup_dir` (default `backups/` beside the image).
pub fn run(
    instance: &Instance,
    repl: &Repl,
    timeout: Duration,
    view: View,
    backup_dir: Option<&Path>,
) -> Result<Code> {
    let found = finder::find(instance)?;
    let report = gather(instance, &found, repl, timeout)?;
    let code = match found {
        Found::Running { .. } if view == View::Probe && report.repl_unverified => Code::Unknown,
        Found::Running { .. } if view == View::Probe && report.hung() => Code::Failure,
        Found::Running { .. } => Code::Success,
        Found::Stale(_) if view == View::Probe => Code::NotRunning,
        Found::Stale(_) => Code::Failure,
        Found::NotRunning => Code::NotRunning,
    };
    match view {
        View::Probe => {}
        View::Json { pretty } => {
            output::json(&to_json(instance, repl, &report, backup_dir), pretty)?
        }
        View::Human { lines } => write_human(
            &mut std::io::stdout().lock(),
            instance,
            repl,
            &report,
            lines,
            backup_dir,
        )?,
    }
    Ok(code)
}

/// What status reports about a VM found (or not), its REPL probed when it runs.
fn gather(instance: &Instance, found: &Found, repl: &Repl, timeout: Duration) -> Result<Report> {
    let mut report = observe(found);
    if let Found::Running { tree, .. } = found {
        // Only a REPL the VM's tree holds is asked.
        let repl = repl.owned(&instance.name, tree)?;
        let asked_at = SystemTime::now();
        let mut pings = Pings::new(timeout, 1);
        let (_, bare) = send_probes(&mut pings, &repl);
        let mut answers = pings.finish().into_iter();
        let answer = answers.next().unwrap_or(Err(ReplError::Dropped));
        report.add_answer(instance, answer, bare.and(answers.next()), asked_at);
        report.repl_found = repl.found_url();
        report.add_usage(usage::of(&[tree.pid()]).remove(0));
    }
    Ok(report)
}

/// What status reports about a VM found (or not), but its REPL's answer
/// ([`Report::add_answer`]) and what it uses ([`Report::add_usage`]).
pub(crate) fn observe(found: &Found) -> Report {
    let mut report = Report {
        state: "stopped",
        pid: None,
        wrapper: None,
        via_pid_file: false,
        started_at: None,
        uptime: None,
        rss_bytes: None,
        cpu: None,
        command: None,
        repl_ok: false,
        latency: None,
        repl_error: Some("not running".to_string()),
        repl_auth: None,
        locked_out: false,
        repl_unverified: false,
        repl_found: None,
        hung_since: None,
    };
    match found {
        Found::NotRunning => {}
        Found::Stale(_) => report.state = "stale",
        Found::Running {
            tree, via_pid_file, ..
        } => {
            let pid = tree.pid();
            report.state = "running";
            report.pid = Some(pid);
            report.wrapper = tree.wrapper();
            report.via_pid_file = *via_pid_file;
            report.command = crate::process::cmdline_string(pid);
        }
    }
    report
}

pub(crate) fn to_json(
    instance: &Instance,
    repl: &Repl,
    r: &Report,
    backup_dir: Option<&Path>,
) -> Value {
    let mut object = json!({
        "name": instance.name,
        "state": r.state,
        "pid": r.pid,
        "wrapper_pid": r.wrapper,
        "pid_file": instance.pid_file,
        "image": instance.image,
        "log_file": instance.log_file,
        "command": r.command,
        "found_by": r.pid.map(|_| if r.via_pid_file { "pid_file" } else { "scan" }),
        "started_at": r.started_at.map(rfc3339),
        "uptime_s": r.uptime.map(|d| d.as_secs()),
        "rss_bytes": r.rss_bytes,
        // CPU time is counted in milliseconds, the probe timed to the microsecond.
        "cpu_s": r.cpu.map(|d| output::rounded(d.as_secs_f64(), 3)),
        "hung": r.hung(),
        "hung_since": r.hung_since.map(rfc3339),
        "hung_s": r.hung_since.map(|since| output::rounded(hung_for(since).as_secs_f64(), 3)),
        "repl": {
            "url": r.repl_found.as_deref().unwrap_or(repl.url()),
            "configured_url": r.repl_found.as_ref().map(|_| repl.url()),
            "ok": r.repl_ok,
            "latency_ms": r.latency.map(|d| output::rounded(d.as_secs_f64() * 1000.0, 3)),
            "error": r.repl_error,
            "auth": r.repl_auth,
            "secret_file": repl.credentials().map(|c| c.file()),
        },
    });
    saved::add_json(&mut object, instance, backup_dir);
    object
}

/// How long the REPL has not answered, since `since`.
fn hung_for(since: SystemTime) -> Duration {
    SystemTime::now().duration_since(since).unwrap_or_default()
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn write_human(
    out: &mut impl Write,
    instance: &Instance,
    repl: &Repl,
    r: &Report,
    lines: usize,
    backup_dir: Option<&Path>,
) -> Result<()> {
    let dot = match r.state {
        "running" => "●".green().bold(),
        "stale" => "●".red().bold(),
        _ => "○".normal(),
    };
    writeln!(
        out,
        "{dot} {} - Pharo image {}",
        instance.name.bold(),
        instance.image.display()
    )?;
    let state = match r.state {
        "running" => "active (running)".green().bold().to_string(),
        "stale" => format!(
            "{} (stale pid file: the process it names is gone or is not this image's VM)",
            "failed".red().bold()
        ),
        _ => "inactive (dead)".to_string(),
    };
    let since = match (r.started_at, r.uptime) {
        (Some(at), Some(up)) => {
            format!(" since {}; {} ago", rfc3339(at), crate::duration::human(up))
        }
        _ => String::new(),
    };
    writeln!(out, "{:>10}: {state}{since}", "Active")?;
    if r.hung() {
        let hung = match r.hung_since {
            Some(since) => format!(
                "REPL not answering for {} (a probe at {} got no answer, none answered since)",
                human(hung_for(since)),
                rfc3339(since)
            ),
            None => "REPL not answering".to_string(),
        };
        writeln!(out, "{:>10}: {}", "Hung", hung.red().bold())?;
    }
    if let Some(pid) = r.pid {
        let how = if r.via_pid_file {
            "from the pid file"
        } else {
            "found in the process table"
        };
        writeln!(out, "{:>10}: {pid} ({how})", "PID")?;
    }
    if let Some(wrapper) = r.wrapper {
        let command = crate::process::cmdline_string(wrapper).unwrap_or_default();
        writeln!(
            out,
            "{:>10}: {wrapper} (above the VM, which it started: {command})",
            "Wrapper"
        )?;
    }
    if let Some(rss) = r.rss_bytes {
        writeln!(out, "{:>10}: {}", "Memory", output::bytes(rss))?;
    }
    if let Some(cpu) = r.cpu {
        writeln!(out, "{:>10}: {}", "CPU", crate::duration::human(cpu))?;
    }
    if let Some(command) = &r.command {
        writeln!(out, "{:>10}: {command}", "Command")?;
    }
    let health = match (r.repl_ok, r.latency, &r.repl_error) {
        (true, Some(latency), _) => {
            let auth = match r.repl_auth {
                Some("basic") => ", credentials required",
                Some(_) if repl.credentials().is_some() => {
                    ", but it asks for no credentials (its script does not use the secret)"
                }
                _ => "",
            };
            format!(
                "{}{auth}",
                format!("ok ({})", crate::duration::human(latency)).green()
            )
        }
        (_, _, Some(error)) if r.locked_out => error.yellow().to_string(),
        (_, _, Some(error)) if r.pid.is_some() => error.red().to_string(),
        (_, _, Some(error)) => error.to_string(),
        _ => String::new(),
    };
    match &r.repl_found {
        Some(found) => writeln!(
            out,
            "{:>10}: {found} {health} (held by the VM; the configured {} is not its)",
            "REPL",
            repl.url()
        )?,
        None => writeln!(out, "{:>10}: {} {health}", "REPL", repl.url())?,
    }
    writeln!(out, "{:>10}: {}", "PID file", instance.pid_file.display())?;
    writeln!(out, "{:>10}: {}", "Log", instance.log_file.display())?;
    saved::write_lines(out, instance, backup_dir)?;
    let tail = logfile::last_lines(&instance.log_file, 0, lines);
    if !tail.is_empty() {
        writeln!(out)?;
        for line in tail {
            writeln!(
                out,
                "{}",
                if output::colored() {
                    line.dimmed().to_string()
                } else {
                    line
                }
            )?;
        }
    }
    Ok(())
}
