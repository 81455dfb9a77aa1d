//! The command line resolved once, at the edge, as ripgrep turns its parsed flags into
//! high-level ones: the directory and the files given, the VM (here), the REPL
//! ([`resolve_repl`]) and the stop settings. The commands hand the machinery below only these
//! values (an [`Instance`] with its files and VM, a checked REPL, the stop settings), never the
//! parsed arguments.

mod resolve_repl;

use crate::cli::{DEFAULT_SHUTDOWN, InstanceArgs, ReplArgs, StopArgs, VmArgs};
use crate::error::{Fail, fail};
use crate::exit_code::Code;
use crate::instance::{self, Instance, Source, normalise};
use crate::stop::Settings;
use anyhow::Result;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The stop sequence of a command that has no stop options (a failed start): the defaults.
const DEFAULT_STOP: (Duration, Duration) = (Duration::from_secs(5), Duration::from_secs(5));

/// The overrides of an instance's files, as given (absolute, normalised).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub image: Option<PathBuf>,
    pub script: Option<PathBuf>,
    pub pid_file: Option<PathBuf>,
    pub log_file: Option<PathBuf>,
}

/// The command line, resolved.
#[derive(Debug, Clone)]
pub struct Context {
    /// The subcommand, for hints (`pharo-ctl stop NAME`).
    pub command: &'static str,
    /// The directory of the instances (`-C`, else the current one), absolute and normalised.
    pub dir: PathBuf,
    /// Whether `-C`/`PHARO_CTL_DIR` named the directory.
    dir_given: bool,
    pub overrides: Overrides,
    /// Whether the files came from pharo-ctl.sh's order `SCRIPT COMMAND IMAGE`.
    legacy: bool,
    /// The VM as given (`--vm`, `PHARO_VM`).
    pub vm: Option<PathBuf>,
    /// The VM arguments as given (`--vm-arg`).
    pub vm_args: Vec<String>,
    /// The REPL URL as given (`--repl`, `PHARO_REPL`).
    pub repl_url: Option<String>,
    pub allow_remote: bool,
    /// The REPL's secret file as given (`--repl-secret`, `PHARO_REPL_SECRET_FILE`), against DIR.
    pub repl_secret: Option<PathBuf>,
    /// How an instance is stopped.
    pub stop: Settings,
}

impl Context {
    /// Resolves the options of an instance command: its instance options, and its REPL and
    /// stop options when it has them.
    pub fn new(
        command: &'static str,
        files: &InstanceArgs,
        repl: Option<&ReplArgs>,
        stop: Option<&StopArgs>,
    ) -> Result<Context> {
        let dir = directory(&files.at)?;
        // A path given relative is relative to DIR, as if pharo-ctl ran there.
        let at = |path: &Option<PathBuf>| path.as_ref().map(|p| normalise(&dir.join(p)));
        Ok(Context {
            command,
            dir_given: files.at.dir.is_some(),
            overrides: Overrides {
                image: at(&files.image),
                script: at(&files.script),
                pid_file: at(&files.pid_file),
                log_file: at(&files.log_file),
            },
            repl_secret: at(&repl.and_then(|r| r.secret.clone())),
            dir,
            legacy: files.legacy_order,
            vm: files.at.vm.clone(),
            vm_args: files.vm_args.clone(),
            repl_url: repl.and_then(|r| r.url.clone()),
            allow_remote: repl.is_some_and(|r| r.allow_remote),
            stop: Settings {
                shutdown: stop.map_or(DEFAULT_SHUTDOWN.to_string(), |s| s.shutdown.clone()),
                grace: stop.map_or(DEFAULT_STOP.0, |s| s.timeout),
                kill_after: stop.map_or(DEFAULT_STOP.1, |s| s.kill_after),
            },
        })
    }

