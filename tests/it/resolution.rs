//! The command line resolved once: an instance that does not exist is named as such, eval
//! picks its REPL as every command picks its instance, an instance's files live beside its
//! image, and each hint names what was typed.

use crate::harness::*;

/// Starts an instance whose double records its REPL requests in `NAME.events`.
fn start_recorded(env: &Env, inst: &Inst) -> i32 {
    let events = env.file(&format!("{}.events", inst.name));
    env.start_with(inst, &[("PHARO_DOUBLE_EVENTS", events.to_str().unwrap())])
}

fn posts(env: &Env, name: &str) -> usize {
    env.read(&format!("{name}.events"))
        .lines()
        .filter(|line| line.starts_with("POST /repl"))
        .count()
}

#[test]
fn a_name_that_is_no_instance_is_exit_6_for_every_instance_command() {
    let env = Env::new();
    env.instance("zinc");
    let said = format!(
        "error: no instance zinx in {} (instances: zinc)",
        env.path().display()
    );
    for args in [
        &["start", "zinx"][..],
        &["stop", "zinx"],
        &["restart", "zinx"],
        &["status", "zinx"],
        &["pid", "zinx"],
        &["run", "zinx"],
        &["unit", "zinx"],
        &["eval", "zinx", "3 + 4"],
    ] {
        let out = env.cmd().args(args).run();
        out.code(6).stderr_has(&said);
        one_error_line(&out);
    }
    assert!(env.vms().is_empty());
    assert!(!env.exists("zinx.pid") && !env.exists("zinx.log"));
}

#[test]
fn a_vm_whose_image_was_deleted_is_still_found_and_stopped() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    std::fs::remove_file(env.file("zinc.image")).unwrap();
    // Named by its pid file.
    env.cmd()
        .args(["pid", "zinc"])
        .run()
        .success()
        .stdout_is(&format!("{pid}\n"));
    // Named by nothing but the running VM.
    std::fs::remove_file(env.file("zinc.pid")).unwrap();
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc stopped cooperatively");
    assert!(!alive(pid));
    env.cmd().args(["status", "zinc"]).run().code(6);
}

#[test]
fn eval_takes_the_repl_of_the_instance_named() {
    let env = Env::new();
    let zinc = env.instance("zinc");
    let seaside = env.instance("seaside");
    start_recorded(&env, &zinc);
    start_recorded(&env, &seaside);
    // Two images and no NAME: refused, and nothing is sent anywhere.
    let out = env.cmd().args(["eval", "3 + 4"]).run();
    out.code(2).stderr_has(&format!(
        "{} holds several images (seaside, zinc): say which REPL to use, e.g. `pharo-ctl eval seaside EXPR`",
        env.path().display()
    ));
    one_error_line(&out);
    assert_eq!((posts(&env, "zinc"), posts(&env, "seaside")), (0, 0));
    // So does the console.
    let out = env.cmd().args(["console"]).stdin("3 + 4").run();
    out.code(2)
        .stderr_has("holds several images (seaside, zinc)");
    one_error_line(&out);
    assert_eq!((posts(&env, "zinc"), posts(&env, "seaside")), (0, 0));

    env.cmd()
        .args(["eval", "seaside", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
    assert_eq!((posts(&env, "zinc"), posts(&env, "seaside")), (0, 1));
    env.cmd()
        .args(["eval", "--image", "zinc.image", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
    env.cmd()
        .args(["eval", "--script", "zinc.st", "3 + 4"])
        .run()
        .success();
    let zinc_repl = format!("http://127.0.0.1:{}/repl", zinc.repl_port);
    env.cmd()
        .args(["eval", "--repl", &zinc_repl, "3 + 4"])
        .run()
        .success();
    // NAME, then the expression from standard input.
    env.cmd()
        .args(["eval", "zinc", "-"])
        .stdin("6 * 7")
        .run()
        .success()
        .stdout_is("42\n");
    assert_eq!((posts(&env, "zinc"), posts(&env, "seaside")), (4, 1));
}

#[test]
fn the_files_of_an_image_elsewhere_are_beside_it() {
    let env = Env::new();
    std::fs::create_dir(env.file("a")).unwrap();
    std::fs::create_dir(env.file("b")).unwrap();
    let inst = env.instance("zinc");
    for file in ["zinc.image", "zinc.st"] {
        std::fs::rename(env.file(file), env.file(&format!("a/{file}"))).unwrap();
    }
    // From b/, as an operator who typed `pharo-ctl --image ../a/zinc.image start --wait`.
    let here = |args: &[&str]| {
        Cmd::program(env.pharo_ctl(), &env.file("b"))
            .env("PHARO_VM", env.double())
            .args(args)
            .run()
    };
    // The startup script beside the image is used: its REPL answers on its port.
    here(&["--image", "../a/zinc.image", "start", "--wait"])
        .success()
        .stderr_has(&format!("127.0.0.1:{}", inst.repl_port));
    let pid = env.pid_of("a/zinc");
    assert!(env.exists("a/zinc.log"));
    assert!(!env.exists("b/zinc.pid") && !env.exists("b/zinc.log"));
    let status = here(&["--image", "../a/zinc.image", "status"]);
    status
        .success()
        .stdout_has(&format!("PID file: {}", env.file("a/zinc.pid").display()))
        .stdout_has(&format!("Log: {}", env.file("a/zinc.log").display()));
    assert!(!status.stdout.contains(".."), "{}", status.stdout);
    here(&["--image", "../a/zinc.image", "stop"]).success();
    assert!(!alive(pid));
    assert!(!env.exists("a/zinc.pid"));
}

#[test]
fn hints_name_what_was_typed() {
    let env = Env::new();
    env.instance("zinc");
    std::fs::copy(env.file("zinc.st"), env.file("run-zn.st")).unwrap();
    // pharo-ctl.sh's order: IMAGE is what is missing, not run-zn.image.
    let out = env.cmd().args(["run-zn", "start", "nosuchimage"]).run();
    out.code(6).stderr_has(&format!(
        "no image at {}: check IMAGE of pharo-ctl.sh's order SCRIPT COMMAND IMAGE",
        env.file("nosuchimage.image").display()
    ));
    assert!(!out.stderr.contains("run-zn.image"), "{}", out.stderr);
    one_error_line(&out);
    // --image was passed: the hint does not ask for it.
    let out = env
        .cmd()
        .args(["--image", "/nonexistent/other.image", "start", "zinc"])
        .run();
    out.code(6)
        .stderr_has("no image at /nonexistent/other.image: check --image");
    assert!(!out.stderr.contains("pass --image"), "{}", out.stderr);
    one_error_line(&out);
    // No --script was given: SCRIPT of pharo-ctl.sh's order names the missing file.
    let out = env.cmd().args(["nosuch", "start", "zinc"]).run();
    out.code(6).stderr_has(&format!(
        "no startup script at {}: create it or check SCRIPT of pharo-ctl.sh's order",
        env.file("nosuch.st").display()
    ));
    assert!(!out.stderr.contains("--script"), "{}", out.stderr);
    one_error_line(&out);
    assert!(env.vms().is_empty());
}
