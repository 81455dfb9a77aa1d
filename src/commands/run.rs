//! `pharo-ctl run`: run the image in the foreground as a service's main process.

use crate::cli::WatchdogArgs;
use crate::commands::fleet;
use crate::context::Context;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::run::watchdog::Config;
use anyhow::Result;
use std::time::Duration;

pub fn run(
    ctx: &Context,
    instance: &Instance,
    start_timeout: Duration,
    watchdog: WatchdogArgs,
) -> Result<Code> {
    // Like start: a REPL port that another instance's script names too is refused before the
    // VM starts (exit 6).
    fleet::check_ports(&[instance])?;
    let watchdog = Config::resolve(watchdog.watchdog, watchdog.watchdog_misses);
    crate::run::run(
        instance,
        ctx.repl(Some(instance))?,
        ctx.stop.clone(),
        start_timeout,
        watchdog,
    )
}
