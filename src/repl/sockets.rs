//! The kernel's table of listening TCP sockets, asked through the sock_diag netlink interface
//! for one port (or, to find a VM's REPL, for every listener): the address each listens on,
//! its inode (what a process's descriptor `socket:[INODE]` names) and its owner's uid.
//!
//! The kernel filters by port itself and walks only its table of listeners, so the cost does
//! not grow with the connections open on the machine, as reading `/proc/net/tcp` would.

use netlink_packet_core::{
    NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_sock_diag::SockDiagMessage;
use netlink_packet_sock_diag::constants::{AF_INET, AF_INET6, IPPROTO_TCP};
use netlink_packet_sock_diag::inet::{ExtensionFlags, InetRequest, SocketId, StateFlags};
use netlink_sys::{Socket, SocketAddr as NetlinkAddr, protocols::NETLINK_SOCK_DIAG};
use std::io;
use std::net::{IpAddr, SocketAddr};

/// A listening TCP socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listener {
    /// The address it is bound to (the unspecified address for a wildcard bind).
    pub addr: SocketAddr,
    /// Its inode: a process holds it when one of its descriptors is `socket:[INODE]`.
    pub inode: u64,
    /// The uid of the process that created it.
    pub uid: u32,
}

impl Listener {
    /// Whether a connection to `to` would reach this listener: it is bound to that very
    /// address or to the wildcard of either family (a wildcard IPv6 socket takes IPv4
    /// connections too unless it is IPv6-only, which the table does not say: it counts).
    pub fn takes(&self, to: SocketAddr) -> bool {
        if self.addr.port() != to.port() {
            return false;
        }
        let bound = self.addr.ip();
        bound == to.ip()
            || (bound.is_unspecified() && (bound.is_ipv6() || to.ip().is_ipv4()))
            || matches!((bound, to.ip()), (IpAddr::V6(v6), IpAddr::V4(v4)) if v6.to_ipv4_mapped() == Some(v4))
    }
}

/// The listening TCP sockets of this network namespace on `port` (every port when `None`),
/// IPv4 and IPv6.
pub fn listeners(port: Option<u16>) -> io::Result<Vec<Listener>> {
    let mut socket = Socket::new(NETLINK_SOCK_DIAG)?;
    socket.bind_auto()?;
    socket.connect(&NetlinkAddr::new(0, 0))?;
    let mut found = Vec::new();
    for family in [AF_INET, AF_INET6] {
        dump(&socket, family, port, &mut found)?;
    }
    Ok(found)
}

/// One dump of one address family's listeners into `found`.
fn dump(
    socket: &Socket,
    family: u8,
    port: Option<u16>,
    found: &mut Vec<Listener>,
) -> io::Result<()> {
    let mut socket_id = if family == AF_INET {
        SocketId::new_v4()
    } else {
        SocketId::new_v6()
    };
    socket_id.source_port = port.unwrap_or(0);
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    let mut packet = NetlinkMessage::new(
        header,
        SockDiagMessage::InetRequest(InetRequest {
            family,
            protocol: IPPROTO_TCP,
            extensions: ExtensionFlags::empty(),
            states: StateFlags::LISTEN,
            socket_id,
        })
        .into(),
    );
    packet.finalize();
    let mut request = vec![0; packet.buffer_len()];
    packet.serialize(&mut request);
    socket.send(&request, 0)?;

    let mut buffer = vec![0u8; 32 * 1024];
    loop {
        let size = socket.recv(&mut &mut buffer[..], 0)?;
        if size == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the kernel's socket table ended without its last message",
            ));
        }
        let mut offset = 0;
        while offset < size {
            let message = NetlinkMessage::<SockDiagMessage>::deserialize(&buffer[offset..size])
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            let length = message.header.length as usize;
            match message.payload {
                NetlinkPayload::InnerMessage(SockDiagMessage::InetResponse(response)) => {
                    let header = &response.header;
                    let addr = SocketAddr::new(
                        header.socket_id.source_address,
                        header.socket_id.source_port,
                    );
                    // The kernel filters by port; a kernel that did not is filtered here.
                    if port.is_none_or(|port| port == addr.port()) {
                        found.push(Listener {
                            addr,
                            inode: u64::from(header.inode),
                            uid: header.uid,
                        });
                    }
                }
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(error) => {
                    return Err(error.code.map_or_else(
                        || io::Error::other("netlink error"),
                        |code| io::Error::from_raw_os_error(-code.get()),
                    ));
                }
                _ => {}
            }
            if length == 0 {
                break;
            }
            offset += length;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr, TcpListener};
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn finds_a_listener_by_port_with_its_inode_and_uid() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let found = listeners(Some(port)).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].addr, listener.local_addr().unwrap());
        // The inode is the one the descriptor names.
        let fd = std::os::fd::AsRawFd::as_raw_fd(&listener);
        let link = std::fs::read_link(format!("/proc/self/fd/{fd}")).unwrap();
        assert_eq!(
            link.to_str().unwrap(),
            format!("socket:[{}]", found[0].inode)
        );
        let uid = std::fs::metadata("/proc/self").unwrap().uid();
        assert_eq!(found[0].uid, uid);
        // Every listener is listed without a port, this one among them.
        assert!(
            listeners(None)
                .unwrap()
                .iter()
                .any(|l| l.inode == found[0].inode)
        );
    }

    #[test]
    fn a_closed_port_has_no_listener_and_connections_are_not_listeners() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let _client = std::net::TcpStream::connect(addr).unwrap();
        let _accepted = listener.accept().unwrap();
        assert_eq!(listeners(Some(addr.port())).unwrap().len(), 1);
        drop(listener);
        assert!(listeners(Some(addr.port())).unwrap().is_empty());
    }

    #[test]
    fn a_wildcard_listener_takes_loopback_connections() {
        let at = |ip: IpAddr, port| Listener {
            addr: SocketAddr::new(ip, port),
            inode: 1,
            uid: 0,
        };
        let to = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 42033);
        assert!(at(IpAddr::V4(Ipv4Addr::LOCALHOST), 42033).takes(to));
        assert!(at(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 42033).takes(to));
        assert!(at(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 42033).takes(to));
        assert!(!at(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)), 42033).takes(to));
        assert!(!at(IpAddr::V4(Ipv4Addr::LOCALHOST), 42034).takes(to));
        assert!(!at(IpAddr::V6(Ipv6Addr::LOCALHOST), 42033).takes(to));
    }
}
