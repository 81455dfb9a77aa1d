//! `pharo-ctl unit`: the systemd unit for `pharo-ctl run`, checked by `systemd-analyze verify`
//! where it is installed, and field by field everywhere.

use crate::harness::*;

/// The value of the first `KEY=` line of a unit.
fn field<'a>(unit: &'a str, key: &str) -> Option<&'a str> {
    unit.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
}

/// The seconds of a systemd time span written as `Ns`.
fn seconds(value: &str) -> u64 {
    value.strip_suffix('s').unwrap().parse().unwrap()
}

#[test]
fn the_unit_has_the_fields_a_launcher_service_needs() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .args(["unit", "zinc", "--user", &current_user()])
        .args(["--timeout", "20s", "--kill-after", "10s"])
        .run();
    out.success();
    let unit = &out.stdout;
    assert_eq!(field(unit, "Type"), Some("notify"));
    assert_eq!(field(unit, "KillMode"), Some("mixed"));
    // An image that quits by itself (run exits 0) is started again too.
    assert_eq!(field(unit, "Restart"), Some("always"));
    assert_eq!(field(unit, "User"), Some(current_user().as_str()));
    assert_eq!(field(unit, "WantedBy"), Some("multi-user.target"));
    let dir = env.path().canonicalize().unwrap();
    assert_eq!(
        field(unit, "WorkingDirectory").map(std::path::PathBuf::from),
        Some(dir.clone())
    );
    // systemd's SIGKILL must not pre-empt the escalation: above --timeout + --kill-after.
    assert!(
        seconds(field(unit, "TimeoutStopSec").unwrap()) > 30,
        "{unit}"
    );
    assert!(
        seconds(field(unit, "TimeoutStartSec").unwrap()) > 60,
        "{unit}"
    );

    let exec: Vec<&str> = field(unit, "ExecStart").unwrap().split(' ').collect();
    let exe = std::path::Path::new(exec[0]);
    assert!(exe.is_absolute() && exe.is_file(), "{unit}");
    assert_eq!(
        exe.canonicalize().unwrap(),
        pharo_ctl().canonicalize().unwrap()
    );
    let words = exec.join(" ");
    for expected in [
        format!("--dir {}", dir.display()),
        format!("--vm {}", double().display()),
        "--timeout 20s --kill-after 10s run zinc --start-timeout 1m".to_string(),
    ] {
        assert!(
            words.contains(&expected),
            "ExecStart lacks {expected:?}: {words}"
        );
    }
}

#[test]
fn the_unit_passes_systemd_analyze_verify() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .args(["unit", "zinc", "--user", &current_user()])
        .args([
            "--shutdown",
            "ShutdownSequence value. 'at 100%' crTrace. true",
        ])
        .run();
    out.success();
    // The ExecStart line, run as systemd would split it, is what `run` accepts.
    assert!(
        out.stdout
            .contains("--shutdown \"ShutdownSequence value. 'at 100%%' crTrace. true\"")
    );
    verify(&env, &out.stdout);
}

#[test]
fn the_unit_with_a_watchdog_has_watchdog_sec_above_pharo_ctl_s_own_verdict() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .args(["unit", "zinc", "--user", &current_user()])
        .args(["--watchdog", "10s", "--watchdog-misses", "4"])
        .run();
    out.success();
    let unit = &out.stdout;
    // INTERVAL x (N+1) + 5s.
    assert_eq!(field(unit, "WatchdogSec"), Some("55s"), "{unit}");
    assert_eq!(field(unit, "NotifyAccess"), Some("main"));
    assert_eq!(field(unit, "Type"), Some("notify"));
    assert!(
        field(unit, "ExecStart")
            .unwrap()
            .ends_with("run zinc --start-timeout 1m --watchdog 10s --watchdog-misses 4"),
        "{unit}"
    );
    // Without --watchdog, no WatchdogSec.
    let plain = env
        .cmd()
        .args(["unit", "zinc", "--user", &current_user()])
        .run();
    assert_eq!(field(&plain.stdout, "WatchdogSec"), None);
    verify(&env, unit);
}

/// Runs `systemd-analyze verify` on a unit, where it is installed: no findings.
fn verify(env: &Env, text: &str) {
    if !require_program("systemd-analyze", "systemd-analyze verify of the unit") {
        return;
    }
    let unit = env.file("pharo-zinc.service");
    std::fs::write(&unit, text).unwrap();
    systemd_verify(&[unit], "pharo-zinc.service", text);
}

#[test]
fn the_unit_refuses_an_instance_that_cannot_run() {
    let env = Env::new();
    env.cmd()
        .args(["unit", "--image", "nothing.image"])
        .run()
        .code(6)
        .stderr_has("no image at");
}

