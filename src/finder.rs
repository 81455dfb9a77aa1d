//! Finding an instance's VM: the pid file first, with an identity check, then a scan of the
//! process table. A pid that is not this image's VM is never acted on. What is found is the
//! VM's process tree: the VM proper, and a wrapper above it when there is one.

use crate::error::Fail;
use crate::exit_code::Code;
use crate::handle::ProcessHandle;
use crate::identity::{self, Identity, ImageMatcher};
use crate::instance::Instance;
use crate::output;
use crate::pidfile::{self, PidFile};
use crate::process;
use crate::tree::{self, Tree};

use anyhow::Result;
use std::path::Path;

/// Where the VM was found, or why it was not.
#[derive(Debug)]
pub enum Found {
    /// The VM runs. `stale_pid_file` tells that the pid file names something else (it was
    /// found by the scan).
    Running {
        tree: Tree,
        via_pid_file: bool,
        stale_pid_file: Option<PidFile>,
    },
    /// No VM runs, but a pid file is left that names a dead or foreign process.
    Stale(PidFile),
    /// No VM runs and there is no pid file.
    NotRunning,
}

/// Finds the running VM of `instance`.
pub fn find(instance: &Instance) -> Result<Found> {
    let matcher = instance.matcher();
    let recorded = pidfile::read(&instance.pid_file)?;
    if let PidFile::Pid(pid) = recorded
        && let Some(handle) = open_if_vm(pid, &matcher, &instance.pid_file)?
    {
        return Ok(Found::Running {
            tree: Tree::of(handle, &matcher),
            via_pid_file: true,
            stale_pid_file: None,
        });
    }
    let stale = (recorded != PidFile::Missing).then_some(recorded);
    let candidates = tree::one_per_tree(&identity::scan(&matcher, |pid, why| {
        output::detail(format!("passing over pid {pid}: {why}"));
    }));
    match candidates[..] {
        [] => Ok(stale.map_or(Found::NotRunning, Found::Stale)),
        [pid] => match open_if_vm(pid, &matcher, &instance.pid_file)? {
            Some(handle) => Ok(Found::Running {
                tree: Tree::of(handle, &matcher),
                via_pid_file: false,
                stale_pid_file: stale,
            }),
            // It exited between the scan and the check.
            None => Ok(stale.map_or(Found::NotRunning, Found::Stale)),
        },
        _ => Err(Fail::new(
            Code::Unknown,
            format!(
                "several processes run {} (pids {}): not acting on a guess; stop the extra ones by pid, then retry",
                instance.image.display(),
                candidates
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
        .into()),
    }
}

/// Opens a handle on `pid` and then checks that it is this image's VM: opening first means a
/// pid reused after the check cannot be signalled through the handle. A process whose
/// identity cannot be told is neither acted on nor called stale: that is an error (exit 4).
fn open_if_vm(pid: i32, matcher: &ImageMatcher, pid_file: &Path) -> Result<Option<ProcessHandle>> {
    let handle = match ProcessHandle::open(pid) {
        Ok(Some(handle)) => handle,
        Ok(None) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(Fail::new(
                Code::Unknown,
                format!("no permission to watch process {pid}: run as its user or as root"),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    };
    if !process::alive(pid) {
        return Ok(None);
    }
    match matcher.identify(pid) {
        Identity::Runs => Ok(Some(handle)),
        Identity::Other => Ok(None),
        Identity::Unknown(why) => Err(Fail::new(
            Code::Unknown,
            format!(
                "cannot tell whether pid {pid} (from {}) runs this image: {why}; run as its user or as root",
                pid_file.display()
            ),
        )
        .into()),
    }
}
