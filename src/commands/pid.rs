//! `pharo-ctl pid`: print the pid of the running image.

use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::finder::{self, Found};
use crate::output;
use anyhow::Result;
use std::io::Write;

pub fn run(instance: &Instance) -> Result<Code> {
    match finder::find(instance)? {
        Found::Running { tree, .. } => {
            writeln!(std::io::stdout(), "{}", tree.pid())?;
            Ok(Code::Success)
        }
        Found::Stale(_) => {
            output::step(format!(
                "{} is not running (stale pid file {})",
                instance.name,
                instance.pid_file.display()
            ));
            Ok(Code::Failure)
        }
        Found::NotRunning => {
            output::step(format!("{} is not running", instance.name));
            Ok(Code::NotRunning)
        }
    }
}
