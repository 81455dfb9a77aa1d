//! `pharo-ctl run`, the launcher: real signals to the real binary supervising the double,
//! systemd notifications on a real datagram socket, and orphans reaped as a subreaper and as
//! PID 1 of a new PID namespace.

use crate::harness::*;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(20);

/// Starts `pharo-ctl run NAME` (plus `args`) and waits until the launcher says the image is
/// ready.
fn launch(cmd: Cmd, inst: &Inst, args: &[&str]) -> Running {
    let mut running = cmd.args(["run", &inst.name]).args(args).spawn();
    running.wait_stderr(&format!("{} is ready", inst.name), LIMIT);
    running
}

/// The lines of the double's events file.
fn events(env: &Env) -> String {
    env.read("events")
}

fn wait_event(env: &Env, text: &str) {
    wait_until(&format!("the event {text:?}"), LIMIT, || {
        events(env).contains(text)
    });
}

#[test]
fn sigterm_stops_cooperatively_and_exits_0() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let running = launch(env.cmd(), &inst, &[]);
    // The pid file names the VM, for the other commands.
    let vm = env.pid_of("zinc");
    assert!(alive(vm));
    env.cmd()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{vm}\n"));
    assert_eq!(env.vms(), vec![vm]);
    running.signal(libc::SIGTERM);
    let out = running.finish();
    out.success()
        .stderr_has("received SIGTERM")
        .stderr_has("zinc stopped cooperatively")
        // The VM's output is passed through.
        .stdout_has("Completed ShutdownSequence successfully");
    assert!(!alive(vm));
    assert!(!env.exists("zinc.pid"), "the pid file is removed at exit");
}

#[test]
fn a_stderr_nobody_reads_does_not_stop_the_launcher_from_stopping_the_vm() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // As when the terminal is closed or the journal restarted: every step line fails.
    let mut running = env.cmd().args(["run", "zinc"]).spawn();
    running.close_stderr();
    wait_until("the VM's REPL", LIMIT, || {
        env.exists("zinc.pid") && listening(inst.repl_port)
    });
    let vm = env.pid_of("zinc");
    running.signal(libc::SIGHUP);
    running
        .finish()
        .success()
        .stdout_has("Completed ShutdownSequence successfully");
    assert!(!alive(vm));
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn sigint_stops_cooperatively_and_exits_0() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let running = launch(env.cmd(), &inst, &[]);
    let vm = env.pid_of("zinc");
    running.signal(libc::SIGINT);
    running
        .finish()
        .success()
        .stderr_has("received SIGINT")
        .stdout_has("Completed ShutdownSequence successfully");
    assert!(!alive(vm));
}

#[test]
fn ctrl_c_to_the_whole_process_group_is_still_cooperative() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let running = launch(env.cmd().own_process_group(), &inst, &[]);
    let vm = env.pid_of("zinc");
    // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group. The
    // VM has a group of its own, so it hears only the shutdown request.
    running.signal_group(libc::SIGINT);
    let out = running.finish();
    out.success()
        .stderr_has("zinc stopped cooperatively")
        .stdout_has("Completed ShutdownSequence successfully");
    assert!(!alive(vm));
}

#[test]
fn an_ignored_shutdown_escalates_after_the_timeout_and_exits_1() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let running = launch(
        env.cmd().env("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1"),
        &inst,
        &["--timeout", "1s"],
    );
    let vm = env.pid_of("zinc");
    let sent = Instant::now();
    running.signal(libc::SIGTERM);
    let out = running.finish();
    out.code(1)
        .stderr_has("still running after the 1s grace period")
        .stderr_has("zinc terminated by SIGTERM")
        .stderr_has("the shutdown was not cooperative");
    assert!(sent.elapsed() >= Duration::from_secs(1));
    assert!(!alive(vm));
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn a_second_signal_escalates_at_once() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut running = launch(
        env.cmd().env("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1"),
        &inst,
        &["--timeout", "60s", "--kill-after", "60s"],
    );
    let sent = Instant::now();
    running.signal(libc::SIGTERM);
    running.wait_stderr("shutdown accepted", LIMIT);
    running.signal(libc::SIGINT);
    let out = running.finish();
    out.code(1)
        .stderr_has("received SIGINT again")
        .stderr_has("zinc terminated by SIGTERM")
        .stderr_has("not cooperative");
    assert!(
        sent.elapsed() < Duration::from_secs(30),
        "took {:?}",
        sent.elapsed()
    );
}

#[test]
fn a_third_signal_skips_to_sigkill() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut running = launch(
        env.cmd()
            .env("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1")
            .env("PHARO_DOUBLE_IGNORE_SIGTERM", "1"),
        &inst,
        &["--timeout", "60s", "--kill-after", "60s"],
    );
    let vm = env.pid_of("zinc");
    let sent = Instant::now();
    running.signal(libc::SIGTERM);
    running.wait_stderr("shutdown accepted", LIMIT);
    running.signal(libc::SIGTERM);
    running.wait_stderr("sending SIGTERM", LIMIT);
    running.signal(libc::SIGTERM);
    let out = running.finish();
    out.code(1)
        .stderr_has("escalating to SIGKILL at once")
        .stderr_has("zinc killed by SIGKILL");
    assert!(sent.elapsed() < Duration::from_secs(30));
    assert!(!alive(vm));
}

