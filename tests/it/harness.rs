//! The test harness: a builder over the real `pharo-ctl` binary, run in a temporary directory
//! of its own with the VM test double, free loopback ports, and guards that kill every process
//! a test started when it ends, however it ends.

#![allow(dead_code)]

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The longest any single pharo-ctl invocation may take in a test before it is killed.
const COMMAND_LIMIT: Duration = Duration::from_secs(60);

/// The pharo-ctl binary under test.
pub fn pharo_ctl() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pharo-ctl"))
}

/// The VM test double, built by `cargo test` as an example.
pub fn double() -> PathBuf {
    let bin = pharo_ctl();
    let path = bin.parent().unwrap().join("examples/pharo-vm-double");
    assert!(
        path.is_file(),
        "the VM test double is not built at {}: run `cargo build --examples` (cargo test builds it)",
        path.display()
    );
    path
}

/// A free TCP port on loopback, never the same twice in one test run. A port the kernel picks
/// (`bind` to port 0) is free only until it is closed: a test that hands it to a VM that binds
/// it later, or never, would race with every other test doing the same, and with the kernel's
/// own choice of ports for outgoing connections. So the ports come from a range below the
/// kernel's ephemeral ones (32768 and up), one after another from an offset of this run's own,
/// each checked free when handed out.
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    const LOW: u32 = 12_000;
    const SPAN: u32 = 20_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let offset = std::process::id().wrapping_mul(7_919) % SPAN;
    for _ in 0..SPAN {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(LOW + (offset + n) % SPAN).unwrap();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port on loopback between {LOW} and {}", LOW + SPAN);
}

/// Whether `program` can be run here. When it cannot, prints one line saying the test
/// `what` was skipped and why, and returns false, so the test passes on a machine that lacks
/// the program; under `PHARO_CTL_REQUIRE_ALL=1` (set by CI, which installs every program the
/// tests use) a missing program fails the test instead.
pub fn require_program(program: &str, what: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program)).is_ok_and(|m| {
                m.is_file()
                    && std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o111 != 0
            })
        })
    });
    if !found {
        assert!(
            std::env::var_os("PHARO_CTL_REQUIRE_ALL").is_none_or(|v| v != "1"),
            "{program} is not installed, and PHARO_CTL_REQUIRE_ALL=1 requires it for {what}"
        );
        eprintln!("skipped {what}: {program} is not installed");
    }
    found
}

/// Waits until `condition` holds, checking often, and fails the test after `limit`.
pub fn wait_until(what: &str, limit: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

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

/// How the VM of an [`Env`] is launched: the shapes real Pharo installations take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// The double is the VM (`PHARO_VM` names it).
    Direct,
    /// Pharo's zeroconf installation (`curl get.pharo.org | bash`): `DIR/pharo`, the default
    /// VM, is a bash script that runs `"$DIR"/"pharo-vm/pharo" --headless "$@"` without exec;
    /// `pharo-vm/pharo`, a bash script, execs `pharo-vm/lib/pharo` (the double, symlinked).
    Zeroconf,
    /// An interpreted VM: `DIR/smalltalk-vm` (what `PHARO_VM` names), a `#!/usr/bin/env
    /// python3` script that runs the double as its child, waits, and passes its status on.
    Script,
}

impl Layout {
    pub const ALL: [Layout; 3] = [Layout::Direct, Layout::Zeroconf, Layout::Script];

    /// Whether a wrapper stands above the VM proper.
    pub fn wraps(self) -> bool {
        self != Layout::Direct
    }
}

/// Pharo's zeroconf `pharo` script (as get.pharo.org writes it): no exec.
const ZEROCONF_PHARO: &str = r#"#!/usr/bin/env bash
# some magic to find out the real location of this script dealing with symlinks
DIR=`readlink "$0"` || DIR="$0";
DIR=`dirname "$DIR"`;
cd "$DIR"
DIR=`pwd`
cd - > /dev/null
# disable parameter expansion to forward all arguments unprocessed to the VM
set -f
# run the VM and pass along all arguments as is
"$DIR"/"pharo-vm/pharo" --headless "$@"
"#;

