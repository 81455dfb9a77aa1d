//! `pharo-ctl restart`: stop the image if it runs, then start it.

use crate::cli::StartArgs;
use crate::commands::stop::stop_instance;
use crate::context::Context;
use crate::exit_code::Code;
use crate::files;
use crate::instance::Instance;
use crate::starter;
use anyhow::Result;

pub fn run(ctx: &Context, instance: &Instance, args: &StartArgs) -> Result<Code> {
    // Refuse before stopping what could not be started again.
    instance.check_files()?;
    instance.vm()?;
    files::check_writable(instance)?;
    stop_instance(ctx, instance)?;
    starter::start(ctx, instance, args)
}
