//! `pharo-ctl run` as PID 1 of a real container: the image of `tests/docker/app.Dockerfile`
//! (`ENTRYPOINT ["/usr/local/bin/pharo-ctl", "--dir", "/srv/zinc", "run", "zinc"]`, as the
//! README's Dockerfile), run and stopped by the Docker engine with the README's commands.

use crate::harness::container::*;
use crate::harness::*;
use std::time::Duration;

/// How long a container may take to say its image runs.
const READY: Duration = Duration::from_secs(30);

/// A container of the app image whose instance is running, or `None` (with the reason
/// printed) where Docker cannot be used.
fn running(what: &str, options: &[&str], args: &[&str], name: &str) -> Option<Container> {
    if !docker_usable(what) {
        return None;
    }
    let container = Container::run(what, Image::App, options, args);
    container.wait_logs(&format!("{name} is running (pid"), READY);
    Some(container)
}

#[test]
fn docker_stop_runs_the_shutdown_sequence_and_exits_0() {
    let Some(container) = running("docker-stop", &["--stop-timeout", "15"], &[], "zinc") else {
        return;
    };
    let stop = docker(&["stop", &container.name]);
    stop.success();
    assert!(stop.elapsed < Duration::from_secs(15), "{:?}", stop.elapsed);
    assert_eq!(container.exit_code(), 0);
    let logs = container.logs();
    for line in [
        "zinc: received SIGTERM: stopping the image",
        "Starting ShutdownSequence...",
        "Completed ShutdownSequence successfully",
        "zinc stopped cooperatively in",
    ] {
        assert!(logs.contains(line), "the log lacks {line:?}:\n{logs}");
    }
}

#[test]
fn an_image_that_ignores_the_shutdown_request_is_escalated_inside_the_stop_timeout() {
    // The image ignores the request and SIGTERM: only pharo-ctl's SIGKILL ends it, well
    // before Docker's own SIGKILL (which would make the exit status 137).
    let Some(container) = running(
        "docker-escalation",
        &[
            "--stop-timeout",
            "10",
            "-e",
            "PHARO_DOUBLE_IGNORE_SHUTDOWN=1",
            "-e",
            "PHARO_DOUBLE_IGNORE_SIGTERM=1",
        ],
        &["--timeout", "2s", "--kill-after", "2s"],
        "zinc",
    ) else {
        return;
    };
    let stop = docker(&["stop", &container.name]);
    stop.success();
    assert!(
        stop.elapsed >= Duration::from_secs(4) && stop.elapsed < Duration::from_secs(10),
        "{:?}",
        stop.elapsed
    );
    assert_eq!(container.exit_code(), 1, "{}", container.logs());
    let logs = container.logs();
    for line in [
        "zinc: shutdown accepted; waiting up to",
        "zinc killed by SIGKILL after",
        "zinc: the shutdown was not cooperative",
    ] {
        assert!(logs.contains(line), "the log lacks {line:?}:\n{logs}");
    }
}

/// The first line of the stacks part of a Pharo VM's report on SIGUSR1.
const STACKS: &str = "All Smalltalk process stacks (active first):";

#[test]
fn docker_kill_usr1_reaches_the_vm_and_the_container_runs_on() {
    let Some(container) = running("docker-usr1", &[], &[], "zinc") else {
        return;
    };
    docker(&["kill", "--signal", "USR1", &container.name]).success();
    container.wait_logs(STACKS, READY);
    assert!(
        container
            .logs()
            .contains("zinc: forwarding SIGUSR1 to the VM")
    );
    assert!(container.running());
    container
        .exec(&["pharo-ctl", "eval", "3 + 4"])
        .success()
        .stdout_is("7\n");
}

#[test]
fn pharo_ctl_dump_in_the_container_prints_the_vms_report() {
    let Some(container) = running("docker-dump", &[], &[], "zinc") else {
        return;
    };
    let dump = container.exec(&["pharo-ctl", "dump", "zinc"]);
    dump.success().stdout_has(STACKS);
    assert!(container.running());
}

#[test]
fn the_healthcheck_is_healthy_while_the_repl_answers_and_unhealthy_once_it_wedges() {
    // The image's HEALTHCHECK runs `pharo-ctl status --probe` every second.
    let Some(container) = running(
        "docker-health",
        &["-e", "PHARO_DOUBLE_WEDGE_AFTER_MS=4000"],
        &[],
        "zinc",
    ) else {
        return;
    };
    let health = || container.inspect("{{.State.Health.Status}}");
    wait_until("the container to be healthy", READY, || {
        health() == "healthy"
    });
    wait_until("the container to be unhealthy", READY, || {
        health() == "unhealthy"
    });
    // The probe said hung (1), not "not running" (3): the VM lives on, its REPL is silent.
    let log = container.inspect("{{json .State.Health.Log}}");
    assert!(log.contains("\"ExitCode\":1"), "{log}");
    assert!(container.running());
}

