//! `GET /repl` on a non-blocking socket, driven by whoever polls: no thread and no HTTP
//! client. The launcher's watchdog drives one at a time from its own `poll` loop; `status`
//! drives those of every instance at once from one ([`Pings`]), so that fifty REPLs take
//! about as long as the slowest of them, at the cost of fifty sockets and no more.
//!
//! A REPL answers when its status line is `200`; nothing after the status line is read.

use crate::repl::{Repl, ReplError};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, SockaddrStorage};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::{Duration, Instant, SystemTime};

/// One `GET` under way.
pub struct Ping {
    stream: TcpStream,
    phase: Phase,
    /// Whether the request carries credentials.
    authenticated: bool,
    /// When it was sent, by the clock that times it.
    pub sent: Instant,
    /// When it was sent, by the wall clock.
    pub sent_at: SystemTime,
}

enum Phase {
    /// Connecting, then sending the request (what is left of it).
    Sending(Vec<u8>),
    /// Reading the status line.
    Receiving(Vec<u8>),
}

impl Ping {
    /// Connects to `address` (without waiting) and sends `request` as soon as it can.
    pub fn start(address: SocketAddr, request: &[u8]) -> Result<Ping, ReplError> {
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
        let sent = Instant::now();
        let sent_at = SystemTime::now();
        match socket::connect(fd.as_raw_fd(), &SockaddrStorage::from(address)) {
            Ok(()) | Err(Errno::EINPROGRESS) => {}
            Err(e) => return Err(unreachable(e)),
        }
        let stream = TcpStream::from(fd);
        let _ = stream.set_nodelay(true);
        Ok(Ping {
            stream,
            phase: Phase::Sending(request.to_vec()),
            authenticated: super::carries_credentials(request),
            sent,
            sent_at,
        })
    }

    /// The socket and what to wait for on it.
    pub fn fd(&self) -> (BorrowedFd<'_>, PollFlags) {
        let interest = match self.phase {
            Phase::Sending(_) => PollFlags::POLLOUT,
            Phase::Receiving(_) => PollFlags::POLLIN,
        };
        (self.stream.as_fd(), interest)
    }

    /// Does what the socket allows now; answers the result once there is one.
    pub fn advance(&mut self) -> Option<Result<(), ReplError>> {
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
                return Some(status_of(&seen[..end], self.authenticated));
            }
        }
    }
}

/// Probes under way at once, each for at most the same time, driven from one thread: each
/// is sent the moment it is added ([`Pings::send`]), and what has come in is read whenever
/// the caller has a moment ([`Pings::progress`]), until all are in ([`Pings::finish`]). At
/// most [`in_flight`] sockets are open at a time (the others wait for a free one), so that
/// thousands of instances cannot exhaust the descriptors.
pub struct Pings {
    timeout: Duration,
    results: Vec<Option<Result<Duration, ReplError>>>,
    /// Under way: the index of the probe, its ping and its deadline.
    under_way: Vec<(usize, Ping, Instant)>,
    /// Waiting for a free socket: the index, the address and the request.
    waiting: std::collections::VecDeque<(usize, SocketAddr, Vec<u8>)>,
    in_flight: usize,
}

impl Pings {
    /// Probes for at most `timeout` each, as one of `sets` sets of them under way at once (a
    /// thread's each), which share the descriptors.
    pub fn new(timeout: Duration, sets: usize) -> Pings {
        Pings::with_in_flight(timeout, in_flight() / sets.max(1))
    }

    /// Probes of which at most `in_flight` are under way at a time.
    fn with_in_flight(timeout: Duration, in_flight: usize) -> Pings {
        Pings {
            timeout,
            results: Vec::new(),
            under_way: Vec::new(),
            waiting: std::collections::VecDeque::new(),
            in_flight: in_flight.max(1),
        }
    }

    /// Probes `repl`, now if a socket is free; answers the probe's index among the results.
    pub fn send(&mut self, repl: &Repl) -> usize {
        let i = self.results.len();
        self.results.push(None);
        // An instance's REPL proves first that its address is the instance's: only then
        // is the request, with its credentials, written.
        match repl.target() {
            Ok(address) => {
                self.waiting.push_back((i, address, repl.get_request()));
                self.start_waiting();
            }
            Err(why) => self.results[i] = Some(Err(why)),
        }
        i
    }

