//! The NAME layer of the PowerShell completion script.

use super::{Spec, replace_once, single_quoted};

/// clap_complete's PowerShell script `clap`, with the NAME layer added.
pub(super) fn powershell(clap: &str, spec: &Spec) -> String {
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
