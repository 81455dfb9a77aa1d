//! The waits of a start: for the VM proper below a wrapper, for it to stay up (`--settle`),
//! and for its own REPL to answer (`--wait`, or a script that names its REPL), each noticing at
//! once a VM that dies meanwhile.

use super::Failure;
use super::launch::{self, Launched};
use crate::duration::{self, human};
use crate::instance::Instance;
use crate::output::{self, Spinner};
use crate::process::handle::Wait;
use crate::repl::{Repl, ReplError};
use std::time::{Duration, Instant};

/// Waits on the VM proper until `until` (or, `until_known`, until it is known for sure),
/// looking for it below a wrapper meanwhile; answers whether it exited.
pub(super) fn wait_vm(
    launched: &mut Launched,
    until: Instant,
    until_known: bool,
    spinner: &Spinner,
) -> Result<bool, Failure> {
    loop {
        let look = launched.look().map_err(Failure::Other)?;
        if until_known && look.is_none() {
            return Ok(false);
        }
        let next = look.map_or(until, |at| at.min(until));
        match launched.tree.vm().wait(Some(next), &[], Some(spinner)) {
            Ok(Wait::TimedOut) if next < until => {}
            Ok(Wait::TimedOut) => return Ok(false),
            _ if launched.lost_vm().map_err(Failure::Other)? => {}
            _ => return Ok(true),
        }
    }
}

/// A start counts once the VM has stayed up this long (supervisord's `startsecs`), counted
/// from the moment the VM proper is known (at the earliest `started`): a wrapper may take a
/// while to start it. A script that has stayed up that long with no process beside it (at two
/// looks in a row) is itself the VM; a wrapper gets [`launch::VM_PROPER_WAIT`] at most.
pub(super) fn settle(
    instance: &Instance,
    launched: &mut Launched,
    started: Instant,
    settle: Duration,
) -> Result<(), Failure> {
    let spinner = Spinner::new(
        format!("{}: making sure the VM stays up", instance.name),
        Some(duration::deadline(started, settle)),
    );
    let Some(known_at) = vm_proper(launched, started, settle, &spinner)? else {
        return Ok(());
    };
    if wait_vm(
        launched,
        duration::deadline(known_at, settle),
        false,
        &spinner,
    )? {
        return Err(Failure::Exited);
    }
    Ok(())
}

/// Waits until the VM proper is known for sure, and answers when it was; `None` when the
/// process spawned is taken for it instead: a script that has stayed up `settle` (from
/// `started`) with no process beside it, at two looks in a row, is itself the VM, and a
/// wrapper gets [`launch::VM_PROPER_WAIT`] at most.
pub(super) fn vm_proper(
    launched: &mut Launched,
    started: Instant,
    settle: Duration,
    spinner: &Spinner,
) -> Result<Option<Instant>, Failure> {
    let settled_by = duration::deadline(started, settle);
    let given_up_by = duration::deadline(started, launch::VM_PROPER_WAIT.max(settle));
    launched.look_now();
    let mut known_at = started;
    let mut alone = 0;
    while !launched.known() {
        let until = settled_by.max(Instant::now() + ALONE_LOOK).min(given_up_by);
        if wait_vm(launched, until, true, spinner)? {
            return Err(Failure::Exited);
        }
        known_at = Instant::now();
        if launched.known() {
            break;
        }
        if known_at >= given_up_by {
            return Ok(None);
        }
        if known_at >= settled_by {
            alone = if launched.tree.alone() { alone + 1 } else { 0 };
            if alone == 2 {
                return Ok(None);
            }
        }
    }
    Ok(Some(known_at))
}

/// How often a script that may be the VM itself is looked at once the settle time is over.
const ALONE_LOOK: Duration = Duration::from_millis(20);

/// Without `--wait`, for an image whose startup script names its REPL: the start counts as
/// soon as the REPL answers `GET` (answers true), or else as [`settle`] says: an image whose
/// REPL did not come up still runs. A VM that dies meanwhile is noticed at once.
pub(super) fn answered_or_settled(
    instance: &Instance,
    launched: &mut Launched,
    repl: &Repl,
    settle_for: Duration,
) -> Result<bool, Failure> {
    let started = Instant::now();
    let deadline = duration::deadline(started, settle_for);
    let spinner = Spinner::new(
        format!(
            "{}: waiting for the REPL or the VM to stay up",
            instance.name
        ),
        Some(deadline),
    );
    loop {
        if launched.tree.vm().exited() && !launched.lost_vm().map_err(Failure::Other)? {
            return Err(Failure::Exited);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        // Only the REPL of the VM's tree counts; one that is not (or cannot be told to be)
        // is as if none answered: the settle time decides, as for an image without a REPL.
        if !left.is_zero() && repl.probe(left).is_ok() {
            // The REPL answers: a wrapper has started the VM proper, or is about to.
            return vm_proper(launched, Instant::now(), Duration::ZERO, &spinner).map(|_| true);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            drop(spinner);
            return settle(instance, launched, started, settle_for).map(|()| false);
        }
        let next = duration::from_now(Repl::PROBE_INTERVAL).min(deadline);
        if wait_vm(launched, next, false, &spinner)? {
            return Err(Failure::Exited);
        }
    }
}

/// Waits until the REPL answers `GET`, noticing at once if the VM dies meanwhile. Each
/// request may take the time left: a busy image may answer slowly at first.
pub(super) fn wait_ready(
    instance: &Instance,
    launched: &mut Launched,
    repl: &Repl,
    timeout: Duration,
) -> Result<(), Failure> {
    let deadline = duration::from_now(timeout);
    output::step(format!(
        "{}: waiting up to {} for the REPL at {}",
        instance.name,
        human(timeout),
        repl.url()
    ));
    let spinner = Spinner::new(
        format!("{}: waiting for the REPL", instance.name),
        Some(deadline),
    )
    .before("giving up");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::NotReady);
        }
        if launched.tree.vm().exited() && !launched.lost_vm().map_err(Failure::Other)? {
            return Err(Failure::Exited);
        }
        match repl.probe(left) {
            // The REPL answers: a wrapper has started the VM proper, or is about to.
            Ok(_) => {
                return vm_proper(launched, Instant::now(), Duration::ZERO, &spinner).map(drop);
            }
            // Up, but pharo-ctl cannot use it: no waiting will change that.
            Err(ReplError::Unauthorized { sent }) => return Err(Failure::Unauthorized(sent)),
            Err(why @ (ReplError::NotOwn(_) | ReplError::Unverified(_))) => {
                return Err(Failure::NotOwn(why));
            }
            Err(_) => {}
        }
        let next = duration::from_now(Repl::PROBE_INTERVAL).min(deadline);
        if wait_vm(launched, next, false, &spinner)? {
            return Err(Failure::Exited);
        }
    }
}
