//! `pharo-ctl init [NAME]`: makes an instance directory ready. Beside `NAME.image` (or an
//! image given with `--image`, copied or linked) it writes `NAME.st`, a startup script whose
//! REPL listens on loopback and asks for credentials, and `NAME.repl-secret`, their random
//! password (mode 0600, the instance's user's), on a REPL port nothing on this host listens on
//! and no other script of the directory names. It never overwrites: beside an existing script
//! it prints the lines to add instead. It ends with the next commands to run.

mod files;
mod port;

use crate::context::Context;
use crate::error::{Fail, fail};
use crate::exit_code::Code;
use crate::instance::script;
use crate::output;
use crate::repl::credentials::{self, Credentials};
use anyhow::Result;
use files::{Created, Owner};
use std::path::{Path, PathBuf};

/// What `init` was asked to do.
pub struct Request<'a> {
    pub name: Option<&'a str>,
    /// The image to start from, against DIR.
    pub image: Option<PathBuf>,
    /// Link the image rather than copy it.
    pub link: bool,
    pub repl_port: Option<u16>,
    pub user: Option<&'a str>,
    /// Write nothing; print what would be written.
    pub print: bool,
}

/// What becomes of the startup script.
enum Script {
    /// None exists: this one is written.
    New(String),
    /// One exists and its REPL already asks for the secret's credentials.
    Ready,
    /// One exists: the lines to put in it, and where.
    Edit(String),
}

/// What `init` will do, decided before anything is written.
struct Plan {
    name: String,
    image: PathBuf,
    /// The image to copy or link to `image`, if any.
    source: Option<PathBuf>,
    link: bool,
    script_file: PathBuf,
    script: Script,
    /// The REPL port of a script written or to edit.
    port: Option<u16>,
    secret_file: PathBuf,
    /// An existing secret, which is kept.
    secret_exists: bool,
    owner: Owner,
}

pub fn run(ctx: &Context, request: &Request<'_>) -> Result<Code> {
    let plan = plan(ctx, request)?;
    if request.print {
        print(&plan);
        return Ok(Code::Success);
    }
    let mut created = Created::default();
    if let Err(e) = write(&plan, &mut created) {
        created.undo();
        return Err(e);
    }
    let (name, script_file) = (&plan.name, plan.script_file.display());
    match &plan.script {
        Script::Ready => output::step(format!(
            "{name}: {script_file} already starts the REPL with the secret's credentials; left as it is"
        )),
        Script::Edit(lines) => {
            output::step(format!(
                "{name}: {script_file} exists and is left as it is; put these lines in it (its REPL then asks for the secret's credentials):"
            ));
            print!("{lines}");
        }
        Script::New(_) => {}
    }
    next_steps(ctx, name, &plan.owner);
    Ok(Code::Success)
}

/// Decides what to write, checking everything first: the name, the image, the user, the
/// script, the port, an existing secret.
fn plan(ctx: &Context, request: &Request<'_>) -> Result<Plan> {
    let dir = &ctx.dir;
    if !dir.is_dir() {
        return fail(
            Code::NotConfigured,
            format!(
                "{} is not a directory: create it, or pass the instance's directory with -C/--dir",
                dir.display()
            ),
        );
    }
    let name = match (request.name, &request.image) {
        (Some(name), _) => name.strip_suffix(".image").unwrap_or(name).to_string(),
        (None, Some(image)) => stem(image)?,
        (None, None) => ctx.instance(None)?.name,
    };
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return fail(
            Code::Usage,
            format!(
                "'{name}' is not an instance name: give the image's name without directory or .image"
            ),
        );
    }
    let image = dir.join(format!("{name}.image"));
    let source = image_source(&image, request.image.as_deref())?;
    let owner = Owner::resolve(request.user, &image, source.as_deref())?;
    let script_file = dir.join(format!("{name}.st"));
    let secret_name = crate::instance::secret_file_name(&name);
    let secret_file = dir.join(&secret_name);
    let (script, port) = plan_script(ctx, &name, &script_file, &secret_name, request.repl_port)?;
    let secret_exists = secret_file.symlink_metadata().is_ok();
    if secret_exists {
        // Kept as it is, if it may serve: only its owner may read it.
        let user = std::fs::read_to_string(&script_file)
            .ok()
            .and_then(|t| script::repl_user_in(&t))
            .unwrap_or_else(|| credentials::DEFAULT_USER.to_string());
        Credentials::load(&secret_file, &user)?;
    }
    Ok(Plan {
        name,
        image,
        source,
        link: request.link,
        script_file,
        script,
        port,
        secret_file,
        secret_exists,
        owner,
    })
}

/// Writes what the plan says, recording each file in `created`.
fn write(plan: &Plan, created: &mut Created) -> Result<()> {
    let name = &plan.name;
    if let Some(source) = &plan.source {
        created.image(source, &plan.image, plan.link)?;
        output::step(format!(
            "{name}: {} {} as {}",
            if plan.link { "linked" } else { "copied" },
            source.display(),
            plan.image.display()
        ));
    }
    if plan.secret_exists {
        output::step(format!(
            "{name}: kept the REPL secret {}",
            plan.secret_file.display()
        ));
    } else {
        created.secret(&plan.secret_file, &plan.owner)?;
        output::step(format!(
            "{name}: wrote the REPL secret {} (256 random bits, mode 0600, owner {})",
            plan.secret_file.display(),
            plan.owner.name
        ));
    }
    if let Script::New(text) = &plan.script {
        created.file(&plan.script_file, text, &plan.owner)?;
        output::step(format!(
            "{name}: wrote the startup script {}: REPL on 127.0.0.1:{} with credentials, ShutdownSequence",
            plan.script_file.display(),
            plan.port.unwrap_or_default()
        ));
    }
    Ok(())
}

