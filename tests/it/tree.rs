//! The VM is a process tree, on every launch layout (the double itself, Pharo's zeroconf
//! wrapper scripts, an interpreted VM that runs the double as its child): the pid file names
//! the VM proper, status and ps report it, the scan counts a wrapper and its VM once, and
//! every stop, escalation, failed start and `run` leaves no process of the tree behind.

use crate::harness::*;
use serde_json::Value;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

on_each_layout!(
    a_cooperative_stop_leaves_nothing,
    sigterm_reaches_the_whole_tree,
    sigkill_reaches_the_whole_tree,
    a_start_whose_repl_never_answers_leaves_nothing,
    a_vm_that_dies_during_start_is_reported_through_the_wrapper,
    run_stops_cooperatively_on_sigterm,
    run_falls_back_to_signals_on_the_whole_tree,
    run_passes_the_vm_exit_status_through,
    run_passes_on_how_the_vm_proper_ended_after_a_stop_beside_it,
    status_and_ps_report_the_vm_proper,
    the_scan_counts_a_wrapper_and_its_vm_once,
    a_vm_started_by_hand_is_found_and_stopped,
    a_pid_file_naming_tail_is_stale_and_tail_survives,
);

/// Starts `inst` with `--wait` and answers its VM proper and wrapper, checking that the pid
/// file names the VM proper.
fn started(env: &Env, inst: &Inst, switches: &[(&str, &str)]) -> (i32, Option<i32>) {
    let pid = env.start_with(inst, switches);
    let (vm, wrapper) = vm_proper(env);
    assert_eq!(pid, vm, "the pid file names the VM proper");
    (vm, wrapper)
}

fn a_cooperative_stop_leaves_nothing(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let (vm, _) = started(&env, &inst, &[]);
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc stopped cooperatively");
    assert!(!alive(vm));
    nothing_left(&env, "zinc");
    assert!(env.read("zinc.log").contains("Completed ShutdownSequence"));
}

#[test]
fn the_vm_proper_gets_headless_once_on_each_layout() {
    // Zeroconf's `pharo` passes --headless itself: pharo-ctl adds none then.
    for layout in Layout::ALL {
        let env = Env::with_layout(layout);
        let inst = env.instance("zinc");
        let (vm, _) = started(&env, &inst, &[]);
        let command = std::fs::read(format!("/proc/{vm}/cmdline")).unwrap();
        let headless = command
            .split(|b| *b == 0)
            .filter(|w| *w == b"--headless")
            .count();
        assert_eq!(
            headless,
            1,
            "{layout:?}: {}",
            String::from_utf8_lossy(&command).replace('\0', " ")
        );
        env.cmd().args(["stop", "zinc"]).run().success();
    }
}

fn sigterm_reaches_the_whole_tree(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let (vm, wrapper) = started(&env, &inst, &[("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1")]);
    let out = env.cmd().args(["stop", "--timeout", "300ms", "zinc"]).run();
    out.success()
        .stderr_has(&format!("sending SIGTERM to pid {vm}"))
        .stderr_has("zinc terminated by SIGTERM");
    if let Some(wrapper) = wrapper {
        out.stderr_has(&format!("its process tree (pids {wrapper})"));
    }
    nothing_left(&env, "zinc");
}

