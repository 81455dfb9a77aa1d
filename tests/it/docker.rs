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
    // `docker top` lists the container's cgroup, which a zombie has left: look at the
    // container's own process table from inside it.
    let logs = container.logs();
    let orphan: i32 = logs
        .lines()
        .find_map(|line| line.strip_prefix("pharo-vm-double: orphan "))
        .unwrap_or_else(|| panic!("the double made no orphan:\n{logs}"))
        .parse()
        .unwrap();
    let parent_of = |pid: i32| {
        container
            .processes()
            .into_iter()
            .find(|&(p, ..)| p == pid)
            .map(|(_, _, parent)| parent)
    };
    assert_eq!(parent_of(orphan), Some(1), "the orphan belongs to PID 1");
    wait_until("PID 1 to reap the orphan", Duration::from_secs(15), || {
        parent_of(orphan).is_none()
    });
    let zombies: Vec<i32> = container
        .processes()
        .into_iter()
        .filter(|&(_, state, parent)| state == 'Z' && parent == 1)
        .map(|(pid, ..)| pid)
        .collect();
    assert_eq!(zombies, Vec::<i32>::new());
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
    // pharo-ctl (PID 1), the wrapper (bash, which does not exec) and the VM.
    let processes = container.processes();
    let below_init = processes
        .iter()
        .filter(|&&(_, _, parent)| parent == 1)
        .count();
    let below_wrapper = processes
        .iter()
        .filter(|&&(_, _, parent)| {
            parent > 1 && processes.iter().any(|&(p, _, up)| p == parent && up == 1)
        })
        .count();
    assert_eq!(
        (below_init, below_wrapper),
        (1, 1),
        "{processes:?}\n{}",
        container.logs()
    );
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

#[test]
fn a_rebuilt_image_replaces_the_one_it_supersedes_and_says_what_it_keeps() {
    if !docker_usable("docker-image-superseded") {
        return;
    }
    // A checkout of its own (its target/docker), whose app image is first built with another
    // program as the VM, then with the double: the first image is superseded.
    let target = tempfile::tempdir().unwrap();
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docker/build-images.sh");
    let build = |vm: &std::path::Path| {
        let out = Cmd::program("bash", target.path())
            .env("CARGO_TARGET_DIR", target.path())
            .args([
                script.as_os_str(),
                "app".as_ref(),
                pharo_ctl().as_os_str(),
                vm.as_os_str(),
            ])
            .run();
        out.success();
        (out.stdout.trim().to_string(), out.stderr.clone())
    };
    let (first, _) = build(std::path::Path::new("/bin/true"));
    let (second, said) = build(&double());
    assert_ne!(first, second);
    assert!(
        said.contains(&format!("removed {first}, superseded")),
        "{said}"
    );
    assert!(
        said.contains(&format!("kept {second} (")) && said.contains("build-images.sh clean"),
        "{said}"
    );
    assert_ne!(
        docker(&["image", "inspect", &first]).code,
        Some(0),
        "{first} is left behind"
    );
    // Nothing but the record of the image built last is left in target/docker.
    let left: Vec<String> = std::fs::read_dir(target.path().join("docker"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".lock"))
        .collect();
    assert_eq!(left, ["app.image"]);
}
