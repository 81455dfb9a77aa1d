//! The cooperative step of a stop: where the shutdown request goes (the instance's own REPL,
//! or the unit tests' fake) and the request itself, sent from a thread of its own so that the
//! wait for the exit starts at once.

use crate::output;
use crate::repl::{self, Repl, ReplError};
use anyhow::Result;
use std::os::fd::OwnedFd;
use std::sync::mpsc;
use std::time::Duration;

/// Where the shutdown request goes: the image's [`Repl`], or the unit tests' fake.
pub trait Shutdown {
    /// The REPL's URL, for the step line.
    fn url(&self) -> &str;
    /// Where the request would go, for the step line; or why none may be sent (nothing
    /// listens there, or the socket is not the instance's).
    fn admit(&self) -> Result<String, ReplError> {
        Ok(self.url().to_string())
    }
    /// Sends `expr` without waiting for the answer.
    fn request(&self, expr: &str, timeout: Duration) -> Result<Request>;
}

impl Shutdown for Repl {
    fn url(&self) -> &str {
        Repl::url(self)
    }

    fn admit(&self) -> Result<String, ReplError> {
        let target = self.target()?;
        Ok(match self.found_url() {
            Some(found) => format!(
                "{found} (the REPL its VM holds; {} is not its)",
                Repl::url(self)
            ),
            None if self.socket_addr().is_ok_and(|nominal| nominal == target) => {
                Repl::url(self).to_string()
            }
            None => format!("http://{target}"),
        })
    }

    fn request(&self, expr: &str, timeout: Duration) -> Result<Request> {
        let repl = self.clone();
        let expr = expr.to_string();
        Request::spawn(move || repl.eval(&expr, timeout))
    }
}

/// The shutdown request, sent from its own thread so that the wait for the exit can start at
/// once. `done` becomes readable (hang-up) when the answer is in.
pub struct Request {
    pub(super) done: OwnedFd,
    answer: mpsc::Receiver<Result<Vec<u8>, ReplError>>,
}

impl Request {
    /// Runs `send` (which answers the REPL's answer) on a thread of its own.
    pub fn spawn(
        send: impl FnOnce() -> Result<Vec<u8>, ReplError> + Send + 'static,
    ) -> Result<Request> {
        let (done, notify) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)?;
        let (tx, answer) = mpsc::channel();
        std::thread::Builder::new()
            .name("shutdown-request".into())
            .spawn(move || {
                let _ = tx.send(send());
                // Closing the write end wakes the waiter.
                drop(notify);
            })?;
        Ok(Request { done, answer })
    }

    /// Reads the answer and says whether the image accepted the shutdown.
    pub(super) fn accepted(self, name: &str) -> bool {
        match self.answer.recv() {
            Ok(Ok(body)) => {
                let text = String::from_utf8_lossy(&body);
                if repl::is_error_answer(&text) {
                    output::step(format!(
                        "{name}: the REPL answered an error, so no grace period: {}",
                        text.lines().next().unwrap_or("")
                    ));
                    false
                } else {
                    output::detail(format!("{name}: the REPL answered {}", text.trim_end()));
                    true
                }
            }
            Ok(Err(ReplError::Dropped)) => {
                output::detail(format!(
                    "{name}: the image closed the connection without answering (quitting)"
                ));
                true
            }
            Ok(Err(ReplError::Timeout(_))) => true,
            Ok(Err(error @ ReplError::Unauthorized { .. })) => {
                output::step(format!("{name}: the REPL {error}, so no grace period"));
                false
            }
            Ok(Err(error @ ReplError::Unreachable(_))) => {
                output::step(format!("{name}: the REPL is {error}, so no grace period"));
                false
            }
            Ok(Err(error)) => {
                output::step(format!(
                    "{name}: the REPL refused: {error}, so no grace period"
                ));
                false
            }
            Err(_) => false,
        }
    }
}
