//! The REPL watchdog of `run --watchdog INTERVAL`: every INTERVAL, a `GET /repl` that must be
//! answered (HTTP 200) before the next one is due. N probes in a row without an answer
//! (`--watchdog-misses`, default 3) mean the image is hung: Zinc's REPL workers run above user
//! priority, so a REPL that stops answering while its VM lives is wedged, not busy.
//!
//! The probe costs the idle launcher next to nothing: it is a non-blocking socket driven by the
//! launcher's own `poll` loop (no thread, no HTTP client), and between probes the launcher
//! sleeps until the next one is due, with no wake-up in between. A stop signal that arrives
//! during a probe is therefore seen at once.
//!
//! Under systemd, `WATCHDOG_USEC` (with `WATCHDOG_PID` naming this process, or unset) turns
//! the watchdog on by itself: INTERVAL is then WatchdogSec/(N+2), so that N misses and the
//! probe under way fit in systemd's own deadline with one INTERVAL to spare.

use crate::duration::human;
use crate::repl::ping::Ping;
use crate::repl::{Repl, ReplError};
use anyhow::{Context as _, Result};
use nix::poll::PollFlags;
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant, SystemTime};

/// The default of `--watchdog-misses`.
pub const DEFAULT_MISSES: u32 = 3;

/// How often and how patiently the REPL is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub interval: Duration,
    pub misses: u32,
}

impl Config {
    /// The watchdog asked for: `--watchdog INTERVAL`, else systemd's `WATCHDOG_USEC` (when
    /// `WATCHDOG_PID` is unset or names this process); `None` when neither asks.
    pub fn resolve(interval: Option<Duration>, misses: u32) -> Option<Config> {
        let systemd = systemd_timeout();
        let interval = interval.or_else(|| systemd.map(|w| w / (misses + 2)))?;
        if let Some(w) = systemd
            && interval * (misses + 1) >= w
        {
            crate::output::warn(format!(
                "systemd's watchdog (WatchdogSec={}) may end the service before pharo-ctl's own (--watchdog {} x {misses} misses): give WatchdogSec more than {}, as `pharo-ctl unit --watchdog` does",
                human(w),
                human(interval),
                human(interval * (misses + 1))
            ));
        }
        Some(Config {
            interval: interval.max(Duration::from_millis(1)),
            misses: misses.max(1),
        })
    }

    /// The longest a hung image goes unnoticed: a probe may have just answered when it
    /// wedged, the next starts an INTERVAL later, and N of them must each wait an INTERVAL.
    pub fn verdict_within(&self) -> Duration {
        self.interval * (self.misses + 1)
    }
}

/// systemd's watchdog timeout for this process, if it has one.
fn systemd_timeout() -> Option<Duration> {
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.trim().parse().ok()?;
    let ours = match std::env::var("WATCHDOG_PID") {
        Ok(pid) => pid.trim().parse::<u32>().ok() == Some(std::process::id()),
        Err(_) => true,
    };
    (ours && usec > 0).then(|| Duration::from_micros(usec))
}

/// What one wake-up of the watchdog came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to say: a probe is under way, or none is due.
    Quiet,
    /// A probe was answered; `after` unanswered ones before it, if any.
    Answered { after: u32 },
    /// A probe went unanswered: the `count`th in a row, fewer than N.
    Missed { count: u32, why: ReplError },
    /// N probes in a row went unanswered: the image is hung.
    Hung { why: ReplError },
}

/// The watchdog: the schedule, the probe under way, and the misses in a row.
pub struct Watchdog {
    pub config: Config,
    /// The REPL probed: before each probe, the address is checked to be the instance's.
    repl: Repl,
    request: Vec<u8>,
    next: Instant,
    /// The probe under way, and its deadline.
    probe: Option<(Ping, Instant)>,
    missed: u32,
    /// When the first of the misses in a row began (for [`crate::instance::hung`]).
    pub first_missed_at: Option<SystemTime>,
}

impl Watchdog {
    /// A watchdog on `repl`, whose first probe is due an INTERVAL from now. A host name other
    /// than localhost (a remote REPL, when allowed) is resolved once, here.
    pub fn new(config: Config, repl: &Repl) -> Result<Watchdog> {
        repl.socket_addr()
            .with_context(|| format!("cannot resolve the host of the REPL at {}", repl.url()))?;
        Ok(Watchdog {
            config,
            repl: repl.clone(),
            request: repl.get_request(),
            next: crate::duration::from_now(config.interval),
            probe: None,
            missed: 0,
            first_missed_at: None,
        })
    }

    /// The same watchdog on `repl`, the instance's own REPL once its tree is known.
    pub fn owned(self, repl: &Repl) -> Watchdog {
        Watchdog {
            repl: repl.clone(),
            ..self
        }
    }

    /// Schedules the first probe an INTERVAL from now (the image has just become ready).
    pub fn arm(&mut self) {
        self.next = crate::duration::from_now(self.config.interval);
    }

    /// When the launcher must wake up at the latest: the next probe, or the deadline of the
    /// one under way.
    pub fn wake_at(&self) -> Instant {
        self.probe
            .as_ref()
            .map_or(self.next, |(_, deadline)| *deadline)
    }

    /// The socket of the probe under way and what to wait for on it.
    pub fn fd(&self) -> Option<(BorrowedFd<'_>, PollFlags)> {
        self.probe.as_ref().map(|(ping, _)| ping.fd())
    }

    /// Moves on after a wake-up (the socket is ready, or a time has come): starts the probe
    /// that is due, advances the one under way, and says what came of it.
    pub fn wake(&mut self, now: Instant) -> Outcome {
        if self.probe.is_none() {
            if now < self.next {
                return Outcome::Quiet;
            }
            // A full INTERVAL from when it is sent, even if the launcher woke up late.
            let deadline = crate::duration::deadline(now, self.config.interval);
            self.next = deadline;
            // A probe that would reach another process's socket is a miss.
            match self
                .repl
                .target()
                .and_then(|address| Ping::start(address, &self.request))
            {
                Ok(ping) => self.probe = Some((ping, deadline)),
                Err(why) => return self.missed(why, SystemTime::now()),
            }
        }
        let (ping, deadline) = self.probe.as_mut().expect("a probe is under way");
        let result = match ping.advance() {
            Some(result) => result,
            None if now >= *deadline => Err(ReplError::Timeout(self.config.interval)),
            None => return Outcome::Quiet,
        };
        let started_at = ping.sent_at;
        self.probe = None;
        match result {
            // The image answered: it is not wedged, whatever it thinks of the credentials.
            Ok(()) | Err(ReplError::Unauthorized { .. }) => {
                let after = std::mem::take(&mut self.missed);
                self.first_missed_at = None;
                Outcome::Answered { after }
            }
            Err(why) => self.missed(why, started_at),
        }
    }

    fn missed(&mut self, why: ReplError, started_at: SystemTime) -> Outcome {
        self.missed += 1;
        self.first_missed_at.get_or_insert(started_at);
        if self.missed >= self.config.misses {
            Outcome::Hung { why }
        } else {
            Outcome::Missed {
                count: self.missed,
                why,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hung_image_is_noticed_within_n_plus_1_intervals() {
        let config = Config {
            interval: Duration::from_secs(10),
            misses: 3,
        };
        assert_eq!(config.verdict_within(), Duration::from_secs(40));
    }
}
