"""What a command line does, in words, from the documentation on this machine.

Each program gets the one-line summary of its man page, each option the first sentence of
its description there (explainshell's idea, without a server); pipes, `&&`, `||`, `;`, `&`
and redirections are put in words, wrappers (`sudo`, `xargs`, `timeout` …) and `find -exec`
name the command they run, and the safety check gives its verdict. Nothing comes from a model,
so nothing is invented: what the docs do not cover is said to be not covered.
"""

from __future__ import annotations

import shlex
import shutil
from dataclasses import dataclass, replace

from cmdai import manpage, option_check
from cmdai.commandline import (
    POSITIONAL_WRAPPER_ARGS,
    WRAPPERS,
    Step,
    program_name,
    steps,
    strip_leading,
    subcommand,
)
from cmdai.safety import Policy, classify

INDENT = "  "
# What the separator after a command does to the next one.
JOINS = {
    "|": "│ its output is the input of:",
    "|&": "│ its output and errors are the input of:",
    "&&": "then, only if that succeeded:",
    "||": "then, only if that failed:",
    ";": "then:",
    "\n": "then:",
    "&": "(runs in the background) and at the same time:",
}
# What a wrapper does with the command after it; its page gives its summary and options.
WRAPPER_ROLES = {
    "sudo": "runs the command below as root (or the user given with -u)",
    "doas": "runs the command below as root (or the user given with -u)",
    "xargs": "runs the command below with the words it reads from its input as arguments",
    "env": "runs the command below with the environment changed",
    "nice": "runs the command below at a lower priority",
    "ionice": "runs the command below with another I/O priority",
    "nohup": "runs the command below immune to hangups (it keeps running after logout)",
    "time": "runs the command below and reports how long it took",
    "timeout": "runs the command below and stops it after the given time",
    "watch": "runs the command below again and again, showing its output full-screen",
    "exec": "replaces the shell with the command below",
    "command": "runs the command below, ignoring shell functions and aliases of that name",
    "stdbuf": "runs the command below with other buffering of its output",
    "strace": "runs the command below and traces its system calls",
    "flock": "runs the command below while holding a lock on the file given",
    "chroot": "runs the command below with another directory as its root",
    "setsid": "runs the command below in a new session",
}
# Shell builtins have no page of their own in section 1 on most systems.
BUILTINS = {
    "cd": "changes the current directory",
    "export": "sets environment variables for this shell and the commands it runs",
    "source": "runs a file's commands in this shell",
    ".": "runs a file's commands in this shell",
    "alias": "defines or lists aliases",
    "unset": "removes variables or functions",
    "set": "sets shell options or variables",
    "read": "reads a line of input into variables",
    "exit": "leaves the shell",
    "history": "shows the command history",
    "type": "says what a name would run",
    "jobs": "lists this shell's background jobs",
    "fg": "brings a background job to the foreground",
    "bg": "resumes a stopped job in the background",
    "pushd": "changes directory, remembering the current one",
    "popd": "returns to the directory pushd remembered",
    "umask": "sets or shows the mask for new files' permissions",
    "ulimit": "sets or shows resource limits",
    "wait": "waits for background jobs to finish",
    "trap": "runs a command when the shell receives a signal",
    "eval": "runs its arguments as a command line",
}
# Signals by name and number (Linux x86 and ARM numbering), with what they do to a process.
SIGNALS = {
    "HUP": (1, "hang up; many services reload their configuration on it"),
    "INT": (2, "interrupt, as Ctrl-C does"),
    "QUIT": (3, "quit, leaving a core dump"),
    "KILL": (9, "ends the process at once; it cannot clean up or refuse"),
    "USR1": (10, "a signal the program defines"),
    "USR2": (12, "a signal the program defines"),
    "TERM": (15, "asks the process to end; it may clean up first"),
    "CONT": (18, "resumes a stopped process"),
    "STOP": (19, "stops (pauses) the process; it cannot refuse"),
    "TSTP": (20, "stops the process, as Ctrl-Z does"),
}
# The options that take the signal as their value (pkill's -s is a session, its -n "newest").
SIGNAL_OPTIONS = {"kill": {"-s", "-n", "--signal"}, "pkill": {"--signal"},
                  "killall": {"-s", "--signal"}}  # fmt: skip
