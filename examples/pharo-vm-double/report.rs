//! The stack report a Pharo VM writes on SIGUSR1 (pharo-vm `src/debugUnix.c`,
//! `reportStackState`): appended to `crash.dmp` in the working directory and printed to stderr,
//! after which the VM runs on. The double's report has the real one's shape: a `SIGUSR1 DATE`
//! heading, the VM's identity, "All Smalltalk process stacks (active first)", "Most recent
//! primitives", and the closing `\t(SIGUSR1)` line.

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::Path;

/// The file a Pharo VM appends its reports to, in its working directory.
pub const CRASH_DUMP: &str = "crash.dmp";

/// Writes one report to `crash.dmp` in the working directory and to stderr.
pub fn write(image: &str) {
    let text = report(image);
    let to_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(Path::new(CRASH_DUMP))
        .and_then(|mut file| file.write_all(text.as_bytes()));
    if let Err(error) = to_file {
        eprintln!("pharo-vm-double: cannot append to {CRASH_DUMP}: {error}");
    }
    let mut err = io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
    let _ = err.flush();
}

fn report(image: &str) -> String {
    let exe = std::env::current_exe()
        .map_or_else(|_| "pharo-vm-double".into(), |p| p.display().to_string());
    let date = ctime();
    format!(
        "\nSIGUSR1 {date}\n\n{exe}\n{image}\n\
         pharo-vm-double: the test double of a Pharo VM\n\n\
         C stack backtrace & registers:\n\t(the double has no C stack to show)\n\n\n\
         All Smalltalk process stacks (active first):\n\
         Process 0x10a2b8 priority 40\n\
         0x7ffd1000 M Semaphore>>wait 0x1a8f20: a(n) Semaphore\n\
         0x7ffd1040 M ZnReadEvalPrintDelegate>>handleRequest: 0x1b3300: a(n) ZnReadEvalPrintDelegate\n\
         0x7ffd1080 M [] in ZnManagingMultiThreadedServer>>serveConnectionsOn: 0x1b3300\n\
         0x7ffd10c0 M BlockClosure>>on:do: 0x1c0010: a(n) BlockClosure\n\n\
         Process 0x10a300 priority 30\n\
         0x7ffd2000 M Delay>>wait 0x1d0020: a(n) Delay\n\
         0x7ffd2040 M WorldState>>interCyclePause: 0x1d1000: a(n) WorldState\n\n\
         Process 0x10a388 priority 10\n\
         0x7ffd3000 M ProcessorScheduler>>relinquishProcessorForMicroseconds: 0x1e0000\n\
         0x7ffd3040 M ProcessorScheduler>>idleProcess 0x1e0000: a(n) ProcessorScheduler\n\n\
         Most recent primitives\n\
         primitiveWait\nprimitiveSignal\nprimitiveSocketReceiveDataBufCount\nprimitiveWait\n\n\
         stack page bytes 8192 available headroom 5528 minimum unused headroom 5248\n\n\
         \t(SIGUSR1)\n"
    )
}

/// The local time as `ctime(3)` writes it (`Wed Dec  2 13:45:59 2026`), as the VM dates its
/// reports.
fn ctime() -> String {
    let mut buf = [0 as libc::c_char; 32];
    // SAFETY: time(NULL) only answers the time; ctime_r writes at most 26 bytes into `buf`
    // (32 long) and answers it NUL-terminated, or null on failure.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        if libc::ctime_r(&now, buf.as_mut_ptr()).is_null() {
            return String::from("(no date)");
        }
        std::ffi::CStr::from_ptr(buf.as_ptr())
            .to_string_lossy()
            .trim_end()
            .to_string()
    }
}
