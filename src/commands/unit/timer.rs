//! `pharo-ctl unit NAME --snapshot-every INTERVAL`: a systemd timer that saves the image every
//! INTERVAL, and the one-shot service it starts (`pharo-ctl snapshot NAME`), printed one after
//! the other, each after a `### FILE` line that the install line's awk splits on.

use super::user;
use crate::cli::SaveArgs;
use crate::cli::save::DEFAULT_KEEP;
use crate::context::Context;
use crate::duration;
use crate::instance::Instance;
use crate::run::unit::{escape, path, quote};
use anyhow::Result;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// The first of the snapshot's options (`save`) given on the command line, by name: they are
/// for the timer's service alone.
pub fn save_option_given(save: &SaveArgs) -> Option<&'static str> {
    if save.backup_dir.is_some() {
        Some("--backup-dir")
    } else if save.keep != DEFAULT_KEEP {
        Some("--keep")
    } else if save.no_backup {
        Some("--no-backup")
    } else {
        None
    }
}

/// The two units, as one text; the service's snapshot takes the options of `save`.
pub fn units(
    ctx: &Context,
    instance: &Instance,
    user: Option<&str>,
    every: Duration,
    save: &SaveArgs,
) -> Result<String> {
    instance.check_files()?;
    let secret = ctx
        .repl(Some(instance))?
        .credentials()
        .map(|c| c.file().to_path_buf());
    // The service runs as the image's own service does: the snapshot reads the REPL's secret
    // and writes the backups beside the image (and, when a save fails, the image back).
    let folder = instance.image.parent().unwrap_or(&instance.dir);
    let needs = user::Needs {
        owned: instance.image.clone(),
        writes: vec![
            folder.to_path_buf(),
            crate::snapshot::backup_dir(instance, save.backup_dir.as_deref()),
        ],
    };
    let user = user::service_user(user, &needs)?;
    if let Some(secret) = &secret {
        super::check_secret_owner(secret, user.as_deref());
    }
    let name = &instance.name;
    let unit = format!("pharo-{}-snapshot", escape(name));
    let interval = duration::exact(every);
    let vm = instance.vm().ok().map(Path::to_path_buf);
    let mut args = super::invocation(ctx, instance.dir.clone(), vm)?.words();
    args.push("snapshot".into());
    if let Some(dir) = &save.backup_dir {
        args.extend(["--backup-dir".into(), path(dir)]);
    }
    if save.keep != DEFAULT_KEEP {
        args.extend(["--keep".into(), save.keep.to_string()]);
    }
    if save.no_backup {
        args.push("--no-backup".into());
    }
    args.push(name.clone());
    let exec_start: Vec<String> = args.iter().map(|a| quote(a)).collect();

    let mut text = String::new();
    let w = &mut text;
    writeln!(
        w,
        "# Saves the Pharo image {name} every {interval}: {unit}.timer starts {unit}.service,"
    )?;
    writeln!(
        w,
        "# which runs `pharo-ctl snapshot` (a backup, the save, its check; man pharo-ctl-snapshot)."
    )?;
    writeln!(
        w,
        "# Install: pharo-ctl unit {name} --snapshot-every {interval} | awk '/^### /{{f=\"/etc/systemd/system/\"$2; next}} f{{print > f}}'"
    )?;
    writeln!(
        w,
        "#          systemctl daemon-reload && systemctl enable --now {unit}.timer"
    )?;
    writeln!(w, "### {unit}.timer")?;
    writeln!(w, "[Unit]")?;
    writeln!(
        w,
        "Description=Save the Pharo image {} every {interval}",
        escape(name)
    )?;
    writeln!(w)?;
    writeln!(w, "[Timer]")?;
    writeln!(w, "OnBootSec={interval}")?;
    writeln!(w, "OnUnitActiveSec={interval}")?;
    writeln!(w, "AccuracySec=1s")?;
    writeln!(w)?;
    writeln!(w, "[Install]")?;
    writeln!(w, "WantedBy=timers.target")?;
    writeln!(w, "### {unit}.service")?;
    writeln!(w, "[Unit]")?;
    writeln!(w, "Description=Save the Pharo image {}", escape(name))?;
    writeln!(w)?;
    writeln!(w, "[Service]")?;
    writeln!(w, "Type=oneshot")?;
    writeln!(w, "ExecStart={}", exec_start.join(" "))?;
    writeln!(w, "WorkingDirectory={}", escape(&path(&instance.dir)))?;
    if let Some(user) = &user {
        writeln!(w, "User={}", escape(user))?;
    }
    writeln!(
        w,
        "# An image that is not running has nothing to save (exit 3)."
    )?;
    writeln!(w, "SuccessExitStatus=3")?;
    Ok(text)
}