    /// Resolves an instance by NAME, or the only image of the directory. A NAME that is no
    /// instance (no image, and neither a pid file nor a running VM names it) is exit 6.
    pub fn instance(&self, name: Option<&str>) -> Result<Instance> {
        let instance = self.files_of(name)?;
        if instance.image_source == Source::Name
            && !instance.image.exists()
            && !instance.pid_file.exists()
            && matches!(
                crate::instance::finder::find(&instance)?,
                crate::instance::finder::Found::NotRunning
            )
        {
            return fail(Code::NotConfigured, self.unknown(&instance.name));
        }
        Ok(instance)
    }

    /// An instance's files by NAME, whether or not its image exists: `restore` puts back an
    /// image that was lost.
    pub fn instance_files(&self, name: &str) -> Result<Instance> {
        self.files_of(Some(name))
    }

    /// An instance's files and VM, without asking whether it exists.
    fn files_of(&self, name: Option<&str>) -> Result<Instance> {
        let given = &self.overrides;
        // DIR must exist when it is used: named, or where the image is looked for. The
        // directory of a given image may not: then its image is reported missing.
        let in_dir = self.dir_given || given.image.is_none();
        if in_dir {
            check_dir(&self.dir)?;
        }
        let name = match name {
            Some(name) => validate_name(name)?,
            None => match &given.image {
                Some(image) => stem(image)?,
                None => self.only_image()?,
            },
        };
        let image = given
            .image
            .clone()
            .unwrap_or_else(|| self.dir.join(format!("{name}.image")));
        // The instance's files live beside its image; without -C, so does its VM.
        let beside = image.parent().unwrap_or(&self.dir).to_path_buf();
        let dir = if in_dir {
            self.dir.clone()
        } else {
            beside.clone()
        };
        let source = |given: bool| match (given, self.legacy) {
            (false, _) => Source::Name,
            (true, false) => Source::Option,
            (true, true) => Source::Legacy,
        };
        let script = match &given.script {
            Some(script) => Some(script.clone()),
            None => Some(beside.join(format!("{name}.st"))).filter(|p| p.is_file()),
        };
        let vm = instance::find_vm(self.vm.as_deref(), &dir).map_err(|e| e.to_string());
        let vm_args = if self.vm_args.is_empty() {
            instance::default_vm_args(vm.as_deref().ok())
        } else {
            self.vm_args.clone()
        };
        Ok(Instance {
            image_source: source(given.image.is_some()),
            script_source: source(given.script.is_some()),
            pid_file: given
                .pid_file
                .clone()
                .unwrap_or_else(|| beside.join(format!("{name}.pid"))),
            log_file: given
                .log_file
                .clone()
                .unwrap_or_else(|| beside.join(format!("{name}.log"))),
            vm,
            vm_args,
            name,
            dir,
            image,
            script,
            script_text: std::sync::OnceLock::new(),
        })
    }

    /// `no instance zinx in DIR (instances: zinc)`.
    fn unknown(&self, name: &str) -> String {
        let dir = self.dir.display();
        match instance::list_images(&self.dir) {
            Ok(names) if names.is_empty() => {
                format!(
                    "no instance {name} in {dir} (it holds no *.image): check the name, or use -C DIR"
                )
            }
            Ok(names) => format!(
                "no instance {name} in {dir} (instances: {}): check the name, or use -C DIR",
                names.join(", ")
            ),
            Err(e) => format!(
                "no instance {name} in {dir} (its images cannot be listed: {}): check the name, or use -C DIR",
                crate::error::reason(&e)
            ),
        }
    }

