//! A REPL's credentials: the secret file (an instance's `NAME.repl-secret` beside the image, or
//! `--repl-secret FILE` / `PHARO_REPL_SECRET_FILE`), checked as ssh checks a private key
//! (nobody but its owner may read or write it), read once, and turned into the HTTP Basic
//! `Authorization` value that Zinc's `ZnBasicAuthenticator` asks for.
//!
//! The secret itself never leaves this module but as that header value: [`Credentials`]
//! prints as its file's name, never as what it holds.

use crate::error::fail;
use crate::exit_code::Code;
use anyhow::Result;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The user name of the REPL's `ZnBasicAuthenticator` when the startup script names none.
pub const DEFAULT_USER: &str = "pharo-ctl";

/// The HTTP Basic credentials of one REPL, loaded from its secret file.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    file: PathBuf,
    user: String,
    /// `Basic BASE64(user:secret)`.
    authorization: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("file", &self.file)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Reads the secret of `file` for user `user`, after checking that nobody but its owner
    /// may read or write it (exit 4 otherwise, as for a file pharo-ctl may not read). A file
    /// that is missing or empty is not configured (exit 6).
    pub fn load(file: &Path, user: &str) -> Result<Credentials> {
        let shown = file.display();
        let opened = std::fs::File::open(file);
        let opened = match opened {
            Ok(opened) => opened,
            Err(e) if e.kind() == ErrorKind::PermissionDenied => {
                return fail(Code::Unknown, unreadable(file));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return fail(
                    Code::NotConfigured,
                    format!(
                        "no REPL secret at {shown}: check --repl-secret or PHARO_REPL_SECRET_FILE, or create it with pharo-ctl init"
                    ),
                );
            }
            Err(e) => {
                return fail(
                    Code::Failure,
                    format!(
                        "cannot read the REPL secret {shown}: {}",
                        crate::error::reason(&e)
                    ),
                );
            }
        };
        let meta = opened.metadata()?;
        if !meta.is_file() {
            return fail(
                Code::NotConfigured,
                format!("the REPL secret {shown} is not a file: point --repl-secret at the file"),
            );
        }
        if meta.mode() & 0o077 != 0 {
            return fail(
                Code::Unknown,
                format!(
                    "the REPL secret {shown} may be read or written by others (mode {:04o}), so it is no secret: chmod 600 {shown}",
                    meta.mode() & 0o7777
                ),
            );
        }
        let mut bytes = Vec::new();
        if let Err(e) = opened.take(64 * 1024).read_to_end(&mut bytes) {
            return fail(
                Code::Failure,
                format!(
                    "cannot read the REPL secret {shown}: {}",
                    crate::error::reason(&e)
                ),
            );
        }
        let Ok(text) = String::from_utf8(bytes) else {
            return fail(
                Code::NotConfigured,
                format!("the REPL secret {shown} is not text: write a new one with pharo-ctl init"),
            );
        };
        // As the startup script reads it: `contents trimBoth`.
        let secret = text.trim();
        if secret.is_empty() {
            return fail(
                Code::NotConfigured,
                format!("the REPL secret {shown} is empty: write a new one with pharo-ctl init"),
            );
        }
        Ok(Credentials {
            file: file.to_path_buf(),
            user: user.to_string(),
            authorization: format!("Basic {}", base64(format!("{user}:{secret}").as_bytes())),
        })
    }

    /// The secret's file.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// The `Authorization` header line of a request, with its CRLF.
    pub fn header_line(&self) -> String {
        format!("Authorization: {}\r\n", self.authorization)
    }
}

/// The refusal of a secret pharo-ctl may not read: whose it is and how to run as that user.
fn unreadable(file: &Path) -> String {
    let shown = file.display();
    let owner = std::fs::metadata(file).ok().map(|m| m.uid());
    let name = owner.map(|uid| {
        nix::unistd::User::from_uid(uid.into())
            .ok()
            .flatten()
            .map_or(uid.to_string(), |u| u.name)
    });
    match name {
        Some(user) => format!(
            "cannot read the REPL secret {shown}: it is {user}'s and only {user} may read it; run pharo-ctl as {user}: sudo -u {user} pharo-ctl …"
        ),
        None => format!(
            "cannot read the REPL secret {shown}: permission denied; run pharo-ctl as the user the instance runs as (sudo -u USER pharo-ctl …)"
        ),
    }
}

/// Standard base64 with padding (RFC 4648), as HTTP Basic wants it.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn encodes_base64_as_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
            ("Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain}");
        }
    }

    #[test]
    fn a_secret_others_may_read_is_refused_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("zinc.repl-secret");
        std::fs::write(&file, "s3cr3t-value\n").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        let error = Credentials::load(&file, "pharo-ctl").unwrap_err();
        let message = error.to_string();
        assert!(message.contains("chmod 600"), "{message}");
        assert!(!message.contains("s3cr3t"), "{message}");
        assert_eq!(crate::error::code_of(&error), Code::Unknown);
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let credentials = Credentials::load(&file, "pharo-ctl").unwrap();
        assert_eq!(
            credentials.header_line(),
            format!(
                "Authorization: Basic {}\r\n",
                base64(b"pharo-ctl:s3cr3t-value")
            )
        );
        assert!(!format!("{credentials:?}").contains("s3cr3t"));
    }
}
