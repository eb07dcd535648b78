# cmdai for fish: press Ctrl-G (or $CMDAI_KEY, fish bind syntax) to turn the English on your
# line into a command, Alt-G (or $CMDAI_EXPLAIN_KEY) to see what the command on your line does.
# Printed by `cmdai init fish`; load it with: cmdai init fish | source
# Every decision is made by `cmdai hook`; this adapter passes the line in, applies the new line
# only when the hook exits 0 (or 9: high risk, then Enter must be pressed twice), and shows the
# hook's one-line message under the line, where fish clears it when the line runs.

function _cmdai_generate --description 'cmdai: turn the English on the line into a command'
    set -l line (commandline | string collect)
    _cmdai_disarm
    set -l errfile (command mktemp); or return 0
    # Ctrl-C stops the hook (it exits 130); this handler keeps fish from cancelling the repaint.
    function _cmdai_on_int --on-signal INT
    end
    set -q _cmdai_last_status; or set -g _cmdai_last_status 0
    set -q _cmdai_last_cmd; or set -g _cmdai_last_cmd ''
    set -l out (CMDAI_BUFFER=$line CMDAI_CURSOR=(commandline -C) CMDAI_STATUS=tty CMDAI_LAST_COMMAND=$_cmdai_last_cmd CMDAI_LAST_STATUS=$_cmdai_last_status __CMDAI_EXE__ hook --shell fish </dev/null 2>$errfile | string collect)
    set -l rc $pipestatus[1]
    functions -e _cmdai_on_int
    set -l msg (string collect <$errfile)
    command rm -f -- $errfile
    if test $rc -eq 0; or test $rc -eq 9
        commandline -r -- "$out"
        commandline -C (string length -- "$out")
        test $rc -eq 9; and _cmdai_arm $msg
    end
    _cmdai_say $msg
    commandline -f force-repaint
end

# The last command and its exit status, for the key on an empty line (a fix for what failed):
# an event handler beside the user's own, no process started; fish keeps $status as it was.
function _cmdai_postexec --on-event fish_postexec
    set -g _cmdai_last_status $status
    set -g _cmdai_last_cmd $argv[1]
end

function _cmdai_explain --description 'cmdai: say what the command on the line does'
    set -l errfile (command mktemp); or return 0
    function _cmdai_on_int --on-signal INT
    end
    CMDAI_BUFFER=(commandline | string collect) CMDAI_STATUS=tty __CMDAI_EXE__ hook --shell fish --explain </dev/null >/dev/null 2>$errfile
    functions -e _cmdai_on_int
    set -l msg (string collect <$errfile)
    command rm -f -- $errfile
    _cmdai_say $msg
    commandline -f force-repaint
end

function _cmdai_say --description 'cmdai: show a message under the line'
    test -n "$argv[1]"; or return 0
    set -l rows 0
    for line in (string split \n -- $argv[1]) # the rows each line takes on the screen
        set rows (math --scale 0 "$rows + max(1, ceil($(string length -- $line) / $COLUMNS))")
    end
    printf '\n\e[J%s\e[%dA\r' (string replace -a \n \r\n -- $argv[1] | string collect) $rows >/dev/tty
    set -g _cmdai_said
end

# fish does not know about the message, so a command's output would be written over it:
# when the line runs, clear from the row under it (where the output starts) to the end.
function _cmdai_unsay --on-event fish_preexec
    set -q _cmdai_said; or return 0
    set -e _cmdai_said
    printf '\e[J' >/dev/tty
end

# A high-risk suggestion runs only on a second Enter: while it is on the line, Enter runs
# _cmdai_enter, which executes the line unless it is still that suggestion, unchanged.
function _cmdai_arm
    set -g _cmdai_confirm (commandline | string collect)
    set -g _cmdai_confirm_msg $argv[1]
    for mode in default insert
        bind -M $mode \r _cmdai_enter
        bind -M $mode \n _cmdai_enter
    end
end

function _cmdai_enter
    set -l first (test "$(commandline | string collect)" = "$_cmdai_confirm"; and echo yes)
    set -l msg $_cmdai_confirm_msg
    _cmdai_disarm
    if test -n "$first"
        _cmdai_say $msg
        commandline -f force-repaint
    else
        commandline -f execute
    end
end

function _cmdai_disarm
    set -q _cmdai_confirm; or return 0
    set -e _cmdai_confirm _cmdai_confirm_msg
    for mode in default insert
        bind -M $mode -e \r
        bind -M $mode -e \n
    end
end

function _cmdai_bind
    set -l key \cg
    set -q CMDAI_KEY; and set key (string unescape -- $CMDAI_KEY) # `\cx\cg` or the keys themselves
    set -l explain_key \eg
    set -q CMDAI_EXPLAIN_KEY; and set explain_key (string unescape -- $CMDAI_EXPLAIN_KEY)
    for mode in default insert
        _cmdai_bind_key $mode $key _cmdai_generate
        _cmdai_bind_key $mode $explain_key _cmdai_explain
    end
end

# Keep the key if the user bound it to something of their own.
function _cmdai_bind_key
    set -l current (bind -M $argv[1] $argv[2] 2>/dev/null | string split -r -m1 ' ')[-1]
    if test -z "$current"; or test "$current" = $argv[3]; or test "$current" = cancel
        bind -M $argv[1] $argv[2] $argv[3]
    end
end
_cmdai_bind
functions -e _cmdai_bind _cmdai_bind_key

# Start the helper now, in the background and detached (sh's child: no fish job, no message,
# not killed when this shell exits), so the first Ctrl-G finds the model loaded. It does
# nothing when a helper runs, the model is not downloaded, or `prestart = false`.
if status is-interactive
    /bin/sh -c '"$@" </dev/null >/dev/null 2>&1 &' sh __CMDAI_EXE__ helper prestart
end
