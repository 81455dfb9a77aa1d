//! The check of a saved image file: rewritten since the request (another inode, size or
//! modification time), complete (its size and time stable over a short interval, and at
//! least as long as its header says), and an image (its format word, [`super::format`]).

use super::format::{self, Verdict};
use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the file's size and time must stay the same to count as written.
const STABLE_FOR: Duration = Duration::from_millis(20);
/// How long a file still being written may take to settle.
const SETTLE_WITHIN: Duration = Duration::from_secs(5);

/// The image file as it was before the save.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Before {
    ino: u64,
    size: u64,
    mtime: (i64, i64),
}

impl Before {
    pub fn of(path: &Path) -> std::io::Result<Before> {
        let meta = fs::metadata(path)?;
        Ok(Before {
            ino: meta.ino(),
            size: meta.len(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
        })
    }

    /// Whether the file is, by its metadata, the one it was.
    pub fn unchanged(&self, path: &Path) -> bool {
        Before::of(path).is_ok_and(|now| now == *self)
    }
}

/// Checks the saved file; answers its size, or why it is not a saved image.
pub fn check(path: &Path, before: &Before) -> Result<u64, String> {
    let mut now = Before::of(path).map_err(|e| format!("the image file cannot be read: {e}"))?;
    if now == *before {
        return Err("the image file was not rewritten".into());
    }
    let deadline = Instant::now() + SETTLE_WITHIN;
    loop {
        std::thread::sleep(STABLE_FOR);
        let later = Before::of(path).map_err(|e| format!("the image file cannot be read: {e}"))?;
        if later == now {
            break;
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the image file is still being written {} after the answer",
                crate::duration::human(SETTLE_WITHIN)
            ));
        }
        now = later;
    }
    if now.size == 0 {
        return Err("the image file is empty".into());
    }
    let mut head = Vec::with_capacity(format::HEAD_LEN);
    File::open(path)
        .and_then(|f| f.take(format::HEAD_LEN as u64).read_to_end(&mut head))
        .map_err(|e| format!("the image file cannot be read: {e}"))?;
    match format::check(&head) {
        Verdict::NotAnImage => Err(format!(
            "the image file ({} bytes) does not start with an image format word: it is not an image",
            now.size
        )),
        Verdict::Image {
            expected: Some(expected),
            ..
        } if now.size < expected => Err(format!(
            "the image file is short: {} bytes of the {expected} its header announces",
            now.size
        )),
        Verdict::Image { .. } => Ok(now.size),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(size: usize, announced: u64) -> Vec<u8> {
        let mut bytes = 68021u32.to_le_bytes().to_vec();
        bytes.extend(128u32.to_le_bytes());
        bytes.extend(announced.to_le_bytes());
        bytes.resize(size, 0);
        bytes
    }

    #[test]
    fn a_complete_rewritten_image_passes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zinc.image");
        fs::write(&path, b"old").unwrap();
        let before = Before::of(&path).unwrap();
        assert_eq!(
            check(&path, &before).unwrap_err(),
            "the image file was not rewritten"
        );
        fs::write(&path, image(1128, 1000)).unwrap();
        assert_eq!(check(&path, &before), Ok(1128));
    }

    #[test]
    fn empty_short_and_foreign_files_fail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zinc.image");
        fs::write(&path, image(1128, 1000)).unwrap();
        let before = Before::of(&path).unwrap();
        fs::write(&path, b"").unwrap();
        assert!(check(&path, &before).unwrap_err().contains("empty"));
        fs::write(&path, image(600, 1000)).unwrap();
        assert!(check(&path, &before).unwrap_err().contains("short"));
        fs::write(&path, b"<html>not found</html>").unwrap();
        assert!(check(&path, &before).unwrap_err().contains("not an image"));
    }
}
