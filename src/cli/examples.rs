//! The examples of each command, as data: `--help` and `-h` show them after the notes, and the
//! man pages render them; nothing parses them back out of rendered text.

/// The main page's examples.
pub const MAIN: &[&str] = &[
    "pharo-ctl start --wait -C /srv/zinc zinc",
    "pharo-ctl status zinc",
    "pharo-ctl eval '42 factorial'",
    "pharo-ctl stop zinc",
    "pharo-ctl status --all",
    "pharo-ctl restart --rolling --all",
    "pharo-ctl ps",
];

/// Each command's examples.
const BY_COMMAND: &[(&str, &[&str])] = &[
    (
        "start",
        &[
            "pharo-ctl start zinc",
            "pharo-ctl -C /srv/zinc start --wait",
            "pharo-ctl start --all --parallel --wait",
        ],
    ),
    (
        "stop",
        &[
            "pharo-ctl stop zinc",
            "pharo-ctl stop zinc --timeout 30s --kill-after 10s",
            "pharo-ctl stop --save zinc",
            "pharo-ctl stop --all",
        ],
    ),
    (
        "snapshot",
        &[
            "pharo-ctl snapshot zinc",
            "pharo-ctl snapshot --all --keep 10",
            "pharo-ctl snapshot zinc --json | jq .backup",
        ],
    ),
    (
        "restore",
        &[
            "pharo-ctl restore --list zinc",
            "pharo-ctl stop zinc && pharo-ctl restore zinc && pharo-ctl start zinc",
            "pharo-ctl restore zinc zinc-20261207T195000Z.image",
        ],
    ),
    (
        "restart",
        &[
            "pharo-ctl restart zinc --wait",
            "pharo-ctl restart --rolling --all --pause 10s",
        ],
    ),
    (
        "status",
        &[
            "pharo-ctl status zinc",
            "pharo-ctl status --json | jq .repl.ok",
            "pharo-ctl status --all",
            "HEALTHCHECK CMD pharo-ctl -C /srv/zinc status --probe zinc || exit 1",
        ],
    ),
    (
        "console",
        &[
            "pharo-ctl console zinc",
            "pharo-ctl console zinc < checks.st",
        ],
    ),
    (
        "eval",
        &[
            "pharo-ctl eval '42 factorial'",
            "pharo-ctl eval zinc 'Smalltalk version'",
            "echo 'Smalltalk version' | pharo-ctl eval zinc -",
            "pharo-ctl eval --repl http://127.0.0.1:42034/repl '3 + 4'",
        ],
    ),
    (
        "logs",
        &[
            "pharo-ctl logs zinc",
            "pharo-ctl logs -f zinc",
            "pharo-ctl logs -n 100 --until-exit zinc",
        ],
    ),
    (
        "run",
        &[
            "pharo-ctl run zinc",
            "pharo-ctl run zinc --watchdog 10s --watchdog-misses 3",
            "ExecStart=/usr/local/bin/pharo-ctl -C /srv/zinc run zinc",
            "ENTRYPOINT [\"/usr/local/bin/pharo-ctl\", \"-C\", \"/srv/zinc\", \"run\", \"zinc\"]",
        ],
    ),
    (
        "dump",
        &[
            "pharo-ctl dump zinc",
            "pharo-ctl dump zinc --json | jq -r .report",
        ],
    ),
    (
        "pid",
        &["pharo-ctl pid zinc", "kill -USR1 $(pharo-ctl pid zinc)"],
    ),
    (
        "ps",
        &[
            "pharo-ctl ps",
            "pharo-ctl ps --json | jq '.[] | select(.pid_file_names_it | not) | .pid'",
        ],
    ),
    (
        "completions",
        &[
            "pharo-ctl completions bash > /etc/bash_completion.d/pharo-ctl",
            "pharo-ctl completions zsh > /usr/local/share/zsh/site-functions/_pharo-ctl",
            "pharo-ctl completions fish > ~/.config/fish/completions/pharo-ctl.fish",
            "pharo-ctl completions elvish > ~/.config/elvish/lib/pharo-ctl.elv",
            "pharo-ctl completions powershell >> $PROFILE",
        ],
    ),
    (
        "unit",
        &[
            "pharo-ctl -C /srv/zinc unit zinc --user pharo > /etc/systemd/system/zinc.service",
            "pharo-ctl -C /srv/zinc unit --template --user pharo > /etc/systemd/system/pharo@.service",
            "pharo-ctl -C /srv/zinc unit zinc --watchdog 10s",
            "pharo-ctl -C /srv/zinc unit zinc --snapshot-every 1h --keep 24",
        ],
    ),
    (
        "init",
        &[
            "pharo-ctl -C /srv/zinc init zinc",
            "sudo pharo-ctl -C /srv/zinc init zinc --image ~/Pharo/images/app/app.image --user pharo",
            "pharo-ctl init zinc --print",
        ],
    ),
];

/// The examples of `command` (`pharo-ctl` for the main page).
pub fn of(command: &str) -> &'static [&'static str] {
    if command == "pharo-ctl" {
        return MAIN;
    }
    BY_COMMAND
        .iter()
        .find(|(name, _)| *name == command)
        .map_or(&[], |(_, examples)| examples)
}

/// The examples of `command` as `--help` shows them: `Examples:` and the indented lines.
pub fn section(command: &str) -> String {
    let examples = of(command);
    if examples.is_empty() {
        return String::new();
    }
    let mut text = String::from("Examples:");
    for example in examples {
        text.push_str("\n  ");
        text.push_str(example);
    }
    text
}
