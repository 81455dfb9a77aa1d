//! Shell completion scripts: clap_complete's static script for each shell, plus a small
//! shell-native layer that completes instance NAMEs from the `*.image` files of the directory
//! in effect (`-C/--dir`, else `$PHARO_CTL_DIR`, else the current directory).
//!
//! The layer is generated from the same clap definition as the rest (which subcommands take a
//! NAME, which options take a value), so the scripts stay in step with the command line and
//! the checked-in copies under `completions/` are reproducible byte for byte.

use crate::cli::Cli;
use clap::{CommandFactory, ValueHint};
use clap_complete::Shell;

/// The program's name, as the shells know it.
pub const BIN: &str = "pharo-ctl";

/// The shells a completion script is generated for, with the file name it is checked in as.
pub const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "pharo-ctl.bash"),
    (Shell::Zsh, "_pharo-ctl"),
    (Shell::Fish, "pharo-ctl.fish"),
    (Shell::Elvish, "pharo-ctl.elv"),
    (Shell::PowerShell, "_pharo-ctl.ps1"),
];

/// The complete script for one shell.
pub fn script(shell: Shell) -> String {
    let spec = Spec::from_cli();
    let clap = clap_script(shell);
    match shell {
        Shell::Bash => bash(&clap, &spec),
        Shell::Zsh => zsh(&clap, &spec),
        Shell::Fish => fish(&clap, &spec),
        Shell::Elvish => elvish(&clap, &spec),
        Shell::PowerShell => powershell(&clap, &spec),
        _ => clap,
    }
}

fn clap_script(shell: Shell) -> String {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut visible_command(), BIN, &mut buf);
    String::from_utf8(buf).expect("clap_complete writes UTF-8")
}

/// The command line as operators see it: clap_complete would offer hidden subcommands
/// (`generate-docs`) too, so they are left out of the command it is given.
fn visible_command() -> clap::Command {
    let root = Cli::command();
    let mut visible = clap::Command::new(BIN)
        .version(env!("CARGO_PKG_VERSION"))
        .args(root.get_arguments().cloned())
        .subcommands(root.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    if let Some(about) = root.get_about() {
        visible = visible.about(about.clone());
    }
    visible
}

/// What the NAME layer needs to know about the command line.
#[derive(Debug)]
struct Spec {
    /// The subcommands whose first positional argument is one instance NAME.
    name_commands: Vec<String>,
    /// The subcommands whose positional arguments are all instance NAMEs (`stop a b c`).
    names_commands: Vec<String>,
    /// Every option that takes a separate value (`-C`, `--dir`, …), global or not.
    value_options: Vec<String>,
    /// Those of them whose value is a path (`--vm`, `--image`, `-C`…).
    path_options: Vec<String>,
}

impl Spec {
    fn from_cli() -> Spec {
        let root = Cli::command();
        let mut value_options = Vec::new();
        let mut path_options = Vec::new();
        let mut add_options = |command: &clap::Command| {
            for arg in command.get_arguments() {
                if arg.is_positional() || !arg.get_action().takes_values() {
                    continue;
                }
                let flags = arg
                    .get_short()
                    .map(|s| format!("-{s}"))
                    .into_iter()
                    .chain(arg.get_long().map(|l| format!("--{l}")));
                let path = matches!(
                    arg.get_value_hint(),
                    ValueHint::FilePath
                        | ValueHint::DirPath
                        | ValueHint::AnyPath
                        | ValueHint::ExecutablePath
                );
                for flag in flags {
                    if path && !path_options.contains(&flag) {
                        path_options.push(flag.clone());
                    }
                    if !value_options.contains(&flag) {
                        value_options.push(flag);
                    }
                }
            }
        };
        add_options(&root);
        for sub in root.get_subcommands() {
            add_options(sub);
        }
        let taking = |id: &str| -> Vec<String> {
            root.get_subcommands()
                .filter(|sub| !sub.is_hide_set())
                .filter(|sub| {
                    sub.get_positionals()
                        .next()
                        .is_some_and(|a| a.get_id() == id)
                })
                .map(|sub| sub.get_name().to_string())
                .collect()
        };
        Spec {
            name_commands: taking("name"),
            names_commands: taking("names"),
            value_options,
            path_options,
        }
    }

    fn value_options_joined(&self, separator: &str) -> String {
        self.value_options.join(separator)
    }
}

/// Replaces `from` by `to` exactly once, or panics: the generated script's shape is checked by
/// the tests, so a clap_complete upgrade that changes it is noticed at once.
fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert_eq!(
        text.matches(from).count(),
        1,
        "clap_complete's script changed shape: {from:?} is not there exactly once"
    );
    text.replacen(from, to, 1)
}

