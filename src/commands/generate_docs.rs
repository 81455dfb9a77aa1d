//! `pharo-ctl generate-docs DIR` (hidden): write the completion scripts into `DIR/completions`
//! and the man pages into `DIR/man`, the files checked in with the project. One command keeps
//! them in step with the command line: `cargo run -- generate-docs .`

use crate::docs::completion;
use crate::docs::manual;
use crate::exit_code::Code;
use crate::output;
use anyhow::{Context as _, Result};
use std::path::Path;

pub fn run(dir: &Path) -> Result<Code> {
    let completions = dir.join("completions");
    std::fs::create_dir_all(&completions)
        .with_context(|| format!("cannot create {}", completions.display()))?;
    for (shell, file_name) in completion::SHELLS {
        let path = completions.join(file_name);
        std::fs::write(&path, completion::script(shell))
            .with_context(|| format!("cannot write {}", path.display()))?;
        output::step(format!("wrote {}", path.display()));
    }
    let man = dir.join("man");
    let written =
        manual::write_all(&man).with_context(|| format!("cannot write {}", man.display()))?;
    // A page of a subcommand that no longer exists would linger: remove it.
    for entry in std::fs::read_dir(&man)?.flatten() {
        let path = entry.path();
        let ours = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("pharo-ctl") && n.ends_with(".1"));
        if ours && !written.contains(&path) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
            output::step(format!("removed {}", path.display()));
        }
    }
    for path in &written {
        output::step(format!("wrote {}", path.display()));
    }
    Ok(Code::Success)
}
