//! `pharo-ctl start`: start the image in the background and record its pid.

use crate::cli::StartArgs;
use crate::context::Context;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::starter;
use anyhow::Result;

pub fn run(ctx: &Context, instance: &Instance, args: &StartArgs) -> Result<Code> {
    starter::start(ctx, instance, args)
}
