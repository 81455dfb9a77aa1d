//! The subcommands, each with its arguments and the notes and examples of its help.

use super::{InstanceArgs, Names, ReplArgs, SaveArgs, StartArgs, StopArgs, VmArgs, WatchdogArgs};
use crate::duration;
use crate::instance::logfile::since;
use clap::Subcommand;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the image in the background and record its pid.
    #[command(
        after_help = "Several instances start one after another (all at once with --parallel); each step line starts with the instance's name, and a summary line names those that failed. The exit status is the highest of theirs."
    )]
    Start {
        #[command(flatten)]
        names: Names,
        /// With several instances: start them all at once instead of one after another.
        #[arg(long)]
        parallel: bool,
        #[command(flatten)]
        start: StartArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
    },
    /// Stop the image: cooperative shutdown through the REPL, then SIGTERM, then SIGKILL, to
    /// the VM's whole process tree (a wrapper script, the VM proper, what they started).
    #[command(
        after_help = "Several instances stop at once, each with its own escalation; each step line starts with the instance's name, and a summary line names those that failed. The exit status is the highest of theirs.\n\nOnce the VM has stopped, its pid file is removed, and so is every other pid file of the directory that named it (SCRIPT.pid of pharo-ctl.sh's order).\n\nWith --save, each image is first saved as `pharo-ctl snapshot` saves it (backup, save, check); an image whose save fails is not stopped: it runs on, its image file as it was (exit 1)."
    )]
    Stop {
        #[command(flatten)]
        names: Names,
        /// Save the image first (a verified snapshot, see `pharo-ctl snapshot`); an image whose
        /// save fails is not stopped.
        #[arg(long)]
        save: bool,
        /// With --save: how long the save may take.
        #[arg(long, value_name = "DURATION", default_value = super::save::DEFAULT_SAVE_TIMEOUT, value_parser = duration::parse_positive, requires = "save", hide_short_help = true)]
        save_timeout: Duration,
        #[command(flatten)]
        save_args: SaveArgs,
        #[command(flatten)]
        stop: StopArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
    },
    /// Save the running image in place, safely: room checked, a backup first, the new file
    /// checked, the backup put back if the save fails.
    #[command(
        after_help = "Through the instance's REPL it evaluates `Smalltalk snapshot: true andQuit: false`, which makes the VM truncate the image file and write it anew. First the file system must have room for a backup of the image and its .changes plus the new image (else nothing is written, exit 1). Then the backup: DIR/backups/NAME-UTCSTAMP.image and .changes (--backup-dir), by reflink where the file system supports it, else a copy. Then the save, and a check of the new file: rewritten, complete (its size stable, and as long as its header says), starting with an image format word. A save that fails (an error answer, no answer, a file empty, short or not an image) puts the backup back in place, byte for byte, and exits 1; the image runs on. After a verified save, backups beyond --keep are removed, oldest first.\n\nThe last line says what was saved: `zinc saved in 1.42s: /srv/zinc/zinc.image (62.1 MB); backup backups/zinc-20261207T195000Z.image`. Several instances are saved one after another. `pharo-ctl restore NAME` puts a backup back while the instance is stopped."
    )]
    Snapshot {
        #[command(flatten)]
        names: Names,
        /// How long the save may take (the image is blocked while it writes itself).
        #[arg(short = 't', long, value_name = "DURATION", default_value = super::save::DEFAULT_SAVE_TIMEOUT, value_parser = duration::parse_positive)]
        timeout: Duration,
        /// Print one JSON object per instance (an array for several): the image, its size, the
        /// time taken, the backup and how it was taken (reflink or copy).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        save: SaveArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
    },
    /// Put a backup of the image back in place (the newest by default), while the instance is
    /// stopped; or list the backups.
    #[command(
        after_help = "The current image (and its .changes) first becomes a backup itself, so a restore can be undone with another. BACKUP is a backup's file name in the backup directory (as --list shows it) or a path. An instance that runs is refused (exit 1): stop it first."
    )]
    Restore {
        /// The instance: NAME.image in the directory.
        name: String,
        /// The backup to put back [default: the newest].
        backup: Option<String>,
        /// List the instance's backups (time, size, file), newest last.
        #[arg(long, conflicts_with = "backup")]
        list: bool,
        /// The directory of the backups, relative to the image's [default: backups beside the
        /// image].
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath)]
        backup_dir: Option<PathBuf>,
        /// Print JSON: with --list an array of the backups (file, image, changes, taken_at,
        /// size_bytes), oldest first; else one object for the restore (restored_from, image,
        /// size_bytes, replaced).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        instance: InstanceArgs,
    },
    /// Stop the image if it runs, then start it.
    #[command(
        after_help = "Several instances stop at once, then start one after another (all at once with --parallel). With --rolling, one instance at a time: a cooperative stop, a start that waits for the REPL to answer (--wait), --pause, then the next; a failure ends the roll at once and leaves the instances after it untouched (exit 1), so that behind a load balancer the service never loses all its images."
    )]
    Restart {
        #[command(flatten)]
        names: Names,
        /// One instance at a time, each answering before the next one stops.
        ///
        /// A cooperative stop, a start that waits for the REPL to answer (as --wait), --pause,
        /// then the next instance; a failure ends the roll and leaves the rest untouched.
        #[arg(long, conflicts_with = "parallel")]
        rolling: bool,
        /// With --rolling: how long to wait after an instance answers before the next one.
        #[arg(long, value_name = "DURATION", requires = "rolling", value_parser = duration::parse, allow_hyphen_values = true, hide_short_help = true)]
        pause: Option<Duration>,
        /// With several instances: start them all at once after the stop.
        #[arg(long, hide_short_help = true)]
        parallel: bool,
        #[command(flatten)]
        start: StartArgs,
        #[command(flatten)]
        stop: StopArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
    },
    /// Tell whether the image runs: pid, uptime, memory, CPU, REPL health (and since when it
    /// has not answered), log.
    ///
    /// Its exit codes follow the LSB's conventions for init scripts.
    #[command(
        after_help = "A hung image (the VM runs, its REPL does not answer) is running (exit 0): the report says since when its REPL has not answered, and --probe tells it apart. With --probe: 0 the VM runs and its REPL answered within --timeout [default: 2s], 1 it runs but its REPL did not answer (hung), 3 not running, 4 unknown.

