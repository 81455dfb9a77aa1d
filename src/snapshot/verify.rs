//! The check of a saved image file: rewritten since the request (another inode, size or
//! modification time), complete (the VM holds it open for writing no more, or else its size
//! and time stay the same over a short interval; and it is at least as long as its header
//! says), and an image (its format word, [`super::format`]).

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

/// Whether process `pid` holds the file `(dev, ino)` open for writing; `None` when its
/// descriptors cannot be read (another user's process).
pub fn writes_to(pid: i32, dev: u64, ino: u64) -> Option<bool> {
    let fds = fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    for fd in fds.flatten() {
        let Ok(meta) = fs::metadata(fd.path()) else {
            continue;
        };
        if meta.dev() != dev || meta.ino() != ino {
            continue;
        }
        let info =
            fs::read_to_string(format!("/proc/{pid}/fdinfo/{}", fd.file_name().to_str()?)).ok()?;
        let flags = info
            .lines()
            .find_map(|line| line.strip_prefix("flags:"))
            .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())?;
        if flags & libc::O_ACCMODE as u32 != libc::O_RDONLY as u32 {
            return Some(true);
        }
    }
    Some(false)
}

/// Checks the saved file; answers its size, or why it is not a saved image. `writer` says
/// whether the VM still holds the file `(dev, ino)` open for writing (`None`: it cannot be
/// told); while it may, the file counts as complete once it stays the same for a moment.
pub fn check(
    path: &Path,
    before: &Before,
    writer: impl Fn(u64, u64) -> Option<bool>,
) -> Result<u64, String> {
    let unreadable = |e: std::io::Error| format!("the image file cannot be read: {e}");
    let mut now = Before::of(path).map_err(unreadable)?;
    if now == *before {
        return Err("the image file was not rewritten".into());
    }
    let deadline = Instant::now() + SETTLE_WITHIN;
    loop {
        let meta = fs::metadata(path).map_err(unreadable)?;
        if writer(meta.dev(), meta.ino()) == Some(false) {
            // Nobody writes it any more: what is there is all there will be.
            now = Before::of(path).map_err(unreadable)?;
            break;
        }
        std::thread::sleep(STABLE_FOR);
        let later = Before::of(path).map_err(unreadable)?;
        if later == now && writer(meta.dev(), meta.ino()) != Some(true) {
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
        .map_err(unreadable)?;
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
            check(&path, &before, |_, _| None).unwrap_err(),
            "the image file was not rewritten"
        );
        fs::write(&path, image(1128, 1000)).unwrap();
        assert_eq!(check(&path, &before, |_, _| None), Ok(1128));
        assert_eq!(check(&path, &before, |_, _| Some(false)), Ok(1128));
        let me = std::process::id() as i32;
        assert_eq!(check(&path, &before, |d, i| writes_to(me, d, i)), Ok(1128));
    }

    #[test]
    fn empty_short_and_foreign_files_fail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zinc.image");
        fs::write(&path, image(1128, 1000)).unwrap();
        let before = Before::of(&path).unwrap();
        let nobody = |_, _| Some(false);
        fs::write(&path, b"").unwrap();
        assert!(check(&path, &before, nobody).unwrap_err().contains("empty"));
        fs::write(&path, image(600, 1000)).unwrap();
        assert!(check(&path, &before, nobody).unwrap_err().contains("short"));
        fs::write(&path, b"<html>not found</html>").unwrap();
        assert!(
            check(&path, &before, nobody)
                .unwrap_err()
                .contains("not an image")
        );
    }

    #[test]
    fn a_file_open_for_writing_is_seen_so() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zinc.image");
        let me = std::process::id() as i32;
        let file = fs::File::create(&path).unwrap();
        let meta = file.metadata().unwrap();
        assert_eq!(writes_to(me, meta.dev(), meta.ino()), Some(true));
        drop(file);
        let reader = fs::File::open(&path).unwrap();
        assert_eq!(writes_to(me, meta.dev(), meta.ino()), Some(false));
        drop(reader);
    }
}
