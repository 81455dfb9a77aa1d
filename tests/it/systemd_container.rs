//! The units of `pharo-ctl unit` under a real systemd: Debian's systemd as PID 1 of a
//! container (`tests/docker/systemd.Dockerfile`), booted as the README says, with the units
//! `pharo-ctl -C /srv/NAME unit NAME` wrote for the instances zinc, plain (no
//! ShutdownSequence) and zeroconf (a wrapper that does not exec) installed; and the template
//! unit of `pharo-ctl unit --template`, for the two instances of /srv/pair.

use crate::harness::container::*;
use crate::harness::*;
use std::time::Duration;

/// How long systemd may take to boot, or to start or stop a unit.
const LIMIT: Duration = Duration::from_secs(30);

/// What systemd needs to run in a container: writable /run and /run/lock, and the cgroup
/// file system (this host's is cgroup v1, whose name=systemd hierarchy systemd writes).
const SYSTEMD_OPTIONS: [&str; 6] = [
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
    "-v",
    "/sys/fs/cgroup:/sys/fs/cgroup:ro",
];

/// A container whose systemd has finished booting, or `None` (with the reason printed) where
/// Docker, or mmdebstrap to make the root file system, is missing.
fn boot(what: &str) -> Option<Container> {
    if !docker_usable(what) || !require_program("mmdebstrap", what) {
        return None;
    }
    let container = Container::run(what, Image::Systemd, &SYSTEMD_OPTIONS, &[]);
    // Until systemd listens, systemctl cannot connect at all; then it waits for the boot.
    wait_until("systemd to boot", LIMIT, || {
        let state = container.exec(&["systemctl", "is-system-running", "--wait"]);
        matches!(state.stdout.trim(), "running" | "degraded")
    });
    Some(container)
}

/// A command run by the container's shell.
fn sh(container: &Container, script: &str) -> Outcome {
    container.exec(&["sh", "-c", script])
}

/// `systemctl show -P PROPERTY UNIT`.
fn show(container: &Container, unit: &str, property: &str) -> String {
    let out = container.exec(&["systemctl", "show", "-P", property, unit]);
    out.success();
    out.stdout.trim().to_string()
}

/// `journalctl -u UNIT`, messages only.
fn journal(container: &Container, unit: &str) -> String {
    let out = container.exec(&["journalctl", "-u", unit, "--no-pager", "-o", "cat"]);
    out.success();
    out.stdout.clone()
}

/// Waits until the unit's journal holds `text` (journald stores a service's output a moment
/// after it was written) and answers the journal.
#[track_caller]
fn wait_journal(container: &Container, unit: &str, text: &str) -> String {
    let mut seen = String::new();
    wait_until(&format!("{text:?} in the journal of {unit}"), LIMIT, || {
        seen = journal(container, unit);
        seen.contains(text)
    });
    seen
}

/// Sets environment variables of a unit (the double's switches) in a drop-in, as an
/// operator would, and reloads systemd.
fn environment(container: &Container, unit: &str, variables: &[&str]) {
    let lines: String = variables
        .iter()
        .map(|v| format!("Environment={v}\n"))
        .collect();
    let dir = format!("/etc/systemd/system/{unit}.d");
    sh(
        container,
        &format!(
            "mkdir -p {dir} && printf '[Service]\\n{lines}' > {dir}/test.conf && systemctl daemon-reload"
        ),
    )
    .success();
}

/// `systemctl start|stop UNIT`, which must succeed.
fn systemctl(container: &Container, verb: &str, unit: &str) -> Outcome {
    let out = container.exec(&["systemctl", verb, unit]);
    out.success();
    out
}

