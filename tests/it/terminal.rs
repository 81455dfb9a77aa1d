//! Colour and progress: one decision at start-up (`--color`, `NO_COLOR`, `TERM=dumb`, a
//! terminal or not); `--json` never coloured; spinners on a terminal only, and no control
//! characters at all off one. The terminal is a real pseudo-terminal, from `script`
//! (util-linux).

use crate::harness::*;
use std::process::{Command, Stdio};

const ESC: char = '\x1b';

/// Control characters other than the newline: what a log or a journal must never receive.
fn control_characters(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| (c.is_control() && *c != '\n') || *c == ESC)
        .collect()
}

/// Runs pharo-ctl with `args` on a pseudo-terminal (stdin, stdout and stderr all on it) and
/// answers what appeared on the terminal and the exit code.
fn in_terminal(env: &Env, args: &[&str], envs: &[(&str, &str)]) -> (String, i32) {
    let mut line = shell_quote(pharo_ctl().to_str().unwrap());
    for arg in args {
        line.push(' ');
        line.push_str(&shell_quote(arg));
    }
    shell_in_terminal(env, &line, envs)
}

/// Runs a shell line on a pseudo-terminal (so that one stream can be redirected) and answers
/// what appeared on the terminal and the exit code.
fn shell_in_terminal(env: &Env, line: &str, envs: &[(&str, &str)]) -> (String, i32) {
    let mut command = Command::new("script");
    command
        .args([
            "--quiet",
            "--flush",
            "--return",
            "--command",
            line,
            "/dev/null",
        ])
        .current_dir(env.path())
        .stdin(Stdio::null())
        .env("PHARO_VM", double())
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("PHARO_CTL_DIR")
        .env_remove("PHARO_REPL");
    for (key, value) in envs {
        command.env(key, value);
    }
    let out = command.output().expect("script runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[test]
fn color_always_colours_status_and_never_does_not() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    // The harness sets NO_COLOR: an explicit --color always still wins.
    let out = env
        .cmd()
        .args(["status", "--color", "always", "zinc"])
        .run();
    out.success().stdout_has("\x1b[").stdout_has("●");
    let coloured_dot = out.stdout.lines().next().unwrap();
    assert!(
        coloured_dot.starts_with(ESC),
        "the dot is coloured: {coloured_dot:?}"
    );
    for args in [
        vec!["status", "--color", "never", "zinc"],
        vec!["status", "zinc"],
        vec!["status", "--json", "--color", "always", "zinc"],
        vec!["ps", "--json", "--color", "always"],
    ] {
        let out = env.cmd().env_remove("NO_COLOR").args(&args).run();
        out.success();
        assert!(
            !out.stdout.contains(ESC) && !out.stderr.contains(ESC),
            "{args:?} is not coloured:\n{}{}",
            out.stdout,
            out.stderr
        );
    }
    env.cmd()
        .args(["ps", "--color", "always"])
        .run()
        .success()
        .stdout_has("\x1b[1mPID");
}

#[test]
fn on_a_terminal_colour_is_on_unless_no_color_or_a_dumb_terminal() {
    if !require_program(
        "script",
        "on_a_terminal_colour_is_on_unless_no_color_or_a_dumb_terminal",
    ) {
        return;
    }
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let (text, code) = in_terminal(&env, &["status", "zinc"], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(ESC), "a terminal gets colour: {text:?}");
    assert!(text.contains("●"));
    for envs in [[("NO_COLOR", "1")], [("TERM", "dumb")]] {
        let (text, code) = in_terminal(&env, &["status", "zinc"], &envs);
        assert_eq!(code, 0, "{text}");
        assert!(!text.contains(ESC), "{envs:?}: no colour: {text:?}");
    }
    // An empty NO_COLOR does not count.
    let (text, _) = in_terminal(&env, &["status", "zinc"], &[("NO_COLOR", "")]);
    assert!(text.contains(ESC));
    let (text, _) = in_terminal(&env, &["--color", "never", "status", "zinc"], &[]);
    assert!(!text.contains(ESC));
    let (text, _) = in_terminal(&env, &["status", "--json", "zinc"], &[]);
    assert!(!text.contains(ESC), "--json is never coloured: {text:?}");
}

#[test]
fn off_a_terminal_waits_print_plain_step_lines() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // start --wait waits for a slow REPL; stop waits out the grace of an ignored shutdown.
    let out = env
        .cmd()
        .env_remove("NO_COLOR")
        .env("PHARO_DOUBLE_START_DELAY_MS", "700")
        .env("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1")
        .args(["start", "--wait", "zinc"])
        .run();
    out.success().stderr_has("waiting up to");
    assert_eq!(
        control_characters(&format!("{}{}", out.stdout, out.stderr)),
        [],
        "{out:?}"
    );
    let out = env
        .cmd()
        .env_remove("NO_COLOR")
        .args(["stop", "--timeout", "1s", "zinc"])
        .run();
    out.success()
        .stderr_has("still running after the 1s grace period")
        .stderr_has("terminated by SIGTERM");
    assert_eq!(
        control_characters(&format!("{}{}", out.stdout, out.stderr)),
        [],
        "{out:?}"
    );
    for line in out.stderr.lines() {
        assert!(
            line.starts_with("zinc") || line.starts_with("warning:"),
            "one step per line: {line:?}"
        );
    }
    let _ = inst;
}

