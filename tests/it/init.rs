//! `pharo-ctl init`: an instance made ready from an image, beside an existing script, with
//! `--print`, with `--image`, as root for another user; its secret's mode and owner; its port.

use crate::harness::*;
use std::os::unix::fs::MetadataExt;

fn mode(env: &Env, name: &str) -> u32 {
    std::fs::metadata(env.file(name)).unwrap().mode() & 0o7777
}

/// The files of the directory, sorted.
fn listing(env: &Env) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn an_image_becomes_a_running_protected_instance() {
    let env = Env::new();
    std::fs::write(env.file("zinc.image"), b"a Pharo image").unwrap();
    let out = env.cmd().args(["init"]).run();
    out.success()
        .stderr_has("wrote the REPL secret")
        .stderr_has("mode 0600")
        .stderr_has("start --wait zinc")
        .stderr_has("unit zinc --user");
    let secret = env.read("zinc.repl-secret");
    let secret = secret.trim();
    assert_eq!(secret.len(), 64, "{secret}");
    assert!(secret.chars().all(|c| c.is_ascii_hexdigit()), "{secret}");
    assert!(!out.stdout.contains(secret) && !out.stderr.contains(secret));
    assert_eq!(mode(&env, "zinc.repl-secret"), 0o600);
    let meta = std::fs::metadata(env.file("zinc.repl-secret")).unwrap();
    // SAFETY: geteuid only reads this process's effective user id.
    assert_eq!(meta.uid(), unsafe { libc::geteuid() });
    let script = env.read("zinc.st");
    assert!(script.contains("ZnBasicAuthenticator"), "{script}");
    assert!(
        script.contains("(Smalltalk imageDirectory / 'zinc.repl-secret') contents trimBoth"),
        "{script}"
    );
    assert!(
        script.contains("Smalltalk at: #ShutdownSequence put:"),
        "{script}"
    );
    // The next steps work, and the REPL is the protected one.
    env.cmd().args(["start", "--wait", "zinc"]).run().success();
    env.cmd()
        .args(["eval", "zinc", "3 + 4"])
        .run()
        .success()
        .stdout_is("7\n");
    let json = env.cmd().args(["status", "--json", "zinc"]).run();
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(json["repl"]["auth"], "basic", "{json}");
    let port = json["repl"]["url"]
        .as_str()
        .unwrap()
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches("/repl")
        .parse::<u16>()
        .unwrap();
    let answer = http(
        port,
        "GET /repl HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
    env.cmd()
        .args(["stop", "zinc"])
        .run()
        .success()
        .stderr_has("stopped cooperatively");
    // A second init changes nothing.
    let before = std::fs::read(env.file("zinc.repl-secret")).unwrap();
    env.cmd()
        .args(["init", "zinc"])
        .run()
        .success()
        .stderr_has("kept the REPL secret")
        .stderr_has("already starts the REPL with the secret's credentials");
    assert_eq!(std::fs::read(env.file("zinc.repl-secret")).unwrap(), before);
    assert_eq!(env.read("zinc.st"), script);
}

#[test]
fn beside_an_existing_script_it_prints_the_lines_to_add() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let script = env.read("zinc.st");
    let out = env.cmd().args(["init", "zinc"]).run();
    out.success()
        .stderr_has("exists and is left as it is")
        .stdout_has(&format!(
            "replace its `ZnReadEvalPrintDelegate startInServerOn: {}.` with",
            inst.repl_port
        ))
        .stdout_has(&format!("(ZnServer on: {})", inst.repl_port))
        .stdout_has("password: (Smalltalk imageDirectory / 'zinc.repl-secret') contents trimBoth");
    assert_eq!(env.read("zinc.st"), script, "the script was changed");
    assert_eq!(mode(&env, "zinc.repl-secret"), 0o600);
    // A script whose authenticator reads its password elsewhere cannot be helped.
    env.script(
        "zinc",
        "(ZnServer on: 1234) delegate: ZnReadEvalPrintDelegate new; authenticator: (ZnBasicAuthenticator username: 'ops' password: 'inline'); start.\n",
    );
    let out = env.cmd().args(["init", "zinc"]).run();
    out.code(6)
        .stderr_has("already gives its REPL an authenticator");
    one_error_line(&out);
}

