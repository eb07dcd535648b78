# cmdai for bash >= 4: press Ctrl-G (or $CMDAI_KEY, readline syntax) to turn the English on
# your line into a command, Alt-G (or $CMDAI_EXPLAIN_KEY) to see what the command on your line
# does. Printed by `cmdai init bash`; load it with: eval "$(cmdai init bash)"
# Every decision is made by `cmdai hook`; this adapter passes the line in, applies the new line
# only when the hook exits 0 (or 9: high risk, then Enter must be pressed twice), and shows the
# hook's one-line message above the prompt, where the next message replaces it.

_cmdai_confirm='' _cmdai_confirm_msg='' _cmdai_said='' _cmdai_last_status=0 _cmdai_histcmd=''

_cmdai_generate() {
  local out rc=0 int_trap errfile msg
  _cmdai_disarm
  errfile=$(command mktemp "${TMPDIR:-/tmp}/cmdai.XXXXXX") || return 0
  _cmdai_unsay
  int_trap=$(trap -p INT)
  trap : INT  # Ctrl-C stops the hook (it exits 130) but must not discard the line
  local last=''
  if [[ -z ${READLINE_LINE//[[:space:]]/} && $_cmdai_last_status != 0 ]]; then
    last=$(HISTTIMEFORMAT='' history 1)  # "  42  the command" (42* when edited)
    last=${last#"${last%%[![:space:]]*}"} && last=${last#"${last%%[![:digit:]]*}"}
    last=${last#\*} && last=${last#"${last%%[![:space:]]*}"}
  fi
  out=$(CMDAI_BUFFER=$READLINE_LINE CMDAI_CURSOR=$READLINE_POINT CMDAI_STATUS=tty CMDAI_LAST_COMMAND=$last CMDAI_LAST_STATUS=$_cmdai_last_status __CMDAI_EXE__ hook --shell bash </dev/null 2>"$errfile") || rc=$?
  eval "${int_trap:-trap - INT}"
  msg=$(<"$errfile")
  command rm -f -- "$errfile"
  if [[ $rc -eq 0 || $rc -eq 9 ]]; then
    READLINE_LINE=$out
    READLINE_POINT=2147483647  # bash puts it at the end of the line (an offset in bytes)
    [[ $rc -eq 9 ]] && _cmdai_arm "$msg"
  fi
  _cmdai_say "$msg"
  return 0
}

# The exit status of the last command, for the key on an empty line (a fix for what failed;
# its text is read from the history then). Run first in PROMPT_COMMAND, with no process
# started, it hands $? on unchanged to what the user's PROMPT_COMMAND runs after it. A command
# that did not enter the history (an empty line, `ignorespace`) leaves the record as it was.
_cmdai_precmd() {
  local last=$?
  if [[ $HISTCMD != "$_cmdai_histcmd" ]]; then
    _cmdai_last_status=$last _cmdai_histcmd=$HISTCMD
  fi
  return $last
}
if [[ $- == *i* && ";${PROMPT_COMMAND[*]:-};" != *";_cmdai_precmd;"* ]]; then
  PROMPT_COMMAND="_cmdai_precmd${PROMPT_COMMAND:+;$PROMPT_COMMAND}"
fi

# Alt-G: what the command on the line does, shown above the prompt; the line is never changed.
_cmdai_explain() {
  local int_trap errfile msg
  errfile=$(command mktemp "${TMPDIR:-/tmp}/cmdai.XXXXXX") || return 0
  _cmdai_unsay
  int_trap=$(trap -p INT)
  trap : INT
  CMDAI_BUFFER=$READLINE_LINE CMDAI_STATUS=tty __CMDAI_EXE__ hook --shell bash --explain </dev/null >/dev/null 2>"$errfile"
  eval "${int_trap:-trap - INT}"
  msg=$(<"$errfile")
  command rm -f -- "$errfile"
  _cmdai_say "$msg"
  return 0
}

# Messages: bash has cleared the prompt's line when a widget runs and redraws it below what
# the widget prints. The next message replaces this one while it is still right above the
# line: same command number, same line.
_cmdai_say() {
  [[ -n $1 ]] || return 0
  local line rows=0
  printf '%s\n' "$1" >&2
  while IFS= read -r line; do  # the rows each line of the message takes on the screen
    rows=$(( rows + (${#line} > 0 ? (${#line} - 1) / ${COLUMNS:-80} + 1 : 1) ))
  done <<<"$1"
  _cmdai_here
  _cmdai_said="$rows $REPLY"
}

_cmdai_unsay() {
  _cmdai_here
  [[ -n $_cmdai_said && ${_cmdai_said#* } == "$REPLY" ]] &&
    printf '\e[%dA\r\e[J' "${_cmdai_said%% *}" >&2
  _cmdai_said=''
}

_cmdai_here() {
  # shellcheck disable=SC2034 # read by the eval below
  local number='\#'
  REPLY=":$READLINE_LINE"
  # The command number (prompt escape \#, expanded by ${x@P}) needs bash 4.4; eval keeps older
  # bash from meeting the syntax at all. Without it, only the line tells.
  if ((BASH_VERSINFO[0] * 100 + BASH_VERSINFO[1] >= 404)); then
    eval 'REPLY="${number@P}:$READLINE_LINE"'
  fi
}

# A high-risk suggestion runs only on a second Enter: while it is on the line, Enter runs
# _cmdai_enter first, which lets accept-line through unless the line is still that suggestion.
_cmdai_arm() {
  local map
  _cmdai_confirm=$READLINE_LINE _cmdai_confirm_msg=$1
  for map in emacs vi-insert vi-command; do
    bind -m "$map" -x '"\C-x\C-_1": _cmdai_enter'
    bind -m "$map" '"\C-x\C-_2": accept-line'
    bind -m "$map" '"\C-m": "\C-x\C-_1\C-x\C-_2"'
    bind -m "$map" '"\C-j": "\C-x\C-_1\C-x\C-_2"'
  done
}

_cmdai_enter() {
  local map msg=$_cmdai_confirm_msg
  if [[ -n $_cmdai_confirm && $READLINE_LINE == "$_cmdai_confirm" ]]; then
    for map in emacs vi-insert vi-command; do bind -m "$map" '"\C-x\C-_2": ""'; done
    _cmdai_unsay
    _cmdai_say "$msg"
  fi
  _cmdai_disarm
}

_cmdai_disarm() {
  local map
  [[ -n $_cmdai_confirm ]] || return 0
  _cmdai_confirm='' _cmdai_confirm_msg=''
  for map in emacs vi-insert vi-command; do
    bind -m "$map" '"\C-m": accept-line'
    bind -m "$map" '"\C-j": accept-line'
  done
}

_cmdai_bind() {
  local map key=${CMDAI_KEY:-'\C-g'} explain_key=${CMDAI_EXPLAIN_KEY:-'\eg'}
  for map in emacs vi-insert vi-command; do
    _cmdai_bind_key "$map" "$key" _cmdai_generate
    _cmdai_bind_key "$map" "$explain_key" _cmdai_explain
  done
}

# Keep the key if the user bound it to a command or function of their own.
_cmdai_bind_key() {
  local map=$1 key=$2 widget=$3 line
  while IFS= read -r line; do
    case $line in
      # readline's defaults: Ctrl-G aborts, Alt-G completes a glob
      "\"$key\": \"$widget\""|"\"$key\": abort"|"\"$key\": self-insert") ;;
      "\"$key\": glob-complete-word") ;;
      "\"$key\": "*) return 0 ;;
    esac
  done < <(bind -m "$map" -X 2>/dev/null; bind -m "$map" -p 2>/dev/null)
  bind -m "$map" -x "\"$key\": $widget"
}
[[ $- == *i* ]] && _cmdai_bind
unset -f _cmdai_bind _cmdai_bind_key

# Start the helper now, in the background and detached (a subshell's child: no job, no
# message, not killed when this shell exits), so the first Ctrl-G finds the model loaded.
# It does nothing when a helper runs, the model is not downloaded, or `prestart = false`.
if [[ $- == *i* ]]; then
  ( __CMDAI_EXE__ helper prestart </dev/null >/dev/null 2>&1 & )
fi
