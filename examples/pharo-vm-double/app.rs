//! The application server: `ZnServer default`, answering `Hello from Pharo`.

use crate::*;
use std::collections::HashMap;
use std::io::{self};
use std::net::{Ipv4Addr, Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use crate::http::{Reply, Response};

pub(crate) struct AppServer {
    pub(crate) listener: TcpListener,
    pub(crate) stopped: AtomicBool,
    pub(crate) connections: Mutex<HashMap<u64, TcpStream>>,
    pub(crate) next_id: AtomicU64,
}

impl AppServer {
    pub(crate) fn start(port: u16) -> io::Result<Arc<Self>> {
        let server = Arc::new(AppServer {
            listener: TcpListener::bind((Ipv4Addr::LOCALHOST, port))?,
            stopped: AtomicBool::new(false),
            connections: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        });
        let acceptor = Arc::clone(&server);
        thread::spawn(move || acceptor.accept_loop());
        Ok(server)
    }

    pub(crate) fn accept_loop(self: Arc<Self>) {
        while !self.stopped.load(Ordering::SeqCst) {
            let Ok((stream, _)) = self.listener.accept() else {
                thread::sleep(Duration::from_millis(10));
                continue;
            };
            let id = self.next_id.fetch_add(1, Ordering::SeqCst);
            if let Ok(clone) = stream.try_clone() {
                lock(&self.connections).insert(id, clone);
            }
            let server = Arc::clone(&self);
            thread::spawn(move || {
                http::serve(stream, |request| match request.method.as_str() {
                    "GET" => Reply::Send(Response::ok(TEXT_PLAIN, "Hello from Pharo\n")),
                    _ => Reply::Send(Response::not_found(&request.path)),
                });
                lock(&server.connections).remove(&id);
            });
        }
    }

    /// `stopServer`: stop accepting. Shutting the listening socket down refuses new connections
    /// and wakes the blocked accept.
    pub(crate) fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let _ =
            nix::sys::socket::shutdown(self.listener.as_raw_fd(), nix::sys::socket::Shutdown::Both);
    }

    pub(crate) fn has_open_connections(&self) -> bool {
        !lock(&self.connections).is_empty()
    }

    pub(crate) fn close_connections(&self) {
        for (_, stream) in lock(&self.connections).drain() {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}
