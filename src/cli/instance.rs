//! Which instances a command acts on, where their files are, and the VM that runs them.

use clap::Args;
use std::path::PathBuf;

/// The instances a command acts on: NAMEs, or every one of the directory.
#[derive(Debug, Args, Clone, Default)]
pub struct Names {
    /// The instances: NAME.image in the directory (default: the only *.image there).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Every instance of the directory: each of its *.image files.
    #[arg(long, conflicts_with = "names")]
    pub all: bool,
}

/// Where the instances are, and the VM pharo-ctl runs.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Instance")]
pub struct VmArgs {
    /// The directory of the instances' files [default: the current directory].
    #[arg(short = 'C', long, env = "PHARO_CTL_DIR", hide_env_values = true, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
    pub dir: Option<PathBuf>,
    /// The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH].
    #[arg(long, env = "PHARO_VM", hide_env_values = true, value_name = "PATH", value_hint = clap::ValueHint::ExecutablePath)]
    pub vm: Option<PathBuf>,
}

/// Where an instance's files and its VM are.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Instance")]
pub struct InstanceArgs {
    #[command(flatten)]
    pub at: VmArgs,
    /// The image [default: DIR/NAME.image].
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub image: Option<PathBuf>,
    /// The startup script [default: NAME.st beside the image, when it exists].
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
    pub script: Option<PathBuf>,
    /// The pid file [default: NAME.pid beside the image].
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath, hide_short_help = true)]
    pub pid_file: Option<PathBuf>,
    /// The log file the VM's output is appended to [default: NAME.log beside the image].
    #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath, hide_short_help = true)]
    pub log_file: Option<PathBuf>,
    /// An argument for the VM, before the image; repeatable [default: --headless, unless the VM
    /// is a script that passes it, as zeroconf's `pharo`].
    #[arg(
        long = "vm-arg",
        value_name = "ARG",
        allow_hyphen_values = true,
        hide_short_help = true
    )]
    pub vm_args: Vec<String>,
    /// The files above were named by pharo-ctl.sh's order `SCRIPT COMMAND IMAGE` (set by its
    /// rewrite, so that hints name what was typed).
    #[arg(long, hide = true)]
    pub legacy_order: bool,
}
