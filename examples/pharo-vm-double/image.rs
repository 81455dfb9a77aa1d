//! The double's image file: what it loads at start and what `Smalltalk snapshot: true
//! andQuit: …` writes, the way the VM writes it — the file opened for writing, truncated, then
//! written in place (same inode).
//!
//! The layout is a Spur 64-bit image's as far as pharo-ctl looks at it: the format word 68021
//! (little-endian), the header size (128) and the size of the data after the header (8
//! bytes). The data is the double's globals (`Smalltalk at: #K put: V`), one `K<TAB>printString`
//! line each after a title line, then zeros up to the size the image had when it was loaded, so
//! that a large image stays large. A file that does not start so (a test's placeholder image)
//! loads with no globals.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::thread;
use std::time::Duration;

const FORMAT: u32 = 68021;
const HEADER_SIZE: usize = 128;
const TITLE: &str = "pharo-vm-double globals\n";
const END: &str = "end\n";
/// How much one write puts in the file (a slow save sleeps between them).
const CHUNK: usize = 1 << 20;

/// How a save goes.
#[derive(Clone, Copy, Default)]
pub struct SaveMode {
    /// How long the whole write takes, spread over its chunks.
    pub slow: Option<Duration>,
    /// Stop half-way, as on a full disk: a short file and an error.
    pub fail_half_way: bool,
    /// How much larger than at start the image is when saved (its heap grew meanwhile).
    pub growth: u64,
}

/// The globals an image file holds (none for a file that is not one of the double's images),
/// and its size.
pub fn load(path: &Path) -> (BTreeMap<String, String>, u64) {
    let mut globals = BTreeMap::new();
    let Ok(mut file) = File::open(path) else {
        return (globals, 0);
    };
    let size = file.metadata().map_or(0, |m| m.len());
    let mut head = vec![0; HEADER_SIZE + (64 << 10)];
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    head.truncate(read);
    if read < HEADER_SIZE || head[..4] != FORMAT.to_le_bytes() {
        return (globals, size);
    }
    let text = String::from_utf8_lossy(&head[HEADER_SIZE..]);
    let Some(body) = text.strip_prefix(TITLE) else {
        return (globals, size);
    };
    for line in body.lines().take_while(|line| format!("{line}\n") != END) {
        if let Some((key, value)) = line.split_once('\t') {
            globals.insert(key.to_string(), unescape(value));
        }
    }
    (globals, size)
}

/// Writes the image: truncates the file, then writes header, globals and padding up to at
/// least `min_size` bytes (and `mode.growth` more). A save told to fail writes half of it and answers an error, as a
/// full disk does (and a real full disk's error is answered too).
pub fn save(
    path: &Path,
    globals: &BTreeMap<String, String>,
    min_size: u64,
    mode: SaveMode,
) -> Result<u64, String> {
    let mut data = TITLE.to_string();
    for (key, value) in globals {
        data.push_str(&format!("{key}\t{}\n", escape(value)));
    }
    data.push_str(END);
    let grown = min_size.saturating_add(mode.growth);
    let total = (HEADER_SIZE + data.len()).max(usize::try_from(grown).unwrap_or(usize::MAX));
    let mut header = vec![0u8; HEADER_SIZE];
    header[..4].copy_from_slice(&FORMAT.to_le_bytes());
    header[4..8].copy_from_slice(&(HEADER_SIZE as u32).to_le_bytes());
    header[8..16].copy_from_slice(&((total - HEADER_SIZE) as u64).to_le_bytes());
    let mut bytes = header;
    bytes.extend_from_slice(data.as_bytes());
    bytes.resize(total, 0);
    let describe = |e: io::Error| format!("cannot write {}: {e}", path.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(describe)?;
    let end = if mode.fail_half_way { total / 2 } else { total };
    let chunks = end.div_ceil(CHUNK).max(1);
    let pause = mode.slow.map(|slow| slow / chunks as u32);
    for chunk in bytes[..end].chunks(CHUNK) {
        file.write_all(chunk).map_err(describe)?;
        if let Some(pause) = pause {
            thread::sleep(pause);
        }
    }
    if mode.fail_half_way {
        return Err(format!(
            "cannot write {}: No space left on device",
            path.display()
        ));
    }
    Ok(total as u64)
}

fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\n', "\\n")
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}