/// Pharo's zeroconf `pharo-vm/pharo` script: it execs the VM proper.
const ZEROCONF_VM: &str = r#"#!/usr/bin/env bash
# some magic to find out the real location of this script dealing with symlinks
DIR=`readlink "$0"` || DIR="$0";
DIR=`dirname "$DIR"`;
cd "$DIR"
DIR=`pwd`
cd - > /dev/null
# disable parameter expansion to forward all arguments unprocessed to the VM
set -f
# run the VM and pass along all arguments as is
LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$DIR/lib" exec "$DIR/lib/pharo" "$@"
"#;

/// An interpreted VM that runs the VM proper as its child (`{VM}`: the double's path).
const PYTHON_VM: &str = r#"#!/usr/bin/env python3
"""A VM launcher written in Python: runs the VM as its child and passes its status on."""
import subprocess
import sys

status = subprocess.call(["{VM}"] + sys.argv[1:])
sys.exit(status if status >= 0 else 128 - status)
"#;

/// A temporary directory with instances in it, and the double as their VM, launched as
/// `layout` says. Dropping it kills every process whose command line mentions the directory.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub layout: Layout,
    /// Where this test's pharo-ctl and double are, once [`Env::as_nobody`] has put them where
    /// every user can reach them; else the ones cargo built.
    bin: std::cell::OnceCell<PathBuf>,
}

/// What one instance of an [`Env`] is made of.
pub struct Inst {
    pub name: String,
    pub repl_port: u16,
    pub app_port: u16,
}

impl Env {
    pub fn new() -> Env {
        Env::with_layout(Layout::Direct)
    }

    /// An Env whose VM is launched through `layout`.
    pub fn with_layout(layout: Layout) -> Env {
        become_subreaper();
        let env = Env {
            dir: tempfile::Builder::new()
                .prefix("pharo-ctl-test.")
                .tempdir()
                .unwrap(),
            layout,
            bin: std::cell::OnceCell::new(),
        };
        match layout {
            Layout::Direct => {}
            Layout::Zeroconf => {
                std::fs::create_dir_all(env.file("pharo-vm/lib")).unwrap();
                std::os::unix::fs::symlink(double(), env.file("pharo-vm/lib/pharo")).unwrap();
                env.executable("pharo", ZEROCONF_PHARO);
                env.executable("pharo-vm/pharo", ZEROCONF_VM);
            }
            Layout::Script => {
                let vm = PYTHON_VM.replace("{VM}", double().to_str().unwrap());
                env.executable("smalltalk-vm", &vm);
            }
        }
        env
    }

