# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_pharo_ctl_global_optspecs
    string join \n color= q/quiet v/verbose h/help V/version
end

function __fish_pharo_ctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_pharo_ctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_pharo_ctl_using_subcommand
    set -l cmd (__fish_pharo_ctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -s V -l version -d 'Print version'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "start" -d 'Start the image in the background and record its pid'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "stop" -d 'Stop the image: cooperative shutdown through the REPL, then SIGTERM, then SIGKILL, to the VM\'s whole process tree (a wrapper script, the VM proper, what they started)'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "snapshot" -d 'Save the running image in place, safely: room checked, a backup first, the new file checked, the backup put back if the save fails'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "restore" -d 'Put a backup of the image back in place (the newest by default), while the instance is stopped; or list the backups'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "restart" -d 'Stop the image if it runs, then start it'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "status" -d 'Tell whether the image runs: pid, uptime, memory, CPU, REPL health (and since when it has not answered), log'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "console" -d 'An interactive session with the image\'s REPL, with line editing and history'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "eval" -d 'Evaluate Smalltalk in the running image and print the answer'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "logs" -d 'Print the image\'s log (the VM\'s output, NAME.log): its last lines, or follow it'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "run" -d 'Run the image in the foreground as a service\'s main process (systemd, containers)'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "dump" -d 'Print the running VM\'s stack report: send it SIGUSR1 and print what it writes to crash.dmp in its working directory (else to the log)'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "pid" -d 'Print the pid of the running image'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "ps" -d 'List the Pharo VMs running on this machine: pid, user, uptime, memory, CPU time, image, and whether the image\'s pid file (NAME.pid next to it) names the process. A wrapper script and the VM it started are one row, the VM proper\'s; --vm names one more VM'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "completions" -d 'Print a shell completion script: subcommands, options, and instance NAMEs from the *.image files of the directory (-C/--dir, PHARO_CTL_DIR, else the current one)'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "unit" -d 'Print a systemd unit that runs the image with `pharo-ctl run`'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "init" -d 'Make an instance ready: a startup script whose REPL asks for credentials, their secret, a free REPL port'
complete -c pharo-ctl -n "__fish_pharo_ctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l settle -d 'How long the VM must stay up before a start counts (without --wait)' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l start-timeout -d 'With --wait: how long to wait for the REPL' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l all -d 'Every instance of the directory: each of its *.image files'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l parallel -d 'With several instances: start them all at once instead of one after another'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l wait -d 'Wait until the REPL answers before reporting success'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand start" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l save-timeout -d 'With --save: how long the save may take' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l backup-dir -d 'The directory of the backups, relative to the image\'s [default: backups beside the image]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l keep -d 'How many backups of the instance to keep: older ones are removed after a verified save' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -s t -l timeout -d 'How long the image may take to exit after the shutdown request, before SIGTERM' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l kill-after -d 'Wait between SIGTERM and SIGKILL' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l shutdown -d 'The Smalltalk that asks the image to shut down' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l all -d 'Every instance of the directory: each of its *.image files'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l save -d 'Save the image first (a verified snapshot, see `pharo-ctl snapshot`); an image whose save fails is not stopped'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l no-backup -d 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand stop" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -s t -l timeout -d 'How long the save may take (the image is blocked while it writes itself)' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l backup-dir -d 'The directory of the backups, relative to the image\'s [default: backups beside the image]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l keep -d 'How many backups of the instance to keep: older ones are removed after a verified save' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l all -d 'Every instance of the directory: each of its *.image files'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l json -d 'Print one JSON object per instance (an array for several): the image, its size, the time taken, the backup and how it was taken (reflink or copy)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l no-backup -d 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand snapshot" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l backup-dir -d 'The directory of the backups, relative to the image\'s [default: backups beside the image]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l list -d 'List the instance\'s backups (time, size, file), newest last'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -l json -d 'Print JSON: with --list an array of the backups (file, image, changes, taken_at, size_bytes), oldest first; else one object for the restore (restored_from, image, size_bytes, replaced)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l pause -d 'With --rolling: how long to wait after an instance answers before the next one' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l settle -d 'How long the VM must stay up before a start counts (without --wait)' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l start-timeout -d 'With --wait: how long to wait for the REPL' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -s t -l timeout -d 'How long the image may take to exit after the shutdown request, before SIGTERM' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l kill-after -d 'Wait between SIGTERM and SIGKILL' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l shutdown -d 'The Smalltalk that asks the image to shut down' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l all -d 'Every instance of the directory: each of its *.image files'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l rolling -d 'One instance at a time, each answering before the next one stops'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l parallel -d 'With several instances: start them all at once after the stop'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l wait -d 'Wait until the REPL answers before reporting success'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand restart" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -s n -l lines -d 'How many lines of the log to show' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -s t -l timeout -d 'How long the REPL\'s health probe may take' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l backup-dir -d 'Where the image\'s backups are (as `snapshot --backup-dir`), relative to the image\'s directory [default: backups beside the image]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l all -d 'Every instance of the directory: each of its *.image files'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l json -d 'Print JSON on one line: one object, or an array for several instances'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l pretty -d 'With --json: indent the JSON over several lines'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l probe -d 'Print nothing; only the exit status tells: 0 when the VM runs and its REPL answers within --timeout, 1 hung, 3 not running, 4 unknown (for health and liveness probes)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -s t -l timeout -d 'How long to wait for each answer' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand console" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -s t -l timeout -d 'How long to wait for the answer' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l raw -d 'Print the answer and exit 0 even when it is an evaluation error'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand eval" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -s n -l lines -d 'How many of the last lines to print [default: 10]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l since -d 'Print the lines written since a time: a duration ago (10m) or an RFC 3339 time; only for a log whose lines begin with timestamps' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -s f -l follow -d 'Keep printing the lines as the VM writes them, across rotation, until interrupted'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -l until-exit -d 'Follow the log (as --follow) and end when the VM exits'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l start-timeout -d 'How long to wait for the REPL to answer' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -s t -l timeout -d 'How long the image may take to exit after the shutdown request, before SIGTERM' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l kill-after -d 'Wait between SIGTERM and SIGKILL' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l shutdown -d 'The Smalltalk that asks the image to shut down' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l watchdog -d 'Probe the REPL every INTERVAL; unanswered probes mean the image is hung [default: off]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l watchdog-misses -d 'How many probes in a row without an answer mean the image is hung' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -s t -l timeout -d 'How long the VM may take to write the report' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -l json -d 'Print one JSON object: pid, taken_at, file, report'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand dump" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand pid" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand ps" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand ps" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand ps" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand ps" -l json -d 'Print a JSON array, on one line, instead of the table'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand ps" -l pretty -d 'With --json: indent the JSON over several lines'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand ps" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand ps" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand ps" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand completions" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand completions" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand completions" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l user -d 'The user the service runs as (User=)' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l start-timeout -d 'How long `run` waits for the REPL before the start fails (passed to ExecStart)' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -s t -l timeout -d 'How long the image may take to exit after the shutdown request, before SIGTERM' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l kill-after -d 'Wait between SIGTERM and SIGKILL' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l shutdown -d 'The Smalltalk that asks the image to shut down' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -s C -l dir -d 'The directory of the instances\' files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l vm -d 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l image -d 'The image [default: DIR/NAME.image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l script -d 'The startup script [default: NAME.st beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l pid-file -d 'The pid file [default: NAME.pid beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l log-file -d 'The log file the VM\'s output is appended to [default: NAME.log beside the image]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l vm-arg -d 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf\'s `pharo`]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l repl -d 'The REPL\'s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l repl-secret -d 'The file of the REPL\'s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l watchdog -d 'Probe the REPL every INTERVAL; unanswered probes mean the image is hung [default: off]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l watchdog-misses -d 'How many probes in a row without an answer mean the image is hung' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l snapshot-every -d 'Print instead a systemd timer that saves the image every INTERVAL (`pharo-ctl snapshot`), and the service it starts' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l backup-dir -d 'The directory of the backups, relative to the image\'s [default: backups beside the image]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l keep -d 'How many backups of the instance to keep: older ones are removed after a verified save' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l template -d 'Print pharo@.service, the template unit whose instance name (%i) is the NAME'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l allow-remote -d 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -l no-backup -d 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand unit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -l image -d 'An image to start from: copied to DIR/NAME.image with its .changes (--link: linked)' -r -F
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -l repl-port -d 'The REPL\'s port [default: the first from 42033 that is free on this host and in the directory]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -l user -d 'The user the instance runs as, who owns its secret (root only) [default: the image\'s owner]' -r
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -s C -l dir -d 'The directory of the instance\'s files [default: the current directory]' -r -f -a "(__fish_complete_directories)"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -l color -d 'When to use colour; --json output is never coloured' -r -f -a "auto\t'Colour when writing to a terminal, unless NO_COLOR is set or TERM=dumb'
always\t'Always colour, even into a pipe or a file (and despite NO_COLOR)'
never\t'Never colour'"
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -l link -d 'With --image: make DIR/NAME.image a symbolic link to it instead of a copy'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -l print -d 'Write nothing: print what would be written (never the secret)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -s q -l quiet -d 'Print no step lines, only results and errors'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -s v -l verbose -d 'Print more detail about each step'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand init" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "start" -d 'Start the image in the background and record its pid'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "stop" -d 'Stop the image: cooperative shutdown through the REPL, then SIGTERM, then SIGKILL, to the VM\'s whole process tree (a wrapper script, the VM proper, what they started)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "snapshot" -d 'Save the running image in place, safely: room checked, a backup first, the new file checked, the backup put back if the save fails'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "restore" -d 'Put a backup of the image back in place (the newest by default), while the instance is stopped; or list the backups'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "restart" -d 'Stop the image if it runs, then start it'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "status" -d 'Tell whether the image runs: pid, uptime, memory, CPU, REPL health (and since when it has not answered), log'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "console" -d 'An interactive session with the image\'s REPL, with line editing and history'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "eval" -d 'Evaluate Smalltalk in the running image and print the answer'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "logs" -d 'Print the image\'s log (the VM\'s output, NAME.log): its last lines, or follow it'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "run" -d 'Run the image in the foreground as a service\'s main process (systemd, containers)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "dump" -d 'Print the running VM\'s stack report: send it SIGUSR1 and print what it writes to crash.dmp in its working directory (else to the log)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "pid" -d 'Print the pid of the running image'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "ps" -d 'List the Pharo VMs running on this machine: pid, user, uptime, memory, CPU time, image, and whether the image\'s pid file (NAME.pid next to it) names the process. A wrapper script and the VM it started are one row, the VM proper\'s; --vm names one more VM'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "completions" -d 'Print a shell completion script: subcommands, options, and instance NAMEs from the *.image files of the directory (-C/--dir, PHARO_CTL_DIR, else the current one)'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "unit" -d 'Print a systemd unit that runs the image with `pharo-ctl run`'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "init" -d 'Make an instance ready: a startup script whose REPL asks for credentials, their secret, a free REPL port'
complete -c pharo-ctl -n "__fish_pharo_ctl_using_subcommand help; and not __fish_seen_subcommand_from start stop snapshot restore restart status console eval logs run dump pid ps completions unit init help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'

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
            case --color --settle --start-timeout -C --dir --vm --image --script --pid-file --log-file --vm-arg --repl --repl-secret --save-timeout --backup-dir --keep -t --timeout --kill-after --shutdown --pause -n --lines --since --watchdog --watchdog-misses --user --snapshot-every --repl-port
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
    if not contains -- "$sub" start stop snapshot restart status
        test $positionals = 0; and contains -- "$sub" restore console eval logs run dump pid unit init; or return 1
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
