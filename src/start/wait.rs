//! The waits of a start: for the VM proper below a wrapper, for it to stay up (`--settle`),
//! and for its own REPL to answer (`--wait`, or a script that names its REPL), each noticing at
//! once a VM that dies meanwhile. They act through two seams, the launched VM ([`Launch`]) and
//! its REPL ([`Probe`]), so that their decisions are unit-tested against a recording fake, as
//! the stop sequence's and the launcher's are.

use super::Failure;
use super::launch::{self, Launched};
use crate::duration::{self, human};
use crate::output::{self, Spinner};
use crate::process::handle::Wait;
use crate::repl::{Repl, ReplError};
use std::time::{Duration, Instant};

/// The launched VM as the waits see it: [`Launched`], or the unit tests' fake.
pub(super) trait Launch {
    /// Looks for the VM proper below a wrapper when it is time to; when to look next.
    fn look(&mut self) -> anyhow::Result<Option<Instant>>;
    /// Brings the next look forward to now.
    fn look_now(&mut self);
    /// Whether the VM proper is known for sure.
    fn known(&self) -> bool;
    /// Whether the VM proper is the only process of its tree.
    fn alone(&self) -> bool;
    /// Whether what is taken for the VM proper has ended.
    fn vm_exited(&self) -> bool;
    /// Whether what was taken for the VM proper was not it (see [`Launched::lost_vm`]).
    fn lost_vm(&mut self) -> anyhow::Result<bool>;
    /// Waits until the VM proper ends or `until` comes, ticking the spinner.
    fn wait_vm(&mut self, until: Instant, spinner: &Spinner) -> std::io::Result<Wait>;
}

impl Launch for Launched {
    fn look(&mut self) -> anyhow::Result<Option<Instant>> {
        Launched::look(self)
    }
    fn look_now(&mut self) {
        Launched::look_now(self);
    }
    fn known(&self) -> bool {
        Launched::known(self)
    }
    fn alone(&self) -> bool {
        self.tree.alone()
    }
    fn vm_exited(&self) -> bool {
        self.tree.vm().exited()
    }
    fn lost_vm(&mut self) -> anyhow::Result<bool> {
        Launched::lost_vm(self)
    }
    fn wait_vm(&mut self, until: Instant, spinner: &Spinner) -> std::io::Result<Wait> {
        self.tree.vm().wait(Some(until), &[], Some(spinner))
    }
}

/// The REPL as the waits ask it: the instance's own [`Repl`], or the unit tests' fake.
pub(super) trait Probe {
    fn url(&self) -> &str;
    /// `GET /repl` within `timeout`.
    fn probe(&self, timeout: Duration) -> Result<Duration, ReplError>;
}

impl Probe for Repl {
    fn url(&self) -> &str {
        Repl::url(self)
    }
    fn probe(&self, timeout: Duration) -> Result<Duration, ReplError> {
        Repl::probe(self, timeout)
    }
}

