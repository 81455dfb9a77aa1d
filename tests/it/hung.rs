//! A hung image: a VM that lives while its REPL accepts connections and never answers (the
//! double's `PHARO_DOUBLE_WEDGE_AFTER_MS`). `status` tells it apart and says since when,
//! `status --probe` answers orchestrators by its exit status alone.

use crate::harness::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// Starts an instance whose REPL answers for `answering_ms`, then wedges.
fn start_wedging(env: &Env, inst: &Inst, answering_ms: u64) -> i32 {
    env.start_with(
        inst,
        &[("PHARO_DOUBLE_WEDGE_AFTER_MS", &answering_ms.to_string())],
    )
}

/// Waits until a probe of the REPL goes unanswered: the image has wedged.
fn wait_until_wedged(env: &Env) {
    wait_until("the REPL to stop answering", LIMIT, || {
        env.cmd()
            .args(["status", "zinc", "--probe", "--timeout", "300ms"])
            .run()
            .exited()
            == Some(1)
    });
}

#[test]
fn status_probe_is_0_healthy_1_hung_3_stopped_and_prints_nothing() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = start_wedging(&env, &inst, 3000);
    let probe = || {
        env.cmd()
            .args(["status", "zinc", "--probe", "--timeout", "300ms"])
            .run()
    };
    let healthy = probe();
    healthy.success();
    assert_eq!(healthy.stdout, "");
    assert_eq!(healthy.stderr, "");

    wait_until_wedged(&env);
    let hung = probe();
    hung.code(1);
    assert_eq!(hung.stdout, "");
    assert_eq!(hung.stderr, "");
    assert!(alive(vm), "a hung VM lives on");

    env.cmd()
        .args(["stop", "zinc", "--timeout", "500ms"])
        .run()
        .stderr_has("zinc terminated by SIGTERM");
    assert!(!alive(vm));
    let stopped = probe();
    stopped.code(3);
    assert_eq!(stopped.stdout, "");
    assert_eq!(stopped.stderr, "");
    assert!(!env.exists("zinc.pid.hung"), "the record goes with the VM");

    // A state that cannot be told is 4, with the error on one line.
    let unknown = env
        .cmd()
        .args(["-C", "nowhere", "status", "--probe", "zinc"])
        .run();
    unknown.code(4);
    assert_eq!(unknown.stdout, "");
    one_error_line(&unknown);
}

#[test]
fn status_says_the_repl_has_not_answered_and_since_when() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = start_wedging(&env, &inst, 1000);
    wait_until_wedged(&env);
    let first = env
        .cmd()
        .args(["status", "zinc", "--timeout", "300ms", "--json"])
        .run();
    // Still running, by the LSB's rules.
    first.success();
    let first: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(first["state"], "running");
    assert_eq!(first["pid"], vm);
    assert_eq!(first["hung"], true);
    assert_eq!(first["repl"]["ok"], false);
    let since = first["hung_since"].as_str().unwrap().to_string();
    let record = env.read("zinc.pid.hung");
    assert!(record.starts_with(&format!("{vm} ")), "{record}");

    // Later probes keep the time the first unanswered one began, while the time since grows.
    let mut later = serde_json::Value::Null;
    wait_until("a later probe a second on", LIMIT, || {
        let out = env
            .cmd()
            .args(["status", "zinc", "--timeout", "300ms", "--json"])
            .run();
        out.success();
        later = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(later["hung_since"], since.as_str(), "{first} {later}");
        later["hung_s"].as_f64().unwrap() > first["hung_s"].as_f64().unwrap() + 1.0
    });

    let human = env
        .cmd()
        .args(["status", "zinc", "--timeout", "300ms"])
        .run();
    human
        .success()
        .stdout_has("active (running)")
        .stdout_has("REPL not answering for ")
        .stdout_has(&since);
    env.cmd()
        .args(["stop", "zinc", "--timeout", "500ms"])
        .run()
        .stderr_has("zinc terminated by SIGTERM");
    assert!(!alive(vm));
}

