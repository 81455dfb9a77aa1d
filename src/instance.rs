//! An instance: a NAME and its files in one directory (`NAME.image`, `NAME.st`, `NAME.pid`,
//! `NAME.log`), each of which the command line can override, and the VM that runs it.

use crate::cli::InstanceArgs;
use crate::error::{Fail, fail};
use crate::exit_code::Code;
use anyhow::Result;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The files of one instance, all absolute.
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    pub dir: PathBuf,
    pub image: PathBuf,
    /// The startup script: the one given, else `NAME.st` when it exists.
    pub script: Option<PathBuf>,
    /// Whether the script was named on the command line (then it must exist).
    pub script_given: bool,
    pub pid_file: PathBuf,
    pub log_file: PathBuf,
    /// The VM that would run it (`--vm`, else the default search), when there is one: a
    /// process running this program counts as a VM in a scan whatever its name.
    pub vm: Option<PathBuf>,
}

impl Instance {
    /// Resolves NAME (or the only `*.image` of the directory) and the instance's files.
    pub fn resolve(name: Option<&str>, args: &InstanceArgs, command: &str) -> Result<Instance> {
        let dir = directory(args)?;
        let name = match name {
            Some(name) => validate_name(name)?,
            None => match &args.image {
                Some(image) => stem(image)?,
                None => only_image(&dir, command)?,
            },
        };
        let at = |given: &Option<PathBuf>, default: String| -> PathBuf {
            match given {
                Some(path) => absolute(&dir, path),
                None => dir.join(default),
            }
        };
        let image = at(&args.image, format!("{name}.image"));
        let script = match &args.script {
            Some(path) => Some(absolute(&dir, path)),
            None => Some(dir.join(format!("{name}.st"))).filter(|p| p.is_file()),
        };
        Ok(Instance {
            pid_file: at(&args.pid_file, format!("{name}.pid")),
            log_file: at(&args.log_file, format!("{name}.log")),
            script_given: args.script.is_some(),
            vm: find_vm(args.vm.as_deref(), &dir).ok(),
            name,
            dir,
            image,
            script,
        })
    }

    /// What tells this instance's VM in the process table.
    pub fn matcher(&self) -> crate::identity::ImageMatcher {
        crate::identity::ImageMatcher::new(&self.image, self.vm.as_deref())
    }

    /// Checks that what a start needs is there: the image, and the script when one was named.
    pub fn check_files(&self) -> Result<()> {
        if !self.image.is_file() {
            return fail(
                Code::NotConfigured,
                format!(
                    "no image at {}: put {}.image in {} or pass --image",
                    self.image.display(),
                    self.name,
                    self.dir.display()
                ),
            );
        }
        if let Some(script) = &self.script
            && self.script_given
            && !script.is_file()
        {
            return fail(
                Code::NotConfigured,
                format!(
                    "no startup script at {}: create it or leave out --script",
                    script.display()
                ),
            );
        }
        Ok(())
    }

    /// The command that runs the instance: `VM VM-ARGS IMAGE [SCRIPT]`, in the directory.
    pub fn command(&self, vm: &Path, vm_args: &[String]) -> std::process::Command {
        let mut command = std::process::Command::new(vm);
        if vm_args.is_empty() {
            command.arg("--headless");
        } else {
            command.args(vm_args);
        }
        command.arg(&self.image);
        if let Some(script) = &self.script {
            command.arg(script);
        }
        command.current_dir(&self.dir);
        command
    }

    /// The REPL port the startup script opens with `ZnReadEvalPrintDelegate startInServerOn:`.
    pub fn script_repl_port(&self) -> Option<u16> {
        let text = std::fs::read_to_string(self.script.as_ref()?).ok()?;
        repl_port_in(&text)
    }
}

