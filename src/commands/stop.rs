//! `pharo-ctl stop`: the cooperative stop sequence, then the pid file's clean-up; several
//! instances at once, each with its own escalation. With `--save`, a verified snapshot first:
//! an instance whose save fails is not stopped.

use crate::commands::fleet::{self, Targets};
use crate::context::Context;
use crate::error::code_of;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::output;
use crate::snapshot::Options;
use anyhow::Result;

pub fn run(ctx: &Context, targets: Targets, save: Option<&Options>) -> Result<Code> {
    match targets {
        Targets::One(instance) => {
            save_and_stop(ctx, &instance, save)?;
            Ok(Code::Success)
        }
        Targets::Several(instances) => {
            let codes = fleet::each(&instances, true, |i| {
                save_and_stop(ctx, i, save).map(|()| Code::Success)
            });
            Ok(fleet::summarize(&instances, &codes, "stopped", "stop"))
        }
    }
}

/// Saves the instance's image when asked (a failed save stops nothing), then stops it.
fn save_and_stop(ctx: &Context, instance: &Instance, save: Option<&Options>) -> Result<()> {
    if let Some(options) = save {
        match super::snapshot::save_instance(ctx, instance, options) {
            Ok(saved) => output::step(saved.describe()),
            // Not running: the stop says so.
            Err(e) if code_of(&e) == Code::NotRunning => {}
            Err(e) => {
                output::step(format!(
                    "{}: not stopped: its image could not be saved",
                    instance.name
                ));
                return Err(e);
            }
        }
    }
    super::stop_one(ctx, instance)
}
