//! Who belongs to an instance's process tree: the members of its session or process group,
//! or the descendants of its outermost process, each found through a pidfd opened before its
//! identity was read; and a view of them that can be kept apart from the [`Tree`] (the REPL's
//! identity check looks for the holder of a socket among them).

use super::Stat;
use super::handle::ProcessHandle;
use super::tree::Scope;
use std::collections::HashSet;

/// The live members of a tree of `scope` with the VM proper `vm` (and its `wrapper`) among the
/// processes of `table`, each with a handle opened before its identity was read, and their
/// process groups.
pub(super) fn members_of(
    scope: Scope,
    vm: &ProcessHandle,
    wrapper: Option<&ProcessHandle>,
    table: &[(i32, Stat)],
) -> (Vec<ProcessHandle>, HashSet<i32>) {
    let groups = std::cell::RefCell::new(HashSet::new());
    let confirmed = |pid: i32, belongs: &dyn Fn(&Stat) -> bool| match ProcessHandle::open_live(pid)
    {
        Ok(Some((handle, stat))) if belongs(&stat) => {
            groups.borrow_mut().insert(stat.pgid);
            Some(handle)
        }
        _ => None,
    };
    match scope {
        Scope::Session(id) | Scope::Group(id) => {
            let carries = |stat: &Stat| match scope {
                Scope::Session(_) => stat.sid == id,
                _ => stat.pgid == id,
            };
            let members = table
                .iter()
                .filter(|(_, stat)| carries(stat))
                .filter_map(|&(pid, _)| confirmed(pid, &carries))
                .collect();
            (members, groups.into_inner())
        }
        Scope::Below => {
            let mut members: Vec<ProcessHandle> = [Some(vm), wrapper]
                .into_iter()
                .flatten()
                .filter(|root| !root.exited())
                .filter_map(|root| root.try_clone().ok())
                .collect();
            let mut known: HashSet<i32> = members.iter().map(ProcessHandle::pid).collect();
            let mut grew = true;
            while grew {
                grew = false;
                for &(pid, stat) in table {
                    if known.contains(&stat.ppid)
                        && !known.contains(&pid)
                        && let Some(handle) = confirmed(pid, &|s| known.contains(&s.ppid))
                    {
                        known.insert(pid);
                        members.push(handle);
                        grew = true;
                    }
                }
            }
            // Descendants are found by their parents: the process table is always listed.
            (members, HashSet::new())
        }
    }
}

/// The members of a tree, seen apart from it ([`Tree::members_view`]).
#[derive(Debug)]
pub struct Members {
    vm: ProcessHandle,
    wrapper: Option<ProcessHandle>,
    scope: Scope,
}

impl Members {
    /// The members of the tree whose VM proper is `vm` (below `wrapper`) in `scope`.
    pub(super) fn new(vm: ProcessHandle, wrapper: Option<ProcessHandle>, scope: Scope) -> Members {
        Members { vm, wrapper, scope }
    }

    /// The VM proper, then its wrapper: the members most likely to hold what is looked for.
    pub fn first(&self) -> impl Iterator<Item = &ProcessHandle> {
        std::iter::once(&self.vm).chain(self.wrapper.as_ref())
    }

    /// The VM proper.
    pub fn vm(&self) -> &ProcessHandle {
        &self.vm
    }

    /// Every live member, from the process table as it is now.
    pub fn all(&self) -> Vec<ProcessHandle> {
        members_of(self.scope, &self.vm, self.wrapper.as_ref(), &super::table()).0
    }
}
