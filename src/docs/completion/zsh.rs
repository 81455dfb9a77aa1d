//! The NAME layer of the zsh completion script.

use super::{Spec, replace_once};

/// clap_complete's zsh script `clap`, with the NAME layer added.
pub(super) fn zsh(clap: &str, spec: &Spec) -> String {
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