    /// Writes an executable file (a script) into the directory.
    pub fn executable(&self, name: &str, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        let path = self.file(name);
        std::fs::write(&path, text).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// The program the layout's VM is launched as: what `PHARO_VM` names (for the zeroconf
    /// layout, `DIR/pharo`, which pharo-ctl finds by itself).
    pub fn vm_program(&self) -> PathBuf {
        match self.layout {
            Layout::Direct => self.double(),
            Layout::Zeroconf => self.file("pharo"),
            Layout::Script => self.file("smalltalk-vm"),
        }
    }

    /// Starts instance `name`'s VM by hand, as a user would, through the layout:
    /// `VM --headless DIR/NAME.image DIR/NAME.st` in the directory.
    pub fn spawn_by_hand(&self, name: &str) -> Spawned {
        self.spawn_by_hand_with(name, &[])
    }

    /// Like [`Env::spawn_by_hand`], with the double's switches (`PHARO_DOUBLE_…`) set.
    pub fn spawn_by_hand_with(&self, name: &str, switches: &[(&str, &str)]) -> Spawned {
        let image = self.file(&format!("{name}.image"));
        let script = self.file(&format!("{name}.st"));
        Spawned::with_env(
            self.vm_program(),
            &[
                "--headless",
                image.to_str().unwrap(),
                script.to_str().unwrap(),
            ],
            self.path(),
            switches,
        )
    }

    /// The pharo-ctl this test runs.
    pub fn pharo_ctl(&self) -> PathBuf {
        self.bin
            .get()
            .map_or_else(pharo_ctl, |bin| bin.join("pharo-ctl"))
    }

    /// The VM test double this test runs.
    pub fn double(&self) -> PathBuf {
        self.bin
            .get()
            .map_or_else(double, |bin| bin.join("pharo-vm-double"))
    }

    /// Puts pharo-ctl and the double in `.bin/` of the directory, which every user may
    /// search: the ones cargo built may be out of another user's reach (a clone in root's
    /// home, mode 0700, or in a `mktemp -d` directory). From then on this test runs those.
    fn reachable_binaries(&self) {
        use std::os::unix::fs::PermissionsExt;
        let bin = self.file(".bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        for from in [pharo_ctl(), double()] {
            let to = bin.join(from.file_name().unwrap());
            if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to).unwrap();
            }
        }
        self.bin.set(bin).unwrap();
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }

    pub fn exists(&self, name: &str) -> bool {
        self.file(name).exists()
    }

    /// An instance `name` whose script starts an application server and the REPL on free
    /// ports and defines the seed's ShutdownSequence.
    pub fn instance(&self, name: &str) -> Inst {
        let inst = Inst {
            name: name.to_string(),
            repl_port: free_port(),
            app_port: free_port(),
        };
        std::fs::write(self.file(&format!("{name}.image")), b"a Pharo image").unwrap();
        self.script(
            name,
            &format!(
                "ZnServer startDefaultOn: {}.\n\
                 ZnReadEvalPrintDelegate startInServerOn: {}.\n\n\
                 Smalltalk at: #ShutdownSequence put: [\n\
                 \x20 'Starting ShutdownSequence...' crTrace.\n\
                 \x20 ZnServer default stopServer.\n\
                 \x20 ZnServer default hasOpenConnections ifTrue: [ 3 seconds wait ].\n\
                 \x20 ZnServer default closeConnections.\n\
                 \x20 'Completed ShutdownSequence successfully' crTrace.\n\
                 \x20 Smalltalk snapshot: false andQuit: true ].\n",
                inst.app_port, inst.repl_port
            ),
        );
        inst
    }

    /// An instance whose script starts the REPL but never defines ShutdownSequence.
    pub fn instance_without_shutdown(&self, name: &str) -> Inst {
        let inst = self.instance(name);
        self.script(
            name,
            &format!(
                "ZnReadEvalPrintDelegate startInServerOn: {}.\n",
                inst.repl_port
            ),
        );
        inst
    }

    pub fn script(&self, name: &str, text: &str) {
        std::fs::write(self.file(&format!("{name}.st")), text).unwrap();
    }

    /// pharo-ctl in this directory, with the layout's VM and a clean environment.
    pub fn cmd(&self) -> Cmd {
        let cmd = Cmd::program(self.pharo_ctl(), self.path()).env("PHARO_VM", self.double());
        match self.layout {
            Layout::Direct => cmd,
            // The default VM, as a zeroconf user runs it.
            Layout::Zeroconf => cmd.env_remove("PHARO_VM"),
            Layout::Script => cmd.env("PHARO_VM", self.vm_program()),
        }
    }

    /// pharo-ctl run by a wrapper (e.g. `unshare --pid --fork`): `WRAPPER... pharo-ctl ARGS`.
    pub fn cmd_via(&self, wrapper: &[&str]) -> Cmd {
        let mut cmd = self.cmd();
        let mut command = Command::new(wrapper[0]);
        command.args(&wrapper[1..]).arg(self.pharo_ctl());
        command.current_dir(self.path());
        for (key, value) in cmd.command.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        cmd.command = command;
        cmd
    }

    /// pharo-ctl run as the unprivileged user nobody, for what a user other than the VM's may
    /// and may not do; `None`, with the reason printed, where that is impossible (the tests do
    /// not run as root, setpriv is missing, or nobody cannot run the binary). The directory is
    /// made readable and searchable by everyone, not writable, and this test's pharo-ctl and
    /// double are copies in it, which nobody can reach wherever the project is. Call it before
    /// anything runs.
    pub fn as_nobody(&self) -> Option<NobodyCmd<'_>> {
        // SAFETY: geteuid only reads this process's effective user id.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: running pharo-ctl as another user needs the tests to run as root");
            return None;
        }
        if !require_program("setpriv", "a test as the user nobody") {
            return None;
        }
        self.chmod("", 0o755);
        self.reachable_binaries();
        let probe = Command::new("setpriv")
            .args(NOBODY_WRAPPER[1..].iter())
            .arg(self.pharo_ctl())
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        match probe {
            Ok(status) if status.success() => {}
            Ok(status) => {
                panic!(
                    "the user nobody cannot run {} ({status})",
                    self.pharo_ctl().display()
                );
            }
            Err(e) => panic!("cannot run setpriv: {e}"),
        }
        Some(NobodyCmd { env: self })
    }

    /// Sets the mode of a file of the directory (`""`: the directory itself).
    pub fn chmod(&self, name: &str, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.file(name), std::fs::Permissions::from_mode(mode)).unwrap();
    }

    /// Gives a file of the directory (`""`: the directory itself) to the user nobody.
    pub fn chown_to_nobody(&self, name: &str) {
        std::os::unix::fs::chown(self.file(name), Some(NOBODY), Some(NOBODY)).unwrap();
    }

    /// Starts an instance in the background and answers its pid (asserting success).
    pub fn start(&self, inst: &Inst) -> i32 {
        self.start_with(inst, &[])
    }

    /// Like [`Env::start`], with the double's switches (`PHARO_DOUBLE_…`) set.
    pub fn start_with(&self, inst: &Inst, switches: &[(&str, &str)]) -> i32 {
        let mut cmd = self.cmd();
        for (key, value) in switches {
            cmd = cmd.env(key, value);
        }
        cmd.args(["start", "--wait", &inst.name]).run().success();
        self.pid_of(&inst.name)
    }

    /// The pid in an instance's pid file.
    pub fn pid_of(&self, name: &str) -> i32 {
        self.read(&format!("{name}.pid"))
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("no pid in {name}.pid"))
    }

    /// The pids of every live process whose command line mentions this directory.
    pub fn processes(&self) -> Vec<i32> {
        let needle = self.path().as_os_str().as_encoded_bytes().to_vec();
        let mut pids: Vec<i32> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse().ok())
            .filter(|pid: &i32| {
                std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| c.windows(needle.len()).any(|w| w == needle))
                    && alive(*pid)
            })
            .collect();
        pids.sort();
        pids
    }

    /// The VMs proper (doubles, whatever they are called) running in this directory.
    pub fn vms(&self) -> Vec<i32> {
        self.processes()
            .into_iter()
            .filter(|pid| {
                std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|e| e == self.double())
            })
            .collect()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let pids = self.processes();
        for &pid in &pids {
            // SAFETY: kill only sends a signal; the pid was just read from /proc and its
            // command line names this test's own temporary directory.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        reap_orphaned_vms(&pids);
    }
}

