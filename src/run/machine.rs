//! The launcher's state machine: waiting for the image to become ready, running (with or
//! without a watchdog), and the three ways out: a stop signal, the VM's own end, and the
//! verdict that the image is hung or never became ready. It acts only through [`Ports`]: the
//! launcher's signal pipe, VM, REPL probes and service manager ([`super::live`]), or the
//! recording fake of the unit tests below.

use crate::duration::human;
use crate::error::Fail;
use crate::exit_code::Code;
use crate::output;
use crate::process::describe_status;
use crate::repl::ReplError;
use crate::run::watchdog::{Config, Outcome};
use crate::start::launch;
use crate::stop::Stopped;
use anyhow::Result;
use nix::sys::signal::Signal;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::Duration;

/// What woke the launcher up.
#[derive(Debug)]
pub(super) enum Event<T = ()> {
    /// SIGTERM, SIGINT or SIGHUP.
    Stop(Signal),
    /// The VM ended by itself.
    Exited(ExitStatus),
    /// What was waited for: the readiness probe's answer, the watchdog's wake-up.
    Ready(T),
}

impl Event {
    /// The same event, with what was waited for (`Ready`) made into something.
    pub(super) fn with<T>(self, ready: impl FnOnce() -> T) -> Event<T> {
        match self {
            Event::Stop(signal) => Event::Stop(signal),
            Event::Exited(status) => Event::Exited(status),
            Event::Ready(()) => Event::Ready(ready()),
        }
    }
}

/// What the state machine acts on.
pub(super) trait Ports {
    /// The instance's name, for the step lines.
    fn name(&self) -> &str;
    /// The VM proper.
    fn pid(&self) -> i32;
    /// The REPL's URL.
    fn url(&self) -> &str;
    /// Whether a service manager hears of the launcher's state (`Type=notify`).
    fn notifies(&self) -> bool;
    /// Tells the service manager, if there is one (`READY=1`, `STOPPING=1`…).
    fn notify(&self, message: &str);
    /// Tells the service manager, if there is one, a line of status (`STATUS=`).
    fn status(&self, line: &str);
    /// Probes the REPL until it answers or `timeout` passes; answers how long it took, or
    /// the event that came first.
    fn ready(&mut self, timeout: Duration) -> Result<Event<Result<Duration, ReplError>>>;
    /// The VM is up: what runs the image now is the VM proper.
    fn settled(&mut self) -> Result<()>;
    /// Sleeps until a stop signal or the VM's end (or nothing: `Ready`).
    fn next(&mut self) -> Result<Event>;
    /// Arms the watchdog, if one is configured, and answers its configuration.
    fn start_watchdog(&mut self) -> Option<Config>;
    /// Sleeps until the watchdog's next wake-up, or a stop signal, or the VM's end.
    fn probe(&mut self) -> Result<Event<Outcome>>;
    /// Records that the REPL has gone unanswered since the first miss in a row, or (`false`)
    /// that it answers again.
    fn record_unanswered(&mut self, missing: bool);
    /// A stack dump of the VM, into its log.
    fn dump(&mut self);
    /// The stop sequence on the VM's tree: through the REPL first when `cooperative`.
    fn stop_tree(&mut self, cooperative: bool) -> Result<Stopped>;
    /// Waits for the spawned process and answers the status to pass on (see
    /// [`Ports::passed_on`]).
    fn reap(&mut self) -> ExitStatus;
    /// The status to pass on, given the spawned process's: the VM proper's when a wrapper
    /// ended before it (it was reaped here), else the spawned process's (a wrapper passes
    /// its VM's on).
    fn passed_on(&mut self, spawned: ExitStatus) -> ExitStatus;
    /// Whether no process of the VM's tree is left.
    fn tree_gone(&mut self) -> bool;
}

