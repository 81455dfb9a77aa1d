//! Why a request to the REPL got no answer, and what that means for the command that sent
//! it: the line it says and the exit code it calls for.

use crate::error::Fail;
use crate::exit_code::Code;
use std::time::Duration;

/// Why a request got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplError {
    /// Nothing listens, or the connection was refused.
    Unreachable(String),
    /// No answer within the timeout.
    Timeout(Duration),
    /// The connection was closed or reset before an answer: what a quit expression does.
    Dropped,
    /// An HTTP status other than 200 and 401 (Zinc answers 404 to a non-textual body).
    Status(u16, String),
    /// 401: the REPL asks for credentials (a `ZnBasicAuthenticator`); `sent` says whether
    /// pharo-ctl sent some, which it then refused.
    Unauthorized { sent: bool },
    /// The socket listening on the address is not the instance's: the line that says whose.
    NotOwn(String),
    /// Whether the socket is the instance's cannot be told, and why.
    Unverified(String),
}

impl std::fmt::Display for ReplError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReplError::Unreachable(why) => write!(f, "unreachable ({why})"),
            ReplError::Timeout(d) => {
                write!(f, "no answer within {}", crate::duration::human(*d))
            }
            ReplError::Dropped => f.write_str("the connection was closed without an answer"),
            ReplError::Status(code, body) => {
                write!(f, "HTTP {code}: {}", body.lines().next().unwrap_or(""))
            }
            ReplError::NotOwn(line) | ReplError::Unverified(line) => f.write_str(line),
            ReplError::Unauthorized { sent: false } => {
                f.write_str("asks for credentials and pharo-ctl has none")
            }
            ReplError::Unauthorized { sent: true } => {
                f.write_str("asks for credentials and refused pharo-ctl's")
            }
        }
    }
}

impl ReplError {
    /// The failure an evaluation ends with when the REPL at `url` gave no answer: what went
    /// wrong and what to do, with the exit code it calls for; `more_time` says how to wait
    /// longer (`raise --timeout`).
    pub fn failure(&self, url: &str, more_time: &str) -> Fail {
        match self {
            ReplError::Unreachable(why) => Fail::new(
                Code::ReplUnreachable,
                format!(
                    "cannot reach the REPL at {url} ({why}): is the image running (pharo-ctl status) and is --repl right?"
                ),
            ),
            ReplError::Timeout(t) => Fail::new(
                Code::Failure,
                format!(
                    "timed out: no answer from the REPL at {url} within {}; the expression may still be running in the image; {more_time}",
                    crate::duration::human(*t)
                ),
            ),
            ReplError::Dropped => Fail::new(
                Code::Failure,
                "the image closed the connection without answering (did the expression quit the image?); see pharo-ctl status",
            ),
            ReplError::Status(..) => Fail::new(
                Code::Failure,
                format!("the REPL at {url} refused the request: {self}; is it a Zinc REPL URL?"),
            ),
            ReplError::NotOwn(line) => Fail::new(
                Code::ReplUnreachable,
                format!("not sent: {line}; see pharo-ctl status"),
            ),
            ReplError::Unverified(why) => Fail::new(
                Code::Unknown,
                format!(
                    "not sent: {why}; or pass --repl URL without NAME to send it where you say"
                ),
            ),
            ReplError::Unauthorized { sent } => Fail::new(Code::Unknown, unauthorized(url, *sent)),
        }
    }

    /// The error of an HTTP status other than 200, for a request that did (`sent`) or did not
    /// carry credentials.
    pub fn of_status(status: u16, body: String, sent: bool) -> ReplError {
        match status {
            401 => ReplError::Unauthorized { sent },
            _ => ReplError::Status(status, body),
        }
    }

    /// A 401 answer (a [`ReplError::Status`]) to a request that did (`sent`) or did not carry
    /// credentials, as [`ReplError::Unauthorized`].
    pub(super) fn credentials(self, sent: bool) -> ReplError {
        match self {
            ReplError::Status(401, _) => ReplError::Unauthorized { sent },
            other => other,
        }
    }
}

/// What to say of a REPL that answered 401, and what to do about it.
pub fn unauthorized(url: &str, sent: bool) -> String {
    if sent {
        format!(
            "the REPL at {url} asks for credentials and refused pharo-ctl's: the secret file does not hold the password its startup script reads (check --repl-secret / PHARO_REPL_SECRET_FILE, or restart the image after changing the secret)"
        )
    } else {
        format!(
            "the REPL at {url} asks for credentials and pharo-ctl has none: put its secret in NAME.repl-secret beside the image (mode 0600) or pass --repl-secret FILE, and run pharo-ctl as a user who may read it"
        )
    }
}
