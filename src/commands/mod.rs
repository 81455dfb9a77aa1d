//! One module per command, dispatched from the [`Command`] enum.

mod completions;
mod eval;
mod generate_docs;
mod pid;
mod ps;
mod restart;
mod run;
mod start;
mod status;
mod stop;
mod unit;

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::exit_code::Code;
use anyhow::Result;

/// Runs the command of a parsed command line, which is resolved here, once: the commands get
/// the instance, the REPL and the stop plan it resolves to.
pub fn dispatch(cli: Cli) -> Result<Code> {
    let command = cli.command.name();
    let resolve = |instance, repl, stop| Context::new(command, instance, repl, stop);
    match cli.command {
        Command::Start {
            name,
            start,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), None)?;
            start::run(&ctx, &ctx.instance(name.as_deref())?, &start)
        }
        Command::Stop {
            name,
            stop,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), Some(&stop))?;
            stop::run(&ctx, &ctx.instance(name.as_deref())?)
        }
        Command::Restart {
            name,
            start,
            stop,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), Some(&stop))?;
            restart::run(&ctx, &ctx.instance(name.as_deref())?, &start)
        }
        Command::Status {
            name,
            json,
            pretty,
            lines,
            timeout,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), None)?;
            let instance = ctx.instance(name.as_deref())?;
            let report = status::Format {
                json: json.then_some(pretty),
                lines,
            };
            status::run(&instance, &ctx.repl(Some(&instance))?, timeout, report)
        }
        Command::Eval {
            name,
            expr,
            raw,
            timeout,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), None)?;
            // One argument is the expression.
            let (name, expr) = match expr {
                Some(expr) => (name, Some(expr)),
                None => (None, name),
            };
            let repl = ctx.eval_repl(name.as_deref())?;
            eval::run(&repl, timeout, expr.as_deref(), raw)
        }
        Command::Pid { name, instance } => {
            let ctx = resolve(&instance, None, None)?;
            pid::run(&ctx.instance(name.as_deref())?)
        }
        Command::Run {
            name,
            start_timeout,
            stop,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), Some(&stop))?;
            run::run(&ctx, &ctx.instance(name.as_deref())?, start_timeout)
        }
        Command::Unit {
            name,
            user,
            start_timeout,
            stop,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), Some(&stop))?;
            let instance = ctx.instance(name.as_deref())?;
            unit::run(&ctx, &instance, user.as_deref(), start_timeout)
        }
        Command::Ps { json, pretty, vm } => ps::run(
            crate::context::given_vm(&vm)?.as_deref(),
            json.then_some(pretty),
        ),
        Command::Completions { shell } => completions::run(shell),
        Command::GenerateDocs { dir } => generate_docs::run(&dir),
    }
}