#[test]
fn systemctl_start_returns_once_ready_and_stop_is_cooperative() {
    let Some(container) = boot("systemd-start-stop") else {
        return;
    };
    let unit = "pharo-zinc.service";
    // The REPL answers only 2s after the VM started: systemctl waits for READY=1.
    environment(&container, unit, &["PHARO_DOUBLE_START_DELAY_MS=2000"]);
    let start = systemctl(&container, "start", unit);
    assert!(
        start.elapsed >= Duration::from_secs(2),
        "{:?}",
        start.elapsed
    );
    // As the service's user, pharo, whose pid file root does not trust.
    container
        .exec(&[
            "runuser",
            "-u",
            "pharo",
            "--",
            "pharo-ctl",
            "-C",
            "/srv/zinc",
            "eval",
            "3 + 4",
        ])
        .success()
        .stdout_is("7\n");
    assert_eq!(show(&container, unit, "ActiveState"), "active");

    let main_pid = show(&container, unit, "MainPID");
    let comm = container.exec(&["cat", &format!("/proc/{main_pid}/comm")]);
    comm.success().stdout_is("pharo-ctl\n");
    let status = container.exec(&["systemctl", "status", "--no-pager", "--lines", "0", unit]);
    status.success();
    for line in [
        format!("Main PID: {main_pid} (pharo-ctl)"),
        format!("{main_pid} /usr/local/bin/pharo-ctl --dir /srv/zinc"),
        "/usr/local/bin/pharo --headless /srv/zinc/zinc.image /srv/zinc/zinc.st".to_string(),
    ] {
        assert!(status.stdout.contains(&line), "{}", status.stdout);
    }
    let journal = wait_journal(&container, unit, "zinc is ready: its REPL answered after");
    assert!(journal.contains("zinc: started pid"), "{journal}");

    systemctl(&container, "stop", unit).success();
    assert_eq!(show(&container, unit, "Result"), "success");
    assert_eq!(show(&container, unit, "ExecMainStatus"), "0");
    let journal = wait_journal(&container, unit, "zinc stopped cooperatively in");
    assert!(
        journal.contains("Completed ShutdownSequence successfully"),
        "{journal}"
    );
}

#[test]
fn an_image_without_shutdown_sequence_is_stopped_by_the_escalation_not_by_systemd() {
    let Some(container) = boot("systemd-escalation") else {
        return;
    };
    // No ShutdownSequence, and SIGTERM ignored: only pharo-ctl's SIGKILL ends the VM, 5s
    // after its SIGTERM (the unit's --kill-after), before systemd's TimeoutStopSec.
    let unit = "pharo-plain.service";
    environment(&container, unit, &["PHARO_DOUBLE_IGNORE_SIGTERM=1"]);
    systemctl(&container, "start", unit).success();
    let timeout_stop = show(&container, unit, "TimeoutStopUSec");
    assert_eq!(timeout_stop, "15s");
    let stop = systemctl(&container, "stop", unit);
    assert!(
        stop.elapsed >= Duration::from_secs(5) && stop.elapsed < Duration::from_secs(15),
        "{:?}",
        stop.elapsed
    );
    // pharo-ctl exits 1 after a stop that was not cooperative; systemd never timed out.
    assert_eq!(show(&container, unit, "Result"), "exit-code");
    assert_eq!(show(&container, unit, "ExecMainStatus"), "1");
    let journal = wait_journal(&container, unit, "plain killed by SIGKILL after");
    assert!(
        journal.contains("the REPL answered an error, so no grace period"),
        "{journal}"
    );
    assert!(!journal.contains("timed out"), "{journal}");
}

#[test]
fn a_vm_that_dies_or_quits_by_itself_is_started_again() {
    let Some(container) = boot("systemd-restart") else {
        return;
    };
    let unit = "pharo-zinc.service";
    // A crash (status 3), then an image that quits by itself (status 0: `Smalltalk snapshot:
    // false andQuit: true`, which Restart=on-failure would leave down).
    for (code, says) in [
        ("3", "status=3/NOTIMPLEMENTED"),
        ("0", "Scheduled restart job"),
    ] {
        environment(
            &container,
            unit,
            &[
                "PHARO_DOUBLE_EXIT_AFTER_MS=1500",
                &format!("PHARO_DOUBLE_EXIT_CODE={code}"),
            ],
        );
        let restarts = |c: &Container| show(c, unit, "NRestarts").parse::<u32>().unwrap();
        let before = restarts(&container);
        systemctl(&container, "start", unit).success();
        let first = show(&container, unit, "MainPID");
        wait_until("systemd to restart the unit", LIMIT, || {
            restarts(&container) > before && show(&container, unit, "ActiveState") == "active"
        });
        assert_ne!(show(&container, unit, "MainPID"), first);
        let journal = wait_journal(&container, unit, "Scheduled restart job");
        assert!(journal.contains(says), "exit {code}: {journal}");
        systemctl(&container, "stop", unit).success();
        assert_eq!(show(&container, unit, "ActiveState"), "inactive");
    }
    // The service runs as the owner of the image, as root's `pharo-ctl unit` wrote it.
    assert_eq!(show(&container, unit, "User"), "pharo");
}

