//! The client of the image's REPL (Zinc's `ZnReadEvalPrintDelegate`): `GET /repl` as the
//! health probe, `POST /repl` to evaluate, and the recognition of error answers, which Zinc
//! sends with status 200 like any other answer.
//!
//! The REPL runs any code it is sent, so a URL whose host is not loopback is refused before
//! anything connects, unless the operator allows it; no proxy is ever used. The REPL of a
//! known instance is the instance's only when its tree holds the listening socket
//! ([`owner`]): nothing is sent to another process's port, and its credentials
//! ([`credentials`], when the instance has a secret) go only into a request for an address so
//! admitted. Two transports carry the
//! requests: a blocking one ([`http`]) and a poll-driven probe for many REPLs at once
//! ([`crate::repl::ping`]).

pub(crate) mod credentials;
mod error;
pub(crate) mod holder;
pub(crate) mod http;
pub(crate) mod owner;
pub(crate) mod ping;
pub(crate) mod sockets;

use crate::error::Fail;
use crate::exit_code::Code;
use anyhow::Result;
use credentials::Credentials;
pub use error::{ReplError, unauthorized};
pub use http::Reply;
pub use owner::Owner;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::BorrowedFd;
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// The REPL's address when neither `--repl` nor the startup script says otherwise.
pub const DEFAULT_URL: &str = "http://127.0.0.1:42033/repl";

/// A REPL client bound to one URL, and, when it is a known instance's, to that instance
/// ([`Owner`]): then every request first proves where it goes. Its requests carry the
/// instance's credentials, if it has some, and only once that proof is made.
#[derive(Debug, Clone)]
pub struct Repl {
    url: Url,
    /// The address a `localhost` URL is pinned to.
    pinned: Option<SocketAddr>,
    /// Whether the operator gave the URL (`--repl`): then the REPL is not looked for
    /// elsewhere among an instance's sockets.
    given: bool,
    /// Whether the address is named (by `--repl`, or the startup script's port), as opposed
    /// to the default one.
    named: bool,
    owner: Option<Arc<Owner>>,
    credentials: Option<Arc<Credentials>>,
}

impl Repl {
    /// Checks the URL (http, loopback unless `allow_remote`). Nothing connects yet.
    pub fn new(url: &str, allow_remote: bool) -> Result<Repl> {
        let parsed = Url::parse(url).map_err(|e| {
            Fail::new(
                Code::Usage,
                format!("'{url}' is not a REPL URL ({e}): use e.g. {DEFAULT_URL}"),
            )
        })?;
        if parsed.scheme() != "http" {
            return Err(Fail::new(
                Code::Usage,
                format!(
                    "'{url}': the REPL speaks plain http; reach a remote one through an SSH tunnel to loopback"
                ),
            )
            .into());
        }
        let port = parsed.port_or_known_default().unwrap_or(80);
        let pinned = match parsed.host() {
            Some(url::Host::Ipv4(ip)) if ip.is_loopback() => None,
            Some(url::Host::Ipv6(ip)) if is_loopback_v6(&ip) => None,
            // localhost is pinned to 127.0.0.1: no resolver can send it elsewhere.
            Some(url::Host::Domain(host))
                if host.eq_ignore_ascii_case("localhost")
                    || host.eq_ignore_ascii_case("localhost.") =>
            {
                Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
            }
            Some(_) if allow_remote => None,
            _ => {
                return Err(Fail::new(
                    Code::Usage,
                    format!(
                        "refusing the REPL at {url}: its host is not loopback and the REPL runs any code it is sent; use an SSH tunnel, or pass --allow-remote if you mean it"
                    ),
                )
                .into());
            }
        };
        Ok(Repl {
            url: parsed,
            pinned,
            given: false,
            named: false,
            owner: None,
            credentials: None,
        })
    }

    /// The same REPL, whose requests carry `credentials` (HTTP Basic).
    pub fn with_credentials(mut self, credentials: Option<Credentials>) -> Repl {
        self.credentials = credentials.map(Arc::new);
        self
    }

    /// The same REPL without credentials: what any local user's request looks like.
    pub fn without_credentials(&self) -> Repl {
        Repl {
            credentials: None,
            ..self.clone()
        }
    }