/// Makes the test process the subreaper of what it starts: a VM that `pharo-ctl start` leaves
/// running in the background is re-parented here, not to PID 1 (which, in a container, may
/// never reap it), so that [`reap_orphaned_vms`] can collect it.
fn become_subreaper() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER takes plain integers and changes only
        // this process's own attribute.
        let rc = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        assert_eq!(rc, 0, "cannot become a subreaper");
    });
}

/// Waits for the VMs and wrappers re-parented to the test process: those just killed
/// (`killed`), and any that already exited (zombies) in a session of their own, as pharo-ctl
/// starts them. A pharo-ctl, and any other program a test started itself (in the test's own
/// session: a test, or its `Command::output`, waits for it), is never reaped here: another
/// thread's wait for it would fail.
fn reap_orphaned_vms(killed: &[i32]) {
    let me = std::process::id() as i32;
    // SAFETY: getsid(0) only reads this process's session id.
    let my_session = unsafe { libc::getsid(0) };
    for pid in std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
    {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let mut fields = stat[close + 2..].split(' ');
        let state = fields.next().unwrap_or("");
        let ppid: i32 = fields.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        let session: i32 = fields.nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid != me || comm == "pharo-ctl" {
            continue;
        }
        let flags = if killed.contains(&pid) || (state == "Z" && session != my_session) {
            0
        } else {
            continue;
        };
        // SAFETY: waitpid on a specific child pid; the status pointer may be null.
        unsafe {
            libc::waitpid(pid, std::ptr::null_mut(), flags);
        }
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

/// The unprivileged user (and group) of [`Env::as_nobody`].
pub const NOBODY: u32 = 65534;

/// How [`Env::as_nobody`] runs pharo-ctl.
const NOBODY_WRAPPER: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

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

/// Runs pharo-ctl in an [`Env`] as the user nobody.
pub struct NobodyCmd<'a> {
    env: &'a Env,
}

impl NobodyCmd<'_> {
    pub fn cmd(&self) -> Cmd {
        self.env.cmd_via(&NOBODY_WRAPPER)
    }
}

