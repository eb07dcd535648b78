# cmdai for zsh: press Ctrl-G (or $CMDAI_KEY) to turn the English on your line into a command,
# Alt-G (or $CMDAI_EXPLAIN_KEY) to see what the command on your line does.
# Printed by `cmdai init zsh`; load it with: eval "$(cmdai init zsh)"
# Every decision is made by `cmdai hook`; this adapter passes the line in, applies the new
# line only when the hook exits 0 (or 9: high risk, then Enter must be pressed twice), and
# shows the hook's one-line message under the prompt.

typeset -g _cmdai_confirm='' _cmdai_confirm_msg='' _cmdai_last_cmd='' _cmdai_last_status=0 _cmdai_ran=0

_cmdai_generate() {
  emulate -L zsh  # also makes the trap below local to this function
  trap : INT      # Ctrl-C stops the hook (it exits 130) but must not discard the line
  local out rc msg errfile line=$BUFFER cursor=$CURSOR
  _cmdai_disarm
  errfile=$(command mktemp "${TMPDIR:-/tmp}/cmdai.XXXXXX") || return 0
  CURSOR=$#BUFFER  # the hook draws its waiting line under the line's last row
  zle -R "⌛ cmdai: thinking… (Ctrl-C cancels)"
  out=$(CMDAI_BUFFER=$line CMDAI_CURSOR=$cursor CMDAI_STATUS=tty CMDAI_LAST_COMMAND=$_cmdai_last_cmd CMDAI_LAST_STATUS=$_cmdai_last_status __CMDAI_EXE__ hook --shell zsh </dev/null 2>$errfile)
  rc=$?
  msg=$(<$errfile)
  command rm -f -- $errfile
  if (( rc == 0 || rc == 9 )); then
    BUFFER=$out
    CURSOR=$#BUFFER
    (( rc == 9 )) && _cmdai_arm "$msg"
  else
    CURSOR=$cursor
  fi
  zle -M -- "${msg:-}"
  return 0
}

# Alt-G: what the command on the line does, shown under it; the line is never changed.
_cmdai_explain() {
  emulate -L zsh
  trap : INT
  local msg errfile
  errfile=$(command mktemp "${TMPDIR:-/tmp}/cmdai.XXXXXX") || return 0
  # zle's own status line, not the hook's (CMDAI_STATUS): with a message of several lines
  # after it, zle would not redraw the prompt the hook's line had moved.
  zle -R "⌛ cmdai: explaining… (Ctrl-C cancels)"
  CMDAI_BUFFER=$BUFFER __CMDAI_EXE__ hook --shell zsh --explain </dev/null >/dev/null 2>$errfile
  msg=$(<$errfile)
  command rm -f -- $errfile
  zle -M -- "${msg:-}"
  return 0
}

# The last command and its exit status, for the key on an empty line (a fix for what failed):
# kept by two hook functions beside the user's own, no process started, $? left as it was.
_cmdai_preexec() { _cmdai_last_cmd=$1 _cmdai_ran=1 }
_cmdai_precmd() {
  local last=$?
  (( _cmdai_ran )) && _cmdai_last_status=$last
  _cmdai_ran=0
  return $last
}
autoload -Uz add-zsh-hook
add-zsh-hook preexec _cmdai_preexec
add-zsh-hook precmd _cmdai_precmd

# A high-risk suggestion runs only on a second Enter: until then accept-line first checks
# whether the line is still that suggestion, unchanged. An edited line runs on one Enter.
_cmdai_arm() {
  _cmdai_confirm=$BUFFER _cmdai_confirm_msg=$1
  zle -A accept-line _cmdai_user_accept_line
  zle -N accept-line _cmdai_accept_line
}

_cmdai_disarm() {
  [[ -n $_cmdai_confirm ]] || return 0
  _cmdai_confirm='' _cmdai_confirm_msg=''
  zle -A _cmdai_user_accept_line accept-line
  zle -D _cmdai_user_accept_line
}

_cmdai_accept_line() {
  local msg=$_cmdai_confirm_msg first=0
  [[ $BUFFER == "$_cmdai_confirm" ]] && first=1
  _cmdai_disarm
  if (( first )); then
    zle -M -- "$msg"
  else
    zle accept-line
  fi
}

_cmdai_bind() {
  emulate -L zsh
  local key=${CMDAI_KEY:-'^G'} explain_key=${CMDAI_EXPLAIN_KEY:-'^[g'} map current
  zle -N cmdai-generate _cmdai_generate
  zle -N cmdai-explain _cmdai_explain
  for map in emacs viins vicmd; do
    # Take a key only from zsh's defaults: a widget of the user's own keeps its key.
    current=$(bindkey -M $map -- $key 2>/dev/null)
    case ${current##* } in
      (cmdai-generate|send-break|list-expand|undefined-key|'') bindkey -M $map -- $key cmdai-generate ;;
    esac
    current=$(bindkey -M $map -- $explain_key 2>/dev/null)
    case ${current##* } in
      (cmdai-explain|get-line|undefined-key|'') bindkey -M $map -- $explain_key cmdai-explain ;;
    esac
  done
}
_cmdai_bind
unfunction _cmdai_bind

# Start the helper now, in the background and detached (a subshell's child: no job, no
# message, not killed when this shell exits), so the first Ctrl-G finds the model loaded.
# It does nothing when a helper runs, the model is not downloaded, or `prestart = false`.
if [[ -o interactive ]]; then
  ( __CMDAI_EXE__ helper prestart </dev/null >/dev/null 2>&1 & )
fi
