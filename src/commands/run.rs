//! `pharo-ctl run`: run the image in the foreground as a service's main process.

use crate::context::Context;
use crate::exit_code::Code;
use crate::launcher;
use anyhow::Result;
use std::time::Duration;

pub fn run(ctx: &Context, name: Option<&str>, start_timeout: Duration) -> Result<Code> {
    let instance = ctx.instance(name)?;
    launcher::run(ctx, &instance, start_timeout)
}
