//! What a user other than the VM's may not do: each refusal is exit 4 with what to do, and
//! nothing is started, stopped or left behind. These tests run pharo-ctl as the user nobody,
//! so they need root; elsewhere they say that they are skipped.

use crate::harness::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

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

#[test]
fn start_refuses_before_spawning_when_the_pid_file_cannot_be_written() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    env.instance("zinc");
    // The lock and the log are nobody's, so only the pid file is in the way: the directory is
    // root's and not writable by nobody.
    for name in ["zinc.pid.lock", "zinc.log"] {
        std::fs::write(env.file(name), "").unwrap();
        env.chown_to_nobody(name);
    }
    // The launcher too refuses before the VM starts.
    for command in ["start", "run"] {
        let out = nobody.cmd().args([command, "zinc"]).run();
        out.code(4)
            .stderr_has(&format!(
                "cannot write the pid file {}: Permission denied; run as the directory's owner or pass --pid-file",
                env.file("zinc.pid").display()
            ));
        one_error_line(&out);
        assert!(env.vms().is_empty(), "{command}: a VM was started");
        assert_eq!(env.read("zinc.log"), "", "{command}: the VM ran");
        assert!(!env.exists("zinc.pid"));
    }
}

#[test]
fn restart_refuses_before_stopping_when_the_pid_file_cannot_be_written() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    // The REPL would let nobody stop the VM; it must not be stopped when it cannot be started
    // again.
    let out = nobody.cmd().args(["restart", "zinc"]).run();
    out.code(4).stderr_has("cannot write the pid file");
    one_error_line(&out);
    assert!(alive(pid));
    assert_eq!(env.vms(), vec![pid]);
}

#[test]
fn start_refuses_when_the_log_cannot_be_opened() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    env.instance("zinc");
    env.chown_to_nobody("");
    std::fs::write(env.file("zinc.log"), "root's log\n").unwrap();
    env.chmod("zinc.log", 0o640);
    let out = nobody.cmd().args(["start", "zinc"]).run();
    out.code(4).stderr_has(&format!(
        "cannot write the log file {}: Permission denied; run as its owner or pass --log-file",
        env.file("zinc.log").display()
    ));
    one_error_line(&out);
    assert!(env.vms().is_empty(), "a VM was started");
    assert!(!env.exists("zinc.pid"));
    assert_eq!(env.read("zinc.log"), "root's log\n");
}

#[test]
fn a_start_lock_of_another_user_says_what_to_do() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    env.instance("zinc");
    env.chown_to_nobody("");
    std::fs::write(env.file("zinc.pid.lock"), "").unwrap();
    env.chmod("zinc.pid.lock", 0o644);
    let out = nobody.cmd().args(["start", "zinc"]).run();
    out.code(4)
        .stderr_has("cannot open the start lock")
        .stderr_has("Permission denied; run as its owner");
    one_error_line(&out);
    assert!(env.vms().is_empty(), "a VM was started");
}

#[test]
fn an_unreadable_directory_is_permission_denied_not_empty() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    std::fs::create_dir(env.file("d")).unwrap();
    std::fs::write(env.file("d/zinc.image"), "a Pharo image").unwrap();
    env.chmod("d", 0o711);
    let out = nobody.cmd().args(["-C", "d", "status"]).run();
    out.code(4)
        .stderr_has(&format!(
            "cannot list the images in {}: Permission denied",
            env.file("d").display()
        ))
        .stderr_has("name the instance");
    one_error_line(&out);
    // Named, the instance is found without listing the directory.
    nobody
        .cmd()
        .args(["-C", "d", "status", "zinc"])
        .run()
        .code(3)
        .stdout_has("zinc");
}