/// One line on stderr, starting with `error:`.
#[track_caller]
pub fn one_error_line(out: &Outcome) {
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].starts_with("error: "), "{}", out.stderr);
}

/// A pharo-ctl invocation being built.
pub struct Cmd {
    command: Command,
    stdin: Option<Vec<u8>>,
    /// Keep stdin open for [`Running::write_stdin`].
    keep_stdin: bool,
}

impl Cmd {
    pub fn new(dir: &Path) -> Cmd {
        Cmd::program(pharo_ctl(), dir)
    }

    /// Another program (a script of the project) run the same way: in `dir`, with the double
    /// as the VM and a clean environment, killed after a minute.
    pub fn program(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Cmd {
        let mut command = Command::new(program);
        command.current_dir(dir);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy().into_owned();
            if key.starts_with("PHARO") || key == "NOTIFY_SOCKET" || key.ends_with("_proxy") {
                command.env_remove(&key);
            }
        }
        command.env("PHARO_VM", double()).env("NO_COLOR", "1");
        Cmd {
            command,
            stdin: None,
            keep_stdin: false,
        }
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.command.env(key, value);
        self
    }

    pub fn env_remove(mut self, key: &str) -> Cmd {
        self.command.env_remove(key);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(input.into());
        self
    }

    /// Gives pharo-ctl a pipe as stdin that the test writes to as it goes
    /// ([`Running::write_stdin`], [`Running::close_stdin`]).
    pub fn stdin_pipe(mut self) -> Cmd {
        self.keep_stdin = true;
        self
    }

    /// Runs pharo-ctl in a process group of its own, as a shell runs a foreground job, so
    /// that a test can signal the whole group as a terminal's Ctrl-C does.
    pub fn own_process_group(mut self) -> Cmd {
        self.command.process_group(0);
        self
    }

