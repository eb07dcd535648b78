"""Split a command line into the simple commands it runs, the way a shell would see them.

Quoting is honoured (so `grep -r "rm -rf" .` runs grep, not rm), and every simple command is
found: those joined by `;`, `&&`, `||`, `|` and `&`, those inside subshells, `$( )`, backticks
and process substitutions, those run by `sh -c`/`eval`, `find -exec` and `xargs`, and those
behind wrappers (`sudo`, `env`, `nice`, `command`, `\\rm`, `/bin/rm`, ...).
"""

from __future__ import annotations

import itertools
import re
import shlex
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "{", "}", "\n", ";;", "|&"}
REDIRECTS = {">", ">>", ">|", "&>", "&>>", "<", "<<", "<<<", "<>"}
SUBST = "__cmdai_subst__"  # where a lifted $( ) stood
COMPUTED = "__cmdai_computed__"  # the program of a command whose name is a variable or $( )
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "pwsh", "powershell"}

# Wrappers: program -> options of the wrapper that take a value (skipped with their value).
WRAPPERS: dict[str, set[str]] = {
    "sudo": {"-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "--user", "--group"},
    "doas": {"-u", "-C"},
    "env": {"-u", "-C", "-S", "--unset", "--chdir"},
    "nice": {"-n", "--adjustment"},
    "ionice": {"-c", "-n", "-p"},
    "nohup": set(),
    "time": {"-f", "-o"},
    "command": set(),
    "builtin": set(),
    "exec": {"-a"},
    "stdbuf": {"-i", "-o", "-e"},
    "timeout": {"-s", "-k", "--signal", "--kill-after"},
    "chroot": set(),
    "watch": {"-n", "-d"},
    "xargs": {"-I", "-i", "-n", "-P", "-L", "-d", "-E", "-s", "-a", "--max-args", "--delimiter"},
    # Multi-call binaries and launchers that run the program named next.
    "busybox": set(),
    "toybox": set(),
    "setsid": set(),
    "unbuffer": set(),
    "strace": {"-o", "-e", "-p", "-s", "-u", "-E", "-a"},
    "ltrace": {"-o", "-e", "-p", "-s", "-u"},
    "flock": {"-w", "-E", "--timeout", "--conflict-exit-code"},
    "parallel": {"-j", "--jobs", "-S", "--sshlogin"},
    "systemd-run": {"-p", "--property", "-u", "--unit", "--uid", "--gid"},
    "unshare": set(),
    "nsenter": {"-t", "--target"},
    "caffeinate": set(),
    "torsocks": set(),
    "proxychains": {"-f"},
    "proxychains4": {"-f"},
}
# `timeout 5 CMD`, `chroot DIR CMD`, `flock LOCKFILE CMD`
POSITIONAL_WRAPPER_ARGS = {"timeout": 1, "chroot": 1, "flock": 1}

# Reserved words that start a command list in bash, zsh and fish: what follows them is a
# command (`if rm …`, `then rm …`, `do rm …`, fish `and rm …`), so they are dropped from the
# front of a word list. `repeat N` (zsh) also takes a count. (`time` and `exec` are wrappers:
# they take options of their own.)
LEADING_KEYWORDS = {
    "if", "then", "elif", "else", "do", "while", "until", "coproc", "!",
    "and", "or", "not", "begin", "noglob", "nocorrect", "-", "repeat",
}  # fmt: skip
# Words that end a compound command, and headers whose words are not a command at all.
CLOSING_KEYWORDS = {"fi", "done", "esac", "end", "}"}
HEADER_KEYWORDS = {"for", "select", "case", "function", "foreach", "switch"}
# Compiled once: these run on every word of every command the classifier sees.
_REDIRECT_TOKEN = re.compile(r"\d?>{1,2}\|?&?|&>>?|\d?<&?")
_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=.*", re.S)
_EQUALS_NAME = re.compile(r"=[A-Za-z_][\w.-]*")
_VERB_NOUN = re.compile(r"[A-Za-z]+-[A-Za-z]+")


@dataclass
class Simple:
    """One simple command: the program (basename) and its words, plus redirection targets."""

    program: str
    args: list[str]
    redirects: list[tuple[str, str]] = field(default_factory=list)
    wrappers: list[str] = field(default_factory=list)
    pipe_from: Simple | None = None  # the command whose output this one reads
    word: str = ""  # the program as written (`./build.sh`, `\\rm`), for the PATH check


@dataclass
class Parsed:
    commands: list[Simple]
    parse_error: str | None = None  # set when the line could not be tokenised exactly


def parse(line: str, *, powershell: bool = False, fish: bool = False) -> Parsed:
    """Every simple command the line may run. A `#` starting a word begins a comment in bash
    and fish, but not in a zsh without interactive_comments (`ls # x; rm -rf ~` runs rm there,
    and `ls # it's` hides nothing from bash), so a line with a `#` is read both ways and the
    commands of both are kept; the parse error reported is the first reading's. In fish, \\'
    inside '…' is a quote that does not end it."""
    return _parse(line, powershell, fish, depth=0)


# How deep commands that run commands are read (`sh -c "eval 'find -exec …'"`): past it, the
# command run is taken as one whose program is known only when it runs. Real lines nest two or
# three deep; a line of a thousand `eval`s would exhaust Python's stack.
MAX_NESTING = 4


def _parse(line: str, powershell: bool, fish: bool, depth: int) -> Parsed:
    scanner = _Scanner(line, powershell, comments=True, fish=fish)
    texts = scanner.read()[0]
    commands: list[Simple] = []
    error = None
    for text in texts:  # the line, then each $( ) in it
        tokens, text_error = _words(text, powershell)
        commands += _split(_join_descriptors(tokens, text, keep=False), powershell, depth)
        error = error or text_error
    if scanner.commented:
        for text in _Scanner(line, powershell, comments=False, fish=fish).read()[0]:
            tokens = _join_descriptors(_words(text, powershell)[0], text, keep=False)
            commands += _split(tokens, powershell, depth)
    return Parsed(commands, error)


def _words(text: str, powershell: bool) -> tuple[list[str], str | None]:
    try:
        return _tokenize(text, powershell), None
    except ValueError as exc:  # unbalanced quotes: read it without quotes, say so
        unquoted = text.replace("'", " ").replace('"', " ")
        try:
            return _tokenize(unquoted, powershell), str(exc)
        except ValueError:  # a backslash at the very end
            return unquoted.split(), str(exc)


_LEXER_SPECIAL = frozenset(";&|()<>\\'\"`")
_LEXER_WHITESPACE = re.compile(r"[ \t\r\n]+")


def _tokenize(text: str, powershell: bool) -> list[str]:
    if _LEXER_SPECIAL.isdisjoint(text):  # no quote, escape or operator: plain words, split
        # where the lexer splits (its whitespace is these four), at a fraction of its cost
        return [word for word in _LEXER_WHITESPACE.split(text) if word]
    return _cut_operator_runs(_lexer(text, powershell))


def _cut_operator_runs(tokens: Iterable[str]) -> list[str]:
    cut: list[str] = []
    for token in tokens:
        cut += _operators(token) if _OPERATOR_RUN.fullmatch(token) else [token]
    return cut


# The lexer returns a run of operator characters as one token (`ls&&(rm -rf ~)` gives `&&(`,
# `(ls);rm` gives `);`): each is cut into the operators the shell reads, longest first.
_OPERATOR_RUN = re.compile(r"[;&|()<>]{2,}")
_OPERATOR_WORDS = {"()", "((", "))", ";&", ";;&", ">&", "<&", ">>&"}  # `((` `))`: arithmetic


def _operators(run: str) -> list[str]:
    found: list[str] = []
    while run:
        width = next(w for w in (3, 2, 1) if w == 1 or _is_operator(run[:w]))
        found.append(run[:width])
        run = run[width:]
    return found


def _is_operator(text: str) -> bool:
    return text in SEPARATORS or text in REDIRECTS or text in _OPERATOR_WORDS


def _lexer(text: str, powershell: bool) -> shlex.shlex:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lexer.whitespace_split = True
    lexer.commenters = ""  # _Scanner decides what a comment is; shlex ends a word at `a#b`
    if powershell:
        lexer.escape = "`"
    return lexer


# Stand-ins, in the text given to the lexer, for characters that are part of a word although
# the lexer would read them otherwise: an operator character quoted or escaped (find's
# `-exec … \;`, `grep "|"`), which it would return as the operator it looks like, and a `\'`
# inside bash's $'…'.
_STAND_INS = {char: f"__cmdai_{ord(char)}__" for char in ";&|()<>'"}
_OPERATORS = str.maketrans({c: s for c, s in _STAND_INS.items() if c != "'"})
_OPERATORS_AND_QUOTES = str.maketrans(_STAND_INS)
_SEMICOLON = _STAND_INS[";"]


def _one_word(text: str) -> str:
    """`text` as one single-quoted word for the lexer, whatever quotes or operators are in it."""
    return "'" + text.translate(_OPERATORS_AND_QUOTES) + "'"


def _restore(word: str, escaped_semicolon: str = ";") -> str:
    if word == _SEMICOLON:
        return escaped_semicolon
    if "__cmdai_" in word:
        for char, stand_in in _STAND_INS.items():
            word = word.replace(stand_in, char)
    return word


_CASE_KEYWORD = re.compile(r"(case|esac)(?=[\s;&|()<>`]|$)")
_CASE_LEADS = LEADING_KEYWORDS | {"{", "time"}  # words after which `case` starts a command


def _word_before(line: str, i: int) -> str:
    """The word that ends before i, past spaces (where the scanner has just started a word)."""
    end = i
    while end > 0 and line[end - 1].isspace():
        end -= 1
    start = end
    while start > 0 and not line[start - 1].isspace() and line[start - 1] not in ";&|()<>":
        start -= 1
    return line[start:end]


@dataclass
class _HereDocument:
    """A `<<END` read, whose text (the lines after this one, up to END) is yet to come."""

    chunks: list[str]  # where the text goes: the lexer reads it as the redirection's target
    index: int
    end: str
    quoted: bool  # <<'END': plain text; <<END: $( ) and backticks in it run
    strip_tabs: bool  # <<-END


@dataclass
class _Frame:
    """A `$( )`, `<( )`, `>( )` or backtick being read: what was read before it, and how."""

    closer: str  # ")" or "`"
    outer: list[str]
    outer_mode: str
    outer_last: str
    outer_arithmetic: int
    start: int  # where its text begins in the line
    depth: int = 0  # unquoted `(` inside it not yet closed
    cases: int = 0  # `case … in` inside it whose `esac` is yet to come: its `a)` close nothing
    outer_braces: int = 0


class _Scanner:
    """One pass over a line with the shell's quoting rules, giving the lexer texts it reads the
    way the shell does: the line, then each command substitution (taken out of the line, which
    keeps a SUBST word in its place; nested ones each become a text of their own).

    Unquoted newlines separate commands; a `#` starting a word starts a comment when `comments`
    is set (see parse()). An unclosed substitution is read as if it were closed.
    """

    def __init__(self, line: str, powershell: bool, comments: bool, fish: bool = False) -> None:
        self.line, self.powershell, self.comments, self.fish = line, powershell, comments, fish
        self.escape = "`" if powershell else "\\"
        self.out: list[str] = []
        self.mode = "plain"  # or "double": inside "…"; or "here": a here-document's text
        self.frames: list[_Frame] = []
        self.found: list[tuple[int, str, str]] = []  # (start, text for the lexer, as written)
        self.index = 0
        self.last = ""  # the last character read that is not a space, in this command list
        self.arithmetic = 0  # inside $(( )) or (( )): parentheses open (`<<` is a shift there)
        self.braces = 0  # inside ${ }: `${x:-)}` — its `)` closes no substitution
        self.commented = False  # whether a comment was left out
        self.here: list[_HereDocument] = []  # here-documents whose text starts after this line
        self.ends: list[str] = []  # every here-document's end word, in order

    def read(self) -> tuple[list[str], list[str]]:
        """The texts for the lexer (the line first, then each substitution in the order they
        start), and each substitution as written."""
        while self.index < len(self.line):
            self.index = (self._plain if self.mode == "plain" else self._quoted)(self.index)
        while self.frames:
            self._close(len(self.line))
        self.found.sort()
        return ["".join(self.out), *(t for _, t, _ in self.found)], [w for *_, w in self.found]

    def _plain(self, i: int) -> int:
        line, char = self.line, self.line[i]
        pair = line[i : i + 2]
        if pair == "\\`" and any(frame.closer != ")" for frame in self.frames[-1:]):
            return self._escaped_backtick(i)
        if char == self.escape and i + 1 < len(line):
            if line[i + 1] != "\n":  # backslash-newline joins two lines
                self._emit(pair[1].translate(_OPERATORS) if pair[1] in ";&|()<>" else pair)
            return i + 2
        if char == "'":
            return self._single(i)
        if pair == "$'" and not self.powershell:
            return self._ansi_c(i + 2)
        if char == '"':
            self._emit(char)
            self.mode = "double"
            return i + 1
        if line.startswith("<<<", i):  # a here-string: its word is read as any other
            self._emit("<<<")
            return i + 3
        if pair == "((" and self._at_word_start():  # `(( x << 2 ))`: arithmetic
            self._count_parentheses(2)
            self._emit(pair)
            return i + 2
        if pair == "<<" and not self.powershell and not self.arithmetic:
            return self._here_document(i + 2)
        if opened := self._open(i):
            return opened
        if char == "#" and self.comments and self._at_word_start():
            self.commented = True
            end = line.find("\n", i)
            return len(line) if end < 0 else end
        if self.frames and self.frames[-1].closer == ")" and self._at_word_start():
            self._count_cases(i)  # (fish's `switch … case` has no `)` and no `esac`)
        if char == "\n":  # a separator, unless the line goes on after `|`, `&&`, `(`
            self._emit(" " if self.last in ("", "|", "&", "(") else " ; ")
            return self._here_bodies(i + 1) if self.here else i + 1
        if self._parameter_brace(i):
            return i + 1 + (char == "$")
        frame = self.frames[-1] if self.frames else None
        if frame and frame.closer == char and not (frame.depth or frame.cases or self.braces):
            self._close(i)
            return i + 1
        if char in "()":
            self._count_parentheses(1 if char == "(" else -1)
        self._emit(char)
        return i + 1

    def _count_parentheses(self, change: int) -> None:
        """Parentheses opened (or closed) in the substitution being read, and in arithmetic."""
        if self.frames:
            self.frames[-1].depth = max(0, self.frames[-1].depth + change)
        if self.arithmetic:
            self.arithmetic = max(0, self.arithmetic + change)
        elif change == 2:  # `((` starts arithmetic
            self.arithmetic = 2

    def _parameter_brace(self, i: int) -> bool:
        """`${` opens a parameter expansion and `}` closes one (emitted as read): inside one,
        `)` ends no substitution (`"$(echo ${x:-)}; rm -rf ~)"` runs rm)."""
        if self.line.startswith("${", i):
            self.braces += 1
            self._emit("${")
            return True
        if self.line[i] == "}" and self.braces:
            self.braces -= 1
            self._emit("}")
            return True
        return False

    def _count_cases(self, i: int) -> None:
        """`$(case $x in a) …;; esac)`: a pattern's `)` does not end the substitution, so the
        `case` words that start a command, and their `esac`, are counted."""
        keyword = _CASE_KEYWORD.match(self.line, i)
        if not keyword or self.fish or self.powershell:
            return
        frame = self.frames[-1]
        if keyword[1] == "esac":
            frame.cases = max(0, frame.cases - 1)
        elif self.last in ("", ";", "&", "|", "(") or _word_before(self.line, i) in _CASE_LEADS:
            frame.cases += 1

    def substitutions(self, offset: int) -> list[tuple[int, str, str]]:
        """The substitutions in a here-document's text, which begins at `offset` in the line."""
        self.mode = "here"
        self.read()
        return [(start + offset, text, written) for start, text, written in self.found]

    def _quoted(self, i: int) -> int:
        """Inside "…" (or a here-document's text, where quotes are plain characters)."""
        line, char = self.line, self.line[i]
        if char == self.escape and i + 1 < len(line):
            self._emit(char + line[i + 1].translate(_OPERATORS))
            return i + 2
        if char == '"' and self.mode == "double":
            self.mode = "plain"
        if self._parameter_brace(i):
            return i + 1 + (char == "$")
        if opened := self._open(i):
            return opened
        self._emit(char.translate(_OPERATORS))
        return i + 1

    def _open(self, i: int) -> int:
        """Start reading a substitution at i, if one starts there: the index after its opener."""
        pair = self.line[i : i + 2]
        if pair == "$(" or (pair in ("<(", ">(") and not self.powershell and self.mode == "plain"):
            closer, width = ")", 2
        elif self.line[i] == "`" and not self.powershell:
            if self.frames and self.frames[-1].closer == "`" and self.mode == "plain":
                return 0  # this one closes the backtick being read
            closer, width = "`", 1
        else:
            return 0
        self._push(closer, i + width)
        self.arithmetic = 1 if self.line.startswith("$((", i) else 0
        return i + width

    def _here_document(self, i: int) -> int:
        """`<<END`, `<<-END`, `<< 'END'`: the operator, and a stand-in for the text to come."""
        strip_tabs = self.line.startswith("-", i)
        i += strip_tabs
        while self.line[i : i + 1] in (" ", "\t"):
            i += 1
        end, quoted = [], False
        while i < len(self.line) and self.line[i] not in " \t\n;&|()<>":
            char = self.line[i]
            if char in "'\"":
                close = self.line.find(char, i + 1)
                close = len(self.line) if close < 0 else close
                end.append(self.line[i + 1 : close])
                quoted, i = True, close + 1
            elif char == "\\":
                end.append(self.line[i + 1 : i + 2])
                quoted, i = True, i + 2
            else:
                end.append(char)
                i += 1
        self._emit("<< ")
        word = "".join(end)
        self.ends.append(word)
        self.here.append(_HereDocument(self.out, len(self.out), word, quoted, strip_tabs))
        self._emit(_one_word(word))  # the end word, until the text is found
        return i

    def _here_bodies(self, i: int) -> int:
        """Read the text of each here-document started on the line that ended before i."""
        for here in self.here:
            start = i
            while i < len(self.line):
                newline = self.line.find("\n", i)
                stop = len(self.line) if newline < 0 else newline
                text_line = self.line[i:stop]
                tabs = len(text_line) - len(text_line.lstrip("\t")) if here.strip_tabs else 0
                if text_line[tabs:] == here.end:
                    body, i = self.line[start:i], stop + 1
                    break
                if self._ends_in_substitution(text_line[tabs:], here.end):
                    body, i = self.line[start:i], i + tabs + len(here.end)
                    break
                i = stop + 1
            else:
                body = self.line[start:]
            here.chunks[here.index] = _one_word(body)
            if not here.quoted:  # its $( ) and backticks run as the shell reads it
                self.found += _Scanner(body, False, False).substitutions(offset=start)
        self.here = []
        return i

    def _ends_in_substitution(self, text_line: str, end: str) -> bool:
        """Inside `$( )`, bash also ends a here-document at a line that starts with its end
        word and has a `)` after it (`EOF)`, `EOF;; esac)`); the rest of that line is read as
        commands (`EOFX)` runs X)."""
        in_parentheses = any(frame.closer == ")" for frame in self.frames)
        return in_parentheses and text_line.startswith(end) and ")" in text_line[len(end) :]

    def _escaped_backtick(self, i: int) -> int:
        """Inside backticks, \\` opens or closes backticks nested in them."""
        if self.frames[-1].closer == "\\`":
            self._close(i)
        else:
            self._push("\\`", i + 2)
        return i + 2

    def _push(self, closer: str, start: int) -> None:
        frame = _Frame(closer, self.out, self.mode, self.last, self.arithmetic, start,
                       outer_braces=self.braces)  # fmt: skip
        self.frames.append(frame)
        self.out, self.mode, self.last, self.arithmetic, self.braces = [], "plain", "", 0, 0

    def _close(self, end: int) -> None:
        frame = self.frames.pop()
        self.found.append((frame.start, "".join(self.out), self.line[frame.start : end]))
        self.out, self.mode, self.last = frame.outer, frame.outer_mode, frame.outer_last
        self.arithmetic, self.braces = frame.outer_arithmetic, frame.outer_braces
        self._emit(f" {SUBST} ")

    def _single(self, i: int) -> int:
        if self.fish:
            return self._fish_single(i + 1)
        end = self.line.find("'", i + 1)
        if end < 0:  # unbalanced: the lexer says so
            self._emit(self.line[i:])
            return len(self.line)
        self._emit("'" + self.line[i + 1 : end].translate(_OPERATORS) + "'")
        return end + 1

    def _fish_single(self, i: int) -> int:
        """fish's '…', where \\' is a quote and \\\\ a backslash, neither ending it."""
        text: list[str] = []
        while i < len(self.line) and self.line[i] != "'":
            pair = self.line[i : i + 2]
            escaped = pair in ("\\'", "\\\\")
            text.append(pair[1].translate(_OPERATORS_AND_QUOTES) if escaped else pair[0])
            i += 2 if escaped else 1
        self._emit("'" + "".join(text).translate(_OPERATORS) + ("'" if i < len(self.line) else ""))
        return i + 1

    def _ansi_c(self, i: int) -> int:
        """bash's $'…', where \\' is a quote that does not end the string."""
        text: list[str] = []
        while i < len(self.line) and self.line[i] != "'":
            pair = self.line[i : i + 2]
            text.append(_STAND_INS["'"] if pair == "\\'" else pair[0].translate(_OPERATORS))
            i += 2 if pair in ("\\'", "\\\\") else 1
        self._emit("'" + "".join(text) + ("'" if i < len(self.line) else ""))
        return i + 1

    def _at_word_start(self) -> bool:
        return not self.out or self.out[-1][-1:] in (" ", "\t", "\r", *";&|()<>")

    def _emit(self, text: str) -> None:
        self.out.append(text)
        if stripped := text.rstrip():
            self.last = stripped[-1]


@dataclass
class Step:
    """One word list of a line as written (wrappers and all), its redirections, and the
    separator after it ("|", "&&", ";", …; "" at the end of the line)."""

    words: list[str]
    redirects: list[tuple[str, str]]
    then: str
    piped: bool = False  # it reads the output of what comes before (`… | it`, `( … ) | it`)
    grouped: bool = False  # inside a `( … )` or `{ …; }`, whose input is the group's


def steps(line: str) -> tuple[list[Step], list[str]]:
    """The line's word lists in order, and the text of each `$( )`, backtick or `<( )` in it
    (their commands run first). A file descriptor written against its redirection (`2>`,
    `2>&1`) is part of the operator, not a word of the command. A comment is left out, and a
    here-document is shown by its end word (`<<EOF`), not its text."""
    scanner = _Scanner(line, False, comments=True)
    (top, *_), substitutions = scanner.read()
    ends = iter(scanner.ends)
    found = []
    tokens = _words(top, False)[0]
    depth, piped = 0, False
    for words, redirects, then in _word_lists(_join_descriptors(tokens, top)):
        # `2>&1`, `>&2`: a descriptor is written against its operator, with no target word.
        redirects = [(op + target, "") if target.isdigit() and op.endswith("&")
                     else (op, next(ends, "") if op == "<<" else _restore(target))
                     for op, target in redirects]  # fmt: skip
        words = [_restore(w, escaped_semicolon="\\;") for w in words if w != SUBST]
        if words or redirects:
            found.append(Step(words, redirects, then, piped=piped, grouped=depth > 0))
        piped = then in ("|", "|&")
        depth = max(0, depth + (then in ("(", "{")) - (then in (")", "}")))
    return found, substitutions


def _join_descriptors(tokens: list[str], text: str, *, keep: bool = True) -> list[str]:
    """["2", ">", "x"] -> ["2>", "x"] where the line has `2>` written together: the digit is
    the redirection's, not a word of the command. Without `keep`, the digit is dropped
    (["2", ">", "x"] -> [">", "x"]), so the safety rules read every `>` and `<` alike."""
    together = {"".join(found) for found in _DESCRIPTOR.findall(text)}  # one pass over the text
    joined: list[str] = []
    for token in tokens:
        if joined and len(joined[-1]) == 1 and joined[-1] + token in together:
            joined[-1] = joined[-1] + token if keep else token
        else:
            joined.append(token)
    return joined


_DESCRIPTOR = re.compile(r"(?<![\w-])(\d)(>>|>&|<&|>\||>|<)")


def _word_lists(tokens: list[str]) -> Iterator[tuple[list[str], list[tuple[str, str]], str]]:
    """(words, redirections, separator after them) for each stretch between separators."""
    words: list[str] = []
    redirects: list[tuple[str, str]] = []
    pending_redirect: str | None = None
    for index, token in enumerate([*tokens, ""]):
        if pending_redirect and index < len(tokens):
            redirects.append((pending_redirect, token))
            pending_redirect = None
        elif token in REDIRECTS or _REDIRECT_TOKEN.fullmatch(token):
            pending_redirect = token
        elif token not in SEPARATORS and index < len(tokens):
            words.append(token)
        else:
            yield words, redirects, token
            words, redirects = [], []


def _split(tokens: list[str], powershell: bool, depth: int) -> list[Simple]:
    commands: list[Simple] = []
    pipe_source: Simple | None = None  # the command whose output the next stage reads
    for words, redirects, separator in _word_lists(tokens):
        words = [_restore(word) for word in _unparenthesized(words)]
        redirects = [(op, _restore(target)) for op, target in redirects]
        made = _make(words, redirects, powershell, depth)
        if made and pipe_source is not None:
            made[0].pipe_from = pipe_source
        commands += made
        pipe_source = made[0] if made and separator in ("|", "|&") else None
    return commands


def _unparenthesized(words: list[str]) -> list[str]:
    """What runs of a word list whose `()` or `((` are the shell's (a quoted one is still a
    stand-in here, and stays a word): `f () rm …` and `function f () rm …` (zsh) run
    `rm …` when f is called; `((rm -rf ~) )`, where no `))` makes it arithmetic, is two
    subshells, which bash and zsh run."""
    if "()" in words:  # after the last one: `f () g () rm …` defines g when f runs
        words = words[len(words) - words[::-1].index("()") :]
    if "((" in words and "))" not in words:
        words = words[: words.index("((")] + words[words.index("((") + 1 :]
    return words


def _make(
    words: list[str], redirects: list[tuple[str, str]], powershell: bool, depth: int
) -> list[Simple]:
    """Unwrap one word list into the simple commands it runs (a wrapper may run another);
    `depth` counts the commands it is run by (find -exec, sh -c, eval)."""
    if not powershell:
        words = strip_leading(words)
    computed = (
        not powershell
        and bool(words)
        and ("$" in words[0] or (words[0] == SUBST and len(words) > 1))
    )
    words = [w for w in words if w != SUBST]
    if computed or (words and depth > MAX_NESTING):  # `$(echo rm) -rf ~`: known only when run
        return [Simple(COMPUTED, words, redirects, word=words[0] if words else "")]
    if not words:
        return [Simple("", [], redirects)] if redirects else []
    wrappers: list[str] = []
    while words:
        program = program_name(words[0], powershell)
        if powershell or program not in WRAPPERS:  # the wrappers are POSIX programs
            break
        if program == "command" and _looks_up_only(words[1:]):
            break  # `command -v jq` says where jq is and runs nothing
        wrappers.append(program)
        words = _skip_wrapper_options(program, words[1:])
        words = strip_leading(words)  # `time LANG=C rm`, `sudo FOO=1 rm`, `time coproc rm`
    if not words:
        return [Simple(wrappers[-1], [], redirects, wrappers[:-1])] if wrappers else []
    main = Simple(program_name(words[0], powershell), words[1:], redirects, wrappers, word=words[0])
    return [main, *_nested(main, powershell, depth + 1)]


def _looks_up_only(words: list[str]) -> bool:
    """`command`'s options include -v or -V (`-v`, `-pV`): it prints, and does not run."""
    options = itertools.takewhile(lambda word: word.startswith("-") and word != "--", words)
    return any("v" in option or "V" in option for option in options)


def _skip_wrapper_options(program: str, words: list[str]) -> list[str]:
    takes_value = WRAPPERS[program]
    index = 0
    while index < len(words) and words[index].startswith("-") and words[index] != "--":
        index += 2 if words[index] in takes_value else 1
    if index < len(words) and words[index] == "--":
        index += 1
    return words[index + POSITIONAL_WRAPPER_ARGS.get(program, 0) :]


# find's actions that run the command written after them, up to `;` or `+` (`-exec rm {} +`).
FIND_EXEC_ACTIONS = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
FIND_COMMAND_ENDS = frozenset({";", "\\;", "+"})
_FIND_LEADING_OPTION = re.compile(r"-[HLP]|-O\d*")  # symlink handling, optimisation level
_FIND_EXPRESSION_START = ("-", "(", "!", ")")


def split_find_args(args: list[str]) -> tuple[list[str], list[str]]:
    """find's starting points and its expression, past the options that come before both
    (-H, -L, -P, -D LIST, -O3): `-L / -delete` -> (["/"], ["-delete"])."""
    index = 0
    while index < len(args):
        if args[index] == "-D":  # debug options, given as the next word
            index += 2
        elif _FIND_LEADING_OPTION.fullmatch(args[index]):
            index += 1
        else:
            break
    rest = args[index:]
    end = next((i for i, w in enumerate(rest) if w.startswith(_FIND_EXPRESSION_START)), len(rest))
    return rest[:end], rest[end:]


def tar_args(args: list[str]) -> list[str]:
    """tar's words with its old style read: a first word of letters without a dash is a
    cluster of options (`tar xkf a.tar` is `tar -xkf a.tar`)."""
    if args and re.fullmatch(r"[A-Za-z]+", args[0]):
        return [f"-{args[0]}", *args[1:]]
    return args


# Programs run by subcommand, with the global options that take a value in the next word
# when written before it (`git -C repo reset --hard`, `kubectl -n web delete pod api`); and
# `docker compose`, whose own options come before its subcommand (`compose -f x.yml down`).
SUBCOMMAND_GLOBAL_VALUES: dict[str, frozenset[str]] = {
    "git": frozenset({"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env"}),
    "docker": frozenset({"-H", "--host", "-c", "--context", "--config", "-l", "--log-level",
                         "--tlscacert", "--tlscert", "--tlskey"}),
    "podman": frozenset({"-c", "--connection", "--url", "--identity", "--root", "--runroot",
                         "--log-level", "--storage-driver", "--cgroup-manager", "--module"}),
    "compose": frozenset({"-f", "--file", "-p", "--project-name", "--env-file", "--profile",
                          "--project-directory", "--ansi", "--parallel", "--progress"}),
    "kubectl": frozenset({"-n", "--namespace", "--context", "--kubeconfig", "--cluster",
                          "--user", "-s", "--server", "--as", "--token", "--request-timeout"}),
    "ip": frozenset({"-n", "-netns", "-f", "-family", "-b", "-batch", "-rc", "-rcvbuf"}),
    "npm": frozenset({"--prefix", "--userconfig", "-w", "--workspace"}),
    "openssl": frozenset(),
    "cargo": frozenset({"-C", "--config", "-Z"}),
    "gh": frozenset(),
    "systemctl": frozenset({"-H", "--host", "-M", "--machine", "-t", "--type", "-p",
                            "--property", "-s", "--signal", "--root", "-o", "--output", "-n",
                            "--lines", "--state", "--kill-whom", "--job-mode", "--what"}),
    "aws": frozenset({"--profile", "--region", "--output", "--endpoint-url", "--query",
                      "--color", "--ca-bundle", "--cli-read-timeout", "--cli-connect-timeout"}),
}  # fmt: skip


def subcommand(program: str, args: list[str]) -> tuple[str, list[str]]:
    """The subcommand and the words after it, past the global options before it: `git -C
    repo stash -u` -> ("stash", ["-u"]). ("", args) when the first word that is not an option
    is missing, or for a program not run by subcommand."""
    takes_value = SUBCOMMAND_GLOBAL_VALUES.get(program)
    if takes_value is None:
        return "", args
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] != "--":
        index += 2 if args[index] in takes_value else 1
    if index >= len(args) or args[index] == "--":
        return "", args
    return args[index], args[index + 1 :]