OTHER_SIGNALS = {
    "ILL", "TRAP", "ABRT", "BUS", "FPE", "SEGV", "PIPE", "ALRM", "STKFLT", "CHLD", "TTIN",
    "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "POLL", "PWR", "SYS", "IOT",
}  # fmt: skip
BSD_STYLE = {"ps"}  # programs that take options as letters without a dash (`ps aux`)
_NO_SIGNAL = {"-l", "-L", "--list", "--table", "-V", "--version"}  # kill only lists


@dataclass(frozen=True)
class Explanation:
    command: str
    lines: tuple[str, ...]  # what the command does, indented by depth
    risk: str  # "safe", "moderate", "high", "critical"
    reason: str  # the safety check's
    undocumented: tuple[str, ...]  # programs with no documentation on this machine

    def render(self, offer_model: bool = True) -> str:
        """The explanation as shown; where the docs have nothing, how to ask the model."""
        lines = [*self.lines, f"risk: {self.risk} ({self.reason})"]
        if offer_model and self.undocumented:
            names = ", ".join(self.undocumented)
            lines.append(f"no documentation here for {names}: `cmdai explain --model-explain` "
                         "asks the model")  # fmt: skip
        return "\n".join(lines)


def explain(
    line: str, shell: str = "bash", policy: Policy | None = None, path: str | None = None
) -> Explanation:
    """What `line` does, one line per program, option, redirection and join. `path` is the
    user's PATH, for saying that a program is not installed (default: this process's)."""
    verdict = classify(line, shell, policy or Policy())
    if shell == "powershell":
        lines = ["PowerShell cmdlets have no man pages here: only the safety check explains it"]
        return Explanation(line, tuple(lines), verdict.level.label, verdict.reason, ())
    writer = _Writer(path)
    top, substitutions = steps(line)
    writer.steps(top, 0)
    for inner in substitutions:
        writer.add(0, f"$( {inner} ) runs first; its output becomes part of the line:")
        writer.steps(steps(inner)[0], 1)
    return Explanation(
        line, tuple(writer.lines), verdict.level.label, verdict.reason, tuple(writer.undocumented)
    )