/// Waits on the VM proper until `until` (or, `until_known`, until it is known for sure),
/// looking for it below a wrapper meanwhile; answers whether it exited.
pub(super) fn wait_vm(
    launched: &mut impl Launch,
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
        match launched.wait_vm(next, spinner) {
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
    name: &str,
    launched: &mut impl Launch,
    started: Instant,
    settle: Duration,
) -> Result<(), Failure> {
    let spinner = Spinner::new(
        format!("{}: making sure the VM stays up", name),
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
    launched: &mut impl Launch,
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
            alone = if launched.alone() { alone + 1 } else { 0 };
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
    name: &str,
    launched: &mut impl Launch,
    repl: &impl Probe,
    settle_for: Duration,
) -> Result<bool, Failure> {
    let started = Instant::now();
    let deadline = duration::deadline(started, settle_for);
    let spinner = Spinner::new(
        format!("{}: waiting for the REPL or the VM to stay up", name),
        Some(deadline),
    );
    loop {
        if launched.vm_exited() && !launched.lost_vm().map_err(Failure::Other)? {
            return Err(Failure::Exited);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        // Only the REPL of the VM's tree counts. Another process on its address fails the
        // start, as with --wait; one whose owner cannot be told is as if none answered: the
        // settle time decides, as for an image without a REPL.
        if !left.is_zero() {
            match repl.probe(left) {
                // The REPL answers: a wrapper has started the VM proper, or is about to.
                Ok(_) => {
                    return vm_proper(launched, Instant::now(), Duration::ZERO, &spinner)
                        .map(|_| true);
                }
                Err(why @ ReplError::NotOwn(_)) => return Err(Failure::NotOwn(why)),
                Err(_) => {}
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            drop(spinner);
            return settle(name, launched, started, settle_for).map(|()| false);
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
    name: &str,
    launched: &mut impl Launch,
    repl: &impl Probe,
    timeout: Duration,
) -> Result<(), Failure> {
    let deadline = duration::from_now(timeout);
    output::step(format!(
        "{}: waiting up to {} for the REPL at {}",
        name,
        human(timeout),
        repl.url()
    ));
    let spinner =
        Spinner::new(format!("{}: waiting for the REPL", name), Some(deadline)).before("giving up");
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Failure::NotReady);
        }
        if launched.vm_exited() && !launched.lost_vm().map_err(Failure::Other)? {
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

#[cfg(test)]
mod tests {
    //! The waits' decisions against a recording fake: a VM that stays up, ends, or is a
    //! wrapper whose VM proper is found after some looks; a REPL that answers as told.

    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// What a wait did, in order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Act {
        Look,
        Wait,
    }

    #[derive(Default)]
    struct FakeVm {
        acts: RefCell<Vec<Act>>,
        /// The VM proper is known after this many looks (`None`: it never is).
        known_after: Option<usize>,
        looks: usize,
        known: bool,
        alone: bool,
        /// When the VM ends, if it does.
        exits_at: Option<Instant>,
    }

    impl FakeVm {
        fn acts(&self) -> Vec<Act> {
            self.acts.borrow().clone()
        }
    }

    impl Launch for FakeVm {
        fn look(&mut self) -> anyhow::Result<Option<Instant>> {
            self.acts.borrow_mut().push(Act::Look);
            self.looks += 1;
            if self.known_after.is_some_and(|n| self.looks >= n) {
                self.known = true;
            }
            Ok((!self.known).then(|| Instant::now() + Duration::from_millis(5)))
        }
        fn look_now(&mut self) {}
        fn known(&self) -> bool {
            self.known
        }
        fn alone(&self) -> bool {
            self.alone
        }
        fn vm_exited(&self) -> bool {
            self.exits_at.is_some_and(|at| Instant::now() >= at)
        }
        fn lost_vm(&mut self) -> anyhow::Result<bool> {
            Ok(false)
        }
        fn wait_vm(&mut self, until: Instant, _: &Spinner) -> std::io::Result<Wait> {
            self.acts.borrow_mut().push(Act::Wait);
            let ends = self.exits_at.filter(|&at| at <= until);
            std::thread::sleep(
                ends.unwrap_or(until)
                    .saturating_duration_since(Instant::now()),
            );
            Ok(if ends.is_some() {
                Wait::Exited
            } else {
                Wait::TimedOut
            })
        }
    }

    /// A REPL that answers as told, then is unreachable.
    struct FakeRepl {
        answers: RefCell<VecDeque<Result<Duration, ReplError>>>,
        probes: RefCell<usize>,
    }

    impl FakeRepl {
        fn new(answers: Vec<Result<Duration, ReplError>>) -> FakeRepl {
            FakeRepl {
                answers: RefCell::new(answers.into()),
                probes: RefCell::new(0),
            }
        }
        fn probes(&self) -> usize {
            *self.probes.borrow()
        }
    }

    impl Probe for FakeRepl {
        fn url(&self) -> &str {
            "http://127.0.0.1:1/repl"
        }
        fn probe(&self, _: Duration) -> Result<Duration, ReplError> {
            *self.probes.borrow_mut() += 1;
            self.answers
                .borrow_mut()
                .pop_front()
                .unwrap_or(Err(ReplError::Unreachable("connection refused".into())))
        }
    }

    fn up() -> FakeVm {
        FakeVm {
            known: true,
            ..FakeVm::default()
        }
    }

    const SHORT: Duration = Duration::from_millis(150);

    #[test]
    fn a_repl_that_comes_up_makes_the_start_ready() {
        let mut vm = up();
        let unreachable = || Err(ReplError::Unreachable("connection refused".into()));
        let repl = FakeRepl::new(vec![unreachable(), unreachable(), Ok(Duration::ZERO)]);
        assert!(wait_ready("zinc", &mut vm, &repl, Duration::from_secs(10)).is_ok());
        assert_eq!(repl.probes(), 3);
        // Between two probes the VM is waited on, so that its end is noticed at once.
        assert_eq!(vm.acts().iter().filter(|a| **a == Act::Wait).count(), 2);
    }

    #[test]
    fn another_process_on_the_repl_s_address_or_a_401_ends_the_wait_at_once() {
        for (answer, not_its) in [
            (ReplError::NotOwn("port 1 is held by pid 2".into()), true),
            (ReplError::Unverified("cannot be told".into()), true),
            (ReplError::Unauthorized { sent: false }, false),
        ] {
            let mut vm = up();
            let repl = FakeRepl::new(vec![Err(answer)]);
            let outcome = wait_ready("zinc", &mut vm, &repl, Duration::from_secs(10));
            if not_its {
                assert!(matches!(outcome, Err(Failure::NotOwn(_))));
            } else {
                assert!(matches!(outcome, Err(Failure::Unauthorized(false))));
            }
            assert_eq!(repl.probes(), 1, "no second probe");
            assert!(vm.acts().is_empty(), "no wait: {:?}", vm.acts());
        }
    }

    #[test]
    fn a_vm_that_ends_or_a_repl_that_never_answers_fails_the_start() {
        let mut vm = FakeVm {
            exits_at: Some(Instant::now() + Duration::from_millis(60)),
            ..up()
        };
        let repl = FakeRepl::new(Vec::new());
        let outcome = wait_ready("zinc", &mut vm, &repl, Duration::from_secs(10));
        assert!(matches!(outcome, Err(Failure::Exited)));
        let mut vm = up();
        let outcome = wait_ready("zinc", &mut vm, &repl, SHORT);
        assert!(matches!(outcome, Err(Failure::NotReady)));
    }

    #[test]
    fn without_wait_the_repl_s_answer_or_else_the_settle_time_counts() {
        let mut vm = up();
        let repl = FakeRepl::new(vec![Ok(Duration::ZERO)]);
        let answered = answered_or_settled("zinc", &mut vm, &repl, Duration::from_secs(10));
        assert!(matches!(answered, Ok(true)));
        // Another process on the REPL's address fails the start at once.
        let mut vm = up();
        let held = FakeRepl::new(vec![Err(ReplError::NotOwn("held".into()))]);
        let failed = answered_or_settled("zinc", &mut vm, &held, SHORT);
        assert!(matches!(failed, Err(Failure::NotOwn(_))));
        // A REPL that never answers (or whose owner cannot be told): the VM stayed up, it
        // counts.
        let mut vm = up();
        let silent = FakeRepl::new(vec![Err(ReplError::Unverified("cannot be told".into()))]);
        let started = Instant::now();
        let settled = answered_or_settled("zinc", &mut vm, &silent, SHORT);
        assert!(matches!(settled, Ok(false)));
        assert!(started.elapsed() >= SHORT);
        // A VM that ends meanwhile is a failed start.
        let mut vm = FakeVm {
            exits_at: Some(Instant::now() + Duration::from_millis(40)),
            ..up()
        };
        let ended = answered_or_settled("zinc", &mut vm, &FakeRepl::new(Vec::new()), SHORT);
        assert!(matches!(ended, Err(Failure::Exited)));
    }

    #[test]
    fn a_wrapper_s_vm_proper_is_looked_for_and_a_lone_script_is_the_vm() {
        // A wrapper whose VM proper is found at the third look: it then has to stay up.
        let mut vm = FakeVm {
            known_after: Some(3),
            ..FakeVm::default()
        };
        assert!(settle("zinc", &mut vm, Instant::now(), SHORT).is_ok());
        assert!(vm.looks >= 3, "{:?}", vm.acts());
        // A script that never starts a VM and stays alone is itself the VM, after the settle
        // time and two looks that find it alone.
        let mut vm = FakeVm {
            alone: true,
            ..FakeVm::default()
        };
        let started = Instant::now();
        assert!(settle("zinc", &mut vm, started, SHORT).is_ok());
        assert!(started.elapsed() >= SHORT);
        // One that ends during the settle time is a failed start.
        let mut vm = FakeVm {
            exits_at: Some(Instant::now() + Duration::from_millis(40)),
            ..up()
        };
        assert!(matches!(
            settle("zinc", &mut vm, Instant::now(), SHORT),
            Err(Failure::Exited)
        ));
    }
}