def _nested(command: Simple, powershell: bool, depth: int) -> list[Simple]:
    """Commands that this one runs: sh -c STRING, eval STRING, find -exec CMD ;."""
    nested: list[Simple] = []
    if command.program in SHELLS and "-c" in command.args:
        index = command.args.index("-c")
        if index + 1 < len(command.args):
            script, fish = command.args[index + 1], command.program == "fish"
            nested += _parse(script, powershell, fish, depth).commands
    if command.program == "eval" and command.args:
        nested += _parse(" ".join(command.args), powershell, False, depth).commands
    if command.program == "find":
        for words in find_exec_commands(command.args):
            nested += _make(words, [], powershell, depth)
    return nested


def find_exec_commands(args: list[str]) -> list[list[str]]:
    """The commands find's -exec, -execdir, -ok and -okdir run, as their words, each read up
    to its `;` or `+` (or the end): `-exec rm {} ; -exec echo {} ;` runs two, and an -exec
    among the words of another is part of that command (`-exec find -exec …` runs one find)."""
    commands: list[list[str]] = []
    index = 0
    while index < len(args):
        if args[index] not in FIND_EXEC_ACTIONS:
            index += 1
            continue
        tail = args[index + 1 :]
        end = next((i for i, w in enumerate(tail) if w in FIND_COMMAND_ENDS), len(tail))
        if tail[:end]:
            commands.append(tail[:end])
        index += end + 2
    return commands


