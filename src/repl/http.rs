//! The blocking transport of the REPL client: one HTTP/1.1 request on a plain TCP connection
//! of its own, its answer awaited in `poll` on the connection and, for the console, on a
//! descriptor that becomes readable when the operator presses Ctrl-C (the signal pipe). A
//! cancelled request has its connection closed at once; the image may still be evaluating it.
//! `eval`, the stop's shutdown request, the readiness waits and the console use it; the
//! probes that many REPLs answer at once use the poll-driven one ([`crate::repl::ping`]).

use super::ReplError;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

/// How a request ended, when it did not fail.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// The image's answer, exactly as it was sent.
    Answer(Vec<u8>),
    /// The operator cancelled it; the connection is closed.
    Cancelled,
}

/// Sends `request` (a whole HTTP/1.1 request) to `addr` and reads the answer, within
/// `timeout`, unless `cancel` (if any) becomes readable first.
pub fn exchange(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
    cancel: Option<BorrowedFd<'_>>,
) -> Result<Reply, ReplError> {
    let deadline = crate::duration::from_now(timeout);
    let mut stream = connect(addr, timeout)?;
    stream.write_all(request).map_err(|_| ReplError::Dropped)?;
    stream
        .set_nonblocking(true)
        .map_err(|e| ReplError::Unreachable(crate::error::reason(&e)))?;
    let mut received = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ReplError::Timeout(timeout));
        }
        let mut fds = vec![PollFd::new(stream.as_fd(), PollFlags::POLLIN)];
        fds.extend(cancel.map(|fd| PollFd::new(fd, PollFlags::POLLIN)));
        match poll(
            &mut fds,
            PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX),
        ) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(errno) => return Err(ReplError::Unreachable(errno.desc().to_string())),
        }
        if fds
            .get(1)
            .is_some_and(|fd| fd.revents().is_some_and(|r| !r.is_empty()))
        {
            return Ok(Reply::Cancelled);
        }
        match stream.read(&mut chunk) {
            Ok(0) => {
                return parse(&received, true)
                    .unwrap_or(Err(ReplError::Dropped))
                    .map(Reply::Answer);
            }
            Ok(n) => {
                received.extend_from_slice(&chunk[..n]);
                // A whole answer is enough, whether or not the server closes at once.
                if let Some(answer) = parse(&received, false) {
                    return answer.map(Reply::Answer);
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            // Reset mid-answer: what a quitting image does.
            Err(_) => return Err(ReplError::Dropped),
        }
    }
}

fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, ReplError> {
    match TcpStream::connect_timeout(&addr, timeout) {
        Ok(stream) => {
            let _ = stream.set_nodelay(true);
            Ok(stream)
        }
        Err(e) if e.kind() == ErrorKind::TimedOut => Err(ReplError::Timeout(timeout)),
        Err(e) => Err(ReplError::Unreachable(crate::error::reason(&e))),
    }
}

/// The body of an HTTP/1.1 response whose status is 200, or the refusal of another status;
/// `None` while it is not whole yet (at the end of the stream, `at_end`, a body without a
/// length is whole).
fn parse(response: &[u8], at_end: bool) -> Option<Result<Vec<u8>, ReplError>> {
    let end = find(response, b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&response[..end]);
    let body = &response[end + 4..];
    let Some(status) = head
        .split("\r\n")
        .next()
        .and_then(|line| line.split_whitespace().nth(1))
        .and_then(|code| code.parse::<u16>().ok())
    else {
        return Some(Err(ReplError::Dropped));
    };
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_string())
        })
    };
    let body = if header("transfer-encoding").is_some_and(|te| te.eq_ignore_ascii_case("chunked")) {
        dechunk(body)?
    } else if let Some(length) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.get(..length)?.to_vec()
    } else if at_end {
        body.to_vec()
    } else {
        return None;
    };
    Some(match status {
        200 => Ok(body),
        _ => Err(ReplError::Status(
            status,
            String::from_utf8_lossy(&body).into_owned(),
        )),
    })
}

/// A chunked body, decoded; `None` when it is cut short.
fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut decoded = Vec::new();
    loop {
        let line_end = find(body, b"\r\n")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(decoded);
        }
        decoded.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_zinc_s_answers() {
        let zinc = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=utf-8\r\nContent-Length: 2\r\n\r\n7\n";
        assert_eq!(parse(zinc, false), Some(Ok(b"7\n".to_vec())));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n42\r\n1\r\n\n\r\n0\r\n\r\n";
        assert_eq!(parse(chunked, false), Some(Ok(b"42\n".to_vec())));
        let until_closed = b"HTTP/1.0 200 OK\r\n\r\ntrue\n";
        assert_eq!(parse(until_closed, false), None);
        assert_eq!(parse(until_closed, true), Some(Ok(b"true\n".to_vec())));
    }

    #[test]
    fn a_part_of_an_answer_is_not_whole() {
        for part in [
            &b""[..],
            b"HTTP/1.1 200 OK\r\nContent-",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n7\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        ] {
            assert_eq!(parse(part, true), None, "{}", String::from_utf8_lossy(part));
        }
        assert_eq!(
            parse(b"garbage\r\n\r\n", true),
            Some(Err(ReplError::Dropped))
        );
    }

    #[test]
    fn other_statuses_are_refusals() {
        let refused = b"HTTP/1.1 404 Not Found\r\nContent-Length: 15\r\n\r\nNot Found /repl";
        assert_eq!(
            parse(refused, false),
            Some(Err(ReplError::Status(404, "Not Found /repl".to_string())))
        );
    }
}
