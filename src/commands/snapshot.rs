//! `pharo-ctl snapshot`: a running image saved in place, safely ([`crate::snapshot`]), for one
//! instance or several, one after another.

use crate::cli::SaveArgs;
use crate::commands::fleet::{self, Targets};
use crate::context::Context;
use crate::error::{self, fail};
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::finder::{self, Found};
use crate::output;
use crate::snapshot::{self, Options, Saved};
use anyhow::Result;
use std::time::Duration;

pub fn run(ctx: &Context, targets: Targets, options: &Options, json: bool) -> Result<Code> {
    let instances = match targets {
        Targets::One(instance) => vec![*instance],
        Targets::Several(instances) => instances,
    };
    let mut reports = Vec::new();
    let mut codes = Vec::new();
    for instance in &instances {
        let result = save_instance(ctx, instance, options);
        let report = match &result {
            Ok(saved) => {
                output::step(saved.describe());
                let mut report = serde_json::to_value(saved)?;
                report["saved"] = true.into();
                report
            }
            Err(e) => serde_json::json!({
                "name": instance.name,
                "saved": false,
                "error": format!("{e:#}"),
            }),
        };
        reports.push(report);
        codes.push(fleet::settle(instance, result.map(|_| Code::Success)));
    }
    if json {
        match reports.as_slice() {
            [one] if instances.len() == 1 => output::json(one, false)?,
            all => output::json(&all, false)?,
        }
    }
    Ok(match codes.as_slice() {
        [one] => *one,
        _ => fleet::summarize(&instances, &codes, "saved", "save"),
    })
}

/// The options of a save, as the command line gives them, that may take `timeout`.
pub fn options(args: &SaveArgs, timeout: Duration) -> Options {
    Options {
        backup_dir: args.backup_dir.clone(),
        keep: args.keep,
        backup: !args.no_backup,
        timeout,
    }
}

/// Saves one instance's running image: its VM found, its REPL resolved, then the save.
pub fn save_instance(ctx: &Context, instance: &Instance, options: &Options) -> Result<Saved> {
    // The REPL URL is checked before anything is found.
    ctx.repl(Some(instance))?;
    let name = &instance.name;
    match finder::find(instance)? {
        Found::Running { tree, .. } => {
            let _lock = lock(instance)?;
            let repl = ctx.own_repl(instance, &tree)?;
            snapshot::save(instance, &tree, &repl, options)
        }
        Found::Stale(_) | Found::NotRunning => fail(
            Code::NotRunning,
            format!(
                "{name} is not running: there is nothing to save ({} is as it was last written); start it with `pharo-ctl start {name}`",
                instance.image.display()
            ),
        ),
    }
}

/// Holds off a second save or restore of the instance while this one runs: an exclusive
/// `flock` on the image file (which the VM never locks).
pub fn lock(instance: &Instance) -> Result<nix::fcntl::Flock<std::fs::File>> {
    let name = &instance.name;
    let file = std::fs::File::open(&instance.image).map_err(|e| {
        error::Fail::new(
            Code::NotConfigured,
            format!(
                "{name}: cannot open the image {}: {}",
                instance.image.display(),
                error::reason(&e)
            ),
        )
    })?;
    nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusiveNonblock).map_err(|_| {
        error::Fail::new(
            Code::Failure,
            format!("{name}: another snapshot or restore of its image is under way; try again once it has ended"),
        )
        .into()
    })
}
