//! A REPL that asks for credentials (`ZnBasicAuthenticator`, the password read at start-up
//! from `NAME.repl-secret`): every command with the right secret, with none, with a wrong
//! one, with one others may read and with one pharo-ctl may not read; and the proof that a
//! request without them is turned away and evaluates nothing.

use crate::harness::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(30);

/// The secret every protected instance of these tests has: never to be seen in any output.
const SECRET: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0s3cr3t";

/// An instance whose REPL asks for the credentials of `NAME.repl-secret` (mode 0600), in the
/// form `pharo-ctl init` writes; the double records its REPL requests in `NAME.events`.
fn protected(env: &Env, name: &str) -> Inst {
    protected_with(
        env,
        name,
        &format!("(Smalltalk imageDirectory / '{name}.repl-secret') contents trimBoth"),
    )
}

/// A protected instance whose authenticator's password is `password` (Smalltalk).
fn protected_with(env: &Env, name: &str, password: &str) -> Inst {
    let inst = env.instance(name);
    env.script(
        name,
        &format!(
            "\"The REPL asks for credentials.\"\n\
             (ZnServer on: {})\n\
             \x20 bindingAddress: NetNameResolver loopBackAddress;\n\
             \x20 delegate: ZnReadEvalPrintDelegate new;\n\
             \x20 authenticator: (ZnBasicAuthenticator\n\
             \x20   username: 'pharo-ctl'\n\
             \x20   password: {password});\n\
             \x20 start.\n\n\
             Smalltalk at: #ShutdownSequence put: [\n\
             \x20 'Starting ShutdownSequence...' crTrace.\n\
             \x20 'Completed ShutdownSequence successfully' crTrace.\n\
             \x20 Smalltalk snapshot: false andQuit: true ].\n",
            inst.repl_port
        ),
    );
    let secret = format!("{name}.repl-secret");
    std::fs::write(env.file(&secret), format!("{SECRET}\n")).unwrap();
    env.chmod(&secret, 0o600);
    inst
}

/// Starts a protected instance, its REPL requests recorded in `NAME.events`.
fn start(env: &Env, inst: &Inst) -> i32 {
    let events = env.file(&format!("{}.events", inst.name));
    env.start_with(inst, &[("PHARO_DOUBLE_EVENTS", events.to_str().unwrap())])
}

#[track_caller]
fn no_secret_in(out: &Outcome) {
    assert!(
        !out.stdout.contains(SECRET) && !out.stderr.contains(SECRET),
        "the secret was printed:\n{}\n{}",
        out.stdout,
        out.stderr
    );
}

