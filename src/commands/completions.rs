//! `pharo-ctl completions SHELL`: print the completion script of a shell.

use crate::docs::completion;
use crate::exit_code::Code;
use anyhow::Result;
use clap_complete::Shell;
use std::io::Write;

pub fn run(shell: Shell) -> Result<Code> {
    std::io::stdout()
        .lock()
        .write_all(completion::script(shell).as_bytes())?;
    Ok(Code::Success)
}
