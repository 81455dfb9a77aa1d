//! Who counts as the image's VM: a tool that merely names the image file is never taken for
//! it; a VM of any name counts when it is the VM pharo-ctl would run; a process whose identity
//! cannot be told is neither acted on nor called stale; root does not trust another user's
//! pid file.

use crate::harness::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn a_tool_that_names_the_image_is_not_taken_for_the_vm() {
    let env = Env::new();
    env.instance("zinc");
    let tail = Spawned::new("tail", &["-f", "zinc.image"], env.path());
    wait_until("tail to name the image", LIMIT, || {
        std::fs::read(format!("/proc/{}/cmdline", tail.pid()))
            .is_ok_and(|c| c.windows(10).any(|w| w == b"zinc.image"))
    });
    env.cmd().args(["status", "zinc"]).run().code(3);
    env.cmd().args(["pid", "zinc"]).run().code(3);
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("not running");
    assert!(alive(tail.pid()), "tail was signalled");
    let ps = env.cmd().args(["ps", "--json"]).run();
    ps.success();
    assert!(
        !ps.stdout.contains(&format!("\"pid\": {},", tail.pid())),
        "ps lists tail as a VM: {}",
        ps.stdout
    );
}

#[test]
fn a_vm_of_any_name_is_found_when_it_is_the_vm_pharo_ctl_would_run() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = env.file("smalltalk-vm");
    std::fs::copy(double(), &vm).unwrap();
    let vm = vm.to_str().unwrap();
    env.cmd()
        .args(["--vm", vm, "start", "--wait", "zinc"])
        .run()
        .success();
    let pid = env.pid_of(&inst.name);
    std::fs::remove_file(env.file("zinc.pid")).unwrap();
    env.cmd()
        .args(["--vm", vm, "pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{pid}\n"));
    env.cmd()
        .args(["--vm", vm, "stop", "zinc"])
        .run()
        .success()
        .stderr_has("stopped cooperatively");
    assert!(!alive(pid));
}

#[test]
fn a_vm_whose_identity_cannot_be_told_is_neither_stopped_nor_called_stale() {
    let env = Env::new();
    env.instance("zinc");
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    // Root's VM names its image by a relative path; nobody cannot read its working directory.
    let vm = Spawned::new(
        double(),
        &["--headless", "zinc.image", "zinc.st"],
        env.path(),
    );
    std::fs::write(env.file("zinc.pid"), format!("{}\n", vm.pid())).unwrap();
    wait_until("the VM to run its image", LIMIT, || {
        std::fs::read(format!("/proc/{}/cmdline", vm.pid()))
            .is_ok_and(|c| c.windows(10).any(|w| w == b"zinc.image"))
    });
    let status = nobody.cmd().args(["status", "zinc"]).run();
    status.code(4).stderr_has("cannot tell whether pid");
    let stop = nobody.cmd().args(["stop", "zinc"]).run();
    stop.code(4).stderr_has("working directory cannot be read");
    assert!(alive(vm.pid()), "the VM was stopped");
    assert!(env.exists("zinc.pid"), "the live VM's pid file was removed");
    // Root can tell, and finds it.
    env.cmd()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{}\n", vm.pid()));
}

#[test]
fn root_does_not_trust_a_pid_file_another_user_owns() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: not root, so the pid file cannot be given to another user");
        return;
    }
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    let nobody = Some(nix::unistd::Uid::from_raw(65534));
    nix::unistd::chown(&env.file("zinc.pid"), nobody, None).unwrap();
    let out = env.cmd().args(["stop", "zinc"]).run();
    out.code(4)
        .stderr_has("not trusting the pid file")
        .stderr_has("sudo -u");
    assert!(alive(pid), "the VM was stopped on an untrusted pid file");
    env.cmd().args(["status", "zinc"]).run().code(4);
    // Given back to root, it is trusted again.
    nix::unistd::chown(
        &env.file("zinc.pid"),
        Some(nix::unistd::Uid::from_raw(0)),
        None,
    )
    .unwrap();
    env.cmd().args(["stop", "zinc"]).run().success();
    assert!(!alive(pid));
}