#[test]
fn the_vm_exit_status_is_passed_through() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let running = launch(
        env.cmd()
            .env("PHARO_DOUBLE_EXIT_AFTER_MS", "500")
            .env("PHARO_DOUBLE_EXIT_CODE", "3"),
        &inst,
        &[],
    );
    running
        .finish()
        .code(3)
        .stderr_has("the VM exited with status 3 without being asked to stop");
    assert!(!env.exists("zinc.pid"));

    // A VM that dies during start.
    env.cmd()
        .env("PHARO_DOUBLE_DIE_ON_START", "5")
        .args(["run", "zinc"])
        .run()
        .code(5);
}

#[test]
fn a_vm_that_dies_during_its_shutdown_is_not_a_cooperative_stop() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut running = launch(
        env.cmd().env("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1"),
        &inst,
        &["--timeout", "60s"],
    );
    let vm = env.pid_of("zinc");
    running.signal(libc::SIGTERM);
    running.wait_stderr("shutdown accepted", LIMIT);
    // SAFETY: kill only sends a signal, to the VM the test just started.
    unsafe { libc::kill(vm, libc::SIGKILL) };
    let out = running.finish();
    out.code(128 + 9)
        .stderr_has("the VM was killed by SIGKILL during its shutdown")
        .stderr_has("did not end cleanly");
    assert!(
        !out.stderr.contains("stopped cooperatively"),
        "{}",
        out.stderr
    );
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn a_vm_killed_by_a_signal_exits_128_plus_n() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let running = launch(env.cmd(), &inst, &[]);
    let vm = env.pid_of("zinc");
    // SAFETY: kill only sends a signal, to the VM the test just started.
    unsafe { libc::kill(vm, libc::SIGKILL) };
    running
        .finish()
        .code(128 + 9)
        .stderr_has("the VM was killed by SIGKILL");
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn sigusr1_sigusr2_and_sigquit_reach_the_vm() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut running = launch(
        env.cmd().env("PHARO_DOUBLE_EVENTS", env.file("events")),
        &inst,
        &[],
    );
    running.signal(libc::SIGUSR1);
    wait_event(&env, "SIGUSR1 received, printing process stacks");
    running.signal(libc::SIGUSR2);
    wait_event(&env, "SIGUSR2 received, printing process stacks");
    running.signal(libc::SIGQUIT);
    wait_event(&env, "SIGQUIT received");
    running.wait_stderr("forwarding SIGQUIT", LIMIT);
    running.signal(libc::SIGTERM);
    running
        .finish()
        .success()
        // SIGUSR1 is the VM's stack dump, which it prints to stderr (passed through).
        .stderr_has("All Smalltalk process stacks (active first):");
}

#[test]
fn a_signal_the_vm_does_not_catch_is_not_forwarded_and_a_warning_says_so() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut running = launch(env.cmd().env("PHARO_DOUBLE_USR1_DEFAULT", "1"), &inst, &[]);
    let vm = env.pid_of("zinc");
    running.signal(libc::SIGUSR1);
    running.wait_stderr("not forwarding SIGUSR1", LIMIT);
    // Its default action would have ended the VM.
    assert!(alive(vm));
    running.signal(libc::SIGTERM);
    let out = running.finish();
    out.success();
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("SIGUSR1"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.stderr);
    assert!(warnings[0].starts_with("warning: "), "{}", out.stderr);
}

#[test]
fn refuses_to_run_an_instance_that_already_runs() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = env.start(&inst);
    env.cmd()
        .args(["run", "zinc"])
        .run()
        .code(1)
        .stderr_has(&format!("zinc is already running (pid {vm})"));
    assert!(alive(vm));
    assert_eq!(env.pid_of("zinc"), vm);
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn sd_notify_ready_status_and_stopping_on_a_real_socket() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut notify = NotifySocket::at_path(&env);
    let running = env
        .cmd()
        .env("NOTIFY_SOCKET", &notify.value)
        .env("PHARO_DOUBLE_START_DELAY_MS", "500")
        .args(["run", "zinc"])
        .spawn();
    notify.wait_for("READY=1", LIMIT);
    // READY=1 only once the REPL answers.
    assert!(listening(inst.repl_port), "READY=1 before the REPL listens");
    assert!(
        notify.has("STATUS=zinc: started pid"),
        "{:?}",
        notify.received
    );
    let ready_at = notify.received.iter().position(|m| m == "READY=1").unwrap();
    assert!(
        !notify.received[..ready_at]
            .iter()
            .any(|m| m == "STOPPING=1"),
        "{:?}",
        notify.received
    );
    running.signal(libc::SIGTERM);
    notify.wait_for("STOPPING=1", LIMIT);
    running.finish().success();
    notify.drain();
    assert!(
        notify.has("STATUS=zinc stopped cooperatively"),
        "{:?}",
        notify.received
    );
    assert!(notify.has("STATUS=zinc: asking the image to shut down"));
}

