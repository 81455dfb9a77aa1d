//! Instances and their files: names and paths (here), the files' checks and locks
//! ([`files`]), the pid file ([`pidfile`]) and its record of an unanswered REPL ([`hung`]), the
//! log ([`logfile`]), where the instance's VM runs ([`finder`]), and its startup script as
//! `init` writes it ([`script`]).
//!
//! An instance: a NAME and its files in one directory (`NAME.image`, `NAME.st`, `NAME.pid`,
//! `NAME.log`, `NAME.repl-secret`), each of which the command line can override, and the VM
//! that runs it.

pub(crate) mod files;
pub(crate) mod finder;
pub(crate) mod hung;
pub(crate) mod logfile;
pub(crate) mod pidfile;
pub(crate) mod script;

use crate::error::{Fail, fail};
use crate::exit_code::Code;
use anyhow::Result;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};

/// Where a file of an instance was named, so that a hint names what was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Named after the instance: `DIR/NAME.image`, `NAME.st` beside the image.
    Name,
    /// Given with its option (`--image`, `--script`).
    Option,
    /// Given in pharo-ctl.sh's order `SCRIPT COMMAND IMAGE`.
    Legacy,
}

/// An instance resolved from the command line: its name, its files (absolute, normalised,
/// beside the image unless overridden one by one) and its VM.
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    /// The directory the VM runs in and is looked for in.
    pub dir: PathBuf,
    pub image: PathBuf,
    pub image_source: Source,
    /// The startup script: the one given, else `NAME.st` beside the image when it exists.
    pub script: Option<PathBuf>,
    pub script_source: Source,
    pub pid_file: PathBuf,
    pub log_file: PathBuf,
    /// The VM that runs it (`--vm`, else the default search), or why there is none. A process
    /// running this program counts as a VM in a scan whatever its name.
    pub vm: Result<PathBuf, String>,
    /// The VM's arguments before the image (`--vm-arg`, default `--headless`).
    pub vm_args: Vec<String>,
    /// The startup script's text, once it has been read (`None`: no script, or unreadable).
    pub script_text: std::sync::OnceLock<Option<String>>,
}

impl Instance {
    /// The VM, or the error that there is none (exit 5).
    pub fn vm(&self) -> Result<&Path> {
        match &self.vm {
            Ok(vm) => Ok(vm),
            Err(message) => fail(Code::VmNotFound, message.clone()),
        }
    }

    /// What tells this instance's VM in the process table.
    pub fn matcher(&self) -> crate::process::identity::ImageMatcher {
        crate::process::identity::ImageMatcher::new(&self.image, self.vm.as_deref().ok())
    }

    /// Checks that what a start needs is there: the image, and the script when one was named.
    /// The hint names what was typed.
    pub fn check_files(&self) -> Result<()> {
        if !self.image.is_file() {
            let hint = match self.image_source {
                Source::Name => format!(
                    "put {}.image in {} or pass --image",
                    self.name,
                    self.dir.display()
                ),
                Source::Option => "check --image".to_string(),
                Source::Legacy => {
                    "check IMAGE of pharo-ctl.sh's order SCRIPT COMMAND IMAGE".to_string()
                }
            };
            return fail(
                Code::NotConfigured,
                format!("no image at {}: {hint}", self.image.display()),
            );
        }
        if let Some(script) = &self.script
            && !script.is_file()
        {
            let hint = match self.script_source {
                Source::Name | Source::Option => "create it or leave out --script",
                Source::Legacy => {
                    "create it or check SCRIPT of pharo-ctl.sh's order SCRIPT COMMAND IMAGE (SCRIPT.st)"
                }
            };
            return fail(
                Code::NotConfigured,
                format!("no startup script at {}: {hint}", script.display()),
            );
        }
        Ok(())
    }

    /// The command that runs the instance: `VM VM-ARGS IMAGE [SCRIPT]`, in the directory.
    pub fn command(&self, vm: &Path) -> std::process::Command {
        let mut command = std::process::Command::new(vm);
        command.args(&self.vm_args).arg(&self.image);
        if let Some(script) = &self.script {
            command.arg(script);
        }
        command.current_dir(&self.dir);
        command
    }

    /// The startup script's text, read once for all that is looked up in it.
    fn script_text(&self) -> Option<&str> {
        self.script_text
            .get_or_init(|| std::fs::read_to_string(self.script.as_ref()?).ok())
            .as_deref()
    }

    /// The REPL port the startup script opens with `ZnReadEvalPrintDelegate startInServerOn:`
    /// or its expanded form.
    pub fn script_repl_port(&self) -> Option<u16> {
        repl_port_in(self.script_text()?)
    }

    /// The user name the startup script gives the REPL's `ZnBasicAuthenticator`, if any.
    pub fn script_repl_user(&self) -> Option<String> {
        crate::instance::script::repl_user_in(self.script_text()?)
    }

    /// The REPL's secret beside the image: `NAME.repl-secret`.
    pub fn secret_file(&self) -> PathBuf {
        let beside = self.image.parent().unwrap_or(&self.dir);
        beside.join(secret_file_name(&self.name))
    }
}

/// A path without `.` and with `..` taken back lexically, as a shell's `cd` does:
/// `/srv/b/../a/zinc.image` is `/srv/a/zinc.image`.
pub fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out
}

