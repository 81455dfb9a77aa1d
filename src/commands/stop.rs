//! `pharo-ctl stop`: the cooperative stop sequence, then the pid file's clean-up; several
//! instances at once, each with its own escalation.

use crate::commands::fleet::{self, Targets};
use crate::context::Context;
use crate::exit_code::Code;
use anyhow::Result;

pub fn run(ctx: &Context, targets: Targets) -> Result<Code> {
    match targets {
        Targets::One(instance) => {
            super::stop_one(ctx, &instance)?;
            Ok(Code::Success)
        }
        Targets::Several(instances) => {
            let codes = fleet::each(&instances, true, |i| {
                super::stop_one(ctx, i).map(|()| Code::Success)
            });
            Ok(fleet::summarize(&instances, &codes, "stopped", "stop"))
        }
    }
}
