//! The completion scripts in real shells: bash and fish complete through their own machinery;
//! the zsh and elvish NAME layers run in their shells with the editor's primitives stubbed,
//! since neither offers completion outside an interactive line editor.

use crate::harness::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory with two instances and a stray file, plus another directory with one instance.
struct Dirs {
    env: Env,
    other: tempfile::TempDir,
}

impl Dirs {
    fn new() -> Dirs {
        let env = Env::new();
        env.instance("zinc");
        env.instance("seaside");
        std::fs::write(env.file("notes.txt"), "").unwrap();
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("blog.image"), "").unwrap();
        Dirs { env, other }
    }

    fn other(&self) -> &str {
        self.other.path().to_str().unwrap()
    }

    /// The completion script of `shell`, as `pharo-ctl completions SHELL` prints it.
    fn script(&self, shell: &str, file_name: &str) -> PathBuf {
        let out = self.env.cmd().args(["completions", shell]).run();
        out.success();
        let path = self.env.file(file_name);
        std::fs::write(&path, &out.stdout).unwrap();
        path
    }
}

/// Runs `program args…` in `dir` and answers its stdout, asserting success.
fn run_in(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &str)]) -> String {
    let mut command = Command::new(program);
    command
        .args(args)
        .current_dir(dir)
        .env_remove("PHARO_CTL_DIR");
    for (key, value) in envs {
        command.env(key, value);
    }
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{program} failed: {}\nstdout: {stdout}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.split('\t').next().unwrap().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    lines.sort();
    lines
}

