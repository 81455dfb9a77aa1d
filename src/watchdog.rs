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
use crate::repl::{Repl, ReplError};
use anyhow::{Context as _, Result};
use nix::errno::Errno;
use nix::poll::PollFlags;
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, SockaddrStorage};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd};
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
    address: SocketAddr,
    request: Vec<u8>,
    next: Instant,
    probe: Option<Probe>,
    missed: u32,
    /// When the first of the misses in a row began (for [`crate::hung`]).
    pub first_missed_at: Option<SystemTime>,
}

impl Watchdog {
    /// A watchdog on `repl`, whose first probe is due an INTERVAL from now. A host name other
    /// than localhost (a remote REPL, when allowed) is resolved once, here.
    pub fn new(config: Config, repl: &Repl) -> Result<Watchdog> {
        let url = url::Url::parse(repl.url()).context("the REPL URL")?;
        let host = url.host_str().unwrap_or("127.0.0.1").to_string();
        let port = url.port_or_known_default().unwrap_or(80);
        let address = match url.host() {
            Some(url::Host::Ipv4(ip)) => SocketAddr::new(IpAddr::V4(ip), port),
            Some(url::Host::Ipv6(ip)) => SocketAddr::new(IpAddr::V6(ip), port),
            Some(url::Host::Domain(name))
                if name.eq_ignore_ascii_case("localhost")
                    || name.eq_ignore_ascii_case("localhost.") =>
            {
                SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
            }
            _ => (host.as_str(), port)
                .to_socket_addrs()
                .with_context(|| format!("cannot resolve the REPL's host {host}"))?
                .next()
                .with_context(|| format!("the REPL's host {host} has no address"))?,
        };
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        let request =
            format!("GET {target} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        Ok(Watchdog {
            config,
            address,
            request: request.into_bytes(),
            next: crate::duration::from_now(config.interval),
            probe: None,
            missed: 0,
            first_missed_at: None,
        })
    }

    /// Schedules the first probe an INTERVAL from now (the image has just become ready).
    pub fn arm(&mut self) {
        self.next = crate::duration::from_now(self.config.interval);
    }

    /// When the launcher must wake up at the latest: the next probe, or the deadline of the
    /// one under way.
    pub fn wake_at(&self) -> Instant {
        self.probe.as_ref().map_or(self.next, |p| p.deadline)
    }

    /// The socket of the probe under way and what to wait for on it.
    pub fn fd(&self) -> Option<(BorrowedFd<'_>, PollFlags)> {
        self.probe
            .as_ref()
            .map(|p| (p.stream.as_fd(), p.phase.interest()))
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
            match Probe::start(self.address, &self.request, deadline) {
                Ok(probe) => self.probe = Some(probe),
                Err(why) => return self.missed(why, SystemTime::now()),
            }
        }
        let probe = self.probe.as_mut().expect("a probe is under way");
        let result = match probe.advance() {
            Some(result) => result,
            None if now >= probe.deadline => Err(ReplError::Timeout(self.config.interval)),
            None => return Outcome::Quiet,
        };
        let started_at = probe.started_at;
        self.probe = None;
        match result {
            Ok(()) => {
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

/// One `GET` under way on a non-blocking socket.
struct Probe {
    stream: TcpStream,
    phase: Phase,
    deadline: Instant,
    started_at: SystemTime,
}

enum Phase {
    /// Connecting, then sending the request (what is left of it).
    Sending(Vec<u8>),
    /// Reading the status line.
    Receiving(Vec<u8>),
}

impl Phase {
    fn interest(&self) -> PollFlags {
        match self {
            Phase::Sending(_) => PollFlags::POLLOUT,
            Phase::Receiving(_) => PollFlags::POLLIN,
        }
    }
}

impl Probe {
    fn start(address: SocketAddr, request: &[u8], deadline: Instant) -> Result<Probe, ReplError> {
        let unreachable = |e: Errno| ReplError::Unreachable(e.desc().to_string());
        let family = match address {
            SocketAddr::V4(_) => AddressFamily::Inet,
            SocketAddr::V6(_) => AddressFamily::Inet6,
        };
        let fd = socket::socket(
            family,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(unreachable)?;
        let target = SockaddrStorage::from(address);
        match socket::connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &target) {
            Ok(()) | Err(Errno::EINPROGRESS) => {}
            Err(e) => return Err(unreachable(e)),
        }
        let stream = TcpStream::from(fd);
        let _ = stream.set_nodelay(true);
        Ok(Probe {
            stream,
            phase: Phase::Sending(request.to_vec()),
            deadline,
            started_at: SystemTime::now(),
        })
    }

    /// Does what the socket allows now; answers the probe's result once there is one.
    fn advance(&mut self) -> Option<Result<(), ReplError>> {
        if let Phase::Sending(left) = &mut self.phase {
            if let Ok(Some(e)) = self.stream.take_error() {
                return Some(Err(ReplError::Unreachable(crate::error::reason(&e))));
            }
            while !left.is_empty() {
                match self.stream.write(left) {
                    Ok(n) => drop(left.drain(..n)),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
                    // Not connected yet.
                    Err(e) if e.kind() == ErrorKind::NotConnected => return None,
                    Err(e) => return Some(Err(ReplError::Unreachable(crate::error::reason(&e)))),
                }
            }
            self.phase = Phase::Receiving(Vec::with_capacity(64));
        }
        let Phase::Receiving(seen) = &mut self.phase else {
            unreachable!("the request is sent")
        };
        let mut chunk = [0u8; 256];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Some(Err(ReplError::Dropped)),
                Ok(n) => seen.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return None,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Some(Err(ReplError::Dropped)),
            }
            if let Some(end) = seen.windows(2).position(|w| w == b"\r\n") {
                return Some(status_of(&seen[..end]));
            }
        }
    }
}

/// The probe's result from an HTTP status line: answered when it is 200.
fn status_of(line: &[u8]) -> Result<(), ReplError> {
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    let code = match (words.next(), words.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/1.") => code.parse().ok(),
        _ => None,
    };
    match code {
        Some(200) => Ok(()),
        Some(code) => Err(ReplError::Status(code, String::new())),
        None => Err(ReplError::Dropped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_a_200_status_line() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK"), Ok(()));
        assert_eq!(
            status_of(b"HTTP/1.1 404 Not Found"),
            Err(ReplError::Status(404, String::new()))
        );
        assert_eq!(status_of(b"SSH-2.0-OpenSSH"), Err(ReplError::Dropped));
    }

    #[test]
    fn a_hung_image_is_noticed_within_n_plus_1_intervals() {
        let config = Config {
            interval: Duration::from_secs(10),
            misses: 3,
        };
        assert_eq!(config.verdict_within(), Duration::from_secs(40));
    }
}
