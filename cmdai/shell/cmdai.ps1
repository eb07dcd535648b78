# cmdai for PowerShell (PSReadLine 2.x): press Ctrl+g (or $env:CMDAI_KEY, a PSReadLine chord)
# to turn the English on your line into a command, Alt+g (or $env:CMDAI_EXPLAIN_KEY) to see
# what the command on your line does. Printed by `cmdai init powershell`; load it
# from $PROFILE with: Invoke-Expression (& cmdai init powershell | Out-String)
# Every decision is made by `cmdai hook`; this adapter passes the line in, applies the new line
# only when the hook exits 0 (or 9: high risk, then Enter must be pressed twice), and writes the
# hook's one-line message above the prompt.

function global:_cmdai_generate {
    $line = $null
    $cursor = $null
    [Microsoft.PowerShell.PSConsoleReadLine]::GetBufferState([ref]$line, [ref]$cursor)
    $savedEncoding = [Console]::OutputEncoding
    $savedCtrlC = [Console]::TreatControlCAsInput
    $env:CMDAI_BUFFER = $line
    $env:CMDAI_CURSOR = $cursor
    $env:PYTHONUTF8 = '1'
    $output = @()
    $code = 1
    try {
        [Console]::OutputEncoding = [System.Text.Encoding]::UTF8
        [Console]::TreatControlCAsInput = $false  # Ctrl+C reaches the hook, which exits 130
        [Console]::Write("`n$([char]0x231B) cmdai: thinking... (Ctrl+C cancels)")
        $output = & __CMDAI_EXE__ hook --shell powershell 2>&1
        $code = $LASTEXITCODE
    } catch {
        $output = @("cmdai: cancelled; your line is unchanged")
    } finally {
        [Console]::OutputEncoding = $savedEncoding
        [Console]::TreatControlCAsInput = $savedCtrlC
        Remove-Item -Path 'Env:CMDAI_BUFFER', 'Env:CMDAI_CURSOR', 'Env:PYTHONUTF8' -ErrorAction SilentlyContinue
    }
    $isError = { $_ -is [System.Management.Automation.ErrorRecord] }
    $newLine = ($output | Where-Object { -not (& $isError) }) -join "`n"
    $message = ($output | Where-Object $isError | ForEach-Object { "$_" }) -join ' '
    _cmdai_disarm
    if ($code -eq 0 -or $code -eq 9) {
        [Microsoft.PowerShell.PSConsoleReadLine]::Replace(0, $line.Length, $newLine)
        [Microsoft.PowerShell.PSConsoleReadLine]::SetCursorPosition($newLine.Length)
    }
    if ($code -eq 9) {
        _cmdai_arm $newLine $message
    }
    [Console]::Write("`r" + (' ' * [Math]::Max(0, [Console]::WindowWidth - 1)) + "`r")
    if ($message) {
        [Console]::WriteLine($message)
    }
    [Microsoft.PowerShell.PSConsoleReadLine]::InvokePrompt()
}

# Alt+g: what the command on the line does, written below it; the line is never changed.
function global:_cmdai_explain {
    $line = $null
    $cursor = $null
    [Microsoft.PowerShell.PSConsoleReadLine]::GetBufferState([ref]$line, [ref]$cursor)
    $savedEncoding = [Console]::OutputEncoding
    $env:CMDAI_BUFFER = $line
    $env:PYTHONUTF8 = '1'
    $output = @()
    try {
        [Console]::OutputEncoding = [System.Text.Encoding]::UTF8
        $output = & __CMDAI_EXE__ hook --shell powershell --explain 2>&1
    } catch {
        $output = @("cmdai: cancelled; your line is unchanged")
    } finally {
        [Console]::OutputEncoding = $savedEncoding
        Remove-Item -Path 'Env:CMDAI_BUFFER', 'Env:PYTHONUTF8' -ErrorAction SilentlyContinue
    }
    [Console]::WriteLine()
    foreach ($text in $output) {
        [Console]::WriteLine("$text")
    }
    [Microsoft.PowerShell.PSConsoleReadLine]::InvokePrompt()
}

# A high-risk suggestion runs only on a second Enter: while it is on the line, Enter checks
# whether the line is still that suggestion, unchanged, before it accepts the line.
function global:_cmdai_arm([string]$suggestion, [string]$message) {
    $global:_cmdai_confirm = $suggestion
    $global:_cmdai_confirm_msg = $message
    Set-PSReadLineKeyHandler -Chord Enter -BriefDescription 'cmdai-confirm' -ScriptBlock {
        $current = $null
        $at = $null
        [Microsoft.PowerShell.PSConsoleReadLine]::GetBufferState([ref]$current, [ref]$at)
        $first = $current -ceq $global:_cmdai_confirm
        $text = $global:_cmdai_confirm_msg
        _cmdai_disarm
        if ($first) {
            [Console]::WriteLine()
            [Console]::WriteLine($text)
            [Microsoft.PowerShell.PSConsoleReadLine]::InvokePrompt()
        } else {
            [Microsoft.PowerShell.PSConsoleReadLine]::AcceptLine()
        }
    }
}

function global:_cmdai_disarm {
    if ($null -ne $global:_cmdai_confirm) {
        $global:_cmdai_confirm = $null
        $global:_cmdai_confirm_msg = $null
        Set-PSReadLineKeyHandler -Chord Enter -Function AcceptLine
    }
}

$_cmdai_key = if ($env:CMDAI_KEY) { $env:CMDAI_KEY } else { 'Ctrl+g' }
# Keep the chord if the user bound it to a handler of their own.
$_cmdai_taken = Get-PSReadLineKeyHandler -Chord $_cmdai_key -ErrorAction SilentlyContinue |
    Where-Object { $_.Function -notin @('Abort', 'Unbound', 'cmdai', '') }
if (-not $_cmdai_taken) {
    Set-PSReadLineKeyHandler -Chord $_cmdai_key -BriefDescription 'cmdai' `
        -Description 'Turn the English on the line into a command' `
        -ScriptBlock { _cmdai_generate }
}
$_cmdai_key = if ($env:CMDAI_EXPLAIN_KEY) { $env:CMDAI_EXPLAIN_KEY } else { 'Alt+g' }
$_cmdai_taken = Get-PSReadLineKeyHandler -Chord $_cmdai_key -ErrorAction SilentlyContinue |
    Where-Object { $_.Function -notin @('Unbound', 'cmdai-explain', '') }
if (-not $_cmdai_taken) {
    Set-PSReadLineKeyHandler -Chord $_cmdai_key -BriefDescription 'cmdai-explain' `
        -Description 'Say what the command on the line does' `
        -ScriptBlock { _cmdai_explain }
}
Remove-Variable -Name '_cmdai_key', '_cmdai_taken'

# Start the helper now, in the background and detached, so the first Ctrl+g finds the model
# loaded. It does nothing when a helper runs, the model is not downloaded, or
# `prestart = false`; a failure to start it is not this prompt's business.
try {
    $_cmdai_hidden = @{}
    if ($PSVersionTable.PSEdition -eq 'Desktop' -or $IsWindows) { $_cmdai_hidden.WindowStyle = 'Hidden' }
    Start-Process -FilePath __CMDAI_EXE__ -ArgumentList 'helper prestart' @_cmdai_hidden -ErrorAction Stop | Out-Null
} catch {
}
Remove-Variable -Name '_cmdai_hidden' -ErrorAction SilentlyContinue
