# cmdai for zsh: press Ctrl-G (or $CMDAI_KEY) to turn the English on your line into a command.
# Printed by `cmdai init zsh`; load it with: eval "$(cmdai init zsh)"
# Every decision is made by `cmdai hook`; this adapter passes the line in, applies the new
# line only when the hook exits 0, and shows the hook's one-line message under the prompt.

_cmdai_generate() {
  emulate -L zsh  # also makes the trap below local to this function
  trap : INT      # Ctrl-C stops the hook (it exits 130) but must not discard the line
  local out rc msg errfile
  errfile=$(command mktemp "${TMPDIR:-/tmp}/cmdai.XXXXXX") || return 0
  zle -R "⌛ cmdai: thinking… (Ctrl-C cancels)"
  out=$(CMDAI_BUFFER=$BUFFER CMDAI_CURSOR=$CURSOR __CMDAI_EXE__ hook --shell zsh </dev/null 2>$errfile)
  rc=$?
  msg=$(<$errfile)
  command rm -f -- $errfile
  if (( rc == 0 )); then
    BUFFER=$out
    CURSOR=${#BUFFER}
  fi
  zle -M -- "${msg:-}"
  return 0
}

_cmdai_bind() {
  emulate -L zsh
  local key=${CMDAI_KEY:-'^G'} map current
  zle -N cmdai-generate _cmdai_generate
  for map in emacs viins vicmd; do
    current=$(bindkey -M $map -- $key 2>/dev/null)
    current=${current##* }
    # Take the key only from zsh's defaults: a widget of the user's own keeps its key.
    case $current in
      (cmdai-generate|send-break|list-expand|undefined-key|'') bindkey -M $map -- $key cmdai-generate ;;
    esac
  done
}
_cmdai_bind
unfunction _cmdai_bind
