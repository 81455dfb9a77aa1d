//! The generated documentation: the checked-in completions and man pages are what the binary
//! writes today, the man pages render without warnings, and every command's `--help` shows
//! examples.

use crate::harness::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The files of a directory, by name, with their contents.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|entry| {
            (
                entry.file_name().to_string_lossy().into_owned(),
                std::fs::read(entry.path()).unwrap(),
            )
        })
        .collect()
}

fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Renders the documentation with the real binary into a fresh directory.
fn generate() -> tempfile::TempDir {
    let out = tempfile::tempdir().unwrap();
    let env = Env::new();
    env.cmd()
        .args(["generate-docs", out.path().to_str().unwrap()])
        .run()
        .success();
    out
}

#[test]
fn the_checked_in_completions_and_man_pages_are_up_to_date() {
    let fresh = generate();
    for dir in ["completions", "man"] {
        let want = files(&fresh.path().join(dir));
        let have = files(&project().join(dir));
        let stale: std::collections::BTreeSet<&String> = want
            .keys()
            .chain(have.keys())
            .filter(|name| want.get(*name) != have.get(*name))
            .collect();
        assert!(
            stale.is_empty(),
            "{dir}/ is stale ({stale:?} differ from what the binary writes): run `cargo run -- generate-docs .` and commit the result"
        );
    }
}

#[test]
fn there_is_a_completion_script_per_shell_and_a_page_per_command() {
    let fresh = generate();
    let completions = files(&fresh.path().join("completions"));
    for name in [
        "pharo-ctl.bash",
        "_pharo-ctl",
        "pharo-ctl.fish",
        "pharo-ctl.elv",
        "_pharo-ctl.ps1",
    ] {
        assert!(completions.contains_key(name), "completions/{name}");
        // The hidden subcommand that writes these files is not offered to operators.
        let script = String::from_utf8_lossy(&completions[name]);
        assert!(!script.contains("generate-docs"), "completions/{name}");
        assert!(script.contains("completions"), "completions/{name}");
    }
    let pages = files(&fresh.path().join("man"));
    for command in [
        "start",
        "stop",
        "snapshot",
        "restore",
        "restart",
        "status",
        "eval",
        "run",
        "dump",
        "pid",
        "ps",
        "completions",
        "unit",
    ] {
        assert!(
            pages.contains_key(&format!("pharo-ctl-{command}.1")),
            "man/pharo-ctl-{command}.1"
        );
    }
    assert!(pages.contains_key("pharo-ctl.1"));
    assert!(!pages.keys().any(|p| p.contains("generate-docs")));
}

