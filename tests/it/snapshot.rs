//! `pharo-ctl snapshot`, `stop --save` and `restore`: a running image saved in place with a
//! backup first, the saved state surviving a restart, a failed save undone byte for byte, the
//! room checked before anything is written, old backups pruned, and no REPL but the
//! instance's own ever asked to save.

use crate::harness::*;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

/// The bytes an image file starts with when the double has saved it: Spur's format word.
fn is_saved_image(bytes: &[u8]) -> bool {
    bytes.len() >= 128 && bytes[..4] == 68021u32.to_le_bytes()
}

/// The instance's backups (image files in backups/), oldest first, as `restore --list`
/// lists them.
fn backups(env: &Env, name: &str) -> Vec<String> {
    let out = env.cmd().args(["restore", "--list", name]).run();
    out.success();
    out.stdout
        .lines()
        .skip(1)
        .map(|line| {
            let file = line.split_whitespace().last().unwrap();
            file.strip_prefix("backups/").unwrap().to_string()
        })
        .collect()
}

fn eval(env: &Env, name: &str, expr: &str) -> String {
    let out = env.cmd().args(["eval", name, expr]).run();
    out.success();
    out.stdout.trim_end().to_string()
}

#[test]
fn a_snapshot_survives_a_restart_from_the_saved_image() {
    let env = Env::new();
    let inst = env.instance("zinc");
    std::fs::write(env.file("zinc.changes"), b"the changes").unwrap();
    let vm = env.start(&inst);
    eval(&env, "zinc", "Smalltalk at: #Answer put: 42");
    let out = env.cmd().args(["snapshot", "zinc"]).run();
    out.success();
    let last = out.stderr.lines().last().unwrap();
    assert!(last.starts_with("zinc saved in "), "{}", out.stderr);
    assert!(
        last.contains(&format!("{} (", env.file("zinc.image").display())),
        "{last}"
    );
    assert!(last.contains("; backup backups/zinc-"), "{last}");
    assert!(alive(vm), "the image runs on after its save");
    assert!(is_saved_image(
        &std::fs::read(env.file("zinc.image")).unwrap()
    ));
    // The backup is the image as it was, a file of its own, with its .changes.
    let taken = backups(&env, "zinc");
    assert_eq!(taken.len(), 1, "{taken:?}");
    let backup = env.file(&format!("backups/{}", taken[0]));
    assert_eq!(std::fs::read(&backup).unwrap(), b"a Pharo image");
    assert_eq!(
        std::fs::read(backup.with_extension("changes")).unwrap(),
        b"the changes"
    );
    env.cmd().args(["stop", "zinc"]).run().success();
    env.start(&inst);
    assert_eq!(eval(&env, "zinc", "Smalltalk at: #Answer"), "42");
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn snapshot_json_names_the_image_the_backup_and_how_it_was_taken() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    let out = env.cmd().args(["snapshot", "zinc", "--json"]).run();
    out.success();
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(value["saved"], true, "{value}");
    assert_eq!(value["name"], "zinc");
    assert!(value["size_bytes"].as_u64().unwrap() >= 128, "{value}");
    let method = value["backup_method"].as_str().unwrap();
    assert!(matches!(method, "reflink" | "copy"), "{value}");
    assert!(std::path::Path::new(value["backup"].as_str().unwrap()).is_file());
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn snapshot_json_tells_the_image_s_own_save_from_the_whole() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start_with(&inst, &[("PHARO_DOUBLE_SAVE_SLOW_MS", "300")]);
    let out = env.cmd().args(["snapshot", "zinc", "--json"]).run();
    out.success();
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let whole = value["seconds"].as_f64().unwrap();
    let save = value["save_seconds"].as_f64().unwrap();
    // The double takes 300 ms to write the image; the probe, the backup and the check come
    // before and after that, within the whole.
    assert!(save >= 0.3, "{value}");
    assert!(save < whole, "{value}");
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn a_save_that_fails_half_way_is_undone_byte_for_byte_and_the_image_runs_on() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // A large image, so that half of it is a short file and not just a header.
    let original: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(env.file("zinc.image"), &original).unwrap();
    let events = env.file("events");
    let vm = env.start_with(
        &inst,
        &[
            ("PHARO_DOUBLE_SAVE_FAIL", "1"),
            ("PHARO_DOUBLE_EVENTS", events.to_str().unwrap()),
        ],
    );
    let out = env.cmd().args(["snapshot", "zinc"]).run();
    out.code(1)
        .stderr_has("the save failed: the image answered an error: FileWriteError")
        .stderr_has("put the backup");
    assert!(
        env.read("events").contains("save failed"),
        "the double saved half"
    );
    assert_eq!(std::fs::read(env.file("zinc.image")).unwrap(), original);
    assert!(alive(vm));
    assert_eq!(eval(&env, "zinc", "3 + 4"), "7");
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn a_save_that_outlasts_the_timeout_is_undone_and_stays_undone() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let events = env.file("events");
    let vm = env.start_with(
        &inst,
        &[
            ("PHARO_DOUBLE_SAVE_SLOW_MS", "1500"),
            ("PHARO_DOUBLE_EVENTS", events.to_str().unwrap()),
        ],
    );
    env.cmd()
        .args(["snapshot", "zinc", "--timeout", "300ms"])
        .run()
        .code(1)
        .stderr_has("no answer within")
        .stderr_has("put the backup");
    assert_eq!(
        std::fs::read(env.file("zinc.image")).unwrap(),
        b"a Pharo image"
    );
    // The save the image went on with wrote to the file that is no longer in place.
    wait_until("the slow save to end", LIMIT, || {
        env.read("events").contains("saved ")
    });
    assert_eq!(
        std::fs::read(env.file("zinc.image")).unwrap(),
        b"a Pharo image"
    );
    assert!(alive(vm));
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn keep_removes_the_oldest_backups_after_a_verified_save() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    for _ in 0..4 {
        env.cmd()
            .args(["snapshot", "zinc", "--keep", "2"])
            .run()
            .success();
    }
    let kept = backups(&env, "zinc");
    assert_eq!(kept.len(), 2, "{kept:?}");
    // The first backup (the placeholder image) is gone; the kept ones are saved images.
    for file in &kept {
        assert!(is_saved_image(
            &std::fs::read(env.file(&format!("backups/{file}"))).unwrap()
        ));
    }
    env.cmd()
        .args(["snapshot", "zinc", "--no-backup"])
        .run()
        .success()
        .stderr_has("; no backup");
    assert_eq!(backups(&env, "zinc"), kept);
    env.cmd()
        .args(["snapshot", "zinc", "--keep", "0"])
        .run()
        .code(2);
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn a_snapshot_of_a_stopped_instance_saves_nothing() {
    let env = Env::new();
    env.instance("zinc");
    let out = env.cmd().args(["snapshot", "zinc"]).run();
    out.code(3).stderr_has("zinc is not running");
    one_error_line(&out);
    assert!(!env.exists("backups"));
}

#[test]
fn restore_is_refused_while_running_and_puts_back_the_newest_by_default() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    eval(&env, "zinc", "Smalltalk at: #Answer put: 1");
    env.cmd().args(["snapshot", "zinc"]).run().success();
    eval(&env, "zinc", "Smalltalk at: #Answer put: 2");
    env.cmd().args(["snapshot", "zinc"]).run().success();
    let saved_with_1 =
        std::fs::read(env.file(&format!("backups/{}", backups(&env, "zinc")[1]))).unwrap();
    let out = env.cmd().args(["restore", "zinc"]).run();
    out.code(1)
        .stderr_has("zinc is running")
        .stderr_has("stop it first");
    one_error_line(&out);
    let list = env.cmd().args(["restore", "--list", "zinc"]).run();
    list.success().stdout_has("backups/zinc-");
    assert_eq!(
        list.stdout.lines().count(),
        3,
        "a title and two backups:\n{}",
        list.stdout
    );
    env.cmd().args(["stop", "zinc"]).run().success();
    // The newest backup is the image saved with Answer = 1.
    env.cmd()
        .args(["restore", "zinc"])
        .run()
        .success()
        .stderr_has("zinc restored from backups/zinc-");
    assert_eq!(std::fs::read(env.file("zinc.image")).unwrap(), saved_with_1);
    // The image it replaced became a backup: three now.
    assert_eq!(backups(&env, "zinc").len(), 3);
    env.start(&inst);
    assert_eq!(eval(&env, "zinc", "Smalltalk at: #Answer"), "1");
    env.cmd().args(["stop", "zinc"]).run().success();
    // A backup named: the oldest, the placeholder image.
    let oldest = backups(&env, "zinc")[0].clone();
    env.cmd().args(["restore", "zinc", &oldest]).run().success();
    assert_eq!(
        std::fs::read(env.file("zinc.image")).unwrap(),
        b"a Pharo image"
    );
    env.cmd()
        .args(["restore", "zinc", "zinc-nothing.image"])
        .run()
        .code(2)
        .stderr_has("restore --list zinc");
}