fn bash(clap: &str, spec: &Spec) -> String {
    // clap_complete spells the state of a subcommand two ways when the program's name holds a
    // hyphen (`pharo__ctl__subcmd__stop` in the loop, `pharo__subcmd__ctl__subcmd__stop` in
    // the case arms: clap-rs/clap#6421), so a subcommand's options would never complete.
    // Spell the arms as the loop does.
    let clap = clap.replace("pharo__subcmd__ctl", "pharo__ctl");
    let commands = spec.name_commands.join("|");
    let several = spec.names_commands.join("|");
    let options = spec.value_options_joined("|");
    format!(
        r#"{clap}
# pharo-ctl: instance NAMEs complete from the *.image files of the directory in effect:
# -C/--dir, else $PHARO_CTL_DIR, else the current directory.
_pharo_ctl_with_names() {{
    local i word sub="" positionals=0 skip=0 dir_next=0 dir="${{PHARO_CTL_DIR:-.}}"
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${{COMP_WORDS[i]}}"
        if (( skip )); then
            # bash splits `--dir=DIR` into `--dir`, `=` and `DIR`.
            if [[ "$word" == "=" ]]; then
                continue
            fi
            skip=0
            if (( dir_next )); then
                dir="$word"
                dir_next=0
            fi
            continue
        fi
        case "$word" in
            -C|--dir)
                skip=1
                dir_next=1
                ;;
            --dir=*)
                dir="${{word#--dir=}}"
                ;;
            -C?*)
                dir="${{word#-C}}"
                ;;
            {options})
                skip=1
                ;;
            -*)
                ;;
            *)
                if [[ -z "$sub" ]]; then
                    sub="$word"
                else
                    (( positionals++ ))
                fi
                ;;
        esac
    done
    local cur="${{COMP_WORDS[COMP_CWORD]}}"
    # Every positional of a command that takes several NAMEs is a NAME; of the others, the first.
    case "$sub" in
        {several})
            positionals=0
            ;;
    esac
    if (( ! skip && positionals == 0 )) && [[ "$cur" != -* ]]; then
        case "$sub" in
            {several}|{commands})
                dir="${{dir/#\~/$HOME}}"
                COMPREPLY=()
                local image name
                for image in "$dir"/*.image; do
                    [[ -f "$image" ]] || continue
                    name="${{image##*/}}"
                    name="${{name%.image}}"
                    if [[ "$name" == "$cur"* ]]; then
                        COMPREPLY+=("$name")
                    fi
                done
                compopt +o default +o bashdefault 2>/dev/null
                return 0
                ;;
        esac
    fi
    _pharo__ctl "$@"
}}

if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F _pharo_ctl_with_names -o nosort -o bashdefault -o default pharo-ctl
else
    complete -F _pharo_ctl_with_names -o bashdefault -o default pharo-ctl
fi
"#
    )
}

