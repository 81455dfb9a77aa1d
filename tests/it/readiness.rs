//! When a start counts: `start --wait` and `run` wait for the REPL with requests that may take
//! the time left before `--start-timeout` (a busy image answers slowly at first); a plain
//! `start` counts as soon as the REPL the startup script names answers, and after `--settle`
//! for an image without one.

use crate::harness::*;
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(30);

/// Every request to the REPL takes this long.
const SLOW: (&str, &str) = ("PHARO_DOUBLE_SLOW_MS", "2500");

#[test]
fn a_repl_that_answers_slowly_is_ready_for_start_wait() {
    let env = Env::new();
    env.instance("zinc");
    env.cmd()
        .env(SLOW.0, SLOW.1)
        .args(["start", "--wait", "--start-timeout", "15s", "zinc"])
        .run()
        .success()
        .stderr_has("its REPL answered after");
    env.cmd()
        .args(["stop", "--kill-after", "1s", "zinc"])
        .run()
        .success();
}

#[test]
fn a_repl_that_answers_slowly_is_ready_for_run() {
    let env = Env::new();
    env.instance("zinc");
    let mut running = env
        .cmd()
        .env(SLOW.0, SLOW.1)
        .args(["run", "--start-timeout", "15s", "zinc"])
        .spawn();
    running.wait_stderr("zinc is ready: its REPL answered after", LIMIT);
    running.signal(libc::SIGTERM);
    running.finish().success();
}

#[test]
fn a_plain_start_counts_once_the_scripts_repl_answers() {
    let env = Env::new();
    env.instance("zinc");
    let began = Instant::now();
    // The settle time alone would take half a minute.
    env.cmd()
        .args(["start", "--settle", "30s", "zinc"])
        .run()
        .success()
        .stderr_has("zinc is running (pid")
        .stderr_has("its REPL answered after");
    assert!(
        began.elapsed() < Duration::from_secs(20),
        "{:?}",
        began.elapsed()
    );
    env.cmd()
        .args(["eval", "zinc", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn a_plain_start_of_an_image_without_a_repl_settles() {
    let env = Env::new();
    env.instance("zinc");
    env.script("zinc", "ZnServer startDefaultOn: 0.\n");
    let began = Instant::now();
    env.cmd()
        .args(["start", "--settle", "700ms", "zinc"])
        .run()
        .success()
        .stderr_has("zinc is running (pid");
    assert!(began.elapsed() >= Duration::from_millis(700));
    env.cmd()
        .args(["stop", "--timeout", "0s", "--kill-after", "1s", "zinc"])
        .run()
        .success();
}

#[test]
fn a_plain_start_whose_repl_does_not_come_up_still_counts_after_the_settle_time() {
    let env = Env::new();
    env.instance("zinc");
    // The REPL accepts connections and never answers: the image runs on.
    let out = env
        .cmd()
        .env("PHARO_DOUBLE_HANG", "1")
        .args(["start", "--settle", "500ms", "zinc"])
        .run();
    out.success().stderr_has("zinc is running (pid");
    assert!(!out.stderr.contains("REPL answered"), "{}", out.stderr);
    env.cmd()
        .args(["stop", "--timeout", "300ms", "--kill-after", "1s", "zinc"])
        .run()
        .success();
}
