//! The NAME layer of the fish completion script.

use super::Spec;

/// clap_complete's fish script `clap`, with the NAME layer added.
pub(super) fn fish(clap: &str, spec: &Spec) -> String {
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
