# cmdai for bash >= 4: press Ctrl-G (or $CMDAI_KEY, readline syntax) to turn the English on
# your line into a command. Printed by `cmdai init bash`; load it with: eval "$(cmdai init bash)"
# Every decision is made by `cmdai hook`; this adapter passes the line in and applies the new
# line only when the hook exits 0. The hook's one-line message appears above the prompt.

_cmdai_generate() {
  local out rc=0 int_trap
  int_trap=$(trap -p INT)
  trap : INT  # Ctrl-C stops the hook (it exits 130) but must not discard the line
  out=$(CMDAI_BUFFER=$READLINE_LINE CMDAI_CURSOR=$READLINE_POINT __CMDAI_EXE__ hook --shell bash </dev/null) || rc=$?
  eval "${int_trap:-trap - INT}"
  if [[ $rc -eq 0 ]]; then
    READLINE_LINE=$out
    READLINE_POINT=2147483647  # bash puts it at the end of the line (an offset in bytes)
  fi
  return 0
}

_cmdai_bind() {
  local key=${CMDAI_KEY:-'\C-g'} map line taken
  for map in emacs vi-insert; do
    taken=
    # Keep the key if the user bound it to a command or function of their own.
    while IFS= read -r line; do
      case $line in
        "\"$key\": \"_cmdai_generate\""|"\"$key\": abort"|"\"$key\": self-insert") ;;
        "\"$key\": "*) taken=1 ;;
      esac
    done < <(bind -m "$map" -X 2>/dev/null; bind -m "$map" -p 2>/dev/null)
    if [[ -z $taken ]]; then
      bind -m "$map" -x "\"$key\": _cmdai_generate"
    fi
  done
}
[[ $- == *i* ]] && _cmdai_bind
unset -f _cmdai_bind
