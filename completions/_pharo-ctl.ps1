
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

$pharoCtlClapCompleter = {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'pharo-ctl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'pharo-ctl' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the image in the background and record its pid')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the image: cooperative shutdown through the REPL, then SIGTERM, then SIGKILL, to the VM''s whole process tree (a wrapper script, the VM proper, what they started)')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save the running image in place, safely: room checked, a backup first, the new file checked, the backup put back if the save fails')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put a backup of the image back in place (the newest by default), while the instance is stopped; or list the backups')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Stop the image if it runs, then start it')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Tell whether the image runs: pid, uptime, memory, CPU, REPL health (and since when it has not answered), log')
            [CompletionResult]::new('console', 'console', [CompletionResultType]::ParameterValue, 'An interactive session with the image''s REPL, with line editing and history')
            [CompletionResult]::new('eval', 'eval', [CompletionResultType]::ParameterValue, 'Evaluate Smalltalk in the running image and print the answer')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Print the image''s log (the VM''s output, NAME.log): its last lines, or follow it')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the image in the foreground as a service''s main process (systemd, containers)')
            [CompletionResult]::new('dump', 'dump', [CompletionResultType]::ParameterValue, 'Print the running VM''s stack report: send it SIGUSR1 and print what it writes to crash.dmp in its working directory (else to the log)')
            [CompletionResult]::new('pid', 'pid', [CompletionResultType]::ParameterValue, 'Print the pid of the running image')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List the Pharo VMs running on this machine: pid, user, uptime, memory, CPU time, image, and whether the image''s pid file (NAME.pid next to it) names the process. A wrapper script and the VM it started are one row, the VM proper''s; --vm names one more VM')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script: subcommands, options, and instance NAMEs from the *.image files of the directory (-C/--dir, PHARO_CTL_DIR, else the current one)')
            [CompletionResult]::new('unit', 'unit', [CompletionResultType]::ParameterValue, 'Print a systemd unit that runs the image with `pharo-ctl run`')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Make an instance ready: a startup script whose REPL asks for credentials, their secret, a free REPL port')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pharo-ctl;start' {
            [CompletionResult]::new('--settle', '--settle', [CompletionResultType]::ParameterName, 'How long the VM must stay up before a start counts (without --wait)')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'With --wait: how long to wait for the REPL')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every instance of the directory: each of its *.image files')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'With several instances: start them all at once instead of one after another')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the REPL answers before reporting success')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;stop' {
            [CompletionResult]::new('--save-timeout', '--save-timeout', [CompletionResultType]::ParameterName, 'With --save: how long the save may take')
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'The directory of the backups, relative to the image''s [default: backups beside the image]')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'How many backups of the instance to keep: older ones are removed after a verified save')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long the image may take to exit after the shutdown request, before SIGTERM')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the image may take to exit after the shutdown request, before SIGTERM')
            [CompletionResult]::new('--kill-after', '--kill-after', [CompletionResultType]::ParameterName, 'Wait between SIGTERM and SIGKILL')
            [CompletionResult]::new('--shutdown', '--shutdown', [CompletionResultType]::ParameterName, 'The Smalltalk that asks the image to shut down')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every instance of the directory: each of its *.image files')
            [CompletionResult]::new('--save', '--save', [CompletionResultType]::ParameterName, 'Save the image first (a verified snapshot, see `pharo-ctl snapshot`); an image whose save fails is not stopped')
            [CompletionResult]::new('--no-backup', '--no-backup', [CompletionResultType]::ParameterName, 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;snapshot' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long the save may take (the image is blocked while it writes itself)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the save may take (the image is blocked while it writes itself)')
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'The directory of the backups, relative to the image''s [default: backups beside the image]')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'How many backups of the instance to keep: older ones are removed after a verified save')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every instance of the directory: each of its *.image files')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per instance (an array for several): the image, its size, the time taken, the backup and how it was taken (reflink or copy)')
            [CompletionResult]::new('--no-backup', '--no-backup', [CompletionResultType]::ParameterName, 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;restore' {
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'The directory of the backups, relative to the image''s [default: backups beside the image]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the instance''s backups (time, size, file), newest last')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: with --list an array of the backups (file, image, changes, taken_at, size_bytes), oldest first; else one object for the restore (restored_from, image, size_bytes, replaced)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;restart' {
            [CompletionResult]::new('--pause', '--pause', [CompletionResultType]::ParameterName, 'With --rolling: how long to wait after an instance answers before the next one')
            [CompletionResult]::new('--settle', '--settle', [CompletionResultType]::ParameterName, 'How long the VM must stay up before a start counts (without --wait)')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'With --wait: how long to wait for the REPL')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long the image may take to exit after the shutdown request, before SIGTERM')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the image may take to exit after the shutdown request, before SIGTERM')
            [CompletionResult]::new('--kill-after', '--kill-after', [CompletionResultType]::ParameterName, 'Wait between SIGTERM and SIGKILL')
            [CompletionResult]::new('--shutdown', '--shutdown', [CompletionResultType]::ParameterName, 'The Smalltalk that asks the image to shut down')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every instance of the directory: each of its *.image files')
            [CompletionResult]::new('--rolling', '--rolling', [CompletionResultType]::ParameterName, 'One instance at a time, each answering before the next one stops')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'With several instances: start them all at once after the stop')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the REPL answers before reporting success')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;status' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many lines of the log to show')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'How many lines of the log to show')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long the REPL''s health probe may take')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the REPL''s health probe may take')
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'Where the image''s backups are (as `snapshot --backup-dir`), relative to the image''s directory [default: backups beside the image]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every instance of the directory: each of its *.image files')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON on one line: one object, or an array for several instances')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'With --json: indent the JSON over several lines')
            [CompletionResult]::new('--probe', '--probe', [CompletionResultType]::ParameterName, 'Print nothing; only the exit status tells: 0 when the VM runs and its REPL answers within --timeout, 1 hung, 3 not running, 4 unknown (for health and liveness probes)')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;console' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long to wait for each answer')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;eval' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long to wait for the answer')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the answer')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the answer and exit 0 even when it is an evaluation error')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;logs' {
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'How many of the last lines to print [default: 10]')
            [CompletionResult]::new('--lines', '--lines', [CompletionResultType]::ParameterName, 'How many of the last lines to print [default: 10]')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Print the lines written since a time: a duration ago (10m) or an RFC 3339 time; only for a log whose lines begin with timestamps')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep printing the lines as the VM writes them, across rotation, until interrupted')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing the lines as the VM writes them, across rotation, until interrupted')
            [CompletionResult]::new('--until-exit', '--until-exit', [CompletionResultType]::ParameterName, 'Follow the log (as --follow) and end when the VM exits')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;run' {
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long to wait for the REPL to answer')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long the image may take to exit after the shutdown request, before SIGTERM')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the image may take to exit after the shutdown request, before SIGTERM')
            [CompletionResult]::new('--kill-after', '--kill-after', [CompletionResultType]::ParameterName, 'Wait between SIGTERM and SIGKILL')
            [CompletionResult]::new('--shutdown', '--shutdown', [CompletionResultType]::ParameterName, 'The Smalltalk that asks the image to shut down')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--watchdog', '--watchdog', [CompletionResultType]::ParameterName, 'Probe the REPL every INTERVAL; unanswered probes mean the image is hung [default: off]')
            [CompletionResult]::new('--watchdog-misses', '--watchdog-misses', [CompletionResultType]::ParameterName, 'How many probes in a row without an answer mean the image is hung')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;dump' {
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long the VM may take to write the report')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the VM may take to write the report')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object: pid, taken_at, file, report')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;pid' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;ps' {
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print a JSON array, on one line, instead of the table')
            [CompletionResult]::new('--pretty', '--pretty', [CompletionResultType]::ParameterName, 'With --json: indent the JSON over several lines')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;completions' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;unit' {
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user the service runs as (User=)')
            [CompletionResult]::new('--start-timeout', '--start-timeout', [CompletionResultType]::ParameterName, 'How long `run` waits for the REPL before the start fails (passed to ExecStart)')
            [CompletionResult]::new('-t', '-t', [CompletionResultType]::ParameterName, 'How long the image may take to exit after the shutdown request, before SIGTERM')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long the image may take to exit after the shutdown request, before SIGTERM')
            [CompletionResult]::new('--kill-after', '--kill-after', [CompletionResultType]::ParameterName, 'Wait between SIGTERM and SIGKILL')
            [CompletionResult]::new('--shutdown', '--shutdown', [CompletionResultType]::ParameterName, 'The Smalltalk that asks the image to shut down')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instances'' files [default: the current directory]')
            [CompletionResult]::new('--vm', '--vm', [CompletionResultType]::ParameterName, 'The Pharo VM [default: DIR/pharo, DIR/pharo-vm/pharo, then pharo on PATH]')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The image [default: DIR/NAME.image]')
            [CompletionResult]::new('--script', '--script', [CompletionResultType]::ParameterName, 'The startup script [default: NAME.st beside the image, when it exists]')
            [CompletionResult]::new('--pid-file', '--pid-file', [CompletionResultType]::ParameterName, 'The pid file [default: NAME.pid beside the image]')
            [CompletionResult]::new('--log-file', '--log-file', [CompletionResultType]::ParameterName, 'The log file the VM''s output is appended to [default: NAME.log beside the image]')
            [CompletionResult]::new('--vm-arg', '--vm-arg', [CompletionResultType]::ParameterName, 'An argument for the VM, before the image; repeatable [default: --headless, unless the VM is a script that passes it, as zeroconf''s `pharo`]')
            [CompletionResult]::new('--repl', '--repl', [CompletionResultType]::ParameterName, 'The REPL''s URL [default: the port of `startInServerOn:` in the script, else http://127.0.0.1:42033/repl]')
            [CompletionResult]::new('--repl-secret', '--repl-secret', [CompletionResultType]::ParameterName, 'The file of the REPL''s secret, sent as HTTP Basic credentials with every request [default: NAME.repl-secret beside the image, when it exists]')
            [CompletionResult]::new('--watchdog', '--watchdog', [CompletionResultType]::ParameterName, 'Probe the REPL every INTERVAL; unanswered probes mean the image is hung [default: off]')
            [CompletionResult]::new('--watchdog-misses', '--watchdog-misses', [CompletionResultType]::ParameterName, 'How many probes in a row without an answer mean the image is hung')
            [CompletionResult]::new('--snapshot-every', '--snapshot-every', [CompletionResultType]::ParameterName, 'Print instead a systemd timer that saves the image every INTERVAL (`pharo-ctl snapshot`), and the service it starts')
            [CompletionResult]::new('--backup-dir', '--backup-dir', [CompletionResultType]::ParameterName, 'The directory of the backups, relative to the image''s [default: backups beside the image]')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'How many backups of the instance to keep: older ones are removed after a verified save')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Print pharo@.service, the template unit whose instance name (%i) is the NAME')
            [CompletionResult]::new('--allow-remote', '--allow-remote', [CompletionResultType]::ParameterName, 'Allow a REPL URL whose host is not loopback (the REPL runs any code it is sent)')
            [CompletionResult]::new('--no-backup', '--no-backup', [CompletionResultType]::ParameterName, 'Take no backup before the save (for operators who keep their own): a failed save can then not be undone')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;init' {
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'An image to start from: copied to DIR/NAME.image with its .changes (--link: linked)')
            [CompletionResult]::new('--repl-port', '--repl-port', [CompletionResultType]::ParameterName, 'The REPL''s port [default: the first from 42033 that is free on this host and in the directory]')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The user the instance runs as, who owns its secret (root only) [default: the image''s owner]')
            [CompletionResult]::new('-C', '-C ', [CompletionResultType]::ParameterName, 'The directory of the instance''s files [default: the current directory]')
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'The directory of the instance''s files [default: the current directory]')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; --json output is never coloured')
            [CompletionResult]::new('--link', '--link', [CompletionResultType]::ParameterName, 'With --image: make DIR/NAME.image a symbolic link to it instead of a copy')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Write nothing: print what would be written (never the secret)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print no step lines, only results and errors')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Print more detail about each step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'pharo-ctl;help' {
            [CompletionResult]::new('start', 'start', [CompletionResultType]::ParameterValue, 'Start the image in the background and record its pid')
            [CompletionResult]::new('stop', 'stop', [CompletionResultType]::ParameterValue, 'Stop the image: cooperative shutdown through the REPL, then SIGTERM, then SIGKILL, to the VM''s whole process tree (a wrapper script, the VM proper, what they started)')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Save the running image in place, safely: room checked, a backup first, the new file checked, the backup put back if the save fails')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Put a backup of the image back in place (the newest by default), while the instance is stopped; or list the backups')
            [CompletionResult]::new('restart', 'restart', [CompletionResultType]::ParameterValue, 'Stop the image if it runs, then start it')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Tell whether the image runs: pid, uptime, memory, CPU, REPL health (and since when it has not answered), log')
            [CompletionResult]::new('console', 'console', [CompletionResultType]::ParameterValue, 'An interactive session with the image''s REPL, with line editing and history')
            [CompletionResult]::new('eval', 'eval', [CompletionResultType]::ParameterValue, 'Evaluate Smalltalk in the running image and print the answer')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Print the image''s log (the VM''s output, NAME.log): its last lines, or follow it')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run the image in the foreground as a service''s main process (systemd, containers)')
            [CompletionResult]::new('dump', 'dump', [CompletionResultType]::ParameterValue, 'Print the running VM''s stack report: send it SIGUSR1 and print what it writes to crash.dmp in its working directory (else to the log)')
            [CompletionResult]::new('pid', 'pid', [CompletionResultType]::ParameterValue, 'Print the pid of the running image')
            [CompletionResult]::new('ps', 'ps', [CompletionResultType]::ParameterValue, 'List the Pharo VMs running on this machine: pid, user, uptime, memory, CPU time, image, and whether the image''s pid file (NAME.pid next to it) names the process. A wrapper script and the VM it started are one row, the VM proper''s; --vm names one more VM')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script: subcommands, options, and instance NAMEs from the *.image files of the directory (-C/--dir, PHARO_CTL_DIR, else the current one)')
            [CompletionResult]::new('unit', 'unit', [CompletionResultType]::ParameterValue, 'Print a systemd unit that runs the image with `pharo-ctl run`')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Make an instance ready: a startup script whose REPL asks for credentials, their secret, a free REPL port')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'pharo-ctl;help;start' {
            break
        }
        'pharo-ctl;help;stop' {
            break
        }
        'pharo-ctl;help;snapshot' {
            break
        }
        'pharo-ctl;help;restore' {
            break
        }
        'pharo-ctl;help;restart' {
            break
        }
        'pharo-ctl;help;status' {
            break
        }
        'pharo-ctl;help;console' {
            break
        }
        'pharo-ctl;help;eval' {
            break
        }
        'pharo-ctl;help;logs' {
            break
        }
        'pharo-ctl;help;run' {
            break
        }
        'pharo-ctl;help;dump' {
            break
        }
        'pharo-ctl;help;pid' {
            break
        }
        'pharo-ctl;help;ps' {
            break
        }
        'pharo-ctl;help;completions' {
            break
        }
        'pharo-ctl;help;unit' {
            break
        }
        'pharo-ctl;help;init' {
            break
        }
        'pharo-ctl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}

