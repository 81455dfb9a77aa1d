//! `pharo-ctl start`: start the image in the background and record its pid.

use crate::cli::StartArgs;
use crate::context::Context;
use crate::exit_code::Code;
use crate::starter;
use anyhow::Result;

pub fn run(ctx: &Context, name: Option<&str>, args: &StartArgs) -> Result<Code> {
    let instance = ctx.instance(name)?;
    starter::start(ctx, &instance, args)
}