/// Waits for the REPL, then for a stop signal, the VM's end, or (with a watchdog) the verdict
/// that the image is hung; answers the exit code.
pub(super) fn supervise(ports: &mut impl Ports, start_timeout: Duration) -> Result<Code> {
    let name = ports.name().to_string();
    output::step(format!(
        "{name}: waiting up to {} for the REPL at {}",
        human(start_timeout),
        ports.url()
    ));
    let answer = match ports.ready(start_timeout)? {
        Event::Stop(signal) => return stop(ports, signal),
        Event::Exited(status) => return exited(ports, status),
        Event::Ready(answer) => answer,
    };
    ports.settled()?;
    match answer {
        Ok(after) => {
            output::step(format!(
                "{name} is ready: its REPL answered after {}",
                human(after)
            ));
            ports.notify("READY=1");
            output::step(format!("{name} is running (pid {})", ports.pid()));
        }
        Err(ReplError::Unauthorized { sent }) => return locked_out(ports, sent),
        Err(why) => {
            // Another process on the REPL's address fails the start as a missing answer
            // under Type=notify does.
            if ports.notifies() || matches!(why, ReplError::NotOwn(_)) {
                return not_ready(ports, start_timeout, &why);
            }
            output::warn(format!(
                "{name}: the REPL at {} did not answer within {} ({why}); a stop will not be cooperative",
                ports.url(),
                human(start_timeout)
            ));
        }
    }
    match ports.start_watchdog() {
        Some(config) => watch(ports, config),
        None => loop {
            match ports.next()? {
                Event::Stop(signal) => return stop(ports, signal),
                Event::Exited(status) => return exited(ports, status),
                Event::Ready(()) => {}
            }
        },
    }
}

/// The stop sequence on a signal: a clean exit after the REPL's shutdown is a success.
fn stop(ports: &mut impl Ports, signal: Signal) -> Result<Code> {
    let name = ports.name().to_string();
    ports.notify("STOPPING=1");
    output::step(format!(
        "{name}: received {}: stopping the image (a second SIGTERM or SIGINT skips to the next step)",
        signal.as_str()
    ));
    let stopped = ports.stop_tree(true)?;
    if stopped.cooperative() {
        // The VM quit after the request; only a clean exit is a cooperative stop.
        let status = ports.reap();
        if status.success() {
            output::step(stopped.describe(&name));
            return Ok(Code::Success);
        }
        output::step(format!(
            "{name}: the VM {} during its shutdown",
            describe_status(status)
        ));
        output::warn(format!(
            "{name}: the shutdown did not end cleanly; see the VM's output above"
        ));
        Ok(exit_code_of(status))
    } else {
        output::step(stopped.describe(&name));
        stopped.warn_if_not_cooperative(&name);
        Ok(Code::Failure)
    }
}

/// The REPL did not answer in time under `Type=notify`: a failed start, never a silent
/// success. The VM is stopped with signals (there is no REPL to ask).
fn not_ready(ports: &mut impl Ports, timeout: Duration, why: &ReplError) -> Result<Code> {
    let name = ports.name().to_string();
    ports.notify("STOPPING=1");
    let not_its = matches!(why, ReplError::NotOwn(_));
    if not_its {
        output::step(format!("{name}: not its REPL: {why}; stopping the VM"));
    } else {
        output::step(format!(
            "{name}: the REPL did not answer within {} ({why}); stopping the VM",
            human(timeout)
        ));
    }
    let stopped = ports.stop_tree(false)?;
    output::step(stopped.describe(&name));
    let reason = if not_its {
        why.to_string()
    } else {
        launch::unanswered(ports.url(), timeout)
    };
    Err(Fail::new(
        Code::Failure,
        format!("{name} did not become ready: {reason}"),
    )
    .into())
}

/// The REPL answers 401: the image is up, but pharo-ctl lacks the credentials it asks for
/// (`sent`: it refused those sent), so it could neither watch nor stop it cooperatively. A
/// failed start, whether or not systemd waits for readiness: the VM is stopped with signals.
fn locked_out(ports: &mut impl Ports, sent: bool) -> Result<Code> {
    let name = ports.name().to_string();
    ports.notify("STOPPING=1");
    output::step(format!(
        "{name}: the REPL answers, but it {}; stopping the VM",
        ReplError::Unauthorized { sent }
    ));
    let stopped = ports.stop_tree(false)?;
    output::step(stopped.describe(&name));
    Err(Fail::new(
        Code::Failure,
        format!(
            "{name} did not become ready: {}",
            crate::repl::unauthorized(ports.url(), sent)
        ),
    )
    .into())
}