#[test]
fn the_man_pages_render_without_warnings() {
    for program in ["groff", "man"] {
        if !require_program(program, "the_man_pages_render_without_warnings") {
            return;
        }
    }
    let fresh = generate();
    for (name, _) in files(&fresh.path().join("man")) {
        let page = fresh.path().join("man").join(&name);
        // groff with every warning enabled, output discarded.
        let groff = Command::new("groff")
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&page)
            .output()
            .expect("groff runs");
        assert!(groff.status.success(), "groff {name}: {groff:?}");
        assert_eq!(
            String::from_utf8_lossy(&groff.stderr),
            "",
            "groff warns about {name}"
        );
        // man itself, as an operator would read the page.
        let man = Command::new("man")
            .args(["--warnings", "-P", "cat", "-l"])
            .arg(&page)
            .env("MANWIDTH", "100")
            .env("MAN_KEEP_FORMATTING", "")
            .output()
            .expect("man runs (Debian package man-db)");
        assert!(man.status.success(), "man -l {name}: {man:?}");
        assert_eq!(
            String::from_utf8_lossy(&man.stderr),
            "",
            "man warns about {name}"
        );
        let text = String::from_utf8_lossy(&man.stdout);
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "EXIT STATUS", "SEE ALSO"] {
            assert!(text.contains(section), "{name} lacks {section}:\n{text}");
        }
        // The pages of commands that act on an instance say where its files and settings are.
        if !["pharo-ctl-ps.1", "pharo-ctl-completions.1"].contains(&name.as_str()) {
            for section in ["ENVIRONMENT", "PHARO_CTL_DIR", "FILES", "NAME.pid"] {
                assert!(text.contains(section), "{name} lacks {section}:\n{text}");
            }
        }
    }
    let page = |name: &str| {
        let out = Command::new("man")
            .args(["-P", "cat", "-l"])
            .arg(fresh.path().join("man").join(name))
            // Wide enough that no sentence is broken or hyphenated.
            .env("MANWIDTH", "1000")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let run = page("pharo-ctl-run.1");
    for expected in [
        "SIGUSR1 (a Pharo VM's stack dump) and SIGUSR2 are forwarded to the VM when it catches them",
        "a Pharo VM treats it as a crash",
        "a second SIGTERM or SIGINT skips to the next step",
        "NOTIFY_SOCKET",
        "READY=1",
        "KillMode=mixed",
        "Smalltalk at: #ShutdownSequence put: [",
    ] {
        assert!(
            run.contains(expected),
            "pharo-ctl-run(1) lacks {expected:?}"
        );
    }
    assert!(page("pharo-ctl-unit.1").contains("TimeoutStopSec"));
    let main = Command::new("man")
        .args(["-P", "cat", "-l"])
        .arg(fresh.path().join("man/pharo-ctl.1"))
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&main.stdout);
    for expected in [
        "EXIT STATUS",
        "ENVIRONMENT",
        "PHARO_CTL_DIR",
        "NO_COLOR",
        "FILES",
        "NAME.pid",
        "EXAMPLES",
        "Smalltalk at: #ShutdownSequence put: [",
        "ExecStart=/usr/local/bin/pharo-ctl --dir /srv/zinc --vm /srv/zinc/pharo",
        "KillMode=mixed",
        "pharo-ctl-stop(1)",
    ] {
        assert!(text.contains(expected), "pharo-ctl(1) lacks {expected:?}");
    }
    let stop = Command::new("man")
        .args(["-P", "cat", "-l"])
        .arg(fresh.path().join("man/pharo-ctl-stop.1"))
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&stop.stdout);
    for expected in ["--kill-after", "pharo-ctl stop zinc", "EXAMPLES"] {
        assert!(
            text.contains(expected),
            "pharo-ctl-stop(1) lacks {expected:?}"
        );
    }
}

#[test]
fn every_command_has_examples_in_its_help() {
    let env = Env::new();
    env.cmd()
        .args(["--help"])
        .run()
        .success()
        .stdout_has("Examples:")
        .stdout_has("Exit codes:");
    for command in [
        "start",
        "stop",
        "restart",
        "status",
        "eval",
        "run",
        "dump",
        "pid",
        "ps",
        "completions",
        "unit",
    ] {
        let out = env.cmd().args([command, "--help"]).run();
        out.success().stdout_has("Examples:");
        let examples = &out.stdout[out.stdout.find("Examples:").unwrap()..];
        assert!(
            examples
                .lines()
                .any(|l| l.trim_start().starts_with("pharo-ctl") && l.contains(command)),
            "{command} --help shows no example of itself:\n{}",
            out.stdout
        );
    }
}

#[test]
fn an_error_is_one_line_with_a_hint() {
    let env = Env::new();
    // No image in the directory, and no NAME.
    let out = env.cmd().args(["stop"]).run();
    out.code(6);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", out.stderr);
    assert!(lines[0].starts_with("error: "), "{}", out.stderr);
    assert!(out.stderr.contains("-C DIR") || out.stderr.contains("--image"));
    // Usage errors too: clap's report, tips included, on one line.
    for (args, hint) in [
        (vec!["stpo"], "a similar subcommand exists: 'stop'"),
        (
            vec!["stop", "--timeot", "3s"],
            "a similar argument exists: '--timeout'",
        ),
        (
            vec!["stop", "-t", "soon"],
            "use e.g. 500ms, 5s, 1m30s or 10",
        ),
        (vec!["completions", "tcsh"], "possible values: bash"),
    ] {
        let out = env.cmd().args(&args).run();
        out.code(2).stderr_has(hint).stderr_has("--help`");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    }
}

