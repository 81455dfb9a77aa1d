//! Docker for the container and systemd tests: whether the engine can be used here, the images
//! of `tests/docker/build-images.sh` (built once per test run, and reused across runs while
//! their inputs are unchanged), and containers that are removed when the test ends, however it
//! ends. Every container has no network (`--network none`: nothing is published anywhere), a
//! name unique to the test run and the label `pharo-ctl-test.run=RUN`.

use crate::harness::*;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The images of `tests/docker/build-images.sh`.
#[derive(Clone, Copy)]
pub enum Image {
    /// FROM scratch: pharo-ctl as PID 1, the test double as `pharo`.
    App,
    /// Debian's systemd as PID 1, with the units of the instances installed.
    Systemd,
}

impl Image {
    /// The image's name, built on first use in this test run; a failed build fails the test.
    pub fn name(self) -> &'static str {
        static APP: OnceLock<Result<String, String>> = OnceLock::new();
        static SYSTEMD: OnceLock<Result<String, String>> = OnceLock::new();
        let cell = match self {
            Image::App => &APP,
            Image::Systemd => &SYSTEMD,
        };
        match cell.get_or_init(|| build(self.kind())) {
            Ok(name) => name,
            Err(why) => panic!("{why}"),
        }
    }
}

impl Image {
    fn kind(self) -> &'static str {
        match self {
            Image::App => "app",
            Image::Systemd => "systemd",
        }
    }

    /// Runs `build-images.sh` again: answers the image's name and what the script said on
    /// stderr.
    pub fn build_again(self) -> (String, String) {
        let out = build_images(self.kind()).unwrap();
        (
            String::from_utf8_lossy(&out.stdout).trim().to_string(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// `tests/docker/build-images.sh KIND PHARO_CTL DOUBLE`, with no time limit: the first build
/// of the systemd image downloads Debian's packages.
fn build_images(kind: &str) -> Result<std::process::Output, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/docker/build-images.sh");
    Command::new("bash")
        .arg(&script)
        .arg(kind)
        .arg(pharo_ctl())
        .arg(double())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))
}

fn build(kind: &str) -> Result<String, String> {
    let out = build_images(kind)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match stdout.lines().last() {
        Some(name) if out.status.success() => Ok(name.to_string()),
        _ => Err(format!(
            "tests/docker/build-images.sh {kind} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

/// Whether the Docker engine can be used here. When it cannot, prints one line saying the
/// test `what` was skipped and why, and answers false; under `PHARO_CTL_REQUIRE_ALL=1` an
/// engine that is missing or unusable fails the test instead.
pub fn docker_usable(what: &str) -> bool {
    if !require_program("docker", what) {
        return false;
    }
    static ENGINE: OnceLock<Result<(), String>> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        let out = docker(&["info", "--format", "{{.ServerVersion}}"]);
        match out.code {
            Some(0) => Ok(()),
            _ => Err(out.stderr.lines().next().unwrap_or("").to_string()),
        }
    });
    match engine {
        Ok(()) => true,
        Err(why) => {
            assert!(
                std::env::var_os("PHARO_CTL_REQUIRE_ALL").is_none_or(|v| v != "1"),
                "the Docker engine cannot be used ({why}), and PHARO_CTL_REQUIRE_ALL=1 requires it for {what}"
            );
            eprintln!("skipped {what}: the Docker engine cannot be used ({why})");
            false
        }
    }
}

/// Runs `docker ARGS` to its end.
/// `docker ARGS`; its callers judge its exit status themselves.
pub fn docker(args: &[&str]) -> Outcome {
    let out = Cmd::program("docker", Path::new("/")).args(args).run();
    out.any_code();
    out
}

/// This test run's id, in every container's name and label.
fn run_id() -> &'static str {
    static RUN: OnceLock<String> = OnceLock::new();
    RUN.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        format!("{}-{nanos:08x}", std::process::id())
    })
}

/// A container this test started; removed (with its anonymous volumes) when dropped.
pub struct Container {
    pub name: String,
}

impl Container {
    /// `docker run -d [OPTIONS] IMAGE [ARGS]`, with no network, a unique name and the run's
    /// label; `what` names the container after the test.
    pub fn run(what: &str, image: Image, options: &[&str], args: &[&str]) -> Container {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let container = Container {
            name: format!("pharo-ctl-test-{}-{n}-{what}", run_id()),
        };
        let label = format!("pharo-ctl-test.run={}", run_id());
        let mut command = vec!["run", "-d", "--name", &container.name, "--label", &label];
        command.extend(["--network", "none", "--pull", "never"]);
        command.extend(options);
        command.push(image.name());
        command.extend(args);
        let out = docker(&command);
        if out.code != Some(0) && out.stderr.contains("No such image") {
            // Another run's build removed it as old and unused: building it again gives
            // the same image, under the same name.
            let (again, said) = image.build_again();
            assert_eq!(again, image.name(), "{said}");
            docker(&command).success();
        } else {
            out.success();
        }
        container
    }

    /// `docker exec NAME ARGS`.
    pub fn exec(&self, args: &[&str]) -> Outcome {
        let mut command = vec!["exec", &self.name];
        command.extend(args);
        docker(&command)
    }

    /// What the container printed so far, stdout and stderr.
    pub fn logs(&self) -> String {
        let out = docker(&["logs", &self.name]);
        format!("{}{}", out.stdout, out.stderr)
    }

    /// Waits until the container's log holds `text`; fails the test after `limit`.
    #[track_caller]
    pub fn wait_logs(&self, text: &str, limit: Duration) {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let logs = self.logs();
            if logs.contains(text) {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out after {limit:?} waiting for {text:?} in the log of {}:\n{logs}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `docker inspect -f FORMAT NAME`, trimmed.
    pub fn inspect(&self, format: &str) -> String {
        let out = docker(&["inspect", "-f", format, &self.name]);
        out.success();
        out.stdout.trim().to_string()
    }

    /// The host's pid of the container's PID 1.
    /// The container's processes as it sees them (its own pid namespace), each as its pid,
    /// state and parent, read from its `/proc` with bash's builtins (`docker exec`): what a
    /// test sees holds whether the test itself runs on the host, in a pid namespace or in a
    /// container. The `docker exec` shell itself is left out.
    pub fn processes(&self) -> Vec<(i32, char, i32)> {
        let script = r#"for d in /proc/[0-9]*; do [ "${d#/proc/}" = "$$" ] && continue; read -r line < "$d/stat" 2>/dev/null && echo "$line"; done"#;
        let out = self.exec(&["bash", "-c", script]);
        out.success();
        out.stdout
            .lines()
            .filter_map(|line| {
                let pid = line.split(' ').next()?.parse().ok()?;
                let mut rest = line[line.rfind(')')? + 2..].split(' ');
                let state = rest.next()?.chars().next()?;
                let parent = rest.next()?.parse().ok()?;
                Some((pid, state, parent))
            })
            .collect()
    }

    /// Whether the container still runs.
    pub fn running(&self) -> bool {
        self.inspect("{{.State.Running}}") == "true"
    }

    /// The exit code of a container that ended.
    pub fn exit_code(&self) -> i32 {
        self.inspect("{{.State.ExitCode}}").parse().unwrap()
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["rm", "-f", "-v", &self.name])
            .output();
    }
}
