//! Stopping: the stop sequence (here), and the stop of one instance ([`one`]).
//!
//! The stop sequence, shared by `stop`, `restart`, a failed `start --wait` and the launcher:
//! ask the image to shut down through its REPL, wait up to the grace period for it to exit,
//! then SIGTERM and wait again, then SIGKILL. An error answer or an unreachable REPL skips the
//! grace at once; a connection dropped after a quit expression counts as accepted. The signals
//! reach every process of the VM's tree and nothing else, and each wait lasts until no process
//! of the tree is left: it sleeps on their pidfds, so the exit is noticed the moment it happens.

pub(crate) mod one;
mod request;

pub use request::Shutdown;

use crate::duration::{self, human};
use crate::error::Fail;
use crate::exit_code::Code;
use crate::output::{self, Spinner};
use crate::process::handle::Wait;
use crate::process::tree::Tree;
use crate::repl::{Repl, ReplError};
use anyhow::{Result, bail};
use nix::sys::signal::Signal;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

/// How long to wait after SIGKILL before giving up on a process (one stuck in the kernel).
const AFTER_KILL: Duration = Duration::from_secs(10);

/// What the stop sequence needs to know.
#[derive(Debug, Clone)]
pub struct Plan<'a, R: ?Sized = Repl> {
    /// The instance's name, for the step lines.
    pub name: &'a str,
    /// The REPL; `None` skips the cooperative request (e.g. the image never became ready).
    pub repl: Option<&'a R>,
    /// The Smalltalk that asks the image to shut down.
    pub shutdown: &'a str,
    /// How long the image may take to exit after accepting the request.
    pub grace: Duration,
    /// How long between SIGTERM and SIGKILL.
    pub kill_after: Duration,
}

/// How an instance is stopped, resolved once from the command line: the shutdown expression
/// and the two waits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The Smalltalk that asks the image to shut down.
    pub shutdown: String,
    /// How long the image may take to exit after the shutdown request.
    pub grace: Duration,
    /// SIGTERM to SIGKILL.
    pub kill_after: Duration,
}

impl Settings {
    /// The stop sequence of the instance `name`, asking `repl` when one is given.
    pub fn plan<'a>(&'a self, name: &'a str, repl: Option<&'a Repl>) -> Plan<'a> {
        Plan {
            name,
            repl,
            shutdown: &self.shutdown,
            grace: self.grace,
            kill_after: self.kill_after,
        }
    }
}

/// How the process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// It exited by itself after the shutdown request (or before anything was sent).
    Cooperative,
    /// SIGTERM ended it.
    Terminated,
    /// SIGKILL ended it.
    Killed,
}

/// The result of a stop: how it ended and how long it took.
#[derive(Debug, Clone, Copy)]
pub struct Stopped {
    pub ending: Ending,
    pub elapsed: Duration,
}

impl Stopped {
    /// Warns, when the stop had to fall back to signals, that the shutdown was not
    /// cooperative and what to check.
    pub fn warn_if_not_cooperative(&self, name: &str) {
        if !self.cooperative() {
            output::warn(format!(
                "{name}: the shutdown was not cooperative; check that the startup script defines ShutdownSequence and starts the REPL, and that pharo-ctl has the credentials a protected REPL asks for"
            ));
        }
    }

    /// `zinc stopped cooperatively in 0.42s`, `zinc terminated by SIGTERM after 5.01s`, …
    pub fn describe(&self, name: &str) -> String {
        let took = human(self.elapsed);
        match self.ending {
            Ending::Cooperative => format!("{name} stopped cooperatively in {took}"),
            Ending::Terminated => format!("{name} terminated by SIGTERM after {took}"),
            Ending::Killed => format!("{name} killed by SIGKILL after {took}"),
        }
    }

    pub fn cooperative(&self) -> bool {
        self.ending == Ending::Cooperative
    }
}

