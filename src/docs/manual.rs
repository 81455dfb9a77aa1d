//! The man pages: `pharo-ctl.1` and one page per subcommand (`pharo-ctl-stop.1`, …), rendered
//! by clap_mangen from the clap definition, with the sections clap knows nothing of: exit
//! status, environment, files, examples (a systemd unit and the cooperative shutdown script)
//! and cross-references.

use crate::cli::Cli;
use crate::exit_code::Code;
use clap::CommandFactory;
use clap_mangen::Man;
use std::io::Write;

mod options;

/// One rendered page: its file name (`pharo-ctl-stop.1`) and its roff text.
pub struct Page {
    pub file_name: String,
    pub text: String,
}

/// Every page: the main one first, then one per visible subcommand.
pub fn pages() -> Vec<Page> {
    let mut root = options::described(Cli::command().disable_help_subcommand(true));
    root.build();
    let siblings: Vec<String> = root
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(page_name)
        .collect();
    let mut pages = vec![render(&root, &siblings, true)];
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push(render(sub, &siblings, false));
    }
    pages
}

fn page_name(command: &clap::Command) -> String {
    command
        .get_display_name()
        .unwrap_or_else(|| command.get_name())
        .to_string()
}

fn render(command: &clap::Command, siblings: &[String], main: bool) -> Page {
    let man = Man::new(command.clone())
        .source(format!("pharo-ctl {}", env!("CARGO_PKG_VERSION")))
        .manual("pharo-ctl manual");
    let mut out: Vec<u8> = Vec::new();
    let write = |out: &mut Vec<u8>, f: &dyn Fn(&mut Vec<u8>) -> std::io::Result<()>| {
        f(out).expect("rendering into memory cannot fail");
    };
    write(&mut out, &|w| man.render_title(w));
    write(&mut out, &|w| man.render_name_section(w));
    write(&mut out, &|w| man.render_synopsis_section(w));
    write(&mut out, &|w| man.render_description_section(w));
    let name = page_name(command);
    let mut out = options::with_values(
        command,
        repeatable_positionals(
            command,
            String::from_utf8(out).expect("clap_mangen writes UTF-8"),
        ),
    );
    // The paragraphs of `--help` after the options (signals, exit codes…), examples aside.
    for note in notes(command) {
        out.push_str(&paragraph(&note));
    }
    let mut out = out.into_bytes();
    if command.get_arguments().any(|a| !a.is_hide_set()) {
        write(&mut out, &|w| man.render_options_section(w));
    }
    if main {
        write(&mut out, &|w| man.render_subcommands_section(w));
    }
    let mut text = String::from_utf8(out).expect("clap_mangen writes UTF-8");
    text.push_str(&exit_status(command.get_name()));
    // ps and completions concern no instance: its environment and files do not apply.
    if !matches!(command.get_name(), "ps" | "completions") {
        text.push_str(&environment(command, main));
        text.push_str(FILES);
    }
    text.push_str(&examples(command, main));
    text.push_str(&see_also(&name, siblings, main));
    if main {
        let mut version = Vec::new();
        man.render_version_section(&mut version)
            .expect("rendering into memory cannot fail");
        text.push_str(&String::from_utf8(version).expect("clap_mangen writes UTF-8"));
    }
    Page {
        file_name: format!("{name}.1"),
        text,
    }
}

/// clap_mangen's synopsis writes a positional that takes several values (`stop NAME...`) as
/// if it took one: the `...` of `--help` is added.
fn repeatable_positionals(command: &clap::Command, synopsis: String) -> String {
    command
        .get_positionals()
        .filter(|arg| matches!(arg.get_action(), clap::ArgAction::Append))
        .fold(synopsis, |text, arg| {
            let name = arg
                .get_value_names()
                .and_then(|names| names.first())
                .map_or_else(|| arg.get_id().to_string(), |n| n.to_string());
            let one = format!("[\\fI{name}\\fR]");
            text.replacen(&one, &format!("{one}..."), 1)
        })
}

