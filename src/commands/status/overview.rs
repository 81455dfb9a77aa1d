//! `pharo-ctl status` of several instances (`--all`, several NAMEs, or no NAME in a directory
//! of several images): one row each, as `pm2 ls` shows them — name, state, pid, uptime,
//! memory, CPU time, REPL health and latency; `hung` when the VM runs but its REPL does not
//! answer — or a JSON array of the objects that one instance's `status --json` prints, or
//! (`--probe`) nothing. The REPL probes run at once ([`Pings`]): fifty instances take about
//! as long as the slowest probe.
//! Exit 0 when every instance runs and its REPL answers, 3 when none runs, else 1.

use super::{Report, View};
use crate::commands::fleet;
use crate::context::Context;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::finder;
use crate::output;
use crate::output::table::{self, GAP};
use crate::process::usage;
use crate::repl::Repl;
use crate::repl::ping::Pings;
use anyhow::Result;
use colored::Colorize;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

/// One instance, as seen; an error when its state cannot be told (an untrusted pid file,
/// several VMs, no permission): why.
type Seen = Result<(Repl, Report), String>;

/// Reports on several instances, probing each REPL for at most `timeout`; the backups are
/// looked for in `backup_dir` (default `backups/` beside each image).
pub fn run(
    ctx: &Context,
    instances: &[Instance],
    timeout: Duration,
    view: View,
    backup_dir: Option<&std::path::Path>,
) -> Result<Code> {
    let asked_at = SystemTime::now();
    // A worker a CPU, each taking the next instance not yet taken.
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 8)
        .min(instances.len());
    let work = || look_at_each(ctx, instances, &next, Pings::new(timeout, workers));
    let mut looked: Vec<Option<(Seen, Option<Answers>)>> = std::iter::repeat_with(|| None)
        .take(instances.len())
        .collect();
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..workers).map(|_| scope.spawn(work)).collect();
        let mine = work();
        for (i, seen, answer) in helpers
            .into_iter()
            .flat_map(|helper| helper.join().unwrap_or_default())
            .chain(mine)
        {
            looked[i] = Some((seen, answer));
        }
    });
    let mut seen: Vec<Seen> = Vec::with_capacity(instances.len());
    for (instance, looked) in instances.iter().zip(looked) {
        seen.push(match looked {
            Some((Ok((repl, mut report)), answer)) => {
                if let Some((answer, bare)) = answer {
                    report.add_answer(instance, answer, bare, asked_at);
                }
                report.repl_found = repl.found_url();
                Ok((repl, report))
            }
            Some((Err(why), _)) => Err(why),
            None => Err("could not be looked at".into()),
        });
    }
    // What the VMs use, read in one pass.
    let pids: Vec<i32> = seen.iter().filter_map(|s| s.as_ref().ok()?.1.pid).collect();
    let mut usage = usage::of(&pids).into_iter();
    for (_, report) in seen.iter_mut().flatten() {
        if report.pid.is_some() {
            report.add_usage(usage.next().flatten());
        }
    }
    let refs: Vec<&Instance> = instances.iter().collect();
    for conflict in fleet::port_conflicts(&refs) {
        output::warn(format!(
            "{conflict}: only one of them can run; give each its own port in its startup script"
        ));
    }
    for (instance, seen) in instances.iter().zip(&seen) {
        if let Err(why) = seen {
            output::warn(fleet::named(&instance.name, why));
        }
    }
    if let View::Json { pretty } = view {
        let array: Vec<Value> = instances
            .iter()
            .zip(&seen)
            .map(|(instance, seen)| match seen {
                Ok((repl, report)) => super::to_json(instance, repl, report, backup_dir),
                Err(why) => json!({
                    "name": instance.name,
                    "state": "unknown",
                    "image": instance.image,
                    "pid_file": instance.pid_file,
                    "error": why,
                }),
            })
            .collect();
        output::json(&array, pretty)?;
    } else if let View::Human { .. } = view {
        write_table(&mut std::io::stdout().lock(), instances, &seen)?;
    }
    Ok(exit_code(&seen))
}

/// The answers to an instance's probes: with its credentials, and without them.
type Answers = (super::Answer, Option<super::Answer>);