Several instances (several NAMEs, --all, or no NAME in a directory of several images): one row each, with the REPL probes made at once, and a hung one's state is hung; --json prints an array of the objects that one instance's --json prints. Exit 0 when every one is running and its REPL answers, 3 when none is running, else 1 (--probe too)."
    )]
    Status {
        #[command(flatten)]
        names: Names,
        /// Print JSON on one line: one object, or an array for several instances.
        #[arg(long)]
        json: bool,
        /// With --json: indent the JSON over several lines.
        #[arg(long, requires = "json")]
        pretty: bool,
        /// Print nothing; only the exit status tells: 0 when the VM runs and its REPL answers
        /// within --timeout, 1 hung, 3 not running, 4 unknown (for health and liveness probes).
        #[arg(long, conflicts_with_all = ["json", "lines"])]
        probe: bool,
        /// How many lines of the log to show.
        #[arg(short = 'n', long, default_value_t = 10, value_name = "N")]
        lines: usize,
        /// How long the REPL's health probe may take.
        #[arg(short = 't', long, value_name = "DURATION", default_value = "2s", value_parser = duration::parse, allow_hyphen_values = true)]
        timeout: Duration,
        /// Where the image's backups are (as `snapshot --backup-dir`), relative to the image's
        /// directory [default: backups beside the image].
        #[arg(long, value_name = "DIR", value_hint = clap::ValueHint::DirPath, hide_short_help = true)]
        backup_dir: Option<PathBuf>,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
    },
    /// An interactive session with the image's REPL, with line editing and history.
    #[command(
        after_help = "An expression goes on over several lines while a bracket [ ], parenthesis ( ), brace { }, 'string' or \"comment\" is open. Errors are shown in the error colour. Ctrl-C cancels the line being typed, or the request in flight (closing its connection); Ctrl-D or :quit leaves; :help, :timeout DURATION. The history of each instance is kept in $XDG_STATE_HOME/pharo-ctl/history/NAME (else ~/.local/state/pharo-ctl/history/NAME).\n\nOff a terminal, it reads whole expressions from standard input, prints each answer, and exits 1 if any answer was an error."
    )]
    Console {
        /// The instance: NAME.image in the directory (default: the only *.image there).
        name: Option<String>,
        /// How long to wait for each answer.
        #[arg(short = 't', long, value_name = "DURATION", default_value = "30s", value_parser = duration::parse, allow_hyphen_values = true)]
        timeout: Duration,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
    },
    /// Evaluate Smalltalk in the running image and print the answer.
    ///
    /// The REPL is --repl's, else that of the instance NAME (or --image, --script), else that
    /// of the only image of the directory; with several images, say which.
    #[command()]
    Eval {
        /// The instance whose REPL to use, when there are two arguments: NAME then EXPR.
        name: Option<String>,
        /// The expression; '-' or none reads it from standard input.
        expr: Option<String>,
        /// Print the answer and exit 0 even when it is an evaluation error.
        #[arg(long)]
        raw: bool,
        /// How long to wait for the answer.
        #[arg(short = 't', long, value_name = "DURATION", default_value = "30s", value_parser = duration::parse, allow_hyphen_values = true)]
        timeout: Duration,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
    },
    /// Print the image's log (the VM's output, NAME.log): its last lines, or follow it.
    #[command(
        after_help = "The log is followed across rotation: a log renamed and created anew is followed under its name, one truncated in place (logrotate's copytruncate, which suits a VM that keeps its log open) is read again from its start. An instance run by `pharo-ctl run` has no log file: its output goes to the journal or the container's log, and logs says where."
    )]
    Logs {
        /// The instance: NAME.image in the directory (default: the only *.image there).
        name: Option<String>,
        /// How many of the last lines to print [default: 10].
        #[arg(short = 'n', long, value_name = "N", conflicts_with = "since")]
        lines: Option<usize>,
        /// Keep printing the lines as the VM writes them, across rotation, until interrupted.
        #[arg(short, long)]
        follow: bool,
        /// Follow the log (as --follow) and end when the VM exits.
        #[arg(long)]
        until_exit: bool,
        /// Print the lines written since a time: a duration ago (10m) or an RFC 3339 time;
        /// only for a log whose lines begin with timestamps.
        #[arg(long, value_name = "TIME", value_parser = since::parse)]
        since: Option<std::time::SystemTime>,
        #[command(flatten)]
        instance: InstanceArgs,
    },
    /// Run the image in the foreground as a service's main process (systemd, containers).
    #[command(
        after_help = "Signals: SIGTERM, SIGINT and SIGHUP stop the image cooperatively; a second SIGTERM or SIGINT skips to the next step. SIGUSR1 (a Pharo VM's stack dump) and SIGUSR2 are forwarded to the VM when it catches them, else a warning says why not (their default action would end it). SIGQUIT is forwarded: a Pharo VM treats it as a crash (a report, then exit status 255). The VM runs in a process group of its own, so a Ctrl-C reaches only pharo-ctl.\n\nsystemd: under Type=notify (NOTIFY_SOCKET) it sends READY=1 once the REPL answers, a STATUS= line for each step and STOPPING=1 when stopping. The pid file NAME.pid names the VM while it runs and is removed at exit. Orphans the VM leaves behind are reaped (as PID 1 in a container, or as a subreaper).\n\nWatchdog: with --watchdog INTERVAL (or systemd's WATCHDOG_USEC) it probes the REPL (GET /repl) every INTERVAL and sends WATCHDOG=1 after each answered probe; after --watchdog-misses N (3) probes in a row without an answer the image is hung: one line says so, a stack dump (SIGUSR1) goes to the journal, the VM is stopped (SIGTERM, --kill-after, SIGKILL) and run exits 8. A probe answered before the Nth resets the count.\n\nExit status: 0 after a cooperative stop, 1 when the stop fell back to signals, 8 when the watchdog stopped a hung image, else the VM's own (128+N for a signal) when it ends by itself or dies during its shutdown."
    )]
    Run {
        /// The instance: NAME.image in the directory (default: the only *.image there).
        name: Option<String>,
        /// How long to wait for the REPL to answer.
        ///
        /// Under systemd Type=notify (NOTIFY_SOCKET) no answer in time stops the VM and fails
        /// the service.
        #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration::parse, allow_hyphen_values = true)]
        start_timeout: Duration,
        #[command(flatten)]
        stop: StopArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
        #[command(flatten)]
        watchdog: WatchdogArgs,
    },
    /// Print the running VM's stack report: send it SIGUSR1 and print what it writes to
    /// crash.dmp in its working directory (else to the log).
    #[command(
        after_help = "A Pharo VM answers SIGUSR1 with a report of all its Smalltalk process stacks and its most recent primitives, appended to crash.dmp in its working directory and printed to its stderr, and runs on. A VM that does not catch SIGUSR1 (its caught-signal mask, SigCgt in /proc/PID/status) is never sent it: the signal's default action would end it. --timeout is how long the VM may take to write the report [default: 5s].\n\nExit status: 0 with the report; 1 when the VM does not catch SIGUSR1 or wrote no report in time; 3 when it is not running."
    )]
    Dump {
        /// The instance: NAME.image in the directory (default: the only *.image there).
        name: Option<String>,
        /// Print one JSON object: pid, taken_at, file, report.
        #[arg(long)]
        json: bool,
        /// How long the VM may take to write the report.
        #[arg(short = 't', long, value_name = "DURATION", default_value = "5s", value_parser = duration::parse, allow_hyphen_values = true)]
        timeout: Duration,
        #[command(flatten)]
        instance: InstanceArgs,
    },
    /// Print the pid of the running image.
    Pid {
        /// The instance: NAME.image in the directory (default: the only *.image there).
        name: Option<String>,
        #[command(flatten)]
        instance: InstanceArgs,
    },
    /// List the Pharo VMs running on this machine: pid, user, uptime, memory, CPU time, image,
    /// and whether the image's pid file (NAME.pid next to it) names the process. A wrapper
    /// script and the VM it started are one row, the VM proper's; --vm names one more VM.
    #[command()]
    Ps {
        /// Print a JSON array, on one line, instead of the table.
        #[arg(long)]
        json: bool,
        /// With --json: indent the JSON over several lines.
        #[arg(long, requires = "json")]
        pretty: bool,
        /// The VM given also counts as one, whatever its name.
        #[command(flatten)]
        vm: VmArgs,
    },
    /// Print a shell completion script: subcommands, options, and instance NAMEs from the
    /// *.image files of the directory (-C/--dir, PHARO_CTL_DIR, else the current one).
    #[command()]
    Completions {
        /// The shell to print the script for.
        shell: clap_complete::Shell,
    },
    /// Print a systemd unit that runs the image with `pharo-ctl run`.
    #[command(
        after_help = "With --template it prints the template unit pharo@.service, whose instance name (%i) is the NAME, so that one file runs every image of the directory: systemctl enable --now pharo@zinc1 pharo@zinc2.\n\nWith --watchdog INTERVAL, ExecStart runs the watchdog and the unit has WatchdogSec= INTERVAL x (N+1) + 5s: pharo-ctl's own verdict on a hung image comes first, and systemd's watchdog remains for a launcher that itself stops answering.\n\nWith --snapshot-every INTERVAL it prints instead a timer, pharo-NAME-snapshot.timer, that saves the image every INTERVAL with `pharo-ctl snapshot NAME`, and the one-shot service it starts, each after a `### FILE` line; an image that is not running has nothing to save, and the service does not count that as a failure. The service runs as the image's own unit does (--user, else, printed by root, the image's owner), which must be able to read the REPL's secret and write beside the image; --backup-dir, --keep and --no-backup go to its snapshot (--keep 24: a day of hourly backups)."
    )]
    Unit {
        /// The instance: NAME.image in the directory (default: the only *.image there).
        name: Option<String>,
        /// Print pharo@.service, the template unit whose instance name (%i) is the NAME.
        #[arg(long, conflicts_with = "name")]
        template: bool,
        /// The user the service runs as (User=).
        ///
        /// It must exist and be able to write the instance's files. Without it, a unit printed
        /// by root runs as the owner of the image (of the directory, for --template), and an
        /// image that root owns is refused: a REPL runs any code it is sent.
        #[arg(long)]
        user: Option<String>,
        /// How long `run` waits for the REPL before the start fails (passed to ExecStart).
        #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = duration::parse, allow_hyphen_values = true, hide_short_help = true)]
        start_timeout: Duration,
        #[command(flatten)]
        stop: StopArgs,
        #[command(flatten)]
        instance: InstanceArgs,
        #[command(flatten)]
        repl: ReplArgs,
        #[command(flatten)]
        watchdog: WatchdogArgs,
        /// Print instead a systemd timer that saves the image every INTERVAL (`pharo-ctl
        /// snapshot`), and the service it starts.
        #[arg(long, value_name = "INTERVAL", value_parser = duration::parse_positive, conflicts_with_all = ["template", "watchdog"], hide_short_help = true)]
        snapshot_every: Option<Duration>,
        /// With --snapshot-every: the snapshot's --backup-dir, --keep and --no-backup.
        #[command(flatten)]
        save: SaveArgs,
    },
    /// Make an instance ready: a startup script whose REPL asks for credentials, their secret,
    /// a free REPL port.
    ///
    /// Beside NAME.image (or an image given with --image, copied or linked) it writes NAME.st,
    /// which starts the REPL on loopback with a ZnBasicAuthenticator whose password the image
    /// reads at start-up from NAME.repl-secret, and defines ShutdownSequence; and
    /// NAME.repl-secret, 256 random bits, mode 0600, owned by the instance's user.
    #[command(
        after_help = "It never overwrites: beside an existing NAME.st it prints the lines to put in it (exit 0), and an existing NAME.repl-secret is kept. The REPL port is --repl-port, else the first from 42033 that nothing on this host listens on and no other script of the directory names. It ends with the commands to run next."
    )]
    Init {
        /// The instance: NAME.image in the directory [default: the --image's name, else the only *.image there].
        name: Option<String>,
        /// An image to start from: copied to DIR/NAME.image with its .changes (--link: linked).
        #[arg(long, value_name = "PATH", value_hint = clap::ValueHint::FilePath)]
        image: Option<PathBuf>,
        /// With --image: make DIR/NAME.image a symbolic link to it instead of a copy.
        #[arg(long, requires = "image")]
        link: bool,
        /// The REPL's port [default: the first from 42033 that is free on this host and in the directory].
        #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
        repl_port: Option<u16>,
        /// The user the instance runs as, who owns its secret (root only) [default: the image's owner].
        #[arg(long)]
        user: Option<String>,
        /// Write nothing: print what would be written (never the secret).
        #[arg(long)]
        print: bool,
        /// The directory of the instance's files [default: the current directory].
        #[arg(short = 'C', long, env = "PHARO_CTL_DIR", value_name = "DIR", value_hint = clap::ValueHint::DirPath, help_heading = "Instance")]
        dir: Option<PathBuf>,
    },
    /// Write the completion scripts and man pages into DIR/completions and DIR/man.
    #[command(hide = true)]
    GenerateDocs {
        /// The project directory that holds completions/ and man/.
        dir: PathBuf,
    },
}

impl Command {
    /// The subcommand's name on the command line.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Start { .. } => "start",
            Command::Stop { .. } => "stop",
            Command::Snapshot { .. } => "snapshot",
            Command::Restore { .. } => "restore",
            Command::Restart { .. } => "restart",
            Command::Status { .. } => "status",
            Command::Console { .. } => "console",
            Command::Eval { .. } => "eval",
            Command::Logs { .. } => "logs",
            Command::Run { .. } => "run",
            Command::Dump { .. } => "dump",
            Command::Pid { .. } => "pid",
            Command::Ps { .. } => "ps",
            Command::Completions { .. } => "completions",
            Command::Unit { .. } => "unit",
            Command::Init { .. } => "init",
            Command::GenerateDocs { .. } => "generate-docs",
        }
    }
}