/// The VM ended by itself: pass its status on (a wrapper passes the VM's), so that
/// `Restart=` policies work. What is left of its tree is stopped with signals.
fn exited(ports: &mut impl Ports, status: ExitStatus) -> Result<Code> {
    let name = ports.name().to_string();
    ports.notify("STOPPING=1");
    if !ports.tree_gone() {
        output::step(format!(
            "{name}: the process it spawned {} without being asked to stop; stopping what is left of its process tree",
            describe_status(status)
        ));
        ports.stop_tree(false)?;
    }
    let status = ports.passed_on(status);
    output::step(format!(
        "{name}: the VM {} without being asked to stop",
        describe_status(status)
    ));
    Ok(exit_code_of(status))
}

/// Probes the REPL every INTERVAL until a stop signal, the VM's end, or N probes in a row
/// without an answer: then a stack dump, the stop sequence, and exit 8 ("hung").
fn watch(ports: &mut impl Ports, config: Config) -> Result<Code> {
    let name = ports.name().to_string();
    let Config { interval, misses } = config;
    output::step(format!(
        "{name}: watchdog: probing the REPL every {}; {misses} probes in a row without an answer stop the image",
        human(interval)
    ));
    loop {
        match ports.probe()? {
            Event::Stop(signal) => return stop(ports, signal),
            Event::Exited(status) => return exited(ports, status),
            Event::Ready(Outcome::Quiet) => {}
            Event::Ready(Outcome::Answered { after }) => {
                ports.notify("WATCHDOG=1");
                ports.record_unanswered(false);
                if after > 0 {
                    output::step(format!(
                        "{name}: the REPL answers again, after {after} unanswered probe{}",
                        if after == 1 { "" } else { "s" }
                    ));
                }
            }
            Event::Ready(Outcome::Missed { count, why }) => {
                ports.record_unanswered(true);
                alert(
                    ports,
                    format!(
                        "{name}: the REPL did not answer the watchdog's probe ({count} of {misses} in a row): {why}"
                    ),
                );
            }
            Event::Ready(Outcome::Hung { why }) => return hung(ports, config, &why),
        }
    }
}