#[test]
fn a_zeroconf_wrapper_leaves_nothing_in_the_cgroup_after_stop() {
    let Some(container) = boot("systemd-zeroconf") else {
        return;
    };
    let unit = "pharo-zeroconf.service";
    systemctl(&container, "start", unit).success();
    let status = container.exec(&["systemctl", "status", "--no-pager", "--lines", "0", unit]);
    status.success();
    for process in [
        "/usr/local/bin/pharo-ctl --dir /srv/zeroconf",
        // The wrapper adds --headless itself: pharo-ctl does not.
        "/bin/bash /srv/zeroconf/pharo /srv/zeroconf/zeroconf.image",
        "/srv/zeroconf/pharo-vm/lib/pharo --headless",
    ] {
        assert!(status.stdout.contains(process), "{}", status.stdout);
    }
    systemctl(&container, "stop", unit).success();
    assert_eq!(show(&container, unit, "Result"), "success");
    // What pharo-ctl leaves behind, systemd kills after the main process ended (KillMode=
    // mixed) and says so: "Killing process N (pharo) with signal SIGKILL".
    let journal = wait_journal(&container, unit, "Stopped pharo-zeroconf.service");
    assert!(
        journal.contains("zeroconf stopped cooperatively in"),
        "{journal}"
    );
    assert!(!journal.contains("Killing process"), "{journal}");
}

#[test]
fn a_wedged_image_is_restarted_under_the_watchdog() {
    let Some(container) = boot("systemd-watchdog") else {
        return;
    };
    let unit = "pharo-zinc.service";
    sh(
        &container,
        "pharo-ctl -C /srv/zinc unit zinc --watchdog 1s --watchdog-misses 2 > /etc/systemd/system/pharo-zinc.service",
    )
    .success();
    // The REPL wedges after 10s, past WatchdogSec: pharo-ctl's WATCHDOG=1 keeps systemd's own
    // watchdog from firing until then.
    environment(&container, unit, &["PHARO_DOUBLE_WEDGE_AFTER_MS=10000"]);
    systemctl(&container, "start", unit).success();
    // systemd shows the watchdog in effect only while the unit runs.
    assert_eq!(show(&container, unit, "WatchdogUSec"), "8s");
    let first = show(&container, unit, "MainPID");
    let ping = show(&container, unit, "WatchdogTimestampMonotonic");
    wait_until("a WATCHDOG=1 from pharo-ctl", LIMIT, || {
        show(&container, unit, "WatchdogTimestampMonotonic") != ping
    });
    wait_until("systemd to restart the wedged image", LIMIT, || {
        show(&container, unit, "NRestarts") != "0"
    });
    let journal = wait_journal(&container, unit, "Scheduled restart job");
    for line in [
        "zinc is hung: its REPL did not answer 2 probes in a row",
        "All Smalltalk process stacks (active first):",
        "Main process exited, code=exited, status=8/n/a",
    ] {
        assert!(
            journal.contains(line),
            "the journal lacks {line:?}:\n{journal}"
        );
    }
    assert!(!journal.contains("Watchdog timeout"), "{journal}");
    assert_ne!(show(&container, unit, "MainPID"), first);
    systemctl(&container, "stop", unit).success();
}

#[test]
fn the_template_unit_runs_several_instances_from_one_file() {
    let Some(container) = boot("systemd-template") else {
        return;
    };
    // Installed as the README says: one file, then an instance per image.
    sh(
        &container,
        "pharo-ctl -C /srv/pair unit --template > /etc/systemd/system/pharo@.service \
         && systemctl daemon-reload",
    )
    .success();
    let out = container.exec(&["systemctl", "start", "pharo@one", "pharo@two"]);
    out.success();
    for unit in ["pharo@one.service", "pharo@two.service"] {
        assert_eq!(show(&container, unit, "ActiveState"), "active", "{unit}");
    }
    assert_eq!(
        show(&container, "pharo@two.service", "Description"),
        "Pharo image two"
    );
    // As the services' user, pharo, whose pid files root would not trust.
    let status = container.exec(&[
        "runuser",
        "-u",
        "pharo",
        "--",
        "pharo-ctl",
        "-C",
        "/srv/pair",
        "status",
        "--all",
    ]);
    status.success();
    for (name, port) in [("one", 42041), ("two", 42042)] {
        // Each instance's own VM, pid file and REPL.
        let row = status
            .stdout
            .lines()
            .find(|line| line.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in {}", status.stdout));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[1], "running", "{}", status.stdout);
        let pid_file = container.exec(&["cat", &format!("/srv/pair/{name}.pid")]);
        pid_file.success().stdout_is(&format!("{}\n", cells[2]));
        let repl = format!("http://127.0.0.1:{port}/repl");
        container
            .exec(&["pharo-ctl", "--repl", &repl, "eval", "3 + 4"])
            .success()
            .stdout_is("7\n");
    }
    container
        .exec(&["systemctl", "stop", "pharo@one", "pharo@two"])
        .success();
    for name in ["one", "two"] {
        let unit = format!("pharo@{name}.service");
        assert_eq!(show(&container, &unit, "Result"), "success");
        wait_journal(
            &container,
            &unit,
            &format!("{name} stopped cooperatively in"),
        );
    }
}