    /// Starts the command in the background; the guard kills it on drop.
    pub fn spawn(mut self) -> Running {
        self.command
            .stdin(if self.stdin.is_some() || self.keep_stdin {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("pharo-ctl runs");
        if let Some(input) = self.stdin.take() {
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        Running {
            child: Some(child),
            stderr_seen: None,
            stdout_seen: None,
        }
    }

    /// Runs the command to its end (killing it after a minute) and answers what it did.
    pub fn run(self) -> Outcome {
        self.spawn().finish()
    }
}

/// A stream as a reader thread collects it.
struct Watched {
    seen: Arc<Mutex<Vec<u8>>>,
    reader: JoinHandle<()>,
    /// Tells the reader to stop and close the stream.
    stop: Arc<AtomicBool>,
}

impl Watched {
    /// A stream that is closed already.
    fn closed() -> Watched {
        Watched {
            seen: Arc::new(Mutex::new(Vec::new())),
            reader: std::thread::spawn(|| {}),
            stop: Arc::new(AtomicBool::new(true)),
        }
    }

    /// Stops reading and closes the stream; what was read is kept.
    fn close(self) -> Watched {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.reader.join();
        Watched {
            reader: std::thread::spawn(|| {}),
            ..self
        }
    }
}

/// A pharo-ctl started in the background; killed on drop if still running.
pub struct Running {
    child: Option<Child>,
    /// stderr as read so far, once a test waits for something on it.
    stderr_seen: Option<Watched>,
    /// stdout likewise.
    stdout_seen: Option<Watched>,
}

impl Running {
    pub fn pid(&self) -> i32 {
        self.child.as_ref().unwrap().id() as i32
    }

    /// Sends a signal to pharo-ctl.
    pub fn signal(&self, signal: i32) {
        // SAFETY: kill only sends a signal, to our own child, not yet reaped.
        assert_eq!(unsafe { libc::kill(self.pid(), signal) }, 0, "kill failed");
    }

    /// Sends a signal to pharo-ctl's whole process group (see [`Cmd::own_process_group`]), as
    /// a terminal's Ctrl-C does.
    pub fn signal_group(&self, signal: i32) {
        // SAFETY: killpg only sends a signal, to the group our own child leads.
        let rc = unsafe { libc::killpg(self.pid(), signal) };
        assert_eq!(rc, 0, "killpg failed");
    }

    /// Writes to pharo-ctl's stdin (see [`Cmd::stdin_pipe`]).
    pub fn write_stdin(&mut self, text: &str) {
        let stdin = self
            .child
            .as_mut()
            .unwrap()
            .stdin
            .as_mut()
            .expect("stdin is a pipe");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// Closes pharo-ctl's stdin: it reads the end of its input.
    pub fn close_stdin(&mut self) {
        drop(self.child.as_mut().unwrap().stdin.take());
    }

    /// Closes the read end of pharo-ctl's stderr: its writes fail from now on (EPIPE).
    pub fn close_stderr(&mut self) {
        drop(self.child.as_mut().unwrap().stderr.take());
        self.stderr_seen = Some(
            self.stderr_seen
                .take()
                .map_or_else(Watched::closed, Watched::close),
        );
    }

    /// Closes the read end of pharo-ctl's stdout, as a reader that went away does: its writes
    /// fail from now on (EPIPE).
    pub fn close_stdout(&mut self) {
        drop(self.child.as_mut().unwrap().stdout.take());
        self.stdout_seen = Some(
            self.stdout_seen
                .take()
                .map_or_else(Watched::closed, Watched::close),
        );
    }

    /// What pharo-ctl has written on stderr so far.
    pub fn stderr_so_far(&mut self) -> String {
        let seen = self.watch_stderr();
        String::from_utf8_lossy(&seen.lock().unwrap()).into_owned()
    }

    /// What pharo-ctl has written on stdout so far.
    pub fn stdout_so_far(&mut self) -> String {
        let seen = self.watch_stdout();
        String::from_utf8_lossy(&seen.lock().unwrap()).into_owned()
    }

    /// Waits until pharo-ctl has written `text` on stderr; fails the test after `limit`.
    #[track_caller]
    pub fn wait_stderr(&mut self, text: &str, limit: Duration) {
        let seen = self.watch_stderr();
        wait_for_text("stderr", &seen, text, limit);
    }

    /// Waits until pharo-ctl has written `text` on stdout; fails the test after `limit`.
    #[track_caller]
    pub fn wait_stdout(&mut self, text: &str, limit: Duration) {
        let seen = self.watch_stdout();
        wait_for_text("stdout", &seen, text, limit);
    }

    /// Starts reading stderr as it comes.
    fn watch_stderr(&mut self) -> Arc<Mutex<Vec<u8>>> {
        if let Some(watched) = &self.stderr_seen {
            return Arc::clone(&watched.seen);
        }
        let stderr = self.child.as_mut().unwrap().stderr.take().unwrap();
        let watched = watch(stderr);
        let seen = Arc::clone(&watched.seen);
        self.stderr_seen = Some(watched);
        seen
    }

    /// Starts reading stdout as it comes.
    fn watch_stdout(&mut self) -> Arc<Mutex<Vec<u8>>> {
        if let Some(watched) = &self.stdout_seen {
            return Arc::clone(&watched.seen);
        }
        let stdout = self.child.as_mut().unwrap().stdout.take().unwrap();
        let watched = watch(stdout);
        let seen = Arc::clone(&watched.seen);
        self.stdout_seen = Some(watched);
        seen
    }

    /// Waits for the end (at most a minute) and collects the output.
    pub fn finish(mut self) -> Outcome {
        let mut child = self.child.take().unwrap();
        let out = collect(child.stdout.take(), self.stdout_seen.take());
        let err = collect(child.stderr.take(), self.stderr_seen.take());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > COMMAND_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the command ran longer than {COMMAND_LIMIT:?}");
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        let elapsed = started.elapsed();
        Outcome {
            code: status.code(),
            signal: status.signal(),
            stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
            stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
            elapsed,
        }
    }
}

/// Reads a stream on a thread as it comes.
fn watch(mut stream: impl Read + AsFd + Send + 'static) -> Watched {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (sink, stopped) = (Arc::clone(&seen), Arc::clone(&stop));
    let reader = std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        // A short poll, so that a test can close the stream while nothing comes.
        while !stopped.load(Ordering::Relaxed) {
            let mut fds = [PollFd::new(stream.as_fd(), PollFlags::POLLIN)];
            if !matches!(poll(&mut fds, PollTimeout::from(20u8)), Ok(n) if n > 0) {
                continue;
            }
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => sink.lock().unwrap().extend_from_slice(&chunk[..n]),
            }
        }
    });
    Watched { seen, reader, stop }
}

/// A thread that answers all of a stream: read to its end, or what its watcher collected.
fn collect(
    stream: Option<impl Read + Send + 'static>,
    seen: Option<Watched>,
) -> JoinHandle<Vec<u8>> {
    match (stream, seen) {
        (Some(mut stream), _) => std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = stream.read_to_end(&mut s);
            s
        }),
        (None, Some(watched)) => std::thread::spawn(move || {
            let _ = watched.reader.join();
            std::mem::take(&mut *watched.seen.lock().unwrap())
        }),
        (None, None) => unreachable!("a stream is read one way or the other"),
    }
}

