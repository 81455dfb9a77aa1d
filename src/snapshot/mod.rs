//! Saving a running image safely (`snapshot`, `stop --save`) and its backups (`restore`).
//!
//! A save is `Smalltalk snapshot: true andQuit: false` sent to the instance's own REPL: the VM
//! truncates the image file and writes it in place, so a save cut short leaves a short file
//! that is often the only copy. Hence, in order: room on the file systems ([`room`]) before
//! anything is written; a backup of the image and its `.changes` ([`backup`]: reflink, else
//! copy, never a hard link); the save, whose every request goes through [`save_request`]; the
//! check of the new file ([`verify`], with the format words of [`format`]); and on any failure
//! the backup put back byte for byte, so the image file is never left worse than before.

pub mod backup;
pub mod format;
pub mod room;
pub mod verify;

use crate::error::{Fail, fail};
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::output;
use crate::process::tree::Tree;
use crate::repl::{self, Repl, ReplError};
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What saves the running image; the running image answers `false`.
pub const SAVE_EXPRESSION: &str = "Smalltalk snapshot: true andQuit: false";
/// How long the REPL may take to answer the probe before the save: the save's timeout, but no
/// less than a readiness probe's (a busy machine) and no more than half a minute (a hung
/// image has nothing to save).
const PROBE_TIMEOUT: (Duration, Duration) = (Repl::PROBE_TIMEOUT, Duration::from_secs(30));
/// The backup directory's name under the instance's directory, by default.
pub const BACKUP_DIR: &str = "backups";

/// How to save.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where backups go (`--backup-dir`); `None`: `backups/` beside the image.
    pub backup_dir: Option<PathBuf>,
    /// How many backups of the instance to keep after a verified save.
    pub keep: usize,
    /// Whether to take a backup (`--no-backup` turns it off).
    pub backup: bool,
    /// How long the save may take.
    pub timeout: Duration,
}

/// A verified save.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Saved {
    pub name: String,
    pub image: PathBuf,
    pub size_bytes: u64,
    pub seconds: f64,
    /// Of those, the image's own save: from the request to its answer, while the image was
    /// busy writing itself; the rest is the probe, the room check, the backup and the check.
    pub save_seconds: f64,
    /// The backup taken before the save, if any.
    pub backup: Option<PathBuf>,
    pub backup_changes: Option<PathBuf>,
    pub backup_method: Option<backup::Method>,
    /// Older backups removed by `--keep`.
    pub removed: Vec<PathBuf>,
}

impl Saved {
    /// `zinc saved in 1.42s: /srv/zinc/zinc.image (62.1 MB); backup backups/zinc-….image`.
    pub fn describe(&self) -> String {
        let backup = match &self.backup {
            Some(path) => {
                let folder = self.image.parent().unwrap_or(Path::new("/"));
                format!(
                    "; backup {}",
                    path.strip_prefix(folder).unwrap_or(path).display()
                )
            }
            None => "; no backup".to_string(),
        };
        format!(
            "{} saved in {}: {} ({}){backup}",
            self.name,
            crate::duration::human(Duration::from_secs_f64(self.seconds)),
            self.image.display(),
            megabytes(self.size_bytes)
        )
    }
}

/// The backup directory of an instance: the one given (relative to the image's directory),
/// else `backups/` beside the image.
pub fn backup_dir(instance: &Instance, given: Option<&Path>) -> PathBuf {
    let folder = instance.image.parent().unwrap_or(Path::new("/"));
    crate::instance::normalise(&folder.join(given.unwrap_or(Path::new(BACKUP_DIR))))
}

/// The instance's `.changes` file, when it has one.
pub fn changes_of(image: &Path) -> Option<PathBuf> {
    Some(image.with_extension("changes")).filter(|c| c.is_file())
}

/// `62.1 MB`: decimal megabytes, as file sizes are quoted.
pub fn megabytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} MB", bytes as f64 / 1e6),
        _ => format!("{:.2} GB", bytes as f64 / 1e9),
    }
}

