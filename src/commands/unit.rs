//! `pharo-ctl unit`: print a systemd unit that runs the image with `pharo-ctl run`, ready for
//! `systemctl enable`: `Type=notify`, `KillMode=mixed`, absolute paths, the options in effect
//! written out on `ExecStart=` (so the service does not depend on the caller's environment),
//! and stop and start timeouts above pharo-ctl's own, so that systemd's SIGKILL never
//! pre-empts the cooperative shutdown. `--template` prints `pharo@.service` instead, whose
//! instance name (`%i`) is the NAME, so that one unit file runs every image of a directory.
//! The service restarts whatever ended it but `systemctl stop` (`Restart=always`), and runs
//! as a user who can write the instance's files ([`user`]). `--snapshot-every` prints a timer
//! that saves the image instead ([`timer`]).

pub mod timer;
mod user;

use crate::cli::{DEFAULT_SHUTDOWN, WatchdogArgs};
use crate::context::Context;
use crate::exit_code::Code;
use crate::instance::{self, Instance};
use crate::run::unit::{INSTANCE, Invocation, Service};
use crate::run::watchdog::Config;
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the unit is for.
pub enum For<'a> {
    /// One instance.
    Instance(&'a Instance),
    /// Every instance of the directory: the template `pharo@.service`.
    Template,
}

pub fn run(
    ctx: &Context,
    target: For<'_>,
    user: Option<&str>,
    start_timeout: Duration,
    watchdog: WatchdogArgs,
) -> Result<Code> {
    // The directory and the VM; the NAME as ExecStart= and Description= write it; the
    // comments at the top.
    let (dir, vm, exec_name, name, comments, needs, secret) = match target {
        For::Instance(instance) => {
            instance.check_files()?;
            let vm = instance.vm()?.to_path_buf();
            let secret = ctx
                .repl(Some(instance))?
                .credentials()
                .map(|c| c.file().to_path_buf());
            let needs = user::Needs {
                owned: instance.image.clone(),
                writes: [&instance.pid_file, &instance.log_file]
                    .into_iter()
                    .flat_map(|file| [file.parent().map(Path::to_path_buf), Some(file.clone())])
                    .flatten()
                    .collect(),
            };
            let name = &instance.name;
            let comments = [
                format!("The Pharo image {name}, run by pharo-ctl."),
                format!(
                    "Install: pharo-ctl unit {name} > /etc/systemd/system/pharo-{name}.service"
                ),
                format!("         systemctl daemon-reload && systemctl enable --now pharo-{name}"),
            ];
            (
                instance.dir.clone(),
                vm,
                name.to_string(),
                name.to_string(),
                comments,
                needs,
                secret,
            )
        }
        For::Template => {
            // Each instance's files are found when it starts; the directory and the VM are
            // the template's.
            crate::commands::fleet::refuse_one_instance_options(ctx)?;
            ctx.all_names()?;
            let vm = instance::find_vm(ctx.vm.as_deref(), &ctx.dir)?;
            let secret = ctx
                .repl(None)?
                .credentials()
                .map(|c| c.file().to_path_buf());
            let comments = [
                format!(
                    "The Pharo images of {}, run by pharo-ctl: pharo@NAME runs NAME.image.",
                    ctx.dir.display()
                ),
                "Install: pharo-ctl unit --template > /etc/systemd/system/pharo@.service".into(),
                "         systemctl daemon-reload && systemctl enable --now pharo@NAME1 pharo@NAME2"
                    .into(),
            ];
            let name = INSTANCE.to_string();
            let needs = user::Needs {
                owned: ctx.dir.clone(),
                writes: vec![ctx.dir.clone()],
            };
            (
                ctx.dir.clone(),
                vm,
                name.clone(),
                name,
                comments,
                needs,
                secret,
            )
        }
    };
    let user = user::service_user(user, &needs)?;
    if let Some(secret) = &secret {
        check_secret_owner(secret, user.as_deref());
    }
    let service = Service {
        comments: comments.to_vec(),
        name,
        invocation: invocation(ctx, dir, Some(vm))?,
        shutdown: (ctx.stop.shutdown != DEFAULT_SHUTDOWN).then(|| ctx.stop.shutdown.clone()),
        grace: ctx.stop.grace,
        kill_after: ctx.stop.kill_after,
        exec_name,
        start_timeout,
        watchdog: watchdog.watchdog.map(|interval| Config {
            interval,
            misses: watchdog.watchdog_misses,
        }),
        user,
    };
    let unit = service.render();
    std::io::Write::write_all(&mut std::io::stdout().lock(), unit.as_bytes())?;
    Ok(Code::Success)
}

/// This pharo-ctl (where it is installed) with the options of `ctx` that name the instance
/// and its REPL, acting in `dir` with `vm`: what a unit's `ExecStart=` says before the command.
fn invocation(ctx: &Context, dir: PathBuf, vm: Option<PathBuf>) -> Result<Invocation> {
    let exe = std::env::current_exe().context("cannot tell where pharo-ctl is installed")?;
    let given = &ctx.overrides;
    Ok(Invocation {
        exe: exe.canonicalize().unwrap_or(exe),
        dir,
        image: given.image.clone(),
        script: given.script.clone(),
        pid_file: given.pid_file.clone(),
        vm,
        vm_args: ctx.vm_args.clone(),
        repl_url: ctx.repl_url.clone(),
        allow_remote: ctx.allow_remote,
        repl_secret: ctx.repl_secret.clone(),
    })
}

/// Warns when the REPL's secret belongs to another user than the one the service runs as
/// (`user`, else root), who then could not read it: `run` would fail with exit 4.
fn check_secret_owner(secret: &Path, user: Option<&str>) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = secret.metadata() else {
        return;
    };
    let Some(user) = user else {
        return;
    };
    let runs_as = nix::unistd::User::from_name(user).ok().flatten();
    if runs_as
        .as_ref()
        .is_some_and(|u| u.uid.as_raw() == meta.uid() || u.uid.is_root())
    {
        return;
    }
    let owner = nix::unistd::User::from_uid(meta.uid().into())
        .ok()
        .flatten()
        .map_or(meta.uid().to_string(), |u| u.name);
    crate::output::warn(format!(
        "the REPL secret {} is {owner}'s, and only its owner may read it, but the unit runs as {user}: chown {user} {}",
        secret.display(),
        secret.display()
    ));
}