fn sigkill_reaches_the_whole_tree(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let (vm, _) = started(
        &env,
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
        .stderr_has(&format!("sending SIGKILL to pid {vm}"))
        .stderr_has("zinc killed by SIGKILL");
    nothing_left(&env, "zinc");
}

fn a_start_whose_repl_never_answers_leaves_nothing(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    // The REPL is never started; the VM ignores SIGTERM, so only SIGKILL ends it.
    env.script(
        "zinc",
        "Smalltalk at: #ShutdownSequence put: [ Smalltalk quit ].\n",
    );
    let repl = format!("http://127.0.0.1:{}/repl", inst.repl_port);
    env.cmd()
        .env("PHARO_DOUBLE_IGNORE_SIGTERM", "1")
        .args(["--repl", &repl, "--kill-after", "300ms", "start", "--wait"])
        .args(["--start-timeout", "3s", "zinc"])
        .run()
        .code(1)
        .stderr_has("did not answer within")
        .stderr_has("killed by SIGKILL");
    nothing_left(&env, "zinc");
}

fn a_vm_that_dies_during_start_is_reported_through_the_wrapper(layout: Layout) {
    let env = Env::with_layout(layout);
    env.instance("zinc");
    env.cmd()
        .env("PHARO_DOUBLE_DIE_ON_START", "3")
        .env("PHARO_DOUBLE_DIE_DELAY_MS", "300")
        .args(["start", "--settle", "10s", "zinc"])
        .run()
        .code(1)
        .stderr_has("the VM exited with status 3");
    nothing_left(&env, "zinc");
}

/// `pharo-ctl run` of an instance, once its REPL answered, with the pid file naming the VM
/// proper.
fn running(env: &Env, inst: &Inst, cmd: Cmd, args: &[&str]) -> (Running, i32) {
    let mut run = cmd.args(args).args(["run", &inst.name]).spawn();
    run.wait_stderr(&format!("{} is running (pid", inst.name), LIMIT);
    let (vm, _) = vm_proper(env);
    assert_eq!(
        env.pid_of(&inst.name),
        vm,
        "the pid file names the VM proper"
    );
    (run, vm)
}

fn run_stops_cooperatively_on_sigterm(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let (run, vm) = running(&env, &inst, env.cmd(), &[]);
    run.signal(libc::SIGTERM);
    run.finish()
        .success()
        .stderr_has("zinc stopped cooperatively");
    assert!(!alive(vm));
    nothing_left(&env, "zinc");
}

fn run_falls_back_to_signals_on_the_whole_tree(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let cmd = env.cmd().env("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1");
    let (run, vm) = running(&env, &inst, cmd, &["--timeout", "300ms"]);
    run.signal(libc::SIGTERM);
    run.finish()
        .code(1)
        .stderr_has(&format!("sending SIGTERM to pid {vm}"))
        .stderr_has("not cooperative");
    nothing_left(&env, "zinc");
}

fn run_passes_the_vm_exit_status_through(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    env.cmd()
        .env("PHARO_DOUBLE_EXIT_AFTER_MS", "1000")
        .env("PHARO_DOUBLE_EXIT_CODE", "3")
        .args(["run", &inst.name])
        .run()
        .code(3)
        .stderr_has("the VM exited with status 3 without being asked to stop");
    nothing_left(&env, "zinc");
}

fn run_passes_on_how_the_vm_proper_ended_after_a_stop_beside_it(layout: Layout) {
    stop_beside_run_kills_the_vm_proper(layout, &[], "200ms");
}

/// The same, with `run` and the stop beside it sending SIGKILL at the same moment (the
/// wrapper dies of the first SIGTERM, and both wait as long after it): `run` lists the tree
/// while the VM proper's first thread is a zombie and its others are still dying, and must
/// wait for them (and then reap it) rather than take it for gone.
#[test]
fn run_waits_for_a_vm_proper_whose_threads_are_dying_after_a_stop_beside_it() {
    stop_beside_run_kills_the_vm_proper(
        Layout::Zeroconf,
        &["-t", "300ms", "--kill-after", "300ms"],
        "100ms",
    );
}

/// `run` (with `run_args`) of a VM that ignores the shutdown request and SIGTERM, and a stop
/// beside it (`-t stop_timeout`) that ends in SIGKILL: `run` exits as the VM proper did, of the
/// SIGKILL (128 + 9; a wrapper dies of the SIGTERM), and nothing is left.
fn stop_beside_run_kills_the_vm_proper(layout: Layout, run_args: &[&str], stop_timeout: &str) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let cmd = env
        .cmd()
        .env("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1")
        .env("PHARO_DOUBLE_IGNORE_SIGTERM", "1");
    let (run, vm) = running(&env, &inst, cmd, run_args);
    env.cmd()
        .args(["stop", "-t", stop_timeout, "--kill-after", "300ms", "zinc"])
        .run()
        .success()
        .stderr_has(&format!("sending SIGKILL to pid {vm}"));
    run.finish()
        .code(137)
        .stderr_has("the VM was killed by SIGKILL without being asked to stop");
    nothing_left(&env, "zinc");
}

