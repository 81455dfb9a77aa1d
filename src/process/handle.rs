//! A handle on a process that can never hit the wrong one: a pidfd (`pidfd_open`), through
//! which signals are sent (`pidfd_send_signal`) and whose readiness tells the moment the
//! process exits (`poll`). Where the kernel has no pidfd (before Linux 5.3), the handle falls
//! back to the pid plus its start time, re-checked before each signal, and to polling.

use crate::output::Spinner;
use crate::process::{self, Stat};
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// How often the fallback without pidfd looks at the process.
pub(crate) const FALLBACK_POLL: Duration = Duration::from_millis(5);

/// How long one turn of a wait may sleep: until the deadline (`left`), the spinner's next
/// tick, or, with a process that has no pidfd to wake the wait (`fallback`), the next look at
/// `/proc`; `None`: until a descriptor is ready. Rounded up to a millisecond, so that a wait
/// never ends a hair before its deadline and spins.
pub(super) fn nap(
    left: Option<Duration>,
    tick: Option<Duration>,
    fallback: bool,
) -> Option<Duration> {
    [left, tick, fallback.then_some(FALLBACK_POLL)]
        .into_iter()
        .flatten()
        .min()
        .map(|n| n.max(Duration::from_millis(1)))
}

/// Sleeps in `poll` on `fds` for at most `nap` (`None`: until one is ready); a signal that
/// interrupts it wakes it like any other event.
pub(crate) fn sleep_on(fds: &mut [PollFd], nap: Option<Duration>) -> io::Result<()> {
    let timeout = match nap {
        Some(n) => PollTimeout::try_from(n).unwrap_or(PollTimeout::MAX),
        None => PollTimeout::NONE,
    };
    match poll(fds, timeout) {
        Ok(_) | Err(Errno::EINTR) => Ok(()),
        Err(errno) => Err(io::Error::from(errno)),
    }
}

/// Whether a descriptor polled for reading is ready: readable, or hung up.
pub(super) fn ready(fd: &PollFd) -> bool {
    fd.revents()
        .is_some_and(|r| r.intersects(PollFlags::POLLIN | PollFlags::POLLHUP))
}

/// A process we may signal and wait for.
#[derive(Debug)]
pub struct ProcessHandle {
    pid: i32,
    fd: Option<OwnedFd>,
    /// Start time in clock ticks, which tells a reused pid apart (fallback only).
    start_ticks: u64,
}

/// How a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The process exited.
    Exited,
    /// The deadline passed.
    TimedOut,
    /// One of the extra descriptors became readable (its index).
    Ready(usize),
}

impl ProcessHandle {
    /// Opens a handle on `pid`; `None` when no such process exists. Open it *before* checking
    /// the process's identity: the handle then keeps naming that process even if the pid is
    /// reused afterwards.
    pub fn open(pid: i32) -> io::Result<Option<ProcessHandle>> {
        Ok(Self::open_with_stat(pid)?.map(|(handle, _)| handle))
    }

    /// Opens a handle on a live process and reads its `/proc/PID/stat`, which is then surely
    /// that process's: the handle, opened first, still shows it alive after the read, so the
    /// pid cannot have been reused in between. `None` when it is gone or a zombie.
    pub fn open_live(pid: i32) -> io::Result<Option<(ProcessHandle, Stat)>> {
        Ok(Self::open_with_stat(pid)?.filter(|(handle, stat)| !stat.ended() && !handle.exited()))
    }

    fn open_with_stat(pid: i32) -> io::Result<Option<(ProcessHandle, Stat)>> {
        if pid <= 1 {
            return Ok(None);
        }
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1; no
        // memory is shared with the kernel.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let fd = if fd >= 0 {
            // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
            Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
        } else {
            match Errno::last() {
                // No such process; or a thread's id, not a process's (ENOENT, EINVAL).
                Errno::ESRCH | Errno::ENOENT | Errno::EINVAL => return Ok(None),
                Errno::ENOSYS => None,
                errno => return Err(io::Error::from(errno)),
            }
        };
        let Some(stat) = process::stat(pid) else {
            return Ok(None);
        };
        let handle = ProcessHandle {
            pid,
            fd,
            start_ticks: stat.start,
        };
        Ok(Some((handle, stat)))
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// A second handle on the same process (a duplicate of the pidfd).
    pub fn try_clone(&self) -> io::Result<ProcessHandle> {
        Ok(ProcessHandle {
            pid: self.pid,
            fd: self.fd.as_ref().map(OwnedFd::try_clone).transpose()?,
            start_ticks: self.start_ticks,
        })
    }

    /// Whether this handle notices exit through a pidfd (else by polling).
    pub fn has_pidfd(&self) -> bool {
        self.fd.is_some()
    }

    /// Sends a signal to the process this handle was opened on, never to a successor that
    /// reused its pid. A process that is already gone is not an error.
    pub fn signal(&self, signal: Signal) -> io::Result<()> {
        let result = match &self.fd {
            Some(fd) => {
                // SAFETY: pidfd_send_signal reads only its integer arguments; a null siginfo
                // means "as kill(2) would send it".
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_pidfd_send_signal,
                        fd.as_raw_fd(),
                        signal as i32,
                        std::ptr::null::<libc::siginfo_t>(),
                        0,
                    )
                };
                Errno::result(rc).map(drop)
            }
            None => {
                if self.exited() {
                    return Ok(());
                }
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.pid), signal)
            }
        };
        match result {
            Ok(()) | Err(Errno::ESRCH) => Ok(()),
            Err(errno) => Err(io::Error::from(errno)),
        }
    }

    /// Whether the process has exited (a zombie counts as exited).
    pub fn exited(&self) -> bool {
        match &self.fd {
            Some(fd) => {
                let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
                matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
            }
            None => process::stat(self.pid)
                .is_none_or(|stat| stat.start != self.start_ticks || stat.ended()),
        }
    }

    /// Waits until the process exits, the deadline passes, or one of `extra` becomes
    /// readable, whichever comes first. With a pidfd the exit is noticed the moment it
    /// happens: the wait sleeps in the kernel. A spinner, if shown, is ticked meanwhile.
    pub fn wait(
        &self,
        deadline: Option<Instant>,
        extra: &[BorrowedFd<'_>],
        spinner: Option<&Spinner>,
    ) -> io::Result<Wait> {
        let tick = spinner.and_then(Spinner::interval);
        loop {
            if self.fd.is_none() && self.exited() {
                return Ok(Wait::Exited);
            }
            let now = Instant::now();
            let left = deadline.map(|d| d.saturating_duration_since(now));
            if left == Some(Duration::ZERO) {
                return Ok(Wait::TimedOut);
            }
            let mut fds: Vec<PollFd> = Vec::with_capacity(extra.len() + 1);
            fds.extend(extra.iter().map(|fd| PollFd::new(*fd, PollFlags::POLLIN)));
            if let Some(fd) = &self.fd {
                fds.push(PollFd::new(fd.as_fd(), PollFlags::POLLIN));
            }
            sleep_on(&mut fds, nap(left, tick, self.fd.is_none()))?;
            if self.fd.is_some() && fds.last().is_some_and(ready) {
                return Ok(Wait::Exited);
            }
            if let Some(index) = fds[..extra.len()].iter().position(ready) {
                return Ok(Wait::Ready(index));
            }
            if let Some(spinner) = spinner {
                spinner.tick();
            }
        }
    }

    /// The pidfd, for callers that poll it together with their own descriptors.
    pub fn as_fd(&self) -> Option<BorrowedFd<'_>> {
        self.fd.as_ref().map(AsFd::as_fd)
    }
}
