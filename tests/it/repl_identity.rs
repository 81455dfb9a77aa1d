//! The REPL is the instance's own, on every launch layout: nothing — no shutdown request, no
//! code, no probe — reaches a socket on its REPL's address that another process holds, be it
//! an image of another directory on the same port or a local process squatting it, and the
//! instance's own REPL is found from its VM when the script says wrong.

use crate::harness::*;
use serde_json::Value;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

on_each_layout!(
    another_directorys_image_on_the_same_port_is_never_asked,
    an_image_whose_repl_never_bound_is_stopped_without_asking_the_other,
    a_script_edited_after_the_start_does_not_redirect_anything,
    a_squatter_gets_no_request_at_all,
    a_squatter_appearing_during_the_start_fails_it,
);

/// Instance `a` of its own directory, running with an events file, and instance `b` of
/// another directory whose script names the same REPL port; both on `layout`.
fn two_directories(layout: Layout) -> (Env, Inst, Env, Inst) {
    let env_a = Env::with_layout(layout);
    let a = env_a.instance("a");
    let events = env_a.file("a.events");
    env_a.start_with(&a, &[("PHARO_DOUBLE_EVENTS", events.to_str().unwrap())]);
    let env_b = Env::with_layout(layout);
    let b = env_b.instance("b");
    let script = env_b.read("b.st");
    env_b.script(
        "b",
        &script.replace(
            &format!("startInServerOn: {}.", b.repl_port),
            &format!("startInServerOn: {}.", a.repl_port),
        ),
    );
    (env_a, a, env_b, b)
}

/// What reached `a` of [`two_directories`]: no POST may, and it still answers.
fn a_was_never_asked(env_a: &Env, a: &Inst) {
    let events = env_a.read("a.events");
    assert!(!events.contains("POST /repl"), "a got a request: {events}");
    assert!(repl_answers(a.repl_port), "a's REPL no longer answers");
    env_a.cmd().args(["status", "--probe", "a"]).run().success();
}

/// Spawns `b`'s VM by hand, running on without a REPL when its port is taken (as an image
/// under `--no-quit` does), and waits until it has said so.
fn spawn_without_repl(env: &Env, name: &str) -> Spawned {
    let events = env.file(&format!("{name}.events"));
    let vm = env.spawn_by_hand_with(
        name,
        &[
            ("PHARO_DOUBLE_NO_QUIT", "1"),
            ("PHARO_DOUBLE_EVENTS", events.to_str().unwrap()),
        ],
    );
    wait_until("the VM to run on without its REPL", LIMIT, || {
        std::fs::read_to_string(&events).is_ok_and(|e| e.contains("no REPL"))
    });
    vm
}

fn another_directorys_image_on_the_same_port_is_never_asked(layout: Layout) {
    let (env_a, a, env_b, _b) = two_directories(layout);
    let out = env_b.cmd().args(["eval", "b", "3 + 4"]).run();
    out.code(7)
        .stderr_has("b is not running, so nothing was sent");
    assert_eq!(out.stdout, "");
    one_error_line(&out);
    env_b
        .cmd()
        .args(["console", "b"])
        .stdin("3 + 4\n")
        .run()
        .code(7)
        .stderr_has("b is not running");
    // Its start is refused before anything is launched, naming the holder.
    for command in ["start", "run"] {
        let out = env_b.cmd().args([command, "b"]).run();
        out.code(6).stderr_has(&format!(
            "port {} is held by pid {}, the VM of {}",
            a.repl_port,
            env_a.vms()[0],
            env_a.file("a.image").display()
        ));
        one_error_line(&out);
    }
    assert!(env_b.processes().is_empty(), "b left a process");
    assert!(!env_b.exists("b.pid"));
    a_was_never_asked(&env_a, &a);
}

fn an_image_whose_repl_never_bound_is_stopped_without_asking_the_other(layout: Layout) {
    let (env_a, a, env_b, _b) = two_directories(layout);
    let _vm = spawn_without_repl(&env_b, "b");
    let held = "not by b's VM";
    env_b
        .cmd()
        .args(["status", "b"])
        .run()
        .success()
        .stdout_has(held);
    env_b.cmd().args(["status", "--probe", "b"]).run().code(1);
    let out = env_b.cmd().args(["status", "--json", "b"]).run();
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["repl"]["ok"], false, "{json}");
    assert!(
        json["repl"]["error"].as_str().unwrap().contains(held),
        "{json}"
    );
    let out = env_b.cmd().args(["eval", "b", "3 + 4"]).run();
    out.code(7).stderr_has(held);
    one_error_line(&out);
    env_b
        .cmd()
        .args(["stop", "b"])
        .run()
        .success()
        .stderr_has(&format!(
            "no shutdown request sent, so no grace period: port {} is held by pid",
            a.repl_port
        ))
        .stderr_has("terminated by SIGTERM");
    wait_until("nothing of b left", LIMIT, || env_b.processes().is_empty());
    a_was_never_asked(&env_a, &a);
}

