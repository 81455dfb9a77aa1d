//! `pharo-ctl restart`: stop the image if it runs, then start it.

use crate::cli::StartArgs;
use crate::commands::stop::stop_instance;
use crate::context::Context;
use crate::exit_code::Code;
use crate::files;
use crate::starter;
use anyhow::Result;

pub fn run(ctx: &Context, name: Option<&str>, args: &StartArgs) -> Result<Code> {
    let instance = ctx.instance(name)?;
    // Refuse before stopping what could not be started again.
    instance.check_files()?;
    crate::instance::find_vm(ctx.instance.vm.as_deref(), &instance.dir)?;
    files::check_writable(&instance)?;
    stop_instance(ctx, &instance)?;
    starter::start(ctx, &instance, args)
}