/// Waits until `text` is among what a watcher collected of `stream`.
#[track_caller]
fn wait_for_text(stream: &str, seen: &Mutex<Vec<u8>>, text: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let so_far = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
        if so_far.contains(text) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {text:?} on {stream}\n{stream}: {so_far}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What a finished pharo-ctl did.
#[derive(Debug)]
pub struct Outcome {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Outcome {
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Outcome {
        assert_eq!(
            self.code,
            Some(expected),
            "expected exit {expected}\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Outcome {
        self.code(0)
    }

    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Outcome {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}\nstderr: {}\nstdout: {}",
            self.stderr,
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Outcome {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_is(&self, text: &str) -> &Outcome {
        assert_eq!(self.stdout, text, "stderr: {}", self.stderr);
        self
    }
}

/// A plain HTTP/1.1 exchange on loopback, for tests that talk to the double directly.
pub fn http(port: u16, request: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// Whether something accepts connections on a loopback port.
pub fn listening(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Whether a REPL on a loopback port answers `GET /repl` with 200 within a second.
pub fn repl_answers(port: u16) -> bool {
    let limit = Duration::from_secs(1);
    let Ok(mut stream) = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), limit) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(limit));
    let _ = stream.set_write_timeout(Some(limit));
    if stream
        .write_all(b"GET /repl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    answer.starts_with(b"HTTP/1.1 200")
}

impl Env {
    /// Makes the next start of an instance fail as a real one does when its application port
    /// is taken: its script's `ZnServer startDefaultOn:` names a port that the listener
    /// answered holds (the REPL port stays), so the double dies during its start.
    pub fn occupy_app_port(&self, inst: &Inst) -> TcpListener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let busy = listener.local_addr().unwrap().port();
        let script = self.read(&format!("{}.st", inst.name));
        let from = format!("ZnServer startDefaultOn: {}.", inst.app_port);
        assert!(script.contains(&from), "{script}");
        self.script(
            &inst.name,
            &script.replace(&from, &format!("ZnServer startDefaultOn: {busy}.")),
        );
        listener
    }
}

/// A local process that is no VM squatting a loopback port: an HTTP server that answers
/// `/repl` like Zinc and records the first line of every request it gets. It stops when
/// dropped.
pub struct Squatter {
    port: u16,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Squatter {
    /// Binds `port` on 127.0.0.1 (it must be free) and serves it from a thread.
    pub fn bind(port: u16) -> Squatter {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen, stopped) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let text = String::from_utf8_lossy(&head).to_string();
                seen.lock()
                    .unwrap()
                    .push(text.lines().next().unwrap_or("").to_string());
                let body = "# Pharo Smalltalk REPL. POST expressions to evaluate\n";
                let _ = write!(
                    stream,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain;charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Squatter {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// The first lines of the requests it got, in order.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Squatter {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs each behaviour (a function taking a [`Layout`]) on each layout, as
/// `MODULE::LAYOUT::BEHAVIOUR`.
macro_rules! on_each_layout {
    ($($behaviour:ident),* $(,)?) => {
        mod direct {
            $(#[test] fn $behaviour() { super::$behaviour(super::Layout::Direct) })*
        }
        mod zeroconf {
            $(#[test] fn $behaviour() { super::$behaviour(super::Layout::Zeroconf) })*
        }
        mod script {
            $(#[test] fn $behaviour() { super::$behaviour(super::Layout::Script) })*
        }
    };
}
pub(crate) use on_each_layout;
