//! One module per command, dispatched from the [`Command`] enum.

mod completions;
mod console;
mod dump;
mod eval;
mod fleet;
mod generate_docs;
mod init;
mod logs;
mod pid;
mod ps;
mod restart;
mod restore;
mod run;
mod snapshot;
mod start;
mod status;
mod stop;
mod unit;

use crate::cli::{Cli, Command};
use crate::commands::fleet::Targets;
use crate::context::Context;
use crate::error::fail;
use crate::exit_code::Code;
use anyhow::Result;

/// Starts one instance with the REPL and stop settings the command line resolves to.
fn start_one(
    ctx: &Context,
    instance: &crate::instance::Instance,
    readiness: &crate::start::Readiness,
) -> Result<Code> {
    crate::start::start(instance, &ctx.repl(Some(instance))?, &ctx.stop, readiness)
}

/// Stops one instance with the REPL and stop settings the command line resolves to; the REPL
/// URL is checked before anything is found or signalled.
fn stop_one(ctx: &Context, instance: &crate::instance::Instance) -> Result<()> {
    crate::stop::one::stop_instance(instance, &ctx.repl(Some(instance))?, &ctx.stop)
}

/// Runs the command of a parsed command line, which is resolved here, once: the commands get
/// the instance, the REPL and the stop plan it resolves to.
pub fn dispatch(cli: Cli) -> Result<Code> {
    let command = cli.command.name();
    let resolve = |instance, repl, stop| Context::new(command, instance, repl, stop);
    match cli.command {
        Command::Start {
            names,
            parallel,
            start,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), None)?;
            start::run(
                &ctx,
                Targets::select(&ctx, &names, false)?,
                parallel,
                &start.readiness(),
            )
        }
        Command::Stop {
            names,
            save,
            save_timeout,
            save_args,
            stop,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), Some(&stop))?;
            let options = save.then(|| snapshot::options(&save_args, save_timeout));
            stop::run(
                &ctx,
                Targets::select(&ctx, &names, false)?,
                options.as_ref(),
            )
        }
        Command::Snapshot {
            names,
            timeout,
            json,
            save,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), None)?;
            let targets = Targets::select(&ctx, &names, false)?;
            snapshot::run(&ctx, targets, &snapshot::options(&save, timeout), json)
        }
        Command::Restore {
            name,
            backup,
            list,
            backup_dir,
            json,
            instance,
        } => {
            let ctx = resolve(&instance, None, None)?;
            let action = match list {
                true => restore::Action::List,
                false => restore::Action::Restore(backup.as_deref()),
            };
            restore::run(
                &ctx,
                &ctx.instance_files(&name)?,
                action,
                backup_dir.as_deref(),
                json,
            )
        }
        Command::Restart {
            names,
            rolling,
            pause,
            parallel,
            start,
            stop,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), Some(&stop))?;
            let mode = restart::Mode {
                rolling,
                pause: pause.unwrap_or_default(),
                parallel,
            };
            restart::run(
                &ctx,
                Targets::select(&ctx, &names, false)?,
                &mode,
                &start.readiness(),
            )
        }
        Command::Status {
            names,
            json,
            pretty,
            probe,
            lines,
            timeout,
            backup_dir,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), None)?;
            let view = match (probe, json) {
                (true, _) => status::View::Probe,
                (_, true) => status::View::Json { pretty },
                _ => status::View::Human { lines },
            };
            match Targets::select(&ctx, &names, true)? {
                Targets::One(instance) => {
                    let repl = ctx.repl(Some(&instance))?;
                    status::run(&instance, &repl, timeout, view, backup_dir.as_deref())
                }
                Targets::Several(instances) => {
                    status::overview::run(&ctx, &instances, timeout, view, backup_dir.as_deref())
                }
            }
        }
        Command::Console {
            name,
            timeout,
            instance,
            repl,
        } => {
            let ctx = resolve(&instance, Some(&repl), None)?;
            console::run(&ctx, name.as_deref(), timeout)
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
        Command::Dump {
            name,
            json,
            timeout,
            instance,
        } => {
            let ctx = resolve(&instance, None, None)?;
            dump::run(&ctx.instance(name.as_deref())?, json, timeout)
        }
        Command::Logs {
            name,
            lines,
            follow,
            until_exit,
            since,
            instance,
        } => {
            let ctx = resolve(&instance, None, None)?;
            let selection = logs::Selection {
                lines,
                follow,
                until_exit,
                since,
            };
            logs::run(&ctx.instance(name.as_deref())?, selection)
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
            watchdog,
        } => {
            let ctx = resolve(&instance, Some(&repl), Some(&stop))?;
            run::run(
                &ctx,
                &ctx.instance(name.as_deref())?,
                start_timeout,
                watchdog,
            )
        }
        Command::Unit {
            name,
            template,
            user,
            start_timeout,
            stop,
            instance,
            repl,
            watchdog,
            snapshot_every,
            save,
        } => {
            let ctx = resolve(&instance, Some(&repl), Some(&stop))?;
            if let Some(every) = snapshot_every {
                let instance = ctx.instance(name.as_deref())?;
                let text = unit::timer::units(&ctx, &instance, user.as_deref(), every, &save)?;
                std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes())?;
                return Ok(Code::Success);
            }
            if let Some(option) = unit::timer::save_option_given(&save) {
                return fail(
                    Code::Usage,
                    format!(
                        "{option} is the snapshot timer's: add --snapshot-every INTERVAL, or leave it out"
                    ),
                );
            }
            let instance;
            let target = if template {
                unit::For::Template
            } else {
                instance = ctx.instance(name.as_deref())?;
                unit::For::Instance(&instance)
            };
            unit::run(&ctx, target, user.as_deref(), start_timeout, watchdog)
        }
        Command::Ps { json, pretty, vm } => ps::run(
            crate::context::given_vm(&vm)?.as_deref(),
            json.then_some(pretty),
        ),
        Command::Init {
            name,
            image,
            link,
            repl_port,
            user,
            print,
            dir,
        } => {
            let files = crate::cli::InstanceArgs {
                at: crate::cli::VmArgs { dir, vm: None },
                ..Default::default()
            };
            let ctx = resolve(&files, None, None)?;
            let request = init::Request {
                name: name.as_deref(),
                image: image.map(|p| crate::instance::normalise(&ctx.dir.join(p))),
                link,
                repl_port,
                user: user.as_deref(),
                print,
            };
            init::run(&ctx, &request)
        }
        Command::Completions { shell } => completions::run(shell),
        Command::GenerateDocs { dir } => generate_docs::run(&dir),
    }
}
