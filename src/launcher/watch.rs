//! The launcher's watchdog loop and its verdict on a hung image (see [`crate::watchdog`]).

use super::{Event, Launcher};
use crate::dump;
use crate::duration::human;
use crate::error::Fail;
use crate::exit_code::Code;
use crate::hung;
use crate::output;
use crate::repl::ReplError;
use crate::watchdog::{Config, Outcome, Watchdog};
use anyhow::Result;
use std::time::{Duration, Instant};

impl Launcher<'_> {
    /// Probes the REPL every INTERVAL until a stop signal, the VM's end, or N probes in a row
    /// without an answer: then a stack dump, the stop sequence, and exit 8 ("hung").
    pub(super) fn watch(&mut self, mut watchdog: Watchdog) -> Result<Code> {
        let instance = self.instance;
        let name = &instance.name;
        let pid = self.launched.tree.pid();
        let Config { interval, misses } = watchdog.config;
        output::step(format!(
            "{name}: watchdog: probing the REPL every {}; {misses} probes in a row without an answer stop the image",
            human(interval)
        ));
        watchdog.arm();
        loop {
            let event = self.next_event(watchdog.fd(), Some(watchdog.wake_at()), None)?;
            match event {
                Event::Stop(signal) => return self.stop(Some(signal)),
                Event::Exited(status) => return self.exited(status),
                Event::Ready => {}
            }
            match watchdog.wake(Instant::now()) {
                Outcome::Quiet => {}
                Outcome::Answered { after } => {
                    self.notify("WATCHDOG=1");
                    hung::clear(&instance.pid_file);
                    if after > 0 {
                        output::step(format!(
                            "{name}: the REPL answers again, after {after} unanswered probe{}",
                            if after == 1 { "" } else { "s" }
                        ));
                    }
                }
                Outcome::Missed { count, why } => {
                    if let Some(since) = watchdog.first_missed_at {
                        hung::record(&instance.pid_file, pid, since);
                    }
                    self.alert(format!(
                        "{name}: the REPL did not answer the watchdog's probe ({count} of {misses} in a row): {why}"
                    ));
                }
                Outcome::Hung { why } => return self.hung(interval, misses, &why),
            }
        }
    }

    /// The verdict: the image is hung. A stack dump (SIGUSR1) goes to the VM's stderr (the
    /// journal) and its crash.dmp, then the stop sequence runs without the REPL, which does not
    /// answer, and the launcher exits 8, so that `Restart=` or the container runtime restarts
    /// the service.
    fn hung(&mut self, interval: Duration, misses: u32, why: &ReplError) -> Result<Code> {
        let instance = self.instance;
        let name = &instance.name;
        // STOPPING=1 also ends systemd's own watchdog.
        self.notify("STOPPING=1");
        self.alert(format!(
            "{name} is hung: its REPL did not answer {misses} probes in a row, one every {} (the last: {why}), while its VM (pid {}) lives",
            human(interval),
            self.launched.tree.pid()
        ));
        dump::into_log(self.launched.tree.vm(), name, Some(self.signals.fd()));
        let plan = self.ctx.plan(self.instance, None);
        let stopped = self.stop_with(&plan)?;
        output::step(stopped.describe(name));
        Err(Fail::new(
            Code::Hung,
            format!(
                "{name} was stopped because it hung (exit {}): its REPL stopped answering; Restart= or the container runtime starts it again",
                Code::Hung.value()
            ),
        )
        .into())
    }

    /// A warning that the service manager hears too, as `STATUS=`.
    fn alert(&self, line: String) {
        if let Some(notifier) = &self.notifier {
            notifier.status(&line);
        }
        output::warn(line);
    }
}
