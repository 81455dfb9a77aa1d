//! An instance's log file: where its last lines begin, where the lines since a time begin, and
//! following it as the VM writes, across rotation.
//!
//! A VM keeps its log open and never reopens it, so the rotation that suits it is logrotate's
//! `copytruncate`: the file is copied and then truncated in place. A follower notices a file
//! that became shorter than what it read and reads it again from its start; it also follows a
//! log that was renamed and created anew under its name, once it has read the old one to its
//! end. Changes are noticed through inotify on the log's directory (which reports writes to,
//! creation and renaming of its files), with a slow poll as the fallback where inotify is not
//! available.

pub mod since;

use crate::output;
use crate::process::FileId;
use nix::poll::{PollFd, PollFlags};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// How often a follower looks at the file when nothing told it of a change: the safety net
/// with inotify, the pace without it.
const RECHECK: Duration = Duration::from_secs(1);
const RECHECK_WITHOUT_INOTIFY: Duration = Duration::from_millis(250);

/// The offset where the last `count` lines of `file` begin (a last line without its newline
/// counts as a line).
pub fn tail_start(file: &mut File, count: usize) -> io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let len = file.metadata()?.len();
    if count == 0 {
        return Ok(len);
    }
    let mut newlines = 0;
    let mut end = len;
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        for (i, byte) in chunk.iter().enumerate().rev() {
            let at = start + i as u64;
            // The newline that ends the file ends its last line: it begins no line.
            if *byte == b'\n' && at + 1 != len {
                newlines += 1;
                if newlines == count {
                    return Ok(at + 1);
                }
            }
        }
        end = start;
    }
    Ok(0)
}

/// The last `count` lines of the file at `path` from `offset` on, within its last 64 KiB;
/// none when it cannot be read.
pub fn last_lines(path: &Path, offset: u64, count: usize) -> Vec<String> {
    const WINDOW: u64 = 64 * 1024;
    let Ok(mut file) = File::open(path) else {
        return Vec::new();
    };
    let Ok(start) = tail_start(&mut file, count) else {
        return Vec::new();
    };
    let len = file.metadata().map_or(0, |m| m.len());
    let from = start.max(offset).max(len.saturating_sub(WINDOW));
    let mut bytes = Vec::new();
    if file.seek(SeekFrom::Start(from)).is_err() || file.read_to_end(&mut bytes).is_err() {
        return Vec::new();
    }
    String::from_utf8_lossy(&bytes)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The offset of the first line stamped at or after `since` (lines without a timestamp belong
/// to the stamped line before them); `None` when no line of the file begins with a timestamp.
pub fn since_start(file: &mut File, since: SystemTime) -> io::Result<Option<u64>> {
    file.seek(SeekFrom::Start(0))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut stamped = false;
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(stamped.then_some(offset));
        }
        if let Some(time) = since::line_time(&line) {
            stamped = true;
            if time >= since {
                return Ok(Some(offset));
            }
        }
        offset += n as u64;
    }
}

/// Copies `file` from `offset` to its end into `out`; answers the new offset.
pub fn copy_from(file: &mut File, offset: u64, out: &mut impl Write) -> io::Result<u64> {
    file.seek(SeekFrom::Start(offset))?;
    let copied = io::copy(file, out)?;
    Ok(offset + copied)
}

/// What woke a follower up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Woke {
    /// The log may have changed (or it is time to look anyway).
    Look,
    /// The VM exited.
    VmExited,
    /// Nobody reads the output any more (a closed pipe).
    ReaderGone,
}

/// A log being followed under its name.
pub struct Follower {
    path: PathBuf,
    file: Option<File>,
    id: Option<FileId>,
    offset: u64,
    inotify: Option<Inotify>,
}

impl Follower {
    /// Follows `path` from `offset` of `file` (the log as it was opened, if it exists).
    pub fn new(path: &Path, file: Option<File>, offset: u64) -> Follower {
        let inotify = watch(path.parent().unwrap_or(Path::new("."))).ok();
        Follower {
            id: file.as_ref().and(FileId::of(path)),
            path: path.to_path_buf(),
            file,
            offset,
            inotify,
        }
    }

    /// Prints what was written since the last look: the rest of the file, the whole file
    /// again when it was truncated, then the file that replaced it under its name.
    pub fn pump(&mut self, out: &mut impl Write) -> io::Result<()> {
        if let Some(file) = &mut self.file {
            if file.metadata()?.len() < self.offset {
                output::step(format!(
                    "{} was truncated: reading it from its start",
                    self.path.display()
                ));
                self.offset = 0;
            }
            self.offset = copy_from(file, self.offset, out)?;
        }
        let now = FileId::of(&self.path);
        if now.is_some() && now != self.id {
            let Ok(mut file) = File::open(&self.path) else {
                return Ok(());
            };
            if self.file.is_some() {
                output::step(format!(
                    "{} was replaced: following the new file",
                    self.path.display()
                ));
            }
            self.offset = copy_from(&mut file, 0, out)?;
            self.file = Some(file);
            self.id = now;
        }
        out.flush()
    }

