//! The systemd notification protocol (`sd_notify`): datagrams such as `READY=1`, `STATUS=…`
//! and `STOPPING=1` sent to the socket named by `NOTIFY_SOCKET`, a path or, when it starts
//! with `@`, an abstract socket. Without `NOTIFY_SOCKET` nothing is sent.

use crate::error::Fail;
use crate::exit_code::Code;
use crate::output;
use anyhow::Result;
use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::sync::atomic::{AtomicBool, Ordering};

/// The environment variable systemd sets for `Type=notify` services.
pub const NOTIFY_SOCKET: &str = "NOTIFY_SOCKET";

/// A connection to the service manager's notification socket.
#[derive(Debug)]
pub struct Notifier {
    socket: UnixDatagram,
    addr: SocketAddr,
    /// Whether a failed send was reported already (it is reported once).
    warned: AtomicBool,
}

impl Notifier {
    /// The notifier `NOTIFY_SOCKET` asks for, or `None` when it is unset or empty.
    pub fn from_env() -> Result<Option<Notifier>> {
        let Some(value) = std::env::var_os(NOTIFY_SOCKET).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let text = value.to_string_lossy();
        let invalid = |why: String| {
            Fail::new(
                Code::NotConfigured,
                format!("{NOTIFY_SOCKET}={text} {why}: it must be a socket path or @NAME"),
            )
        };
        let addr = if let Some(name) = text.strip_prefix('@') {
            SocketAddr::from_abstract_name(name.as_bytes())
        } else if text.starts_with('/') {
            SocketAddr::from_pathname(&*text)
        } else {
            return Err(invalid("is not usable".to_string()).into());
        }
        .map_err(|e| invalid(format!("is not a socket address ({e})")))?;
        let socket = UnixDatagram::unbound()
            .map_err(|e| anyhow::anyhow!("cannot create a datagram socket: {e}"))?;
        Ok(Some(Notifier {
            socket,
            addr,
            warned: AtomicBool::new(false),
        }))
    }

    /// Sends one message (lines `KEY=VALUE`); a failure is reported once, as a warning.
    pub fn send(&self, message: &str) {
        if let Err(e) = self.socket.send_to_addr(message.as_bytes(), &self.addr)
            && !self.warned.swap(true, Ordering::Relaxed)
        {
            output::warn(format!(
                "cannot notify the service manager through {NOTIFY_SOCKET}: {e}"
            ));
        }
    }

    /// `STATUS=line`: what the service is doing, shown by `systemctl status`.
    pub fn status(&self, line: &str) {
        // A status is one line.
        let line = line.replace('\n', " ");
        self.send(&format!("STATUS={line}"));
    }
}