#[test]
fn restore_json_lists_the_backups_and_tells_what_was_put_back() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.cmd()
        .args(["restore", "--list", "--json", "zinc"])
        .run()
        .success()
        .stdout_is("[]\n");
    std::fs::write(env.file("zinc.changes"), b"the changes").unwrap();
    env.start(&inst);
    env.cmd().args(["snapshot", "zinc"]).run().success();
    env.cmd().args(["stop", "zinc"]).run().success();
    let out = env
        .cmd()
        .args(["restore", "--list", "--json", "zinc"])
        .run();
    out.success();
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let only = &list.as_array().unwrap()[..];
    assert_eq!(only.len(), 1, "{list}");
    let file = only[0]["file"].as_str().unwrap();
    assert!(
        file.starts_with("backups/zinc-") && file.ends_with(".image"),
        "{list}"
    );
    assert_eq!(only[0]["size_bytes"], b"a Pharo image".len(), "{list}");
    assert!(
        only[0]["taken_at"].as_str().unwrap().ends_with('Z'),
        "{list}"
    );
    assert_eq!(
        only[0]["changes"].as_str().unwrap(),
        env.file(file).with_extension("changes").to_str().unwrap()
    );
    let out = env.cmd().args(["restore", "--json", "zinc"]).run();
    out.success();
    let restored: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        restored["restored_from"].as_str().unwrap(),
        env.file(file).to_str().unwrap()
    );
    assert_eq!(
        restored["image"].as_str().unwrap(),
        env.file("zinc.image").to_str().unwrap()
    );
    let replaced = restored["replaced"].as_str().unwrap();
    assert!(std::path::Path::new(replaced).is_file(), "{restored}");
    assert_eq!(
        std::fs::read(env.file("zinc.image")).unwrap(),
        b"a Pharo image"
    );
}

