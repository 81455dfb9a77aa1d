//! `pharo-ctl ps` against running doubles: one row per VM, as a table and as JSON.

use crate::harness::*;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::Duration;

fn rows(env: &Env) -> Vec<Value> {
    let out = env.cmd().args(["ps", "--json"]).run();
    out.success();
    let value: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    value.as_array().expect("a JSON array").clone()
}

fn row_of(rows: &[Value], pid: i32) -> Option<&Value> {
    rows.iter().find(|row| row["pid"] == pid)
}

#[test]
fn lists_a_started_vm_with_its_pid_file() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let pid = env.start(&inst);
    let rows = rows(&env);
    let row = row_of(&rows, pid).unwrap_or_else(|| panic!("pid {pid} not in {rows:?}"));
    assert_eq!(row["image"], env.file("zinc.image").to_str().unwrap());
    assert_eq!(row["pid_file"], env.file("zinc.pid").to_str().unwrap());
    assert_eq!(row["pid_file_names_it"], true);
    assert_eq!(row["user"], current_user());
    assert!(row["rss_bytes"].as_u64().unwrap() > 0);
    assert!(row["cpu_s"].as_f64().unwrap() >= 0.0);
    assert!(row["uptime_s"].as_u64().unwrap() < 600);
    assert!(row["started_at"].as_str().unwrap().ends_with('Z'));
    assert!(row["command"].as_str().unwrap().contains("--headless"));
    // The REPL it holds, which its script names.
    let repl = format!("http://127.0.0.1:{}/repl", inst.repl_port);
    assert_eq!(row["repl"], repl.as_str());
    assert_eq!(row["script_repl"], Value::Null);
    // pharo-ctl itself is never listed, even with an image on its command line: an eval sent
    // as asked to a REPL that never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let repl = format!("http://{}/repl", silent.local_addr().unwrap());
    let _waiting = env
        .cmd()
        .args(["eval", "--repl", &repl, "-t", "30s", "zinc.image"])
        .spawn();
    silent.set_nonblocking(true).unwrap();
    let mut connection = None;
    wait_until("the eval to connect", Duration::from_secs(20), || {
        connection = silent.accept().ok();
        connection.is_some()
    });
    let out = env.cmd().args(["ps", "--json"]).run();
    out.success();
    let listed: Vec<Value> = serde_json::from_str(&out.stdout).unwrap();
    assert!(listed.iter().all(|row| {
        !row["command"]
            .as_str()
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .ends_with("pharo-ctl")
    }));

    // The table: a header, and the VM's row with aligned columns.
    let out = env.cmd().args(["ps"]).run();
    out.success();
    let header = out.stdout.lines().next().unwrap();
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "PID", "USER", "UPTIME", "RSS", "CPU", "PIDFILE", "REPL", "IMAGE"
        ]
    );
    let line = out
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&pid.to_string()))
        .unwrap_or_else(|| panic!("no row for {pid}:\n{}", out.stdout));
    let cells: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(cells[1], current_user());
    assert_eq!(cells[5], "yes");
    assert_eq!(cells[6], format!("127.0.0.1:{}", inst.repl_port));
    assert_eq!(cells[7], env.file("zinc.image").to_str().unwrap());
    assert_eq!(
        line.find(cells[7]),
        header.find("IMAGE"),
        "columns align:\n{}",
        out.stdout
    );
}

#[test]
fn lists_a_vm_that_no_pid_file_names_with_its_image_resolved() {
    let env = Env::new();
    let inst = env.instance("seaside");
    // A VM started by hand, with a relative image path: resolved against its directory.
    let mut vm = Command::new(double())
        .args(["--headless", "seaside.image", "seaside.st"])
        .current_dir(env.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = vm.id() as i32;
    wait_until("the REPL", std::time::Duration::from_secs(10), || {
        listening(inst.repl_port)
    });
    let rows = rows(&env);
    let row = row_of(&rows, pid).unwrap_or_else(|| panic!("pid {pid} not in {rows:?}"));
    assert_eq!(row["image"], env.file("seaside.image").to_str().unwrap());
    assert_eq!(row["pid_file"], Value::Null);
    assert_eq!(row["pid_file_names_it"], false);
    let out = env.cmd().args(["ps"]).run();
    let line = out
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(&pid.to_string()))
        .unwrap();
    assert_eq!(line.split_whitespace().nth(5), Some("no"));
    let _ = vm.kill();
    let _ = vm.wait();
    assert!(row_of(&self::rows(&env), pid).is_none());
}

#[test]
fn a_reader_that_went_away_is_not_a_failure() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    // `pharo-ctl ps --json | head -0`: the reader is gone before anything is written.
    let (read, write) = nix::unistd::pipe().unwrap();
    drop(read);
    for args in [
        &["ps", "--json"][..],
        &["ps"],
        &["status", "--json", "zinc"],
    ] {
        let out = Command::new(pharo_ctl())
            .args(args)
            .current_dir(env.path())
            .env("PHARO_VM", double())
            .stdin(Stdio::null())
            .stdout(Stdio::from(write.try_clone().unwrap()))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}
