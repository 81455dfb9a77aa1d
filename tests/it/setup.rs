//! The README's set-up on a fresh machine: the demo runs the binaries wherever cargo put them.

use crate::harness::*;
use std::path::{Path, PathBuf};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/demo.sh")
}

/// Puts `from` at `to`: a hard link when it can, else a copy.
fn place(from: &Path, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    if std::fs::hard_link(from, to).is_err() {
        std::fs::copy(from, to).unwrap();
    }
}

#[test]
fn the_demo_runs_the_binaries_of_cargo_target_dir() {
    let env = Env::new();
    // A target directory outside the project, as `export CARGO_TARGET_DIR=…` makes it.
    let target = env.file("cargo-target");
    place(&pharo_ctl(), &target.join("release/pharo-ctl"));
    place(&double(), &target.join("release/examples/pharo-vm-double"));
    let out = Cmd::program(demo(), env.path())
        .env_remove("PHARO_VM")
        .env("CARGO_TARGET_DIR", &target)
        // The demo's directory is made inside the test's, whose guard kills what it leaves.
        .env("TMPDIR", env.path())
        .run();
    out.success()
        .stdout_has("1405006117752879898543142606244511569936384000000000")
        .stdout_has(&format!("{}/release/pharo-ctl", target.display()))
        .stderr_has("zinc stopped cooperatively");
    assert!(env.vms().is_empty(), "the demo left a VM behind");
}

#[test]
fn the_demo_says_where_it_looked_for_a_binary_that_is_not_built() {
    let env = Env::new();
    let target = env.file("empty-target");
    std::fs::create_dir(&target).unwrap();
    let out = Cmd::program(demo(), env.path())
        .env("CARGO_TARGET_DIR", &target)
        .run();
    out.code(1).stderr_has(&format!(
        "demo: {}/release/pharo-ctl is missing: run cargo build --release --bins --examples",
        target.display()
    ));
}
