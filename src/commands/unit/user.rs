//! Who a unit's service runs as. `--user` names an existing user who can write the
//! instance's files (its pid file and log are written as that user). Without it, root gets
//! the owner of the image (or, for a template, of the directory), and is told so; an image
//! that root owns is refused: a REPL runs any code it is sent, and a silent root service would
//! give that to whoever reaches it. Other users' units keep no `User=`: theirs is the service
//! manager's user.

use crate::error::Fail;
use crate::exit_code::Code;
use crate::output;
use anyhow::Result;
use nix::unistd::{Gid, Uid, User};
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// What the service's user must be able to do with the instance's files.
pub struct Needs {
    /// What names the user when none is given: the image, or a template's directory.
    pub owned: PathBuf,
    /// Directories the service creates files in, and files it appends to or rewrites (those
    /// that do not exist yet are skipped).
    pub writes: Vec<PathBuf>,
}

/// The user of `User=`, if any.
pub fn service_user(given: Option<&str>, needs: &Needs) -> Result<Option<String>> {
    let user = match given {
        Some(name) => User::from_name(name)?.ok_or_else(|| {
            Fail::new(
                Code::Usage,
                format!(
                    "--user {name}: no such user on this machine; create it (useradd --system {name}) or name another"
                ),
            )
        })?,
        None if !Uid::effective().is_root() => return Ok(None),
        None => owner(&needs.owned)?,
    };
    for path in &needs.writes {
        check_writes(&user, path, given.is_some())?;
    }
    if given.is_none() {
        output::step(format!(
            "the service runs as {}, the owner of {} (--user names another)",
            user.name,
            needs.owned.display()
        ));
    }
    Ok(Some(user.name))
}

/// The owner of `path`, unless it is root.
fn owner(path: &Path) -> Result<User> {
    let meta = path.metadata().map_err(|e| {
        Fail::new(
            Code::NotConfigured,
            format!("cannot read {}: {e}", path.display()),
        )
    })?;
    let uid = Uid::from_raw(meta.uid());
    if uid.is_root() {
        return Err(Fail::new(
            Code::Usage,
            format!(
                "{} is root's: the service would run the image, and its REPL, as root; pass --user USER (one who can write the instance's files), or --user root to mean it",
                path.display()
            ),
        )
        .into());
    }
    User::from_uid(uid)?.ok_or_else(|| {
        Fail::new(
            Code::Usage,
            format!(
                "{} belongs to uid {uid}, which has no user name: pass --user USER",
                path.display()
            ),
        )
        .into()
    })
}

/// Fails unless `user` may write `path` (when it exists), by its owner, group and mode.
fn check_writes(user: &User, path: &Path, given: bool) -> Result<()> {
    let Ok(meta) = path.metadata() else {
        return Ok(());
    };
    if may_write(user, &groups(user), meta.uid(), meta.gid(), meta.mode()) {
        return Ok(());
    }
    let fix = if given {
        format!(
            "give it to {0} (chown {0}) or pass --user with its owner",
            user.name
        )
    } else {
        format!("make it writable for {} or pass --user USER", user.name)
    };
    Err(Fail::new(
        Code::Unknown,
        format!(
            "the service's user {} cannot write {} (owner uid {}, mode {:o}): {fix}",
            user.name,
            path.display(),
            meta.uid(),
            meta.mode() & 0o7777
        ),
    )
    .into())
}

/// The groups of `user`: its own and those it is a member of.
fn groups(user: &User) -> Vec<Gid> {
    CString::new(user.name.as_bytes())
        .ok()
        .and_then(|name| nix::unistd::getgrouplist(&name, user.gid).ok())
        .unwrap_or_else(|| vec![user.gid])
}

/// Whether a user (of `groups`) may write a file of owner `uid`, group `gid` and `mode`.
fn may_write(user: &User, groups: &[Gid], uid: u32, gid: u32, mode: u32) -> bool {
    if user.uid.is_root() {
        return true;
    }
    if user.uid.as_raw() == uid {
        mode & 0o200 != 0
    } else if groups.contains(&Gid::from_raw(gid)) {
        mode & 0o020 != 0
    } else {
        mode & 0o002 != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(uid: u32) -> User {
        let mut user = User::from_uid(Uid::from_raw(0)).unwrap().unwrap();
        user.uid = Uid::from_raw(uid);
        user.gid = Gid::from_raw(uid);
        user.name = format!("u{uid}");
        user
    }

    #[test]
    fn write_permission_follows_owner_group_and_others() {
        let pharo = user(1000);
        let groups = [Gid::from_raw(1000), Gid::from_raw(50)];
        assert!(may_write(&pharo, &groups, 1000, 1000, 0o755));
        assert!(!may_write(&pharo, &groups, 1000, 1000, 0o555));
        assert!(may_write(&pharo, &groups, 0, 50, 0o775));
        assert!(!may_write(&pharo, &groups, 0, 50, 0o755));
        assert!(!may_write(&pharo, &groups, 0, 0, 0o755));
        assert!(may_write(&pharo, &groups, 0, 0, 0o1777));
        assert!(may_write(&user(0), &[], 1000, 1000, 0o500));
    }
}
