//! start, stop, restart and pid: the cooperative stop, every escalation path, pid files that
//! lie, and pharo-ctl.sh's argument order.

use crate::harness::*;
use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn start_status_and_a_cooperative_stop() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.cmd()
        .args(["start", "zinc"])
        .run()
        .success()
        .stderr_has("zinc is running (pid");
    let pid = env.pid_of("zinc");
    assert!(alive(pid));
    assert_eq!(env.read("zinc.pid"), format!("{pid}\n"));
    env.cmd().args(["status", "zinc"]).run().success();
    wait_until("the REPL", LIMIT, || listening(inst.repl_port));

    let out = env.cmd().args(["stop", "zinc"]).run();
    out.success().stderr_has("zinc stopped cooperatively in");
    assert!(!alive(pid));
    assert!(!env.exists("zinc.pid"));
    let log = env.read("zinc.log");
    assert!(log.contains("Starting ShutdownSequence..."), "{log}");
    assert!(
        log.contains("Completed ShutdownSequence successfully"),
        "{log}"
    );
    env.cmd().args(["status", "zinc"]).run().code(3);
}

#[test]
fn stop_of_a_stopped_instance_says_so() {
    let env = Env::new();
    env.instance("zinc");
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc is not running");
}

#[test]
fn a_second_start_finds_the_first() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    env.cmd()
        .args(["start", "zinc"])
        .run()
        .success()
        .stderr_has(&format!("zinc is already running (pid {pid})"));
    assert_eq!(env.vms(), vec![pid]);
}

#[test]
fn concurrent_starts_yield_one_vm() {
    let env = Env::new();
    env.instance("zinc");
    let starts: Vec<Running> = (0..6)
        .map(|_| {
            env.cmd()
                .args(["start", "--settle", "300ms", "zinc"])
                .spawn()
        })
        .collect();
    for start in starts {
        start.finish().success();
    }
    let vms = env.vms();
    assert_eq!(vms.len(), 1, "{vms:?}");
    assert_eq!(env.pid_of("zinc"), vms[0]);
}

#[test]
fn an_ignored_shutdown_escalates_to_sigterm_after_the_grace() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start_with(&inst, &[("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1")]);
    let out = env.cmd().args(["stop", "--timeout", "400ms", "zinc"]).run();
    out.success()
        .stderr_has("shutdown accepted")
        .stderr_has("sending SIGTERM")
        .stderr_has("zinc terminated by SIGTERM after")
        .stderr_has("not cooperative");
    assert!(out.elapsed >= Duration::from_millis(400));
    assert!(!alive(pid));
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn an_ignored_sigterm_escalates_to_sigkill() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start_with(
        &inst,
        &[
            ("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1"),
            ("PHARO_DOUBLE_IGNORE_SIGTERM", "1"),
        ],
    );
    env.cmd()
        .args(["stop", "-t", "200ms", "--kill-after", "300ms", "zinc"])
        .run()
        .success()
        .stderr_has("sending SIGKILL")
        .stderr_has("zinc killed by SIGKILL after");
    assert!(!alive(pid));
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn an_unreachable_repl_wastes_no_grace() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // The image runs, but its script never starts the REPL.
    env.script(
        "zinc",
        "Smalltalk at: #ShutdownSequence put: [ Smalltalk quit ].\n",
    );
    env.cmd().args(["start", "zinc"]).run().success();
    let pid = env.pid_of(&inst.name);
    let out = env
        .cmd()
        .args([
            "stop",
            "--repl",
            &format!("http://127.0.0.1:{}/repl", inst.repl_port),
            "--timeout",
            "60s",
            "zinc",
        ])
        .run();
    out.success()
        .stderr_has("unreachable")
        .stderr_has("zinc terminated by SIGTERM");
    // Far less than the 60 s grace: the grace was skipped.
    assert!(out.elapsed < Duration::from_secs(30), "{:?}", out.elapsed);
    assert!(!alive(pid));
}

#[test]
fn a_missing_shutdown_sequence_wastes_no_grace() {
    let env = Env::new();
    let inst = env.instance_without_shutdown("zinc");
    env.start(&inst);
    let pid = env.pid_of("zinc");
    let out = env.cmd().args(["stop", "--timeout", "60s", "zinc"]).run();
    out.success()
        .stderr_has("answered an error")
        .stderr_has("receiver of \"fork\" is nil")
        .stderr_has("zinc terminated by SIGTERM");
    assert!(out.elapsed < Duration::from_secs(30), "{:?}", out.elapsed);
    assert!(!alive(pid));
}

