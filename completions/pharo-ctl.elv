
use builtin;
use str;

set edit:completion:arg-completer[pharo-ctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'pharo-ctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'pharo-ctl'= {
            cand --color 'When to use colour; --json output is never coloured'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand start 'Start the image in the background and record its pid'
            cand stop 'Stop the image: cooperative shutdown through the REPL, then SIGTERM, then SIGKILL, to the VM''s whole process tree (a wrapper script, the VM proper, what they started)'
            cand snapshot 'Save the running image in place, safely: room checked, a backup first, the new file checked, the backup put back if the save fails'
            cand restore 'Put a backup of the image back in place (the newest by default), while the instance is stopped; or list the backups'
            cand restart 'Stop the image if it runs, then start it'
            cand status 'Tell whether the image runs: pid, uptime, memory, CPU, REPL health (and since when it has not answered), log'
            cand console 'An interactive session with the image''s REPL, with line editing and history'
            cand eval 'Evaluate Smalltalk in the running image and print the answer'
            cand logs 'Print the image''s log (the VM''s output, NAME.log): its last lines, or follow it'
            cand run 'Run the image in the foreground as a service''s main process (systemd, containers)'
            cand dump 'Print the running VM''s stack report: send it SIGUSR1 and print what it writes to crash.dmp in its working directory (else to the log)'
            cand pid 'Print the pid of the running image'
            cand ps 'List the Pharo VMs running on this machine: pid, user, uptime, memory, CPU time, image, and whether the image''s pid file (NAME.pid next to it) names the process. A wrapper script and the VM it started are one row, the VM proper''s; --vm names one more VM'
            cand completions 'Print a shell completion script: subcommands, options, and instance NAMEs from the *.image files of the directory (-C/--dir, PHARO_CTL_DIR, else the current one)'
            cand unit 'Print a systemd unit that runs the image with `pharo-ctl run`'
            cand init 'Make an instance ready: a startup script whose REPL asks for credentials, their secret, a free REPL port'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pharo-ctl;start'= {
            cand --settle 'How long the VM must stay up before a start counts (without --wait)'
            cand --start-timeout 'With --wait: how long to wait for the REPL'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --all 'Every instance of the directory: each of its *.image files'
            cand --parallel 'With several instances: start them all at once instead of one after another'
            cand --wait 'Wait until the REPL answers before reporting success'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;stop'= {
            cand --save-timeout 'With --save: how long the save may take'
            cand --backup-dir 'The directory of the backups, relative to the image''s [default: backups beside the image]'
            cand --keep 'How many backups of the instance to keep: older ones are removed after a verified save'
            cand -t 'How long the image may take to exit after the shutdown request, before SIGTERM'
            cand --timeout 'How long the image may take to exit after the shutdown request, before SIGTERM'
            cand --kill-after 'Wait between SIGTERM and SIGKILL'
            cand --shutdown 'The Smalltalk that asks the image to shut down'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --all 'Every instance of the directory: each of its *.image files'
            cand --save 'Save the image first (a verified snapshot, see `pharo-ctl snapshot`); an image whose save fails is not stopped'
            cand --no-backup 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;snapshot'= {
            cand -t 'How long the save may take (the image is blocked while it writes itself)'
            cand --timeout 'How long the save may take (the image is blocked while it writes itself)'
            cand --backup-dir 'The directory of the backups, relative to the image''s [default: backups beside the image]'
            cand --keep 'How many backups of the instance to keep: older ones are removed after a verified save'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --all 'Every instance of the directory: each of its *.image files'
            cand --json 'Print one JSON object per instance (an array for several): the image, its size, the time taken, the backup and how it was taken (reflink or copy)'
            cand --no-backup 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;restore'= {
            cand --backup-dir 'The directory of the backups, relative to the image''s [default: backups beside the image]'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --list 'List the instance''s backups (time, size, file), newest last'
            cand --json 'Print JSON: with --list an array of the backups (file, image, changes, taken_at, size_bytes), oldest first; else one object for the restore (restored_from, image, size_bytes, replaced)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;restart'= {
            cand --pause 'With --rolling: how long to wait after an instance answers before the next one'
            cand --settle 'How long the VM must stay up before a start counts (without --wait)'
            cand --start-timeout 'With --wait: how long to wait for the REPL'
            cand -t 'How long the image may take to exit after the shutdown request, before SIGTERM'
            cand --timeout 'How long the image may take to exit after the shutdown request, before SIGTERM'
            cand --kill-after 'Wait between SIGTERM and SIGKILL'
            cand --shutdown 'The Smalltalk that asks the image to shut down'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --all 'Every instance of the directory: each of its *.image files'
            cand --rolling 'One instance at a time, each answering before the next one stops'
            cand --parallel 'With several instances: start them all at once after the stop'
            cand --wait 'Wait until the REPL answers before reporting success'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;status'= {
            cand -n 'How many lines of the log to show'
            cand --lines 'How many lines of the log to show'
            cand -t 'How long the REPL''s health probe may take'
            cand --timeout 'How long the REPL''s health probe may take'
            cand --backup-dir 'Where the image''s backups are (as `snapshot --backup-dir`), relative to the image''s directory [default: backups beside the image]'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --all 'Every instance of the directory: each of its *.image files'
            cand --json 'Print JSON on one line: one object, or an array for several instances'
            cand --pretty 'With --json: indent the JSON over several lines'
            cand --probe 'Print nothing; only the exit status tells: 0 when the VM runs and its REPL answers within --timeout, 1 hung, 3 not running, 4 unknown (for health and liveness probes)'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;console'= {
            cand -t 'How long to wait for each answer'
            cand --timeout 'How long to wait for each answer'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;eval'= {
            cand -t 'How long to wait for the answer'
            cand --timeout 'How long to wait for the answer'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --raw 'Print the answer and exit 0 even when it is an evaluation error'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;logs'= {
            cand -n 'How many of the last lines to print [default: 10]'
            cand --lines 'How many of the last lines to print [default: 10]'
            cand --since 'Print the lines written since a time: a duration ago (10m) or an RFC 3339 time; only for a log whose lines begin with timestamps'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --color 'When to use colour; --json output is never coloured'
            cand -f 'Keep printing the lines as the VM writes them, across rotation, until interrupted'
            cand --follow 'Keep printing the lines as the VM writes them, across rotation, until interrupted'
            cand --until-exit 'Follow the log (as --follow) and end when the VM exits'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;run'= {
            cand --start-timeout 'How long to wait for the REPL to answer'
            cand -t 'How long the image may take to exit after the shutdown request, before SIGTERM'
            cand --timeout 'How long the image may take to exit after the shutdown request, before SIGTERM'
            cand --kill-after 'Wait between SIGTERM and SIGKILL'
            cand --shutdown 'The Smalltalk that asks the image to shut down'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --watchdog 'Probe the REPL every INTERVAL; unanswered probes mean the image is hung [default: off]'
            cand --watchdog-misses 'How many probes in a row without an answer mean the image is hung'
            cand --color 'When to use colour; --json output is never coloured'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;dump'= {
            cand -t 'How long the VM may take to write the report'
            cand --timeout 'How long the VM may take to write the report'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --json 'Print one JSON object: pid, taken_at, file, report'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;pid'= {
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --color 'When to use colour; --json output is never coloured'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;ps'= {
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --json 'Print a JSON array, on one line, instead of the table'
            cand --pretty 'With --json: indent the JSON over several lines'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;completions'= {
            cand --color 'When to use colour; --json output is never coloured'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;unit'= {
            cand --user 'The user the service runs as (User=)'
            cand --start-timeout 'How long `run` waits for the REPL before the start fails (passed to ExecStart)'
            cand -t 'How long the image may take to exit after the shutdown request, before SIGTERM'
            cand --timeout 'How long the image may take to exit after the shutdown request, before SIGTERM'
            cand --kill-after 'Wait between SIGTERM and SIGKILL'
            cand --shutdown 'The Smalltalk that asks the image to shut down'
            cand -C 'The directory of the instances'' files [default: the current directory]'
            cand --dir 'The directory of the instances'' files [default: the current directory]'
            cand --vm 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]'
            cand --image 'The image [default: DIR/NAME.image]'
            cand --script 'The startup script [default: NAME.st beside the image, when it exists]'
            cand --pid-file 'The pid file [default: NAME.pid beside the image]'
            cand --log-file 'The log file the VM''s output is appended to [default: NAME.log beside the image]'
            cand --vm-arg 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]'
            cand --repl 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]'
            cand --repl-secret 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]'
            cand --watchdog 'Probe the REPL every INTERVAL; unanswered probes mean the image is hung [default: off]'
            cand --watchdog-misses 'How many probes in a row without an answer mean the image is hung'
            cand --snapshot-every 'Print instead a systemd timer that saves the image every INTERVAL (`pharo-ctl snapshot`), and the service it starts'
            cand --backup-dir 'The directory of the backups, relative to the image''s [default: backups beside the image]'
            cand --keep 'How many backups of the instance to keep: older ones are removed after a verified save'
            cand --color 'When to use colour; --json output is never coloured'
            cand --template 'Print pharo@.service, the template unit whose instance name (%i) is the NAME'
            cand --allow-remote 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)'
            cand --no-backup 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;init'= {
            cand --image 'An image to start from: copied to DIR/NAME.image with its .changes (--link: linked)'
            cand --repl-port 'The REPL''s port [default: the first from 42033 that is free on this host and in the directory]'
            cand --user 'The user the instance runs as, who owns its secret (root only) [default: the image''s owner]'
            cand -C 'The directory of the instance''s files [default: the current directory]'
            cand --dir 'The directory of the instance''s files [default: the current directory]'
            cand --color 'When to use colour; --json output is never coloured'
            cand --link 'With --image: make DIR/NAME.image a symbolic link to it instead of a copy'
            cand --print 'Write nothing: print what would be written (never the secret)'
            cand -q 'Print no step lines, only results and errors'
            cand --quiet 'Print no step lines, only results and errors'
            cand -v 'Print more detail about each step'
            cand --verbose 'Print more detail about each step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'pharo-ctl;help'= {
            cand start 'Start the image in the background and record its pid'
            cand stop 'Stop the image: cooperative shutdown through the REPL, then SIGTERM, then SIGKILL, to the VM''s whole process tree (a wrapper script, the VM proper, what they started)'
            cand snapshot 'Save the running image in place, safely: room checked, a backup first, the new file checked, the backup put back if the save fails'
            cand restore 'Put a backup of the image back in place (the newest by default), while the instance is stopped; or list the backups'
            cand restart 'Stop the image if it runs, then start it'
            cand status 'Tell whether the image runs: pid, uptime, memory, CPU, REPL health (and since when it has not answered), log'
            cand console 'An interactive session with the image''s REPL, with line editing and history'
            cand eval 'Evaluate Smalltalk in the running image and print the answer'
            cand logs 'Print the image''s log (the VM''s output, NAME.log): its last lines, or follow it'
            cand run 'Run the image in the foreground as a service''s main process (systemd, containers)'
            cand dump 'Print the running VM''s stack report: send it SIGUSR1 and print what it writes to crash.dmp in its working directory (else to the log)'
            cand pid 'Print the pid of the running image'
            cand ps 'List the Pharo VMs running on this machine: pid, user, uptime, memory, CPU time, image, and whether the image''s pid file (NAME.pid next to it) names the process. A wrapper script and the VM it started are one row, the VM proper''s; --vm names one more VM'
            cand completions 'Print a shell completion script: subcommands, options, and instance NAMEs from the *.image files of the directory (-C/--dir, PHARO_CTL_DIR, else the current one)'
            cand unit 'Print a systemd unit that runs the image with `pharo-ctl run`'
            cand init 'Make an instance ready: a startup script whose REPL asks for credentials, their secret, a free REPL port'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'pharo-ctl;help;start'= {
        }
        &'pharo-ctl;help;stop'= {
        }
        &'pharo-ctl;help;snapshot'= {
        }
        &'pharo-ctl;help;restore'= {
        }
        &'pharo-ctl;help;restart'= {
        }
        &'pharo-ctl;help;status'= {
        }
        &'pharo-ctl;help;console'= {
        }
        &'pharo-ctl;help;eval'= {
        }
        &'pharo-ctl;help;logs'= {
        }
        &'pharo-ctl;help;run'= {
        }
        &'pharo-ctl;help;dump'= {
        }
        &'pharo-ctl;help;pid'= {
        }
        &'pharo-ctl;help;ps'= {
        }
        &'pharo-ctl;help;completions'= {
        }
        &'pharo-ctl;help;unit'= {
        }
        &'pharo-ctl;help;init'= {
        }
        &'pharo-ctl;help;help'= {
        }
    ]
    $completions[$command]
}