fn zsh(clap: &str, spec: &Spec) -> String {
    const TAIL: &str = "if [ \"$funcstack[1]\" = \"_pharo-ctl\" ]; then";
    let clap = replace_once(clap, "\n_pharo-ctl() {\n", "\n_pharo-ctl_clap() {\n");
    let at = clap
        .find(TAIL)
        .expect("clap_complete's zsh script ends with its funcstack test");
    let (body, tail) = clap.split_at(at);
    let commands = spec.name_commands.join("|");
    let several = spec.names_commands.join("|");
    let options = spec.value_options_joined("|");
    format!(
        r#"{body}# pharo-ctl: instance NAMEs complete from the *.image files of the directory in effect:
# -C/--dir, else $PHARO_CTL_DIR, else the current directory.
_pharo-ctl() {{
    local i word sub="" dir="${{PHARO_CTL_DIR:-.}}"
    integer positionals=0 skip=0 dir_next=0
    for (( i = 2; i < CURRENT; i++ )); do
        word="${{words[i]}}"
        if (( skip )); then
            skip=0
            if (( dir_next )); then
                dir="$word"
                dir_next=0
            fi
            continue
        fi
        case "$word" in
            (-C|--dir)
                skip=1
                dir_next=1
                ;;
            (--dir=*)
                dir="${{word#--dir=}}"
                ;;
            (-C?*)
                dir="${{word#-C}}"
                ;;
            ({options})
                skip=1
                ;;
            (-*)
                ;;
            (*)
                if [[ -z "$sub" ]]; then
                    sub="$word"
                else
                    (( positionals++ ))
                fi
                ;;
        esac
    done
    # Every positional of a command that takes several NAMEs is a NAME; of the others, the first.
    case "$sub" in
        ({several})
            positionals=0
            ;;
    esac
    if (( ! skip && positionals == 0 )) && [[ "$PREFIX" != -* ]]; then
        case "$sub" in
            ({several}|{commands})
                dir="${{dir/#\~/$HOME}}"
                local -a names
                names=( "$dir"/*.image(N-.:t:r) )
                _wanted instances expl 'instance' compadd -a names
                return
                ;;
        esac
    fi
    _pharo-ctl_clap "$@"
}}

{tail}"#
    )
}

fn fish(clap: &str, spec: &Spec) -> String {
    let commands = spec.name_commands.join(" ");
    let several = spec.names_commands.join(" ");
    let options = spec.value_options_joined(" ");
    format!(
        r#"{clap}
# pharo-ctl: instance NAMEs complete from the *.image files of the directory in effect:
# -C/--dir, else $PHARO_CTL_DIR, else the current directory.
function __pharo_ctl_name_dir
    # Prints the directory of the instances when the word being completed is a NAME;
    # fails otherwise.
    set -l words (commandline -opc)
    set -l dir .
    if set -q PHARO_CTL_DIR; and test -n "$PHARO_CTL_DIR"
        set dir $PHARO_CTL_DIR
    end
    set -l sub
    set -l positionals 0
    set -l skip 0
    set -l dir_next 0
    for word in $words[2..-1]
        if test $skip = 1
            set skip 0
            if test $dir_next = 1
                set dir $word
                set dir_next 0
            end
            continue
        end
        switch $word
            case -C --dir
                set skip 1
                set dir_next 1
            case '--dir=*'
                set dir (string replace -- --dir= '' $word)
            case '-C?*'
                set dir (string sub --start 3 -- $word)
            case {options}
                set skip 1
            case '-*'
            case '*'
                if test -z "$sub"
                    set sub $word
                else
                    set positionals (math $positionals + 1)
                end
        end
    end
    test $skip = 0; or return 1
    # Every positional of a command that takes several NAMEs is a NAME; of the others, the first.
    if not contains -- "$sub" {several}
        test $positionals = 0; and contains -- "$sub" {commands}; or return 1
    end
    string match -q -- '-*' (commandline -ct); and return 1
    string replace -r '^~' $HOME -- $dir
    return 0
end

function __pharo_ctl_instance_names
    set -l dir (__pharo_ctl_name_dir); or return
    for image in $dir/*.image
        test -f $image; and string replace -r '\.image$' '' -- (path basename -- $image)
    end
end

complete -c pharo-ctl -n __pharo_ctl_name_dir -f -a '(__pharo_ctl_instance_names)' -d instance
"#
    )
}

/// Words in single quotes, joined by `separator` (a list in elvish or PowerShell).
fn single_quoted(words: &[String], separator: &str) -> String {
    words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(separator)
}

fn elvish(clap: &str, spec: &Spec) -> String {
    let commands = single_quoted(&spec.name_commands, " ");
    let several = single_quoted(&spec.names_commands, " ");
    let options = single_quoted(&spec.value_options, " ");
    let paths = single_quoted(&spec.path_options, " ");
    format!(
        r#"{clap}
# pharo-ctl: instance NAMEs complete from the *.image files of the directory in effect:
# -C/--dir, else $PHARO_CTL_DIR, else the current directory.
use path
var pharo-ctl-clap-completer = $edit:completion:arg-completer[pharo-ctl]
set edit:completion:arg-completer[pharo-ctl] = {{|@words|
    var dir = .
    if (and (has-env PHARO_CTL_DIR) (not-eq $E:PHARO_CTL_DIR '')) {{
        set dir = $E:PHARO_CTL_DIR
    }}
    var sub = ''
    var positionals = (num 0)
    var skip = $false
    var dir-next = $false
    var option = ''
    for word $words[1..-1] {{
        if $skip {{
            set skip = $false
            set option = ''
            if $dir-next {{
                set dir = $word
                set dir-next = $false
            }}
            continue
        }}
        if (has-value [-C --dir] $word) {{
            set skip = $true
            set dir-next = $true
            set option = $word
        }} elif (str:has-prefix $word --dir=) {{
            set dir = $word[6..]
        }} elif (and (str:has-prefix $word -C) (> (count $word) 2)) {{
            set dir = $word[2..]
        }} elif (has-value [{options}] $word) {{
            set skip = $true
            set option = $word
        }} elif (str:has-prefix $word -) {{
        }} elif (eq $sub '') {{
            set sub = $word
        }} else {{
            set positionals = (+ $positionals 1)
        }}
    }}
    var current = $words[-1]
    if (and $skip (has-value [{paths}] $option)) {{
        # The value of a path option (--vm, --image, --script, -C…): files and directories.
        edit:complete-filename $current
    }} elif (and (not $skip) (not (str:has-prefix $current -)) (or (has-value [{several}] $sub) (and (== $positionals 0) (has-value [{commands}] $sub)))) {{
        # Every positional of a command that takes several NAMEs is a NAME.
        if (str:has-prefix $dir '~') {{
            set dir = $E:HOME$dir[1..]
        }}
        for image [(put $dir/*[nomatch-ok].image)] {{
            if (path:is-regular $image) {{
                var name = (path:base $image)
                put $name[..(- (count $name) 6)]
            }}
        }}
    }} else {{
        # clap's completer knows no NAME position and fails on a word after it: no candidates.
        try {{
            $pharo-ctl-clap-completer $@words
        }} catch {{
        }}
    }}
}}
"#
    )
}

fn powershell(clap: &str, spec: &Spec) -> String {
    let commands = single_quoted(&spec.name_commands, ", ");
    let several = single_quoted(&spec.names_commands, ", ");
    let options = single_quoted(&spec.value_options, ", ");
    let clap = replace_once(
        clap,
        "Register-ArgumentCompleter -Native -CommandName 'pharo-ctl' -ScriptBlock {",
        "$pharoCtlClapCompleter = {",
    );
    format!(
        r#"{clap}
# pharo-ctl: instance NAMEs complete from the *.image files of the directory in effect:
# -C/--dir, else $env:PHARO_CTL_DIR, else the current directory.
Register-ArgumentCompleter -Native -CommandName 'pharo-ctl' -ScriptBlock {{
    param($wordToComplete, $commandAst, $cursorPosition)

    $dir = '.'
    if ($env:PHARO_CTL_DIR) {{ $dir = $env:PHARO_CTL_DIR }}
    $sub = ''
    $positionals = 0
    $skip = $false
    $dirNext = $false
    $words = @($commandAst.CommandElements |
        Where-Object {{ $_.Extent.EndOffset -lt $cursorPosition }} |
        ForEach-Object {{ $_.Extent.Text }})
    foreach ($word in ($words | Select-Object -Skip 1)) {{
        if ($skip) {{
            $skip = $false
            if ($dirNext) {{ $dir = $word; $dirNext = $false }}
            continue
        }}
        if ($word -ceq '-C' -or $word -ceq '--dir') {{ $skip = $true; $dirNext = $true }}
        elseif ($word.StartsWith('--dir=')) {{ $dir = $word.Substring(6) }}
        elseif ($word.StartsWith('-C') -and $word.Length -gt 2) {{ $dir = $word.Substring(2) }}
        elseif (@({options}) -ccontains $word) {{ $skip = $true }}
        elseif ($word.StartsWith('-')) {{ }}
        elseif ($sub -eq '') {{ $sub = $word }}
        else {{ $positionals++ }}
    }}
    # Every positional of a command that takes several NAMEs is a NAME.
    if (-not $skip -and -not $wordToComplete.StartsWith('-') -and
        ((@({several}) -ccontains $sub) -or ($positionals -eq 0 -and @({commands}) -ccontains $sub))) {{
        Get-ChildItem -LiteralPath $dir -Filter '*.image' -File -ErrorAction SilentlyContinue |
            ForEach-Object {{ $_.BaseName }} |
            Where-Object {{ $_ -like "$wordToComplete*" }} |
            Sort-Object |
            ForEach-Object {{
                [CompletionResult]::new($_, $_, [CompletionResultType]::ParameterValue, 'instance')
            }}
        return
    }}
    & $pharoCtlClapCompleter $wordToComplete $commandAst $cursorPosition
}}.GetNewClosure()
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_name_commands_and_value_options() {
        let spec = Spec::from_cli();
        for command in ["eval", "run", "dump", "pid", "unit"] {
            assert!(spec.name_commands.iter().any(|c| c == command), "{command}");
        }
        for command in ["start", "stop", "restart", "status"] {
            assert!(
                spec.names_commands.iter().any(|c| c == command),
                "{command}"
            );
        }
        assert!(!spec.name_commands.iter().any(|c| c == "ps"));
        for option in [
            "-C",
            "--dir",
            "--vm",
            "--image",
            "-t",
            "--kill-after",
            "--color",
        ] {
            assert!(spec.value_options.iter().any(|o| o == option), "{option}");
        }
        assert!(
            !spec
                .value_options
                .iter()
                .any(|o| o == "--json" || o == "-q")
        );
    }

    #[test]
    fn every_shell_gets_its_layer() {
        for (shell, _) in SHELLS {
            let script = script(shell);
            assert!(script.contains("*.image"), "{shell}");
        }
    }

    #[test]
    fn powershell_registers_one_completer_that_falls_back_to_clap() {
        let script = script(Shell::PowerShell);
        assert!(script.trim_start().starts_with("using namespace"));
        assert_eq!(script.matches("Register-ArgumentCompleter").count(), 1);
        assert_eq!(script.matches("$pharoCtlClapCompleter = {").count(), 1);
        assert!(
            script.contains("& $pharoCtlClapCompleter $wordToComplete $commandAst $cursorPosition")
        );
        assert!(script.contains("'stop'") && script.contains("'--dir'"));
    }
}