#[test]
fn stop_save_saves_then_stops_and_a_failed_save_stops_nothing() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let vm = env.start(&inst);
    eval(&env, "zinc", "Smalltalk at: #Answer put: 'kept'");
    let out = env.cmd().args(["stop", "--save", "zinc"]).run();
    out.success()
        .stderr_has("zinc saved in ")
        .stderr_has("zinc stopped cooperatively");
    wait_until("the VM to exit", LIMIT, || !alive(vm));
    let vm = env.start_with(&inst, &[("PHARO_DOUBLE_SAVE_FAIL", "1")]);
    assert_eq!(eval(&env, "zinc", "Smalltalk at: #Answer"), "'kept'");
    let saved = std::fs::read(env.file("zinc.image")).unwrap();
    env.cmd()
        .args(["stop", "--save", "zinc"])
        .run()
        .code(1)
        .stderr_has("not stopped");
    assert!(alive(vm), "a failed save stops nothing");
    assert_eq!(std::fs::read(env.file("zinc.image")).unwrap(), saved);
    env.cmd().args(["stop", "zinc"]).run().success();
    // Not running: nothing to save, and the stop says so.
    env.cmd()
        .args(["stop", "--save", "zinc"])
        .run()
        .success()
        .stderr_has("zinc is not running");
}

