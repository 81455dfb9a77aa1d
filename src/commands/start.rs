//! `pharo-ctl start`: start the image in the background and record its pid; several
//! instances one after another, or all at once with `--parallel`.

use crate::commands::fleet::{self, Targets};
use crate::context::Context;
use crate::exit_code::Code;
use crate::start::Readiness;
use anyhow::Result;

pub fn run(ctx: &Context, targets: Targets, parallel: bool, args: &Readiness) -> Result<Code> {
    match targets {
        Targets::One(instance) => {
            fleet::check_ports(&[&instance])?;
            super::start_one(ctx, &instance, args)
        }
        Targets::Several(instances) => {
            fleet::check_ports(&instances.iter().collect::<Vec<_>>())?;
            let codes = fleet::each(&instances, parallel, |i| super::start_one(ctx, i, args));
            Ok(fleet::summarize(&instances, &codes, "started", "start"))
        }
    }
}