class _Writer:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self.lines: list[str] = []
        self.undocumented: list[str] = []

    def add(self, depth: int, text: str) -> None:
        self.lines.append(INDENT * depth + text)

    def steps(self, found: list[Step], depth: int) -> None:
        for step in found:
            self.words(step.words, depth)
            for operator, target in step.redirects:
                self.add(depth + 1, f"{operator}{target}  {redirect_words(operator, target)}")
            if step.then in JOINS and step is not found[-1]:
                self.add(depth, JOINS[step.then])
            elif step.then == "&":
                self.add(depth, "(runs in the background)")

    def words(self, words: list[str], depth: int) -> None:
        """One command: its assignments, wrappers, program, subcommand and options."""
        stripped = strip_leading(words)
        for assignment in words[: len(words) - len(stripped)]:
            if "=" in assignment:
                name, _, value = assignment.partition("=")
                self.add(depth, f"{name}={value}  sets {name} for this command")
        if not stripped:
            return
        program, args = program_name(stripped[0]), stripped[1:]
        if program in WRAPPERS:
            rest = self.wrapper(program, args, depth)
            if rest:
                self.words(rest, depth + 1)
            return
        self.program(program, args, depth)

    def wrapper(self, program: str, args: list[str], depth: int) -> list[str]:
        """Explains the wrapper and its own options; returns the command it runs."""
        index = 0
        valued = WRAPPERS[program]
        while index < len(args) and args[index].startswith("-") and args[index] != "--":
            index += 2 if args[index] in valued else 1
        own, rest = args[:index], args[index:]
        if rest[:1] == ["--"]:
            rest = rest[1:]
        skip = POSITIONAL_WRAPPER_ARGS.get(program, 0)
        own, rest = own + rest[:skip], rest[skip:]
        role = WRAPPER_ROLES.get(program, "runs the command below")
        self.program(program, own, depth, role=role)
        return rest

    def program(self, program: str, args: list[str], depth: int, role: str = "") -> None:
        name, page_name, global_options = program, program, []
        sub, rest = self._subcommand_with_page(program, args)
        if sub:  # `git -C repo log -n 5`: -C from git(1), -n from git-log(1)
            global_options = args[: len(args) - len(rest) - 1]
            name, page_name, args = f"{program} {sub}", f"{program}-{sub}", rest
        page_name = option_check.OPTION_PAGES.get(page_name, page_name)
        page, doc = manpage.page_for(page_name), option_check.doc_for(page_name)
        if program in BUILTINS and page is None:
            self.add(depth, f"{name}: shell builtin: {BUILTINS[program]}")
            return
        summary = program_summary(program, page, self.path)
        self.add(depth, f"{name}: {summary}" + (f"; {role}" if role else ""))
        if page is None or doc is None:
            if page is None:
                self.undocumented.append(name)
            return
        self.global_options(program, global_options, depth + 1)
        said: set[str] = set()
        for letter in _bsd_letters(program, args, page):
            self.add(depth + 1, f"{letter}  {page.letters[letter]}")
        if program in SIGNAL_OPTIONS and not _NO_SIGNAL & set(args):
            shown, line = signal_sent(program, args)
            self.add(depth + 1, line)
            said = {shown.split()[0].split("=")[0]} if shown else set()
        for option in option_check.read_options(name, args, _with_page_values(doc, page)):
            if option.name not in said:
                self.option(name, option, page, depth + 1)

    def global_options(self, program: str, args: list[str], depth: int) -> None:
        """The options written before the subcommand, from the program's own page."""
        page, doc = manpage.page_for(program), option_check.doc_for(program)
        if not args or page is None or doc is None:
            return
        for option in option_check.read_options(program, args, _with_page_values(doc, page)):
            self.option(program, option, page, depth)

    @staticmethod
    def _subcommand_with_page(program: str, args: list[str]) -> tuple[str, list[str]]:
        """`git reset` is explained from git-reset(1), when this machine has it: the
        subcommand and the words after it, or ("", args)."""
        if program not in option_check.SUBCOMMAND_PAGES:
            return "", args
        sub, rest = subcommand(program, args)
        if sub and manpage.page_for(f"{program}-{sub}") is not None:
            return sub, rest
        return "", args

    def option(
        self, name: str, option: option_check.Option, page: manpage.Page, depth: int
    ) -> None:
        shown = option.name if option.value is None else f"{option.name} {_quoted(option.value)}"
        if option.command:  # find -exec … ; and find -exec … {} +, each with its own entry
            inner, end = list(option.command), "+"
            if inner[-1] == "+":
                inner.pop()
            else:  # the `;` (however quoted) ended the step, or nothing ends it
                end = ";"
                if inner[-1] in (";", "\\;"):
                    inner.pop()
            meaning = page.options.get(f"{option.name} {end}") or page.options.get(option.name)
            self.add(depth, f"{option.name} … {end}  {meaning or 'runs a command'}")
            self.words(inner, depth + 1)
            return
        if not option.known:
            self.add(depth, f"{shown}  is not in the {name} manual on this machine: check it")
            return
        meaning = page.options.get(option.name) or _synonym(option.name, page)
        self.add(depth, f"{shown}  {meaning or '(in the manual, without a description)'}")


def _bsd_letters(program: str, args: list[str], page: manpage.Page) -> list[str]:
    """`ps aux`: options written without a dash, each a letter with its own entry."""
    word = args[0] if args and program in BSD_STYLE else ""
    return list(word) if word and set(word) <= page.letters.keys() else []


