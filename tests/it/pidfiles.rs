//! Every pid file content is judged, none is an error: empty, text, binary, a sign, zero,
//! numbers no pid can be, low pids and pids outside this PID namespace are all stale; a
//! temporary file a killed writer left is cleaned; and an interpreted VM (a script run through
//! its interpreter) is found and listed when `--vm`/`PHARO_VM` names it.

use crate::harness::*;

use serde_json::Value;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// Pid file contents that name no process: each is stale.
const GARBAGE: [&[u8]; 11] = [
    b"",
    b"\n",
    b"zinc\n",
    b"\xff\xfe\x00\x80binary",
    b"-42\n",
    b"0\n",
    b"+77\n",
    b"12 34\n",
    b"99999999999999999999\n",
    b"2147483647\n",
    b"4194305\n",
];

/// Status, pid and stop on a stale pid file: 1, 1, and 0 with the file removed.
#[track_caller]
fn judged_stale(env: &Env, cmd: impl Fn() -> Cmd, content: &[u8]) {
    std::fs::write(env.file("zinc.pid"), content).unwrap();
    let out = cmd().args(["status", "--json", "zinc"]).run();
    out.code(1);
    let status: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(status["state"], "stale", "{content:?}");
    cmd()
        .args(["pid", "zinc"])
        .run()
        .code(1)
        .stderr_has("stale");
    cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("removed the stale pid file");
    assert!(!env.exists("zinc.pid"), "{content:?}");
}

#[test]
fn every_pid_file_content_that_names_no_vm_is_stale() {
    let env = Env::new();
    let inst = env.instance("zinc");
    for content in GARBAGE {
        judged_stale(&env, || env.cmd(), content);
    }
    // A start over any of them starts the VM.
    std::fs::write(env.file("zinc.pid"), b"\xff\xfe").unwrap();
    env.cmd()
        .args(["start", "--wait", "zinc"])
        .run()
        .success()
        .stderr_has("removed the stale pid file");
    assert!(listening(inst.repl_port));
    env.cmd().args(["stop", "zinc"]).run().success();
    nothing_left(&env, "zinc");
}

#[test]
fn low_pids_and_pids_outside_the_pid_namespace_are_stale() {
    let Some(namespace) = pid_namespace() else {
        return;
    };
    let env = Env::new();
    env.instance("zinc");
    // A live process outside the namespace, whose pid means nothing inside it.
    let outside = Spawned::new("sleep", &["600"], env.path());
    let far = outside.pid().to_string();
    for content in ["1\n", "2\n", "3\n", "10\n", &format!("{far}\n")] {
        judged_stale(&env, || env.cmd_via(&namespace), content.as_bytes());
    }
    assert!(
        alive(outside.pid()),
        "a process outside the namespace was signalled"
    );
}

fn a_garbage_pid_file_does_not_hide_the_vm(layout: Layout) {
    let env = Env::with_layout(layout);
    let inst = env.instance("zinc");
    env.start(&inst);
    let (vm, _) = vm_proper(&env);
    for content in GARBAGE {
        std::fs::write(env.file("zinc.pid"), content).unwrap();
        env.cmd()
            .args(["pid", "zinc"])
            .run()
            .success()
            .stdout_is(&format!("{vm}\n"));
    }
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("does not name the running VM")
        .stderr_has("zinc stopped cooperatively");
    nothing_left(&env, "zinc");
}

#[test]
fn a_garbage_pid_file_does_not_hide_a_direct_vm() {
    a_garbage_pid_file_does_not_hide_the_vm(Layout::Direct);
}

#[test]
fn a_garbage_pid_file_does_not_hide_a_zeroconf_vm() {
    a_garbage_pid_file_does_not_hide_the_vm(Layout::Zeroconf);
}

#[test]
fn a_garbage_pid_file_does_not_hide_a_script_vm() {
    a_garbage_pid_file_does_not_hide_the_vm(Layout::Script);
}

#[test]
fn a_temporary_pid_file_a_killed_writer_left_is_cleaned() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    let temp = format!(".zinc.pid.{dead}.tmp");
    std::fs::write(env.file(&temp), "12").unwrap();
    env.start(&inst);
    assert!(!env.exists(&temp), "start left {temp}");
    std::fs::write(env.file(&temp), "12").unwrap();
    env.cmd().args(["stop", "zinc"]).run().success();
    assert!(!env.exists(&temp), "stop left {temp}");
    nothing_left(&env, "zinc");
}