/// A request of a save to the instance's REPL.
#[derive(Debug, Clone, Copy)]
pub enum Request<'a> {
    /// `GET /repl`, which evaluates nothing: the REPL is the instance's, it answers, and it
    /// takes the credentials pharo-ctl has.
    Probe,
    /// `POST /repl` of an expression.
    Eval(&'a str),
}

/// Sends one request of a save to the instance's REPL, and answers its answer with how long
/// the exchange took (the identity check before it left out). Every request this module sends
/// goes through here: the REPL must be tied to the instance's process tree ([`Repl::owned`]),
/// which proves before each request that the listening socket is the tree's, so a REPL of
/// another image on the same port is never asked to save; it carries the instance's
/// credentials when it has a secret.
pub fn save_request(
    instance: &Instance,
    tree: &Tree,
    repl: &Repl,
    request: Request<'_>,
    timeout: Duration,
) -> Result<(Vec<u8>, Duration), ReplError> {
    if !repl.is_owned() {
        return Err(ReplError::Unverified(format!(
            "the REPL at {} is not tied to {}'s process tree",
            repl.url(),
            instance.name
        )));
    }
    match request {
        Request::Probe => repl.probe(timeout).map(|took| (Vec::new(), took)),
        Request::Eval(expression) => {
            output::detail(format!(
                "{}: POST {expression:?} to {} (VM pid {})",
                instance.name,
                repl.url(),
                tree.pid()
            ));
            repl.eval_timed(expression, timeout)
        }
    }
}

/// Saves the running image of `instance` (its VM's tree `tree`), safely: see the module.
pub fn save(instance: &Instance, tree: &Tree, repl: &Repl, options: &Options) -> Result<Saved> {
    let name = &instance.name;
    let image = &instance.image;
    let started = Instant::now();
    // Before anything is written, the REPL is proven the instance's, and to answer with the
    // credentials pharo-ctl has.
    let probe = options.timeout.clamp(PROBE_TIMEOUT.0, PROBE_TIMEOUT.1);
    if let Err(e) = save_request(instance, tree, repl, Request::Probe, probe) {
        let failure = e.failure(repl.url(), "raise --timeout");
        return fail(
            failure.code,
            format!("{name}: {}; nothing was saved", failure.message),
        );
    }
    let image_bytes = std::fs::metadata(image)
        .map_err(|e| {
            Fail::new(
                Code::NotConfigured,
                format!(
                    "{name}: cannot read the image {}: {}",
                    image.display(),
                    crate::error::reason(&e)
                ),
            )
        })?
        .len();
    let changes = changes_of(image);
    let changes_bytes = changes
        .as_deref()
        .and_then(|c| std::fs::metadata(c).ok())
        .map_or(0, |m| m.len());
    let dir = options
        .backup
        .then(|| backup_dir(instance, options.backup_dir.as_deref()));
    room::check(instance, image_bytes, changes_bytes, dir.as_deref())?;
    let taken = match &dir {
        Some(dir) => {
            let (taken, method) =
                backup::take(image, changes.as_deref(), dir, name, SystemTime::now()).map_err(
                    |e| {
                        Fail::new(
                            Code::Failure,
                            format!(
                                "{name}: cannot back up the image into {}: {}; nothing was saved",
                                dir.display(),
                                crate::error::reason(&e)
                            ),
                        )
                    },
                )?;
            output::step(format!(
                "{name}: backed up the image to {} ({})",
                taken.image.display(),
                method.as_str()
            ));
            Some((taken, method))
        }
        None => None,
    };
    let before = verify::Before::of(image).map_err(|e| {
        Fail::new(
            Code::Failure,
            format!(
                "{name}: cannot read the image {}: {}; nothing was saved",
                image.display(),
                crate::error::reason(&e)
            ),
        )
    })?;
    output::step(format!("{name}: saving the image"));
    let answer = save_request(
        instance,
        tree,
        repl,
        Request::Eval(SAVE_EXPRESSION),
        options.timeout,
    );
    let save_seconds = answer.as_ref().map_or(0.0, |(_, took)| took.as_secs_f64());
    let outcome = match answer {
        Err(e @ (ReplError::Unreachable(_) | ReplError::NotOwn(_) | ReplError::Unverified(_)))
            if before.unchanged(image) =>
        {
            // Nothing was sent: the image is as it was, and the backup is a duplicate.
            if let Some((taken, _)) = &taken {
                let _ = std::fs::remove_file(&taken.image);
                if let Some(changes) = &taken.changes {
                    let _ = std::fs::remove_file(changes);
                }
            }
            let failure = e.failure(repl.url(), "");
            return fail(failure.code, format!("{name}: {}", failure.message));
        }
        Err(e) => Err(match e {
            ReplError::Timeout(_) => format!(
                "{e}; the save may still be running in the image (raise --timeout for a large image)"
            ),
            other => format!("the REPL gave no answer: {other}"),
        }),
        Ok((body, _)) => {
            let text = String::from_utf8_lossy(&body);
            if repl::is_error_answer(&text) {
                Err(format!(
                    "the image answered an error: {}",
                    text.lines().next().unwrap_or("")
                ))
            } else {
                verify::check(image, &before, |dev, ino| {
                    verify::writes_to(tree.pid(), dev, ino)
                })
            }
        }
    };
    let size_bytes = match outcome {
        Ok(size) => size,
        Err(why) => return Err(failed(instance, &why, taken.as_ref().map(|t| &t.0))),
    };
    let removed = match &dir {
        Some(dir) => backup::prune(dir, name, options.keep).unwrap_or_else(|e| {
            output::warn(format!(
                "{name}: cannot remove the older backups in {}: {}",
                dir.display(),
                crate::error::reason(&e)
            ));
            Vec::new()
        }),
        None => Vec::new(),
    };
    for path in &removed {
        output::detail(format!("{name}: removed the old backup {}", path.display()));
    }
    if let Some(found) = repl.found_url() {
        output::detail(format!(
            "{name}: its REPL answered at {found}, the VM's own, not at {}",
            repl.url()
        ));
    }
    Ok(Saved {
        name: name.clone(),
        image: image.clone(),
        size_bytes,
        seconds: output::rounded(started.elapsed().as_secs_f64(), 6),
        save_seconds: output::rounded(save_seconds, 6),
        backup: taken.as_ref().map(|t| t.0.image.clone()),
        backup_changes: taken.as_ref().and_then(|t| t.0.changes.clone()),
        backup_method: taken.map(|t| t.1),
        removed,
    })
}

