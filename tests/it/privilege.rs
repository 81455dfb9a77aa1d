//! What a user other than the VM's may not do: each refusal is exit 4 with what to do, and
//! nothing is started, stopped or left behind. These tests run pharo-ctl as the user nobody,
//! so they need root; elsewhere they say that they are skipped.

use crate::harness::*;

/// One line on stderr, starting with `error:`, that says what to do.
#[track_caller]
fn one_error_line(out: &Outcome) {
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].starts_with("error: "), "{}", out.stderr);
}

#[test]
fn stop_without_permission_to_signal_exits_4_and_leaves_the_vm() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    // Without ShutdownSequence the REPL answers an error, so the stop goes on to SIGTERM.
    let inst = env.instance_without_shutdown("zinc");
    let pid = env.start(&inst);
    let out = nobody.cmd().args(["-q", "stop", "zinc"]).run();
    out.code(4).stderr_has(&format!(
        "error: no permission to signal zinc's VM (pid {pid}): run pharo-ctl as its user or as root"
    ));
    one_error_line(&out);
    assert!(alive(pid));
    assert_eq!(env.pid_of("zinc"), pid);

    // Without a REPL at all, the first signal is refused the same way.
    let nowhere = format!("http://127.0.0.1:{}/repl", free_port());
    let out = nobody
        .cmd()
        .args(["-q", "stop", "--repl", &nowhere, "zinc"])
        .run();
    out.code(4).stderr_has("no permission to signal zinc's VM");
    one_error_line(&out);
    assert!(alive(pid));
}
