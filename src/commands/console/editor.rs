//! The console's line editor: rustyline, each line handed to the console (which joins the
//! lines of an expression), input typed ahead kept for the next line (rustyline's buffer
//! survives between lines), and the history of the instance kept in a file.

use crate::output;
use anyhow::Result;
use rustyline::history::FileHistory;
use rustyline::{ColorMode, Config, Editor};
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

/// The console's editor.
pub type LineEditor = Editor<Input, FileHistory>;

/// The editor for the instance `label`, with its history loaded, and the history file (none
/// when it cannot be kept).
pub fn open(label: &str, color: bool) -> Result<(LineEditor, Option<PathBuf>)> {
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_dups(true)?
        .max_history_size(1000)?
        .color_mode(if color {
            ColorMode::Enabled
        } else {
            ColorMode::Disabled
        })
        .build();
    let mut editor: LineEditor = Editor::with_config(config)?;
    editor.set_helper(Some(Input));
    let history = history_file(label);
    if let Some(path) = &history
        && path.exists()
        && let Err(e) = editor.load_history(path)
    {
        output::warn(format!("cannot read the history {}: {e}", path.display()));
    }
    Ok((editor, history))
}

/// The history file of an instance: `$XDG_STATE_HOME/pharo-ctl/history/NAME`, else
/// `~/.local/state/pharo-ctl/history/NAME`; `None`, with a warning, when its directory cannot
/// be created (the session then keeps no history).
fn history_file(label: &str) -> Option<PathBuf> {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|home| !home.is_empty())
                .map(|home| PathBuf::from(home).join(".local/state"))
        });
    let Some(state) = state else {
        output::warn("neither XDG_STATE_HOME nor HOME is set: the console keeps no history");
        return None;
    };
    let dir = state.join("pharo-ctl/history");
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
    {
        Ok(()) => Some(dir.join(label.replace(['/', '\0'], "_"))),
        Err(e) => {
            output::warn(format!(
                "cannot create {} ({}): this session's input is not kept",
                dir.display(),
                crate::error::reason(&e)
            ));
            None
        }
    }
}

/// The line editor's helper: no completion, hints or validation (a pasted block, the
/// terminal's bracketed paste, comes in as one input of several lines).
pub struct Input;

impl rustyline::validate::Validator for Input {}

impl rustyline::completion::Completer for Input {
    type Candidate = String;
}

impl rustyline::hint::Hinter for Input {
    type Hint = String;
}

impl rustyline::highlight::Highlighter for Input {}

impl rustyline::Helper for Input {}
