//! `pharo-ctl restore`: a backup put back in place while the instance is stopped (the image
//! it replaces becomes a backup first), and `--list`, the instance's backups.

use crate::context::Context;
use crate::error::{Fail, fail, reason};
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::finder::{self, Found};
use crate::output;
use crate::snapshot::{self, backup};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// What to do with the backups.
pub enum Action<'a> {
    List,
    /// Put back this one (a file name in the backup directory, or a path), else the newest.
    Restore(Option<&'a str>),
}

pub fn run(
    ctx: &Context,
    instance: &Instance,
    action: Action<'_>,
    backup_dir: Option<&Path>,
    json: bool,
) -> Result<Code> {
    let name = &instance.name;
    let dir = snapshot::backup_dir(instance, backup_dir);
    let backups = backup::list(&dir, name).map_err(|e| {
        Fail::new(
            Code::Failure,
            format!(
                "cannot list the backups in {}: {}",
                dir.display(),
                reason(&e)
            ),
        )
    })?;
    let chosen = match action {
        Action::List => return list(instance, &dir, &backups, json),
        Action::Restore(given) => choose(ctx, &dir, name, &backups, given)?,
    };
    if let Found::Running { tree, .. } = finder::find(instance)? {
        return fail(
            Code::Failure,
            format!(
                "{name} is running (pid {}): stop it first (`pharo-ctl stop {name}`, or `pharo-ctl stop --save {name}` to keep its state as a backup), then restore",
                tree.pid()
            ),
        );
    }
    let image = &instance.image;
    let _lock = match image.exists() {
        true => Some(super::snapshot::lock(instance)?),
        false => None,
    };
    let replaced = if image.exists() {
        let (taken, method) = backup::take(
            image,
            snapshot::changes_of(image).as_deref(),
            &dir,
            name,
            SystemTime::now(),
        )
        .map_err(|e| {
            Fail::new(
                Code::Failure,
                format!(
                    "{name}: cannot back up the current image into {} before the restore: {}; nothing was restored",
                    dir.display(),
                    reason(&e)
                ),
            )
        })?;
        output::step(format!(
            "{name}: backed up the current image to {} ({})",
            taken.image.display(),
            method.as_str()
        ));
        Some(taken)
    } else {
        None
    };
    let put = backup::put_back(&chosen.image, image).and_then(|_| match &chosen.changes {
        Some(changes) => backup::put_back(changes, &image.with_extension("changes")).map(drop),
        None => Ok(()),
    });
    if let Err(e) = put {
        return fail(
            Code::Failure,
            format!(
                "{name}: cannot put {} in place: {}; {} is as it was",
                chosen.image.display(),
                reason(&e),
                image.display()
            ),
        );
    }
    if json {
        output::json(
            &serde_json::json!({
                "name": name,
                "image": image,
                "restored_from": chosen.image,
                "size_bytes": chosen.size,
                "replaced": replaced.as_ref().map(|taken| &taken.image),
            }),
            false,
        )?;
        return Ok(Code::Success);
    }
    let folder = image.parent().unwrap_or(Path::new("/"));
    let short = |p: &Path| p.strip_prefix(folder).unwrap_or(p).display().to_string();
    output::step(format!(
        "{name} restored from {} ({}): {}{}",
        short(&chosen.image),
        snapshot::megabytes(chosen.size),
        image.display(),
        match &replaced {
            Some(taken) => format!("; the image it replaced is {}", short(&taken.image)),
            None => String::new(),
        }
    ));
    Ok(Code::Success)
}

/// The backup to put back: the one named (a file of the backup directory, or a path), else
/// the newest.
fn choose(
    ctx: &Context,
    dir: &Path,
    name: &str,
    backups: &[backup::Backup],
    given: Option<&str>,
) -> Result<backup::Backup> {
    let Some(given) = given else {
        return match backups.last() {
            Some(newest) => Ok(newest.clone()),
            None => fail(
                Code::Failure,
                format!(
                    "there is no backup of {name} in {}: `pharo-ctl snapshot {name}` takes one (or pass --backup-dir)",
                    dir.display()
                ),
            ),
        };
    };
    let in_dir = dir.join(given);
    let path = if !given.contains('/') && in_dir.is_file() {
        in_dir
    } else {
        crate::instance::normalise(&ctx.dir.join(given))
    };
    if let Some(known) = backups.iter().find(|b| b.image == path) {
        return Ok(known.clone());
    }
    let meta = std::fs::metadata(&path).map_err(|e| {
        Fail::new(
            Code::Usage,
            format!(
                "no backup '{given}' ({}: {}): see `pharo-ctl restore --list {name}`",
                path.display(),
                reason(&e)
            ),
        )
    })?;
    let head = read_head(&path);
    if !meta.is_file() || snapshot::format::check(&head) == snapshot::format::Verdict::NotAnImage {
        return fail(
            Code::Usage,
            format!(
                "'{given}' ({}) is not an image: see `pharo-ctl restore --list {name}`",
                path.display()
            ),
        );
    }
    Ok(backup::Backup {
        changes: Some(path.with_extension("changes")).filter(|c| c.is_file()),
        image: path,
        taken: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        rank: 1,
        size: meta.len(),
    })
}

fn read_head(path: &PathBuf) -> Vec<u8> {
    use std::io::Read;
    let mut head = Vec::new();
    if let Ok(file) = std::fs::File::open(path) {
        let _ = file
            .take(snapshot::format::HEAD_LEN as u64)
            .read_to_end(&mut head);
    }
    head
}

/// `--list`: one line per backup, oldest first: its time, size and file; or, with `json`, an
/// array of them.
fn list(instance: &Instance, dir: &Path, backups: &[backup::Backup], json: bool) -> Result<Code> {
    let name = &instance.name;
    let folder = instance.image.parent().unwrap_or(Path::new("/"));
    if json {
        let rows: Vec<serde_json::Value> = backups
            .iter()
            .map(|b| {
                serde_json::json!({
                    "file": b.image.strip_prefix(folder).unwrap_or(&b.image),
                    "image": b.image,
                    "changes": b.changes,
                    "taken_at": humantime::format_rfc3339_seconds(b.taken).to_string(),
                    "size_bytes": b.size,
                })
            })
            .collect();
        output::json(&rows, false)?;
        return Ok(Code::Success);
    }
    if backups.is_empty() {
        output::step(format!("no backups of {name} in {}", dir.display()));
        return Ok(Code::Success);
    }
    let mut out = String::from("TAKEN                 SIZE        FILE\n");
    for b in backups {
        out.push_str(&format!(
            "{:<21} {:<11} {}\n",
            humantime::format_rfc3339_seconds(b.taken),
            snapshot::megabytes(b.size),
            b.image.strip_prefix(folder).unwrap_or(&b.image).display()
        ));
    }
    std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes())?;
    Ok(Code::Success)
}