    fn start_waiting(&mut self) {
        while self.under_way.len() < self.in_flight
            && let Some((i, address, request)) = self.waiting.pop_front()
        {
            match Ping::start(address, &request) {
                Ok(ping) => {
                    let deadline = crate::duration::deadline(ping.sent, self.timeout);
                    self.under_way.push((i, ping, deadline));
                }
                Err(why) => self.results[i] = Some(Err(why)),
            }
        }
    }

    /// Reads what has come in, waiting for at most `wait` for something to.
    pub fn progress(&mut self, wait: Duration) {
        if self.under_way.is_empty() {
            return;
        }
        let now = Instant::now();
        let soonest = self.under_way.iter().map(|(.., d)| *d).min().unwrap_or(now);
        let wait = wait.min(soonest.saturating_duration_since(now));
        let mut fds: Vec<PollFd> = self
            .under_way
            .iter()
            .map(|(_, ping, _)| {
                let (fd, interest) = ping.fd();
                PollFd::new(fd, interest)
            })
            .collect();
        let ready: Vec<bool> = match poll(
            &mut fds,
            PollTimeout::try_from(wait).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(_) | Err(Errno::EINTR) => fds
                .iter()
                .map(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
                .collect(),
            // Nothing more can be waited for: every probe under way fails alike.
            Err(errno) => {
                drop(fds);
                for (i, ..) in self.under_way.drain(..) {
                    self.results[i] = Some(Err(ReplError::Unreachable(errno.desc().to_string())));
                }
                self.start_waiting();
                return;
            }
        };
        let now = Instant::now();
        let (timeout, results) = (self.timeout, &mut self.results);
        let mut k = 0;
        self.under_way.retain_mut(|(i, ping, deadline)| {
            let was_ready = ready[k];
            k += 1;
            let outcome = match was_ready.then(|| ping.advance()).flatten() {
                Some(result) => result.map(|()| ping.sent.elapsed()),
                None if now >= *deadline => Err(ReplError::Timeout(timeout)),
                None => return true,
            };
            results[*i] = Some(outcome);
            false
        });
        self.start_waiting();
    }

    /// Waits for every probe: how long each took to answer, or why it did not, in the order
    /// they were sent.
    pub fn finish(mut self) -> Vec<Result<Duration, ReplError>> {
        while !self.under_way.is_empty() {
            self.progress(self.timeout);
        }
        let timeout = self.timeout;
        self.results
            .into_iter()
            .map(|r| r.unwrap_or(Err(ReplError::Timeout(timeout))))
            .collect()
    }
}

/// How many probes may be under way at once: what the descriptor limit leaves, beside a
/// margin for the files the caller has open.
fn in_flight() -> usize {
    let soft = nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE)
        .map_or(1024, |(soft, _)| soft);
    usize::try_from(soft.saturating_sub(64))
        .unwrap_or(usize::MAX)
        .clamp(16, 4096)
}