/// One worker's part: the next instance not yet taken (`next`), until none is left, each as
/// seen, with its REPL's answer when its VM runs (asked through `pings`). Each REPL is asked the moment its VM is
/// found, and what has come in is read between one instance and the next: the images answer
/// while the others are looked at.
fn look_at_each(
    ctx: &Context,
    instances: &[Instance],
    next: &AtomicUsize,
    mut pings: Pings,
) -> Vec<(usize, Seen, Option<Answers>)> {
    let mut done = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(instance) = instances.get(i) else {
            break;
        };
        let seen = look(ctx, instance);
        let ping = match &seen {
            Ok((repl, report)) if report.pid.is_some() => {
                Some(super::send_probes(&mut pings, repl))
            }
            _ => None,
        };
        done.push((i, seen, ping));
        pings.progress(Duration::ZERO);
    }
    let mut answers: Vec<Option<super::Answer>> = pings.finish().into_iter().map(Some).collect();
    done.into_iter()
        .map(|(i, seen, ping)| {
            let answers = ping.and_then(|(main, bare)| {
                let bare = bare.and_then(|b| answers[b].take());
                Some((answers[main].take()?, bare))
            });
            (i, seen, answers)
        })
        .collect()
}

/// An instance's REPL and what is found of its VM, or why its state cannot be told.
fn look(ctx: &Context, instance: &Instance) -> Seen {
    let found = ctx.repl(Some(instance)).and_then(|repl| {
        let found = finder::find(instance)?;
        // Only a REPL the VM's tree holds is asked.
        let repl = match &found {
            finder::Found::Running { tree, .. } => repl.owned(&instance.name, tree)?,
            _ => repl,
        };
        Ok((repl, found))
    });
    match found {
        Ok((repl, found)) => Ok((repl, super::observe(&found))),
        Err(e) => Err(format!("{e:#}")),
    }
}

/// 0 when every instance runs and answers, 3 when none runs, else 1.
fn exit_code(seen: &[Seen]) -> Code {
    let state = |s: &Seen| match s {
        Ok((_, report)) => report.state,
        Err(_) => "unknown",
    };
    if seen
        .iter()
        .all(|s| matches!(s, Ok((_, r)) if r.state == "running" && !r.hung()))
    {
        Code::Success
    } else if seen.iter().all(|s| matches!(state(s), "stopped" | "stale")) {
        Code::NotRunning
    } else {
        Code::Failure
    }
}

fn write_table(out: &mut impl Write, instances: &[Instance], seen: &[Seen]) -> Result<()> {
    const HEADER: [&str; 7] = ["NAME", "STATE", "PID", "UPTIME", "RSS", "CPU", "REPL"];
    let dash = || "-".to_string();
    let rows: Vec<Vec<String>> = instances
        .iter()
        .zip(seen)
        .map(|(instance, seen)| {
            let mut row = vec![instance.name.clone()];
            match seen {
                Ok((_, r)) => row.extend([
                    if r.hung() { "hung" } else { r.state }.to_string(),
                    r.pid.map_or_else(dash, |pid| pid.to_string()),
                    r.uptime.map_or_else(dash, |u| table::uptime(u.as_secs())),
                    r.rss_bytes.map_or_else(dash, output::bytes),
                    r.cpu
                        .map_or_else(dash, |c| format!("{:.2}s", c.as_secs_f64())),
                    repl_cell(r),
                ]),
                Err(_) => {
                    row.push("unknown".into());
                    row.extend(std::iter::repeat_with(dash).take(5));
                }
            }
            row
        })
        .collect();
    let table = table::layout(&HEADER, &rows);
    writeln!(out, "{}", table[0].join(GAP).bold())?;
    for row in &table[1..] {
        let mut cells = row.clone();
        cells[1] = match cells[1].trim_end() {
            "running" => cells[1].green().to_string(),
            "hung" | "stale" | "unknown" => cells[1].red().to_string(),
            _ => cells[1].clone(),
        };
        writeln!(out, "{}", cells.join(GAP))?;
    }
    Ok(())
}

/// `ok 2ms`, why the REPL did not answer, or `-` when the VM does not run.
fn repl_cell(r: &Report) -> String {
    match (r.repl_ok, r.latency, &r.repl_error) {
        (true, Some(latency), _) => format!(
            "ok {}ms{}",
            latency.as_millis(),
            if r.repl_auth == Some("basic") {
                " (auth)"
            } else {
                ""
            }
        ),
        (false, _, Some(error)) if r.pid.is_some() => error.clone(),
        _ => "-".to_string(),
    }
}
