//! Loopback for tests: free ports, plain HTTP to a REPL, a squatter on a port, and the
//! datagram socket systemd's notifications arrive on.

use super::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::{Duration, Instant};

/// A free TCP port on loopback, never the same twice in one test run. A port the kernel picks
/// (`bind` to port 0) is free only until it is closed: a test that hands it to a VM that binds
/// it later, or never, would race with every other test doing the same, and with the kernel's
/// own choice of ports for outgoing connections. So the ports come from a range below the
/// kernel's ephemeral ones (32768 and up), one after another from an offset of this run's own,
/// each checked free when handed out.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 12_000;
    const SPAN: u32 = 20_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let offset = std::process::id().wrapping_mul(7_919) % SPAN;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(LOW + (offset + n) % SPAN).unwrap();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on loopback between {LOW} and {}", LOW + SPAN);
}

/// A plain HTTP/1.1 exchange on loopback, for tests that talk to the double directly.
pub fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// Whether something accepts connections on a loopback port.
pub fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Whether a REPL on a loopback port answers `GET /repl` with 200 within a second.
pub fn repl_answers(port: u16) -> bool {
    let limit = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), limit) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(limit));
    let _ = stream.set_write_timeout(Some(limit));
    if stream
        .write_all(b"GET /repl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}

/// A local process that is no VM squatting a loopback port: an HTTP server that answers
/// `/repl` like Zinc and records the first line of every request it gets. It stops when
/// dropped.
pub struct Squatter {
    port: u16,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Squatter {
    /// Binds `port` on 127.0.0.1 (it must be free) and serves it from a thread.
    pub fn bind(port: u16) -> Squatter {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen, stopped) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).to_string();
                seen.lock()
                    .unwrap()
                    .push(text.lines().next().unwrap_or("").to_string());
                let body = "# Pharo Smalltalk REPL. POST expressions to evaluate\n";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Squatter {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The first lines of the requests it got, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Squatter {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A datagram socket in the test's directory (or an abstract one) that receives what the
/// launcher sends to `NOTIFY_SOCKET`.
pub struct NotifySocket {
    socket: UnixDatagram,
    pub value: String,
    pub received: Vec<String>,
}

impl NotifySocket {
    pub fn at_path(env: &Env) -> NotifySocket {
        let path = env.file("notify.sock");
        let socket = UnixDatagram::bind(&path).unwrap();
        NotifySocket::new(socket, path.to_string_lossy().into_owned())
    }

    pub fn abstract_socket() -> NotifySocket {
        let name = format!("pharo-ctl-test/{}/{}", std::process::id(), free_port());
        let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let socket = UnixDatagram::bind_addr(&addr).unwrap();
        NotifySocket::new(socket, format!("@{name}"))
    }

    fn new(socket: UnixDatagram, value: String) -> NotifySocket {
        NotifySocket {
            socket,
            value,
            received: Vec::new(),
        }
    }

    /// Receives messages until one equals `message`; fails the test after `limit`.
    #[track_caller]
    pub fn wait_for(&mut self, message: &str, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.received.iter().any(|m| m == message) {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no {message:?} within {limit:?}; received {:?}",
                self.received
            );
            self.socket.set_read_timeout(Some(left)).unwrap();
            let mut buf = [0u8; 4096];
            if let Ok(n) = self.socket.recv(&mut buf) {
                self.received
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        }
    }

    /// Receives whatever else arrived, without waiting.
    pub fn drain(&mut self) {
        self.socket.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 4096];
        while let Ok(n) = self.socket.recv(&mut buf) {
            self.received
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }

    pub fn has(&self, prefix: &str) -> bool {
        self.received.iter().any(|m| m.starts_with(prefix))
    }
}
