//! `pharo-ctl ps`: the Pharo VMs running on this machine, one row each, in the spirit of pm2's
//! list: pid, user, uptime, memory, CPU time, image, and whether the image's pid file names
//! the process. A VM is a process one of whose arguments (not its program) ends in `.image`,
//! whose program is named like a VM or is the VM pharo-ctl would run there (a script run
//! through its interpreter too), and that is not a pharo-ctl; its image is resolved against
//! the process's working directory. A wrapper and the VM it started are one row: the VM
//! proper's, with the wrapper's pid beside it. `--json` names the `NAME.repl-secret` beside
//! each image, when there is one: its REPL asks for credentials.

use crate::exit_code::Code;
use crate::instance;
use crate::instance::pidfile::{self, PidFile};
use crate::output;
use crate::output::table::{GAP, uptime};
use crate::process::identity;
use crate::process::usage;
use crate::process::{self, FileId};
use anyhow::Result;
use colored::Colorize;
use serde::Serialize;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// One running VM.
#[derive(Debug, Serialize)]
struct Vm {
    pid: i32,
    /// The wrapper above the VM proper, if one stands above it.
    wrapper_pid: Option<i32>,
    user: String,
    /// RFC 3339.
    started_at: Option<String>,
    uptime_s: Option<u64>,
    rss_bytes: Option<u64>,
    cpu_s: Option<f64>,
    image: PathBuf,
    /// `NAME.pid` next to the image, when it exists.
    pid_file: Option<PathBuf>,
    /// Whether that pid file names this process.
    pid_file_names_it: bool,
    /// `NAME.repl-secret` next to the image, when it exists: its REPL asks for credentials.
    repl_secret: Option<PathBuf>,
    /// The URL of the REPL the VM holds: the loopback listener of its own that answers
    /// `GET /repl` like Zinc.
    repl: Option<String>,
    /// The REPL that `NAME.st` beside the image names, when it is not the one the VM holds.
    script_repl: Option<String>,
    command: String,
}

/// Lists the VMs; `vm` is one more program that counts as a VM (`--vm`), `json` is
/// `Some(pretty)` for JSON.
pub fn run(vm: Option<&Path>, json: Option<bool>) -> Result<Code> {
    let vms = scan(vm.and_then(FileId::of));
    if let Some(pretty) = json {
        output::json(&vms, pretty)?;
    } else if vms.is_empty() {
        output::step("no Pharo VM is running on this machine");
    } else {
        write_table(&mut std::io::stdout().lock(), &vms)?;
    }
    Ok(Code::Success)
}

/// Every process that looks like a Pharo VM, by pid; `given` is the VM `--vm` names.
fn scan(given: Option<FileId>) -> Vec<Vm> {
    let mut found: Vec<(i32, PathBuf, Vec<OsString>)> = process::all_pids()
        .filter_map(|pid| {
            let args = process::read_cmdline(pid)?;
            if process::is_pharo_ctl(pid, &args[0]) {
                return None;
            }
            let image = args[1..]
                .iter()
                .map(Path::new)
                .find(|arg| arg.extension().is_some_and(|e| e == "image"))?;
            let image = if image.is_absolute() {
                image.to_path_buf()
            } else {
                match std::fs::read_link(format!("/proc/{pid}/cwd")) {
                    Ok(cwd) => cwd.join(image),
                    Err(_) => image.to_path_buf(),
                }
            };
            if !is_vm(pid, &args, &image, given) {
                return None;
            }
            Some((pid, image, args))
        })
        .collect();
    found.sort_by_key(|(pid, ..)| *pid);
    let found = one_row_per_tree(found);
    let usage = usage::of(&found.iter().map(|(pid, ..)| *pid).collect::<Vec<_>>());
    found
        .into_iter()
        .zip(usage)
        .map(|((pid, wrapper_pid, image, command), usage)| {
            let (started, rss, cpu) = match usage {
                Some((started, rss, cpu)) => (Some(started), Some(rss), Some(cpu)),
                None => (None, None, None),
            };
            let pid_file = image.with_extension("pid");
            let recorded = pidfile::read(&pid_file).ok();
            let names_it = |p: Option<i32>| p.is_some_and(|p| recorded == Some(PidFile::Pid(p)));
            let pids: Vec<i32> = std::iter::once(pid).chain(wrapper_pid).collect();
            let url = |addr: std::net::SocketAddr| format!("http://{addr}/repl");
            // A REPL that asks for credentials is asked with those of the secret beside the
            // image, when pharo-ctl may read it: they go only to the VM's own sockets.
            let secret = image.with_extension("repl-secret");
            let authorization = secret
                .symlink_metadata()
                .ok()
                .and_then(|_| {
                    let user = std::fs::read_to_string(image.with_extension("st"))
                        .ok()
                        .and_then(|text| crate::instance::script::repl_user_in(&text))
                        .unwrap_or_else(|| crate::repl::credentials::DEFAULT_USER.to_string());
                    crate::repl::credentials::Credentials::load(&secret, &user).ok()
                })
                .map_or(String::new(), |c| c.header_line());
            let repl = crate::repl::owner::held_repl(&pids, None, &authorization).map(url);
            let script_repl = std::fs::read_to_string(image.with_extension("st"))
                .ok()
                .and_then(|text| instance::repl_port_in(&text))
                .map(|port| format!("http://127.0.0.1:{port}/repl"))
                .filter(|named| repl.as_ref() != Some(named));
            Vm {
                pid,
                wrapper_pid,
                user: user_of(pid),
                started_at: started.map(|t| humantime::format_rfc3339_seconds(t).to_string()),
                uptime_s: started
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .map(|d| d.as_secs()),
                rss_bytes: rss,
                cpu_s: cpu.map(|d: Duration| output::rounded(d.as_secs_f64(), 3)),
                pid_file_names_it: names_it(Some(pid)) || names_it(wrapper_pid),
                pid_file: pid_file.is_file().then_some(pid_file),
                repl_secret: secret.symlink_metadata().is_ok().then_some(secret),
                repl,
                script_repl,
                image,
                command,
            }
        })
        .collect()
}