/// Finds `startInServerOn: N` in a startup script's text.
pub fn repl_port_in(text: &str) -> Option<u16> {
    let at = text.find("ZnReadEvalPrintDelegate")?;
    let rest = &text[at..];
    let rest = &rest[rest.find("startInServerOn:")? + "startInServerOn:".len()..];
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The instances' directory: `-C/--dir` (against the current one), else the current one.
pub(crate) fn directory(args: &InstanceArgs) -> Result<PathBuf> {
    let cwd = std::env::current_dir()
        .map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
    let dir = match &args.dir {
        Some(dir) => cwd.join(dir),
        None => cwd,
    };
    if !dir.is_dir() {
        return fail(
            Code::NotConfigured,
            format!(
                "{} is not a directory: pass the instances' directory with -C/--dir or PHARO_CTL_DIR",
                dir.display()
            ),
        );
    }
    Ok(dir)
}

fn absolute(dir: &Path, path: &Path) -> PathBuf {
    dir.join(path)
}

fn validate_name(name: &str) -> Result<String> {
    let name = name.strip_suffix(".image").unwrap_or(name);
    if name.is_empty() || name.contains('/') || name.starts_with('.') || name.contains('\0') {
        return fail(
            Code::Usage,
            format!(
                "'{name}' is not an instance name: give the image's name without directory or .image (use -C DIR for the directory)"
            ),
        );
    }
    Ok(name.to_string())
}

fn stem(image: &Path) -> Result<String> {
    match image.file_stem().and_then(|s| s.to_str()) {
        Some(stem) => Ok(stem.to_string()),
        None => fail(
            Code::Usage,
            format!("cannot name an instance after {}", image.display()),
        ),
    }
}

/// The only `*.image` of the directory, as an instance name.
fn only_image(dir: &Path, command: &str) -> Result<String> {
    let mut names = listed(dir, command)?;
    match names.len() {
        1 => Ok(names.remove(0)),
        0 => no_images(dir),
        _ => fail(
            Code::Usage,
            format!(
                "{} holds several images ({}): name the instance, e.g. `pharo-ctl {command} {}`{}",
                dir.display(),
                names.join(", "),
                names[0],
                if matches!(command, "start" | "stop" | "restart") {
                    ", or pass --all"
                } else {
                    ""
                }
            ),
        ),
    }
}

fn no_images<T>(dir: &Path) -> Result<T> {
    fail(
        Code::NotConfigured,
        format!(
            "no *.image in {}: name an instance, pass --image, or use -C DIR",
            dir.display()
        ),
    )
}

/// The instance names of the directory, or why they cannot be listed (exit 4 when we may
/// not read it).
fn listed(dir: &Path, command: &str) -> Result<Vec<String>> {
    Ok(list_images(dir).map_err(|e| {
        let denied = e.kind() == std::io::ErrorKind::PermissionDenied;
        Fail::new(
            if denied { Code::Unknown } else { Code::Failure },
            format!(
                "cannot list the images in {}: {}; name the instance (e.g. `pharo-ctl {command} NAME`){}",
                dir.display(),
                crate::error::reason(&e),
                if denied {
                    ", or run as a user who may read the directory"
                } else {
                    ""
                }
            ),
        )
    })?)
}

/// Every instance of the directory (`--all`), by name; none is an error (exit 6).
pub fn all_names(args: &InstanceArgs, command: &str) -> Result<Vec<String>> {
    let dir = directory(args)?;
    let names = listed(&dir, command)?;
    if names.is_empty() {
        return no_images(&dir);
    }
    Ok(names)
}

/// The names of the directory's images when NAME is left out and there are several of them
/// (and no `--image` names one); `None` otherwise, the one-instance rules then apply.
pub fn several_unnamed(args: &InstanceArgs) -> Option<Vec<String>> {
    if args.image.is_some() {
        return None;
    }
    let names = list_images(&directory(args).ok()?).ok()?;
    (names.len() > 1).then_some(names)
}

/// The instance names of a directory: its `*.image` files without the extension, sorted; none
/// when it cannot be read (for completions, which must never fail).
pub fn image_names(dir: &Path) -> Vec<String> {
    list_images(dir).unwrap_or_default()
}

/// The instance names of a directory, or why it cannot be read.
fn list_images(dir: &Path) -> std::io::Result<Vec<String>> {
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
    }

    #[test]
    fn names_are_plain() {
        assert_eq!(validate_name("zinc.image").unwrap(), "zinc");
        assert!(validate_name("../zinc").is_err());
        assert!(validate_name("").is_err());
    }
}
