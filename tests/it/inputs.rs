//! Bad input: a clear one-line error, the documented exit code, and nothing left behind.

use crate::harness::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn a_missing_image_exits_6_and_leaves_nothing() {
    let env = Env::new();
    env.instance("zinc");
    let out = env.cmd().args(["start", "other"]).run();
    out.code(6).stderr_has(&format!(
        "error: no instance other in {} (instances: zinc)",
        env.path().display()
    ));
    one_error_line(&out);
    assert!(!env.exists("other.pid"));
    assert!(!env.exists("other.log"));
    assert!(env.vms().is_empty());
}

#[test]
fn a_missing_script_exits_6() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .args(["start", "--script", "nope.st", "zinc"])
        .run();
    out.code(6).stderr_has("no startup script");
    one_error_line(&out);
    assert!(!env.exists("zinc.pid"));
}

#[test]
fn a_missing_or_unusable_vm_exits_5() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .args(["start", "--vm", "/nonexistent/pharo", "zinc"])
        .run();
    out.code(5).stderr_has("not an executable file");
    one_error_line(&out);
    std::fs::write(env.file("pharo"), "not a program").unwrap();
    std::fs::set_permissions(env.file("pharo"), std::fs::Permissions::from_mode(0o644)).unwrap();
    env.cmd()
        .env_remove("PHARO_VM")
        .env("PATH", "/nonexistent")
        .args(["start", "zinc"])
        .run()
        .code(5)
        .stderr_has("no Pharo VM");
    assert!(!env.exists("zinc.pid"));
    assert!(env.vms().is_empty());
}

#[test]
fn several_images_and_no_name_lists_the_candidates() {
    let env = Env::new();
    env.instance("zinc");
    env.instance("seaside");
    let out = env.cmd().args(["stop"]).run();
    out.code(2)
        .stderr_has("seaside, zinc")
        .stderr_has("or pass --all");
    one_error_line(&out);
    let out = env.cmd().args(["pid"]).run();
    out.code(2).stderr_has("seaside, zinc");
    assert!(!out.stderr.contains("--all"), "{}", out.stderr);
}

#[test]
fn no_image_at_all_exits_6() {
    let env = Env::new();
    let out = env.cmd().args(["stop"]).run();
    out.code(6).stderr_has("no *.image in");
    one_error_line(&out);
}

#[test]
fn a_bad_duration_is_a_usage_error() {
    let env = Env::new();
    env.instance("zinc");
    env.cmd()
        .args(["stop", "--timeout", "soon", "zinc"])
        .run()
        .code(2)
        .stderr_has("not a duration");
}

#[test]
fn an_unknown_command_is_a_usage_error() {
    let env = Env::new();
    env.cmd().args(["frobnicate"]).run().code(2);
}

#[test]
fn a_name_with_a_directory_is_refused() {
    let env = Env::new();
    let out = env.cmd().args(["stop", "../zinc"]).run();
    out.code(2).stderr_has("-C DIR");
    one_error_line(&out);
}

#[test]
fn a_world_writable_pid_file_is_not_trusted() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    std::fs::set_permissions(env.file("zinc.pid"), std::fs::Permissions::from_mode(0o666)).unwrap();
    let out = env.cmd().args(["stop", "zinc"]).run();
    out.code(4).stderr_has("world-writable");
    one_error_line(&out);
    assert!(alive(pid));
    env.cmd().args(["status", "zinc"]).run().code(4);
}

#[test]
fn a_remote_repl_is_refused_before_anything_is_signalled() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    let out = env
        .cmd()
        .args(["stop", "--repl", "http://192.0.2.7:42033/repl", "zinc"])
        .run();
    out.code(2).stderr_has("not loopback");
    one_error_line(&out);
    assert!(alive(pid));
    assert!(env.exists("zinc.pid"));
}

