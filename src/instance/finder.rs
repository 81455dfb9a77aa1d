//! Finding an instance's VM: the pid file first, with an identity check, then a scan of the
//! process table. A pid that is not this image's VM is never acted on. What is found is the
//! VM's process tree: the VM proper, and a wrapper above it when there is one.

use crate::error::Fail;
use crate::exit_code::Code;
use crate::instance::Instance;
use crate::instance::pidfile::{self, PidFile};
use crate::output;
use crate::process::handle::ProcessHandle;
use crate::process::identity::{self, Identity, ImageMatcher};
use crate::process::tree::Tree;
use crate::process::{Proc, Stat, Table};

use anyhow::Result;
use std::ffi::OsString;
use std::io;
use std::path::Path;

/// Where the VM was found, or why it was not: its process tree (`T`), or the handle the unit
/// tests' fake table answers.
#[derive(Debug)]
pub enum Found<T = Tree> {
    /// The VM runs. `stale_pid_file` tells that the pid file names something else (it was
    /// found by the scan).
    Running {
        tree: T,
        via_pid_file: bool,
        stale_pid_file: Option<PidFile>,
    },
    /// No VM runs, but a pid file is left that names a dead or foreign process.
    Stale(PidFile),
    /// No VM runs and there is no pid file.
    NotRunning,
}

impl<T> Found<T> {
    /// The same finding, with the VM's handle turned into something else (its tree).
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Found<U> {
        match self {
            Found::Running {
                tree,
                via_pid_file,
                stale_pid_file,
            } => Found::Running {
                tree: f(tree),
                via_pid_file,
                stale_pid_file,
            },
            Found::Stale(pid_file) => Found::Stale(pid_file),
            Found::NotRunning => Found::NotRunning,
        }
    }
}

/// What the finder asks of the machine about an image's VMs: the live process table
/// ([`Live`]), or the unit tests' fake one.
pub trait Processes: Table {
    /// A handle on a process, through which it is then acted on.
    type Handle;
    /// Opens a handle on `pid`; `None` when no such process exists.
    fn open(&self, pid: i32) -> io::Result<Option<Self::Handle>>;
    /// Whether `pid` is the image's VM.
    fn identify(&self, pid: i32) -> Identity;
    /// The live VMs whose command line names the image, in pid order, each with the command
    /// line it was judged by.
    fn scan(&self) -> Vec<(i32, Vec<OsString>)>;
}

/// The live process table, asked about one image.
struct Live<'a> {
    matcher: &'a ImageMatcher,
}

impl Table for Live<'_> {
    fn stat(&self, pid: i32) -> Option<Stat> {
        Proc.stat(pid)
    }

    fn cmdline(&self, pid: i32) -> Option<Vec<OsString>> {
        Proc.cmdline(pid)
    }
}

impl Processes for Live<'_> {
    type Handle = ProcessHandle;

    fn open(&self, pid: i32) -> io::Result<Option<ProcessHandle>> {
        ProcessHandle::open(pid)
    }

    fn identify(&self, pid: i32) -> Identity {
        self.matcher.identify(pid)
    }

    fn scan(&self) -> Vec<(i32, Vec<OsString>)> {
        identity::scan(self.matcher, |pid, why| {
            output::detail(format!("passing over pid {pid}: {why}"));
        })
    }
}

/// Finds the running VM of `instance`.
pub fn find(instance: &Instance) -> Result<Found> {
    let matcher = instance.matcher();
    let recorded = pidfile::read(&instance.pid_file)?;
    let live = Live { matcher: &matcher };
    let found = decide(&live, recorded, &instance.image, &instance.pid_file)?;
    Ok(found.map(|handle| Tree::of(handle, &matcher)))
}