#[test]
fn print_writes_nothing() {
    let env = Env::new();
    std::fs::write(env.file("zinc.image"), b"a Pharo image").unwrap();
    let before = listing(&env);
    let out = env.cmd().args(["init", "--print", "zinc"]).run();
    out.success()
        .stdout_has("ZnBasicAuthenticator")
        .stdout_has("Smalltalk at: #ShutdownSequence put:")
        .stderr_has("would write the REPL secret")
        .stderr_has("nothing was written");
    assert_eq!(listing(&env), before);
}

#[test]
fn an_image_given_is_copied_or_linked_never_over_another() {
    let env = Env::new();
    let source = tempfile::tempdir().unwrap();
    let image = source.path().join("app.image");
    std::fs::write(&image, b"the app's image").unwrap();
    std::fs::write(source.path().join("app.changes"), b"changes").unwrap();
    env.cmd()
        .args(["init", "zinc", "--image"])
        .args([&image])
        .run()
        .success()
        .stderr_has("copied");
    assert_eq!(env.read("zinc.image"), "the app's image");
    assert_eq!(env.read("zinc.changes"), "changes");
    assert!(
        !std::fs::symlink_metadata(env.file("zinc.image"))
            .unwrap()
            .is_symlink()
    );
    env.cmd()
        .args(["init", "linked", "--link", "--image"])
        .args([&image])
        .run()
        .success()
        .stderr_has("linked");
    assert_eq!(std::fs::read_link(env.file("linked.image")).unwrap(), image);
    // The two instances' REPLs are on two ports.
    let port = |name: &str| {
        let text = env.read(&format!("{name}.st"));
        let at = text.find("(ZnServer on: ").unwrap() + "(ZnServer on: ".len();
        text[at..].split(')').next().unwrap().to_string()
    };
    assert_ne!(port("zinc"), port("linked"));
    // Never over an image that is there.
    let out = env
        .cmd()
        .args(["init", "zinc", "--image"])
        .args([&image])
        .run();
    out.code(2).stderr_has("never overwrites");
    assert_eq!(env.read("zinc.image"), "the app's image");
    // No image at all.
    let out = env.cmd().args(["init", "nothing"]).run();
    out.code(6).stderr_has("no image at");
    assert!(!env.exists("nothing.st") && !env.exists("nothing.repl-secret"));
}

#[test]
fn the_port_is_free_on_the_host_and_in_the_directory() {
    let env = Env::new();
    std::fs::write(env.file("zinc.image"), b"a Pharo image").unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port();
    let named = free_port();
    env.script(
        "other",
        &format!("ZnReadEvalPrintDelegate startInServerOn: {named}.\n"),
    );
    let out = env
        .cmd()
        .args([
            "init",
            "zinc",
            "--print",
            "--repl-port",
            &taken_port.to_string(),
        ])
        .run();
    out.code(2).stderr_has("listens on it already");
    let out = env
        .cmd()
        .args(["init", "zinc", "--repl-port", &named.to_string()])
        .run();
    out.code(6).stderr_has("other.st");
    assert!(!env.exists("zinc.st") && !env.exists("zinc.repl-secret"));
    let port = free_port();
    env.cmd()
        .args(["init", "zinc", "--repl-port", &port.to_string()])
        .run()
        .success();
    assert!(
        env.read("zinc.st")
            .contains(&format!("(ZnServer on: {port})"))
    );
}

#[test]
fn as_root_the_secret_is_the_instance_user_s() {
    // SAFETY: geteuid only reads this process's effective user id.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: init --user needs the tests to run as root");
        return;
    }
    let env = Env::new();
    std::fs::write(env.file("zinc.image"), b"a Pharo image").unwrap();
    env.cmd()
        .args(["init", "zinc", "--user", "nobody"])
        .run()
        .success()
        .stderr_has("owner nobody")
        .stderr_has("sudo -u nobody pharo-ctl");
    let meta = std::fs::metadata(env.file("zinc.repl-secret")).unwrap();
    assert_eq!(meta.uid(), NOBODY);
    assert_eq!(meta.mode() & 0o7777, 0o600);
    assert_eq!(
        std::fs::metadata(env.file("zinc.st")).unwrap().uid(),
        NOBODY
    );
    std::fs::write(env.file("other.image"), b"a Pharo image").unwrap();
    let out = env
        .cmd()
        .args(["init", "other", "--user", "no-such-user"])
        .run();
    out.code(2).stderr_has("no user 'no-such-user'");
}
