//! Many images in one directory: `status` of every instance, `start`, `stop` and `restart` of
//! several, and REPL ports that two instances' scripts share.

use crate::harness::*;
use serde_json::Value;

/// The table's rows by NAME: the cells of each, split on runs of spaces.
fn rows(stdout: &str) -> Vec<Vec<String>> {
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "STATE", "PID", "UPTIME", "RSS", "CPU", "REPL"],
        "{stdout}"
    );
    lines
        .map(|line| {
            // The REPL cell may hold spaces: it is the rest of the line.
            let mut cells: Vec<String> = line
                .split_whitespace()
                .take(6)
                .map(str::to_string)
                .collect();
            let rest = line
                .split_whitespace()
                .skip(6)
                .collect::<Vec<_>>()
                .join(" ");
            cells.push(rest);
            cells
        })
        .collect()
}

/// Asserts that every line on stderr but the summary is one instance's: `NAME: …`, `NAME …`
/// or `error: NAME…`.
#[track_caller]
fn lines_are_named(stderr: &str, names: &[&str], summary: &str) {
    for line in stderr.lines().filter(|l| !l.contains(summary)) {
        let line = line.strip_prefix("error: ").unwrap_or(line);
        assert!(
            names
                .iter()
                .any(|n| line.starts_with(&format!("{n}:")) || line.starts_with(&format!("{n} "))),
            "{line:?} is no instance's\n{stderr}"
        );
    }
}

fn row<'a>(rows: &'a [Vec<String>], name: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == name)
        .unwrap_or_else(|| panic!("no row for {name} in {rows:?}"))
}

#[test]
fn status_all_shows_one_row_per_instance() {
    let env = Env::new();
    let a = env.instance("a");
    let b = env.instance("b");
    env.instance("c");
    let pid_a = env.start(&a);
    let pid_b = env.start(&b);

    let out = env.cmd().args(["status", "--all"]).run();
    out.code(1);
    let table = rows(&out.stdout);
    assert_eq!(table.len(), 3, "{}", out.stdout);
    assert_eq!(row(&table, "a")[1], "running");
    assert_eq!(row(&table, "a")[2], pid_a.to_string());
    assert_eq!(row(&table, "b")[2], pid_b.to_string());
    assert!(row(&table, "a")[6].starts_with("ok "), "{}", out.stdout);
    assert!(row(&table, "a")[4].ends_with('M') || row(&table, "a")[4].ends_with('K'));
    assert_eq!(row(&table, "c")[1..], ["stopped", "-", "-", "-", "-", "-"]);

    // No NAME in a directory of several images means all of them.
    let out = env.cmd().args(["status"]).run();
    out.code(1);
    assert_eq!(rows(&out.stdout).len(), 3);

    // Several NAMEs: those, and 0 since both run.
    let out = env.cmd().args(["status", "a", "b"]).run();
    out.success();
    assert_eq!(rows(&out.stdout).len(), 2);

    // One NAME is the one-instance report, as before.
    env.cmd()
        .args(["status", "c"])
        .run()
        .code(3)
        .stdout_has("inactive (dead)");

    env.cmd().args(["stop", "a", "b"]).run().success();
    env.cmd().args(["status", "--all"]).run().code(3);
    // A stale pid file (a pid beyond the kernel's limit) is not running either.
    std::fs::write(env.file("b.pid"), "4194304\n").unwrap();
    let out = env.cmd().args(["status", "--all"]).run();
    out.code(3);
    assert_eq!(row(&rows(&out.stdout), "b")[1], "stale");
}

