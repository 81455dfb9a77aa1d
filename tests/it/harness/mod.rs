//! The test harness: a builder over the real `pharo-ctl` binary ([`command`]), run in a
//! temporary directory of its own with the VM test double ([`env`]), free loopback ports
//! ([`net`]), and guards that kill every process a test started when it ends, however it ends
//! ([`process`]); Docker for the container tests ([`container`]).

#![allow(dead_code)]

mod command;
pub mod container;
mod env;
mod net;
mod process;

pub use command::*;
pub use env::*;
pub use net::*;
pub use process::*;

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The pharo-ctl binary under test.
pub fn pharo_ctl() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pharo-ctl"))
}

/// The VM test double, built by `cargo test` as an example.
pub fn double() -> PathBuf {
    let bin = pharo_ctl();
    let path = bin.parent().unwrap().join("examples/pharo-vm-double");
    assert!(
        path.is_file(),
        "the VM test double is not built at {}: run `cargo build --examples` (cargo test builds it)",
        path.display()
    );
    path
}

/// Whether `program` can be run here. When it cannot, prints one line saying the test
/// `what` was skipped and why, and returns false, so the test passes on a machine that lacks
/// the program; under `PHARO_CTL_REQUIRE_ALL=1` (set by CI, which installs every program the
/// tests use) a missing program fails the test instead.
pub fn require_program(program: &str, what: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program)).is_ok_and(|m| {
                m.is_file()
                    && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
            })
        })
    });
    if !found {
        assert!(
            std::env::var_os("PHARO_CTL_REQUIRE_ALL").is_none_or(|v| v != "1"),
            "{program} is not installed, and PHARO_CTL_REQUIRE_ALL=1 requires it for {what}"
        );
        eprintln!("skipped {what}: {program} is not installed");
    }
    found
}

/// Waits until `condition` holds, checking often, and fails the test after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs each behaviour (a function taking a [`Layout`]) on each layout, as
/// `MODULE::LAYOUT::BEHAVIOUR`.
macro_rules! on_each_layout {
    ($($behaviour:ident),* $(,)?) => {
        mod direct {
            $(#[test] fn $behaviour() { super::$behaviour(super::Layout::Direct) })*
        }
        mod zeroconf {
            $(#[test] fn $behaviour() { super::$behaviour(super::Layout::Zeroconf) })*
        }
        mod script {
            $(#[test] fn $behaviour() { super::$behaviour(super::Layout::Script) })*
        }
    };
}
pub(crate) use on_each_layout;

/// Runs `systemd-analyze verify` on unit files and asserts that it has no findings: it exits
/// 0, and, since it exits 0 even when it ignores a line it cannot parse, says no word about the
/// units (`mark`, a part of their names). `text` is what the units came from, for the message.
pub fn systemd_verify(files: &[PathBuf], mark: &str, text: &str) {
    let verify = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .args(files)
        .output()
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        verify.status.success(),
        "systemd-analyze verify failed:\n{report}\n{text}"
    );
    assert!(
        !report.contains(mark),
        "systemd-analyze verify has findings:\n{report}\n{text}"
    );
}
