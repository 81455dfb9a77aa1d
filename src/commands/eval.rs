//! `pharo-ctl eval`: evaluate Smalltalk in the running image and print its answer exactly as
//! the image sent it.

use crate::error::fail;
use crate::exit_code::Code;
use crate::repl::{self, Repl};
use anyhow::{Context as _, Result};
use std::io::{Read, Write};
use std::time::Duration;

/// Evaluates the expression (`-` or none: standard input) in the REPL, waiting at most
/// `timeout` for the answer.
pub fn run(repl: &Repl, timeout: Duration, expr: Option<&str>, raw: bool) -> Result<Code> {
    let expr = match expr {
        Some("-") | None => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .context("cannot read the expression from standard input")?;
            match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(e) => {
                    return fail(
                        Code::Usage,
                        format!(
                            "the expression on standard input is not valid UTF-8 (byte {} of it): pharo-ctl takes UTF-8 expressions; convert it first, e.g. with iconv",
                            e.utf8_error().valid_up_to() + 1
                        ),
                    );
                }
            }
        }
        Some(expr) => expr.to_string(),
    };
    if expr.trim().is_empty() {
        return fail(
            Code::Usage,
            "nothing to evaluate: give an expression, e.g. pharo-ctl eval '42 factorial', or pipe one in",
        );
    }
    let url = repl.url().to_string();
    match repl.eval(&expr, timeout) {
        Ok(answer) => {
            std::io::stdout().write_all(&answer)?;
            std::io::stdout().flush()?;
            let error = !raw && repl::is_error_answer(&String::from_utf8_lossy(&answer));
            Ok(if error { Code::Failure } else { Code::Success })
        }
        Err(error) => Err(error.failure(&url, "raise --timeout").into()),
    }
}
