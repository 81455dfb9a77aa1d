//! One module per command, dispatched from the [`Command`] enum.

mod completions;
mod eval;
mod generate_docs;
mod pid;
mod ps;
mod restart;
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
    // The command line is resolved here, once; the commands get what it resolves to.
    let command = cli.command.name();
    let resolve = || Context::new(command, &cli.instance, &cli.repl, &cli.timing);
    let instance = |ctx: &Context, name: Option<String>| ctx.instance(name.as_deref());
    match cli.command {
        Command::Start { name, start } => {
            let ctx = resolve()?;
            start::run(&ctx, &instance(&ctx, name)?, &start)
        }
        Command::Stop { name } => {
            let ctx = resolve()?;
            stop::run(&ctx, &instance(&ctx, name)?)
        }
        Command::Restart { name, start } => {
            let ctx = resolve()?;
            restart::run(&ctx, &instance(&ctx, name)?, &start)
        }
        Command::Status {
            name,
            json,
            pretty,
            lines,
        } => {
            let ctx = resolve()?;
            status::run(&ctx, &instance(&ctx, name)?, json.then_some(pretty), lines)
        }
        Command::Eval { name, expr, raw } => {
            let ctx = resolve()?;
            // One argument is the expression.
            let (name, expr) = match expr {
                Some(expr) => (name, Some(expr)),
                None => (None, name),
            };
            let repl = ctx.eval_repl(name.as_deref())?;
            eval::run(&repl, ctx.timeout, expr.as_deref(), raw)
        }
        Command::Pid { name } => {
            let ctx = resolve()?;
            pid::run(&instance(&ctx, name)?)
        }
        Command::Run {
            name,
            start_timeout,
        } => {
            let ctx = resolve()?;
            run::run(&ctx, &instance(&ctx, name)?, start_timeout)
        }
        Command::Unit {
            name,
            user,
            start_timeout,
        } => {
            let ctx = resolve()?;
            unit::run(&ctx, &instance(&ctx, name)?, user.as_deref(), start_timeout)
        }
        Command::Ps { json, pretty } => ps::run(json.then_some(pretty)),
        Command::Completions { shell } => completions::run(shell),
        Command::GenerateDocs { dir } => generate_docs::run(&dir),
    }
}
