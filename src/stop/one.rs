//! Stopping one instance, as `stop`, `restart` and a rolling restart do: its VM found, the
//! stop sequence ([`crate::stop`]) run on its tree, its pid file cleaned up.

use crate::instance::Instance;
use crate::instance::finder::{self, Found};
use crate::instance::pidfile;
use crate::output;
use crate::repl::Repl;
use crate::stop::{self, Settings};
use anyhow::Result;

/// Stops the instance if it runs, asking `repl` (the configured REPL, checked to be the
/// running VM's own before anything is sent) to shut it down first.
pub fn stop_instance(instance: &Instance, repl: &Repl, stop: &Settings) -> Result<()> {
    let name = &instance.name;
    pidfile::clean_temp_files(&instance.pid_file);
    match finder::find(instance)? {
        Found::NotRunning => output::step(format!("{name} is not running")),
        Found::Stale(_) => {
            pidfile::remove(&instance.pid_file)?;
            output::step(format!(
                "{name} is not running; removed the stale pid file {}",
                instance.pid_file.display()
            ));
        }
        Found::Running {
            mut tree,
            stale_pid_file,
            ..
        } => {
            let pid = tree.pid();
            let wrapper = tree.wrapper();
            if stale_pid_file.is_some() {
                output::warn(format!(
                    "{name}: the pid file {} does not name the running VM; found pid {pid} in the process table",
                    instance.pid_file.display()
                ));
            }
            let repl = repl.owned(name, &tree)?;
            let stopped = stop::stop(&mut tree, &stop.plan(name, Some(&repl)), None)?;
            output::step(stopped.describe(name));
            // The VM is stopped: a pid file left behind is worth a warning, not a failure. It
            // names the VM proper, or (written before the wrapper had started it) the wrapper.
            let pids: Vec<i32> = [Some(pid), wrapper].into_iter().flatten().collect();
            let removed = if stale_pid_file.is_some() {
                pidfile::remove(&instance.pid_file)
            } else {
                pidfile::remove_if_names(&instance.pid_file, &pids).map(drop)
            };
            if let Err(e) = removed {
                output::warn(format!("{name}: {e:#}"));
            }
            // Other pid files of the directory naming it (pharo-ctl.sh's `SCRIPT.pid`).
            match pidfile::remove_others_naming(&instance.pid_file, &pids) {
                Ok(others) => {
                    for other in others {
                        output::step(format!(
                            "{name}: removed {}, which named it",
                            other.display()
                        ));
                    }
                }
                Err(e) => output::warn(format!("{name}: {e:#}")),
            }
            stopped.warn_if_not_cooperative(name);
        }
    }
    Ok(())
}
