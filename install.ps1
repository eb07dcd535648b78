# Install cmdai for this user from PowerShell: its own virtual environment, `cmdai` on
# ~/.local/bin, and the Ctrl+g widget loaded by your profile. Re-run to upgrade; -Uninstall
# removes what it added. The same behaviour as install.sh, for PowerShell 5.1 and 7 on
# Windows, macOS and Linux.
#
#   .\install.ps1                          # from the package index
#   .\install.ps1 -From C:\src\cmdai
#   .\install.ps1 -Uninstall
#
# What it changes is recorded in cmdai's data directory (install-state.json), which is how the
# uninstaller knows exactly what to take away. Run with -DryRun to see the plan first.
[CmdletBinding()]
param(
    [switch]$NoModifyProfile,
    [switch]$WithModel,
    [string]$From = '',
    [ValidateSet('', 'uv', 'pipx', 'venv')][string]$Method = '',
    [string]$Python = '',
    [switch]$Uninstall,
    [switch]$DryRun,
    [switch]$Help
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

$BeginMark = '# >>> cmdai >>>'
$EndMark = '# <<< cmdai <<<'

function Show-Usage {
    @'
usage: install.ps1 [options]

Install cmdai (turn plain English into a shell command with Ctrl+g) for this user.

options:
  -NoModifyProfile  do not touch $PROFILE; print the line to add instead
  -WithModel        download the default model now (about 1 GB, with a progress bar)
  -From PATH        install from a local checkout or wheel instead of the package index
  -Method NAME      uv, pipx or venv (default: uv if installed, else pipx, else venv)
  -Python PATH      the Python to use (default: the newest Python >= 3.11 found)
  -Uninstall        remove what this installer added (your config and models stay)
  -DryRun           say what would be done, change nothing
  -Help             this text
'@
}

function Say([string]$Text) { Write-Host "cmdai-install: $Text" }

function Stop-Install([string]$Text) {
    Write-Host "cmdai-install: error: $Text" -ForegroundColor Red
    exit 1
}

# Run a program, or only show it under -DryRun; a failure stops the install.
function Invoke-Step([string]$Program, [string[]]$Arguments) {
    if ($DryRun) {
        Write-Host "  would run: $Program $($Arguments -join ' ')"
        return
    }
    & $Program @Arguments
    if ($LASTEXITCODE -ne 0) { Stop-Install "$Program $($Arguments -join ' ') failed (exit $LASTEXITCODE)" }
}

function Test-OnWindows {
    return [System.Environment]::OSVersion.Platform -eq [System.PlatformID]::Win32NT
}

function Get-DataDir {
    if (Test-OnWindows) { return Join-Path $env:LOCALAPPDATA 'cmdai' }
    $base = $env:XDG_DATA_HOME
    if (-not $base -or -not [System.IO.Path]::IsPathRooted($base)) {
        $base = Join-Path $HOME '.local/share'
    }
    return Join-Path $base 'cmdai'
}

$DataDir = Get-DataDir
$StatePath = Join-Path $DataDir 'install-state.json'
$Venv = Join-Path $DataDir 'venv'
$BinDir = Join-Path $HOME '.local/bin'

function Get-VenvExe([string]$Name) {
    if (Test-OnWindows) { return Join-Path $Venv "Scripts\$Name.exe" }
    return Join-Path $Venv "bin/$Name"
}

# --- a Python ---------------------------------------------------------------------------------

function Test-Python([string[]]$Command) {
    $program = $Command[0]
    $rest = @($Command | Select-Object -Skip 1)
    & $program @rest -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>$null | Out-Null
    return $LASTEXITCODE -eq 0
}

function Find-Python {
    if ($Python) {
        if (-not (Test-Python @($Python))) { Stop-Install "$Python is not Python 3.11 or newer" }
        return $Python
    }
    $candidates = @(@('py', '-3.13'), @('py', '-3.12'), @('py', '-3.11'), @('python3'), @('python'))
    foreach ($candidate in $candidates) {
        if (Get-Command $candidate[0] -ErrorAction SilentlyContinue) {
            if (Test-Python $candidate) {
                $program = $candidate[0]
                $rest = @($candidate | Select-Object -Skip 1)
                return (& $program @rest -c 'import sys; print(sys.executable)')
            }
        }
    }
    Stop-Install ('cmdai needs Python 3.11 or newer, and none was found (looked for py -3.13, ' +
        'py -3.12, py -3.11, python3, python). Install one from your package manager or ' +
        'python.org; or pass -Python PATH')
}

function Select-Method {
    if ($Method) {
        if ($Method -ne 'venv' -and -not (Get-Command $Method -ErrorAction SilentlyContinue)) {
            Stop-Install "-Method ${Method}: $Method is not installed"
        }
        return $Method
    }
    foreach ($tool in 'uv', 'pipx') {
        if (Get-Command $tool -ErrorAction SilentlyContinue) { return $tool }
    }
    return 'venv'
}

function Get-PackageSpec {
    if (-not $From) { return 'cmdai' }
    if (-not (Test-Path -LiteralPath $From)) { Stop-Install "-From ${From}: no such file or directory" }
    return (Resolve-Path -LiteralPath $From).Path
}

# --- the state file -----------------------------------------------------------------------------

function Read-State {
    if (-not (Test-Path -LiteralPath $StatePath)) { return $null }
    return Get-Content -LiteralPath $StatePath -Raw | ConvertFrom-Json
}

function Save-State($State) {
    if ($DryRun) { return }
    New-Item -ItemType Directory -Force -Path $DataDir | Out-Null
    $State | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $StatePath -Encoding UTF8
}

# --- installing ---------------------------------------------------------------------------------

function Install-Package([string]$PythonExe, [string]$Chosen) {
    $spec = Get-PackageSpec
    Say "installing cmdai ($spec) with $Chosen"
    switch ($Chosen) {
        'uv' {
            Invoke-Step 'uv' @('tool', 'install', '--force', '--python', $PythonExe, $spec)
            return (Join-Path (& uv tool dir --bin) 'cmdai')
        }
        'pipx' {
            Invoke-Step 'pipx' @('install', '--force', '--python', $PythonExe, $spec)
            return (Join-Path (& pipx environment --value PIPX_BIN_DIR) 'cmdai')
        }
        default {
            if (-not (Test-Path -LiteralPath (Get-VenvExe 'python'))) {
                Invoke-Step $PythonExe @('-m', 'venv', $Venv)
            }
            Say '(this takes a few minutes when the model runtime, llama-cpp-python, has to compile)'
            Invoke-Step (Get-VenvExe 'python') @('-m', 'pip', 'install', '--disable-pip-version-check', '--upgrade', $spec)
            if ($From) {  # the same version number from a checkout: take its code
                Invoke-Step (Get-VenvExe 'python') @('-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--force-reinstall', '--no-deps', $spec)
            }
            return (Add-Shim)
        }
    }
}

# ~/.local/bin/cmdai: a symbolic link where links are ordinary, a .cmd shim on Windows.
function Add-Shim {
    $target = Get-VenvExe 'cmdai'
    if ($DryRun) {
        Write-Host "  would put cmdai in $BinDir, running $target"
        return $target
    }
    New-Item -ItemType Directory -Force -Path $BinDir | Out-Null
    if (Test-OnWindows) {
        $shim = Join-Path $BinDir 'cmdai.cmd'
        Set-Content -LiteralPath $shim -Value "@`"$target`" %*" -Encoding ASCII
        return $shim
    }
    $link = Join-Path $BinDir 'cmdai'
    if (Test-Path -LiteralPath $link) { Remove-Item -LiteralPath $link -Force }
    New-Item -ItemType SymbolicLink -Path $link -Target $target | Out-Null
    return $link
}

function Test-OnPath([string]$Directory) {
    $separator = [System.IO.Path]::PathSeparator
    return @($env:PATH -split [regex]::Escape($separator)) -contains $Directory
}

function Restart-Helper([string]$Exe) {
    if ($DryRun) { return }
    & $Exe daemon status *> $null
    if ($LASTEXITCODE -eq 0) {
        Say 'restarting the running helper on the new version'
        & $Exe daemon restart *> $null
    }
}

# --- the profile --------------------------------------------------------------------------------

function Get-InitLine([string]$Exe) {
    $quoted = "'" + $Exe.Replace("'", "''") + "'"
    return "if (Test-Path -LiteralPath $quoted) { Invoke-Expression (& $quoted init powershell | Out-String) }"
}

function Add-ToProfile([string]$Exe, $State) {
    $profilePath = $PROFILE
    $line = Get-InitLine $Exe
    if ($NoModifyProfile) {
        Say "add this line to ${profilePath}: $line"
        return
    }
    $exists = Test-Path -LiteralPath $profilePath
    $text = if ($exists) { [System.IO.File]::ReadAllText($profilePath) } else { '' }
    if ($text.Contains($BeginMark)) {
        Say "$profilePath already loads cmdai"
        return
    }
    # A last line without its newline gets one, or the block would join it.
    $newline = $text.Length -gt 0 -and -not $text.EndsWith("`n")
    $backup = ''
    if ($exists) { $backup = "$profilePath.cmdai-backup-$(Get-Date -Format 'yyyyMMddHHmmss')" }
    if ($DryRun) {
        Say "would add to ${profilePath}: $line"
        return
    }
    if ($exists) { Copy-Item -LiteralPath $profilePath -Destination $backup }
    New-Item -ItemType Directory -Force -Path (Split-Path -Parent $profilePath) | Out-Null
    $block = "$BeginMark`n$line`n$EndMark`n"
    if ($newline) { $block = "`n" + $block }
    [System.IO.File]::AppendAllText($profilePath, $block)
    $State.profiles += @([pscustomobject]@{
        path = $profilePath; created = -not $exists; newline = $newline; backup = $backup
    })
    Say "$profilePath now loads cmdai"
}

# Take our block out of the profile exactly: the file is byte for byte what it was before.
function Remove-FromProfile($Entry) {
    $path = $Entry.path
    if (-not (Test-Path -LiteralPath $path)) { return }
    if ($DryRun) {
        Say "would remove the cmdai block from $path"
        return
    }
    $text = [System.IO.File]::ReadAllText($path)
    $start = $text.IndexOf("$BeginMark`n")
    $stop = $text.IndexOf("$EndMark`n", [Math]::Max($start, 0))
    if ($start -ge 0 -and $stop -ge 0) {
        if ($Entry.newline -and $start -gt 0 -and $text[$start - 1] -eq "`n") { $start -= 1 }
        $text = $text.Remove($start, $stop + $EndMark.Length + 1 - $start)
        [System.IO.File]::WriteAllText($path, $text)
    }
    if ($Entry.created -and $text.Length -eq 0) { Remove-Item -LiteralPath $path }
    if ($Entry.backup -and (Test-Path -LiteralPath $Entry.backup)) {
        $same = (Test-Path -LiteralPath $path) -and
            ([System.IO.File]::ReadAllText($Entry.backup) -ceq [System.IO.File]::ReadAllText($path))
        if ($same) { Remove-Item -LiteralPath $Entry.backup }
        else { Say "kept $($Entry.backup) (your profile changed since cmdai was installed)" }
    }
    Say "removed cmdai from $path"
}

# --- the two jobs -------------------------------------------------------------------------------

function Install-Cmdai {
    $pythonExe = Find-Python
    $chosen = Select-Method
    $state = Read-State
    if ($null -ne $state -and $state.method -ne $chosen) {
        Stop-Install 'cmdai was installed with another method; run install.ps1 -Uninstall first'
    }
    if ($null -eq $state) {
        $state = [pscustomobject]@{ method = $chosen; profiles = @() }
        Save-State $state
    }
    $exe = Install-Package $pythonExe $chosen
    if (-not $DryRun) {
        $version = & $exe --version
        if ($LASTEXITCODE -ne 0) { Stop-Install "the installed cmdai does not run: $exe --version failed" }
        Say "installed $version at $exe"
    }
    Add-ToProfile $exe $state
    Save-State $state
    if (-not (Test-OnPath (Split-Path -Parent $exe))) {
        Say "warning: $(Split-Path -Parent $exe) is not on your PATH: the widget works (it uses the full path); add it to PATH to type cmdai"
    }
    Restart-Helper $exe
    if ($WithModel) { Invoke-Step $exe @('model', 'pull') }
    if (-not $DryRun) { Say 'done: open a new terminal, type a request and press Ctrl+g' }
}

function Uninstall-Cmdai {
    $state = Read-State
    if ($null -eq $state) {
        Stop-Install "nothing to uninstall: $StatePath does not exist (was cmdai installed by this script?)"
    }
    $venvCmdai = Get-VenvExe 'cmdai'
    if (Test-Path -LiteralPath $venvCmdai) { & $venvCmdai daemon stop *> $null }
    $entries = @($state.profiles)
    [array]::Reverse($entries)
    foreach ($entry in $entries) { Remove-FromProfile $entry }
    switch ($state.method) {
        'uv' { Invoke-Step 'uv' @('tool', 'uninstall', 'cmdai') }
        'pipx' { Invoke-Step 'pipx' @('uninstall', 'cmdai') }
        default {
            foreach ($name in 'cmdai', 'cmdai.cmd') {
                $shim = Join-Path $BinDir $name
                if (Test-Path -LiteralPath $shim) {
                    if ($DryRun) { Write-Host "  would remove $shim" } else { Remove-Item -LiteralPath $shim -Force }
                }
            }
            if ($DryRun) { Write-Host "  would remove $Venv" }
            elseif (Test-Path -LiteralPath $Venv) { Remove-Item -LiteralPath $Venv -Recurse -Force }
        }
    }
    if (-not $DryRun) {
        Remove-Item -LiteralPath $StatePath -Force
        if (-not (Get-ChildItem -LiteralPath $DataDir -Force)) { Remove-Item -LiteralPath $DataDir }
    }
    Say 'cmdai is uninstalled. Your settings and downloaded models are kept (see `cmdai config` before uninstalling, or delete the cmdai folders under your config and cache directories).'
}

if ($Help) {
    Show-Usage
    exit 0
}
if ($Uninstall) { Uninstall-Cmdai } else { Install-Cmdai }
