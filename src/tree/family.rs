//! How the processes that run an image are related: the launcher above a tree, the VM proper
//! below a wrapper, and which of a scan's VMs are one instance.

use super::MAX_DEPTH;
use crate::handle::ProcessHandle;
use crate::identity::{self, Identity, ImageMatcher};
use crate::process::{self, Stat, Table};
use std::collections::HashSet;
use std::ffi::OsString;

/// The parent of `pid` when it is a pharo-ctl (the launcher of `run`).
pub(super) fn launcher_of(pid: i32) -> Option<i32> {
    process::ppid(pid)
        .and_then(|parent| Some((parent, process::read_cmdline(parent)?)))
        .filter(|(parent, args)| process::is_pharo_ctl(*parent, &args[0]))
        .map(|(parent, _)| parent)
}

/// The deepest VM of the image below `pid`, while `pid` and the VMs on the way are scripts
/// (wrappers that run the VM as a child); `None` when there is none.
pub(super) fn deeper_vm(pid: i32, matcher: &ImageMatcher) -> Option<ProcessHandle> {
    let is_script = |pid: i32| {
        process::read_cmdline(pid).is_some_and(|args| identity::runs_a_script(pid, &args))
    };
    if !is_script(pid) {
        return None;
    }
    let mut table = process::table();
    table.sort_by_key(|&(pid, stat)| (stat.start, pid));
    let mut found = None;
    let mut at = pid;
    for _ in 0..MAX_DEPTH {
        let child = table
            .iter()
            .filter(|(_, stat)| stat.ppid == at)
            .find_map(|&(child, _)| {
                let (handle, stat) = ProcessHandle::open_live(child).ok()??;
                let args = process::read_cmdline(child)?;
                (stat.ppid == at
                    && matcher.identify_args(child, &args) == Identity::Runs
                    && !process::is_a_fork(child, &args))
                .then_some(handle)
            });
        let Some(child) = child else {
            break;
        };
        at = child.pid();
        found = Some(child);
        if !is_script(at) {
            break;
        }
    }
    found
}

/// Of the VMs a scan found, one per process tree: a fork of a candidate (a wrapper's
/// subshell) is none, a candidate above another is that one's wrapper, and a session made for
/// a VM (its leader is a candidate, or gone) holds one instance, whose VM proper is the
/// earliest started (others are forks of it).
pub fn one_per_tree(table: &impl Table, candidates: &[(i32, Vec<OsString>)]) -> Vec<i32> {
    let candidates: Vec<i32> = candidates
        .iter()
        .filter(|(pid, args)| !table.is_a_fork(*pid, args))
        .map(|(pid, _)| *pid)
        .collect();
    let all: HashSet<i32> = candidates.iter().copied().collect();
    let mut wrappers = HashSet::new();
    for &pid in &candidates {
        let mut at = table.ppid(pid);
        for _ in 0..MAX_DEPTH {
            let Some(parent) = at else {
                break;
            };
            if all.contains(&parent) {
                wrappers.insert(parent);
            }
            at = table.ppid(parent);
        }
    }
    let mut kept: Vec<(i32, Stat)> = candidates
        .iter()
        .filter(|pid| !wrappers.contains(pid))
        .filter_map(|&pid| Some((pid, table.stat(pid)?)))
        .collect();
    kept.sort_by_key(|&(pid, stat)| (stat.start, pid));
    let mut sessions = HashSet::new();
    kept.retain(|(_, stat)| {
        let made_for_a_vm =
            stat.sid > 0 && (all.contains(&stat.sid) || table.stat(stat.sid).is_none());
        !made_for_a_vm || sessions.insert(stat.sid)
    });
    let mut pids: Vec<i32> = kept.into_iter().map(|(pid, _)| pid).collect();
    pids.sort_unstable();
    pids
}