#[test]
fn open_connections_delay_the_shutdown_sequence() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    // A keep-alive client holds a connection to the application server.
    let mut client = TcpStream::connect(("127.0.0.1", inst.app_port)).unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    let out = env.cmd().args(["stop", "zinc"]).run();
    out.success().stderr_has("stopped cooperatively");
    // The seed's ShutdownSequence waits 3 seconds for open connections.
    assert!(out.elapsed >= Duration::from_secs(3), "{:?}", out.elapsed);
    assert!(!alive(pid));
    assert!(
        env.read("zinc.log")
            .contains("Completed ShutdownSequence successfully")
    );
}

#[test]
fn a_stale_pid_file_naming_a_foreign_process_never_gets_it_signalled() {
    let env = Env::new();
    env.instance("zinc");
    let foreign = Spawned::new("sleep", &["1000"], env.path());
    std::fs::write(env.file("zinc.pid"), format!("{}\n", foreign.pid())).unwrap();

    env.cmd().args(["status", "zinc"]).run().code(1);
    env.cmd().args(["pid", "zinc"]).run().code(1);
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("removed the stale pid file");
    assert!(alive(foreign.pid()), "the foreign process was signalled");
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn a_pid_file_naming_another_images_vm_is_stale() {
    let env = Env::new();
    let other = env.instance("other");
    env.instance("zinc");
    let other_pid = env.start(&other);
    std::fs::write(env.file("zinc.pid"), format!("{other_pid}\n")).unwrap();
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("not running");
    assert!(alive(other_pid), "another image's VM was signalled");
}

#[test]
fn without_a_pid_file_the_process_table_is_scanned() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    std::fs::remove_file(env.file("zinc.pid")).unwrap();
    env.cmd()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{pid}\n"));
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("stopped cooperatively");
    assert!(!alive(pid));
}

#[test]
fn two_vms_of_one_image_are_not_guessed_between() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let first = env.start(&inst);
    // A second VM of the same image, started behind pharo-ctl's back (and killed with the
    // test's directory).
    std::fs::remove_file(env.file("zinc.pid")).unwrap();
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#""$0" --headless "$1" >/dev/null 2>&1 &"#)
        .arg(double())
        .arg(env.file("zinc.image"))
        .current_dir(env.path())
        .status()
        .unwrap();
    assert!(status.success());
    wait_until("the second VM", LIMIT, || env.vms().len() == 2);
    let second = env.vms().into_iter().find(|pid| *pid != first).unwrap();
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .code(4)
        .stderr_has("several processes run");
    assert!(alive(first));
    assert!(alive(second));
}

#[test]
fn pid_prints_the_pid_or_says_not_running() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.cmd().args(["pid", "zinc"]).run().code(3).stdout_is("");
    let pid = env.start(&inst);
    env.cmd()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{pid}\n"));
}

#[test]
fn restart_replaces_the_vm() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let before = env.start(&inst);
    env.cmd()
        .args(["restart", "--wait", "zinc"])
        .run()
        .success()
        .stderr_has("stopped cooperatively")
        .stderr_has("zinc is running");
    let after = env.pid_of("zinc");
    assert_ne!(before, after);
    assert!(!alive(before));
    assert!(alive(after));
    assert_eq!(env.vms(), vec![after]);
}

#[test]
fn a_vm_that_dies_during_start_is_a_failed_start() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .env("PHARO_DOUBLE_DIE_ON_START", "3")
        .env("PHARO_DOUBLE_DIE_DELAY_MS", "200")
        .args(["start", "zinc"])
        .run();
    out.code(1)
        .stderr_has("zinc failed to start: the VM exited with status 3")
        .stderr_has("simulated crash during start");
    assert!(!env.exists("zinc.pid"));
    assert!(env.vms().is_empty());
}

#[test]
fn a_readiness_timeout_is_a_failed_start_and_leaves_no_vm() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .env("PHARO_DOUBLE_START_DELAY_MS", "30000")
        .args(["start", "--wait", "--start-timeout", "500ms", "zinc"])
        .run();
    out.code(1)
        .stderr_has("did not answer within")
        .stderr_has("failed to start");
    assert!(!env.exists("zinc.pid"));
    assert!(env.vms().is_empty(), "{:?}", env.vms());
}