#[test]
fn status_all_json_is_an_array_of_status_objects() {
    let env = Env::new();
    let a = env.instance("a");
    env.instance("b");
    let pid = env.start(&a);
    let out = env.cmd().args(["status", "--all", "--json"]).run();
    out.code(1);
    let all: Value = serde_json::from_str(&out.stdout).unwrap();
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 2);
    // Each object is what `status --json NAME` prints, but for the moving figures.
    let one = env.cmd().args(["status", "--json", "a"]).run();
    let one: Value = serde_json::from_str(&one.stdout).unwrap();
    let keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&all[0]), keys(&one));
    assert_eq!(all[0]["name"], "a");
    assert_eq!(all[0]["state"], "running");
    assert_eq!(all[0]["pid"], pid);
    assert_eq!(all[0]["repl"]["ok"], true);
    assert_eq!(all[0]["repl"]["url"], one["repl"]["url"]);
    assert_eq!(all[1]["name"], "b");
    assert_eq!(all[1]["state"], "stopped");
    assert_eq!(all[1]["pid"], Value::Null);
}

#[test]
fn a_vm_whose_repl_does_not_answer_is_hung() {
    let env = Env::new();
    let a = env.instance("a");
    env.instance("b");
    env.start(&a);
    env.cmd()
        .env("PHARO_DOUBLE_HANG", "1")
        .args(["start", "b", "--settle", "200ms"])
        .run()
        .success();
    let out = env.cmd().args(["status", "--all", "-t", "300ms"]).run();
    out.code(1);
    let table = rows(&out.stdout);
    assert_eq!(row(&table, "a")[1], "running");
    assert_eq!(row(&table, "b")[1], "hung");
    assert!(
        row(&table, "b")[6].contains("no answer within"),
        "{}",
        out.stdout
    );
    // As status --json of one instance says it: running, and hung.
    let out = env
        .cmd()
        .args(["status", "--all", "--json", "-t", "300ms"])
        .run();
    out.code(1);
    let all: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(all[1]["name"], "b");
    assert_eq!(all[1]["state"], "running");
    assert_eq!(all[1]["hung"], true);
    assert_eq!(all[0]["hung"], false);
    // --probe prints nothing and exits as the table does.
    env.cmd()
        .args(["status", "--all", "--probe", "-t", "300ms"])
        .run()
        .code(1)
        .stdout_is("");
    env.cmd()
        .args(["status", "a", "--probe"])
        .run()
        .success()
        .stdout_is("");
    env.cmd().args(["stop", "b", "-t", "200ms"]).run().success();
}

#[test]
fn several_instances_start_in_turn_and_stop_at_once() {
    let env = Env::new();
    for name in ["a", "b", "c"] {
        env.instance(name);
    }
    let out = env.cmd().args(["start", "a", "b", "c", "--wait"]).run();
    out.success().stderr_has("all 3 started: a, b, c");
    lines_are_named(&out.stderr, &["a", "b", "c"], "all 3 started");
    // One after another: b starts once a is running.
    let at = |text: &str| out.stderr.find(text).unwrap_or_else(|| panic!("{text}"));
    assert!(at("a is running") < at("b: started pid"), "{}", out.stderr);
    assert_eq!(env.vms().len(), 3);

    let out = env.cmd().args(["stop", "--all"]).run();
    out.success().stderr_has("all 3 stopped: a, b, c");
    for name in ["a", "b", "c"] {
        out.stderr_has(&format!("{name} stopped cooperatively"));
        assert!(!env.exists(&format!("{name}.pid")));
    }
    assert!(env.vms().is_empty());
}

#[test]
fn each_stop_has_its_own_escalation() {
    let env = Env::new();
    let stubborn = env.instance("stubborn");
    let polite = env.instance("polite");
    env.start_with(&stubborn, &[("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1")]);
    env.start(&polite);
    let out = env
        .cmd()
        .args(["stop", "stubborn", "polite", "-t", "500ms"])
        .run();
    out.success()
        .stderr_has("polite stopped cooperatively")
        .stderr_has("stubborn: sending SIGTERM")
        .stderr_has("stubborn terminated by SIGTERM");
    // The polite one did not wait for the stubborn one's grace.
    let at = |text: &str| out.stderr.find(text).unwrap_or_else(|| panic!("{text}"));
    assert!(
        at("polite stopped cooperatively") < at("stubborn: still running"),
        "{}",
        out.stderr
    );
    assert!(env.vms().is_empty());
}