/// The probe's result from an HTTP status line: answered when it is 200; a 401 answers a
/// request that did (`authenticated`) or did not carry credentials.
fn status_of(line: &[u8], authenticated: bool) -> Result<(), ReplError> {
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    let code = match (words.next(), words.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/1.") => code.parse().ok(),
        _ => None,
    };
    match code {
        Some(200) => Ok(()),
        Some(code) => Err(ReplError::of_status(code, String::new(), authenticated)),
        None => Err(ReplError::Dropped),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn an_answer_is_a_200_status_line() {
        assert_eq!(status_of(b"HTTP/1.1 200 OK", false), Ok(()));
        assert_eq!(
            status_of(b"HTTP/1.1 404 Not Found", false),
            Err(ReplError::Status(404, String::new()))
        );
        assert_eq!(
            status_of(b"HTTP/1.1 401 Unauthorized", true),
            Err(ReplError::Unauthorized { sent: true })
        );
        assert_eq!(
            status_of(b"SSH-2.0-OpenSSH", false),
            Err(ReplError::Dropped)
        );
    }

    /// A loopback server on a port of the kernel's choosing that takes `connections`
    /// connections, reads each request and gives it `reply` (nothing: closes it; `None`:
    /// holds it open without a word until the test ends).
    fn server(connections: usize, reply: Option<&'static [u8]>) -> (Repl, TcpListener) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepting = listener.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for _ in 0..connections {
                let Ok((mut stream, _)) = accepting.accept() else {
                    return;
                };
                let mut request = [0u8; 512];
                let _ = stream.read(&mut request);
                match reply {
                    Some(reply) => drop(stream.write_all(reply)),
                    None => held.push(stream),
                }
            }
            std::thread::park();
        });
        let repl = Repl::new(&format!("http://127.0.0.1:{port}/repl"), false).unwrap();
        (repl, listener)
    }

    fn probe(repls: &[&Repl], timeout: Duration) -> Vec<Result<Duration, ReplError>> {
        let mut pings = Pings::new(timeout, 1);
        for repl in repls {
            pings.send(repl);
        }
        pings.finish()
    }

    #[test]
    fn each_repl_gets_its_own_verdict() {
        let (answers, _a) = server(1, Some(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        let (refuses, _b) = server(1, Some(b"HTTP/1.1 404 Not Found\r\n\r\n"));
        let (hangs_up, _c) = server(1, Some(b""));
        let (silent, _d) = server(1, None);
        let nobody = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            drop(listener);
            Repl::new(&format!("http://127.0.0.1:{port}/repl"), false).unwrap()
        };
        let timeout = Duration::from_millis(300);
        let results = probe(&[&answers, &refuses, &hangs_up, &silent, &nobody], timeout);
        assert!(results[0].is_ok(), "{results:?}");
        assert_eq!(results[1], Err(ReplError::Status(404, String::new())));
        assert_eq!(results[2], Err(ReplError::Dropped));
        assert_eq!(results[3], Err(ReplError::Timeout(timeout)));
        assert!(
            matches!(&results[4], Err(ReplError::Unreachable(why)) if why.contains("refused")),
            "{results:?}"
        );
    }

    /// A server that answers none of `n` connections before it holds all of them: the probes
    /// are answered only if they are all under way at once.
    fn answers_all_at_once(n: usize) -> (Vec<Repl>, Vec<TcpListener>) {
        let listeners: Vec<TcpListener> = (0..n)
            .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
            .collect();
        let accepting: Vec<TcpListener> =
            listeners.iter().map(|l| l.try_clone().unwrap()).collect();
        std::thread::spawn(move || {
            let mut streams: Vec<TcpStream> = accepting
                .iter()
                .filter_map(|l| l.accept().ok().map(|(s, _)| s))
                .collect();
            for stream in &mut streams {
                let mut request = [0u8; 512];
                let _ = stream.read(&mut request);
            }
            for stream in &mut streams {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
            std::thread::park();
        });
        let repls = listeners
            .iter()
            .map(|l| {
                let port = l.local_addr().unwrap().port();
                Repl::new(&format!("http://127.0.0.1:{port}/repl"), false).unwrap()
            })
            .collect();
        (repls, listeners)
    }

    #[test]
    fn the_probes_are_under_way_at_once() {
        let (repls, _listeners) = answers_all_at_once(12);
        let repls: Vec<&Repl> = repls.iter().collect();
        let results = probe(&repls, Duration::from_secs(10));
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    }

    #[test]
    fn no_more_sockets_are_open_than_allowed() {
        let (repl, _listener) = server(6, Some(b"HTTP/1.1 200 OK\r\n\r\n"));
        let mut pings = Pings::with_in_flight(Duration::from_secs(10), 2);
        for _ in 0..6 {
            pings.send(&repl);
            assert!(pings.under_way.len() <= 2);
        }
        assert_eq!(pings.waiting.len(), 4);
        while !pings.under_way.is_empty() {
            pings.progress(Duration::from_secs(10));
            assert!(pings.under_way.len() <= 2);
        }
        assert!(pings.waiting.is_empty());
        let results = pings.finish();
        assert_eq!(results.len(), 6);
        assert!(results.iter().all(Result::is_ok), "{results:?}");
    }
}
