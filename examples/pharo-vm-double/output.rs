//! Output: stdout, flushed per line, and the optional events file a test waits on.

use std::fs::File;
use std::io::{self, Write};
use std::process;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

pub(crate) static EVENTS: OnceLock<Mutex<File>> = OnceLock::new();

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn print_flushed(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints a line on stdout and records it as an event.
pub(crate) fn say(line: &str) {
    print_flushed(&format!("{line}\n"));
    event(line);
}

/// Appends a line to the events file, if there is one.
pub(crate) fn event(line: &str) {
    if let Some(file) = EVENTS.get() {
        let mut file = lock(file);
        let _ = file.write_all(format!("{line}\n").as_bytes());
        let _ = file.flush();
    }
}

pub(crate) fn quit(code: i32) -> ! {
    event(&format!("exit {code}"));
    process::exit(code)
}

pub(crate) fn fail(message: &str) -> ! {
    eprintln!("pharo-vm-double: {message}");
    process::exit(1)
}