# pharo-ctl: instance NAMEs complete from the *.image files of the directory in effect:
# -C/--dir, else $env:PHARO_CTL_DIR, else the current directory.
Register-ArgumentCompleter -Native -CommandName 'pharo-ctl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $dir = '.'
    if ($env:PHARO_CTL_DIR) { $dir = $env:PHARO_CTL_DIR }
    $sub = ''
    $positionals = 0
    $skip = $false
    $dirNext = $false
    $words = @($commandAst.CommandElements |
        Where-Object { $_.Extent.EndOffset -lt $cursorPosition } |
        ForEach-Object { $_.Extent.Text })
    foreach ($word in ($words | Select-Object -Skip 1)) {
        if ($skip) {
            $skip = $false
            if ($dirNext) { $dir = $word; $dirNext = $false }
            continue
        }
        if ($word -ceq '-C' -or $word -ceq '--dir') { $skip = $true; $dirNext = $true }
        elseif ($word.StartsWith('--dir=')) { $dir = $word.Substring(6) }
        elseif ($word.StartsWith('-C') -and $word.Length -gt 2) { $dir = $word.Substring(2) }
        elseif (@('--color', '--settle', '--start-timeout', '-C', '--dir', '--vm', '--image', '--script', '--pid-file', '--log-file', '--vm-arg', '--repl', '--repl-secret', '--save-timeout', '--backup-dir', '--keep', '-t', '--timeout', '--kill-after', '--shutdown', '--pause', '-n', '--lines', '--since', '--watchdog', '--watchdog-misses', '--user', '--snapshot-every', '--repl-port') -ccontains $word) { $skip = $true }
        elseif ($word.StartsWith('-')) { }
        elseif ($sub -eq '') { $sub = $word }
        else { $positionals++ }
    }
    # Every positional of a command that takes several NAMEs is a NAME.
    if (-not $skip -and -not $wordToComplete.StartsWith('-') -and
        ((@('start', 'stop', 'snapshot', 'restart', 'status') -ccontains $sub) -or ($positionals -eq 0 -and @('restore', 'console', 'eval', 'logs', 'run', 'dump', 'pid', 'unit', 'init') -ccontains $sub))) {
        Get-ChildItem -LiteralPath $dir -Filter '*.image' -File -ErrorAction SilentlyContinue |
            ForEach-Object { $_.BaseName } |
            Where-Object { $_ -like "$wordToComplete*" } |
            Sort-Object |
            ForEach-Object {
                [CompletionResult]::new($_, $_, [CompletionResultType]::ParameterValue, 'instance')
            }
        return
    }
    & $pharoCtlClapCompleter $wordToComplete $commandAst $cursorPosition
}.GetNewClosure()