#[test]
fn on_a_terminal_waits_show_a_spinner_with_what_is_awaited() {
    if !require_program(
        "script",
        "on_a_terminal_waits_show_a_spinner_with_what_is_awaited",
    ) {
        return;
    }
    let env = Env::new();
    env.instance("zinc");
    let (text, code) = in_terminal(
        &env,
        &["start", "--wait", "zinc"],
        &[
            ("PHARO_DOUBLE_START_DELAY_MS", "800"),
            ("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1"),
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("zinc: waiting for the REPL (giving up in "),
        "start --wait shows a spinner: {text:?}"
    );
    let (text, code) = in_terminal(&env, &["stop", "--timeout", "1s", "zinc"], &[]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("waiting for zinc to exit (SIGTERM in "),
        "stop shows a spinner with the next escalation: {text:?}"
    );
    // Step lines go above the spinner, never into its line.
    for line in text.split(['\r', '\n']) {
        assert!(
            !(line.contains("waiting for zinc to exit (") && line.contains("zinc: ")),
            "a step line ran into the spinner: {line:?}"
        );
    }
    // The spinner redraws its line in place, and clears it at the end.
    assert!(text.contains('\r') && text.contains(ESC), "{text:?}");
    assert!(text.contains("terminated by SIGTERM"), "{text:?}");
    // -q silences steps and spinners alike.
    env.cmd().args(["start", "zinc"]).run().success();
    let (text, _) = in_terminal(&env, &["-q", "stop", "zinc"], &[]);
    assert!(!text.contains("waiting for"), "{text:?}");
}

#[test]
fn on_a_terminal_run_shows_a_spinner_while_it_waits_for_the_repl() {
    if !require_program(
        "script",
        "on_a_terminal_run_shows_a_spinner_while_it_waits_for_the_repl",
    ) {
        return;
    }
    let env = Env::new();
    env.instance("zinc");
    // Ready after 0.8s; the VM then ends by itself with status 0, and run with it.
    let (text, code) = in_terminal(
        &env,
        &["run", "zinc"],
        &[
            ("PHARO_DOUBLE_START_DELAY_MS", "800"),
            ("PHARO_DOUBLE_EXIT_AFTER_MS", "2500"),
        ],
    );
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("zinc: waiting for the REPL (") && text.contains("s left)"),
        "run shows a spinner with the time left while it waits: {text:?}"
    );
    assert!(text.contains("zinc is ready"), "{text:?}");
    for line in text.split(['\r', '\n']) {
        assert!(
            !(line.contains("waiting for the REPL (") && line.contains("is ready")),
            "a step line ran into the spinner: {line:?}"
        );
    }
}

#[test]
fn stderr_is_coloured_by_whether_stderr_is_a_terminal() {
    if !require_program(
        "script",
        "stderr_is_coloured_by_whether_stderr_is_a_terminal",
    ) {
        return;
    }
    let env = Env::new();
    let ctl = shell_quote(pharo_ctl().to_str().unwrap());
    // stdout on the terminal, stderr into a file: the error line in the file is plain.
    shell_in_terminal(
        &env,
        &format!("{ctl} -C ./missing stop zinc 2>err.txt"),
        &[],
    );
    let err = env.read("err.txt");
    assert!(err.starts_with("error: "), "{err:?}");
    assert!(!err.contains(ESC), "a file gets no colour: {err:?}");
    // On the terminal itself the error is coloured; --color always colours the file too.
    let (text, _) = shell_in_terminal(&env, &format!("{ctl} -C ./missing stop zinc"), &[]);
    assert!(text.contains("\x1b[1;31merror:"), "{text:?}");
    shell_in_terminal(
        &env,
        &format!("{ctl} --color always -C ./missing stop zinc 2>forced.txt"),
        &[],
    );
    assert!(env.read("forced.txt").contains("\x1b[1;31merror:"));
}