/// A VM that is a script (`vm.sh` in bash, `vm.py` in Python) running the VM program as its
/// child: `engine`, the double under a name no VM has, which only the script makes a VM.
fn interpreted_vm(env: &Env, script: &str) -> std::path::PathBuf {
    std::fs::copy(double(), env.file("engine")).unwrap();
    let text = match script {
        "vm.sh" => "#!/bin/bash\n\"$(dirname \"$0\")/engine\" \"$@\"\n".to_string(),
        _ => "#!/usr/bin/env python3\nimport os, subprocess, sys\n\
              engine = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), 'engine')\n\
              sys.exit(subprocess.call([engine] + sys.argv[1:]))\n"
            .to_string(),
    };
    env.executable(script, &text);
    env.file(script)
}

fn interpreted_vm_is_found_by_the_scan_and_listed_by_ps(script: &str, by_env: bool) {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = interpreted_vm(&env, script);
    let by_hand = Spawned::new(
        &vm,
        &[
            "--headless",
            env.file("zinc.image").to_str().unwrap(),
            env.file("zinc.st").to_str().unwrap(),
        ],
        env.path(),
    );
    wait_until("the REPL", LIMIT, || listening(inst.repl_port));
    // `--vm vm.sh` or `PHARO_VM=DIR/vm.py`: the script is the VM.
    let with_vm = || {
        let cmd = env.cmd();
        if by_env {
            cmd.env("PHARO_VM", &vm)
        } else {
            cmd.env_remove("PHARO_VM").args(["--vm", script])
        }
    };
    with_vm()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{}\n", by_hand.pid()));
    let rows = |cmd: Cmd| -> Vec<Value> {
        let out = cmd.args(["ps", "--json"]).run();
        out.success();
        serde_json::from_str(&out.stdout).unwrap()
    };
    let listed = rows(with_vm());
    assert!(
        listed.iter().any(|row| row["pid"] == by_hand.pid()),
        "ps does not list the interpreted VM: {listed:?}"
    );
    // Without it, neither the script nor its child is a VM: nothing runs the image.
    let unnamed = rows(env.cmd().env_remove("PHARO_VM"));
    assert!(
        unnamed
            .iter()
            .all(|row| row["image"] != env.file("zinc.image").to_str().unwrap())
    );
    env.cmd()
        .env_remove("PHARO_VM")
        .args(["pid", "zinc"])
        .run()
        .code(3);
    with_vm()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc stopped cooperatively");
    assert!(!alive(by_hand.pid()));
    nothing_left(&env, "zinc");
}

#[test]
fn a_bash_vm_named_by_vm_is_found_and_listed() {
    interpreted_vm_is_found_by_the_scan_and_listed_by_ps("vm.sh", false);
}

#[test]
fn a_python_vm_named_by_pharo_vm_is_found_and_listed() {
    interpreted_vm_is_found_by_the_scan_and_listed_by_ps("vm.py", true);
}

#[test]
fn an_interpreted_vm_started_by_pharo_ctl_is_stopped_with_its_child() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = interpreted_vm(&env, "vm.sh");
    let cmd = || env.cmd().env("PHARO_VM", &vm);
    cmd()
        .env("PHARO_DOUBLE_IGNORE_SHUTDOWN", "1")
        .args(["start", "--wait", "zinc"])
        .run()
        .success();
    // The script is the VM proper: its child, `engine`, is no VM.
    let pid = env.pid_of("zinc");
    let script = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(script.windows(5).any(|w| w == b"vm.sh"));
    assert!(listening(inst.repl_port));
    cmd()
        .args(["stop", "--timeout", "300ms", "zinc"])
        .run()
        .success()
        .stderr_has("its process tree (pids ")
        .stderr_has("zinc terminated by SIGTERM");
    assert!(!listening(inst.repl_port), "the engine was left running");
    nothing_left(&env, "zinc");
}

#[test]
fn a_script_that_is_the_vm_itself_counts_once_it_stayed_up_for_the_settle() {
    let env = Env::new();
    env.instance("zinc");
    // A VM that is a script and starts nothing: no wrapper, whatever the wait for one. Its
    // interpreter is named directly: a version manager's shim (`env python3`) would start
    // processes of its own beside it first.
    env.executable(
        "vm.py",
        "#!/usr/bin/python3 -S\nimport time\ntime.sleep(600)\n",
    );
    let out = env
        .cmd()
        .env("PHARO_VM", env.file("vm.py"))
        .args(["start", "--settle", "300ms", "zinc"])
        .run();
    out.success();
    assert!(
        out.elapsed < Duration::from_secs(4),
        "the start waited {:?} for a wrapper to start a VM",
        out.elapsed
    );
    let pid = env.pid_of("zinc");
    let command = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(
        command.windows(5).any(|w| w == b"vm.py"),
        "the pid file names the script"
    );
    env.cmd()
        .env("PHARO_VM", env.file("vm.py"))
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("terminated by SIGTERM");
    nothing_left(&env, "zinc");
}
