//! `pharo-ctl restart`: stop the image if it runs, then start it. Several instances stop at
//! once, then start one after another (or all at once with `--parallel`); `--rolling` is
//! [`rolling`].

use crate::commands::fleet::{self, Targets};
use crate::context::Context;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::files;
use crate::instance::finder::{self, Found};
use crate::start::Readiness;
use crate::start::launch;
use anyhow::Result;

mod rolling;

/// How `restart` goes about several instances.
pub struct Mode {
    pub rolling: bool,
    pub pause: std::time::Duration,
    pub parallel: bool,
}

pub fn run(ctx: &Context, targets: Targets, mode: &Mode, args: &Readiness) -> Result<Code> {
    let instances = match targets {
        Targets::One(instance) if !mode.rolling => {
            fleet::check_ports(&[&instance])?;
            check_startable(ctx, &instance)?;
            super::stop_one(ctx, &instance)?;
            return super::start_one(ctx, &instance, args);
        }
        Targets::One(instance) => vec![*instance],
        Targets::Several(instances) => instances,
    };
    fleet::check_ports(&instances.iter().collect::<Vec<_>>())?;
    if mode.rolling {
        return rolling::run(ctx, &instances, args, mode.pause);
    }
    let stopped = fleet::each(&instances, true, |i| {
        check_startable(ctx, i)?;
        super::stop_one(ctx, i).map(|()| Code::Success)
    });
    let to_start: Vec<Instance> = instances
        .iter()
        .zip(&stopped)
        .filter(|(_, code)| **code == Code::Success)
        .map(|(i, _)| i.clone())
        .collect();
    let mut started =
        fleet::each(&to_start, mode.parallel, |i| super::start_one(ctx, i, args)).into_iter();
    let codes: Vec<Code> = stopped
        .iter()
        .map(|code| match code {
            Code::Success => started.next().unwrap_or(Code::Failure),
            failed => *failed,
        })
        .collect();
    Ok(fleet::summarize(&instances, &codes, "restarted", "restart"))
}

/// Refuses, before anything is stopped, what could not be started again: a missing image or
/// VM, a pid file or log that may not be written, a REPL port that a process outside the
/// instance holds.
pub fn check_startable(ctx: &Context, instance: &Instance) -> Result<()> {
    launch::find_vm(instance)?;
    files::check_writable(instance)?;
    let tree = match finder::find(instance)? {
        Found::Running { tree, .. } => Some(tree),
        _ => None,
    };
    launch::check_repl_port(instance, &ctx.repl(Some(instance))?, tree.as_ref())
}
