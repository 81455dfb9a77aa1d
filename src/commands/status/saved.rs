//! What status tells about the image file's saves: when it was last written, and the
//! instance's backups in `backups/` beside it, or in `--backup-dir` (see `pharo-ctl snapshot`).

use crate::instance::Instance;
use crate::snapshot::{self, backup};
use serde_json::{Value, json};
use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

/// When the image file was last written, and its size.
fn image_file(instance: &Instance) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(&instance.image).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The instance's backups in `dir` (relative to the image's directory; default `backups/`),
/// oldest first.
fn backups(instance: &Instance, dir: Option<&Path>) -> (std::path::PathBuf, Vec<backup::Backup>) {
    let dir = snapshot::backup_dir(instance, dir);
    let list = backup::list(&dir, &instance.name).unwrap_or_default();
    (dir, list)
}

/// Adds `image_saved_at` and `backups` to a status object.
pub fn add_json(object: &mut Value, instance: &Instance, backup_dir: Option<&Path>) {
    let (dir, list) = backups(instance, backup_dir);
    object["image_saved_at"] = json!(image_file(instance).map(|(at, _)| super::rfc3339(at)));
    object["backups"] = json!({
        "dir": dir,
        "count": list.len(),
        "newest": list.last().map(|b| json!({
            "file": b.image,
            "taken_at": super::rfc3339(b.taken),
            "size_bytes": b.size,
        })),
    });
}

/// The `Image` and `Backups` lines of the human report.
pub fn write_lines(
    out: &mut impl Write,
    instance: &Instance,
    backup_dir: Option<&Path>,
) -> std::io::Result<()> {
    if let Some((at, size)) = image_file(instance) {
        let ago = SystemTime::now()
            .duration_since(at)
            .map(|d| format!(" ({} ago)", crate::duration::human(d)))
            .unwrap_or_default();
        writeln!(
            out,
            "{:>10}: written {}{ago}, {}",
            "Image",
            super::rfc3339(at),
            snapshot::megabytes(size)
        )?;
    }
    let (dir, list) = backups(instance, backup_dir);
    let folder = instance.image.parent().unwrap_or(Path::new("/"));
    match list.last() {
        Some(newest) => writeln!(
            out,
            "{:>10}: {} in {}; newest {} ({})",
            "Backups",
            list.len(),
            dir.display(),
            newest
                .image
                .strip_prefix(folder)
                .unwrap_or(&newest.image)
                .display(),
            super::rfc3339(newest.taken)
        ),
        None => writeln!(out, "{:>10}: none in {}", "Backups", dir.display()),
    }
}