/// The process tree the stop sequence acts on: a VM's [`Tree`], or the unit tests' recording
/// fake. See [`Tree`]'s methods of the same names.
pub trait Target {
    /// The VM proper, which the step lines name.
    fn pid(&self) -> i32;
    /// Signals every process of the tree and answers the pids reached.
    fn signal(&mut self, signal: Signal) -> io::Result<Vec<i32>>;
    /// Whether no process of the tree is left.
    fn gone(&mut self) -> bool;
    /// Waits until the tree is gone, the deadline passes or one of `extra` is readable.
    fn wait(
        &mut self,
        deadline: Option<Instant>,
        extra: &[BorrowedFd<'_>],
        spinner: Option<&Spinner>,
    ) -> io::Result<Wait>;
}

impl Target for Tree {
    fn pid(&self) -> i32 {
        Tree::pid(self)
    }

    fn signal(&mut self, signal: Signal) -> io::Result<Vec<i32>> {
        Tree::signal(self, signal)
    }

    fn gone(&mut self) -> bool {
        Tree::gone(self)
    }

    fn wait(
        &mut self,
        deadline: Option<Instant>,
        extra: &[BorrowedFd<'_>],
        spinner: Option<&Spinner>,
    ) -> io::Result<Wait> {
        Tree::wait(self, deadline, extra, spinner)
    }
}

/// Something that can cut a wait short: the launcher's second signal. `fd` becomes readable
/// when there is news; `escalate` reads it and says whether to move to the next step now.
pub trait Interrupts {
    fn fd(&self) -> BorrowedFd<'_>;
    fn escalate(&mut self) -> bool;
}

/// Runs the stop sequence on a running VM's process tree.
pub fn stop<R: Shutdown + ?Sized>(
    tree: &mut impl Target,
    plan: &Plan<'_, R>,
    mut interrupts: Option<&mut dyn Interrupts>,
) -> Result<Stopped> {
    let started = Instant::now();
    let name = plan.name;
    let done = |ending| {
        Ok(Stopped {
            ending,
            elapsed: started.elapsed(),
        })
    };
    // The tree's members are listed (and watched) before anything is asked of the image, so
    // that its exit is noticed the moment it happens.
    if tree.gone() {
        return done(Ending::Cooperative);
    }

    let admitted = plan.repl.and_then(|repl| match repl.admit() {
        Ok(url) => Some((repl, url)),
        Err(error @ ReplError::Unreachable(_)) => {
            output::step(format!("{name}: the REPL is {error}, so no grace period"));
            None
        }
        Err(error) => {
            output::step(format!(
                "{name}: no shutdown request sent, so no grace period: {error}"
            ));
            None
        }
    });
    if let Some((repl, url)) = admitted {
        output::step(format!(
            "{name}: asking the image to shut down: POST '{}' to {url}",
            plan.shutdown,
        ));
        let deadline = duration::deadline(started, plan.grace);
        let request = repl.request(plan.shutdown, plan.grace)?;
        let mut pending = Some(request);
        let spinner =
            Spinner::new(format!("waiting for {name} to exit"), Some(deadline)).before("SIGTERM");
        loop {
            let mut extra: Vec<BorrowedFd<'_>> = Vec::with_capacity(2);
            if let Some(interrupts) = interrupts.as_deref() {
                extra.push(interrupts.fd());
            }
            if let Some(request) = &pending {
                extra.push(request.done.as_fd());
            }
            let has_interrupts = interrupts.is_some();
            match tree.wait(Some(deadline), &extra, Some(&spinner))? {
                Wait::Exited => return done(Ending::Cooperative),
                Wait::TimedOut => {
                    output::step(format!(
                        "{name}: still running after the {} grace period",
                        human(plan.grace)
                    ));
                    break;
                }
                Wait::Ready(0) if has_interrupts => {
                    if interrupts.as_deref_mut().is_some_and(|i| i.escalate()) {
                        output::step(format!(
                            "{name}: escalating at once: not waiting for the cooperative shutdown"
                        ));
                        break;
                    }
                }
                Wait::Ready(_) => {
                    let request = pending.take().expect("a request is pending");
                    if !request.accepted(name) {
                        break;
                    }
                    output::step(format!(
                        "{name}: shutdown accepted; waiting up to {} for the image to exit",
                        human(deadline.saturating_duration_since(Instant::now()))
                    ));
                }
            }
        }
    }

    if tree.gone() {
        return done(Ending::Cooperative);
    }
    let pids = send(tree, Signal::SIGTERM, name)?;
    output::step(format!(
        "{name}: sending SIGTERM to {}; waiting up to {}",
        describe_pids(tree, &pids),
        human(plan.kill_after)
    ));
    let deadline = duration::from_now(plan.kill_after);
    let spinner = Spinner::new(
        format!("waiting for {name} to exit after SIGTERM"),
        Some(deadline),
    )
    .before("SIGKILL");
    loop {
        let extra: Vec<BorrowedFd<'_>> =
            interrupts.as_deref().map(|i| i.fd()).into_iter().collect();
        match tree.wait(Some(deadline), &extra, Some(&spinner))? {
            Wait::Exited => return done(Ending::Terminated),
            Wait::TimedOut => {
                output::step(format!(
                    "{name}: still running {} after SIGTERM",
                    human(plan.kill_after)
                ));
                break;
            }
            Wait::Ready(_) => {
                if interrupts.as_deref_mut().is_some_and(|i| i.escalate()) {
                    output::step(format!("{name}: escalating to SIGKILL at once"));
                    break;
                }
            }
        }
    }
    drop(spinner);

    let pids = send(tree, Signal::SIGKILL, name)?;
    output::step(format!(
        "{name}: sending SIGKILL to {}",
        describe_pids(tree, &pids)
    ));
    kill_wait(tree, name).map(|()| Stopped {
        ending: Ending::Killed,
        elapsed: started.elapsed(),
    })
}

/// Ends a tree at once with SIGKILL (a start that cannot go on), and waits for it to be gone.
pub fn kill(tree: &mut impl Target, name: &str) -> Result<()> {
    send(tree, Signal::SIGKILL, name)?;
    kill_wait(tree, name)
}

/// Waits for a tree after SIGKILL.
fn kill_wait(tree: &mut impl Target, name: &str) -> Result<()> {
    match tree.wait(Some(duration::from_now(AFTER_KILL)), &[], None)? {
        Wait::Exited => Ok(()),
        _ => bail!(
            "{name}: pid {} is still alive {} after SIGKILL (stuck in the kernel?); see `cat /proc/{}/stack`",
            tree.pid(),
            human(AFTER_KILL),
            tree.pid()
        ),
    }
}

/// `pid 4242`, or `pid 4242 and its tree (pids 4240, 4241)` for a VM under a wrapper.
fn describe_pids(tree: &impl Target, pids: &[i32]) -> String {
    let others: Vec<String> = pids
        .iter()
        .filter(|&&pid| pid != tree.pid())
        .map(i32::to_string)
        .collect();
    if others.is_empty() {
        format!("pid {}", tree.pid())
    } else {
        format!(
            "pid {} and the rest of its process tree (pids {})",
            tree.pid(),
            others.join(", ")
        )
    }
}

/// Sends a signal to the VM's tree and answers the pids it reached; a VM we may not signal
/// (another user's) is exit 4 with what to do.
fn send(tree: &mut impl Target, signal: Signal, name: &str) -> Result<Vec<i32>> {
    tree.signal(signal).map_err(|e| {
        if e.raw_os_error() == Some(libc::EPERM) {
            Fail::new(
                Code::Unknown,
                format!(
                    "no permission to signal {name}'s VM (pid {}): run pharo-ctl as its user or as root",
                    tree.pid()
                ),
            )
            .into()
        } else {
            anyhow::Error::new(e).context(format!(
                "cannot send {} to {name}'s VM (pid {})",
                signal.as_str(),
                tree.pid()
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    //! The escalation against a recording fake: a tree whose waits end as the test says, a
    //! REPL that answers as told, and a launcher's second signal.

    use super::request::Request;
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::os::fd::OwnedFd;
    use std::rc::Rc;

    /// What the stop sequence did, in order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Act {
        /// The shutdown expression was posted.
        Post(String),
        /// A wait, with its length in whole seconds (rounded up).
        Wait(u64),
        Signal(Signal),
        /// The interrupts were read; whether they escalated.
        Interrupted(bool),
    }
    use Act::{Interrupted, Post, Signal as Sent, Wait as Waited};

    type Log = Rc<RefCell<Vec<Act>>>;

    /// How the next wait ends.
    #[derive(Debug, Clone, Copy)]
    enum Then {
        Exit,
        Timeout,
        /// The REPL's answer is in.
        Answer,
        /// A signal reached the launcher.
        Interrupt,
    }

    struct FakeTree {
        log: Log,
        waits: VecDeque<Then>,
        alive: bool,
        /// The errno every signal fails with.
        refuse: Option<i32>,
    }

    impl Target for FakeTree {
        fn pid(&self) -> i32 {
            4242
        }

        fn signal(&mut self, signal: Signal) -> io::Result<Vec<i32>> {
            self.log.borrow_mut().push(Sent(signal));
            match self.refuse {
                Some(errno) => Err(io::Error::from_raw_os_error(errno)),
                None => Ok(vec![4242, 4240]),
            }
        }

        fn gone(&mut self) -> bool {
            !self.alive
        }

        fn wait(
            &mut self,
            deadline: Option<Instant>,
            extra: &[BorrowedFd<'_>],
            _: Option<&Spinner>,
        ) -> io::Result<Wait> {
            let left = deadline.map_or(Duration::ZERO, |d| d - Instant::now());
            self.log
                .borrow_mut()
                .push(Waited(left.as_secs() + u64::from(left.subsec_nanos() > 0)));
            let then = self.waits.pop_front().expect("the test scripts every wait");
            Ok(match then {
                Then::Exit => {
                    self.alive = false;
                    Wait::Exited
                }
                Then::Timeout => Wait::TimedOut,
                // The interrupts come first among the descriptors, the request last.
                Then::Interrupt => Wait::Ready(0),
                Then::Answer => Wait::Ready(extra.len() - 1),
            })
        }
    }

    /// How the fake REPL answers the shutdown request.
    #[derive(Debug, Clone)]
    enum Answer {
        Body(&'static str),
        Fails(ReplError),
    }

    struct FakeRepl {
        log: Log,
        answer: Answer,
    }

    impl Shutdown for FakeRepl {
        fn url(&self) -> &str {
            "http://127.0.0.1:1/repl"
        }

        fn request(&self, expr: &str, _: Duration) -> Result<Request> {
            self.log.borrow_mut().push(Post(expr.to_string()));
            let answer = match self.answer.clone() {
                Answer::Body(body) => Ok(body.as_bytes().to_vec()),
                Answer::Fails(error) => Err(error),
            };
            Request::spawn(move || answer)
        }
    }

    struct FakeInterrupts {
        log: Log,
        /// Never readable: the fake tree says when an interrupt came.
        pipe: (OwnedFd, OwnedFd),
        escalations: VecDeque<bool>,
    }

    impl Interrupts for FakeInterrupts {
        fn fd(&self) -> BorrowedFd<'_> {
            self.pipe.0.as_fd()
        }

        fn escalate(&mut self) -> bool {
            let escalates = self.escalations.pop_front().expect("scripted");
            self.log.borrow_mut().push(Interrupted(escalates));
            escalates
        }
    }

    const SHUTDOWN: &str = "Smalltalk snapshot: false andQuit: true";

    /// A stop play: the REPL (or none), how each wait ends, and (for a launcher) whether each
    /// interrupt escalates. Answers how it ended and what it did.
    struct Play {
        repl: Option<Answer>,
        waits: Vec<Then>,
        escalations: Option<Vec<bool>>,
        refuse: Option<i32>,
    }

    impl Play {
        fn new(repl: Option<Answer>, waits: &[Then]) -> Play {
            Play {
                repl,
                waits: waits.to_vec(),
                escalations: None,
                refuse: None,
            }
        }

        fn interrupted(mut self, escalations: &[bool]) -> Play {
            self.escalations = Some(escalations.to_vec());
            self
        }

        fn run(self) -> (Result<Ending>, Vec<Act>) {
            let log = Log::default();
            let mut tree = FakeTree {
                log: Rc::clone(&log),
                waits: self.waits.into(),
                alive: true,
                refuse: self.refuse,
            };
            let repl = self.repl.map(|answer| FakeRepl {
                log: Rc::clone(&log),
                answer,
            });
            let plan = Plan {
                name: "zinc",
                repl: repl.as_ref(),
                shutdown: SHUTDOWN,
                grace: Duration::from_secs(5),
                kill_after: Duration::from_secs(3),
            };
            let mut interrupts = self.escalations.map(|escalations| FakeInterrupts {
                log: Rc::clone(&log),
                pipe: nix::unistd::pipe().unwrap(),
                escalations: escalations.into(),
            });
            let interrupts = interrupts.as_mut().map(|i| i as &mut dyn Interrupts);
            let ending = stop(&mut tree, &plan, interrupts).map(|stopped| stopped.ending);
            assert!(tree.waits.is_empty(), "waits left: {:?}", tree.waits);
            (ending, log.take())
        }
    }

    fn post() -> Act {
        Post(SHUTDOWN.to_string())
    }

    #[test]
    fn an_accepted_shutdown_waits_out_the_grace_then_is_cooperative() {
        let play = Play::new(Some(Answer::Body("'bye'")), &[Then::Answer, Then::Exit]);
        let (ending, acts) = play.run();
        assert_eq!(ending.unwrap(), Ending::Cooperative);
        assert_eq!(acts, [post(), Waited(5), Waited(5)]);
    }

    #[test]
    fn an_image_that_outlives_the_grace_gets_sigterm() {
        let play = Play::new(
            Some(Answer::Body("'bye'")),
            &[Then::Answer, Then::Timeout, Then::Exit],
        );
        let (ending, acts) = play.run();
        assert_eq!(ending.unwrap(), Ending::Terminated);
        assert_eq!(
            acts,
            [
                post(),
                Waited(5),
                Waited(5),
                Sent(Signal::SIGTERM),
                Waited(3)
            ]
        );
    }

    #[test]
    fn an_image_that_outlives_sigterm_gets_sigkill() {
        let play = Play::new(
            Some(Answer::Body("'bye'")),
            &[Then::Answer, Then::Timeout, Then::Timeout, Then::Exit],
        );
        let (ending, acts) = play.run();
        assert_eq!(ending.unwrap(), Ending::Killed);
        assert_eq!(
            acts,
            [
                post(),
                Waited(5),
                Waited(5),
                Sent(Signal::SIGTERM),
                Waited(3),
                Sent(Signal::SIGKILL),
                Waited(AFTER_KILL.as_secs()),
            ]
        );
    }

    #[test]
    fn an_image_that_never_answers_gets_sigterm_after_the_grace() {
        let (ending, acts) =
            Play::new(Some(Answer::Body("'bye'")), &[Then::Timeout, Then::Exit]).run();
        assert_eq!(ending.unwrap(), Ending::Terminated);
        assert_eq!(acts, [post(), Waited(5), Sent(Signal::SIGTERM), Waited(3)]);
    }

    #[test]
    fn an_error_answer_or_a_refusal_skips_the_grace() {
        let refusals = [
            Answer::Body(
                "MessageNotUnderstood: nil>>shutdown\nUndefinedObject(Object)>>doesNotUnderstand: #shutdown\n",
            ),
            Answer::Fails(ReplError::Unreachable("connection refused".into())),
            Answer::Fails(ReplError::Status(404, "not found".into())),
            Answer::Fails(ReplError::Unauthorized { sent: false }),
            Answer::Fails(ReplError::Unauthorized { sent: true }),
        ];
        for answer in refusals {
            let (ending, acts) = Play::new(Some(answer.clone()), &[Then::Answer, Then::Exit]).run();
            assert_eq!(ending.unwrap(), Ending::Terminated, "{answer:?}");
            assert_eq!(
                acts,
                [post(), Waited(5), Sent(Signal::SIGTERM), Waited(3)],
                "{answer:?}"
            );
        }
    }

    #[test]
    fn a_dropped_connection_or_a_slow_answer_counts_as_accepted() {
        for error in [
            ReplError::Dropped,
            ReplError::Timeout(Duration::from_secs(5)),
        ] {
            let answer = Answer::Fails(error.clone());
            let (ending, acts) = Play::new(Some(answer), &[Then::Answer, Then::Exit]).run();
            assert_eq!(ending.unwrap(), Ending::Cooperative, "{error:?}");
            assert_eq!(acts, [post(), Waited(5), Waited(5)], "{error:?}");
        }
    }

    #[test]
    fn without_a_repl_the_sequence_starts_at_sigterm() {
        let (ending, acts) = Play::new(None, &[Then::Exit]).run();
        assert_eq!(ending.unwrap(), Ending::Terminated);
        assert_eq!(acts, [Sent(Signal::SIGTERM), Waited(3)]);
    }

    #[test]
    fn an_image_that_exits_before_answering_is_cooperative() {
        let (ending, acts) = Play::new(Some(Answer::Body("'bye'")), &[Then::Exit]).run();
        assert_eq!(ending.unwrap(), Ending::Cooperative);
        assert_eq!(acts, [post(), Waited(5)]);
    }

    #[test]
    fn a_second_signal_skips_to_the_next_step_each_time() {
        let play = Play::new(
            Some(Answer::Body("'bye'")),
            &[Then::Interrupt, Then::Interrupt, Then::Exit],
        )
        .interrupted(&[true, true]);
        let (ending, acts) = play.run();
        assert_eq!(ending.unwrap(), Ending::Killed);
        assert_eq!(
            acts,
            [
                post(),
                Waited(5),
                Interrupted(true),
                Sent(Signal::SIGTERM),
                Waited(3),
                Interrupted(true),
                Sent(Signal::SIGKILL),
                Waited(AFTER_KILL.as_secs()),
            ]
        );
    }

    #[test]
    fn a_signal_that_does_not_escalate_keeps_the_wait_going() {
        let play = Play::new(
            Some(Answer::Body("'bye'")),
            &[Then::Interrupt, Then::Answer, Then::Exit],
        )
        .interrupted(&[false]);
        let (ending, acts) = play.run();
        assert_eq!(ending.unwrap(), Ending::Cooperative);
        assert_eq!(
            acts,
            [post(), Waited(5), Interrupted(false), Waited(5), Waited(5)]
        );
    }

    #[test]
    fn a_vm_we_may_not_signal_is_exit_4() {
        let mut play = Play::new(None, &[]);
        play.refuse = Some(libc::EPERM);
        let (ending, acts) = play.run();
        let error = ending.unwrap_err();
        assert_eq!(crate::error::code_of(&error), Code::Unknown);
        assert!(
            error
                .to_string()
                .contains("no permission to signal zinc's VM (pid 4242)"),
            "{error}"
        );
        assert_eq!(acts, [Sent(Signal::SIGTERM)]);
    }

    #[test]
    fn a_vm_that_outlives_sigkill_is_an_error_naming_it() {
        let play = Play::new(None, &[Then::Timeout, Then::Timeout]);
        let (ending, acts) = play.run();
        let error = ending.unwrap_err().to_string();
        assert!(
            error.contains("pid 4242 is still alive") && error.contains("/proc/4242/stack"),
            "{error}"
        );
        assert_eq!(
            acts,
            [
                Sent(Signal::SIGTERM),
                Waited(3),
                Sent(Signal::SIGKILL),
                Waited(AFTER_KILL.as_secs()),
            ]
        );
    }

    #[test]
    fn kill_sends_sigkill_and_waits() {
        let log = Log::default();
        let mut tree = FakeTree {
            log: Rc::clone(&log),
            waits: [Then::Exit].into(),
            alive: true,
            refuse: None,
        };
        kill(&mut tree, "zinc").unwrap();
        assert_eq!(
            log.take(),
            [Sent(Signal::SIGKILL), Waited(AFTER_KILL.as_secs())]
        );
    }
}
