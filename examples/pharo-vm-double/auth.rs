//! The REPL's `ZnBasicAuthenticator`, as a startup script gives it to the server:
//!
//! ```smalltalk
//! (ZnServer on: 42051)
//!     bindingAddress: NetNameResolver loopBackAddress;
//!     delegate: ZnReadEvalPrintDelegate new;
//!     authenticator: (ZnBasicAuthenticator
//!         username: 'pharo-ctl'
//!         password: (Smalltalk imageDirectory / 'zinc.repl-secret') contents trimBoth);
//!     start.
//! ```
//!
//! The password is a string literal, or read at start-up from a file beside the image, exactly
//! in the form above (what `pharo-ctl init` writes). A request whose `Authorization` header does
//! not carry these HTTP Basic credentials is answered as Zinc answers it: 401 with
//! `WWW-Authenticate: Basic realm=ZincHTTPComponents`, and nothing is evaluated.

use std::path::Path;

/// The credentials the REPL asks for.
pub struct Authenticator {
    username: String,
    password: String,
}

/// Where the script's authenticator takes its password from.
#[derive(Debug, PartialEq, Eq)]
pub enum Password {
    Literal(String),
    /// `(Smalltalk imageDirectory / 'FILE') contents trimBoth`.
    ImageFile(String),
}

/// The authenticator of a script (its code without comments, whitespace runs made one space):
/// the user name and where the password comes from, if the script gives the REPL one.
pub fn scan(code: &str) -> Option<(String, Password)> {
    const START: &str = "authenticator: (ZnBasicAuthenticator username: ";
    let rest = &code[code.find(START)? + START.len()..];
    let (username, rest) = string_literal(rest)?;
    let rest = rest.trim_start().strip_prefix("password:")?.trim_start();
    if let Some((password, _)) = string_literal(rest) {
        return Some((username, Password::Literal(password)));
    }
    let rest = rest
        .strip_prefix("(Smalltalk imageDirectory / ")?
        .trim_start();
    let (file, rest) = string_literal(rest)?;
    rest.trim_start()
        .strip_prefix(") contents trimBoth")
        .map(|_| (username, Password::ImageFile(file)))
}

/// A Smalltalk string literal at the start of `text` (`''` is a quote), and what follows it.
fn string_literal(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('\'')?.char_indices().peekable();
    let mut value = String::new();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            if chars.peek().is_some_and(|&(_, next)| next == '\'') {
                chars.next();
                value.push('\'');
                continue;
            }
            return Some((value, &text[i + 2..]));
        }
        value.push(c);
    }
    None
}

impl Authenticator {
    /// The authenticator of `username` and `password`, reading a password file beside
    /// `image` now, at start-up, as the script does; the error is what Pharo would say.
    pub fn new(username: String, password: Password, image: &Path) -> Result<Self, String> {
        let password = match password {
            Password::Literal(password) => password,
            Password::ImageFile(file) => {
                let dir = image.parent().unwrap_or(Path::new("."));
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                let path = dir.join(&file);
                std::fs::read_to_string(&path)
                    .map_err(|e| format!("FileDoesNotExistException: {} ({e})", path.display()))?
                    .trim()
                    .to_string()
            }
        };
        Ok(Authenticator { username, password })
    }

    /// Whether a request's `Authorization` header carries the credentials.
    pub fn admits(&self, authorization: Option<&str>) -> bool {
        let Some(value) = authorization else {
            return false;
        };
        let mut words = value.split_whitespace();
        let (Some(scheme), Some(encoded)) = (words.next(), words.next()) else {
            return false;
        };
        if !scheme.eq_ignore_ascii_case("basic") {
            return false;
        }
        let Some(decoded) = decode_base64(encoded) else {
            return false;
        };
        let Ok(decoded) = String::from_utf8(decoded) else {
            return false;
        };
        decoded.split_once(':') == Some((self.username.as_str(), self.password.as_str()))
    }
}

/// Standard base64 (RFC 4648), padded or not; `None` for anything else.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}
