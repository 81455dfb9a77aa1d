//! Several instances at once: which ones a command means (NAMEs, `--all`, or every image of a
//! directory), a step run for each of them (all at once, or one after another) with its
//! errors named, the summary line and the exit status of the lot, and the rule that two
//! instances of a directory never start their REPL on one port.

use crate::cli::Names;
use crate::context::Context;
use crate::error::{self, fail};
use crate::exit_code::Code;
use crate::instance::{self, Instance};
use crate::output;
use anyhow::Result;

/// What a command acts on.
pub enum Targets {
    /// One instance: the command behaves as it always has.
    One(Box<Instance>),
    /// Several (or `--all`, even when the directory holds only one image).
    Several(Vec<Instance>),
}

impl Targets {
    /// The instances of the command line: several NAMEs, `--all`, or one NAME (none: the only
    /// image of the directory). `unnamed_means_all`: no NAME in a directory of several images
    /// means all of them (status), instead of an error.
    pub fn select(ctx: &Context, names: &Names, unnamed_means_all: bool) -> Result<Targets> {
        let list = if names.all {
            ctx.all_names()?
        } else if names.names.len() > 1 {
            names.names.clone()
        } else if let Some(list) = (names.names.is_empty() && unnamed_means_all)
            .then(|| ctx.several_unnamed())
            .flatten()
        {
            list
        } else {
            let name = names.names.first().map(String::as_str);
            return Ok(Targets::One(Box::new(ctx.instance(name)?)));
        };
        refuse_one_instance_options(ctx)?;
        let mut instances: Vec<Instance> = Vec::with_capacity(list.len());
        for name in &list {
            let instance = ctx.instance(Some(name))?;
            // `zinc zinc.image` is one instance.
            if !instances.iter().any(|i| i.name == instance.name) {
                instances.push(instance);
            }
        }
        Ok(Targets::Several(instances))
    }
}

/// Refuses the options that name one instance's files or REPL when a command means several
/// instances (or none in particular, as a template unit): each instance has its own.
pub fn refuse_one_instance_options(ctx: &Context) -> Result<()> {
    let given = [
        ("--image", ctx.overrides.image.is_some()),
        ("--script", ctx.overrides.script.is_some()),
        ("--pid-file", ctx.overrides.pid_file.is_some()),
        ("--log-file", ctx.overrides.log_file.is_some()),
        ("--repl (or PHARO_REPL)", ctx.repl_url.is_some()),
    ];
    match given.iter().find(|(_, given)| *given) {
        Some((option, _)) => fail(
            Code::Usage,
            format!(
                "{option} is one instance's: leave it out for several instances (each has its NAME.* files and its script's REPL port), or name one instance"
            ),
        ),
        None => Ok(()),
    }
}

/// Runs `step` for each instance, all at once (a thread each) or one after another, and
/// answers each one's exit code; an error is printed the moment it happens, as
/// `error: NAME: …`.
pub fn each(
    instances: &[Instance],
    at_once: bool,
    step: impl Fn(&Instance) -> Result<Code> + Sync,
) -> Vec<Code> {
    if !at_once || instances.len() < 2 {
        return instances.iter().map(|i| settle(i, step(i))).collect();
    }
    // Several waits at once would fight over one spinner line.
    output::without_spinners();
    std::thread::scope(|scope| {
        let step = &step;
        let threads: Vec<_> = instances
            .iter()
            .map(|i| scope.spawn(move || settle(i, step(i))))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().unwrap_or(Code::Failure))
            .collect()
    })
}

/// An instance's outcome as its exit code; an error is printed with the instance's name.
pub fn settle(instance: &Instance, result: Result<Code>) -> Code {
    match result {
        Ok(code) => code,
        Err(e) => {
            output::error(named(&instance.name, &format!("{e:#}")));
            error::code_of(&e)
        }
    }
}

/// `NAME: line`, unless the line already begins with the name (`zinc failed to start: …`).
pub fn named(name: &str, line: &str) -> String {
    match line.strip_prefix(name) {
        Some(rest) if rest.starts_with([' ', ':']) => line.to_string(),
        _ => format!("{name}: {line}"),
    }
}

