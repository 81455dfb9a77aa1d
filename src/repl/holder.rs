//! Whose REPL it is: the process holding the socket that listens on a REPL's address, told
//! from the kernel's socket table ([`super::sockets`]) and the descriptors of the instance's
//! process tree. A port is no identity (every Pharo example uses 42033, and any local user may
//! bind a free loopback port): the REPL is the instance's only when a process of its tree holds
//! the listening socket. A member's descriptors are read between the opening of its pidfd and
//! a look through it that it still lives, so what was read was that process's.

use super::sockets::{self, Listener};
use crate::process;
use crate::process::handle::ProcessHandle;
use crate::process::tree::Members;
use std::io;
use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt;

/// Who holds the socket listening on a REPL's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A process of the instance's tree (its pid).
    Own(i32),
    /// Nothing listens there.
    Nobody,
    /// A process outside the tree: the line that says who (`port 42777 is held by pid 812,
    /// the VM of /srv/a/a.image, not by b's VM`).
    Stranger(String),
    /// It cannot be told, and why.
    Unknown(String),
    /// The VM is exiting: its descriptors are being closed, so a socket it held may still be
    /// listed that no member's descriptors name any more. Nothing is sent; its end is near.
    Ending,
}

/// Judges who holds the socket a connection to `to` would reach, for the instance `name`
/// whose tree is `members`.
pub fn judge(to: SocketAddr, name: &str, members: &Members) -> Verdict {
    let port = to.port();
    if let Some(why) = elsewhere(members.vm().pid(), name) {
        return Verdict::Unknown(why);
    }
    let listeners = match sockets::listeners(Some(port)) {
        Ok(listeners) => listeners,
        Err(e) => {
            return Verdict::Unknown(format!(
                "the kernel's socket table cannot be read ({}), so whose port {port} is cannot be told",
                crate::error::reason(&e)
            ));
        }
    };
    let takers: Vec<&Listener> = listeners.iter().filter(|l| l.takes(to)).collect();
    // The kernel hands a connection to the listener bound to the very address before a
    // wildcard one.
    let exact: Vec<&Listener> = takers
        .iter()
        .copied()
        .filter(|l| l.addr.ip() == to.ip())
        .collect();
    let takers = if exact.is_empty() { takers } else { exact };
    let mut own = None;
    for listener in takers {
        match holder(listener, members) {
            Ok(pid) => own = own.or(Some(pid)),
            Err(Refusal::Stranger) => {
                return Verdict::Stranger(format!(
                    "port {port} is held by {}, not by {name}'s VM",
                    stranger(listener)
                ));
            }
            Err(Refusal::Denied(user)) => {
                return Verdict::Unknown(format!(
                    "{name}'s VM runs as {user}, whose sockets pharo-ctl may not look at, so whether port {port} is its REPL cannot be told; run as that user (sudo -u {user} pharo-ctl …)"
                ));
            }
            Err(Refusal::Ending) => return Verdict::Ending,
        }
    }
    own.map_or(Verdict::Nobody, Verdict::Own)
}

/// Who holds the socket a connection to `to` would reach, when something does and no
/// instance is running to own it: `pid 812, the VM of /srv/a/a.image`. Nothing when nothing
/// listens there or the socket table cannot be read.
pub fn held_by(to: SocketAddr) -> Option<String> {
    let listeners = sockets::listeners(Some(to.port())).ok()?;
    let taker = listeners
        .iter()
        .filter(|l| l.takes(to))
        .min_by_key(|l| l.addr.ip() != to.ip())?;
    Some(stranger(taker))
}

/// Why a socket is not known to be the tree's.
enum Refusal {
    /// No member holds it.
    Stranger,
    /// The members' descriptors may not be read: they run as this user.
    Denied(String),
    /// No member's descriptors name it, but the VM is exiting: it may be the VM's, being
    /// closed.
    Ending,
}