/// Escapes text for roff: backslashes and hyphens, and a leading control character.
fn escape(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// A block of literal lines (a command, a file), indented and not filled.
fn literal(lines: &str) -> String {
    let mut out = String::from(".PP\n.RS 4\n.nf\n");
    for (i, line) in lines.lines().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape(line));
    }
    out.push_str("\n.fi\n.RE\n");
    out
}

fn paragraph(text: &str) -> String {
    format!(".PP\n{}\n", escape(text))
}

/// `.TP` entries: a bold tag and its explanation.
fn tagged(entries: &[(&str, &str)]) -> String {
    entries
        .iter()
        .map(|(tag, text)| format!(".TP\n\\fB{}\\fR\n{}\n", escape(tag), escape(text)))
        .collect()
}

/// The exit codes of a command, from the one table of them.
fn exit_status(command: &str) -> String {
    let mut out = String::from(".SH \"EXIT STATUS\"\n");
    let codes: Vec<(String, &str)> = Code::of_command(command)
        .into_iter()
        .map(|(code, meaning)| (code.value().to_string(), meaning))
        .collect();
    let entries: Vec<(&str, &str)> = codes.iter().map(|(n, m)| (n.as_str(), *m)).collect();
    out.push_str(&tagged(&entries));
    if command == "status" {
        out.push_str(&paragraph(
            "A hung image (the VM runs, its REPL does not answer) is running: exit 0. With --probe, status prints nothing and exits 0 when the VM runs and its REPL answered within --timeout (2s), 1 when the VM runs but its REPL did not answer (hung), 3 when it is not running (a stale pid file included), and 4 when that cannot be told (an error, then on one line on stderr).",
        ));
        out.push_str(&paragraph(
            "Of several instances (several NAMEs, --all, or no NAME in a directory of several images): 0 when every one is running and its REPL answers, 3 when none is running, 1 otherwise, with --probe too.",
        ));
    }
    if matches!(command, "start" | "stop" | "restart") {
        out.push_str(&paragraph(
            "Of several instances, the highest exit status of theirs; a rolling restart that stops at a failure exits 1.",
        ));
    }
    if command == "run" {
        out.push_str(&paragraph(
            "When the VM exits by itself, or dies during its shutdown, run exits with the VM's status, or 128+N when a signal N ended it, so that systemd's Restart= policies work.",
        ));
    }
    out
}

/// The environment pharo-ctl reads besides its options' own variables (which come from the
/// command line's `env =` attributes).
const OTHER_ENVIRONMENT: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "When set and not empty, no colour unless --color always is given.",
    ),
    ("TERM", "When dumb, no colour and no spinner."),
    (
        "XDG_STATE_HOME",
        "Where console keeps its history (else ~/.local/state).",
    ),
    (
        "NOTIFY_SOCKET",
        "Set by systemd for Type=notify services: run sends READY=1 once the REPL answers and STOPPING=1 when it stops.",
    ),
    (
        "WATCHDOG_USEC, WATCHDOG_PID",
        "Set by systemd for a unit with WatchdogSec=: run probes the REPL every WatchdogSec/(N+2) unless --watchdog says otherwise, and sends WATCHDOG=1 after each answered probe.",
    ),
];

/// The ENVIRONMENT section of `command`'s page: the variables its options read (every
/// command's, on the main page), each with its option's help, then the others.
fn environment(command: &clap::Command, main: bool) -> String {
    let mut commands = vec![command];
    if main {
        commands.extend(command.get_subcommands());
    }
    let mut seen = Vec::new();
    let mut entries: Vec<(String, String)> = Vec::new();
    for arg in commands.iter().flat_map(|c| c.get_arguments()) {
        let (Some(env), Some(long)) = (arg.get_env(), arg.get_long()) else {
            continue;
        };
        let name = env.to_string_lossy().into_owned();
        if seen.contains(&name) {
            continue;
        }
        seen.push(name.clone());
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let help = help
            .split(" [default")
            .next()
            .unwrap_or_default()
            .trim_end_matches('.');
        entries.push((name, format!("{help}, as --{long}.")));
    }
    entries.extend(
        OTHER_ENVIRONMENT
            .iter()
            .map(|(name, text)| (name.to_string(), text.to_string())),
    );
    let entries: Vec<(&str, &str)> = entries
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    format!(".SH ENVIRONMENT\n{}", tagged(&entries))
}