/// Prints the summary line of several instances' outcomes (`all 3 stopped: a, b, c`, or
/// `1 of 3 failed to start: b (exit 1)`) and answers the exit status: the highest of theirs.
pub fn summarize(instances: &[Instance], codes: &[Code], done: &str, failed_to: &str) -> Code {
    let failed: Vec<String> = instances
        .iter()
        .zip(codes)
        .filter(|(_, code)| **code != Code::Success)
        .map(|(i, code)| format!("{} (exit {})", i.name, code.value()))
        .collect();
    let worst = codes
        .iter()
        .copied()
        .max_by_key(|c| c.value())
        .unwrap_or(Code::Success);
    if failed.is_empty() {
        let names: Vec<&str> = instances.iter().map(|i| i.name.as_str()).collect();
        output::step(format!(
            "all {} {done}: {}",
            instances.len(),
            names.join(", ")
        ));
    } else {
        output::error(format!(
            "{} of {} failed to {failed_to}: {}",
            failed.len(),
            instances.len(),
            failed.join(", ")
        ));
    }
    worst
}

/// Refuses to start instances whose startup script opens its REPL on a port that another
/// instance of the directory's script names too (exit 6), before anything starts.
pub fn check_ports(instances: &[&Instance]) -> Result<()> {
    match port_conflicts(instances).first() {
        Some(conflict) => fail(
            Code::NotConfigured,
            format!(
                "{conflict}: give each instance its own port in its startup script; nothing was started"
            ),
        ),
        None => Ok(()),
    }
}

/// The REPL ports that the scripts of `instances` share with another instance of their
/// directory, each as `zinc1 and zinc2 both start their REPL on port 42033 (zinc1.st,
/// zinc2.st)`.
pub fn port_conflicts(instances: &[&Instance]) -> Vec<String> {
    // An instance without its image fails to start on its own, with a clearer error.
    let instances: Vec<&Instance> = instances
        .iter()
        .copied()
        .filter(|i| i.image.is_file())
        .collect();
    let Some(first) = instances.first() else {
        return Vec::new();
    };
    let dir = &first.dir;
    // Each instance of the directory with its script's port: those given, then the others'
    // NAME.st.
    let mut ports: Vec<(String, String, u16)> = instances
        .iter()
        .filter_map(|i| {
            let script = i.script.as_ref()?;
            Some((i.name.clone(), file_name(script), i.script_repl_port()?))
        })
        .collect();
    for name in instance::list_images(dir).unwrap_or_default() {
        // An instance named otherwise than its image (pharo-ctl.sh's order) is still that
        // image.
        let image = dir.join(format!("{name}.image"));
        if instances.iter().any(|i| i.name == name || i.image == image) {
            continue;
        }
        let script = dir.join(format!("{name}.st"));
        if let Some(port) = std::fs::read_to_string(&script)
            .ok()
            .and_then(|text| instance::repl_port_in(&text))
        {
            ports.push((name, file_name(&script), port));
        }
    }
    let mut conflicts = Vec::new();
    let mut seen: Vec<u16> = Vec::new();
    for (name, _, port) in &ports {
        if seen.contains(port) || !instances.iter().any(|i| &i.name == name) {
            continue;
        }
        seen.push(*port);
        let mut sharing: Vec<&(String, String, u16)> =
            ports.iter().filter(|(_, _, p)| p == port).collect();
        sharing.sort();
        if sharing.len() < 2 {
            continue;
        }
        let names: Vec<&str> = sharing.iter().map(|(n, ..)| n.as_str()).collect();
        let scripts: Vec<&str> = sharing.iter().map(|(_, s, _)| s.as_str()).collect();
        conflicts.push(format!(
            "{} {} start their REPL on port {port} ({})",
            and_list(&names),
            if names.len() == 2 { "both" } else { "all" },
            scripts.join(", ")
        ));
    }
    conflicts
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into(),
    )
}

/// `a and b`, `a, b and c`.
fn and_list(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_named_once() {
        assert_eq!(named("zinc", "no image at /x"), "zinc: no image at /x");
        assert_eq!(
            named("zinc", "zinc failed to start: …"),
            "zinc failed to start: …"
        );
        assert_eq!(named("zinc", "zinc1 is odd"), "zinc: zinc1 is odd");
    }

    #[test]
    fn lists_read_as_english() {
        assert_eq!(and_list(&["a", "b"]), "a and b");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
    }
}