/// The verdict: the image is hung. A stack dump (SIGUSR1) goes to the VM's stderr (the
/// journal) and its crash.dmp, then the stop sequence runs without the REPL, which does not
/// answer, and the launcher exits 8, so that `Restart=` or the container runtime restarts
/// the service.
fn hung(ports: &mut impl Ports, config: Config, why: &ReplError) -> Result<Code> {
    let name = ports.name().to_string();
    // STOPPING=1 also ends systemd's own watchdog.
    ports.notify("STOPPING=1");
    alert(
        ports,
        format!(
            "{name} is hung: its REPL did not answer {} probes in a row, one every {} (the last: {why}), while its VM (pid {}) lives",
            config.misses,
            human(config.interval),
            ports.pid()
        ),
    );
    ports.dump();
    let stopped = ports.stop_tree(false)?;
    output::step(stopped.describe(&name));
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
fn alert(ports: &impl Ports, line: String) {
    ports.status(&line);
    output::warn(line);
}

/// The VM's status as pharo-ctl's own exit status: its code, or 128+N for signal N, as a shell
/// reports it.
fn exit_code_of(status: ExitStatus) -> Code {
    match (status.code(), status.signal()) {
        (Some(0), _) => Code::Success,
        (Some(code), _) => Code::Raw(code as u8),
        (None, Some(signal)) => Code::Raw(128u8.wrapping_add(signal as u8)),
        _ => Code::Failure,
    }
}

#[cfg(test)]
mod tests {
    //! The state machine against a recording fake: each test scripts what the launcher
    //! hears, and checks what it did and how it ends.

    use super::*;
    use crate::stop::Ending;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// What the state machine asked for, in order.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Act {
        Notify(&'static str),
        Status(String),
        Settled,
        Watchdog,
        Unanswered(bool),
        Dump,
        /// The stop sequence, through the REPL first or not.
        StopTree {
            cooperative: bool,
        },
        Reap,
    }
    use Act::*;

    /// The launcher's world as the test scripts it.
    struct Fake {
        log: RefCell<Vec<Act>>,
        notifies: bool,
        ready: Option<Event<Result<Duration, ReplError>>>,
        events: VecDeque<Event>,
        watchdog: Option<Config>,
        probes: VecDeque<Event<Outcome>>,
        /// How each stop sequence ends.
        stops: VecDeque<Ending>,
        /// The spawned process's status once reaped.
        status: ExitStatus,
        /// Whether the tree is gone after the VM exited.
        gone: bool,
    }

    impl Fake {
        fn new(ready: Event<Result<Duration, ReplError>>) -> Fake {
            Fake {
                log: RefCell::default(),
                notifies: false,
                ready: Some(ready),
                events: VecDeque::new(),
                watchdog: None,
                probes: VecDeque::new(),
                stops: VecDeque::new(),
                status: exit(0),
                gone: true,
            }
        }

        /// Runs the state machine to its end: the exit code, or the error's code and text.
        fn supervise(&mut self) -> Result<Code, (Code, String)> {
            let outcome = supervise(self, Duration::from_secs(30))
                .map_err(|e| (crate::error::code_of(&e), e.to_string()));
            assert!(self.events.is_empty(), "events left: {:?}", self.events);
            assert!(self.probes.is_empty(), "probes left: {:?}", self.probes);
            assert!(self.stops.is_empty(), "stops left: {:?}", self.stops);
            outcome
        }
    }

    impl Ports for Fake {
        fn name(&self) -> &str {
            "zinc"
        }

        fn pid(&self) -> i32 {
            4242
        }

        fn url(&self) -> &str {
            "http://127.0.0.1:42033/repl"
        }

        fn notifies(&self) -> bool {
            self.notifies
        }

        fn notify(&self, message: &str) {
            let message = ["READY=1", "STOPPING=1", "WATCHDOG=1"]
                .into_iter()
                .find(|known| *known == message)
                .expect("a known notification");
            self.log.borrow_mut().push(Notify(message));
        }

        fn status(&self, line: &str) {
            self.log.borrow_mut().push(Status(line.to_string()));
        }

        fn ready(&mut self, _: Duration) -> Result<Event<Result<Duration, ReplError>>> {
            Ok(self.ready.take().expect("one readiness wait"))
        }

        fn settled(&mut self) -> Result<()> {
            self.log.borrow_mut().push(Settled);
            Ok(())
        }

        fn next(&mut self) -> Result<Event> {
            Ok(self
                .events
                .pop_front()
                .expect("the test scripts every event"))
        }

        fn start_watchdog(&mut self) -> Option<Config> {
            let config = self.watchdog?;
            self.log.borrow_mut().push(Watchdog);
            Some(config)
        }

        fn probe(&mut self) -> Result<Event<Outcome>> {
            Ok(self
                .probes
                .pop_front()
                .expect("the test scripts every probe"))
        }

        fn record_unanswered(&mut self, missing: bool) {
            self.log.borrow_mut().push(Unanswered(missing));
        }

        fn dump(&mut self) {
            self.log.borrow_mut().push(Dump);
        }

        fn stop_tree(&mut self, cooperative: bool) -> Result<Stopped> {
            self.log.borrow_mut().push(StopTree { cooperative });
            Ok(Stopped {
                ending: self.stops.pop_front().expect("the test scripts every stop"),
                elapsed: Duration::from_millis(420),
            })
        }

        fn reap(&mut self) -> ExitStatus {
            self.log.borrow_mut().push(Reap);
            self.status
        }

        fn passed_on(&mut self, spawned: ExitStatus) -> ExitStatus {
            spawned
        }

        fn tree_gone(&mut self) -> bool {
            self.gone
        }
    }

    fn exit(code: i32) -> ExitStatus {
        ExitStatus::from_raw(code << 8)
    }

    fn answered() -> Event<Result<Duration, ReplError>> {
        Event::Ready(Ok(Duration::from_millis(800)))
    }

    #[test]
    fn a_stop_signal_during_the_start_stops_the_image_through_its_repl() {
        let mut fake = Fake::new(Event::Stop(Signal::SIGTERM));
        fake.stops.push_back(Ending::Cooperative);
        assert_eq!(fake.supervise(), Ok(Code::Success));
        assert_eq!(
            *fake.log.borrow(),
            [Notify("STOPPING=1"), StopTree { cooperative: true }, Reap]
        );
    }

    #[test]
    fn a_stop_that_took_signals_is_a_failure() {
        for ending in [Ending::Terminated, Ending::Killed] {
            let mut fake = Fake::new(Event::Stop(Signal::SIGINT));
            fake.stops.push_back(ending);
            assert_eq!(fake.supervise(), Ok(Code::Failure), "{ending:?}");
            assert_eq!(
                *fake.log.borrow(),
                [Notify("STOPPING=1"), StopTree { cooperative: true }]
            );
        }
    }

    #[test]
    fn an_unclean_end_after_the_shutdown_passes_its_status_on() {
        let mut fake = Fake::new(Event::Stop(Signal::SIGHUP));
        fake.stops.push_back(Ending::Cooperative);
        fake.status = exit(3);
        assert_eq!(fake.supervise(), Ok(Code::Raw(3)));
    }

    #[test]
    fn a_vm_that_ends_during_the_start_passes_its_status_on() {
        let mut fake = Fake::new(Event::Exited(exit(2)));
        assert_eq!(fake.supervise(), Ok(Code::Raw(2)));
        assert_eq!(*fake.log.borrow(), [Notify("STOPPING=1")]);
    }

    #[test]
    fn what_is_left_of_a_tree_whose_vm_died_is_stopped_with_signals() {
        // Killed by SIGSEGV: 128 + 11, as a shell says it.
        let mut fake = Fake::new(Event::Exited(ExitStatus::from_raw(11)));
        fake.gone = false;
        fake.stops.push_back(Ending::Terminated);
        assert_eq!(fake.supervise(), Ok(Code::Raw(139)));
        assert_eq!(
            *fake.log.borrow(),
            [Notify("STOPPING=1"), StopTree { cooperative: false }]
        );
    }

    #[test]
    fn readiness_is_announced_then_the_launcher_waits_for_a_signal() {
        let mut fake = Fake::new(answered());
        fake.events = [Event::Ready(()), Event::Stop(Signal::SIGTERM)].into();
        fake.stops.push_back(Ending::Cooperative);
        assert_eq!(fake.supervise(), Ok(Code::Success));
        assert_eq!(
            *fake.log.borrow(),
            [
                Settled,
                Notify("READY=1"),
                Notify("STOPPING=1"),
                StopTree { cooperative: true },
                Reap
            ]
        );
    }

    #[test]
    fn a_vm_that_ends_while_running_passes_its_status_on() {
        let mut fake = Fake::new(answered());
        fake.events = [Event::Exited(exit(0))].into();
        assert_eq!(fake.supervise(), Ok(Code::Success));
        assert_eq!(
            *fake.log.borrow(),
            [Settled, Notify("READY=1"), Notify("STOPPING=1")]
        );
    }

    #[test]
    fn no_answer_in_time_is_a_warning_without_a_service_manager() {
        let mut fake = Fake::new(Event::Ready(Err(ReplError::Timeout(Duration::from_secs(
            30,
        )))));
        fake.events = [Event::Exited(exit(1))].into();
        assert_eq!(fake.supervise(), Ok(Code::Raw(1)));
        assert_eq!(*fake.log.borrow(), [Settled, Notify("STOPPING=1")]);
    }

    #[test]
    fn no_answer_in_time_under_type_notify_fails_the_start() {
        let mut fake = Fake::new(Event::Ready(Err(ReplError::Dropped)));
        fake.notifies = true;
        fake.stops.push_back(Ending::Terminated);
        let (code, message) = fake.supervise().unwrap_err();
        assert_eq!(code, Code::Failure);
        assert!(
            message.starts_with(
                "zinc did not become ready: its REPL at http://127.0.0.1:42033/repl did not answer within"
            ),
            "{message}"
        );
        assert_eq!(
            *fake.log.borrow(),
            [
                Settled,
                Notify("STOPPING=1"),
                StopTree { cooperative: false }
            ]
        );
    }

    #[test]
    fn a_repl_that_asks_for_credentials_pharo_ctl_lacks_fails_the_start_in_any_case() {
        for notifies in [false, true] {
            let mut fake = Fake::new(Event::Ready(Err(ReplError::Unauthorized { sent: false })));
            fake.notifies = notifies;
            fake.stops.push_back(Ending::Terminated);
            let (code, message) = fake.supervise().unwrap_err();
            assert_eq!(code, Code::Failure);
            assert!(
                message.contains("did not become ready")
                    && message.contains("asks for credentials and pharo-ctl has none"),
                "{message}"
            );
            assert_eq!(
                *fake.log.borrow(),
                [
                    Settled,
                    Notify("STOPPING=1"),
                    StopTree { cooperative: false }
                ]
            );
        }
    }

    #[test]
    fn the_watchdog_stops_a_hung_image_after_a_dump() {
        let config = Config {
            interval: Duration::from_secs(1),
            misses: 2,
        };
        let missed = |count| {
            Event::Ready(Outcome::Missed {
                count,
                why: ReplError::Dropped,
            })
        };
        let mut fake = Fake::new(answered());
        fake.watchdog = Some(config);
        fake.probes = [
            Event::Ready(Outcome::Quiet),
            Event::Ready(Outcome::Answered { after: 0 }),
            missed(1),
            Event::Ready(Outcome::Answered { after: 1 }),
            missed(1),
            Event::Ready(Outcome::Hung {
                why: ReplError::Dropped,
            }),
        ]
        .into();
        fake.stops.push_back(Ending::Killed);
        let (code, _) = fake.supervise().unwrap_err();
        assert_eq!(code, Code::Hung);
        let missed = Status(
            "zinc: the REPL did not answer the watchdog's probe (1 of 2 in a row): the connection was closed without an answer".into(),
        );
        let hung = Status(format!(
            "zinc is hung: its REPL did not answer 2 probes in a row, one every {} (the last: the connection was closed without an answer), while its VM (pid 4242) lives",
            human(config.interval)
        ));
        assert_eq!(
            *fake.log.borrow(),
            [
                Settled,
                Notify("READY=1"),
                Watchdog,
                Notify("WATCHDOG=1"),
                Unanswered(false),
                Unanswered(true),
                missed.clone(),
                Notify("WATCHDOG=1"),
                Unanswered(false),
                Unanswered(true),
                missed,
                Notify("STOPPING=1"),
                hung,
                Dump,
                StopTree { cooperative: false },
            ]
        );
    }

    #[test]
    fn a_signal_or_the_vm_s_end_while_watching_ends_the_watch() {
        let config = Config {
            interval: Duration::from_secs(1),
            misses: 3,
        };
        let mut fake = Fake::new(answered());
        fake.watchdog = Some(config);
        fake.probes = [Event::Stop(Signal::SIGTERM)].into();
        fake.stops.push_back(Ending::Cooperative);
        assert_eq!(fake.supervise(), Ok(Code::Success));
        assert_eq!(
            fake.log.borrow()[3..],
            [Notify("STOPPING=1"), StopTree { cooperative: true }, Reap]
        );

        let mut fake = Fake::new(answered());
        fake.watchdog = Some(config);
        fake.probes = [Event::Exited(exit(137))].into();
        assert_eq!(fake.supervise(), Ok(Code::Raw(137)));
        assert_eq!(fake.log.borrow()[3..], [Notify("STOPPING=1")]);
    }
}
