//! The files `init` creates, each created anew (never over an existing one) and given to the
//! instance's user, and taken back if a later one fails, so that nothing is half-written.

use crate::error::fail;
use crate::exit_code::Code;
use anyhow::{Context as _, Result};
use nix::unistd::{Gid, Uid, User};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The user the instance runs as, who owns its secret.
pub struct Owner {
    pub name: String,
    uid: Uid,
    gid: Gid,
}

impl Owner {
    /// `--user` (root only, unless it names pharo-ctl's own user); else, for root, the owner
    /// of the image (or of the image to copy); else pharo-ctl's own user.
    pub fn resolve(user: Option<&str>, image: &Path, source: Option<&Path>) -> Result<Owner> {
        let me = Uid::current();
        let found = match user {
            Some(name) => {
                let Some(found) = User::from_name(name).ok().flatten() else {
                    return fail(
                        Code::Usage,
                        format!("no user '{name}' on this host: check --user"),
                    );
                };
                if !me.is_root() && found.uid != me {
                    return fail(
                        Code::Unknown,
                        format!(
                            "only root may give the secret to another user: run init as root (sudo pharo-ctl init … --user {name}) or as {name}"
                        ),
                    );
                }
                found
            }
            None => {
                let uid = if me.is_root() {
                    let of = |p: &Path| p.metadata().ok().map(|m| Uid::from_raw(m.uid()));
                    source.and_then(of).or_else(|| of(image)).unwrap_or(me)
                } else {
                    me
                };
                match User::from_uid(uid).ok().flatten() {
                    Some(found) => found,
                    None => {
                        return fail(
                            Code::Usage,
                            format!("user id {uid} has no name on this host: pass --user"),
                        );
                    }
                }
            }
        };
        Ok(Owner {
            name: found.name,
            uid: found.uid,
            gid: found.gid,
        })
    }

    /// Whether pharo-ctl runs as this user.
    pub fn is_self(&self) -> bool {
        self.uid == Uid::current()
    }

    fn give(&self, path: &Path) -> Result<()> {
        if self.is_self() {
            return Ok(());
        }
        nix::unistd::chown(path, Some(self.uid), Some(self.gid))
            .with_context(|| format!("cannot give {} to {}", path.display(), self.name))
    }
}

/// What has been created so far.
#[derive(Default)]
pub struct Created(Vec<PathBuf>);

impl Created {
    /// Copies `source` to `image` (a new file), or links it (`link`: a symbolic link to its
    /// absolute path); its `.changes` file alike, when it has one and `NAME.changes` is free.
    pub fn image(&mut self, source: &Path, image: &Path, link: bool) -> Result<()> {
        self.one(source, image, link)?;
        let changes = source.with_extension("changes");
        let beside = image.with_extension("changes");
        if changes.is_file() && beside.symlink_metadata().is_err() {
            self.one(&changes, &beside, link)?;
        }
        Ok(())
    }

    fn one(&mut self, source: &Path, target: &Path, link: bool) -> Result<()> {
        if link {
            let absolute = std::path::absolute(source)?;
            std::os::unix::fs::symlink(&absolute, target).with_context(|| {
                format!("cannot link {} to {}", target.display(), absolute.display())
            })?;
            self.0.push(target.to_path_buf());
            return Ok(());
        }
        let mut from = std::fs::File::open(source)
            .with_context(|| format!("cannot read {}", source.display()))?;
        let mode = from.metadata()?.mode() & 0o777;
        let mut to = create_new(target, mode)?;
        self.0.push(target.to_path_buf());
        std::io::copy(&mut from, &mut to)
            .and_then(|_| to.sync_all())
            .with_context(|| format!("cannot copy {} to {}", source.display(), target.display()))?;
        Ok(())
    }

    /// Writes a new secret: 256 bits from the kernel's random source, as 64 hex digits, mode
    /// 0600, given to `owner`.
    pub fn secret(&mut self, path: &Path, owner: &Owner) -> Result<()> {
        let mut bytes = [0u8; 32];
        random(&mut bytes)?;
        let mut text: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        text.push('\n');
        self.file_with_mode(path, &text, 0o600, owner)
    }

    /// Writes a new file of `text` for `owner`, readable by all (a script).
    pub fn file(&mut self, path: &Path, text: &str, owner: &Owner) -> Result<()> {
        self.file_with_mode(path, text, 0o644, owner)
    }

    fn file_with_mode(&mut self, path: &Path, text: &str, mode: u32, owner: &Owner) -> Result<()> {
        let mut file = create_new(path, mode)?;
        self.0.push(path.to_path_buf());
        // The mode asked for, whatever the umask.
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        owner.give(path)?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Removes what was created.
    pub fn undo(self) {
        for path in self.0.iter().rev() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// A file created anew, never over an existing one nor through a symbolic link.
fn create_new(path: &Path, mode: u32) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| {
            let code = match e.kind() {
                std::io::ErrorKind::PermissionDenied => Code::Unknown,
                std::io::ErrorKind::AlreadyExists => Code::Usage,
                _ => Code::Failure,
            };
            crate::error::Fail::new(
                code,
                format!(
                    "cannot create {}: {}{}",
                    path.display(),
                    crate::error::reason(&e),
                    if code == Code::Unknown {
                        "; run init as a user who may write the directory"
                    } else {
                        ""
                    }
                ),
            )
            .into()
        })
}

/// Fills `buf` from the kernel's random source (getrandom(2), which blocks only until the
/// pool is first initialised).
fn random(buf: &mut [u8]) -> Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = &mut buf[filled..];
        // SAFETY: `rest` is a valid, writable buffer of `rest.len()` bytes.
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        if n < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e).context("cannot read random bytes from the kernel");
        }
        filled += n as usize;
    }
    Ok(())
}
