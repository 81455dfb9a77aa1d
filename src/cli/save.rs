//! How a running image is saved (`snapshot`, `stop --save`) and where its backups go.

use clap::Args;
use std::path::PathBuf;

/// How long a save may take by default: a large image blocks for seconds, a slow disk longer.
pub const DEFAULT_SAVE_TIMEOUT: &str = "10m";
/// How many backups of an instance are kept by default.
pub const DEFAULT_KEEP: usize = 5;

/// Where the backup taken before a save goes, and how many are kept (in `--help`; `-h` keeps
/// to a screen).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Save")]
pub struct SaveArgs {
    /// The directory of the backups, relative to the image's [default: backups beside the
    /// image].
    #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath, hide_short_help = true)]
    pub backup_dir: Option<PathBuf>,
    /// How many backups of the instance to keep: older ones are removed after a verified save.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_KEEP, value_parser = keep, conflicts_with = "no_backup", hide_short_help = true)]
    pub keep: usize,
    /// Take no backup before the save (for operators who keep their own): a failed save can
    /// then not be undone.
    #[arg(long, hide_short_help = true)]
    pub no_backup: bool,
}

fn keep(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "'{text}' is not a number of backups to keep: give 1 or more (--no-backup takes none)"
        )),
    }
}