#[test]
fn a_stop_that_cannot_remove_the_pid_file_still_succeeds_and_says_so() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    // nobody's VM, with root's pid file in root's directory: nobody may ask its own REPL to
    // shut the image down, but may not remove the pid file afterwards.
    let inst = env.instance("zinc");
    let image = env.file("zinc.image");
    let script = env.file("zinc.st");
    let vm = Spawned::new(
        "setpriv",
        &[
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            env.double().to_str().unwrap(),
            "--headless",
            image.to_str().unwrap(),
            script.to_str().unwrap(),
        ],
        env.path(),
    );
    wait_until("nobody's VM to answer", LIMIT, || {
        repl_answers(inst.repl_port)
    });
    std::fs::write(env.file("zinc.pid"), format!("{}\n", vm.pid())).unwrap();
    let out = nobody.cmd().args(["stop", "zinc"]).run();
    out.success()
        .stderr_has("zinc stopped cooperatively")
        .stderr_has("warning: zinc: cannot remove the pid file")
        .stderr_has("Permission denied");
    wait_until("the VM to be gone", LIMIT, || !alive(vm.pid()));
    // The pid file left behind names no running VM: stale, and root can clean it up.
    env.cmd().args(["status", "zinc"]).run().code(1);
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("removed the stale pid file");
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn the_owner_of_a_read_only_directory_is_told_to_make_it_writable_and_of_every_file_at_once() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    env.instance("zinc");
    // nobody's directory, without write permission for anyone.
    env.chown_to_nobody("");
    env.chmod("", 0o555);
    let out = nobody.cmd().args(["start", "zinc"]).run();
    out.code(4)
        .stderr_has(&format!(
            "cannot write the pid file {}: Permission denied; it is yours but not writable: chmod u+w {}, or pass --pid-file",
            env.file("zinc.pid").display(),
            env.path().display()
        ))
        // The log is in the way too: said in the same error, not after the next attempt.
        .stderr_has(&format!(
            "and cannot write the log file {}",
            env.file("zinc.log").display()
        ))
        .stderr_has("--log-file");
    assert!(
        !out.stderr.contains("run as the directory's owner"),
        "{}",
        out.stderr
    );
    one_error_line(&out);
    assert!(env.vms().is_empty(), "a VM was started");
    env.chmod("", 0o755);
}

#[test]
fn an_unreadable_pid_file_says_whose_it_is_and_what_to_do() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    env.instance("zinc");
    std::fs::write(env.file("zinc.pid"), "12345\n").unwrap();
    env.chmod("zinc.pid", 0o600);
    let out = nobody.cmd().args(["status", "zinc"]).run();
    out.code(4).stderr_has(&format!(
        "cannot read the pid file {}: Permission denied; run as its owner (uid 0), the user the instance runs as, or as root",
        env.file("zinc.pid").display()
    ));
}

#[test]
fn another_users_vm_gets_no_request_on_a_repl_whose_owner_cannot_be_told() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    // root's VM: nobody may not read its descriptors, so whether the socket on the REPL's
    // port is its own cannot be told; nothing is sent, and the line says how to go on.
    let inst = env.instance("zinc");
    let events = env.file("events");
    let pid = env.start_with(&inst, &[("PHARO_DOUBLE_EVENTS", events.to_str().unwrap())]);
    let out = nobody.cmd().args(["stop", "zinc"]).run();
    out.code(4)
        .stderr_has("cannot be told")
        .stderr_has("sudo -u root pharo-ctl");
    let out = nobody.cmd().args(["eval", "zinc", "3 + 4"]).run();
    out.code(4)
        .stderr_has("cannot be told")
        .stderr_has("--repl");
    one_error_line(&out);
    nobody
        .cmd()
        .args(["status", "zinc"])
        .run()
        .success()
        .stdout_has("unverified");
    nobody
        .cmd()
        .args(["status", "--probe", "zinc"])
        .run()
        .code(4);
    assert!(alive(pid));
    assert!(
        !std::fs::read_to_string(&events)
            .unwrap_or_default()
            .contains("POST /repl"),
        "a request reached the REPL"
    );
}