/// What bash's programmable completion offers for `words` (the last one is being completed):
/// the script sourced into `bash --norc --noprofile`, the function that `complete -p`
/// registered called as readline would call it.
fn bash_complete(dirs: &Dirs, script: &Path, words: &[&str], envs: &[(&str, &str)]) -> Vec<String> {
    let program = r#"
source "$1"; shift
spec=$(complete -p pharo-ctl) || exit 1
function=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=("$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
"$function" pharo-ctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let mut args = vec!["--norc", "--noprofile", "-c", program, "bash"];
    args.push(script.to_str().unwrap());
    args.extend(words);
    sorted_lines(&run_in(dirs.env.path(), "bash", &args, envs))
}

#[test]
fn bash_completes_subcommands_options_and_instance_names() {
    let dirs = Dirs::new();
    let script = dirs.script("bash", "pharo-ctl.bash");
    let complete = |words: &[&str]| bash_complete(&dirs, &script, words, &[]);

    assert_eq!(complete(&["pharo-ctl", "st"]), ["start", "status", "stop"]);
    assert_eq!(complete(&["pharo-ctl", "stop", ""]), ["seaside", "zinc"]);
    assert_eq!(complete(&["pharo-ctl", "stop", "z"]), ["zinc"]);
    for command in ["start", "restart", "status", "run", "pid", "unit"] {
        assert_eq!(complete(&["pharo-ctl", command, ""]), ["seaside", "zinc"]);
    }
    // The directory of -C/--dir, in each spelling (bash splits `--dir=X` at the `=`).
    let other = dirs.other();
    assert_eq!(complete(&["pharo-ctl", "-C", other, "stop", ""]), ["blog"]);
    assert_eq!(
        complete(&["pharo-ctl", "stop", "--dir", other, ""]),
        ["blog"]
    );
    assert_eq!(
        complete(&["pharo-ctl", "--dir", "=", other, "status", ""]),
        ["blog"]
    );
    assert_eq!(
        complete(&["pharo-ctl", &format!("--dir={other}"), "status", ""]),
        ["blog"]
    );
    assert_eq!(
        bash_complete(
            &dirs,
            &script,
            &["pharo-ctl", "pid", ""],
            &[("PHARO_CTL_DIR", other)]
        ),
        ["blog"]
    );
    // Options that take a value are skipped; start, stop, restart and status take several
    // NAMEs, the others one.
    assert_eq!(
        complete(&["pharo-ctl", "-t", "5s", "start", ""]),
        ["seaside", "zinc"]
    );
    assert_eq!(complete(&["pharo-ctl", "stop", "zinc", "sea"]), ["seaside"]);
    assert_eq!(
        complete(&[
            "pharo-ctl",
            "restart",
            "--rolling",
            "--pause",
            "2s",
            "zinc",
            ""
        ]),
        ["seaside", "zinc"]
    );
    assert!(complete(&["pharo-ctl", "pid", "zinc", "sea"]).is_empty());
    // eval's first argument may be a NAME (then the EXPR).
    assert_eq!(complete(&["pharo-ctl", "eval", "zi"]), ["zinc"]);
    // What clap generates still works: a subcommand's options, values, file paths.
    assert_eq!(complete(&["pharo-ctl", "stop", "--ki"]), ["--kill-after"]);
    assert_eq!(complete(&["pharo-ctl", "status", "--js"]), ["--json"]);
    // Hidden options are not offered.
    assert!(complete(&["pharo-ctl", "stop", "--leg"]).is_empty());
    assert!(
        !complete(&["pharo-ctl", "start", "--"]).contains(&"--legacy-order".to_string()),
        "--legacy-order is offered"
    );
    assert_eq!(
        complete(&["pharo-ctl", "--color", ""]),
        ["always", "auto", "never"]
    );
    for option in ["--vm", "--image", "--script"] {
        assert!(
            complete(&["pharo-ctl", "start", option, "no"]).contains(&"notes.txt".to_string()),
            "{option} completes file paths"
        );
    }
}

#[test]
fn fish_completes_instance_names() {
    if !require_program("fish", "the fish completion test") {
        return;
    }
    let dirs = Dirs::new();
    let script = dirs.script("fish", "pharo-ctl.fish");
    let complete = |line: &str, envs: &[(&str, &str)]| {
        let program = format!("source {}; complete -C '{line}'", script.display());
        sorted_lines(&run_in(
            dirs.env.path(),
            "fish",
            &["--no-config", "-c", &program],
            envs,
        ))
    };
    assert_eq!(complete("pharo-ctl st", &[]), ["start", "status", "stop"]);
    assert_eq!(complete("pharo-ctl stop ", &[]), ["seaside", "zinc"]);
    assert_eq!(complete("pharo-ctl restart s", &[]), ["seaside"]);
    let other = dirs.other();
    assert_eq!(
        complete(&format!("pharo-ctl -C {other} stop "), &[]),
        ["blog"]
    );
    assert_eq!(
        complete(&format!("pharo-ctl --dir={other} status "), &[]),
        ["blog"]
    );
    assert_eq!(
        complete("pharo-ctl pid ", &[("PHARO_CTL_DIR", other)]),
        ["blog"]
    );
    assert_eq!(complete("pharo-ctl stop zinc ", &[]), ["seaside", "zinc"]);
    assert_eq!(complete("pharo-ctl stop --ki", &[]), ["--kill-after"]);
    assert!(complete("pharo-ctl --vm no", &[]).contains(&"notes.txt".to_string()));
}

#[test]
fn the_zsh_layer_finds_names_and_hands_the_rest_to_clap() {
    if !require_program("zsh", "the zsh completion test") {
        return;
    }
    let dirs = Dirs::new();
    let script = dirs.script("zsh", "_pharo-ctl");
    // zsh -n: the whole script parses.
    run_in(
        dirs.env.path(),
        "zsh",
        &["-n", script.to_str().unwrap()],
        &[],
    );
    // The completion system's primitives, stubbed: compadd prints its candidates, clap's
    // function announces itself.
    let program = r#"
compdef() { :; }
source "$1"; shift
_wanted() { shift 3; "$@"; }
compadd() { [[ "$1" == -a ]] && print -l -- "${(@P)2}"; }
_pharo-ctl_clap() { print -- "(clap)"; }
words=("$@")
CURRENT=${#words}
PREFIX="${words[CURRENT]}"
_pharo-ctl
"#;
    let complete = |words: &[&str]| {
        let mut args = vec!["-f", "-c", program, "zsh", script.to_str().unwrap()];
        args.extend(words);
        sorted_lines(&run_in(dirs.env.path(), "zsh", &args, &[]))
    };
    assert_eq!(complete(&["pharo-ctl", "stop", ""]), ["seaside", "zinc"]);
    let other = dirs.other();
    assert_eq!(
        complete(&["pharo-ctl", "-C", other, "status", ""]),
        ["blog"]
    );
    assert_eq!(
        complete(&["pharo-ctl", &format!("--dir={other}"), "run", ""]),
        ["blog"]
    );
    assert_eq!(complete(&["pharo-ctl", "st"]), ["(clap)"]);
    assert_eq!(complete(&["pharo-ctl", "stop", "--k"]), ["(clap)"]);
    // stop takes several NAMEs, pid one.
    assert_eq!(
        complete(&["pharo-ctl", "stop", "zinc", ""]),
        ["seaside", "zinc"]
    );
    assert_eq!(complete(&["pharo-ctl", "pid", "zinc", ""]), ["(clap)"]);
}

#[test]
fn the_elvish_layer_finds_names_and_hands_the_rest_to_clap() {
    if !require_program("elvish", "the elvish completion test") {
        return;
    }
    let dirs = Dirs::new();
    let script = dirs.script("elvish", "pharo-ctl.elv");
    // The `edit:` module exists only in an interactive elvish: stand in for the two names the
    // script uses.
    let text = std::fs::read_to_string(&script)
        .unwrap()
        .replace("edit:completion:arg-completer", "completers")
        .replace("edit:complex-candidate", "complex-candidate")
        .replace("edit:complete-filename", "complete-filename");
    let other = dirs.other();
    let program = format!(
        "var completers = [&]\n\
         fn complex-candidate {{|text &display=''| put $text }}\n\
         fn complete-filename {{|word| put files:$word }}\n\
         {text}\n\
         fn show {{|@words| put [($completers[pharo-ctl] pharo-ctl $@words)] | each {{|list| echo (str:join ' ' $list) }} }}\n\
         show stop ''\n\
         show -C {other} status ''\n\
         show stop --ki\n\
         show pid zinc ''\n\
         show --vm ./ph\n\
         show stop --image ''\n\
         show -C ''\n\
         show stop zinc ''\n"
    );
    let stub = dirs.env.file("test.elv");
    std::fs::write(&stub, program).unwrap();
    let out = run_in(
        dirs.env.path(),
        "elvish",
        &["-norc", stub.to_str().unwrap()],
        &[],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "seaside zinc");
    assert_eq!(lines[1], "blog");
    assert!(lines[2].split(' ').any(|w| w == "--kill-after"), "{out}");
    assert_eq!(lines[3], "", "{out}");
    // Path options complete file names.
    assert_eq!(lines[4], "files:./ph", "{out}");
    assert_eq!(lines[5], "files:", "{out}");
    assert_eq!(lines[6], "files:", "{out}");
    // stop takes several NAMEs.
    assert_eq!(lines[7], "seaside zinc", "{out}");
}
