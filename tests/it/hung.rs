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
            .code
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

    // Later probes keep the time the first unanswered one began.
    std::thread::sleep(Duration::from_millis(1100));
    let later = env
        .cmd()
        .args(["status", "zinc", "--timeout", "300ms", "--json"])
        .run();
    let later: serde_json::Value = serde_json::from_str(&later.stdout).unwrap();
    assert_eq!(later["hung_since"], since.as_str());
    assert!(
        later["hung_s"].as_f64().unwrap() > first["hung_s"].as_f64().unwrap() + 1.0,
        "{first} {later}"
    );

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