/// A process's resident memory, in bytes.
fn rss_of(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    kb * 1024
}

fn status_and_ps_report_the_vm_proper(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let (vm, wrapper) = started(&env, &inst, &[]);
    let out = env.cmd().args(["status", "--json", "zinc"]).run();
    out.success();
    let status: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(status["pid"], vm);
    assert_eq!(
        status["wrapper_pid"],
        wrapper.map_or(Value::Null, Value::from)
    );
    let rss = status["rss_bytes"].as_u64().unwrap();
    let own = rss_of(vm);
    assert!(
        rss.abs_diff(own) <= own / 10,
        "status reports {rss} bytes, the VM proper holds {own}"
    );
    let human = env.cmd().args(["status", "zinc"]).run();
    human
        .success()
        .stdout_has(&format!("PID: {vm} (from the pid file)"));
    match wrapper {
        Some(wrapper) => {
            human.stdout_has(&format!("Wrapper: {wrapper} (above the VM"));
        }
        None => assert!(!human.stdout.contains("Wrapper:"), "{}", human.stdout),
    }

    let out = env.cmd().args(["ps", "--json"]).run();
    out.success();
    let rows: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let image = env.file("zinc.image");
    let mine: Vec<&Value> = rows
        .iter()
        .filter(|row| row["image"] == image.to_str().unwrap())
        .collect();
    assert_eq!(mine.len(), 1, "one row for one tree: {mine:?}");
    assert_eq!(mine[0]["pid"], vm);
    assert_eq!(
        mine[0]["wrapper_pid"],
        wrapper.map_or(Value::Null, Value::from)
    );
    assert_eq!(mine[0]["pid_file_names_it"], true);
    let rss = mine[0]["rss_bytes"].as_u64().unwrap();
    assert!(
        rss.abs_diff(own) <= own / 10,
        "ps reports {rss}, the VM holds {own}"
    );
}

fn the_scan_counts_a_wrapper_and_its_vm_once(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let (vm, _) = started(&env, &inst, &[]);
    std::fs::remove_file(env.file("zinc.pid")).unwrap();
    env.cmd()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{vm}\n"));
    let out = env.cmd().args(["status", "--json", "zinc"]).run();
    out.success();
    let status: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(status["found_by"], "scan");
    assert_eq!(status["pid"], vm);
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc stopped cooperatively");
    nothing_left(&env, "zinc");
}

fn a_vm_started_by_hand_is_found_and_stopped(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let by_hand = env.spawn_by_hand("zinc");
    wait_until("the REPL", LIMIT, || listening(inst.repl_port));
    let (vm, _) = vm_proper(&env);
    env.cmd()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{vm}\n"));
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc stopped cooperatively");
    assert!(!alive(by_hand.pid()), "the wrapper started by hand is left");
    nothing_left(&env, "zinc");
}

fn a_pid_file_naming_tail_is_stale_and_tail_survives(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    let (vm, _) = started(&env, &inst, &[]);
    let tail = Spawned::new("tail", &["-f", "zinc.image"], env.path());
    wait_until("tail to name the image", LIMIT, || {
        std::fs::read(format!("/proc/{}/cmdline", tail.pid()))
            .is_ok_and(|c| c.windows(10).any(|w| w == b"zinc.image"))
    });
    std::fs::write(env.file("zinc.pid"), format!("{}\n", tail.pid())).unwrap();
    let out = env.cmd().args(["status", "--json", "zinc"]).run();
    out.success();
    let status: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        (status["pid"].clone(), status["found_by"].clone()),
        (vm.into(), "scan".into())
    );
    env.cmd()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{vm}\n"));
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("does not name the running VM")
        .stderr_has("zinc stopped cooperatively");
    assert!(alive(tail.pid()), "tail was signalled");
    nothing_left(&env, "zinc");
}