    /// The credentials its requests carry.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.credentials.as_deref()
    }

    /// The `Authorization` header line (with its CRLF) of a request, or nothing: to be written
    /// only into a request whose address [`Repl::target`] has admitted.
    pub fn authorization_line(&self) -> String {
        self.credentials
            .as_ref()
            .map_or(String::new(), |c| c.header_line())
    }

    /// The same REPL, its address named by `--repl` or the startup script.
    pub fn named(mut self, named: bool) -> Repl {
        self.named = named;
        self
    }

    /// Whether the address is named, not the default one.
    pub fn is_named(&self) -> bool {
        self.named
    }

    /// The same REPL, its URL given by the operator.
    pub fn given(mut self, given: bool) -> Repl {
        self.given = given;
        self
    }

    /// The REPL of the instance `name` whose process tree is `tree`: sent to only once the
    /// tree is shown to hold it.
    pub fn owned(&self, name: &str, tree: &crate::process::tree::Tree) -> std::io::Result<Repl> {
        let owner = Owner::new(
            name,
            tree.members_view()?,
            !self.given,
            self.authorization_line(),
        );
        Ok(Repl {
            owner: Some(Arc::new(owner)),
            ..self.clone()
        })
    }

    /// The address the next request goes to: the URL's, or, for an instance, the one its
    /// tree is shown to hold ([`Owner::admit`]); or why nothing may be sent.
    pub fn target(&self) -> Result<SocketAddr, ReplError> {
        let nominal = self
            .socket_addr()
            .map_err(|e| ReplError::Unreachable(crate::error::reason(&e)))?;
        match &self.owner {
            Some(owner) => owner.admit(nominal),
            None => Ok(nominal),
        }
    }

    /// Whether it is an instance's REPL ([`Repl::owned`]), whose every request first proves
    /// where it goes.
    pub fn is_owned(&self) -> bool {
        self.owner.is_some()
    }

    /// Whether the instance whose REPL it is has ended (its VM proper is gone).
    pub fn owner_gone(&self) -> bool {
        self.owner.as_ref().is_some_and(|owner| owner.gone())
    }

    /// The URL the REPL was found at when it is not the configured one (the VM holds another).
    pub fn found_url(&self) -> Option<String> {
        let found = self.owner.as_ref()?.found()?;
        Some(format!("http://{found}{}", self.url.path()))
    }

    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// The addresses to connect to, for a client of its own (the console's cancellable
    /// requests): `localhost` is pinned to loopback as for every request.
    pub fn socket_addrs(&self) -> std::io::Result<Vec<SocketAddr>> {
        match self.pinned {
            Some(addr) => Ok(vec![addr]),
            None => self.url.socket_addrs(|| Some(80)),
        }
    }

    /// The address a probe connects to: the first of [`Repl::socket_addrs`].
    pub fn socket_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket_addrs()?.into_iter().next().ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the REPL's host has no address",
            )
        })
    }

    /// The `Host` header and the request target of the URL.
    pub fn host_and_target(&self) -> (String, String) {
        let host = self.url.host_str().unwrap_or_default();
        let host = match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        let target = match self.url.query() {
            Some(query) => format!("{}?{query}", self.url.path()),
            None => self.url.path().to_string(),
        };
        (host, target)
    }

    /// How often a readiness wait (`start --wait`, `run`) asks the REPL.
    pub const PROBE_INTERVAL: Duration = Duration::from_millis(50);
    /// How long one request of the console's health check may take (a readiness wait gives
    /// each request the time it has left).
    pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

    /// The probe's request: `GET` of the URL, with the credentials if there are some: to be
    /// sent only to an address [`Repl::target`] has admitted.
    pub fn get_request(&self) -> Vec<u8> {
        let (host, path) = self.host_and_target();
        request(&host, &path, None, &self.authorization_line())
    }

    /// `GET /repl`: evaluates nothing; answers how long the REPL took to answer.
    pub fn probe(&self, timeout: Duration) -> Result<Duration, ReplError> {
        let target = self.target()?;
        let started = Instant::now();
        http::exchange(target, &self.get_request(), timeout, None)
            .map_err(|e| e.credentials(self.credentials.is_some()))?;
        Ok(started.elapsed())
    }

    /// `POST /repl`: evaluates `expr` and answers the image's answer exactly as it was sent.
    pub fn eval(&self, expr: &str, timeout: Duration) -> Result<Vec<u8>, ReplError> {
        self.eval_timed(expr, timeout).map(|(answer, _)| answer)
    }

    /// `POST /repl` of `expr`, within `timeout`, unless `cancel` (if any) becomes readable
    /// first: the console's cancellable request.
    pub fn post(
        &self,
        expr: &str,
        timeout: Duration,
        cancel: Option<BorrowedFd<'_>>,
    ) -> Result<Reply, ReplError> {
        let target = self.target()?;
        self.send(target, expr, timeout, cancel)
    }

    /// [`Repl::eval`], also answering how long the exchange itself took, from the connection
    /// to the answer (the identity check before it left out): how long the image took.
    pub fn eval_timed(
        &self,
        expr: &str,
        timeout: Duration,
    ) -> Result<(Vec<u8>, Duration), ReplError> {
        let target = self.target()?;
        let started = Instant::now();
        match self.send(target, expr, timeout, None)? {
            Reply::Answer(answer) => Ok((answer, started.elapsed())),
            Reply::Cancelled => Err(ReplError::Dropped),
        }
    }

    /// Sends `POST /repl` of `expr` to `target`, just admitted by [`Repl::target`]: the
    /// credentials go only where the target was admitted.
    fn send(
        &self,
        target: SocketAddr,
        expr: &str,
        timeout: Duration,
        cancel: Option<BorrowedFd<'_>>,
    ) -> Result<Reply, ReplError> {
        let (host, path) = self.host_and_target();
        let request = request(&host, &path, Some(expr), &self.authorization_line());
        http::exchange(target, &request, timeout, cancel)
            .map_err(|e| e.credentials(self.credentials.is_some()))
    }
}