#[test]
fn a_missing_directory_exits_6() {
    let env = Env::new();
    let out = env.cmd().args(["-C", "nowhere", "status", "zinc"]).run();
    out.code(6).stderr_has("not a directory");
    one_error_line(&out);
}

#[test]
fn a_duration_over_a_year_is_a_usage_error_and_nothing_happens() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // Refused before the VM is started, whichever option carries it.
    for option in ["--settle", "--start-timeout"] {
        let out = env
            .cmd()
            .args(["start", option, "3000000000000000h", "zinc"])
            .run();
        out.code(2).stderr_has("the maximum is 8760h");
        one_error_line(&out);
        assert!(env.vms().is_empty(), "{option}: a VM was started");
        assert!(!env.exists("zinc.pid"));
    }
    // Refused before anything is signalled.
    let pid = env.start(&inst);
    for option in ["-t", "--kill-after"] {
        let out = env
            .cmd()
            .args([option, "3000000000000000h", "stop", "zinc"])
            .run();
        out.code(2).stderr_has("the maximum is 8760h");
        one_error_line(&out);
        assert!(alive(pid));
    }
    env.cmd()
        .args(["-t", "8761h", "stop", "zinc"])
        .run()
        .code(2)
        .stderr_has("'8761h' is too long a duration");
    // The maximum itself is a deadline like any other.
    env.cmd()
        .args(["-t", "8760h", "--kill-after", "8760h", "stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc stopped cooperatively");
    assert!(!alive(pid));
}

#[test]
fn a_missing_pid_file_directory_exits_6_before_anything_starts() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .args(["start", "--pid-file", "run/zinc.pid", "zinc"])
        .run();
    out.code(6).stderr_has(&format!(
        "cannot write the pid file {}: its directory {} does not exist; create it or pass --pid-file",
        env.file("run/zinc.pid").display(),
        env.file("run").display()
    ));
    one_error_line(&out);
    assert!(env.vms().is_empty());
    assert!(!env.exists("zinc.log"));
}

#[test]
fn a_non_utf8_argument_is_a_usage_error_not_another_path() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let env = Env::new();
    // The directory exists, and so would its name changed by U+FFFD: neither may be used.
    let raw = OsStr::from_bytes(b"d\xff");
    std::fs::create_dir(env.path().join(raw)).unwrap();
    std::fs::write(env.path().join(raw).join("zinc.image"), "a Pharo image").unwrap();
    std::fs::create_dir(env.file("d\u{fffd}")).unwrap();
    std::fs::write(env.file("d\u{fffd}/zinc.image"), "a Pharo image").unwrap();
    let out = env
        .cmd()
        .args([OsStr::new("-C"), raw, OsStr::new("status")])
        .run();
    out.code(2).stderr_has(
        "error: argument 2 is not valid UTF-8 (d\\xff): pharo-ctl takes UTF-8 paths and expressions",
    );
    one_error_line(&out);
    assert_eq!(out.stdout, "");
}

#[test]
fn a_non_utf8_expression_on_stdin_is_a_usage_error() {
    let env = Env::new();
    let out = env.cmd().args(["eval", "-"]).stdin(&b"3 \xff+ 4"[..]).run();
    out.code(2)
        .stderr_has("the expression on standard input is not valid UTF-8 (byte 3 of it)");
    one_error_line(&out);
    assert_eq!(out.stdout, "");
}

#[test]
fn the_legacy_order_takes_clustered_short_flags() {
    let env = Env::new();
    let inst = env.instance("zinc");
    std::fs::create_dir(env.file("w")).unwrap();
    for file in ["zinc.image", "zinc.st"] {
        std::fs::rename(env.file(file), env.file(&format!("w/{file}"))).unwrap();
    }
    std::fs::rename(env.file("w/zinc.st"), env.file("w/zn.st")).unwrap();
    // The value of -C in the next word, and options of the command before IMAGE.
    env.cmd()
        .args(["-qC", "w", "zn", "start", "--wait", "zinc"])
        .run()
        .success();
    let pid: i32 = env.read("w/zn.pid").trim().parse().unwrap();
    assert!(alive(pid));
    assert!(listening(inst.repl_port));
    // The value attached.
    env.cmd()
        .args(["-qCw", "zn", "pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{pid}\n"));
    env.cmd()
        .args(["-vC", "w", "zn", "stop", "zinc"])
        .run()
        .success()
        .stderr_has("zn stopped cooperatively");
    assert!(!alive(pid));
    assert!(!env.exists("w/zn.pid"));
}

