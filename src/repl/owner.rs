//! The REPL of a known instance: before every request, the address it goes to is proven to be
//! held by the instance's process tree ([`super::holder`]); nothing is sent to another
//! process's port. Where the URL's address is not the VM's (the script says nothing, or says
//! wrong: a REPL started in another form, a port from the environment, a script edited after
//! the start), the REPL is looked for among the VM's own loopback listeners: the one that
//! answers `GET /repl` with Zinc's help text.

use super::holder::{self, Verdict};
use super::http::{self, Reply};
use super::{ReplError, sockets};
use crate::process::tree::Members;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

/// How long a VM's listener may take to answer `GET /repl` when the REPL is looked for.
const LOOK_TIMEOUT: Duration = Duration::from_secs(1);

/// What Zinc's `GET /repl` answers begins with.
const HELP_TEXT: &str = "Smalltalk REPL";

/// The instance a REPL must belong to.
#[derive(Debug)]
pub struct Owner {
    /// The instance's name, for the lines that say whose a port is.
    name: String,
    members: Members,
    /// Whether the REPL may be looked for among the VM's sockets when the URL's address is
    /// not the VM's: not when the operator gave the URL.
    discover: bool,
    /// The address the REPL was found at, when it is not the URL's.
    found: Mutex<Option<SocketAddr>>,
    /// The `Authorization` header line of the REPL's credentials, or nothing: a REPL that asks
    /// for them answers the look below only with them, which go only to the VM's own sockets.
    authorization: String,
    /// Whether the check's detail line (`-v`) was printed.
    told: std::sync::atomic::AtomicBool,
}

impl Owner {
    pub fn new(name: &str, members: Members, discover: bool, authorization: String) -> Owner {
        Owner {
            name: name.to_string(),
            members,
            discover,
            found: Mutex::new(None),
            authorization,
            told: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The address a request meant for `nominal` (the URL's) goes to: `nominal` when the
    /// instance holds it, else the REPL found among the VM's listeners; or why nothing may be
    /// sent.
    pub fn admit(&self, nominal: SocketAddr) -> Result<SocketAddr, ReplError> {
        let remembered = *self.found.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = remembered {
            if matches!(self.judge(found), Verdict::Own(_)) {
                return Ok(found);
            }
            *self.found.lock().unwrap_or_else(|e| e.into_inner()) = None;
        }
        if !nominal.ip().is_loopback() {
            return Err(ReplError::Unverified(format!(
                "{nominal} is not on this host's loopback, so whether it is {}'s REPL cannot be told",
                self.name
            )));
        }
        let checked = std::time::Instant::now();
        let verdict = self.judge(nominal);
        if let Verdict::Own(pid) = verdict {
            if !self.told.swap(true, std::sync::atomic::Ordering::Relaxed) {
                crate::output::detail(format!(
                    "{}: the socket on {nominal} is held by pid {pid} of its tree (checked in {:.3} ms)",
                    self.name,
                    checked.elapsed().as_secs_f64() * 1000.0
                ));
            }
            return Ok(nominal);
        }
        if self.discover
            && !matches!(verdict, Verdict::Unknown(_) | Verdict::Ending)
            && let Some(found) = self.look(nominal)
        {
            *self.found.lock().unwrap_or_else(|e| e.into_inner()) = Some(found);
            return Ok(found);
        }
        Err(match verdict {
            Verdict::Own(_) => unreachable!("admitted above"),
            Verdict::Nobody => ReplError::Unreachable(format!("nothing listens on {nominal}")),
            Verdict::Stranger(line) => ReplError::NotOwn(line),
            Verdict::Unknown(why) => ReplError::Unverified(why),
            Verdict::Ending => ReplError::Unreachable(format!("{}'s VM is exiting", self.name)),
        })
    }

    /// Whether the VM proper has ended.
    pub fn gone(&self) -> bool {
        self.members.vm().exited()
    }

    /// The address the REPL was found at among the VM's listeners, when it is not the URL's.
    pub fn found(&self) -> Option<SocketAddr> {
        *self.found.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn judge(&self, to: SocketAddr) -> Verdict {
        holder::judge(to, &self.name, &self.members)
    }

    /// The VM's REPL among its loopback listeners other than `skip`: the one that answers
    /// `GET /repl` like Zinc, and is still the VM's after its answer.
    fn look(&self, skip: SocketAddr) -> Option<SocketAddr> {
        let pids: Vec<i32> = self.members.first().map(|m| m.pid()).collect();
        let found = held_repl(&pids, Some(skip), &self.authorization)?;
        // The descriptors read were those of live members, and still are.
        (!self.members.first().any(|m| m.exited()) && matches!(self.judge(found), Verdict::Own(_)))
            .then_some(found)
    }
}

/// The REPL that one of `pids` holds (a VM and its wrapper), other than `skip`: among their
/// loopback listeners, the one that answers `GET /repl` with Zinc's help text. Asking the
/// VM's own sockets `GET /repl` evaluates nothing; only they are asked, so the request may
/// carry the REPL's credentials (`authorization`, an `Authorization` header line, or nothing).
pub fn held_repl(
    pids: &[i32],
    skip: Option<SocketAddr>,
    authorization: &str,
) -> Option<SocketAddr> {
    let inodes: HashSet<u64> = pids
        .iter()
        .filter_map(|&pid| holder::sockets_of(pid).ok())
        .flatten()
        .collect();
    if inodes.is_empty() {
        return None;
    }
    let mut candidates: Vec<SocketAddr> = sockets::listeners(None)
        .ok()?
        .into_iter()
        .filter(|l| inodes.contains(&l.inode) && l.addr.ip().is_loopback())
        .map(|l| l.addr)
        .filter(|&addr| Some(addr) != skip)
        .collect();
    candidates.sort();
    candidates.dedup();
    candidates.into_iter().find(|&addr| {
        // Only the VM's own listeners are asked, so its credentials may go with the request.
        let request = super::request(&addr.to_string(), "/repl", None, authorization);
        matches!(
            http::exchange(addr, &request, LOOK_TIMEOUT, None),
            Ok(Reply::Answer(body)) if String::from_utf8_lossy(&body).contains(HELP_TEXT)
        )
    })
}
