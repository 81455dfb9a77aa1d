//! `pharo-ctl dump`: the VM's stack report on SIGUSR1, from instances started by `start` and by
//! `run`, and the refusal to signal a VM that does not catch SIGUSR1.

use crate::harness::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// What the double's report holds, as the VM's does.
fn assert_is_a_report(text: &str) {
    for part in [
        "SIGUSR1 ",
        "All Smalltalk process stacks (active first):",
        "Most recent primitives",
        "\t(SIGUSR1)",
    ] {
        assert!(text.contains(part), "the report lacks {part:?}:\n{text}");
    }
}

#[test]
fn dump_prints_the_report_and_the_vm_runs_on() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = env.start(&inst);
    let out = env.cmd().args(["dump", "zinc"]).run();
    out.success();
    assert_is_a_report(&out.stdout);
    // One report, the new one: a second dump prints only its own.
    assert_eq!(out.stdout.matches("\t(SIGUSR1)").count(), 1);
    assert!(env.read("crash.dmp").contains(&out.stdout));
    let again = env.cmd().args(["dump", "zinc"]).run();
    again.success();
    assert_eq!(again.stdout.matches("\t(SIGUSR1)").count(), 1);
    assert_eq!(env.read("crash.dmp").matches("\t(SIGUSR1)").count(), 2);
    assert!(alive(vm), "the VM runs on after its stack dump");
    env.cmd()
        .args(["status", "zinc"])
        .run()
        .success()
        .stdout_has("ok (");
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn dump_json_names_the_pid_the_time_and_the_file() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = env.start(&inst);
    let out = env.cmd().args(["dump", "zinc", "--json"]).run();
    out.success();
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(value["pid"], vm);
    assert!(
        value["taken_at"].as_str().unwrap().ends_with('Z'),
        "{value}"
    );
    let file = std::path::PathBuf::from(value["file"].as_str().unwrap());
    assert_eq!(
        file.canonicalize().unwrap(),
        env.file("crash.dmp").canonicalize().unwrap()
    );
    assert_is_a_report(value["report"].as_str().unwrap());
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn dump_works_for_an_instance_under_run() {
    let env = Env::new();
    env.instance("zinc");
    let mut running = env.cmd().args(["run", "zinc"]).spawn();
    running.wait_stderr("zinc is ready", LIMIT);
    let vm = env.pid_of("zinc");
    let out = env.cmd().args(["dump", "zinc"]).run();
    out.success();
    assert_is_a_report(&out.stdout);
    assert!(alive(vm));
    // The VM printed it to its stderr too, which run passes through (to the journal).
    running.wait_stderr("All Smalltalk process stacks (active first):", LIMIT);
    running.signal(libc::SIGTERM);
    running.finish().success();
    assert!(!alive(vm));
}

#[test]
fn a_vm_that_does_not_catch_sigusr1_is_never_sent_it() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = env.start_with(&inst, &[("PHARO_DOUBLE_USR1_DEFAULT", "1")]);
    let out = env.cmd().args(["dump", "zinc"]).run();
    out.code(1).stderr_has(&format!(
        "not sending SIGUSR1: the VM (pid {vm}) does not catch SIGUSR1"
    ));
    one_error_line(&out);
    assert!(out.stdout.is_empty());
    assert!(alive(vm), "the VM was not killed by a SIGUSR1");
    assert!(!env.exists("crash.dmp"));
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn a_vm_that_writes_no_report_is_a_clear_error() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = env.start_with(&inst, &[("PHARO_DOUBLE_USR1_SILENT", "1")]);
    let out = env.cmd().args(["dump", "zinc", "--timeout", "500ms"]).run();
    out.code(1)
        .stderr_has(&format!("pid {vm} wrote no stack report within 0.5s"))
        // Where it looked: crash.dmp in the VM's working directory, and the log.
        .stderr_has("crash.dmp")
        .stderr_has("zinc.log");
    one_error_line(&out);
    assert!(alive(vm));
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn dump_of_an_instance_that_does_not_run_exits_3() {
    let env = Env::new();
    env.instance("zinc");
    let out = env.cmd().args(["dump", "zinc"]).run();
    out.code(3).stderr_has("zinc is not running");
    one_error_line(&out);
}

#[test]
fn dump_asks_the_vm_proper_never_a_wrapper_that_would_die_of_sigusr1() {
    // Pharo's zeroconf scripts and an interpreted VM stand above the VM proper, and catch no
    // SIGUSR1: sent to them, it would end them.
    for layout in Layout::ALL {
        let env = Env::with_layout(layout);
        let inst = env.instance("zinc");
        env.start(&inst);
        let tree = env.processes();
        let out = env.cmd().args(["dump", "zinc"]).run();
        out.success();
        assert_is_a_report(&out.stdout);
        assert_eq!(env.processes(), tree, "{layout:?}: the whole tree runs on");
        env.cmd().args(["stop", "zinc"]).run().success();
    }
}
