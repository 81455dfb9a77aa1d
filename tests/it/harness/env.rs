//! A test's directory: instances and their files, the VM test double launched through the
//! layouts real installations have, and the guard that kills every process of the directory
//! when the test ends.

use super::*;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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

/// The unprivileged user (and group) of [`Env::as_nobody`].
pub const NOBODY: u32 = 65534;

/// How [`Env::as_nobody`] runs pharo-ctl.
const NOBODY_WRAPPER: [&str; 4] = [
    "setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
];

/// Runs pharo-ctl in an [`Env`] as the user nobody.
pub struct NobodyCmd<'a> {
    env: &'a Env,
}

impl NobodyCmd<'_> {
    pub fn cmd(&self) -> Cmd {
        self.env.cmd_via(&NOBODY_WRAPPER)
    }
}
