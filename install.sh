#!/bin/sh
# Install cmdai for this user: its own virtual environment, `cmdai` on ~/.local/bin, and the
# Ctrl-G widget loaded by your shell. Re-run to upgrade; `--uninstall` removes what it added.
#
#   sh install.sh                      # from the package index, for your login shell
#   sh install.sh --from . --shell zsh,bash,fish
#   sh install.sh --uninstall
#
# Everything it changes is recorded in $XDG_DATA_HOME/cmdai/install-state, which is how the
# uninstaller knows exactly what to take away. Run with --dry-run to see the plan first.
set -eu

usage() {
    cat <<'EOF'
usage: install.sh [options]

Install cmdai (turn plain English into a shell command with Ctrl-G) for this user.

options:
  --shell LIST      shells to set up, comma-separated: zsh, bash, fish
                    (default: your login shell, from $SHELL)
  --no-modify-rc    do not touch any shell start-up file; print the line to add instead
  --with-model      download the default model now (about 1 GB, with a progress bar)
  --from PATH       install from a local checkout or wheel instead of the package index
  --method NAME     uv, pipx or venv (default: uv if installed, else pipx, else venv)
  --python PATH     the Python to use (default: the newest python3.x >= 3.11 on PATH)
  --uninstall       remove what this installer added (your config and models stay)
  --dry-run         say what would be done, change nothing
  -h, --help        this text

Files: the environment in ${XDG_DATA_HOME:-~/.local/share}/cmdai, the command in
~/.local/bin/cmdai, one marked block in each shell's start-up file (backed up first).
EOF
}

say() { printf 'cmdai-install: %s\n' "$*"; }
warn() { printf 'cmdai-install: warning: %s\n' "$*" >&2; }
die() {
    printf 'cmdai-install: error: %s\n' "$1" >&2
    exit "${2:-1}"
}

# Run a command, or only show it under --dry-run.
run() {
    if [ "$DRY_RUN" = 1 ]; then
        printf '  would run: %s\n' "$*"
    else
        "$@"
    fi
}

SHELLS=""
MODIFY_RC=1
WITH_MODEL=0
FROM=""
METHOD=""
PYTHON=""
UNINSTALL=0
DRY_RUN=0

need_value() {
    [ "$2" -ge 2 ] || die "$1 needs a value (see --help)" 2
}

while [ $# -gt 0 ]; do
    case $1 in
        --shell) need_value "$1" $#; SHELLS=$2; shift 2 ;;
        --shell=*) SHELLS=${1#*=}; shift ;;
        --no-modify-rc) MODIFY_RC=0; shift ;;
        --with-model) WITH_MODEL=1; shift ;;
        --from) need_value "$1" $#; FROM=$2; shift 2 ;;
        --from=*) FROM=${1#*=}; shift ;;
        --method) need_value "$1" $#; METHOD=$2; shift 2 ;;
        --method=*) METHOD=${1#*=}; shift ;;
        --python) need_value "$1" $#; PYTHON=$2; shift 2 ;;
        --python=*) PYTHON=${1#*=}; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) die "unknown option: $1 (see --help)" 2 ;;
    esac
done

[ -n "${HOME:-}" ] || die "HOME is not set"
DATA_DIR=${XDG_DATA_HOME:-$HOME/.local/share}/cmdai
STATE=$DATA_DIR/install-state
VENV=$DATA_DIR/venv
BIN_DIR=$HOME/.local/bin
LINK=$BIN_DIR/cmdai
BEGIN_MARK='# >>> cmdai >>>'
END_MARK='# <<< cmdai <<<'

# --- the platform and a Python ----------------------------------------------------------------

detect_platform() {
    OS=$(uname -s)
    ARCH=$(uname -m)
    case $OS in
        Linux|Darwin) ;;
        *) die "unsupported system: $OS (cmdai installs on Linux and macOS; on Windows use install.ps1)" ;;
    esac
    case $ARCH in
        x86_64|amd64|aarch64|arm64) ;;
        *) warn "untested architecture $ARCH: the model runtime will be compiled from source" ;;
    esac
}