def strip_leading(words: list[str]) -> list[str]:
    """`then FOO=1 rm …` -> `rm …`: reserved words and assignments, in any order."""
    while (stripped := _drop_keywords(_drop_assignments(words))) != words:
        words = stripped
    return words


def _drop_keywords(words: list[str]) -> list[str]:
    """`if rm …` -> `rm …`; `for f in *` and `fi` -> nothing (they run no program)."""
    while words and words[0] in LEADING_KEYWORDS:
        words = words[2:] if words[0] == "repeat" and len(words) > 1 else words[1:]
    if words and (words[0] in CLOSING_KEYWORDS or words[0] in HEADER_KEYWORDS):
        return []
    return words


def _drop_assignments(words: list[str]) -> list[str]:
    """`FOO=1 BAR=2 cmd args` -> `cmd args` (only leading words are assignments)."""
    index = 0
    while index < len(words) and _ASSIGNMENT.fullmatch(words[index]):
        index += 1
    return words[index:]


def line_counts(args: list[str]) -> list[str]:
    """The line counts head or tail is given, as written: `-n +4`, `-n+4`, `--lines=-3`, `-n
    -3` (not the older `-5`)."""
    counts = []
    for index, arg in enumerate(args):
        if arg in ("-n", "--lines") and index + 1 < len(args):
            counts.append(args[index + 1])
        elif arg.startswith("--lines="):
            counts.append(arg.removeprefix("--lines="))
        elif arg.startswith("-n") and len(arg) > 2:
            counts.append(arg[2:])
    return counts


def program_name(word: str, powershell: bool = False) -> str:
    """`\\rm`, `/bin/rm`, `"rm"` -> `rm`; PowerShell names are case-insensitive."""
    name = word.lstrip("\\")
    if name.startswith("=") and _EQUALS_NAME.fullmatch(name):  # zsh: `=rm` is the path of rm
        name = name[1:]
    if "/" in name:
        name = PurePosixPath(name).name
    if powershell or ("-" in name and _VERB_NOUN.fullmatch(name)):
        name = name.lower()
    return name
