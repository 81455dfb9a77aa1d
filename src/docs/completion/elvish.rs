//! The NAME layer of the elvish completion script.

use super::{Spec, single_quoted};

/// clap_complete's elvish script `clap`, with the NAME layer added.
pub(super) fn elvish(clap: &str, spec: &Spec) -> String {
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
