//! The REPL port of a new instance: one that nothing on this host listens on (the kernel's
//! TCP tables, every user's sockets) and that no other startup script of the directory names.

use crate::error::fail;
use crate::exit_code::Code;
use crate::instance;
use anyhow::Result;
use std::collections::HashSet;
use std::path::Path;

/// Where the search for a free port starts: the port every Pharo example uses, which is
/// taken only when free.
const FIRST: u16 = 42033;
/// How far the search goes.
const LAST: u16 = 42999;

/// `wanted` if it may serve (nothing listens on it, no other script names it), else the first
/// free port from [`FIRST`].
pub fn choose(dir: &Path, name: &str, wanted: Option<u16>) -> Result<u16> {
    let named = named_ports(dir, name);
    let listening = listening_ports();
    if let Some(port) = wanted {
        if let Some(other) = named.iter().find(|(p, _)| *p == port) {
            return fail(
                Code::NotConfigured,
                format!(
                    "--repl-port {port}: {} of this directory starts its REPL on it already; choose another port, or leave out --repl-port",
                    other.1
                ),
            );
        }
        if listening.contains(&port) {
            return fail(
                Code::Usage,
                format!(
                    "--repl-port {port}: something on this host listens on it already (see ss -ltnp); choose another port, or leave out --repl-port"
                ),
            );
        }
        return Ok(port);
    }
    let taken: HashSet<u16> = named.iter().map(|(p, _)| *p).collect();
    (FIRST..=LAST)
        .find(|p| !taken.contains(p) && !listening.contains(p))
        .map_or_else(
            || {
                fail(
                    Code::Failure,
                    format!("no free port between {FIRST} and {LAST}: pass --repl-port"),
                )
            },
            Ok,
        )
}

/// The REPL ports the other startup scripts of the directory (`*.st`) name, with the script.
fn named_ports(dir: &Path, name: &str) -> Vec<(u16, String)> {
    let own = format!("{name}.st");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let file = entry.file_name().into_string().ok()?;
            if !file.ends_with(".st") || file == own {
                return None;
            }
            let text = std::fs::read_to_string(entry.path()).ok()?;
            Some((instance::repl_port_in(&text)?, file))
        })
        .collect()
}

/// The TCP ports something listens on, on any address, from `/proc/net/tcp` and `tcp6`.
fn listening_ports() -> HashSet<u16> {
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        ports.extend(text.lines().skip(1).filter_map(listening_port));
    }
    ports
}

/// The local port of a line of `/proc/net/tcp` in the LISTEN state (`0A`).
fn listening_port(line: &str) -> Option<u16> {
    let mut fields = line.split_whitespace();
    let local = fields.nth(1)?;
    let state = fields.nth(1)?;
    if state != "0A" {
        return None;
    }
    u16::from_str_radix(local.rsplit(':').next()?, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_listening_sockets_from_the_kernel_s_table() {
        let listen = "   0: 0100007F:A431 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 123 1";
        assert_eq!(listening_port(listen), Some(0xA431));
        let established = "   1: 0100007F:A431 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 124 1";
        assert_eq!(listening_port(established), None);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(listening_ports().contains(&port));
    }
}