#[test]
fn wait_waits_for_a_slow_repl() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.cmd()
        .env("PHARO_DOUBLE_START_DELAY_MS", "700")
        .args(["start", "--wait", "zinc"])
        .run()
        .success()
        .stderr_has("its REPL answered after");
    // Ready means ready: the REPL answers at once.
    env.cmd()
        .args(["eval", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
    let _ = inst;
}

#[test]
fn the_legacy_argument_order_works() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // pharo-ctl.sh's names: SCRIPT.st, SCRIPT.pid, IMAGE.image.
    std::fs::rename(env.file("zinc.st"), env.file("run-zn.st")).unwrap();
    env.cmd().args(["run-zn", "start", "zinc"]).run().success();
    let pid: i32 = env.read("run-zn.pid").trim().parse().unwrap();
    assert!(alive(pid));
    wait_until("the REPL", LIMIT, || listening(inst.repl_port));
    env.cmd()
        .args(["run-zn", "pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{pid}\n"));
    env.cmd()
        .args(["run-zn", "stop", "zinc"])
        .run()
        .success()
        .stderr_has("stopped cooperatively");
    assert!(!alive(pid));
    assert!(!env.exists("run-zn.pid"));
    assert!(
        env.read("run-zn.log")
            .contains("Completed ShutdownSequence")
    );
}

#[test]
fn a_stop_by_name_removes_the_pid_file_of_the_legacy_order_too() {
    let env = Env::new();
    let inst = env.instance("zinc");
    std::fs::rename(env.file("zinc.st"), env.file("run-zn.st")).unwrap();
    // Another instance's pid file, naming a live process: kept.
    let other = Spawned::new("sleep", &["60"], env.path());
    std::fs::write(env.file("other.pid"), format!("{}\n", other.pid())).unwrap();
    env.cmd().args(["run-zn", "start", "zinc"]).run().success();
    let pid: i32 = env.read("run-zn.pid").trim().parse().unwrap();
    wait_until("the REPL", LIMIT, || listening(inst.repl_port));
    // By NAME: zinc.pid does not exist, the VM is found in the process table.
    let repl = format!("http://127.0.0.1:{}/repl", inst.repl_port);
    env.cmd()
        .args(["stop", "--repl", &repl, "zinc"])
        .run()
        .success()
        .stderr_has("stopped cooperatively")
        .stderr_has("run-zn.pid, which named it");
    assert!(!alive(pid));
    assert!(!env.exists("run-zn.pid"), "run-zn.pid is left behind");
    assert!(env.exists("other.pid"));
}

#[test]
fn a_connection_dropped_by_a_quit_expression_counts_as_accepted() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // The image drops the connection at once and takes a while to exit, as one that saves.
    let pid = env.start_with(&inst, &[("PHARO_DOUBLE_QUIT_DELAY_MS", "700")]);
    let out = env
        .cmd()
        .args([
            "stop",
            "-v",
            "--shutdown",
            "Smalltalk snapshot: false andQuit: true",
            "--timeout",
            "60s",
            "zinc",
        ])
        .run();
    out.success()
        .stderr_has("closed the connection without answering")
        .stderr_has("shutdown accepted")
        .stderr_has("zinc stopped cooperatively");
    assert!(!out.stderr.contains("SIGTERM"), "{}", out.stderr);
    assert!(!alive(pid));
}

#[test]
fn a_repl_that_never_answers_gets_the_grace_then_sigterm() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.cmd()
        .env("PHARO_DOUBLE_HANG", "1")
        .args(["start", "zinc"])
        .run()
        .success();
    let pid = env.pid_of(&inst.name);
    wait_until("the REPL to listen", LIMIT, || listening(inst.repl_port));
    let out = env.cmd().args(["stop", "--timeout", "500ms", "zinc"]).run();
    out.success()
        .stderr_has("still running after the 0.5s grace period")
        .stderr_has("zinc terminated by SIGTERM");
    assert!(out.elapsed >= Duration::from_millis(500));
    assert!(!alive(pid));
}

#[test]
fn a_slow_repl_is_waited_for() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start_with(&inst, &[("PHARO_DOUBLE_SLOW_MS", "300")]);
    env.cmd()
        .args(["eval", "6 * 7"])
        .run()
        .success()
        .stdout_is("42\n");
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("stopped cooperatively");
    assert!(!alive(pid));
}

#[test]
fn the_start_line_shows_the_command_run_even_when_the_vm_dies_at_once() {
    let env = Env::new();
    env.instance("zinc");
    let command = format!(
        ": {} --headless {} {}",
        env.double().display(),
        env.file("zinc.image").display(),
        env.file("zinc.st").display()
    );
    for args in [["start", "zinc"], ["run", "zinc"]] {
        let out = env
            .cmd()
            .env("PHARO_DOUBLE_DIE_ON_START", "3")
            .args(args)
            .run();
        assert_ne!(out.exited(), Some(0), "{args:?}: {}", out.stderr);
        let line = out
            .stderr
            .lines()
            .find(|line| line.starts_with("zinc: started pid "))
            .unwrap_or_else(|| panic!("{args:?}: no start line in {}", out.stderr));
        assert!(line.ends_with(&command), "{args:?}: {line}");
        assert!(env.vms().is_empty());
    }
}