/// The member of the tree that holds `listener`.
fn holder(listener: &Listener, members: &Members) -> Result<i32, Refusal> {
    let vm = members.vm().pid();
    // A socket is created with its creator's uid: one another user made is no member's.
    if let Some(uid) = uid_of(vm)
        && uid != listener.uid
    {
        return Err(Refusal::Stranger);
    }
    let mut denied = false;
    let mut look = |member: &ProcessHandle| match holds(member.pid(), listener.inode) {
        // Still alive after the look: the descriptors were this process's.
        Ok(true) => !member.exited(),
        Ok(false) => false,
        Err(e) => {
            denied |= e.kind() == io::ErrorKind::PermissionDenied;
            false
        }
    };
    if let Some(member) = members.first().find(|m| look(m)) {
        return Ok(member.pid());
    }
    if let Some(member) = members.all().iter().find(|m| look(m)) {
        return Ok(member.pid());
    }
    if denied {
        return Err(Refusal::Denied(user_name(
            uid_of(vm).unwrap_or(listener.uid),
        )));
    }
    // Read after the descriptors: a VM that was exiting then is exiting (or gone) now.
    if members.vm().exited() || process::stat(vm).is_none_or(|stat| stat.exiting()) {
        return Err(Refusal::Ending);
    }
    Err(Refusal::Stranger)
}

/// The inodes of the sockets `pid` holds, as its descriptors name them (`socket:[INODE]`),
/// read one descriptor at a time.
fn socket_inodes(pid: i32) -> io::Result<impl Iterator<Item = u64>> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))?
        .flatten()
        .filter_map(|entry| {
            let link = std::fs::read_link(entry.path()).ok()?;
            link.to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')?
                .parse()
                .ok()
        }))
}

/// Whether one of the descriptors of `pid` is the socket `inode`.
fn holds(pid: i32, inode: u64) -> io::Result<bool> {
    Ok(socket_inodes(pid)?.any(|held| held == inode))
}

/// The socket inodes held by `pid`.
pub fn sockets_of(pid: i32) -> io::Result<Vec<u64>> {
    Ok(socket_inodes(pid)?.collect())
}

/// Why the REPL of a VM in another network namespace than pharo-ctl's cannot be told: the
/// socket table pharo-ctl reads is its own namespace's.
fn elsewhere(vm: i32, name: &str) -> Option<String> {
    let ours = std::fs::read_link("/proc/self/ns/net").ok()?;
    let its = std::fs::read_link(format!("/proc/{vm}/ns/net")).ok()?;
    (ours != its).then(|| {
        format!(
            "{name}'s VM (pid {vm}) runs in another network namespace, whose sockets pharo-ctl cannot see from here; run pharo-ctl inside it (nsenter -n -t {vm}, docker exec)"
        )
    })
}

/// Who holds a socket that is no member's: `pid 812, the VM of /srv/a/a.image`, `pid 812
/// (python3)`, or `a process of uid 1001 (pharo)` where its descriptors may not be read.
fn stranger(listener: &Listener) -> String {
    let me = std::process::id();
    let found = process::all_pids().find(|&pid| {
        u32::try_from(pid).is_ok_and(|p| p != me)
            && uid_of(pid) == Some(listener.uid)
            && holds(pid, listener.inode).unwrap_or(false)
    });
    match found {
        Some(pid) => match image_of(pid) {
            Some(image) => format!("pid {pid}, the VM of {image}"),
            None => match std::fs::read_to_string(format!("/proc/{pid}/comm")) {
                Ok(comm) => format!("pid {pid} ({})", comm.trim_end()),
                Err(_) => format!("pid {pid}"),
            },
        },
        None => format!(
            "a process of uid {} ({})",
            listener.uid,
            user_name(listener.uid)
        ),
    }
}

/// The image a process runs, when its command line names one (absolute, against its working
/// directory).
fn image_of(pid: i32) -> Option<String> {
    let args = process::read_cmdline(pid)?;
    let image = args
        .iter()
        .skip(1)
        .find(|a| a.to_str().is_some_and(|a| a.ends_with(".image")))?;
    let path = std::path::Path::new(image);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::fs::read_link(format!("/proc/{pid}/cwd"))
            .ok()?
            .join(path)
    };
    Some(crate::instance::normalise(&path).display().to_string())
}

fn uid_of(pid: i32) -> Option<u32> {
    std::fs::metadata(format!("/proc/{pid}"))
        .ok()
        .map(|m| m.uid())
}

/// A user's name, or the uid when it has none.
pub fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |user| user.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn finds_which_descriptor_holds_a_socket() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let found = sockets::listeners(Some(port)).unwrap();
        let me = i32::try_from(std::process::id()).unwrap();
        assert!(sockets_of(me).unwrap().contains(&found[0].inode));
        assert!(holds(me, found[0].inode).unwrap());
        assert!(!holds(me, 1).unwrap());
        // pharo-ctl never names itself as the holder: only the uid is left.
        assert!(
            stranger(&found[0]).starts_with(&format!("a process of uid {}", found[0].uid)),
            "{}",
            stranger(&found[0])
        );
    }
}
