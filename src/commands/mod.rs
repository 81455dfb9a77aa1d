//! One module per command, dispatched from the [`Command`] enum.

mod completions;
mod console;
mod dump;
pub(crate) mod eval;
mod generate_docs;
mod logs;
mod overview;
mod pid;
mod ps;
mod restart;
mod rolling;
mod run;
mod start;
pub(crate) mod status;
mod stop;
mod unit;

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::exit_code::Code;
use anyhow::Result;

/// Runs the command of a parsed command line.
pub fn dispatch(cli: Cli) -> Result<Code> {
    let ctx = Context {
        command: cli.command.name(),
        instance: cli.instance,
        repl: cli.repl,
        timing: cli.timing,
    };
    match cli.command {
        Command::Start {
            names,
            parallel,
            start,
        } => start::run(&ctx, &names, parallel, &start),
        Command::Stop { names } => stop::run(&ctx, &names),
        Command::Restart {
            names,
            rolling,
            pause,
            parallel,
            start,
        } => {
            let mode = restart::Mode {
                rolling,
                pause: pause.unwrap_or_default(),
                parallel,
            };
            restart::run(&ctx, &names, &mode, &start)
        }
        Command::Status {
            names,
            json,
            pretty,
            probe,
            lines,
        } => {
            let view = match (probe, json) {
                (true, _) => status::View::Probe,
                (_, true) => status::View::Json { pretty },
                _ => status::View::Human { lines },
            };
            status::run(&ctx, &names, view)
        }
        Command::Console { name } => console::run(&ctx, name.as_deref()),
        Command::Eval { expr, raw } => eval::run(&ctx, expr.as_deref(), raw),
        Command::Dump { name, json } => dump::run(&ctx, name.as_deref(), json),
        Command::Logs {
            name,
            lines,
            follow,
            until_exit,
            since,
        } => logs::run(
            &ctx,
            name.as_deref(),
            logs::Selection {
                lines,
                follow,
                until_exit,
                since,
            },
        ),
        Command::Pid { name } => pid::run(&ctx, name.as_deref()),
        Command::Run {
            name,
            start_timeout,
            watchdog,
        } => run::run(&ctx, name.as_deref(), start_timeout, watchdog),
        Command::Unit {
            name,
            template,
            user,
            start_timeout,
            watchdog,
        } => {
            let target = if template {
                unit::For::Template
            } else {
                unit::For::Name(name.as_deref())
            };
            unit::run(&ctx, target, user.as_deref(), start_timeout, watchdog)
        }
        Command::Ps { json, pretty } => ps::run(&ctx, json.then_some(pretty)),
        Command::Completions { shell } => completions::run(shell),
        Command::GenerateDocs { dir } => generate_docs::run(&dir),
    }
}