/// A failed save: the backup put back in place (byte for byte), and the error that says so.
fn failed(instance: &Instance, why: &str, taken: Option<&backup::Backup>) -> anyhow::Error {
    let name = &instance.name;
    let image = &instance.image;
    let Some(taken) = taken else {
        return Fail::new(
            Code::Failure,
            format!(
                "{name}: the save failed: {why}; no backup was taken (--no-backup): check {} before the instance restarts",
                image.display()
            ),
        )
        .into();
    };
    let put_back = backup::put_back(&taken.image, image).and_then(|put| {
        if let Some(changes) = &taken.changes {
            backup::put_back(changes, &image.with_extension("changes"))?;
        }
        Ok(put)
    });
    match put_back {
        Ok(put) => {
            let how = match put {
                backup::PutBack::Duplicated(_) => "put the backup",
                backup::PutBack::Moved => "no room for a copy: moved the backup",
            };
            output::step(format!(
                "{name}: {how} {} back in place: {} is as it was before the save",
                taken.image.display(),
                image.display()
            ));
            Fail::new(
                Code::Failure,
                format!(
                    "{name}: the save failed: {why}; the image file was restored from its backup and the image runs on"
                ),
            )
            .into()
        }
        Err(e) => Fail::new(
            Code::Failure,
            format!(
                "{name}: the save failed: {why}; and the backup could not be put back ({}): copy {} to {} before the instance restarts",
                crate::error::reason(&e),
                taken.image.display(),
                image.display()
            ),
        )
        .into(),
    }
}