/// The VMs of each image, one per process tree (the VM proper), with the outermost wrapper
/// above each, if any.
fn one_row_per_tree(
    found: Vec<(i32, PathBuf, Vec<OsString>)>,
) -> Vec<(i32, Option<i32>, PathBuf, String)> {
    let mut images: Vec<&PathBuf> = found.iter().map(|(_, image, _)| image).collect();
    images.sort();
    images.dedup();
    let mut rows = Vec::with_capacity(found.len());
    for image in images {
        let same: Vec<(i32, Vec<OsString>)> = found
            .iter()
            .filter(|(_, i, _)| i == image)
            .map(|(pid, _, args)| (*pid, args.clone()))
            .collect();
        let pids: Vec<i32> = same.iter().map(|(pid, _)| *pid).collect();
        for pid in identity::one_per_tree(&crate::process::Proc, &same) {
            let mut wrapper = None;
            let mut at = pid;
            while let Some(parent) = process::ppid(at).filter(|p| pids.contains(p)) {
                wrapper = Some(parent);
                at = parent;
            }
            let command = found.iter().find(|(p, ..)| *p == pid).map(|(.., args)| {
                args.iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" ")
            });
            rows.push((pid, wrapper, image.clone(), command.unwrap_or_default()));
        }
    }
    rows.sort_by_key(|(pid, ..)| *pid);
    rows
}

/// Whether the process is a VM: named like one, the VM `--vm` names (`given`), or the VM
/// pharo-ctl would run for an image in that directory (`DIR/pharo`, `DIR/pharo-vm/pharo`,
/// `pharo` on PATH).
fn is_vm(pid: i32, args: &[OsString], image: &Path, given: Option<FileId>) -> bool {
    identity::is_vm(pid, args, || {
        let dir = image.parent().unwrap_or(Path::new("/"));
        let default = instance::find_vm(None, dir)
            .ok()
            .and_then(|vm| FileId::of(&vm));
        given.into_iter().chain(default).collect()
    })
}

/// The name of the user a process runs as, or its uid when it has no name.
fn user_of(pid: i32) -> String {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(format!("/proc/{pid}")) else {
        return "?".to_string();
    };
    let uid = nix::unistd::Uid::from_raw(meta.uid());
    match nix::unistd::User::from_uid(uid) {
        Ok(Some(user)) => user.name,
        _ => uid.to_string(),
    }
}

/// `127.0.0.1:42033` of `http://127.0.0.1:42033/repl`.
fn repl_address(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches("/repl")
        .to_string()
}

fn write_table(out: &mut impl Write, vms: &[Vm]) -> Result<()> {
    const HEADER: [&str; 8] = [
        "PID", "USER", "UPTIME", "RSS", "CPU", "PIDFILE", "REPL", "IMAGE",
    ];
    let dash = || "-".to_string();
    let rows: Vec<Vec<String>> = vms
        .iter()
        .map(|vm| {
            vec![
                vm.pid.to_string(),
                vm.user.clone(),
                vm.uptime_s.map_or_else(dash, uptime),
                vm.rss_bytes.map_or_else(dash, output::bytes),
                vm.cpu_s
                    .map_or_else(dash, |s| crate::duration::human(Duration::from_secs_f64(s))),
                match (&vm.pid_file, vm.pid_file_names_it) {
                    (_, true) => "yes".to_string(),
                    (Some(_), false) => "other".to_string(),
                    (None, false) => "no".to_string(),
                },
                match (&vm.repl, &vm.script_repl) {
                    (Some(repl), None) => repl_address(repl),
                    (Some(repl), Some(named)) => {
                        format!("{} (script: {})", repl_address(repl), repl_address(named))
                    }
                    (None, Some(named)) => format!("- (script: {})", repl_address(named)),
                    (None, None) => dash(),
                },
                vm.image.display().to_string(),
            ]
        })
        .collect();
    let table = crate::output::table::layout(&HEADER, &rows);
    writeln!(out, "{}", table[0].join(GAP).bold())?;
    for (row, vm) in table[1..].iter().zip(vms) {
        let text = row.join(GAP);
        if vm.pid_file_names_it {
            writeln!(out, "{text}")?;
        } else {
            // A VM that no pid file names is one pharo-ctl did not start, or whose pid file
            // went astray: worth a glance.
            writeln!(out, "{}", text.yellow())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_no_vm_in_a_test_process() {
        // The test binary itself has no `.image` argument.
        assert!(
            scan(None)
                .iter()
                .all(|vm| vm.pid != std::process::id() as i32)
        );
    }
}