const FILES: &str = r#".SH FILES
An instance NAME has its files in one directory (\fB\-C\fR, \fBPHARO_CTL_DIR\fR, else the current directory); each can be overridden by an option.
.TP
\fINAME\fB.image\fR
The image (\fB\-\-image\fR).
.TP
\fINAME\fB.st\fR
The startup script, used when it exists (\fB\-\-script\fR). It starts the REPL with \fBZnReadEvalPrintDelegate startInServerOn:\fR \fIPORT\fR, or the form that stands for, \fB(ZnServer on:\fR \fIPORT\fB)\fR ... \fBdelegate: ZnReadEvalPrintDelegate new; ... start\fR (which \fBinit\fR writes, with an authenticator); pharo\-ctl reads the port from it.
.TP
\fINAME\fB.repl\-secret\fR
The REPL's password, sent as HTTP Basic credentials with every request to the instance's own REPL, used when it exists (\fB\-\-repl\-secret\fR). The startup script that \fBinit\fR writes reads it at start\-up. Refused when group or others may read or write it (chmod 600).
.TP
\fINAME\fB.pid\fR
The pid file: the decimal pid and a newline, written atomically (\fB\-\-pid\-file\fR). Not trusted when it is world\-writable or, for root, owned by another user.
.TP
\fINAME\fB.pid.lock\fR
The lock that makes concurrent starts of one instance yield one VM.
.TP
\fINAME\fB.pid.hung\fR
Since when the REPL has not answered: the VM's pid and the time the first unanswered probe (of status or of the watchdog of run) began; removed when a probe is answered and when the instance stops.
.TP
\fIcwd\fB/crash.dmp\fR
Where a Pharo VM appends its stack report on SIGUSR1 (dump, the watchdog of run), in its working directory.
.TP
\fINAME\fB.log\fR
The VM's output, appended (\fB\-\-log\-file\fR); \fBlogs\fR prints and follows it.
.TP
\fB$XDG_STATE_HOME/pharo\-ctl/history/\fINAME\fR
The console's history of the instance (without \fBXDG_STATE_HOME\fR: \fB~/.local/state/pharo\-ctl/history/\fINAME\fR).
.TP
\fIDIR\fB/pharo\fR, \fIDIR\fB/pharo\-vm/pharo\fR
Where the VM is looked for before \fBpharo\fR on \fBPATH\fR.
"#;

/// The startup script the pages show: the one `init` writes.
fn startup_script() -> String {
    crate::instance::script::new_script("zinc", 42033, "pharo-ctl", "zinc.repl-secret")
}

/// The unit the pages show: the one `unit` writes, for /srv/zinc.
fn systemd_unit() -> String {
    crate::run::unit::Service::example().render()
}

/// The paragraphs of a command's `after_help` (its notes; the exit codes have their own
/// section, the examples theirs).
fn notes(command: &clap::Command) -> Vec<String> {
    let Some(help) = command.get_after_help() else {
        return Vec::new();
    };
    help.to_string()
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty() && !p.starts_with("Exit codes") && !p.starts_with("Examples:"))
        .collect()
}