/// The image to copy or link (`--image`), or none when `NAME.image` is there already.
fn image_source(image: &Path, given: Option<&Path>) -> Result<Option<PathBuf>> {
    let Some(given) = given else {
        if image.is_file() {
            return Ok(None);
        }
        return fail(
            Code::NotConfigured,
            format!(
                "no image at {}: put it there, or pass --image PATH to copy one (--link to link it)",
                image.display()
            ),
        );
    };
    if !given.is_file() {
        return fail(
            Code::NotConfigured,
            format!("no image at {}: check --image", given.display()),
        );
    }
    let same = crate::process::FileId::of(given) == crate::process::FileId::of(image);
    if image.symlink_metadata().is_ok() {
        if same {
            return Ok(None);
        }
        return fail(
            Code::Usage,
            format!(
                "{} exists already and init never overwrites: leave out --image to use it, or choose another NAME",
                image.display()
            ),
        );
    }
    Ok(Some(given.to_path_buf()))
}

/// What becomes of the script, and the REPL port of a script to write or to edit.
fn plan_script(
    ctx: &Context,
    name: &str,
    file: &Path,
    secret_name: &str,
    wanted: Option<u16>,
) -> Result<(Script, Option<u16>)> {
    let existing = match std::fs::read_to_string(file) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return fail(
                Code::Unknown,
                format!(
                    "cannot read {}: {}; init leaves an existing script alone and must read it to say what to add",
                    file.display(),
                    crate::error::reason(&e)
                ),
            );
        }
    };
    let Some(text) = existing else {
        let port = port::choose(&ctx.dir, name, wanted)?;
        let user = credentials::DEFAULT_USER;
        return Ok((
            Script::New(script::new_script(name, port, user, secret_name)),
            Some(port),
        ));
    };
    if let Some(user) = script::repl_user_in(&text) {
        if text.contains(secret_name) {
            return Ok((Script::Ready, None));
        }
        return Err(Fail::new(
            Code::NotConfigured,
            format!(
                "{} already gives its REPL an authenticator (user '{user}') whose password is not read from {secret_name}: make it read (Smalltalk imageDirectory / '{secret_name}') contents trimBoth, or pass its file with --repl-secret to every command",
                file.display()
            ),
        )
        .into());
    }
    let (port, instead) = match crate::instance::repl_port_in(&text) {
        Some(port) => (
            port,
            format!("replace its `ZnReadEvalPrintDelegate startInServerOn: {port}.` with"),
        ),
        None => (port::choose(&ctx.dir, name, wanted)?, "add".to_string()),
    };
    let mut lines = format!(
        "\"{instead}:\"\n{}",
        script::repl_statement(port, credentials::DEFAULT_USER, secret_name)
    );
    if !text.contains("#ShutdownSequence") {
        lines.push_str(&format!("\n{}", script::SHUTDOWN_SEQUENCE));
    }
    Ok((Script::Edit(lines), Some(port)))
}

/// `--print`: what would be written, and nothing written.
fn print(plan: &Plan) {
    let name = &plan.name;
    if let Some(source) = &plan.source {
        output::step(format!(
            "{name}: would {} {} as {}",
            if plan.link { "link" } else { "copy" },
            source.display(),
            plan.image.display()
        ));
    }
    if plan.secret_exists {
        output::step(format!(
            "{name}: would keep the REPL secret {}",
            plan.secret_file.display()
        ));
    } else {
        output::step(format!(
            "{name}: would write the REPL secret {} (256 random bits, mode 0600, owner {})",
            plan.secret_file.display(),
            plan.owner.name
        ));
    }
    let script_file = plan.script_file.display();
    match &plan.script {
        Script::New(text) => {
            output::step(format!("{name}: would write {script_file}:"));
            print!("{text}");
        }
        Script::Ready => output::step(format!(
            "{name}: {script_file} already starts the REPL with the secret's credentials"
        )),
        Script::Edit(lines) => {
            output::step(format!(
                "{name}: {script_file} exists and would be left as it is; put these lines in it:"
            ));
            print!("{lines}");
        }
    }
    output::step(format!("{name}: nothing was written (--print)"));
}

/// The commands to run next.
fn next_steps(ctx: &Context, name: &str, owner: &Owner) {
    let dir = ctx.dir.display();
    let as_user = if owner.is_self() {
        String::new()
    } else {
        format!("sudo -u {} ", owner.name)
    };
    output::step(format!("{name}: next:"));
    output::step(format!("  {as_user}pharo-ctl -C {dir} start --wait {name}"));
    output::step(format!("  {as_user}pharo-ctl -C {dir} eval {name} '3 + 4'"));
    output::step(format!(
        "  pharo-ctl -C {dir} unit {name} --user {} > /etc/systemd/system/pharo-{name}.service",
        owner.name
    ));
}

fn stem(image: &Path) -> Result<String> {
    match image.file_stem().and_then(|s| s.to_str()) {
        Some(stem) => Ok(stem.to_string()),
        None => fail(
            Code::Usage,
            format!(
                "cannot name an instance after {}: give NAME",
                image.display()
            ),
        ),
    }
}
