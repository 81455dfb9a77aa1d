//! Process-level behaviour: the signals the VM takes, and the orphan it can leave behind.

use crate::*;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::FromRawFd;
use std::thread;
use std::time::Duration;

use nix::sys::signal::{self, SigHandler, SigSet, Signal};

/// Gives SIGTERM and SIGINT their default action (or ignores them), and catches SIGUSR1
/// (unless `usr1` is [`Usr1::Default`]), SIGUSR2 and SIGQUIT: each gets a handler, so that the
/// kernel counts it as caught (`SigCgt` in /proc/PID/status) as a VM's would be, and is blocked
/// in the calling thread, so that the reporter thread takes it with `sigwait`. Call it before
/// spawning any thread, so that every thread inherits the mask. Answers the blocked set.
pub(crate) fn setup_signals(ignore_termination: bool, usr1: Usr1) -> nix::Result<SigSet> {
    let handler = if ignore_termination {
        SigHandler::SigIgn
    } else {
        SigHandler::SigDfl
    };
    let mut termination = SigSet::empty();
    for sig in [Signal::SIGTERM, Signal::SIGINT] {
        // SAFETY: SIG_IGN and SIG_DFL run no code in signal context, so no handler can break
        // async-signal-safety, and no other thread exists yet to race with.
        unsafe { signal::signal(sig, handler) }?;
        termination.add(sig);
    }
    let mut reported = SigSet::empty();
    for sig in [Signal::SIGUSR1, Signal::SIGUSR2, Signal::SIGQUIT] {
        if sig == Signal::SIGUSR1 && usr1 == Usr1::Default {
            termination.add(sig);
            continue;
        }
        // SAFETY: the handler does nothing at all (the signal is blocked and taken by
        // sigwait), so it is async-signal-safe; no other thread exists yet.
        unsafe { signal::signal(sig, SigHandler::Handler(caught)) }?;
        reported.add(sig);
    }
    termination.thread_unblock()?;
    reported.thread_block()?;
    Ok(reported)
}

/// The handler of the signals the reporter thread takes: it never runs, since they stay
/// blocked, but makes them count as caught.
extern "C" fn caught(_: libc::c_int) {}

/// Answers each SIGUSR1 with the VM's stack report (or, [`Usr1::Silent`], nothing), each
/// SIGUSR2 with a line, and each SIGQUIT with a line (the double survives it, so that a test
/// can see it arrive). Every signal is an event.
pub(crate) fn report_signals(signals: SigSet, usr1: Usr1, image: String) {
    thread::spawn(move || {
        loop {
            match signals.wait() {
                Ok(Signal::SIGQUIT) => say("pharo-vm-double: SIGQUIT received"),
                Ok(Signal::SIGUSR1) if usr1 == Usr1::Silent => {
                    event("pharo-vm-double: SIGUSR1 received, writing no report");
                }
                Ok(Signal::SIGUSR1) => {
                    event("pharo-vm-double: SIGUSR1 received, printing process stacks");
                    report::write(&image);
                }
                Ok(sig) => say(&format!(
                    "pharo-vm-double: {} received, printing process stacks",
                    sig.as_str()
                )),
                Err(_) => {}
            }
        }
    });
}

/// Leaves an orphan behind: a child forks a grandchild and exits at once, so the grandchild
/// (which sleeps for `lifetime`, then exits) is re-parented to the nearest subreaper or PID 1.
/// Must run before any thread is spawned. Answers the grandchild's pid.
pub(crate) fn make_orphan(lifetime: Duration) -> io::Result<i32> {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe() to fill.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the process is still single-threaded, so the child starts in a consistent state;
    // it only makes async-signal-safe calls and never returns.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => orphan_parent(fds, lifetime),
        child => {
            // SAFETY: fds[1] is our open write end, closed exactly once; fds[0] is an open read
            // end that nothing else owns, so the File may take it over.
            let mut reader = unsafe {
                libc::close(fds[1]);
                File::from_raw_fd(fds[0])
            };
            let mut pid = [0; 4];
            let read = reader.read_exact(&mut pid);
            let mut status = 0;
            // SAFETY: `child` is our child's pid and `status` a valid place for its status.
            unsafe { libc::waitpid(child, &mut status, 0) };
            read?;
            match i32::from_ne_bytes(pid) {
                pid if pid > 0 => Ok(pid),
                _ => Err(io::Error::other("fork of the grandchild failed")),
            }
        }
    }
}

/// The forked child: forks the grandchild, sends its pid through the pipe and exits.
pub(crate) fn orphan_parent(fds: [libc::c_int; 2], lifetime: Duration) -> ! {
    // SAFETY: we are the single-threaded child of fork(); fork, open, dup2, close, write,
    // nanosleep and _exit are async-signal-safe, and the pointers passed are valid.
    unsafe {
        let grandchild = libc::fork();
        if grandchild == 0 {
            // Let go of the caller's pipes (stdout may be a test's capture pipe).
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            libc::close(null);
            libc::close(fds[0]);
            libc::close(fds[1]);
            let mut remaining = libc::timespec {
                tv_sec: lifetime.as_secs() as libc::time_t,
                tv_nsec: libc::c_long::from(lifetime.subsec_nanos() as i32),
            };
            let mut rest = remaining;
            while libc::nanosleep(&remaining, &mut rest) == -1 {
                remaining = rest;
            }
            libc::_exit(0);
        }
        let pid = grandchild.to_ne_bytes();
        libc::write(fds[1], pid.as_ptr().cast(), pid.len());
        libc::_exit(0)
    }
}