# pharo-ctl: instance NAMEs complete from the *.image files of the directory in effect:
# -C/--dir, else $PHARO_CTL_DIR, else the current directory.
use path
var pharo-ctl-clap-completer = $edit:completion:arg-completer[pharo-ctl]
set edit:completion:arg-completer[pharo-ctl] = {|@words|
    var dir = .
    if (and (has-env PHARO_CTL_DIR) (not-eq $E:PHARO_CTL_DIR '')) {
        set dir = $E:PHARO_CTL_DIR
    }
    var sub = ''
    var positionals = (num 0)
    var skip = $false
    var dir-next = $false
    var option = ''
    for word $words[1..-1] {
        if $skip {
            set skip = $false
            set option = ''
            if $dir-next {
                set dir = $word
                set dir-next = $false
            }
            continue
        }
        if (has-value [-C --dir] $word) {
            set skip = $true
            set dir-next = $true
            set option = $word
        } elif (str:has-prefix $word --dir=) {
            set dir = $word[6..]
        } elif (and (str:has-prefix $word -C) (> (count $word) 2)) {
            set dir = $word[2..]
        } elif (has-value ['--color' '--settle' '--start-timeout' '-C' '--dir' '--vm' '--image' '--script' '--pid-file' '--log-file' '--vm-arg' '--repl' '--repl-secret' '--save-timeout' '--backup-dir' '--keep' '-t' '--timeout' '--kill-after' '--shutdown' '--pause' '-n' '--lines' '--since' '--watchdog' '--watchdog-misses' '--user' '--snapshot-every' '--repl-port'] $word) {
            set skip = $true
            set option = $word
        } elif (str:has-prefix $word -) {
        } elif (eq $sub '') {
            set sub = $word
        } else {
            set positionals = (+ $positionals 1)
        }
    }
    var current = $words[-1]
    if (and $skip (has-value ['-C' '--dir' '--vm' '--image' '--script' '--pid-file' '--log-file' '--repl-secret' '--backup-dir'] $option)) {
        # The value of a path option (--vm, --image, --script, -C…): files and directories.
        edit:complete-filename $current
    } elif (and (not $skip) (not (str:has-prefix $current -)) (or (has-value ['start' 'stop' 'snapshot' 'restart' 'status'] $sub) (and (== $positionals 0) (has-value ['restore' 'console' 'eval' 'logs' 'run' 'dump' 'pid' 'unit' 'init'] $sub)))) {
        # Every positional of a command that takes several NAMEs is a NAME.
        if (str:has-prefix $dir '~') {
            set dir = $E:HOME$dir[1..]
        }
        for image [(put $dir/*[nomatch-ok].image)] {
            if (path:is-regular $image) {
                var name = (path:base $image)
                put $name[..(- (count $name) 6)]
            }
        }
    } else {
        # clap's completer knows no NAME position and fails on a word after it: no candidates.
        try {
            $pharo-ctl-clap-completer $@words
        } catch {
        }
    }
}