#[test]
fn a_bad_legacy_command_is_named_with_the_valid_ones() {
    let env = Env::new();
    env.instance("zinc");
    let out = env.cmd().args(["zinc", "bogus", "zinc"]).run();
    out.code(2)
        .stderr_has("'bogus' is not a command")
        .stderr_has("start, stop, restart, run, pid");
    one_error_line(&out);
    // A misspelt command of pharo-ctl's own order keeps its suggestion.
    env.cmd()
        .args(["stpo", "zinc", "now"])
        .run()
        .code(2)
        .stderr_has("a similar subcommand exists: 'stop'");
    assert!(env.vms().is_empty());
}

/// A link to the double at `path` (relative to the test's directory).
fn vm_link(env: &Env, path: &str) {
    std::os::unix::fs::symlink(double(), env.file(path)).unwrap();
}

/// The program a VM was started as (its argv[0]).
fn argv0(pid: i32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    String::from_utf8_lossy(cmdline.split(|b| *b == 0).next().unwrap()).into_owned()
}

#[test]
fn a_bare_vm_name_is_looked_up_in_dir_then_on_path() {
    let env = Env::new();
    env.instance("zinc");
    std::fs::create_dir(env.file("w")).unwrap();
    std::fs::rename(env.file("zinc.image"), env.file("w/zinc.image")).unwrap();
    std::fs::rename(env.file("zinc.st"), env.file("w/zinc.st")).unwrap();
    std::fs::create_dir(env.file("bin")).unwrap();
    vm_link(&env, "bin/myvm");
    // A file of that name in the current directory has nothing to do with it.
    std::fs::write(env.file("myvm"), "not a VM").unwrap();
    let path = env.file("bin");
    let start = || {
        env.cmd()
            .env("PATH", &path)
            .args(["-C", "w", "--vm", "myvm", "start", "--wait", "zinc"])
            .run()
            .success();
        env.pid_of("w/zinc")
    };
    // Not in DIR: found on PATH.
    let pid = start();
    assert_eq!(argv0(pid), env.file("bin/myvm").display().to_string());
    env.cmd().args(["-C", "w", "stop", "zinc"]).run().success();
    assert!(!alive(pid));
    // In DIR: DIR's.
    vm_link(&env, "w/myvm");
    let pid = start();
    assert_eq!(argv0(pid), env.file("w/myvm").display().to_string());
    env.cmd().args(["-C", "w", "stop", "zinc"]).run().success();
    // A path with a slash is relative to DIR, never looked up on PATH.
    let out = env
        .cmd()
        .env("PATH", &path)
        .args(["-C", "w", "--vm", "./bin/myvm", "start", "zinc"])
        .run();
    out.code(5).stderr_has(&format!(
        "the VM {} is not an executable file",
        env.file("w/./bin/myvm").display()
    ));
    // Nowhere: both places are named.
    let out = env
        .cmd()
        .env("PATH", "/nonexistent")
        .args(["-C", "w", "--vm", "nope", "start", "zinc"])
        .run();
    out.code(5)
        .stderr_has("no VM nope: neither")
        .stderr_has("nor nope on PATH");
    one_error_line(&out);
}