#[test]
fn a_readiness_timeout_under_notify_fails_and_stops_the_vm() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // An abstract socket this time; and a REPL that never answers.
    let mut notify = NotifySocket::abstract_socket();
    let out = env
        .cmd()
        .env("NOTIFY_SOCKET", &notify.value)
        .env("PHARO_DOUBLE_HANG", "1")
        .args(["run", "zinc", "--start-timeout", "1s"])
        .run();
    out.code(1)
        .stderr_has("zinc did not become ready: its REPL at")
        .stderr_has(&format!("127.0.0.1:{}", inst.repl_port));
    notify.wait_for("STOPPING=1", LIMIT);
    notify.drain();
    assert!(!notify.has("READY=1"), "{:?}", notify.received);
    assert!(env.vms().is_empty(), "the VM is stopped");
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn a_bad_notify_socket_is_refused_before_the_vm_starts() {
    let env = Env::new();
    env.instance("zinc");
    env.cmd()
        .env("NOTIFY_SOCKET", "relative/path")
        .args(["run", "zinc"])
        .run()
        .code(6)
        .stderr_has("NOTIFY_SOCKET=relative/path");
    assert!(env.vms().is_empty());
}

/// The parent pid of a process, if it exists.
fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
}

/// The pid the double reports for its orphan (in its own PID namespace).
fn orphan_pid(env: &Env) -> i32 {
    wait_event(env, "pharo-vm-double: orphan ");
    let events = events(env);
    let line = events
        .lines()
        .find_map(|l| l.strip_prefix("pharo-vm-double: orphan "))
        .unwrap();
    line.trim().parse().unwrap()
}

#[test]
fn orphans_are_reaped_as_a_subreaper() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let running = launch(
        env.cmd()
            .env("PHARO_DOUBLE_EVENTS", env.file("events"))
            .env("PHARO_DOUBLE_ORPHAN_MS", "3000"),
        &inst,
        &["-v"],
    );
    let orphan = orphan_pid(&env);
    // Its parent exited at once, so it was re-parented: to the launcher, a subreaper.
    assert_eq!(ppid(orphan), Some(running.pid()));
    // Once it exits, the launcher reaps it: no zombie is left.
    let mut running = running;
    running.wait_stderr(
        &format!("reaped orphan pid {orphan}, which exited with status 0"),
        LIMIT,
    );
    wait_until("the orphan to be gone", LIMIT, || ppid(orphan).is_none());
    running.signal(libc::SIGTERM);
    running.finish().success();
}

#[test]
fn orphans_are_reaped_by_the_launcher_as_pid_1() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let Some(wrapper) = pid_namespace() else {
        return;
    };
    let running = launch(
        env.cmd_via(&wrapper)
            .env("PHARO_DOUBLE_EVENTS", env.file("events"))
            .env("PHARO_DOUBLE_ORPHAN_MS", "5000"),
        &inst,
        &["-v"],
    );
    // The launcher is unshare's child, PID 1 of the new namespace.
    let launcher = all_pids()
        .into_iter()
        .find(|&pid| ppid(pid) == Some(running.pid()))
        .expect("the launcher runs under unshare");
    assert_eq!(
        namespace_pids(launcher).last(),
        Some(&1),
        "pharo-ctl is PID 1"
    );
    let orphan_in_ns = orphan_pid(&env);
    // While it lives, the orphan is the launcher's child (its parent exited at once).
    let orphan = all_pids()
        .into_iter()
        .find(|&pid| {
            namespace_of(pid).is_some()
                && namespace_of(pid) == namespace_of(launcher)
                && namespace_pids(pid).last() == Some(&orphan_in_ns)
        })
        .expect("the orphan lives for a while");
    assert_eq!(ppid(orphan), Some(launcher));
    // When it exits, the launcher reaps it: it never stays a zombie.
    let mut running = running;
    running.wait_stderr(&format!("reaped orphan pid {orphan_in_ns}"), LIMIT);
    wait_until("the orphan to be gone", LIMIT, || ppid(orphan).is_none());
    assert!(
        !all_pids()
            .into_iter()
            .any(|pid| ppid(pid) == Some(launcher) && !alive(pid)),
        "a zombie child of the launcher is left"
    );
    // SAFETY: kill only sends a signal, to the launcher this test started.
    unsafe { libc::kill(launcher, libc::SIGTERM) };
    running
        .finish()
        .success()
        .stderr_has("zinc stopped cooperatively");
}

fn all_pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect()
}

/// The PID namespace a process lives in.
fn namespace_of(pid: i32) -> Option<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok()
}

/// A process's pids from the outermost PID namespace to its own (`NSpid:`).
fn namespace_pids(pid: i32) -> Vec<i32> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| l.strip_prefix("NSpid:")).map(|l| {
                l.split_whitespace()
                    .filter_map(|p| p.parse().ok())
                    .collect()
            })
        })
        .unwrap_or_default()
}
