//! The launcher's readiness probe: `GET /repl` from a thread of its own until the REPL
//! answers or the time is up, while the launcher sleeps in `poll`.

use crate::repl::{Repl, ReplError};
use anyhow::Result;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// Asks the REPL `GET` from a thread of its own until it answers or the time is up, so that
/// the launcher keeps sleeping in `poll` meanwhile. `done` hangs up when the answer is in.
pub struct Probe {
    /// Hangs up when the answer is in.
    pub done: OwnedFd,
    answer: mpsc::Receiver<Result<Duration, ReplError>>,
    cancel: Arc<AtomicBool>,
}

impl Probe {
    pub fn start(repl: Repl, timeout: Duration) -> Result<Probe> {
        let (done, notify) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let (tx, answer) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let cancelled = Arc::clone(&cancel);
        std::thread::Builder::new()
            .name("readiness-probe".into())
            .spawn(move || {
                let started = Instant::now();
                let deadline = crate::duration::deadline(started, timeout);
                let mut last = ReplError::Timeout(timeout);
                while !cancelled.load(Ordering::Relaxed) {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        break;
                    }
                    // A busy image may answer slowly at first: the request may take the
                    // time left.
                    match repl.probe(left) {
                        Ok(_) => {
                            let _ = tx.send(Ok(started.elapsed()));
                            drop(notify);
                            return;
                        }
                        // Up, but pharo-ctl cannot use it: no waiting will change that; nor
                        // will another process's socket on the REPL's address.
                        Err(
                            e @ (ReplError::Unauthorized { .. }
                            | ReplError::NotOwn(_)
                            | ReplError::Unverified(_)),
                        ) => {
                            last = e;
                            break;
                        }
                        Err(e) => last = e,
                    }
                    std::thread::sleep(Repl::PROBE_INTERVAL.min(left));
                }
                let _ = tx.send(Err(last));
                // Closing the write end wakes the launcher.
                drop(notify);
            })?;
        Ok(Probe {
            done,
            answer,
            cancel,
        })
    }

    /// How long the REPL took to answer, or why it did not.
    pub fn answer(&self) -> Result<Duration, ReplError> {
        self.answer
            .recv()
            .unwrap_or(Err(ReplError::Unreachable("the probe ended".into())))
    }
}

impl Drop for Probe {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}
