//! Room for a save, checked before anything is written: the backup (a copy of the image and
//! its `.changes`, which a reflink shares only until the image is rewritten) and the new image
//! must both fit, each on the file system that receives it.

use crate::error::{Fail, fail};
use crate::exit_code::Code;
use crate::instance::Instance;
use anyhow::Result;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// What a save needs, and what the file systems have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Room {
    /// Bytes the image's file system must have free.
    pub image_needs: u64,
    pub image_has: u64,
    /// Bytes the backup directory's file system must have free, when it is another one.
    pub backup_needs: u64,
    pub backup_has: u64,
}

impl Room {
    /// Whether both file systems have enough.
    pub fn enough(&self) -> bool {
        self.image_has >= self.image_needs && self.backup_has >= self.backup_needs
    }
}

/// Bytes free to an unprivileged writer on the file system of `path`.
fn available(path: &Path) -> std::io::Result<u64> {
    let stat = nix::sys::statvfs::statvfs(path).map_err(std::io::Error::from)?;
    Ok(stat.blocks_available().saturating_mul(stat.fragment_size()))
}

/// The room a save of `image` (with `changes`, 0 when it has none) needs when the backup goes
/// to `backup_dir` (`None`: no backup), and what there is. The backup directory may not
/// exist yet: its nearest existing ancestor stands for it.
pub fn measure(
    image: &Path,
    image_bytes: u64,
    changes_bytes: u64,
    backup_dir: Option<&Path>,
) -> std::io::Result<Room> {
    let folder = image.parent().unwrap_or(Path::new("/"));
    let image_has = available(folder)?;
    let new_image = image_bytes;
    let Some(backup_dir) = backup_dir else {
        return Ok(Room {
            image_needs: new_image,
            image_has,
            backup_needs: 0,
            backup_has: 0,
        });
    };
    let backup = image_bytes.saturating_add(changes_bytes);
    let existing = backup_dir
        .ancestors()
        .find(|dir| dir.exists())
        .unwrap_or(Path::new("/"));
    let same = std::fs::metadata(existing)?.dev() == std::fs::metadata(folder)?.dev();
    Ok(if same {
        Room {
            image_needs: backup.saturating_add(new_image),
            image_has,
            backup_needs: 0,
            backup_has: 0,
        }
    } else {
        Room {
            image_needs: new_image,
            image_has,
            backup_needs: backup,
            backup_has: available(existing)?,
        }
    })
}

/// Refuses a save the file systems have no room for, before anything is written (exit 1).
pub fn check(
    instance: &Instance,
    image_bytes: u64,
    changes_bytes: u64,
    dir: Option<&Path>,
) -> Result<()> {
    let name = &instance.name;
    let room = measure(&instance.image, image_bytes, changes_bytes, dir).map_err(|e| {
        Fail::new(
            Code::Failure,
            format!(
                "{name}: cannot tell how much room its file systems have: {}; nothing was written",
                crate::error::reason(&e)
            ),
        )
    })?;
    if room.enough() {
        return Ok(());
    }
    let what = format!(
        "image {}, changes {}",
        super::megabytes(image_bytes),
        super::megabytes(changes_bytes)
    );
    let (needs, has, at) = if room.image_has < room.image_needs {
        (
            room.image_needs,
            room.image_has,
            instance.image.parent().unwrap_or(Path::new("/")),
        )
    } else {
        (
            room.backup_needs,
            room.backup_has,
            dir.unwrap_or(Path::new("/")),
        )
    };
    let need = if dir.is_some() {
        "the backup and the new image need"
    } else {
        "the new image needs"
    };
    fail(
        Code::Failure,
        format!(
            "{name}: not enough room to save: {need} {} on the file system of {}, which has {} free ({what}); nothing was written: free some space, or pass --backup-dir on another file system",
            super::megabytes(needs),
            at.display(),
            super::megabytes(has)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_on_the_image_s_file_system_needs_two_images_and_the_changes() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("zinc.image");
        let room = measure(&image, 100, 10, Some(&dir.path().join("backups/deep"))).unwrap();
        assert_eq!((room.image_needs, room.backup_needs), (210, 0));
        assert!(room.enough());
        let bare = measure(&image, 100, 10, None).unwrap();
        assert_eq!(bare.image_needs, 100);
        let huge = measure(&image, u64::MAX / 2, 0, Some(dir.path())).unwrap();
        assert!(!huge.enough());
    }
}
