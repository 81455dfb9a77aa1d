//! The launcher's children: the VM (the process it spawned), whose exit status is kept for
//! pharo-ctl's own, and the orphans re-parented to the launcher as a subreaper or PID 1 —
//! among them the VM proper when its wrapper ended first, whose status is then the one to
//! pass on.

use crate::output;
use crate::process::describe_status;
use nix::errno::Errno;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;

/// Collects ended children: the VM, whose status is kept, and orphans re-parented to us.
pub struct Reaper {
    vm: i32,
    status: Option<ExitStatus>,
    /// The VM proper below a wrapper, and its status if it was reaped here.
    proper: Option<(i32, Option<ExitStatus>)>,
}

impl Reaper {
    /// Reaps for the launcher, whose VM (the process it spawned) is `vm`.
    pub fn new(vm: i32) -> Reaper {
        Reaper {
            vm,
            status: None,
            proper: None,
        }
    }

    /// The VM's exit status, once it has been reaped.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// Names the VM proper a wrapper (the process spawned) started.
    pub fn set_proper(&mut self, pid: i32) {
        if pid != self.vm && self.proper.is_none_or(|(known, _)| known != pid) {
            self.proper = Some((pid, None));
        }
    }

    /// The status to pass on: the VM proper's, when its wrapper ended before it (it was then
    /// re-parented here and reaped), else that of the process spawned (a wrapper passes its
    /// VM's on).
    pub fn passed_on(&self, spawned: ExitStatus) -> ExitStatus {
        self.proper
            .and_then(|(_, status)| status)
            .unwrap_or(spawned)
    }

    /// Reaps every child that has ended, without blocking.
    pub fn reap(&mut self) {
        loop {
            let Some((pid, status)) = waitpid(None, Some(WaitPidFlag::WNOHANG))
                .ok()
                .and_then(ended)
            else {
                return;
            };
            if pid == self.vm {
                self.status = Some(status);
            } else if let Some((proper, reaped)) = &mut self.proper
                && *proper == pid
            {
                *reaped = Some(status);
            } else {
                output::detail(format!(
                    "reaped orphan pid {pid}, which {}",
                    describe_status(status)
                ));
            }
        }
    }

    /// Waits for the VM's end (it has ended, or is about to) and answers its status.
    pub fn wait_vm(&mut self) -> ExitStatus {
        self.reap();
        if let Some(status) = self.status {
            return status;
        }
        loop {
            match waitpid(Pid::from_raw(self.vm), None) {
                Ok(waited) => {
                    if let Some((_, status)) = ended(waited) {
                        self.status = Some(status);
                        return status;
                    }
                }
                Err(Errno::EINTR) => {}
                Err(_) => {
                    // Not our child any more (reaped elsewhere): its status is unknown, which
                    // is never taken for a success.
                    output::warn(format!(
                        "the exit status of pid {} cannot be learned (it was reaped elsewhere); taken as a failure (1)",
                        self.vm
                    ));
                    let status = ExitStatus::from_raw(UNKNOWN);
                    self.status = Some(status);
                    return status;
                }
            }
        }
    }
}

/// The status a VM whose end could not be learned is given: exit 1.
const UNKNOWN: i32 = 1 << 8;

/// The pid and status of a child that ended, as `waitpid` tells it; nothing for one that has
/// not.
fn ended(status: WaitStatus) -> Option<(i32, ExitStatus)> {
    match status {
        WaitStatus::Exited(pid, code) => {
            Some((pid.as_raw(), ExitStatus::from_raw((code & 0xff) << 8)))
        }
        WaitStatus::Signaled(pid, signal, core) => Some((
            pid.as_raw(),
            ExitStatus::from_raw(signal as i32 | if core { 0x80 } else { 0 }),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_the_kernel_gives_them() {
        let pid = Pid::from_raw(42);
        let (_, exited) = ended(WaitStatus::Exited(pid, 3)).unwrap();
        assert_eq!(exited.code(), Some(3));
        let (_, killed) = ended(WaitStatus::Signaled(
            pid,
            nix::sys::signal::Signal::SIGKILL,
            false,
        ))
        .unwrap();
        assert_eq!(killed.signal(), Some(9));
        assert_eq!(ended(WaitStatus::StillAlive), None);
        // An unknown status is a failure, never 0.
        assert_eq!(ExitStatus::from_raw(UNKNOWN).code(), Some(1));
    }
}