#[test]
fn a_request_without_the_credentials_gets_401_and_evaluates_nothing() {
    let env = Env::new();
    let inst = protected(&env, "zinc");
    start(&env, &inst);
    let post = |extra: &str| {
        let body = "Transcript show: 'EVALUATED'; cr. 6 * 7";
        http(
            inst.repl_port,
            &format!(
                "POST /repl HTTP/1.1\r\nHost: localhost\r\n{extra}Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    let wrong = format!(
        "Authorization: Basic {}\r\n",
        base64("pharo-ctl:not-the-secret")
    );
    for answer in [
        post(""),
        post(&wrong),
        http(
            inst.repl_port,
            "GET /repl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        ),
    ] {
        assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
        assert!(
            answer.contains("\r\nWWW-Authenticate: Basic realm=ZincHTTPComponents\r\n"),
            "{answer}"
        );
        assert!(!answer.contains("42"), "{answer}");
    }
    // With them, the same request is evaluated: the proof that the others would have been.
    let right = format!(
        "Authorization: Basic {}\r\n",
        base64(&format!("pharo-ctl:{SECRET}"))
    );
    let answer = post(&right);
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(answer.ends_with("42\n"), "{answer}");
    wait_until("the evaluation's output in the log", LIMIT, || {
        env.read("zinc.log").contains("EVALUATED")
    });
    assert_eq!(env.read("zinc.log").matches("EVALUATED").count(), 1);
    let events = env.read("zinc.events");
    assert_eq!(events.matches("401 POST /repl").count(), 2, "{events}");
    assert_eq!(events.matches("401 GET /repl").count(), 1, "{events}");
    assert_eq!(
        events.matches("POST /repl Transcript").count(),
        1,
        "{events}"
    );
}

#[test]
fn every_command_sends_the_credentials() {
    let env = Env::new();
    let inst = protected(&env, "zinc");
    let other = protected(&env, "other");
    let mut outs = Vec::new();
    start(&env, &inst);
    start(&env, &other);
    let out = env.cmd().args(["eval", "zinc", "3 + 4"]).run();
    out.success().stdout_is("7\n");
    outs.push(out);
    let out = env.cmd().args(["console", "zinc"]).stdin("3 + 4\n").run();
    out.success().stdout_is("7\n");
    outs.push(out);
    let out = env.cmd().args(["status", "zinc"]).run();
    out.success()
        .stdout_has("ok (")
        .stdout_has("credentials required");
    outs.push(out);
    let out = env.cmd().args(["status", "--json", "zinc"]).run();
    out.success();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["repl"]["ok"], true, "{json}");
    assert_eq!(json["repl"]["auth"], "basic", "{json}");
    assert_eq!(json["hung"], false, "{json}");
    outs.push(out);
    let out = env.cmd().args(["status", "--probe", "zinc"]).run();
    out.success();
    let out = env.cmd().args(["status", "--all"]).run();
    out.success().stdout_has("(auth)");
    outs.push(out);
    let out = env.cmd().args(["stop", "other"]).run();
    out.success().stderr_has("stopped cooperatively");
    outs.push(out);
    outs.iter().for_each(no_secret_in);
    // Only status's probe without them, which tells whether the REPL asks for them, is
    // turned away.
    for name in ["zinc", "other"] {
        let events = env.read(&format!("{name}.events"));
        assert!(!events.contains("401 POST"), "{name}: {events}");
        assert!(events.contains("POST /repl"), "{name}: {events}");
    }
    // The launcher: readiness, the watchdog's probes, the shutdown request.
    let events = env.file("run.events");
    env.cmd().args(["stop", "zinc"]).run().success();
    let mut running = env
        .cmd()
        .env("PHARO_DOUBLE_EVENTS", &events)
        .args(["run", "zinc", "--watchdog", "100ms"])
        .spawn();
    running.wait_stderr("zinc is running", LIMIT);
    wait_until("three probes of the watchdog", LIMIT, || {
        env.read("run.events").matches("GET /repl").count() >= 4
    });
    running.signal(libc::SIGTERM);
    let out = running.finish();
    out.success()
        .stdout_has("Completed ShutdownSequence successfully");
    no_secret_in(&out);
    let events = env.read("run.events");
    assert!(!events.contains("401"), "{events}");
    assert!(events.contains("POST /repl ShutdownSequence"), "{events}");
}

#[test]
fn without_the_credentials_eval_and_console_exit_4_status_says_so_and_stop_wastes_no_grace() {
    let env = Env::new();
    let inst = protected(&env, "zinc");
    start(&env, &inst);
    // The secret the image read at start-up is no longer pharo-ctl's to read.
    std::fs::rename(env.file("zinc.repl-secret"), env.file("elsewhere")).unwrap();
    let out = env.cmd().args(["eval", "zinc", "3 + 4"]).run();
    out.code(4)
        .stderr_has("asks for credentials and pharo-ctl has none");
    one_error_line(&out);
    env.cmd()
        .args(["console", "zinc"])
        .stdin("3 + 4\n")
        .run()
        .code(4)
        .stderr_has("asks for credentials and pharo-ctl has none");
    env.cmd()
        .args(["status", "zinc"])
        .run()
        .success()
        .stdout_has("asks for credentials");
    let out = env.cmd().args(["status", "--json", "zinc"]).run();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["repl"]["ok"], false, "{json}");
    assert_eq!(json["repl"]["auth"], "basic", "{json}");
    assert_eq!(json["hung"], false, "{json}");
    // No grace: a stop that waited for the image would take the whole minute.
    let out = env.cmd().args(["stop", "zinc", "--timeout", "60s"]).run();
    out.success()
        .stderr_has("asks for credentials and pharo-ctl has none, so no grace period")
        .stderr_has("terminated by SIGTERM");
    assert!(out.elapsed < Duration::from_secs(30), "{:?}", out.elapsed);
    let events = env.read("zinc.events");
    assert!(events.contains("401 POST /repl"), "{events}");
    assert!(!events.contains("POST /repl ShutdownSequence"), "{events}");
}

#[test]
fn a_start_whose_repl_asks_for_credentials_pharo_ctl_lacks_fails() {
    let env = Env::new();
    // The image has its password; pharo-ctl has no secret file.
    let inst = protected_with(&env, "zinc", "'a password of its own'");
    std::fs::remove_file(env.file("zinc.repl-secret")).unwrap();
    let out = env.cmd().args(["start", "--wait", "zinc"]).run();
    out.code(1)
        .stderr_has("asks for credentials and pharo-ctl has none; stopping the VM")
        .stderr_has("zinc failed to start");
    assert!(env.vms().is_empty(), "{:?}", env.vms());
    assert!(!env.exists("zinc.pid"));
    // run alike.
    let out = env.cmd().args(["run", "zinc"]).run();
    out.code(1).stderr_has("did not become ready");
    assert!(env.vms().is_empty(), "{:?}", env.vms());
    // A wrong secret is refused, not missing.
    std::fs::write(env.file("wrong"), "not the password\n").unwrap();
    env.chmod("wrong", 0o600);
    env.cmd()
        .env("PHARO_REPL_SECRET_FILE", env.file("wrong"))
        .args(["start", "--wait", "zinc"])
        .run()
        .code(1)
        .stderr_has("asks for credentials and refused pharo-ctl's");
    assert!(env.vms().is_empty(), "{:?}", env.vms());
    assert!(!listening(inst.repl_port));
}

#[test]
fn a_wrong_secret_is_refused() {
    let env = Env::new();
    let inst = protected(&env, "zinc");
    start(&env, &inst);
    std::fs::write(env.file("wrong"), "not the password\n").unwrap();
    env.chmod("wrong", 0o600);
    for cmd in [
        env.cmd()
            .args(["eval", "zinc", "--repl-secret", "wrong", "3 + 4"]),
        env.cmd()
            .env("PHARO_REPL_SECRET_FILE", env.file("wrong"))
            .args(["eval", "zinc", "3 + 4"]),
    ] {
        let out = cmd.run();
        out.code(4).stderr_has("refused pharo-ctl's");
        one_error_line(&out);
    }
    env.cmd()
        .args(["status", "zinc", "--repl-secret", "wrong"])
        .run()
        .success()
        .stdout_has("asks for credentials and refused pharo-ctl's");
    // The right one given by name works as the default does.
    std::fs::rename(env.file("zinc.repl-secret"), env.file("right")).unwrap();
    env.cmd()
        .args(["eval", "zinc", "--repl-secret", "right", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
}

#[test]
fn a_secret_others_may_read_is_refused_before_anything_is_sent() {
    let env = Env::new();
    let inst = protected(&env, "zinc");
    start(&env, &inst);
    env.chmod("zinc.repl-secret", 0o640);
    for args in [
        &["eval", "zinc", "3 + 4"][..],
        &["status", "zinc"],
        &["stop", "zinc"],
    ] {
        let out = env.cmd().args(args).run();
        out.code(4)
            .stderr_has("chmod 600")
            .stderr_has("zinc.repl-secret");
        one_error_line(&out);
        no_secret_in(&out);
    }
    let events = env.read("zinc.events");
    assert!(!events.contains("POST /repl 3"), "{events}");
    assert!(!env.vms().is_empty());
    env.chmod("zinc.repl-secret", 0o600);
    env.cmd().args(["stop", "zinc"]).run().success();
    // Nor does a start begin.
    env.chmod("zinc.repl-secret", 0o604);
    env.cmd()
        .args(["start", "zinc"])
        .run()
        .code(4)
        .stderr_has("chmod 600");
    assert!(env.vms().is_empty(), "{:?}", env.vms());
}

#[test]
fn a_secret_pharo_ctl_may_not_read_says_whose_it_is() {
    let env = Env::new();
    let Some(nobody) = env.as_nobody() else {
        return;
    };
    let inst = protected(&env, "zinc");
    start(&env, &inst);
    let out = nobody.cmd().args(["eval", "zinc", "3 + 4"]).run();
    out.code(4)
        .stderr_has("it is root's")
        .stderr_has("sudo -u root pharo-ctl");
    one_error_line(&out);
    let events = env.read("zinc.events");
    assert!(!events.contains("POST /repl 3"), "{events}");
}

#[test]
fn a_squatter_on_the_port_never_receives_the_credentials() {
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};
    let env = Env::new();
    let inst = protected(&env, "zinc");
    // Another process holds the REPL's port first, and answers like a REPL would.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", inst.repl_port)).unwrap();
    let heard = Arc::new(Mutex::new(Vec::<u8>::new()));
    let ears = Arc::clone(&heard);
    std::thread::spawn(move || {
        for stream in squatter.incoming() {
            let Ok(mut stream) = stream else { return };
            let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
            let mut buf = [0u8; 4096];
            if let Ok(n) = stream.read(&mut buf) {
                ears.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n7\n");
        }
    });
    // A start is refused before anything is sent.
    env.cmd().args(["start", "--wait", "zinc"]).run().code(6);
    // The image runs on without its REPL, which could not bind (as with --no-quit).
    env.executable(
        "vm",
        &format!(
            "#!/bin/sh\nPHARO_DOUBLE_NO_QUIT=1 exec {} \"$@\"\n",
            double().display()
        ),
    );
    let _vm = Spawned::new(
        env.file("vm"),
        &["--headless", "zinc.image", "zinc.st"],
        env.path(),
    );
    wait_until("the VM to be found", LIMIT, || {
        env.cmd().args(["pid", "zinc"]).run().any_code().code == Some(0)
    });
    let out = env.cmd().args(["eval", "zinc", "3 + 4"]).run();
    out.code(7).stderr_has("not sent");
    no_secret_in(&out);
    let out = env.cmd().args(["status", "zinc"]).run();
    no_secret_in(out.any_code());
    let out = env.cmd().args(["status", "--all"]).run();
    no_secret_in(out.any_code());
    let out = env.cmd().args(["console", "zinc"]).stdin("3 + 4\n").run();
    assert_ne!(out.any_code().code, Some(0), "{}", out.stdout);
    let out = env.cmd().args(["stop", "zinc"]).run();
    out.success();
    no_secret_in(&out);
    let heard = String::from_utf8_lossy(&heard.lock().unwrap()).into_owned();
    assert!(!heard.contains("Authorization"), "{heard}");
    assert!(heard.is_empty(), "the squatter was sent: {heard}");
}

#[test]
fn a_protected_repl_the_script_no_longer_names_is_found_with_the_credentials() {
    let env = Env::new();
    let inst = protected(&env, "zinc");
    start(&env, &inst);
    // The script is edited after the start: its port is no longer the REPL's.
    let script = env.read("zinc.st");
    let elsewhere = free_port();
    env.script(
        "zinc",
        &script.replace(&inst.repl_port.to_string(), &elsewhere.to_string()),
    );
    env.cmd()
        .args(["eval", "zinc", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
}

#[test]
fn the_unit_names_the_secret_file_never_the_secret_and_warns_of_its_owner() {
    let env = Env::new();
    protected(&env, "zinc");
    // The service runs as the user running the test, who owns the secret.
    let me = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .unwrap()
        .unwrap()
        .name;
    let out = env.cmd().args(["unit", "zinc", "--user", &me]).run();
    out.success();
    no_secret_in(&out);
    assert!(!out.stdout.contains("--repl-secret"), "{}", out.stdout);
    let out = env
        .cmd()
        .args([
            "unit",
            "zinc",
            "--user",
            &me,
            "--repl-secret",
            "zinc.repl-secret",
        ])
        .run();
    out.success().stdout_has(&format!(
        "--repl-secret {}",
        env.file("zinc.repl-secret").display()
    ));
    no_secret_in(&out);
    // SAFETY: geteuid only reads this process's effective user id.
    if unsafe { libc::geteuid() } == 0 {
        // A service user must be able to write the instance's files.
        env.chown_to_nobody("");
        env.cmd()
            .args(["unit", "zinc", "--user", "nobody"])
            .run()
            .success()
            .stderr_has("chown nobody");
        env.chown_to_nobody("zinc.repl-secret");
        let out = env.cmd().args(["unit", "zinc", "--user", "nobody"]).run();
        out.success();
        assert!(!out.stderr.contains("chown"), "{}", out.stderr);
    }
}

#[test]
fn ps_finds_a_protected_repl_and_names_its_secret_file() {
    let env = Env::new();
    let inst = protected(&env, "zinc");
    let pid = start(&env, &inst);
    let out = env.cmd().args(["ps", "--json"]).run();
    out.success();
    no_secret_in(&out);
    let rows: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["pid"] == pid)
        .unwrap_or_else(|| panic!("{rows}"));
    assert_eq!(
        row["repl"],
        format!("http://127.0.0.1:{}/repl", inst.repl_port),
        "{row}"
    );
    assert_eq!(
        row["repl_secret"],
        env.file("zinc.repl-secret").to_str().unwrap(),
        "{row}"
    );
    let events = env.read("zinc.events");
    assert!(!events.contains("401"), "{events}");
}

/// Standard base64, as a client of HTTP Basic writes it.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}
