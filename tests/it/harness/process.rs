//! Processes a test looks at or starts: whether one lives, its parent, a VM started by hand
//! (killed when the test ends), the VM proper of a tree, a private pid namespace, and the
//! check that nothing of an instance is left.

use super::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Whether a process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat[stat.rfind(')').unwrap() + 2..].chars().next().unwrap();
            state != 'Z' && state != 'X'
        }
        Err(_) => false,
    }
}

/// How to run a command in a private PID namespace (`unshare --pid --fork --mount-proc`), for
/// tests that write pid files naming pid 1 and other low pids, which outside it are this
/// machine's own processes; `None`, with the reason printed, where that is not permitted.
pub fn pid_namespace() -> Option<[&'static str; 5]> {
    const WRAPPER: [&str; 5] = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"];
    if !require_program("unshare", "a test in a private PID namespace") {
        return None;
    }
    let probe = Command::new(WRAPPER[0])
        .args(&WRAPPER[1..])
        .arg("true")
        .output();
    match probe {
        Ok(out) if out.status.success() => Some(WRAPPER),
        Ok(out) => {
            eprintln!(
                "skipped: `unshare --pid --fork --mount-proc` is not permitted here (needs root or user namespaces): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!("skipped: cannot run unshare (util-linux): {e}");
            None
        }
    }
}

/// A process a test started that is not pharo-ctl (a foreign process, a VM started by hand),
/// killed and reaped when the test ends.
pub struct Spawned(std::process::Child);

impl Spawned {
    pub fn new(program: impl AsRef<std::ffi::OsStr>, args: &[&str], dir: &Path) -> Spawned {
        Spawned::with_env(program, args, dir, &[])
    }

    /// Like [`Spawned::new`], with variables added to the environment (the double's
    /// switches).
    pub fn with_env(
        program: impl AsRef<std::ffi::OsStr>,
        args: &[&str],
        dir: &Path,
        env: &[(&str, &str)],
    ) -> Spawned {
        Spawned(
            Command::new(program)
                .args(args)
                .envs(env.iter().copied())
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    pub fn pid(&self) -> i32 {
        self.0.id() as i32
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The one VM proper running in the directory, once there is one, and the wrapper above it
/// (for a layout that wraps).
pub fn vm_proper(env: &Env) -> (i32, Option<i32>) {
    wait_until("one VM proper", Duration::from_secs(20), || {
        env.vms().len() == 1
    });
    let vm = env.vms()[0];
    let wrapper = env.layout.wraps().then(|| {
        let parent = ppid(vm).expect("the VM has a parent");
        let command = std::fs::read(format!("/proc/{parent}/cmdline")).unwrap();
        assert!(
            command
                .windows(env.path().as_os_str().len())
                .any(|w| w == env.path().as_os_str().as_encoded_bytes()),
            "the VM's parent {parent} is not the wrapper"
        );
        parent
    });
    (vm, wrapper)
}

/// A process's parent.
pub fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 2..].split(' ').nth(1)?.parse().ok()
}

/// Nothing of the instance's tree is left: no process mentions the directory, and no pid
/// file (nor a temporary one) is there.
#[track_caller]
pub fn nothing_left(env: &Env, name: &str) {
    assert_eq!(env.processes(), Vec::<i32>::new(), "processes are left");
    let leftovers: Vec<String> = std::fs::read_dir(env.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|f| f.starts_with(&format!("{name}.pid")) && f != &format!("{name}.pid.lock"))
        .chain(
            std::fs::read_dir(env.path())
                .unwrap()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|f| f.ends_with(".tmp")),
        )
        .collect();
    assert!(leftovers.is_empty(), "files are left: {leftovers:?}");
}

/// The name of the user the tests run as (its uid where it has no name).
pub fn current_user() -> String {
    let uid = nix::unistd::geteuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map_or_else(|| uid.to_string(), |u| u.name)
}