/// Runs `script` (sh) in a private mount namespace where `DIR/small` is a 256 KiB tmpfs, with
/// `{small}`, `{dir}` and `{ctl}` in it replaced; `None`, with one skip line, where that is not
/// possible here.
fn on_a_small_tmpfs(env: &Env, what: &str, script: &str) -> Option<Outcome> {
    if !require_program("unshare", what) {
        return None;
    }
    let small = env.file("small");
    std::fs::create_dir(&small).unwrap();
    let script = format!(
        "set -e\nmount -t tmpfs -o size=256k tmpfs {{small}}\ncp {{dir}}/zinc.st {{small}}/zinc.st\n{script}"
    )
    .replace("{small}", small.to_str().unwrap())
    .replace("{dir}", env.path().to_str().unwrap())
    .replace("{ctl}", env.pharo_ctl().to_str().unwrap());
    let out = Cmd::program("unshare", env.path())
        .env("PHARO_VM", env.double())
        .args(["--mount", "--propagation", "private", "sh", "-c", &script])
        .run();
    // Whether it did what it should is each test's to say, from what it printed.
    out.any_code();
    // unshare's own failure, or mount's: a private mount namespace is not permitted here.
    if out.stderr.starts_with("unshare: ")
        || (out.stderr.contains("mount: ") && out.stderr.contains("permission denied"))
    {
        eprintln!("skipped {what}: a private tmpfs is not permitted here");
        return None;
    }
    Some(out)
}

#[test]
fn not_enough_room_is_refused_before_anything_is_written() {
    let env = Env::new();
    env.instance("zinc");
    // The image is 150 KB on a 256 KiB file system: a backup and the new image need 300 KB.
    let Some(out) = on_a_small_tmpfs(
        &env,
        "the test of a file system without room",
        "head -c 150000 /dev/zero > {small}/zinc.image\n\
         {ctl} -C {small} start --wait zinc\n\
         set +e\n\
         {ctl} -C {small} snapshot zinc\n\
         echo \"snapshot exit $?\"\n\
         ls -A {small}\n\
         cmp -s {small}/zinc.image /dev/zero -n 150000 && wc -c < {small}/zinc.image\n\
         {ctl} -C {small} stop zinc\n",
    ) else {
        return;
    };
    out.stdout_has("snapshot exit 1")
        .stderr_has("not enough room to save")
        .stderr_has("nothing was written")
        // The image is untouched.
        .stdout_has("150000")
        .stderr_has("zinc stopped");
    assert!(
        !out.stdout.contains("backups"),
        "no backup directory: {}",
        out.stdout
    );
}

#[test]
fn a_save_that_fills_the_disk_is_undone_byte_for_byte() {
    let env = Env::new();
    env.instance("zinc");
    // A 60 KB image whose heap grew by 400 KB since it was loaded: the room check (60 KB for
    // the backup, 60 KB for the new image) passes, and the save fills the file system.
    let Some(out) = on_a_small_tmpfs(
        &env,
        "the test of a save that fills the disk",
        "head -c 60000 /dev/urandom > {small}/zinc.image\n\
         cp {small}/zinc.image {dir}/original.image\n\
         PHARO_DOUBLE_IMAGE_GROWTH=400000 {ctl} -C {small} start --wait zinc\n\
         set +e\n\
         {ctl} -C {small} snapshot zinc\n\
         echo \"snapshot exit $?\"\n\
         cmp {small}/zinc.image {dir}/original.image && echo 'image as it was'\n\
         {ctl} -C {small} eval zinc '3 + 4'\n\
         {ctl} -C {small} stop zinc\n",
    ) else {
        return;
    };
    out.stdout_has("snapshot exit 1")
        .stderr_has("No space left on device")
        .stderr_has("back in place")
        .stdout_has("image as it was")
        // The image runs on.
        .stdout_has("\n7\n")
        .stderr_has("zinc stopped");
}