#[test]
fn orphans_are_reaped_by_pharo_ctl_as_pid_1() {
    let Some(container) = running(
        "docker-orphan",
        &["-e", "PHARO_DOUBLE_ORPHAN_MS=3000"],
        &[],
        "zinc",
    ) else {
        return;
    };
    // `docker top` lists the container's cgroup, which a zombie has left: look through the
    // host's /proc, where the container's processes are visible.
    let init = container.host_pid();
    let logs = container.logs();
    let orphan: i32 = logs
        .lines()
        .find_map(|line| line.strip_prefix("pharo-vm-double: orphan "))
        .unwrap_or_else(|| panic!("the double made no orphan:\n{logs}"))
        .parse()
        .unwrap();
    let host = host_pid_in(init, orphan).expect("the orphan runs");
    assert_eq!(parent(host), Some(init), "the orphan belongs to PID 1");
    wait_until("PID 1 to reap the orphan", Duration::from_secs(15), || {
        parent(host) != Some(init)
    });
    assert_eq!(zombie_children(init), Vec::<i32>::new());
    docker(&["stop", &container.name]).success();
    assert_eq!(container.exit_code(), 0);
}

#[test]
fn a_zeroconf_wrapper_as_the_vm_stops_cooperatively() {
    let Some(container) = running(
        "docker-zeroconf",
        &[
            "--entrypoint",
            "/usr/local/bin/pharo-ctl",
            "--no-healthcheck",
        ],
        &["--dir", "/srv/zeroconf", "run", "zeroconf"],
        "zeroconf",
    ) else {
        return;
    };
    let init = container.host_pid();
    // pharo-ctl, the wrapper (bash, which does not exec) and the VM.
    assert_eq!(descendants(init).len(), 2, "{}", container.logs());
    docker(&["stop", &container.name]).success();
    assert_eq!(container.exit_code(), 0, "{}", container.logs());
    assert!(
        container
            .logs()
            .contains("zeroconf stopped cooperatively in")
    );
}

#[test]
fn a_second_build_of_an_unchanged_image_reuses_it() {
    if !docker_usable("docker-image-cache") {
        return;
    }
    let name = Image::App.name();
    let (again, said) = Image::App.build_again();
    assert_eq!(again, name);
    assert!(said.contains(&format!("{name} is up to date")), "{said}");
    assert!(!said.contains("building"), "{said}");
}

/// The fields of `/proc/PID/stat` after the command name.
fn stat(pid: i32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    Some(rest.split(' ').map(str::to_string).collect())
}

/// The parent of a host process.
fn parent(pid: i32) -> Option<i32> {
    stat(pid)?.get(1)?.parse().ok()
}

/// Every host pid.
fn host_pids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
}

/// The children of a host process that are zombies.
fn zombie_children(pid: i32) -> Vec<i32> {
    host_pids()
        .filter(|&p| stat(p).is_some_and(|s| s[0] == "Z" && s[1] == pid.to_string()))
        .collect()
}

/// The live descendants of a host process.
fn descendants(pid: i32) -> Vec<i32> {
    let mut found = vec![pid];
    let mut i = 0;
    while i < found.len() {
        let parent_pid = found[i].to_string();
        let children: Vec<i32> = host_pids()
            .filter(|&p| alive(p) && stat(p).is_some_and(|s| s[1] == parent_pid))
            .collect();
        found.extend(children);
        i += 1;
    }
    found.split_off(1)
}

/// The host's pid of the process numbered `pid` in the pid namespace of host process `init`.
fn host_pid_in(init: i32, pid: i32) -> Option<i32> {
    let namespace = |p: i32| std::fs::read_link(format!("/proc/{p}/ns/pid")).ok();
    let wanted = namespace(init)?;
    host_pids().find(|&p| {
        std::fs::read_to_string(format!("/proc/{p}/status")).is_ok_and(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("NSpid:"))
                .and_then(|ids| ids.split_whitespace().last())
                == Some(pid.to_string().as_str())
        }) && namespace(p).as_ref() == Some(&wanted)
    })
}