#[test]
fn parallel_starts_report_the_failures_and_the_worst_status() {
    let env = Env::new();
    env.instance("a");
    let b = env.instance("b");
    env.instance("c");
    let _busy = env.occupy_app_port(&b);
    // --all and NAMEs exclude each other.
    env.cmd().args(["start", "--all", "a"]).run().code(2);

    let out = env.cmd().args(["start", "--all", "--parallel"]).run();
    out.code(1)
        .stderr_has("b failed to start")
        .stderr_has("error: 1 of 3 failed to start: b (exit 1)");
    // The log's last lines, too, are b's.
    out.stderr_has("b: | pharo-vm-double: cannot start ZnServer on port");
    lines_are_named(&out.stderr, &["a", "b", "c"], "1 of 3 failed");
    assert_eq!(env.vms().len(), 2);
    for name in ["a", "c"] {
        assert!(env.exists(&format!("{name}.pid")));
    }
    assert!(!env.exists("b.pid"));

    // A NAME that is no instance is refused before anything starts.
    let out = env.cmd().args(["start", "nothing", "b"]).run();
    out.code(6).stderr_has("no instance nothing");
    one_error_line(&out);
    assert!(!env.exists("b.pid"));
}

#[test]
fn restart_of_several_gives_each_a_new_vm() {
    let env = Env::new();
    let a = env.instance("a");
    let b = env.instance("b");
    let (pid_a, pid_b) = (env.start(&a), env.start(&b));
    env.cmd()
        .args(["restart", "a", "b", "--wait", "--parallel"])
        .run()
        .success()
        .stderr_has("all 2 restarted: a, b");
    assert_ne!(env.pid_of("a"), pid_a);
    assert_ne!(env.pid_of("b"), pid_b);
    assert!(!alive(pid_a) && !alive(pid_b));
    assert!(repl_answers(a.repl_port) && repl_answers(b.repl_port));
}

#[test]
fn one_instance_options_are_refused_with_several() {
    let env = Env::new();
    env.instance("a");
    env.instance("b");
    for option in [
        &["--pid-file", "x.pid"][..],
        &["--repl", "http://127.0.0.1:1/repl"],
        &["--image", "a.image"],
    ] {
        let out = env.cmd().args(["stop", "--all"]).args(option).run();
        out.code(2).stderr_has(option[0]).stderr_has("one instance");
        one_error_line(&out);
    }
}

#[test]
fn two_instances_on_one_repl_port_are_refused_before_anything_starts() {
    // start, restart and run alike.
    let env = Env::new();
    let a = env.instance("a");
    env.instance("b");
    env.instance("c");
    // b's script opens its REPL on a's port.
    let script = env.read("b.st");
    let b_port = script
        .split("startInServerOn: ")
        .nth(1)
        .and_then(|rest| rest.split('.').next())
        .unwrap()
        .to_string();
    env.script(
        "b",
        &script.replace(
            &format!("startInServerOn: {b_port}."),
            &format!("startInServerOn: {}.", a.repl_port),
        ),
    );
    let conflict = format!(
        "a and b both start their REPL on port {} (a.st, b.st)",
        a.repl_port
    );
    for args in [
        &["start", "--all"][..],
        &["start", "b"],
        &["restart", "a", "c"],
        &["run", "a"],
    ] {
        let out = env.cmd().args(args).run();
        out.code(6).stderr_has(&conflict);
        one_error_line(&out);
        assert!(env.vms().is_empty(), "{args:?}");
        assert!(!env.exists("a.pid") && !env.exists("b.pid"));
    }
    // c shares no port: it starts.
    env.cmd().args(["start", "c"]).run().success();
    let out = env.cmd().args(["status", "--all"]).run();
    out.code(1).stderr_has(&format!("warning: {conflict}"));
}