#[test]
fn each_command_has_only_its_options_and_a_short_h() {
    let env = Env::new();
    // What the help shows does not depend on where the project or the instances are: the
    // environment's values are not shown, however long.
    let deep = format!("/{}/pharo-vm", "a-much-longer-path-than-usual".repeat(6));
    let help = |args: &[&str]| {
        let out = env
            .cmd()
            .env("PHARO_VM", &deep)
            .env("PHARO_CTL_DIR", &deep)
            .env("PHARO_REPL", &deep)
            .env("PHARO_CTL_SHUTDOWN", &deep)
            .args(args)
            .run();
        out.success();
        out.stdout.clone()
    };
    for command in [
        "start",
        "stop",
        "restart",
        "status",
        "eval",
        "run",
        "pid",
        "ps",
        "completions",
        "unit",
    ] {
        let short = help(&[command, "-h"]);
        assert!(
            short.lines().count() <= 40,
            "{command} -h is more than a screen:\n{short}"
        );
        let long = help(&[command, "--help"]);
        assert!(
            !long.contains(&deep),
            "{command} --help shows a value of the environment"
        );
        assert!(long.lines().count() > short.lines().count(), "{command}");
        assert!(
            long.contains("Exit codes:\n  0  success"),
            "{command}: {long}"
        );
    }
    for (command, foreign) in [
        (
            "ps",
            &["--image", "--repl", "--timeout", "--script", "--shutdown"][..],
        ),
        ("completions", &["--image", "--repl", "--timeout", "--vm"]),
        (
            "pid",
            &["--repl", "--timeout", "--shutdown", "--kill-after"],
        ),
        ("start", &["--timeout", "--shutdown", "--kill-after"]),
        ("eval", &["--shutdown", "--kill-after", "--settle"]),
    ] {
        let long = help(&[command, "--help"]);
        for option in foreign {
            assert!(!long.contains(option), "{command} --help offers {option}");
        }
    }
    let out = env.cmd().args(["ps", "--image", "zinc.image"]).run();
    out.code(2)
        .stderr_has("unexpected argument '--image' found")
        .stderr_has("`pharo-ctl ps --help`");
    one_error_line(&out);
    // Each command's own --timeout, with its own default.
    assert!(help(&["eval", "--help"]).contains("[default: 30s]"));
    assert!(help(&["status", "--help"]).contains("[default: 2s]"));
}

#[test]
fn every_option_of_every_man_page_is_described_and_its_synopsis_shows_its_value() {
    let fresh = generate();
    for (name, text) in files(&fresh.path().join("man")) {
        let text = String::from_utf8(text).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // An option entry: `.TP`, the option in bold, then its description.
        for (i, line) in lines.iter().enumerate() {
            let Some(tag) = lines.get(i + 1).filter(|_| *line == ".TP") else {
                continue;
            };
            if !tag.starts_with("\\fB\\-") {
                continue;
            }
            let next = lines.get(i + 2).copied().unwrap_or("");
            assert!(
                !next.is_empty() && !next.starts_with('.'),
                "{name}: {tag} has no description"
            );
        }
        let synopsis = lines
            .iter()
            .skip_while(|l| **l != ".SH SYNOPSIS")
            .nth(1)
            .unwrap();
        for option in ["color", "dir"] {
            if synopsis.contains(&format!("\\-\\-{option}\\fR]")) {
                panic!("{name}: the synopsis shows --{option} without its value: {synopsis}");
            }
        }
    }
    let start =
        String::from_utf8(files(&fresh.path().join("man"))["pharo-ctl-start.1"].clone()).unwrap();
    assert!(
        start.contains("[\\fB\\-\\-color\\fR \\fIWHEN\\fR]"),
        "{start}"
    );
}