#[test]
fn the_repl_of_another_image_on_the_same_port_is_never_asked_to_save() {
    let (one, other) = (Env::new(), Env::new());
    let inst = one.instance("zinc");
    let events = one.file("events");
    one.start_with(&inst, &[("PHARO_DOUBLE_EVENTS", events.to_str().unwrap())]);
    // The other directory's zinc runs without a REPL, then its script is edited to name the
    // port the first one's REPL holds.
    std::fs::write(other.file("zinc.image"), b"another image").unwrap();
    other.script("zinc", "\"no REPL yet\"\n");
    other.cmd().args(["start", "zinc"]).run().success();
    other.script(
        "zinc",
        &format!(
            "ZnReadEvalPrintDelegate startInServerOn: {}.\n",
            inst.repl_port
        ),
    );
    let out = other.cmd().args(["snapshot", "zinc"]).run();
    out.code(7).stderr_has("not sent: port");
    one_error_line(&out);
    assert!(
        !other.exists("backups"),
        "refused before anything was written"
    );
    assert_eq!(
        std::fs::read(other.file("zinc.image")).unwrap(),
        b"another image"
    );
    assert!(
        !one.read("events").contains("snapshot"),
        "the first image was asked to save:\n{}",
        one.read("events")
    );
    assert_eq!(
        std::fs::read(one.file("zinc.image")).unwrap(),
        b"a Pharo image"
    );
    one.cmd().args(["stop", "zinc"]).run().success();
    other.cmd().args(["stop", "zinc"]).run().success();
}

/// Splits `unit --snapshot-every`'s output at its `### FILE` lines, as its install line does,
/// and runs `systemd-analyze verify` on the files, where it is installed: no findings.
fn verify_units(text: &str) {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("### ") {
            Some(name) => files.push((name.to_string(), String::new())),
            None => {
                if let Some((_, body)) = files.last_mut() {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["pharo-zinc-snapshot.timer", "pharo-zinc-snapshot.service"]
    );
    if !require_program("systemd-analyze", "systemd-analyze verify of the timer") {
        return;
    }
    let units = tempfile::tempdir().unwrap();
    let units = units.path();
    for (name, body) in &files {
        std::fs::write(units.join(name), body).unwrap();
    }
    let paths: Vec<_> = names.iter().map(|name| units.join(name)).collect();
    systemd_verify(&paths, "pharo-zinc-snapshot", text);
}

#[test]
fn unit_prints_a_timer_that_snapshots_and_its_service() {
    let env = Env::new();
    env.instance("zinc");
    let me = current_user();
    let out = env
        .cmd()
        .args(["unit", "zinc", "--snapshot-every", "1h", "--user", &me])
        .run();
    out.success();
    let text = &out.stdout;
    let user = format!("User={me}");
    for line in [
        "### pharo-zinc-snapshot.timer",
        "OnUnitActiveSec=1h",
        "WantedBy=timers.target",
        "### pharo-zinc-snapshot.service",
        "Type=oneshot",
        user.as_str(),
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
    }
    let exec = text.lines().find(|l| l.starts_with("ExecStart=")).unwrap();
    assert!(exec.ends_with(" snapshot zinc"), "{exec}");
    verify_units(text);
    assert!(
        exec.contains(&format!("--dir {}", env.path().display())),
        "{exec}"
    );
    env.cmd()
        .args(["unit", "zinc", "--snapshot-every", "0s"])
        .run()
        .code(2);
    // The snapshot's options go to the service's snapshot, and are the timer's alone.
    let out = env
        .cmd()
        .args(["unit", "zinc", "--snapshot-every", "1h", "--keep", "24"])
        .args(["--backup-dir", "saves", "--user", &me])
        .run();
    out.success();
    let exec = out
        .stdout
        .lines()
        .find(|l| l.starts_with("ExecStart="))
        .unwrap();
    assert!(
        exec.ends_with(" snapshot --backup-dir saves --keep 24 zinc"),
        "{exec}"
    );
    verify_units(&out.stdout);
    // The instance's options go to the snapshot as to the image's own unit: a secret given.
    std::fs::write(env.file("elsewhere.secret"), "a secret\n").unwrap();
    env.chmod("elsewhere.secret", 0o600);
    let out = env
        .cmd()
        .args(["unit", "zinc", "--snapshot-every", "1h", "--user", &me])
        .args(["--repl-secret", "elsewhere.secret"])
        .run();
    out.success();
    let exec = out
        .stdout
        .lines()
        .find(|l| l.starts_with("ExecStart="))
        .unwrap();
    assert!(
        exec.contains(&format!(
            " --repl-secret {} snapshot zinc",
            env.file("elsewhere.secret").display()
        )),
        "{exec}"
    );
    assert!(!exec.contains("a secret"), "{exec}");
    let out = env.cmd().args(["unit", "zinc", "--keep", "24"]).run();
    out.code(2)
        .stderr_has("--keep is the snapshot timer's: add --snapshot-every INTERVAL");
    one_error_line(&out);
    assert_eq!(out.stdout, "");
    env.cmd()
        .args([
            "unit",
            "zinc",
            "--snapshot-every",
            "1h",
            "--user",
            "no-such-user",
        ])
        .run()
        .code(2)
        .stderr_has("--user no-such-user: no such user on this machine");
}

#[test]
fn status_tells_when_the_image_was_saved_and_its_newest_backup() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let before = env.cmd().args(["status", "zinc", "--json"]).run();
    before.code(3);
    let value: serde_json::Value = serde_json::from_str(&before.stdout).unwrap();
    assert!(
        value["image_saved_at"].as_str().unwrap().ends_with('Z'),
        "{value}"
    );
    assert_eq!(value["backups"]["count"], 0, "{value}");
    assert!(value["backups"]["newest"].is_null(), "{value}");
    env.start(&inst);
    env.cmd().args(["snapshot", "zinc"]).run().success();
    let out = env.cmd().args(["status", "zinc", "--json"]).run();
    out.success();
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(value["backups"]["count"], 1, "{value}");
    let newest = value["backups"]["newest"]["file"].as_str().unwrap();
    assert!(
        newest.ends_with(&format!("backups/{}", backups(&env, "zinc")[0])),
        "{value}"
    );
    assert_eq!(value["backups"]["newest"]["size_bytes"], 13, "{value}");
    env.cmd()
        .args(["status", "zinc"])
        .run()
        .success()
        .stdout_has("     Image: written ")
        .stdout_has("   Backups: 1 in ")
        .stdout_has("; newest backups/zinc-");
    env.cmd().args(["stop", "zinc"]).run().success();
}

#[test]
fn snapshot_all_saves_each_running_instance_one_after_another() {
    let env = Env::new();
    let (one, two) = (env.instance("one"), env.instance("two"));
    env.start(&one);
    env.start(&two);
    let out = env.cmd().args(["snapshot", "--all", "--json"]).run();
    out.success()
        .stderr_has("one saved in ")
        .stderr_has("two saved in ");
    let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let names: Vec<&str> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["one", "two"]);
    env.cmd().args(["stop", "two"]).run().success();
    // One of them stopped: the other is saved, and the exit status is the stopped one's.
    let out = env.cmd().args(["snapshot", "--all"]).run();
    out.code(3)
        .stderr_has("one saved in ")
        .stderr_has("two is not running");
    env.cmd().args(["stop", "one"]).run().success();
}