python_ok() {
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

find_python() {
    if [ -n "$PYTHON" ]; then
        python_ok "$PYTHON" || die "$PYTHON is not Python 3.11 or newer"
        return
    fi
    for candidate in python3.13 python3.12 python3.11 python3 python; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            # The interpreter itself, not a wrapper (a pyenv shim depends on the directory).
            PYTHON=$("$candidate" -c 'import sys; print(sys.executable)')
            return
        fi
    done
    case $OS in
        Darwin) hint="brew install python@3.12" ;;
        *) hint="sudo apt install python3 python3-venv (Debian, Ubuntu), or your system's package" ;;
    esac
    die "cmdai needs Python 3.11 or newer, and none was found on PATH (looked for python3.13, python3.12, python3.11, python3, python). Install one: $hint; or pass --python PATH"
}

choose_method() {
    if [ -z "$METHOD" ]; then
        if command -v uv >/dev/null 2>&1; then
            METHOD=uv
        elif command -v pipx >/dev/null 2>&1; then
            METHOD=pipx
        else
            METHOD=venv
        fi
    fi
    case $METHOD in
        uv|pipx) command -v "$METHOD" >/dev/null 2>&1 || die "--method $METHOD: $METHOD is not installed" ;;
        venv) ;;
        *) die "unknown --method $METHOD (uv, pipx or venv)" 2 ;;
    esac
}

# What pip installs: the package, with the MLX extra on Apple Silicon.
package_spec() {
    if [ -n "$FROM" ]; then
        if [ -d "$FROM" ]; then
            spec=$(cd "$FROM" && pwd)
        elif [ -f "$FROM" ]; then
            spec=$(cd "$(dirname "$FROM")" && pwd)/$(basename "$FROM")
        else
            die "--from $FROM: no such file or directory"
        fi
    else
        spec=cmdai
    fi
    if [ "$OS" = Darwin ] && [ "$ARCH" = arm64 ]; then
        spec="${spec}[mlx]"
    fi
    printf '%s\n' "$spec"
}

# --- installing -----------------------------------------------------------------------------

install_package() {
    spec=$(package_spec)
    say "installing cmdai ($spec) with $METHOD, Python $("$PYTHON" -c 'import platform; print(platform.python_version())')"
    case $METHOD in
        uv)
            run uv tool install --force --python "$PYTHON" "$spec"
            EXE=$(uv tool dir --bin 2>/dev/null || printf '%s' "$BIN_DIR")/cmdai
            ;;
        pipx)
            run pipx install --force --python "$PYTHON" "$spec"
            EXE=$(pipx environment --value PIPX_BIN_DIR 2>/dev/null || printf '%s' "$BIN_DIR")/cmdai
            ;;
        venv)
            if [ ! -x "$VENV/bin/python" ]; then
                run mkdir -p "$DATA_DIR"
                run "$PYTHON" -m venv "$VENV"
            fi
            say "(this takes a few minutes when the model runtime, llama-cpp-python, has to compile)"
            run "$VENV/bin/python" -m pip install --disable-pip-version-check --upgrade "$spec"
            if [ -n "$FROM" ]; then  # the same version number from a checkout: take its code
                run "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps "$spec"
            fi
            run mkdir -p "$BIN_DIR"
            run ln -sf "$VENV/bin/cmdai" "$LINK"
            EXE=$LINK
            ;;
    esac
}

warn_about_path() {
    case ":$PATH:" in
        *":$(dirname "$EXE"):"*) ;;
        *) warn "$(dirname "$EXE") is not on your PATH: the widget works (it uses the full path), but to type \`cmdai\` add this to your shell's start-up file: export PATH=\"$(dirname "$EXE"):\$PATH\"" ;;
    esac
}