/// The examples of a command, from the command line's table of them.
fn example_lines(command: &clap::Command) -> Vec<String> {
    crate::cli::examples::of(command.get_name())
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn examples(command: &clap::Command, main: bool) -> String {
    let lines = example_lines(command);
    let name = command.get_name();
    // The shutdown script and the unit belong to the pages of the commands that use them.
    let script = main || matches!(name, "stop" | "restart" | "run");
    let unit = !main && matches!(name, "run" | "unit");
    if lines.is_empty() && !main && !script && !unit {
        return String::new();
    }
    let mut out = String::from(".SH EXAMPLES\n");
    if !lines.is_empty() {
        out.push_str(&literal(&lines.join("\n")));
    }
    if script && !main {
        out.push_str(&paragraph(
            "A startup script, zinc.st, that starts the REPL on loopback and defines the ShutdownSequence that the stop asks for:",
        ));
        out.push_str(&literal(startup_script().trim_end()));
    }
    if unit {
        out.push_str(&paragraph(
            "A systemd unit for pharo-ctl run (pharo-ctl unit prints one with the paths and options in effect). TimeoutStopSec stays above --timeout plus --kill-after, so that systemd's own SIGKILL never pre-empts the cooperative shutdown:",
        ));
        out.push_str(&literal(systemd_unit().trim_end()));
    }
    if main {
        out.push_str(&paragraph(
            "A startup script, zinc.st, that starts the REPL on loopback and defines the ShutdownSequence that stop and run ask for:",
        ));
        out.push_str(&literal(startup_script().trim_end()));
        out.push_str(&paragraph(
            "A systemd unit that runs it, written to /etc/systemd/system/zinc.service (pharo-ctl unit prints one). TimeoutStopSec stays above --timeout plus --kill-after, so that systemd's own SIGKILL never pre-empts the cooperative shutdown:",
        ));
        out.push_str(&literal(systemd_unit().trim_end()));
        out.push_str(&paragraph(
            "Install the completions and this manual (see also pharo-ctl-completions(1)):",
        ));
        out.push_str(&literal(
            "pharo-ctl completions bash > /etc/bash_completion.d/pharo-ctl\n\
             install -m 644 man/*.1 /usr/local/share/man/man1/",
        ));
    }
    out
}

fn see_also(name: &str, siblings: &[String], main: bool) -> String {
    let references: Vec<String> = if main {
        siblings
            .iter()
            .map(|s| format!("\\fB{}\\fR(1)", escape(s)))
            .collect()
    } else {
        std::iter::once("pharo-ctl".to_string())
            .chain(siblings.iter().filter(|s| *s != name).cloned())
            .map(|s| format!("\\fB{}\\fR(1)", escape(&s)))
            .chain(["\\fBsystemd.service\\fR(5)".to_string()])
            .collect()
    };
    format!(".SH \"SEE ALSO\"\n{}\n", references.join(", "))
}

/// Writes every page into `dir`.
pub fn write_all(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    pages()
        .into_iter()
        .map(|page| {
            let path = dir.join(&page.file_name);
            let mut file = std::fs::File::create(&path)?;
            file.write_all(page.text.as_bytes())?;
            Ok(path)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_visible_subcommand() {
        let names: Vec<String> = pages().into_iter().map(|p| p.file_name).collect();
        assert_eq!(names[0], "pharo-ctl.1");
        for page in [
            "pharo-ctl-stop.1",
            "pharo-ctl-ps.1",
            "pharo-ctl-completions.1",
        ] {
            assert!(names.iter().any(|n| n == page), "{page} in {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("generate-docs")));
    }

    #[test]
    fn the_main_page_has_the_extra_sections() {
        let main = &pages()[0].text;
        for section in [
            ".SH \"EXIT STATUS\"",
            ".SH ENVIRONMENT",
            ".SH FILES",
            ".SH EXAMPLES",
        ] {
            assert!(main.contains(section), "{section}");
        }
        assert!(main.contains("ShutdownSequence"));
        assert!(main.contains("ExecStart=/usr/local/bin/pharo\\-ctl"));
    }

    #[test]
    fn a_synopsis_shows_several_names() {
        let pages = pages();
        let page = |name: &str| &pages.iter().find(|p| p.file_name == name).unwrap().text;
        assert!(page("pharo-ctl-stop.1").contains("[\\fINAME\\fR]... "));
        assert!(!page("pharo-ctl-pid.1").contains("[\\fINAME\\fR]..."));
    }

    #[test]
    fn escapes_roff() {
        assert_eq!(escape("--dir"), "\\-\\-dir");
        assert_eq!(escape(".hidden"), "\\&.hidden");
        assert_eq!(escape("a\\b"), "a\\eb");
    }
}