/// The finder's decisions, given what the pid file holds (`recorded`): the process it names
/// when that is the image's VM, else the one VM the scan finds, one per process tree.
fn decide<P: Processes>(
    processes: &P,
    recorded: PidFile,
    image: &Path,
    pid_file: &Path,
) -> Result<Found<P::Handle>> {
    if let PidFile::Pid(pid) = recorded
        && let Some(handle) = open_if_vm(processes, pid, pid_file)?
    {
        return Ok(Found::Running {
            tree: handle,
            via_pid_file: true,
            stale_pid_file: None,
        });
    }
    let stale = (recorded != PidFile::Missing).then_some(recorded);
    let candidates = identity::one_per_tree(processes, &processes.scan());
    match candidates[..] {
        [] => Ok(stale.map_or(Found::NotRunning, Found::Stale)),
        [pid] => match open_if_vm(processes, pid, pid_file)? {
            Some(handle) => Ok(Found::Running {
                tree: handle,
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
                image.display(),
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
fn open_if_vm<P: Processes>(processes: &P, pid: i32, pid_file: &Path) -> Result<Option<P::Handle>> {
    let handle = match processes.open(pid) {
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
    if !processes.alive(pid) {
        return Ok(None);
    }
    match processes.identify(pid) {
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

#[cfg(test)]
mod tests {
    //! The finder's decisions against a fake process table.

    use super::*;
    use std::collections::BTreeMap;

    /// A process of the fake table.
    struct Fake {
        stat: Stat,
        cmdline: Vec<OsString>,
        identity: Identity,
    }

    /// A process table made up by the test; a handle is the pid it was opened on.
    #[derive(Default)]
    struct FakeTable {
        processes: BTreeMap<i32, Fake>,
        /// Processes that may not be watched (another user's, without privilege).
        denied: Vec<i32>,
    }

    impl FakeTable {
        /// Adds a process: its parent, session, start time, command line, and whether it
        /// runs the image.
        fn with(mut self, pid: i32, ppid: i32, sid: i32, start: u64, cmdline: &str) -> Self {
            let identity = if cmdline.contains("zinc.image") {
                Identity::Runs
            } else {
                Identity::Other
            };
            self.processes.insert(
                pid,
                Fake {
                    stat: Stat {
                        state: 'S',
                        ppid,
                        pgid: sid,
                        sid,
                        start,
                        threads: 1,
                        flags: 0,
                    },
                    cmdline: cmdline.split(' ').map(OsString::from).collect(),
                    identity,
                },
            );
            self
        }

        fn identity(mut self, pid: i32, identity: Identity) -> Self {
            self.processes.get_mut(&pid).unwrap().identity = identity;
            self
        }

        fn zombie(mut self, pid: i32) -> Self {
            self.processes.get_mut(&pid).unwrap().stat.state = 'Z';
            self
        }

        fn find(&self, recorded: PidFile) -> Result<Found<i32>> {
            decide(
                self,
                recorded,
                Path::new("/srv/zinc.image"),
                Path::new("/srv/zinc.pid"),
            )
        }
    }

    impl Table for FakeTable {
        fn stat(&self, pid: i32) -> Option<Stat> {
            self.processes.get(&pid).map(|p| p.stat)
        }

        fn cmdline(&self, pid: i32) -> Option<Vec<OsString>> {
            self.processes.get(&pid).map(|p| p.cmdline.clone())
        }
    }

    impl Processes for FakeTable {
        type Handle = i32;

        fn open(&self, pid: i32) -> io::Result<Option<i32>> {
            if self.denied.contains(&pid) {
                return Err(io::Error::from_raw_os_error(libc::EPERM));
            }
            Ok(self.processes.contains_key(&pid).then_some(pid))
        }

        fn identify(&self, pid: i32) -> Identity {
            self.processes
                .get(&pid)
                .map_or(Identity::Other, |p| p.identity.clone())
        }

        fn scan(&self) -> Vec<(i32, Vec<OsString>)> {
            self.processes
                .iter()
                .filter(|(_, p)| p.identity == Identity::Runs && !p.stat.ended())
                .filter_map(|(&pid, _)| Some((pid, self.cmdline(pid)?)))
                .collect()
        }
    }

    const VM: &str = "pharo --headless zinc.image zinc.st";

    /// What was found, as the test compares it: the VM's pid and how it was found.
    fn running(found: Found<i32>) -> (i32, bool, Option<PidFile>) {
        match found {
            Found::Running {
                tree,
                via_pid_file,
                stale_pid_file,
            } => (tree, via_pid_file, stale_pid_file),
            other => panic!("not running: {other:?}"),
        }
    }

    #[test]
    fn a_pid_file_naming_the_vm_is_trusted() {
        // Another process runs the image too: the pid file decides, no scan is needed.
        let table = FakeTable::default()
            .with(40, 1, 40, 5, VM)
            .with(41, 1, 41, 6, VM);
        let found = table.find(PidFile::Pid(40)).unwrap();
        assert_eq!(running(found), (40, true, None));
    }

    #[test]
    fn a_pid_file_naming_another_process_is_stale_and_the_scan_finds_the_vm() {
        let table = FakeTable::default()
            .with(30, 1, 30, 1, "sshd -D")
            .with(40, 1, 40, 5, VM);
        let found = table.find(PidFile::Pid(30)).unwrap();
        assert_eq!(running(found), (40, false, Some(PidFile::Pid(30))));
    }

    #[test]
    fn a_pid_file_naming_a_dead_process_or_a_zombie_is_stale() {
        let table = FakeTable::default().with(40, 1, 40, 5, VM).zombie(40);
        for recorded in [PidFile::Pid(40), PidFile::Pid(77), PidFile::Garbage] {
            match table.find(recorded).unwrap() {
                Found::Stale(pid_file) => assert_eq!(pid_file, recorded),
                other => panic!("{recorded:?}: {other:?}"),
            }
        }
        assert!(matches!(
            table.find(PidFile::Missing).unwrap(),
            Found::NotRunning
        ));
    }

    #[test]
    fn without_a_pid_file_the_one_vm_of_the_scan_is_found() {
        let table = FakeTable::default()
            .with(30, 1, 30, 1, "tail -f zinc.log")
            .with(40, 1, 40, 5, VM);
        let found = table.find(PidFile::Missing).unwrap();
        assert_eq!(running(found), (40, false, None));
    }

    #[test]
    fn several_vms_of_the_image_are_not_acted_on() {
        let table = FakeTable::default()
            .with(40, 1, 40, 5, VM)
            .with(52, 1, 52, 9, VM);
        let error = table.find(PidFile::Garbage).unwrap_err();
        assert_eq!(crate::error::code_of(&error), Code::Unknown);
        assert_eq!(
            error.to_string(),
            "several processes run /srv/zinc.image (pids 40, 52): not acting on a guess; stop the extra ones by pid, then retry"
        );
    }

    #[test]
    fn a_wrapper_and_its_vm_count_once_as_the_vm() {
        // The zeroconf script (40) runs the VM (42) as its child; its subshell (41) is a fork.
        let wrapper = "bash ./pharo zinc.image zinc.st";
        let table = FakeTable::default()
            .with(40, 1, 40, 5, wrapper)
            .with(41, 40, 40, 6, wrapper)
            .with(
                42,
                40,
                40,
                7,
                "pharo-vm/lib/pharo --headless zinc.image zinc.st",
            );
        let found = table.find(PidFile::Missing).unwrap();
        assert_eq!(running(found), (42, false, None));
        // Through the pid file, which names the wrapper written before it started the VM.
        let found = table.find(PidFile::Pid(40)).unwrap();
        assert_eq!(running(found), (40, true, None));
    }

    #[test]
    fn a_session_made_for_a_vm_holds_one_instance() {
        // `start` made session 40, whose leader is gone; the VM (43) forked a child of its
        // own (44) that runs a program which still names the image.
        let table = FakeTable::default().with(43, 1, 40, 7, VM).with(
            44,
            1,
            40,
            8,
            "pharo --headless zinc.image --worker",
        );
        let found = table.find(PidFile::Missing).unwrap();
        assert_eq!(running(found), (43, false, None));
    }

    #[test]
    fn a_process_that_cannot_be_told_apart_is_exit_4() {
        let why = "it names zinc.image by a relative path and its working directory cannot be read (EACCES)";
        let table = FakeTable::default()
            .with(40, 1, 40, 5, VM)
            .identity(40, Identity::Unknown(why.into()));
        let error = table.find(PidFile::Pid(40)).unwrap_err();
        assert_eq!(crate::error::code_of(&error), Code::Unknown);
        assert_eq!(
            error.to_string(),
            format!(
                "cannot tell whether pid 40 (from /srv/zinc.pid) runs this image: {why}; run as its user or as root"
            )
        );
    }

    #[test]
    fn a_process_that_may_not_be_watched_is_exit_4() {
        let mut table = FakeTable::default().with(40, 1, 40, 5, VM);
        table.denied.push(40);
        let error = table.find(PidFile::Pid(40)).unwrap_err();
        assert_eq!(crate::error::code_of(&error), Code::Unknown);
        assert_eq!(
            error.to_string(),
            "no permission to watch process 40: run as its user or as root"
        );
    }
}