/// Finds the REPL's port in a startup script's text: `ZnReadEvalPrintDelegate
/// startInServerOn: N`, or the form that stands for, `(ZnServer on: N) … delegate:
/// ZnReadEvalPrintDelegate new …` in one statement (what `init` writes). A port the script
/// computes (from the environment, say) is not read: the REPL is then found from the VM.
pub fn repl_port_in(text: &str) -> Option<u16> {
    let digits = |rest: &str| -> Option<u16> {
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    if let Some(at) = text.find("ZnReadEvalPrintDelegate") {
        let rest = &text[at..];
        if let Some(port) = rest
            .find("startInServerOn:")
            .and_then(|p| digits(&rest[p + "startInServerOn:".len()..]))
        {
            return Some(port);
        }
    }
    let mut from = 0;
    while let Some(at) = text[from..].find("ZnServer on:") {
        let start = from + at;
        let statement = &text[start..];
        // The statement ends at a period followed by white space (not a decimal point).
        let end = statement
            .char_indices()
            .find(|&(i, c)| c == '.' && statement[i + 1..].starts_with(|n: char| n.is_whitespace()))
            .map_or(statement.len(), |(i, _)| i);
        let statement = &statement[..end];
        if statement.contains("ZnReadEvalPrintDelegate") {
            return digits(&statement["ZnServer on:".len()..]);
        }
        from = start + "ZnServer on:".len();
    }
    None
}

/// The file name of an instance's REPL secret, beside its image: `NAME.repl-secret`.
pub fn secret_file_name(name: &str) -> String {
    format!("{name}.repl-secret")
}

/// The instance names of a directory (its `*.image` files without the extension, sorted), or
/// why it cannot be read.
pub fn list_images(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if let Some(stem) = name.strip_suffix(".image")
            && !stem.is_empty()
            && entry.path().is_file()
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Finds the VM: `--vm`/`PHARO_VM`, else `DIR/pharo`, `DIR/pharo-vm/pharo`, then `pharo` on
/// PATH. It must be an executable file. A given path with a slash is taken relative to DIR
/// (`-C` means "as if run in DIR"); a bare name is `DIR/NAME` when that is executable, else
/// NAME on PATH, as a shell would find it.
pub fn find_vm(given: Option<&Path>, dir: &Path) -> Result<PathBuf> {
    if let Some(vm) = given {
        let in_dir = dir.join(vm);
        let bare = !vm.as_os_str().as_encoded_bytes().contains(&b'/');
        if is_executable(&in_dir) {
            return Ok(in_dir);
        }
        if bare && let Some(path) = on_path(vm) {
            return Ok(path);
        }
        let message = if bare {
            format!(
                "no VM {}: neither {} nor {0} on PATH is an executable file: check --vm or PHARO_VM",
                vm.display(),
                in_dir.display()
            )
        } else {
            format!(
                "the VM {} is not an executable file: check --vm or PHARO_VM",
                in_dir.display()
            )
        };
        return Err(Fail::new(Code::VmNotFound, message).into());
    }
    [dir.join("pharo"), dir.join("pharo-vm/pharo")]
        .into_iter()
        .find(|p| is_executable(p))
        .or_else(|| on_path(Path::new("pharo")))
        .ok_or_else(|| {
            Fail::new(
                Code::VmNotFound,
                format!(
                    "no Pharo VM: none at {0}/pharo or {0}/pharo-vm/pharo, nor pharo on PATH; install one or pass --vm",
                    dir.display()
                ),
            )
            .into()
        })
}

/// The VM's arguments when `--vm-arg` gives none: `--headless`, unless the VM is a script
/// that passes `--headless` itself (Pharo's zeroconf `pharo` runs `pharo-vm/pharo --headless
/// "$@"`), which would then get it twice.
pub fn default_vm_args(vm: Option<&Path>) -> Vec<String> {
    let headless = || vec!["--headless".to_string()];
    let Some(vm) = vm else {
        return headless();
    };
    use std::io::Read as _;
    let Ok(mut file) = std::fs::File::open(vm) else {
        return headless();
    };
    // A binary is told by its first two bytes; only a script is read on (64 KiB at most).
    let mut head = vec![0; 2];
    if file.read_exact(&mut head).is_err() || head != b"#!" {
        return headless();
    }
    if file.take(64 * 1024 - 2).read_to_end(&mut head).is_err() {
        return headless();
    }
    let text = String::from_utf8_lossy(&head);
    let passes_headless = text
        .lines()
        .skip(1)
        .filter(|line| !line.trim_start().starts_with('#'))
        .any(|line| line.split_whitespace().any(|word| word == "--headless"));
    if passes_headless {
        Vec::new()
    } else {
        headless()
    }
}

fn on_path(program: &Path) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_repl_port_of_a_script() {
        let script =
            "ZnServer startDefaultOn: 8080.\nZnReadEvalPrintDelegate startInServerOn: 42044.\n";
        assert_eq!(repl_port_in(script), Some(42044));
        assert_eq!(repl_port_in("ZnServer startDefaultOn: 8080."), None);
        let expanded = "(ZnServer on: 8080) start.\n(ZnServer on: 42051)\n  bindingAddress: NetNameResolver loopBackAddress;\n  delegate: ZnReadEvalPrintDelegate new;\n  start.\n";
        assert_eq!(repl_port_in(expanded), Some(42051));
        let computed =
            "ZnReadEvalPrintDelegate startInServerOn: (OSEnvironment current at: 'PORT') asNumber.";
        assert_eq!(repl_port_in(computed), None);
    }

    #[test]
    fn reads_the_port_of_what_init_writes() {
        let script =
            crate::instance::script::new_script("zinc", 42051, "pharo-ctl", "zinc.repl-secret");
        assert_eq!(repl_port_in(&script), Some(42051));
        let app = "(ZnServer on: 8080) delegate: MyApp new; start.\n";
        assert_eq!(repl_port_in(&format!("{app}{script}")), Some(42051));
    }
}