    /// Sleeps until the log may have changed, the VM (`vm`, a pidfd) exited, or the reader of
    /// `out` went away.
    pub fn wait(&self, vm: Option<BorrowedFd<'_>>, out: BorrowedFd<'_>) -> io::Result<Woke> {
        let mut fds = vec![PollFd::new(out, PollFlags::empty())];
        if let Some(vm) = vm {
            fds.push(PollFd::new(vm, PollFlags::POLLIN));
        }
        if let Some(inotify) = &self.inotify {
            fds.push(PollFd::new(inotify.as_fd(), PollFlags::POLLIN));
        }
        let recheck = match self.inotify {
            Some(_) => RECHECK,
            None => RECHECK_WITHOUT_INOTIFY,
        };
        crate::process::handle::sleep_on(&mut fds, Some(recheck))?;
        let woke =
            |fd: &PollFd, flags: PollFlags| fd.revents().is_some_and(|r| r.intersects(flags));
        if woke(&fds[0], PollFlags::POLLERR | PollFlags::POLLHUP) {
            return Ok(Woke::ReaderGone);
        }
        if vm.is_some() && woke(&fds[1], PollFlags::POLLIN | PollFlags::POLLHUP) {
            return Ok(Woke::VmExited);
        }
        if let Some(inotify) = &self.inotify {
            // Drained: the events only said "look".
            while matches!(inotify.read_events(), Ok(events) if !events.is_empty()) {}
        }
        Ok(Woke::Look)
    }
}

/// An inotify watch on the log's directory: writes to its files, their creation, renaming and
/// removal.
fn watch(dir: &Path) -> nix::Result<Inotify> {
    let inotify = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)?;
    inotify.add_watch(
        dir,
        AddWatchFlags::IN_MODIFY
            | AddWatchFlags::IN_CREATE
            | AddWatchFlags::IN_MOVED_FROM
            | AddWatchFlags::IN_MOVED_TO
            | AddWatchFlags::IN_DELETE
            | AddWatchFlags::IN_CLOSE_WRITE,
    )?;
    Ok(inotify)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(text: &str) -> (tempfile::TempDir, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("zinc.log");
        std::fs::write(&path, text).unwrap();
        let file = File::open(&path).unwrap();
        (dir, file)
    }

    fn tail(text: &str, count: usize) -> String {
        let (_dir, mut file) = file_with(text);
        let start = tail_start(&mut file, count).unwrap();
        text[start as usize..].to_string()
    }

    #[test]
    fn reads_the_last_lines_since_an_offset() {
        let (dir, _) = file_with("old\nstart 1\nstart 2\nstart 3\n");
        let path = dir.path().join("zinc.log");
        assert_eq!(last_lines(&path, 0, 2), ["start 2", "start 3"]);
        assert_eq!(last_lines(&path, 4, 10), ["start 1", "start 2", "start 3"]);
        assert_eq!(last_lines(&path, 36, 10), Vec::<String>::new());
        assert!(last_lines(&dir.path().join("none.log"), 0, 3).is_empty());
    }

    #[test]
    fn finds_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(tail("a\nb\nc", 2), "b\nc");
        assert_eq!(tail("a\nb\nc\n", 10), "a\nb\nc\n");
        assert_eq!(tail("a\nb\nc\n", 0), "");
        assert_eq!(tail("", 3), "");
        assert_eq!(tail("\n\n", 1), "\n");
        let long: String = (0..100_000).map(|n| format!("line {n}\n")).collect();
        assert_eq!(tail(&long, 2), "line 99998\nline 99999\n");
    }

    #[test]
    fn finds_the_lines_since_a_time() {
        let text = "2026-01-31T11:00:00Z one\n  detail\n2026-01-31T12:00:00Z two\n  more\n";
        let (_dir, mut file) = file_with(text);
        let noon = humantime::parse_rfc3339("2026-01-31T11:30:00Z").unwrap();
        let start = since_start(&mut file, noon).unwrap().unwrap();
        assert_eq!(
            &text[start as usize..],
            "2026-01-31T12:00:00Z two\n  more\n"
        );
        let later = humantime::parse_rfc3339("2027-01-01T00:00:00Z").unwrap();
        assert_eq!(
            since_start(&mut file, later).unwrap(),
            Some(text.len() as u64)
        );
        let (_dir, mut plain) = file_with("pharo-vm-double: image zinc.image\nhello\n");
        assert_eq!(since_start(&mut plain, noon).unwrap(), None);
    }
}
