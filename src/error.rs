//! The error that carries an exit code to the edge of the program.
//!
//! Commands work with `anyhow::Result`; a failure that must end with a particular exit status
//! is raised as a [`Fail`], which `lib::main` finds in the chain and turns into that status.
//! Any other error exits 1.

use crate::exit_code::Code;
use std::fmt;

/// A failure with the exit code DESIGN.md gives for it. Its message is one line that says what
/// went wrong and what to do.
#[derive(Debug)]
pub struct Fail {
    pub code: Code,
    pub message: String,
}

impl Fail {
    pub fn new(code: Code, message: impl Into<String>) -> Fail {
        Fail {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Fail {}

/// `Err(Fail)` as an `anyhow::Result`, for `return fail(…)`.
pub fn fail<T>(code: Code, message: impl Into<String>) -> anyhow::Result<T> {
    Err(Fail::new(code, message).into())
}

/// The exit code an error chain asks for: the first [`Fail`] in it, else 1.
pub fn code_of(error: &anyhow::Error) -> Code {
    error
        .chain()
        .find_map(|cause| cause.downcast_ref::<Fail>())
        .map_or(Code::Failure, |f| f.code)
}

/// An I/O error's reason without the `(os error N)` suffix, for a message that goes on to say
/// what to do: `Permission denied`.
pub fn reason(error: &std::io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
        None => error.to_string(),
    }
}