#[test]
fn empty_environment_variables_count_as_unset() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // With PHARO_VM empty, the VM is DIR/pharo.
    vm_link(&env, "pharo");
    let cmd = || {
        [
            "PHARO_VM",
            "PHARO_CTL_DIR",
            "PHARO_REPL",
            "PHARO_CTL_SHUTDOWN",
        ]
        .into_iter()
        .fold(env.cmd(), |cmd, key| cmd.env(key, ""))
    };
    cmd().args(["start", "--wait", "zinc"]).run().success();
    let pid = env.pid_of("zinc");
    assert_eq!(argv0(pid), env.file("pharo").display().to_string());
    // The REPL of the script, and the default shutdown expression.
    cmd()
        .args(["eval", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
    cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has(&format!(
            "POST 'ShutdownSequence fork . true' to http://127.0.0.1:{}/repl",
            inst.repl_port
        ))
        .stderr_has("zinc stopped cooperatively");
    assert!(!alive(pid));
}

#[test]
fn usage_hints_name_the_command_in_use_and_honour_the_colour_choice() {
    let env = Env::new();
    env.instance("alpha");
    env.instance("beta");
    let out = env.cmd().args(["stop"]).run();
    out.code(2)
        .stderr_has("holds several images (alpha, beta)")
        .stderr_has("`pharo-ctl stop alpha`");
    one_error_line(&out);
    let out = env.cmd().args(["completions", "tcsh"]).run();
    out.code(2)
        .stderr_has("invalid value 'tcsh'")
        .stderr_has("see `pharo-ctl completions --help`");
    one_error_line(&out);
    // A usage error is coloured only when asked for, like every other error off a terminal.
    let out = env
        .cmd()
        .args(["--color", "always", "stop", "--timeot", "1s"])
        .run();
    out.code(2).stderr_has("\x1b[1;31merror:");
    let out = env.cmd().args(["stop", "--timeot", "1s"]).run();
    out.code(2);
    assert!(!out.stderr.contains('\x1b'), "{}", out.stderr);
}

#[test]
fn durations_may_be_compound_and_a_negative_one_is_explained() {
    let env = Env::new();
    let inst = env.instance_without_shutdown("zinc");
    let pid = env.start(&inst);
    for option in ["-t", "--kill-after"] {
        let out = env.cmd().args(["stop", option, "-1s", "zinc"]).run();
        out.code(2)
            .stderr_has("'-1s' is negative: a duration is 0 or more");
        assert!(!out.stderr.contains("-- -1"), "{}", out.stderr);
        one_error_line(&out);
        assert!(alive(pid));
    }
    // The error answer skips the grace; SIGTERM's wait is printed as it was given.
    env.cmd()
        .args(["stop", "-t", "1h30m", "--kill-after", "1m30s", "zinc"])
        .run()
        .success()
        .stderr_has(&format!(
            "sending SIGTERM to pid {pid}; waiting up to 1m30s"
        ))
        .stderr_has("zinc terminated by SIGTERM");
}

#[test]
fn legacy_order_errors_list_its_commands_whatever_the_script_is_called() {
    let env = Env::new();
    env.instance("zinc");
    // run-zn resembles `run`: the error still explains pharo-ctl.sh's order.
    for (args, said) in [
        (
            &["run-zn", "status", "zinc"][..],
            "'status' is not a command: in pharo-ctl.sh's order SCRIPT COMMAND IMAGE, COMMAND is one of start, stop, restart, run, pid",
        ),
        (
            &["run-zn", "bogus", "zinc"],
            "'bogus' is not a command: in pharo-ctl.sh's order SCRIPT COMMAND IMAGE, COMMAND is one of start, stop, restart, run, pid",
        ),
        (
            &["run-zn", "start"],
            "'run-zn start' lacks the IMAGE: in pharo-ctl.sh's order SCRIPT COMMAND IMAGE",
        ),
    ] {
        let out = env.cmd().args(args).run();
        out.code(2).stderr_has(said);
        one_error_line(&out);
        // The image is there: pharo-ctl.sh's order is meant, not a misspelt `run`.
        assert!(!out.stderr.contains("similar subcommand"), "{}", out.stderr);
    }
    assert!(env.vms().is_empty());
}