# The helper of the version that was running keeps the old code: restart it on the new one.
restart_helper() {
    [ "$DRY_RUN" = 0 ] || return 0
    if "$EXE" daemon status >/dev/null 2>&1; then
        say "restarting the running helper on the new version"
        "$EXE" daemon restart >/dev/null || warn "could not restart the helper: run \`cmdai daemon restart\`"
    fi
}

# --- shell start-up files -------------------------------------------------------------------

rc_file() {
    case $1 in
        zsh) printf '%s\n' "${ZDOTDIR:-$HOME}/.zshrc" ;;
        bash)
            # macOS terminals start login shells, which read ~/.bash_profile, not ~/.bashrc.
            if [ "$OS" = Darwin ]; then printf '%s\n' "$HOME/.bash_profile"; else printf '%s\n' "$HOME/.bashrc"; fi ;;
        fish) printf '%s\n' "${XDG_CONFIG_HOME:-$HOME/.config}/fish/conf.d/cmdai.fish" ;;
    esac
}

# The line is for the shell's start-up file: `$(…)` is expanded there, not here.
# shellcheck disable=SC2016
init_line() {
    quoted=$(printf "'%s'" "$(printf '%s' "$EXE" | sed "s/'/'\\\\''/g")")
    case $1 in
        zsh|bash) printf 'if [ -x %s ]; then eval "$(%s init %s)"; fi\n' "$quoted" "$quoted" "$1" ;;
        fish) printf 'if test -x %s; %s init fish | source; end\n' "$quoted" "$quoted" ;;
    esac
}

check_bash_version() {
    command -v bash >/dev/null 2>&1 || return 0
    major=$(bash -c 'echo "${BASH_VERSINFO[0]}"' 2>/dev/null || echo 0)
    if [ "$major" -lt 4 ]; then
        warn "bash $(bash -c 'echo "$BASH_VERSION"') cannot run the Ctrl-G widget (it needs bash 4 or newer; on macOS: brew install bash, then use that bash); \`cmdai \"request\"\` works in any shell"
    fi
}

add_to_rc() {
    shell=$1
    rc=$(rc_file "$shell")
    line=$(init_line "$shell")
    if [ "$MODIFY_RC" = 0 ]; then
        say "add this line to $rc: $line"
        return
    fi
    if [ -f "$rc" ] && grep -qxF "$BEGIN_MARK" "$rc"; then
        say "$rc already loads cmdai"
        return
    fi
    [ "$shell" != bash ] || check_bash_version
    created=0 newline=0 backup=-
    if [ ! -e "$rc" ]; then
        created=1
    else
        backup=$rc.cmdai-backup-$(date +%Y%m%d%H%M%S)
        # A last line without its newline gets one, or the block would join it.
        if [ -s "$rc" ] && [ "$(tail -c 1 "$rc" | od -An -c | tr -d ' ')" != '\n' ]; then
            newline=1
        fi
    fi
    if [ "$DRY_RUN" = 1 ]; then
        if [ "$backup" = - ]; then
            say "would add to $rc: $line"
        else
            say "would copy $rc to $backup, then add: $line"
        fi
        return
    fi
    mkdir -p "$(dirname "$rc")"
    [ "$backup" = - ] || cp -p "$rc" "$backup"
    {
        [ "$newline" = 0 ] || printf '\n'
        printf '%s\n%s\n%s\n' "$BEGIN_MARK" "$line" "$END_MARK"
    } >>"$rc"
    record "rc=$rc|created=$created|newline=$newline|backup=$backup"
    if [ "$backup" = - ]; then
        say "$rc now loads cmdai"
    else
        say "$rc now loads cmdai (the old file is in $backup)"
    fi
}

# Take our block out of `rc` exactly: the file is byte for byte what it was before.
remove_from_rc() {
    rc=$1 created=$2 newline=$3 backup=$4
    [ -f "$rc" ] || return 0
    if [ "$DRY_RUN" = 1 ]; then
        say "would remove the cmdai block from $rc"
        return
    fi
    "$PYTHON" - "$rc" "$newline" "$BEGIN_MARK" "$END_MARK" <<'EOF'
import sys
path, added_newline, begin, end = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4]
with open(path, "rb") as handle:
    data = handle.read()