#[test]
fn a_healthy_image_is_not_hung() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let out = env.cmd().args(["status", "zinc", "--json"]).run();
    out.success();
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(value["hung"], false);
    assert_eq!(value["hung_since"], serde_json::Value::Null);
    assert!(!env.exists("zinc.pid.hung"));
    env.cmd().args(["stop", "zinc"]).run().success();
}

/// The lines of the double's events file that are REPL probes.
fn probes(env: &Env) -> usize {
    env.read("events").matches("GET /repl").count()
}

#[test]
fn run_watchdog_dumps_stops_and_exits_8_when_the_repl_stops_answering() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let out = run_until_hung(&env, &inst, "1500");
    out.code(8)
        .stderr_has("zinc: watchdog: probing the REPL every 0.5s")
        .stderr_has("(2 of 3 in a row): no answer within 0.5s")
        .stderr_has("zinc is hung: its REPL did not answer 3 probes in a row")
        .stderr_has("zinc was stopped because it hung (exit 8)");
    // The stack dump came before the stop, while the VM lived: the VM printed it to its
    // stderr, passed through to the journal, and appended it to crash.dmp.
    let dump = out
        .stderr
        .find("All Smalltalk process stacks (active first):")
        .expect("the VM's stack report");
    let sigterm = out.stderr.find("sending SIGTERM").expect("the stop");
    assert!(dump < sigterm, "{}", out.stderr);
    assert!(env.read("crash.dmp").contains("\t(SIGUSR1)"));
    out.stderr_has("zinc terminated by SIGTERM");
    // Within INTERVAL x (N+1) of the wedge, plus the stop's own timeouts (and the start, and
    // a loaded machine's slack).
    let bound = Duration::from_millis(1500 + 500 * 4 + 2000) + Duration::from_secs(10);
    assert!(out.elapsed < bound, "took {:?}", out.elapsed);
    assert!(env.vms().is_empty(), "the VM is stopped");
    assert!(!env.exists("zinc.pid"));
    assert!(!env.exists("zinc.pid.hung"));
}

#[test]
fn run_watchdog_leaves_a_healthy_image_alone() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut running = env
        .cmd()
        .env("PHARO_DOUBLE_EVENTS", env.file("events"))
        .args(["run", &inst.name, "--watchdog", "100ms"])
        .spawn();
    running.wait_stderr("zinc: watchdog: probing the REPL every 0.1s", LIMIT);
    let vm = env.pid_of("zinc");
    // Judged over many probes: it runs on, untouched.
    let before = probes(&env);
    wait_until("fifteen watchdog probes", LIMIT, || {
        probes(&env) >= before + 15
    });
    assert!(alive(vm));
    assert!(alive(running.pid()));
    let so_far = running.stderr_so_far();
    assert!(!so_far.contains("is hung"), "{so_far}");
    assert!(!so_far.contains("SIGUSR1"), "{so_far}");
    running.signal(libc::SIGTERM);
    running
        .finish()
        .success()
        .stderr_has("zinc stopped cooperatively");
    assert!(!env.exists("crash.dmp"), "no stack dump of a healthy image");
}

#[test]
fn watchdog_datagrams_arrive_only_while_the_repl_answers() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut notify = NotifySocket::at_path(&env);
    let running = env
        .cmd()
        .env("NOTIFY_SOCKET", &notify.value)
        .env("PHARO_DOUBLE_WEDGE_AFTER_MS", "2500")
        .args([
            "run",
            &inst.name,
            "--watchdog",
            "500ms",
            "--kill-after",
            "2s",
        ])
        .spawn();
    notify.wait_for("STOPPING=1", LIMIT);
    running.finish().code(8);
    notify.drain();
    let received = &notify.received;
    // The misses that led to the verdict: from the last first miss on.
    let last_run = received
        .iter()
        .rposition(|m| m.starts_with("STATUS=") && m.contains("(1 of 3 in a row)"))
        .unwrap_or_else(|| panic!("no miss reported: {received:?}"));
    let ready = received.iter().position(|m| m == "READY=1").unwrap();
    let answered = received[ready..last_run]
        .iter()
        .filter(|m| *m == "WATCHDOG=1")
        .count();
    assert!(answered >= 2, "{received:?}");
    assert!(
        !received[last_run..].iter().any(|m| m == "WATCHDOG=1"),
        "WATCHDOG=1 after the REPL stopped answering: {received:?}"
    );
    assert!(
        !received[..ready].iter().any(|m| m == "WATCHDOG=1"),
        "WATCHDOG=1 before the image was ready: {received:?}"
    );
}