def signal_sent(program: str, args: list[str]) -> tuple[str, str]:
    """What kill, pkill or killall send, as (the words that say it, a line about it): `-9`,
    `-KILL`, `-SIGKILL`, `-s KILL`, `--signal=KILL`; TERM when no signal is given."""
    for index, word in enumerate(args):
        value = args[index + 1] if index + 1 < len(args) else ""
        if word.startswith("--signal="):
            shown, signal = word, word.partition("=")[2]
        elif word in SIGNAL_OPTIONS[program] and value:
            shown, signal = f"{word} {value}", value
        elif given := option_check.signal_given(word):
            shown, signal = word, given
        else:
            continue
        signal = signal.upper().removeprefix("SIG")
        if signal.isdigit():
            signal = next((n for n, (num, _) in SIGNALS.items() if str(num) == signal), signal)
        if signal in SIGNALS:
            number, effect = SIGNALS[signal]
            return shown, f"{shown}  sends signal {signal} ({number}): {effect}"
        if signal in OTHER_SIGNALS or signal.isdigit() or signal.startswith(("RTMIN", "RTMAX")):
            return shown, f"{shown}  sends signal {signal}"
    return "", f"(no signal given: sends TERM (15): {SIGNALS['TERM'][1]})"


def _with_page_values(doc: option_check.Doc, page: manpage.Page) -> option_check.Doc:
    """Which options take a value: as the page's own entry for the option shows it, where
    there is one (`git reset --soft HEAD~1`: `--soft` takes none), else as the check reads it
    (which may only be wrong, never reject an option: it must not cry wolf)."""
    described = {_doc_key(o) for o in page.options}
    valued = {_doc_key(o) for o in page.valued}
    # A word the page only shows in an example (ps's `-eo`) is read as the letters it is.
    words = {w for w in doc.words if w in page.options or not set(w[1:]) <= doc.shorts}
    return replace(doc, valued=frozenset((doc.valued - described) | valued), words=words)


def _doc_key(option: str) -> str:
    """option_check.Doc writes a short option as its letter: "-n" -> "n"."""
    return option[1] if len(option) == 2 and option[1] != "-" else option


def _synonym(name: str, page: manpage.Page) -> str:
    """`--no-color` where the page describes `--color`; `--human` where it describes
    `--human-readable` (GNU getopt takes an unambiguous abbreviation)."""
    if name.startswith("--no-"):
        return page.options.get("--" + name[5:], "")
    matches = [o for o in page.options if o.startswith(name)] if name.startswith("--") else []
    return page.options[matches[0]] if len(matches) == 1 else ""


def _quoted(value: str) -> str:
    return shlex.quote(value) if value else "''"


def program_summary(program: str, page: manpage.Page | None, path: str | None = None) -> str:
    if page is not None:
        return page.summary or "(its manual has no summary line)"
    if shutil.which(program, path=path) is None:
        return "not installed here, and no documentation on this machine"
    return "no documentation on this machine"


def redirect_words(operator: str, target: str) -> str:
    """`2>/dev/null` -> "error messages are thrown away"."""
    if operator == "2>&1":
        return "error messages go where the output goes"
    if operator in (">&2", "1>&2"):
        return "the output goes to the error stream"
    if operator.startswith("&"):
        what = "the output and error messages are"
    else:
        what = "error messages are" if operator.startswith("2") else "the output is"
    if target == "/dev/null" and ">" in operator:
        return f"{what} thrown away"
    if operator.endswith(">>"):
        return f"{what} appended to {target}"
    if operator.endswith((">", ">|")):
        return f"{what} written to {target}, replacing what it held"
    if operator in ("<", "0<"):
        return f"reads its input from {target}"
    if operator == "<<<":
        return "reads this text as its input"
    if operator == "<<":
        return f"reads the lines that follow, up to {target}, as its input"
    return "a redirection"
