//! The launcher's signals, the self-pipe way: each handler only writes its signal's number,
//! one byte, to a non-blocking pipe; the launcher sleeps in `poll` on the pipe's read end and
//! decides what a signal means outside signal context. The bytes keep the signals' order and
//! count, so a second SIGTERM is never merged into the first.

use anyhow::{Context as _, Result};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// The write end of the pipe, for the handler; -1 when no pipe is installed.
static WRITE_FD: AtomicI32 = AtomicI32::new(-1);

/// Writes the signal's number to the pipe. Only async-signal-safe calls, and errno is kept
/// for the code the signal interrupted.
extern "C" fn on_signal(signal: libc::c_int) {
    let fd = WRITE_FD.load(Ordering::Relaxed);
    if fd < 0 {
        return;
    }
    let byte = signal as u8;
    // SAFETY: __errno_location answers this thread's errno, valid for the thread's lifetime;
    // write(2) is async-signal-safe and reads one byte from a live local. A full pipe (the
    // launcher has not read the bytes before) loses this byte, which is harmless: the pipe is
    // readable and the standard signals it carries do not queue in the kernel either.
    unsafe {
        let errno = *libc::__errno_location();
        libc::write(fd, (&raw const byte).cast(), 1);
        *libc::__errno_location() = errno;
    }
}

/// Installed handlers that write to a self-pipe; dropping it restores the previous actions.
pub struct Signals {
    read: OwnedFd,
    _write: OwnedFd,
    previous: Vec<(Signal, SigAction)>,
}

impl Signals {
    /// Installs the handler for `signals`. Only one `Signals` may exist at a time.
    pub fn install(signals: &[Signal]) -> Result<Signals> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)
            .context("cannot create the signal pipe")?;
        let swapped =
            WRITE_FD.compare_exchange(-1, write.as_raw_fd(), Ordering::SeqCst, Ordering::SeqCst);
        anyhow::ensure!(swapped.is_ok(), "the signal handlers are already installed");
        let mut installed = Signals {
            read,
            _write: write,
            previous: Vec::with_capacity(signals.len()),
        };
        // SA_RESTART: other threads' system calls resume after the handler; SA_NOCLDSTOP: a
        // child stopped or continued is no news.
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART | SaFlags::SA_NOCLDSTOP,
            SigSet::empty(),
        );
        for &signal in signals {
            // SAFETY: the handler only loads an atomic and calls write(2), both
            // async-signal-safe, so it is sound whatever it interrupts.
            let previous = unsafe { sigaction(signal, &action) }
                .with_context(|| format!("cannot handle {}", signal.as_str()))?;
            installed.previous.push((signal, previous));
        }
        Ok(installed)
    }

    /// Becomes readable when a signal has arrived.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read.as_fd()
    }

    /// The next signal that arrived, in order; `None` when there is none (yet).
    pub fn next(&self) -> Option<Signal> {
        let mut byte = [0u8; 1];
        loop {
            match nix::unistd::read(&self.read, &mut byte) {
                Ok(1) => {
                    if let Ok(signal) = Signal::try_from(i32::from(byte[0])) {
                        return Some(signal);
                    }
                }
                Err(Errno::EINTR) => {}
                _ => return None,
            }
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for (signal, previous) in self.previous.drain(..).rev() {
            // SAFETY: restores the action that was in place before `install`.
            let _ = unsafe { sigaction(signal, &previous) };
        }
        WRITE_FD.store(-1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_arrive_in_order_through_the_pipe() {
        let signals = Signals::install(&[Signal::SIGUSR2, Signal::SIGWINCH]).unwrap();
        assert_eq!(signals.next(), None);
        nix::sys::signal::raise(Signal::SIGUSR2).unwrap();
        nix::sys::signal::raise(Signal::SIGWINCH).unwrap();
        nix::sys::signal::raise(Signal::SIGUSR2).unwrap();
        assert_eq!(signals.next(), Some(Signal::SIGUSR2));
        assert_eq!(signals.next(), Some(Signal::SIGWINCH));
        assert_eq!(signals.next(), Some(Signal::SIGUSR2));
        assert_eq!(signals.next(), None);
    }
}
