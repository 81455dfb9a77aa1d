//! `pharo-ctl status`: the LSB exit codes, the JSON keys, and the human report.

use crate::harness::*;
use serde_json::Value;

fn json(env: &Env, expected_code: i32) -> Value {
    let out = env.cmd().args(["status", "--json", "zinc"]).run();
    out.code(expected_code);
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

#[test]
fn a_stopped_instance_exits_3() {
    let env = Env::new();
    env.instance("zinc");
    let status = json(&env, 3);
    assert_eq!(status["name"], "zinc");
    assert_eq!(status["state"], "stopped");
    assert_eq!(status["pid"], Value::Null);
    assert_eq!(status["started_at"], Value::Null);
    assert_eq!(status["repl"]["ok"], false);
    assert_eq!(
        status["image"].as_str().unwrap(),
        env.file("zinc.image").to_str().unwrap()
    );
    assert_eq!(
        status["pid_file"].as_str().unwrap(),
        env.file("zinc.pid").to_str().unwrap()
    );
    env.cmd()
        .args(["status", "zinc"])
        .run()
        .code(3)
        .stdout_has("inactive (dead)");
}

#[test]
fn a_running_instance_reports_everything() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    let status = json(&env, 0);
    for key in [
        "name",
        "state",
        "pid",
        "pid_file",
        "image",
        "started_at",
        "uptime_s",
        "rss_bytes",
        "cpu_s",
        "repl",
    ] {
        assert!(status.get(key).is_some(), "no {key} in {status}");
    }
    assert_eq!(status["state"], "running");
    assert_eq!(status["pid"], pid);
    assert!(status["rss_bytes"].as_u64().unwrap() > 0);
    assert!(status["cpu_s"].as_f64().unwrap() >= 0.0);
    assert!(status["uptime_s"].as_u64().is_some());
    let started = status["started_at"].as_str().unwrap();
    assert!(started.ends_with('Z') && started.contains('T'), "{started}");
    let repl = &status["repl"];
    assert_eq!(
        repl["url"],
        format!("http://127.0.0.1:{}/repl", inst.repl_port)
    );
    assert_eq!(repl["ok"], true);
    assert!(repl["latency_ms"].as_f64().is_some());
    assert_eq!(repl["error"], Value::Null);

    let out = env.cmd().args(["status", "zinc"]).run();
    out.success()
        .stdout_has("● zinc")
        .stdout_has("active (running)")
        .stdout_has(&format!("PID: {pid}"))
        .stdout_has("ok (");
    // No colour off a terminal.
    assert!(!out.stdout.contains('\x1b'));
}

#[test]
fn a_stale_pid_file_exits_1() {
    let env = Env::new();
    env.instance("zinc");
    // A pid that is surely not running: beyond the kernel's limit.
    std::fs::write(env.file("zinc.pid"), "4194304\n").unwrap();
    let status = json(&env, 1);
    assert_eq!(status["state"], "stale");
    assert_eq!(status["pid"], Value::Null);
}

#[test]
fn an_unhealthy_repl_is_reported_with_its_reason() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.script("zinc", "ZnServer startDefaultOn: 0.\n");
    env.cmd().args(["start", "zinc"]).run().success();
    let status = json_with_repl(&env, inst.repl_port);
    assert_eq!(status["state"], "running");
    assert_eq!(status["repl"]["ok"], false);
    let error = status["repl"]["error"].as_str().unwrap();
    assert!(error.contains("unreachable"), "{error}");
}

fn json_with_repl(env: &Env, port: u16) -> Value {
    let out = env
        .cmd()
        .args([
            "status",
            "--json",
            "--repl",
            &format!("http://127.0.0.1:{port}/repl"),
            "zinc",
        ])
        .run();
    out.code(0);
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn the_only_image_of_the_directory_is_meant() {
    let env = Env::new();
    env.instance("zinc");
    let out = env.cmd().args(["status", "--json"]).run();
    out.code(3).stdout_has("\"name\":\"zinc\"");
}

/// The digits after the decimal point of a JSON number in `text` after `"key":`.
fn decimals_of(text: &str, key: &str) -> usize {
    let at = text.find(&format!("\"{key}\":")).unwrap() + key.len() + 3;
    let number: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    assert!(!number.is_empty(), "{key} is a number in {text}");
    number.split('.').nth(1).map_or(0, str::len)
}

#[test]
fn status_and_ps_print_json_on_one_line_rounded_to_what_is_measured() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    for args in [&["status", "--json", "zinc"][..], &["ps", "--json"]] {
        let out = env.cmd().args(args).run();
        out.success();
        assert_eq!(out.stdout.lines().count(), 1, "{args:?}: {}", out.stdout);
        let value: Value = serde_json::from_str(&out.stdout).unwrap();
        let pretty = env.cmd().args(args).args(["--pretty"]).run();
        pretty.success();
        assert!(pretty.stdout.lines().count() > 5, "{}", pretty.stdout);
        let again: Value = serde_json::from_str(&pretty.stdout).unwrap();
        assert_eq!(
            again.as_object().map(|o| o.keys().collect::<Vec<_>>()),
            value.as_object().map(|o| o.keys().collect::<Vec<_>>())
        );
        assert!(decimals_of(&out.stdout, "cpu_s") <= 3, "{}", out.stdout);
    }
    let out = env.cmd().args(["status", "--json", "zinc"]).run();
    assert!(
        decimals_of(&out.stdout, "latency_ms") <= 3,
        "{}",
        out.stdout
    );
    let out = env.cmd().args(["status", "--pretty", "zinc"]).run();
    out.code(2).stderr_has("--json");
    one_error_line(&out);
}