start = data.find(begin.encode() + b"\n")
stop = data.find(end.encode() + b"\n", start)
if start >= 0 and stop >= 0:
    if added_newline and start > 0 and data[start - 1 : start] == b"\n":
        start -= 1
    data = data[:start] + data[stop + len(end) + 1 :]
    with open(path, "wb") as handle:
        handle.write(data)
EOF
    if [ "$created" = 1 ] && [ ! -s "$rc" ]; then
        rm -f "$rc"
    fi
    if [ "$backup" != - ] && [ -f "$backup" ] && cmp -s "$rc" "$backup"; then
        rm -f "$backup"  # the file is as it was: the copy says nothing more
    elif [ "$backup" != - ] && [ -f "$backup" ]; then
        say "kept $backup (your $rc changed since cmdai was installed)"
    fi
    say "removed cmdai from $rc"
}

record() {
    [ "$DRY_RUN" = 0 ] || return 0
    mkdir -p "$DATA_DIR"
    printf '%s\n' "$1" >>"$STATE"
}

# --- the two jobs ---------------------------------------------------------------------------

do_install() {
    detect_platform
    find_python
    choose_method
    if [ -f "$STATE" ] && ! grep -qx "method=$METHOD" "$STATE"; then
        die "cmdai was installed with another method; run \`sh install.sh --uninstall\` first"
    fi
    [ -f "$STATE" ] || record "method=$METHOD"
    install_package
    if [ "$DRY_RUN" = 0 ]; then
        version=$("$EXE" --version) || die "the installed cmdai does not run: $EXE --version failed"
        say "installed $version at $EXE"
    fi
    shells=${SHELLS:-$(basename "${SHELL:-sh}")}
    for shell in $(printf '%s' "$shells" | tr ',' ' '); do
        case $shell in
            zsh|bash|fish) add_to_rc "$shell" ;;
            pwsh|powershell) say "for PowerShell, run install.ps1" ;;
            *) warn "cannot set up $shell (cmdai has widgets for zsh, bash and fish): use \`cmdai \"request\"\`" ;;
        esac
    done
    warn_about_path
    restart_helper
    if [ "$WITH_MODEL" = 1 ]; then
        run "$EXE" model pull
    fi
    [ "$DRY_RUN" = 1 ] || say "done: open a new terminal, type a request and press Ctrl-G"
}

do_uninstall() {
    [ -f "$STATE" ] || die "nothing to uninstall: $STATE does not exist (was cmdai installed by this script?)"
    detect_platform
    find_python
    method=$(sed -n 's/^method=//p' "$STATE" | head -n 1)
    if [ -x "$LINK" ]; then
        "$LINK" daemon stop >/dev/null 2>&1 || true
    fi
    # Start-up files first (newest first, the order they were changed in reverse).
    sed -n 's/^rc=//p' "$STATE" | sed '1!G;h;$!d' | while IFS='|' read -r rc created newline backup; do
        remove_from_rc "$rc" "${created#created=}" "${newline#newline=}" "${backup#backup=}"
    done
    case $method in
        uv) run uv tool uninstall cmdai ;;
        pipx) run pipx uninstall cmdai ;;
        venv)
            if [ -L "$LINK" ] && [ "$(readlink "$LINK")" = "$VENV/bin/cmdai" ]; then
                run rm -f "$LINK"
            fi
            run rm -rf "$VENV"
            ;;
    esac
    run rm -f "$STATE"
    [ "$DRY_RUN" = 1 ] || rmdir "$DATA_DIR" 2>/dev/null || true
    say "cmdai is uninstalled. Your settings (${XDG_CONFIG_HOME:-~/.config}/cmdai) and downloaded models (${XDG_CACHE_HOME:-~/.cache}/cmdai) are kept: delete them if you want them gone."
}

if [ "$UNINSTALL" = 1 ]; then
    do_uninstall
else
    do_install
fi
