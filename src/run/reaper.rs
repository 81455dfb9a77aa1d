//! The launcher's children: the VM (the process it spawned), whose exit status is kept for
//! pharo-ctl's own, and the orphans re-parented to the launcher as a subreaper or PID 1 —
//! among them the VM proper when its wrapper ended first, whose status is then the one to
//! pass on.

use crate::output;
use crate::process::describe_status;
use nix::errno::Errno;
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
            let mut raw = 0;
            // SAFETY: waitpid writes the status to a live local and touches nothing else.
            let pid = unsafe { libc::waitpid(-1, &mut raw, libc::WNOHANG) };
            if pid <= 0 {
                return;
            }
            let status = ExitStatus::from_raw(raw);
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
            let mut raw = 0;
            // SAFETY: as in `reap`; the pid is our own child's.
            let pid = unsafe { libc::waitpid(self.vm, &mut raw, 0) };
            if pid == self.vm {
                let status = ExitStatus::from_raw(raw);
                self.status = Some(status);
                return status;
            }
            if Errno::last() != Errno::EINTR {
                // Not our child any more (reaped elsewhere): nothing to learn.
                let status = ExitStatus::from_raw(0);
                self.status = Some(status);
                return status;
            }
        }
    }
}
