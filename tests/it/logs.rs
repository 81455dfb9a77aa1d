//! `pharo-ctl logs`: the last lines of the log, lines since a time, following the log as the
//! VM writes (across a rename and logrotate's real copytruncate), the end of the follow when
//! the VM exits or the reader goes away, and an instance whose output is not in a log.

use crate::harness::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// Makes the running image write a line to its output (the log), through its REPL.
fn say(env: &Env, text: &str) {
    env.cmd()
        .args(["eval", &format!("Transcript show: '{text}'; cr. 1")])
        .run()
        .success();
}

#[test]
fn prints_the_last_lines_like_tail() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    for n in 1..=15 {
        say(&env, &format!("line {n}"));
    }
    let expected: String = (6..=15).map(|n| format!("line {n}\n")).collect();
    env.cmd()
        .args(["logs", "zinc"])
        .run()
        .success()
        .stdout_is(&expected);
    env.cmd()
        .args(["logs", "-n", "2", "zinc"])
        .run()
        .success()
        .stdout_is("line 14\nline 15\n");
    env.cmd()
        .args(["logs", "--lines", "0", "zinc"])
        .run()
        .success()
        .stdout_is("");
}

#[test]
fn since_needs_lines_with_timestamps() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // A log whose lines are stamped is selected by time; unstamped lines go with the line
    // before them.
    std::fs::write(
        env.file("stamped.log"),
        "2026-01-31T11:00:00Z old\n2026-01-31T12:30:00+01:00 older still\n2026-01-31T12:00:00Z new\n  at Foo>>bar\n",
    )
    .unwrap();
    env.cmd()
        .args([
            "logs",
            "--log-file",
            "stamped.log",
            "--since",
            "2026-01-31T11:59:00Z",
            "zinc",
        ])
        .run()
        .success()
        .stdout_is("2026-01-31T12:00:00Z new\n  at Foo>>bar\n");
    env.start(&inst);
    say(&env, "no stamp here");
    for since in ["10m", "2026-01-31T12:00:00Z"] {
        let out = env.cmd().args(["logs", "--since", since, "zinc"]).run();
        out.code(2)
            .stderr_has("no timestamps")
            .stderr_has("-n/--lines");
        one_error_line(&out);
        assert_eq!(out.stdout, "");
    }
    let out = env
        .cmd()
        .args(["logs", "--since", "yesterday", "zinc"])
        .run();
    out.code(2).stderr_has("'yesterday'");
    one_error_line(&out);
}

#[test]
fn a_missing_log_is_a_clear_error() {
    let env = Env::new();
    env.instance("zinc");
    let out = env.cmd().args(["logs", "zinc"]).run();
    out.code(1).stderr_has("no log at").stderr_has("zinc.log");
    one_error_line(&out);
}

#[test]
fn follows_a_log_that_is_renamed_and_created_anew() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    say(&env, "before");
    let mut logs = env.cmd().args(["logs", "-f", "zinc"]).spawn();
    logs.wait_stdout("before\n", LIMIT);
    say(&env, "still the first file");
    logs.wait_stdout("still the first file\n", LIMIT);
    std::fs::rename(env.file("zinc.log"), env.file("zinc.log.1")).unwrap();
    std::fs::write(env.file("zinc.log"), "the new file\n").unwrap();
    logs.wait_stdout("the new file\n", LIMIT);
    logs.wait_stderr("was replaced", LIMIT);
    let seen = logs.stdout_so_far();
    assert!(
        seen.ends_with("before\nstill the first file\nthe new file\n"),
        "{seen}"
    );
}

#[test]
fn follows_through_logrotate_copytruncate() {
    if !require_program(
        "logrotate",
        "following a log through logrotate's copytruncate",
    ) {
        return;
    }
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    say(&env, "before rotation");
    let mut logs = env.cmd().args(["logs", "-f", "zinc"]).spawn();
    logs.wait_stdout("before rotation\n", LIMIT);
    // The README's snippet, for this directory.
    let config = env.file("logrotate.conf");
    std::fs::write(
        &config,
        format!(
            "{}/*.log {{\n    daily\n    rotate 7\n    copytruncate\n    missingok\n    notifempty\n}}\n",
            env.path().display()
        ),
    )
    .unwrap();
    let state = env.file("logrotate.state");
    let rotated = std::process::Command::new("logrotate")
        .arg("--force")
        .arg("--state")
        .arg(&state)
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        rotated.status.success(),
        "logrotate: {}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    assert!(env.read("zinc.log.1").contains("before rotation"));
    say(&env, "after rotation");
    logs.wait_stdout("after rotation\n", LIMIT);
    logs.wait_stderr("was truncated", LIMIT);
    // The VM writes at the start of the truncated file, not at its old offset.
    assert_eq!(env.read("zinc.log"), "after rotation\n");
    let seen = logs.stdout_so_far();
    assert_eq!(seen.matches("before rotation").count(), 1, "{seen}");
}

#[test]
fn until_exit_ends_when_the_vm_exits() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    let mut logs = env.cmd().args(["logs", "--until-exit", "zinc"]).spawn();
    logs.wait_stdout("REPL on", LIMIT);
    env.cmd().args(["stop", "zinc"]).run().success();
    assert!(!alive(pid));
    let out = logs.finish();
    out.success()
        .stdout_has("Completed ShutdownSequence successfully")
        .stderr_has("zinc exited");
    // Not running: the lines, then nothing to wait for.
    env.cmd()
        .args(["logs", "--until-exit", "zinc"])
        .run()
        .success()
        .stdout_has("Completed ShutdownSequence")
        .stderr_has("not running");
}

#[test]
fn follow_into_a_closed_pipe_exits_0() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let mut logs = env.cmd().args(["logs", "-f", "zinc"]).spawn();
    logs.wait_stdout("REPL on", LIMIT);
    logs.close_stdout();
    // It notices at once, not at the next line the VM writes.
    let out = logs.finish();
    out.success();
    assert_eq!(out.stderr, "");
}

#[test]
fn an_instance_run_in_the_foreground_says_where_its_output_goes() {
    let env = Env::new();
    env.instance("zinc");
    let mut running = env.cmd().args(["run", "zinc"]).spawn();
    running.wait_stderr("zinc is ready", LIMIT);
    let out = env.cmd().args(["logs", "zinc"]).run();
    out.code(1)
        .stderr_has("runs under `pharo-ctl run`")
        .stderr_has(&format!("pid {}", running.pid()))
        .stderr_has("zinc.log");
    one_error_line(&out);
    assert_eq!(out.stdout, "");
}

#[test]
fn a_vm_whose_output_goes_elsewhere_is_told_apart() {
    let env = Env::new();
    env.instance("zinc");
    // A VM started by hand, its output thrown away.
    let image = env.file("zinc.image");
    let script = env.file("zinc.st");
    let vm = Spawned::new(
        double(),
        &[
            "--headless",
            image.to_str().unwrap(),
            script.to_str().unwrap(),
        ],
        env.path(),
    );
    wait_until("the VM to be found", LIMIT, || {
        env.cmd().args(["pid", "zinc"]).run().exited() == Some(0)
    });
    let out = env.cmd().args(["logs", "zinc"]).run();
    out.code(1)
        .stderr_has(&format!(
            "its VM (pid {}) writes its output to /dev/null",
            vm.pid()
        ))
        .stderr_has("zinc.log");
    one_error_line(&out);
}