    /// The only `*.image` of the directory, as an instance name.
    fn only_image(&self) -> Result<String> {
        let (dir, command) = (&self.dir, self.command);
        let mut names = self.images()?;
        match names.len() {
            1 => Ok(names.remove(0)),
            0 => self.no_images(),
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

    /// Every instance of the directory (`--all`), by name; none is an error (exit 6).
    pub fn all_names(&self) -> Result<Vec<String>> {
        check_dir(&self.dir)?;
        let names = self.images()?;
        if names.is_empty() {
            return self.no_images();
        }
        Ok(names)
    }

    /// The names of the directory's images when NAME is left out and there are several of
    /// them (and no `--image` names one); `None` otherwise: the one-instance rules apply.
    pub fn several_unnamed(&self) -> Option<Vec<String>> {
        if self.overrides.image.is_some() {
            return None;
        }
        let names = instance::list_images(&self.dir).ok()?;
        (names.len() > 1).then_some(names)
    }

    fn no_images<T>(&self) -> Result<T> {
        fail(
            Code::NotConfigured,
            format!(
                "no *.image in {}: name an instance, pass --image, or use -C DIR",
                self.dir.display()
            ),
        )
    }

    /// The instance names of the directory, or why they cannot be listed (exit 4 when we may
    /// not read it).
    fn images(&self) -> Result<Vec<String>> {
        let (dir, command) = (&self.dir, self.command);
        Ok(instance::list_images(dir).map_err(|e| {
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
}

/// The instances' directory: `-C/--dir` (against the current one), else the current one;
/// absolute and normalised.
fn directory(args: &VmArgs) -> Result<PathBuf> {
    let cwd = std::env::current_dir()
        .map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
    Ok(normalise(
        &cwd.join(args.dir.as_deref().unwrap_or(Path::new(""))),
    ))
}

/// The VM `--vm`/`PHARO_VM` names (against DIR), if any: for `ps`, one more program that
/// counts as a VM whatever its name.
pub fn given_vm(args: &VmArgs) -> Result<Option<PathBuf>> {
    match &args.vm {
        Some(vm) => Ok(Some(instance::find_vm(Some(vm), &directory(args)?)?)),
        None => Ok(None),
    }
}

fn check_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fail(
        Code::NotConfigured,
        format!(
            "{} is not a directory: pass the instances' directory with -C/--dir or PHARO_CTL_DIR",
            dir.display()
        ),
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A directory with these files (empty ones), and the context of a command given these
    /// instance options in it.
    fn context_in(files: &[&str], given: InstanceArgs) -> (tempfile::TempDir, Context) {
        let dir = tempfile::tempdir().unwrap();
        for file in files {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let args = InstanceArgs {
            at: VmArgs {
                dir: Some(dir.path().to_path_buf()),
                vm: Some(PathBuf::from("/bin/true")),
            },
            ..given
        };
        let ctx = Context::new("status", &args, None, None).unwrap();
        (dir, ctx)
    }

    #[test]
    fn an_instance_s_files_resolve_by_the_rules() {
        let given =
            |image: Option<&str>, script: Option<&str>, pid_file: Option<&str>| InstanceArgs {
                image: image.map(PathBuf::from),
                script: script.map(PathBuf::from),
                pid_file: pid_file.map(PathBuf::from),
                ..InstanceArgs::default()
            };
        // (files, NAME, options) -> (image, script, pid file, log), relative to the directory.
        #[allow(clippy::type_complexity)]
        let table: &[(&[&str], Option<&str>, InstanceArgs, [&str; 4])] = &[
            // NAME: its files in the directory; NAME.st only when it exists.
            (
                &["zinc.image"],
                Some("zinc"),
                given(None, None, None),
                ["zinc.image", "", "zinc.pid", "zinc.log"],
            ),
            (
                &["zinc.image", "zinc.st"],
                Some("zinc"),
                given(None, None, None),
                ["zinc.image", "zinc.st", "zinc.pid", "zinc.log"],
            ),
            // NAME.image is NAME.
            (
                &["zinc.image"],
                Some("zinc.image"),
                given(None, None, None),
                ["zinc.image", "", "zinc.pid", "zinc.log"],
            ),
            // No NAME: the only image of the directory.
            (
                &["only.image", "only.st"],
                None,
                given(None, None, None),
                ["only.image", "only.st", "only.pid", "only.log"],
            ),
            // --image elsewhere: its files beside it, relative paths against DIR, normalised.
            (
                &["a/zinc.image", "a/zinc.st"],
                None,
                given(Some("b/../a/zinc.image"), None, None),
                ["a/zinc.image", "a/zinc.st", "a/zinc.pid", "a/zinc.log"],
            ),
            // Each file can be overridden on its own.
            (
                &["zinc.image", "zinc.st", "other.st"],
                Some("zinc"),
                given(None, Some("other.st"), Some("run/zinc.pid")),
                ["zinc.image", "other.st", "run/zinc.pid", "zinc.log"],
            ),
        ];
        for (files, name, options, [image, script, pid_file, log]) in table {
            let (dir, ctx) = context_in(files, options.clone());
            let instance = ctx.instance(*name).unwrap();
            let at = |file: &str| (!file.is_empty()).then(|| dir.path().join(file));
            let case = format!("{files:?} {name:?}");
            assert_eq!(Some(instance.image), at(image), "{case}");
            assert_eq!(instance.script, at(script), "{case}");
            assert_eq!(Some(instance.pid_file), at(pid_file), "{case}");
            assert_eq!(Some(instance.log_file), at(log), "{case}");
        }
    }

    #[test]
    fn what_cannot_be_resolved_is_refused_with_its_exit_code() {
        let cases: &[(&[&str], Option<&str>, Code)] = &[
            // No image in the directory, and no NAME.
            (&[], None, Code::NotConfigured),
            // Several images and no NAME: not a guess.
            (&["a.image", "b.image"], None, Code::Usage),
            // A NAME that is no instance.
            (&["zinc.image"], Some("zinx"), Code::NotConfigured),
            // A NAME that is a path.
            (&["zinc.image"], Some("../zinc"), Code::Usage),
        ];
        for (files, name, code) in cases {
            let (_dir, ctx) = context_in(files, InstanceArgs::default());
            let error = ctx.instance(*name).unwrap_err();
            assert_eq!(
                crate::error::code_of(&error),
                *code,
                "{files:?} {name:?}: {error}"
            );
        }
    }

    #[test]
    fn the_repl_url_comes_from_the_option_the_script_or_the_default() {
        let (_dir, ctx) = context_in(&["zinc.image"], InstanceArgs::default());
        let dir = ctx.dir.clone();
        std::fs::write(
            dir.join("zinc.st"),
            "ZnReadEvalPrintDelegate startInServerOn: 42044.",
        )
        .unwrap();
        let zinc = ctx.instance(Some("zinc")).unwrap();
        assert_eq!(ctx.repl_url(Some(&zinc)), "http://127.0.0.1:42044/repl");
        assert!(ctx.repl(Some(&zinc)).unwrap().is_named());
        assert_eq!(ctx.repl_url(None), crate::repl::DEFAULT_URL);
        assert!(!ctx.repl(None).unwrap().is_named());
        let given = Context {
            repl_url: Some("http://127.0.0.1:1/repl".to_string()),
            ..ctx.clone()
        };
        assert_eq!(given.repl_url(Some(&zinc)), "http://127.0.0.1:1/repl");
    }

    #[test]
    fn names_are_plain() {
        assert_eq!(validate_name("zinc.image").unwrap(), "zinc");
        assert!(validate_name("../zinc").is_err());
        assert!(validate_name("").is_err());
    }

    #[test]
    fn paths_are_normalised() {
        for (path, normal) in [
            ("/srv/b/../a/zinc.image", "/srv/a/zinc.image"),
            ("/srv/./zinc.pid", "/srv/zinc.pid"),
            ("/../srv", "/srv"),
            ("/srv/a/", "/srv/a"),
        ] {
            assert_eq!(normalise(Path::new(path)), Path::new(normal), "{path}");
        }
    }
}
