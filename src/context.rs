//! What every command shares: the global options, and the instance, REPL and stop plan they
//! describe.

use crate::cli::{InstanceArgs, ReplArgs, TimingArgs};
use crate::instance::Instance;
use crate::repl::{self, Repl};
use crate::stopper::Plan;
use anyhow::Result;
use std::time::Duration;

/// The default cooperative grace of a stop.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// The global options of the command line.
#[derive(Debug, Clone)]
pub struct Context {
    /// The subcommand, for hints (`pharo-ctl stop NAME`).
    pub command: &'static str,
    pub instance: InstanceArgs,
    pub repl: ReplArgs,
    pub timing: TimingArgs,
}

impl Context {
    /// Resolves an instance by NAME, or the only image of the directory.
    pub fn instance(&self, name: Option<&str>) -> Result<Instance> {
        Instance::resolve(name, &self.instance, self.command)
    }

    /// The REPL of an instance (checked: loopback unless `--allow-remote`).
    pub fn repl(&self, instance: Option<&Instance>) -> Result<Repl> {
        Repl::new(&repl::url_for(&self.repl, instance), self.repl.allow_remote)
    }

    /// The cooperative grace (`--timeout`, default 5s).
    pub fn grace(&self) -> Duration {
        self.timing.timeout.unwrap_or(DEFAULT_GRACE)
    }

    /// The stop sequence for an instance.
    pub fn plan<'a>(&'a self, instance: &'a Instance, repl: Option<&'a Repl>) -> Plan<'a> {
        Plan {
            name: &instance.name,
            repl,
            shutdown: &self.repl.shutdown,
            grace: self.grace(),
            kill_after: self.timing.kill_after,
        }
    }
}