#[test]
fn backup_dir_puts_the_backups_elsewhere_and_restore_finds_them_there() {
    let env = Env::new();
    let inst = env.instance("zinc");
    let elsewhere = tempfile::tempdir().unwrap();
    let dir = elsewhere.path().join("saves");
    env.cmd()
        .args(["restore", "--list", "zinc"])
        .run()
        .success()
        .stderr_has("no backups of zinc in ");
    env.start(&inst);
    env.cmd()
        .args(["snapshot", "zinc", "--backup-dir", dir.to_str().unwrap()])
        .run()
        .success();
    assert!(!env.exists("backups"));
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "the image alone: there is no .changes");
    // status looks where it is told, and says where it looked.
    env.cmd()
        .args(["status", "zinc"])
        .run()
        .success()
        .stdout_has("Backups: none in ");
    env.cmd()
        .args(["status", "zinc", "--backup-dir", dir.to_str().unwrap()])
        .run()
        .success()
        .stdout_has(&format!("Backups: 1 in {}", dir.display()));
    for names in [&["zinc"][..], &["--all"][..]] {
        let out = env
            .cmd()
            .args(["status", "--json", "--backup-dir", dir.to_str().unwrap()])
            .args(names)
            .run();
        out.success();
        let value: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let one = if value.is_array() { &value[0] } else { &value };
        assert_eq!(one["backups"]["count"], 1, "{value}");
        assert_eq!(
            one["backups"]["dir"].as_str().unwrap(),
            dir.to_str().unwrap()
        );
    }
    env.cmd().args(["stop", "zinc"]).run().success();
    let list = env
        .cmd()
        .args([
            "restore",
            "--list",
            "zinc",
            "--backup-dir",
            dir.to_str().unwrap(),
        ])
        .run();
    list.success();
    assert_eq!(list.stdout.lines().count(), 2, "{}", list.stdout);
    env.cmd()
        .args(["restore", "zinc", "--backup-dir", dir.to_str().unwrap()])
        .run()
        .success();
    assert_eq!(
        std::fs::read(env.file("zinc.image")).unwrap(),
        b"a Pharo image"
    );
}