#[test]
fn the_template_unit_takes_the_name_from_the_unit_instance() {
    let env = Env::new();
    env.instance("zinc1");
    env.instance("zinc2");
    let out = env
        .cmd()
        .args(["unit", "--template", "--user", &current_user()])
        .run();
    out.success();
    let unit = &out.stdout;
    assert_eq!(field(unit, "Description"), Some("Pharo image %i"));
    assert_eq!(field(unit, "Type"), Some("notify"));
    assert_eq!(field(unit, "KillMode"), Some("mixed"));
    let exec = field(unit, "ExecStart").unwrap();
    let dir = env.path().canonicalize().unwrap();
    assert!(
        exec.contains(&format!("--dir {} ", dir.display())),
        "{unit}"
    );
    assert!(exec.ends_with(" run %i --start-timeout 1m"), "{unit}");
    assert!(unit.contains("pharo@.service"), "{unit}");
    // One instance's files have no place in a template.
    let refused = env
        .cmd()
        .args(["unit", "--template", "--pid-file", "x.pid"])
        .run();
    refused.code(2).stderr_has("--pid-file");
    env.cmd()
        .args(["unit", "--template", "zinc1"])
        .run()
        .code(2);

    if !require_program(
        "systemd-analyze",
        "systemd-analyze verify of the template unit",
    ) {
        return;
    }
    let units = tempfile::tempdir().unwrap();
    std::fs::write(units.path().join("pharo@.service"), unit).unwrap();
    systemd_verify(&[units.path().join("pharo@zinc1.service")], "pharo@", unit);
}

/// Whether the tests run as root; else prints that `what` is skipped.
fn as_root(what: &str) -> bool {
    // SAFETY: geteuid only reads this process's effective user id.
    let root = unsafe { libc::geteuid() } == 0;
    if !root {
        eprintln!("skipped {what}: it needs the tests to run as root");
    }
    root
}

#[test]
fn root_gets_a_unit_that_runs_as_the_images_owner_and_is_told_so() {
    if !as_root("the unit of root without --user") {
        return;
    }
    let env = Env::new();
    env.instance("zinc");
    env.chown_to_nobody("");
    env.chown_to_nobody("zinc.image");
    let out = env.cmd().args(["unit", "zinc"]).run();
    out.success().stderr_has(&format!(
        "the service runs as nobody, the owner of {}",
        env.file("zinc.image").display()
    ));
    assert_eq!(field(&out.stdout, "User"), Some("nobody"), "{}", out.stdout);
}

#[test]
fn roots_snapshot_timer_runs_as_the_images_owner_and_the_secret_is_checked_against_it() {
    if !as_root("the snapshot timer of root without --user") {
        return;
    }
    let env = Env::new();
    std::fs::write(env.file("zinc.image"), b"a Pharo image").unwrap();
    // init writes the secret as the image's owner's: root's, here.
    env.cmd().args(["init", "zinc"]).run().success();
    let timer = ["unit", "zinc", "--snapshot-every", "1h"];
    env.cmd()
        .args(timer)
        .run()
        .code(2)
        .stderr_has("is root's: the service would run the image, and its REPL, as root");
    env.chown_to_nobody("");
    env.chown_to_nobody("zinc.image");
    let warning = "is root's, and only its owner may read it, but the unit runs as nobody";
    for args in [&timer[..], &["unit", "zinc"][..]] {
        let out = env.cmd().args(args).run();
        out.success()
            .stderr_has(&format!(
                "the service runs as nobody, the owner of {}",
                env.file("zinc.image").display()
            ))
            .stderr_has(warning);
        assert!(
            out.stdout.lines().any(|l| l == "User=nobody"),
            "{args:?}:\n{}",
            out.stdout
        );
    }
    // The secret given to nobody, the warning goes.
    env.chown_to_nobody("zinc.repl-secret");
    let out = env.cmd().args(timer).run();
    out.success();
    assert!(!out.stderr.contains(warning), "{}", out.stderr);
}

#[test]
fn root_gets_no_silent_root_service() {
    if !as_root("the unit of root without --user") {
        return;
    }
    let env = Env::new();
    env.instance("zinc");
    let out = env.cmd().args(["unit", "zinc"]).run();
    out.code(2)
        .stderr_has("is root's: the service would run the image, and its REPL, as root")
        .stderr_has("--user");
    one_error_line(&out);
    assert_eq!(out.stdout, "");
    // Meant, it is written.
    let out = env.cmd().args(["unit", "zinc", "--user", "root"]).run();
    out.success();
    assert_eq!(field(&out.stdout, "User"), Some("root"));
    // The template likewise, by the directory's owner.
    env.cmd()
        .args(["unit", "--template"])
        .run()
        .code(2)
        .stderr_has("is root's");
}

#[test]
fn the_user_must_exist_and_be_able_to_write_the_instances_files() {
    let env = Env::new();
    env.instance("zinc");
    let out = env
        .cmd()
        .args(["unit", "zinc", "--user", "no-such-user"])
        .run();
    out.code(2)
        .stderr_has("--user no-such-user: no such user on this machine");
    one_error_line(&out);
    assert_eq!(out.stdout, "");
    if !as_root("a --user who cannot write the directory") {
        return;
    }
    // The directory is root's, mode 755: nobody can write no pid file there.
    env.chmod("", 0o755);
    let out = env.cmd().args(["unit", "zinc", "--user", "nobody"]).run();
    out.code(4).stderr_has(&format!(
        "the service's user nobody cannot write {}",
        env.path().display()
    ));
    one_error_line(&out);
    assert_eq!(out.stdout, "");
    // Theirs, it can; but not a log that is root's.
    env.chown_to_nobody("");
    std::fs::write(env.file("zinc.log"), "").unwrap();
    env.chmod("zinc.log", 0o644);
    env.cmd()
        .args(["unit", "zinc", "--user", "nobody"])
        .run()
        .code(4)
        .stderr_has("cannot write")
        .stderr_has("zinc.log");
    env.chown_to_nobody("zinc.log");
    env.cmd()
        .args(["unit", "zinc", "--user", "nobody"])
        .run()
        .success();
}
