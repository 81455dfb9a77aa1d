//! The NAME layer of the bash completion script.

use super::Spec;

/// clap_complete's bash script `clap`, with the NAME layer added.
pub(super) fn bash(clap: &str, spec: &Spec) -> String {
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