#[test]
fn restore_puts_back_an_image_that_was_lost() {
    let env = Env::new();
    let inst = env.instance("zinc");
    env.start(&inst);
    eval(&env, "zinc", "Smalltalk at: #Answer put: 42");
    env.cmd().args(["snapshot", "zinc"]).run().success();
    env.cmd().args(["snapshot", "zinc"]).run().success();
    env.cmd().args(["stop", "zinc"]).run().success();
    std::fs::remove_file(env.file("zinc.image")).unwrap();
    env.cmd()
        .args(["restore", "zinc"])
        .run()
        .success()
        .stderr_has("zinc restored from backups/zinc-");
    env.start(&inst);
    assert_eq!(eval(&env, "zinc", "Smalltalk at: #Answer"), "42");
    env.cmd().args(["stop", "zinc"]).run().success();
    // A name with neither an image nor a backup is still no instance.
    env.cmd()
        .args(["restore", "zinx"])
        .run()
        .code(1)
        .stderr_has("there is no backup of zinx");
}

/// The secret of the protected instance below: never to be seen in any output.
const SECRET: &str = "5a4b3c2d1e0f5a4b3c2d1e0f-snapshot-secret";

#[test]
fn a_credential_protected_repl_is_saved_with_the_instance_s_secret_and_only_with_it() {
    let env = Env::new();
    let inst = env.instance("zinc");
    // The REPL asks for the credentials of zinc.repl-secret, as `pharo-ctl init` writes it.
    env.script(
        "zinc",
        &format!(
            "(ZnServer on: {})\n\
             \x20 bindingAddress: NetNameResolver loopBackAddress;\n\
             \x20 delegate: ZnReadEvalPrintDelegate new;\n\
             \x20 authenticator: (ZnBasicAuthenticator\n\
             \x20   username: 'pharo-ctl'\n\
             \x20   password: (Smalltalk imageDirectory / 'zinc.repl-secret') contents trimBoth);\n\
             \x20 start.\n",
            inst.repl_port
        ),
    );
    std::fs::write(env.file("zinc.repl-secret"), format!("{SECRET}\n")).unwrap();
    env.chmod("zinc.repl-secret", 0o600);
    let events = env.file("events");
    env.start_with(&inst, &[("PHARO_DOUBLE_EVENTS", events.to_str().unwrap())]);
    eval(&env, "zinc", "Smalltalk at: #Answer put: 42");
    let out = env.cmd().args(["snapshot", "zinc"]).run();
    out.success().stderr_has("zinc saved in ");
    assert!(!out.stderr.contains(SECRET) && !out.stdout.contains(SECRET));
    assert!(
        env.read("events").contains("saved "),
        "{}",
        env.read("events")
    );
    // A secret that is not the REPL's: the REPL turns the probe away, nothing is written.
    std::fs::write(env.file("zinc.repl-secret"), "not-the-secret\n").unwrap();
    let saved = std::fs::read(env.file("zinc.image")).unwrap();
    let kept = backups(&env, "zinc");
    let out = env.cmd().args(["snapshot", "zinc"]).run();
    out.code(4).stderr_has("nothing was saved");
    one_error_line(&out);
    assert_eq!(std::fs::read(env.file("zinc.image")).unwrap(), saved);
    assert_eq!(backups(&env, "zinc"), kept);
    assert_eq!(env.read("events").matches("saved ").count(), 1);
    // With its secret again: stopped, started from the saved image, the value is there.
    std::fs::write(env.file("zinc.repl-secret"), format!("{SECRET}\n")).unwrap();
    env.cmd().args(["stop", "zinc"]).run().success();
    env.start(&inst);
    assert_eq!(eval(&env, "zinc", "Smalltalk at: #Answer"), "42");
    env.cmd().args(["stop", "zinc"]).run().success();
}
