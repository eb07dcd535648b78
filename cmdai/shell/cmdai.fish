# cmdai for fish: press Ctrl-G (or $CMDAI_KEY, fish bind syntax) to turn the English on your
# line into a command. Printed by `cmdai init fish`; load it with: cmdai init fish | source
# Every decision is made by `cmdai hook`; this adapter passes the line in and applies the new
# line only when the hook exits 0. The hook's one-line message appears above the prompt.

function _cmdai_generate --description 'cmdai: turn the English on the line into a command'
    set -l line (commandline | string collect)
    # Ctrl-C stops the hook (it exits 130); this handler keeps fish from cancelling the repaint.
    function _cmdai_on_int --on-signal INT
    end
    set -l out (CMDAI_BUFFER=$line CMDAI_CURSOR=(commandline -C) __CMDAI_EXE__ hook --shell fish </dev/null | string collect)
    set -l rc $pipestatus[1]
    functions -e _cmdai_on_int
    if test $rc -eq 0
        commandline -r -- $out
        commandline -C (string length -- $out)
    end
    commandline -f force-repaint
end

function _cmdai_bind
    set -l key \cg
    set -q CMDAI_KEY; and set key (string unescape -- $CMDAI_KEY) # `\cx\cg` or the keys themselves
    for mode in default insert
        # Keep the key if the user bound it to something of their own.
        set -l current (bind -M $mode $key 2>/dev/null | string split -r -m1 ' ')[-1]
        if test -z "$current"; or test "$current" = _cmdai_generate; or test "$current" = cancel
            bind -M $mode $key _cmdai_generate
        end
    end
end
_cmdai_bind
functions -e _cmdai_bind