fn a_script_edited_after_the_start_does_not_redirect_anything(layout: Layout) {
    let env_a = Env::with_layout(layout);
    let a = env_a.instance("a");
    let events = env_a.file("a.events");
    env_a.start_with(&a, &[("PHARO_DOUBLE_EVENTS", events.to_str().unwrap())]);
    let env_b = Env::with_layout(layout);
    let b = env_b.instance("b");
    env_b.start(&b);
    // b.st now names a's port; b's VM still holds its own.
    let script = env_b.read("b.st");
    env_b.script(
        "b",
        &script.replace(
            &format!("startInServerOn: {}.", b.repl_port),
            &format!("startInServerOn: {}.", a.repl_port),
        ),
    );
    env_b
        .cmd()
        .args(["eval", "b", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
    let out = env_b.cmd().args(["status", "--json", "b"]).run();
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    let own = format!("http://127.0.0.1:{}/repl", b.repl_port);
    let configured = format!("http://127.0.0.1:{}/repl", a.repl_port);
    assert_eq!(json["repl"]["url"], own.as_str(), "{json}");
    assert_eq!(
        json["repl"]["configured_url"],
        configured.as_str(),
        "{json}"
    );
    assert_eq!(json["repl"]["ok"], true, "{json}");
    env_b
        .cmd()
        .args(["stop", "b"])
        .run()
        .success()
        .stderr_has(&format!("to {own} (the REPL its VM holds"))
        .stderr_has("b stopped cooperatively");
    wait_until("nothing of b left", LIMIT, || env_b.processes().is_empty());
    a_was_never_asked(&env_a, &a);
}

fn a_squatter_gets_no_request_at_all(layout: Layout) {
    let env = Env::with_layout(layout);
    let b = env.instance("b");
    let squatter = Squatter::bind(b.repl_port);
    let me = std::process::id();
    for args in [
        &["start", "--wait", "b"][..],
        &["restart", "b"],
        &["run", "b"],
    ] {
        let out = env.cmd().args(args).run();
        out.code(6)
            .stderr_has(&format!("port {} is held by pid {me}", b.repl_port));
        one_error_line(&out);
    }
    assert!(env.processes().is_empty(), "b left a process");
    let _vm = spawn_without_repl(&env, "b");
    env.cmd()
        .args(["status", "b"])
        .run()
        .success()
        .stdout_has("not by b's VM");
    env.cmd()
        .args(["eval", "b", "Smalltalk at: #Secret"])
        .run()
        .code(7);
    env.cmd()
        .args(["stop", "b"])
        .run()
        .success()
        .stderr_has("terminated by SIGTERM");
    wait_until("nothing of b left", LIMIT, || env.processes().is_empty());
    assert_eq!(squatter.requests(), Vec::<String>::new());
}

fn a_squatter_appearing_during_the_start_fails_it(layout: Layout) {
    squatter_during(layout, &["start", "--wait", "b"], "b failed to start: ");
}

/// Runs `args` (a start of b whose VM binds its REPL late), binds a squatter on b's port once
/// the VM runs, and checks that the start fails with `said` and the holder, that nothing of b
/// is left, and that the squatter got no request.
fn squatter_during(layout: Layout, args: &[&str], said: &str) {
    let env = Env::with_layout(layout);
    let b = env.instance("b");
    let start = env
        .cmd()
        .env("PHARO_DOUBLE_START_DELAY_MS", "1500")
        .env("PHARO_DOUBLE_NO_QUIT", "1")
        .args(args)
        .spawn();
    // The VM proper runs: the check before the launch is over.
    wait_until("b's VM", LIMIT, || !env.vms().is_empty());
    let squatter = Squatter::bind(b.repl_port);
    let out = start.finish();
    out.code(1).stderr_has(&format!(
        "{said}port {} is held by pid {}",
        b.repl_port,
        std::process::id()
    ));
    wait_until("nothing of b left", LIMIT, || env.processes().is_empty());
    assert!(!env.exists("b.pid"));
    assert_eq!(squatter.requests(), Vec::<String>::new());
}

#[test]
fn a_repl_the_script_does_not_name_is_found_from_the_vm() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.script(
        "zinc",
        "ZnReadEvalPrintDelegate startInServerOn: (OSEnvironment current at: 'ZINC_REPL') asNumber.\n\
         Smalltalk at: #ShutdownSequence put: [ Smalltalk snapshot: false andQuit: true ].\n",
    );
    let port = inst.repl_port.to_string();
    env.cmd()
        .env("ZINC_REPL", &port)
        .args(["start", "--wait", "zinc"])
        .run()
        .success();
    env.cmd()
        .args(["eval", "zinc", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
    let own = format!("http://127.0.0.1:{port}/repl");
    let out = env.cmd().args(["status", "--json", "zinc"]).run();
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["repl"]["url"], own.as_str(), "{json}");
    assert_eq!(json["repl"]["ok"], true, "{json}");
    let out = env.cmd().args(["ps", "--json"]).run();
    let rows: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    let image = env.file("zinc.image");
    let row = rows
        .iter()
        .find(|row| row["image"] == image.to_str().unwrap())
        .expect("zinc in ps");
    assert_eq!(row["repl"], own.as_str(), "{row}");
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc stopped cooperatively");
}

#[test]
fn the_expanded_form_of_the_repl_start_is_read_from_the_script() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.script(
        "zinc",
        &format!(
            "(ZnServer on: {})\n  bindingAddress: NetNameResolver loopBackAddress;\n  delegate: ZnReadEvalPrintDelegate new;\n  start.\n\
             Smalltalk at: #ShutdownSequence put: [ Smalltalk snapshot: false andQuit: true ].\n",
            inst.repl_port
        ),
    );
    env.cmd()
        .args(["start", "--wait", "zinc"])
        .run()
        .success()
        .stderr_has(&format!(
            "the REPL at http://127.0.0.1:{}/repl",
            inst.repl_port
        ));
    env.cmd()
        .args(["eval", "zinc", "6 * 7"])
        .run()
        .success()
        .stdout_is("42\n");
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("zinc stopped cooperatively");
}

#[test]
fn run_takes_no_squatters_word_for_readiness() {
    squatter_during(Layout::Direct, &["run", "b"], "b did not become ready: ");
}

#[test]
fn a_plain_start_fails_on_a_squatter_that_appears_during_it() {
    squatter_during(Layout::Direct, &["start", "b"], "b failed to start: ");
}