/// A request to Zinc's REPL, the one shape every transport sends: `GET` (no `body`), or `POST`
/// of the expression as UTF-8 text (Zinc answers 404 to a body it takes for binary), each
/// closing the connection after the answer; with `authorization`, the `Authorization` header
/// line of the REPL's credentials (or nothing).
pub fn request(host: &str, path: &str, body: Option<&str>, authorization: &str) -> Vec<u8> {
    match body {
        None => format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\n{authorization}Connection: close\r\n\r\n"
        ),
        Some(body) => format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\n{authorization}Content-Type: text/plain;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    }
    .into_bytes()
}

/// Whether a request of [`request`]'s shape carries credentials: a 401 answers it as
/// refused ones rather than missing ones.
pub fn carries_credentials(request: &[u8]) -> bool {
    let head = request
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(request, |end| &request[..end]);
    head.windows(b"\r\nAuthorization: ".len())
        .any(|w| w == b"\r\nAuthorization: ")
}

fn is_loopback_v6(ip: &std::net::Ipv6Addr) -> bool {
    ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
}

/// Whether an answer is an evaluation error, by its shape: Zinc's exception printString
/// (`Name: message`, or a bare class name) followed by stack lines with `>>`; or a simpler
/// REPL's lone unquoted `Error: …` line.
pub fn is_error_answer(answer: &str) -> bool {
    let mut lines = answer.lines();
    let Some(first) = lines.next() else {
        return false;
    };
    let rest: Vec<&str> = lines.filter(|l| !l.trim().is_empty()).collect();
    if rest.is_empty() {
        return first.starts_with("Error: ");
    }
    let head = first.split(':').next().unwrap_or("");
    let named = head.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    named && rest.iter().any(|l| l.contains(">>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_zinc_error_answers() {
        let zinc = "MessageNotUnderstood: SmallInteger>>plus:\nSmallInteger(Object)>>doesNotUnderstand: #plus:\nUndefinedObject>>DoIt\n";
        assert!(is_error_answer(zinc));
        let nil = "MessageNotUnderstood: receiver of \"fork\" is nil\nUndefinedObject(Object)>>doesNotUnderstand: #fork\nUndefinedObject>>DoIt\n";
        assert!(is_error_answer(nil));
        assert!(is_error_answer(
            "ZeroDivide\nSmallInteger>>/\nUndefinedObject>>DoIt\n"
        ));
        assert!(is_error_answer("Error: Message not understood: fork\n"));
    }

    #[test]
    fn results_are_not_errors() {
        for answer in [
            "1405006117752879898543142606244511569936384000000000\n",
            "true\n",
            "'Error: this is a string'\n",
            "'two\nlines >> with arrows'\n",
            "an OrderedCollection(1 2 3)\n",
            "",
        ] {
            assert!(!is_error_answer(answer), "{answer:?}");
        }
    }

    #[test]
    fn refuses_remote_hosts_before_connecting() {
        for url in [
            "http://10.0.0.1:42033/repl",
            "http://example.com/repl",
            "http://[2001:db8::1]/repl",
        ] {
            let err = Repl::new(url, false).unwrap_err();
            assert!(err.to_string().contains("not loopback"), "{err}");
        }
        for url in [
            "http://127.0.0.1:42033/repl",
            "http://127.1.2.3:1/repl",
            "http://localhost:42033/repl",
            "http://[::1]:42033/repl",
        ] {
            assert!(Repl::new(url, false).is_ok(), "{url}");
        }
        assert!(Repl::new("https://127.0.0.1/repl", false).is_err());
    }
}