#[test]
fn systemd_s_watchdog_turns_the_watchdog_on_by_itself() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut notify = NotifySocket::abstract_socket();
    // WatchdogSec=2s: probes every 2s / (3 + 2) = 400ms.
    let mut running = env
        .cmd()
        .env("NOTIFY_SOCKET", &notify.value)
        .env("WATCHDOG_USEC", "2000000")
        .args(["run", &inst.name])
        .spawn();
    running.wait_stderr("zinc: watchdog: probing the REPL every 0.4s", LIMIT);
    notify.wait_for("WATCHDOG=1", LIMIT);
    running.signal(libc::SIGTERM);
    running.finish().success();

    // WATCHDOG_PID naming another process: not ours to serve.
    let mut running = env
        .cmd()
        .env("WATCHDOG_USEC", "2000000")
        .env("WATCHDOG_PID", "1")
        .args(["run", &inst.name])
        .spawn();
    running.wait_stderr("zinc is running", LIMIT);
    running.signal(libc::SIGTERM);
    let out = running.finish();
    out.success();
    assert!(!out.stderr.contains("watchdog"), "{}", out.stderr);
}

#[test]
fn a_stop_signal_during_a_probe_is_handled_at_once() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut running = env
        .cmd()
        .env("PHARO_DOUBLE_EVENTS", env.file("events"))
        .env("PHARO_DOUBLE_WEDGE_AFTER_MS", "500")
        .args(["run", &inst.name, "--watchdog", "1500ms", "--timeout", "1s"])
        .spawn();
    running.wait_stderr("zinc: watchdog: probing", LIMIT);
    // The readiness probe, then the watchdog's first, which the wedged REPL never answers:
    // it is under way for 1.5s.
    wait_until("the watchdog's probe", LIMIT, || probes(&env) >= 2);
    running.signal(libc::SIGTERM);
    running.wait_stderr("received SIGTERM", LIMIT);
    let out = running.finish();
    out.code(1).stderr_has("zinc terminated by SIGTERM");
    assert!(
        !out.stderr.contains("did not answer the watchdog's probe"),
        "the launcher waited for the probe before it saw the signal:\n{}",
        out.stderr
    );
    assert!(env.vms().is_empty());
}

#[test]
fn a_zero_watchdog_interval_is_a_usage_error() {
    let env = Env::new();
    env.instance("zinc");
    let out = env.cmd().args(["run", "zinc", "--watchdog", "0"]).run();
    out.code(2).stderr_has("'0' is no interval");
    one_error_line(&out);
    assert!(env.vms().is_empty());
}

#[test]
fn the_watchdog_dumps_the_vm_proper_and_stops_the_whole_tree() {
    let env = Env::with_layout(Layout::Zeroconf);
    let inst = env.instance("zinc");
    let out = run_until_hung(&env, &inst, "1000");
    out.code(8)
        .stderr_has("All Smalltalk process stacks (active first):")
        .stderr_has("zinc was stopped because it hung");
    assert!(!out.stderr.contains("no stack dump"), "{}", out.stderr);
    assert!(env.processes().is_empty(), "nothing is left of the tree");
}

/// `run --watchdog 500ms` of an instance whose REPL stops answering after `wedge_after_ms`.
fn run_until_hung(env: &Env, inst: &Inst, wedge_after_ms: &str) -> Outcome {
    env.cmd()
        .env("PHARO_DOUBLE_WEDGE_AFTER_MS", wedge_after_ms)
        .args([
            "run",
            &inst.name,
            "--watchdog",
            "500ms",
            "--kill-after",
            "2s",
        ])
        .run()
}
