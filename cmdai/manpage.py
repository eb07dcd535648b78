"""The documentation on this machine: a program's man page (found with `man -w`, read as roff
source) or, for a few programs known to only print help, its `--help` output; and what a page
says: the one-line summary of its NAME section and each option's description.

Nothing is executed but `man -w` and, for the programs of HELP_ONLY, `PROGRAM --help`. Every
lookup is cached per program and process: the helper keeps them warm.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import lzma
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

MAN_TIMEOUT_S = 2.0
MAX_PAGE_BYTES = 4 << 20  # a man page larger than this is not a man page
# Programs without a man page on many systems whose `--help` only prints help.
HELP_ONLY = {"rg", "fd", "fdfind", "bat", "batcat", "eza", "exa", "uv", "ruff", "pip", "pip3"}
SECTIONS = "1:1ssl:8:6"  # user commands, OpenSSL's, administration, games


@functools.cache
def man_text(program: str) -> str | None:
    """The roff source of `program`'s page in SECTIONS, or None."""
    if shutil.which("man") is None:
        return None
    try:
        found = subprocess.run(
            ["man", "-w", "-S", SECTIONS, program], capture_output=True, text=True,
            timeout=MAN_TIMEOUT_S, env={**os.environ, "LC_ALL": "C", "MANPAGER": "cat"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    path = found.stdout.strip().splitlines()[0] if found.returncode == 0 and found.stdout else ""
    return _read_page(Path(path)) if path else None


def _read_page(path: Path, hops: int = 3) -> str | None:
    """A page's text, decompressed; a `.so other/page` stub is followed."""
    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}
    try:
        with opener.get(path.suffix, open)(path, "rb") as handle:
            raw = handle.read(MAX_PAGE_BYTES)
    except (OSError, EOFError, lzma.LZMAError, gzip.BadGzipFile):
        return None
    text = raw.decode("utf-8", "replace")
    stub = re.match(r"\s*\.so\s+(\S+)\s*$", text)
    if stub and hops:
        root = path.parent.parent  # .../man/man1/x.1.gz -> .../man
        target = root / stub.group(1)
        candidates = [target, *target.parent.glob(target.name + ".*")]
        return next((t for c in candidates if (t := _read_page(c, hops - 1))), None)
    return text


@functools.cache
def help_output(program: str) -> str | None:
    """`program --help`, for the programs of HELP_ONLY only (anything else could do work)."""
    if program not in HELP_ONLY or shutil.which(program) is None:
        return None
    try:
        done = subprocess.run(
            [program, "--help"], capture_output=True, text=True, timeout=MAN_TIMEOUT_S,
            stdin=subprocess.DEVNULL, env={**os.environ, "LC_ALL": "C", "NO_COLOR": "1"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (done.stdout or done.stderr)[:MAX_PAGE_BYTES] or None


# --- roff to text ---------------------------------------------------------------------------

FONT = re.compile(r"\\f(?:\[[^\]]*\]|\(..|.)")
DASH = re.compile(r"\\(?:-|\(hy|\(mi|\[hy\]|\[mi\])")
ZERO_WIDTH = re.compile(r"\\(?:&|%|:|\^|\||\)|/|,|c$)", re.M)
_SPECIAL = {
    r"\(aq": "'", r"\(dq": '"', r"\(lq": '"', r"\(rq": '"', r"\(oq": "'", r"\(cq": "'",
    r"\(em": "—", r"\(en": "–", r"\(bu": "•", r"\(ga": "`", r"\(ti": "~", r"\(ha": "^",
    r"\(rs": "\\", r"\e": "\\", r"\ ": " ", r"\~": " ", r"\(co": "©", r"\(fm": "'",
    r"\.": ".", r"\*(lq": '"', r"\*(rq": '"', r"\*(Aq": "'", r"\[aq]": "'", r"\[dq]": '"',
}  # fmt: skip
_SPECIAL_RE = re.compile("|".join(re.escape(k) for k in sorted(_SPECIAL, key=len, reverse=True)))
_OTHER_ESCAPE = re.compile(r"\\\*?\(..|\\\[[^\]]*\]|\\[*n]\w|\\s[-+]?\d")
# Font macros: their arguments are the text (BR, IR, …: alternating fonts, no space between).
_FONT_MACROS = {"B", "I", "SM", "SB"}
_ALTERNATING = {"BR", "RB", "IR", "RI", "BI", "IB"}


def inline(text: str) -> str:
    """roff escapes in running text to plain characters."""
    text = DASH.sub("-", text)
    text = _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], text)
    text = ZERO_WIDTH.sub("", FONT.sub("", text))
    return _OTHER_ESCAPE.sub("", text)


def macro_args(rest: str) -> list[str]:
    """A macro line's arguments: words (a backslash-space is a space inside one), or "quoted
    phrases"."""
    return [a if a else b for a, b in re.findall(r'"((?:[^"]|"")*)"|((?:\\.|[^\s\\])+)', rest)]


def _mdoc_text(name: str, args: list[str]) -> str:
    """An mdoc line (`.Fl L Ar port`, `.Op Fl v`) as the text it shows (`-L port`)."""
    words = [name, *args]
    out: list[str] = []
    dash_next = False
    for word in words:
        if word == "Fl":
            dash_next = True
            continue
        if re.fullmatch(r"[A-Z][a-z][a-z]?|[A-Z][a-z]", word) and word not in ("No",):
            continue  # another macro name: Ar, Op, Oo, Cm, Xo, …
        out.append(f"-{word}" if dash_next else word)
        dash_next = False
    if dash_next:
        out.append("-")
    return " ".join(out)


@dataclass
class Paragraph:
    macro: str  # TP, IP, HP, PP, RS, It, SH, …
    args: str  # the macro's arguments as text (IP's tag, It's item)
    lines: list[str]


_BREAKS = {"TP", "IP", "HP", "PP", "P", "LP", "SH", "SS", "RS", "RE", "It", "Sh", "Ss", "El",
           "Bl", "TQ"}  # fmt: skip


def paragraphs(source: str) -> list[Paragraph]:
    """The page as paragraphs: each starts at a paragraph macro and holds its text lines."""
    found = [Paragraph("", "", [])]
    extended = False  # inside mdoc's `.It … Xo` … `.Xc`: the lines belong to the item
    for raw in source.splitlines():
        if raw.startswith(("'", ".")):  # a request (a lone "." is an empty one)
            name, _, rest = raw[1:].strip().partition(" ")
            if extended:
                extended = name != "Xc"
                more = _mdoc_text(name, macro_args(rest)) if name not in ("Sm", "Xc") else ""
                found[-1].args = " ".join(filter(None, [found[-1].args, inline(more)]))
                continue
            if name == "It" and rest.rstrip().endswith("Xo"):
                extended = True
            if name in _BREAKS:
                args = " ".join(macro_args(rest))
                text = _mdoc_text("", macro_args(rest)) if name == "It" else args
                found.append(Paragraph(name, inline(text).strip(), []))
            elif name in _FONT_MACROS:
                found[-1].lines.append(inline(" ".join(macro_args(rest))))
            elif name in _ALTERNATING:
                found[-1].lines.append(inline("".join(macro_args(rest))))
            elif name[:1].isupper() and name[1:2].islower():  # mdoc text macros
                found[-1].lines.append(inline(_mdoc_text(name, macro_args(rest))))
            continue  # comments, spacing and other requests carry no text
        if raw.strip():
            found[-1].lines.append(inline(raw))
    return found


# --- what a page says -----------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """What a program's page says: its one-line summary and each option's description."""

    name: str
    summary: str  # "list directory contents"; "" when the page has no NAME line
    # "-a" / "--all" / "-name" -> first sentence of its description; "-exec +" for find's
    # `-exec command {} +` entry
    options: dict[str, str]
    valued: frozenset[str] = frozenset()  # options whose entry shows a value (`-k, --key=KEYDEF`)
    # Entries for a letter without a dash (ps's BSD options: `a`, `u`, `x`, `o format`).
    letters: dict[str, str] = field(default_factory=dict)


# A value the option needs, in its spelling: `--file=ARCHIVE`, `-name pattern`, `-k KEYDEF`,
# `-o <file>`, `-L [address:]port` (not `-a, --all`, nor an optional one: `-i[SUFFIX]`,
# `--jobs[=N]`).
_TAG_VALUE = re.compile(r"\w=|-[\w-]+ +(?:(?![-,|])[\w<{'\"]|\[[^\]]*\]\w)")
_LETTER_TAG = re.compile(r"([A-Za-z])(?: [a-z]+)?")  # `a`, `o format`: a letter and its value
_TAG_OPTION = re.compile(r"(?<![\w/.\\-])(--?[A-Za-z0-9?@#][\w?@#+.-]*)")


@functools.cache
def page_for(program: str) -> Page | None:
    """The page of `program` (`git-reset` for a subcommand), or None without docs here."""
    source = man_text(program)
    if source is not None:
        return parse_page(program, source)
    help_text = help_output(program)
    return parse_help(program, help_text) if help_text else None


def parse_page(name: str, source: str) -> Page:
    paras = paragraphs(source)
    options: dict[str, str] = {}
    valued: set[str] = set()
    letters: dict[str, str] = {}
    for tag, body in _entries(paras):
        if letter := _LETTER_TAG.fullmatch(tag):
            letters.setdefault(letter.group(1), body)
            continue
        spellings = _spellings(tag.split("  ")[0])
        for option, _ in spellings:
            options.setdefault(option, body)
        if len(spellings) == 1 and tag.rstrip().endswith("+"):
            # find's `-exec command {} +` has its own entry after `-exec command ;`
            options.setdefault(f"{spellings[0][0]} +", body)
        valued.update(option for option, takes in spellings if takes)
    return Page(name, _summary(paras), options, frozenset(valued), letters)


def _spellings(tag: str) -> list[tuple[str, bool]]:
    """(option, needs a value) for each spelling in an entry's tag, `-u, -U NUM, --unified[=NUM]`
    -> -u no, -U yes, --unified no (optional). A short option right before a long one takes
    what the long one takes (`-f, --file=ARCHIVE`)."""
    found: list[tuple[str, bool]] = []
    for part in re.split(r",\s+|\s+\|\s+|\s+/\s+", tag):
        match = _TAG_OPTION.match(part.strip())
        if match:
            found.append((match.group(1).rstrip(".-"), bool(_TAG_VALUE.search(part.strip()))))
    for index, (option, takes) in enumerate(found[:-1]):
        after, after_takes = found[index + 1]
        if not takes and not option.startswith("--") and after.startswith("--") and after_takes:
            found[index] = (option, True)
    return found


def _summary(paras: list[Paragraph]) -> str:
    """The NAME section's `prog \\- what it does` (man) or `.Nd what it does` (mdoc)."""
    for index, para in enumerate(paras):
        if para.macro in ("SH", "Sh") and para.args.strip('"').upper() == "NAME":
            text = " ".join(paras[index].lines)
            _, dash, what = text.partition(" - ")
            if not dash:  # mdoc: `.Nm ssh` then `.Nd …` became "ssh OpenSSH remote …"
                what = " ".join(paras[index].lines[1:]) or text
            return sentence(what)
    return ""


def _entries(paras: list[Paragraph]) -> list[tuple[str, str]]:
    """(tag, description) for each paragraph that describes an option, in the page's forms:
    `.TP` tag line, `.IP "tag"`, `.HP` tag then `.IP` text, `.PP` tag then `.RS` text
    (DocBook pages: git), mdoc `.It Fl x`."""
    entries: list[tuple[str, str]] = []
    for index, para in enumerate(paras):
        after = paras[index + 1] if index + 1 < len(paras) else Paragraph("", "", [])
        tag, body = "", para.lines
        if para.macro in ("TP", "HP") or (para.macro == "IP" and not para.args.startswith("-")):
            tag, body = (para.lines[0], para.lines[1:]) if para.lines else ("", [])
            if not body and after.macro in ("IP", "RS") and not after.args.startswith("-"):
                body = after.lines  # `.HP`/`.IP "•"` tag, then `.IP` text (sed, jq)
        elif para.macro in ("IP", "It"):
            tag = para.args
            if not body and after.macro in ("RS", "Bl"):
                body = after.lines
        elif para.macro in ("PP", "P", "LP") and len(para.lines) == 1 and after.macro == "RS":
            tag, body = para.lines[0], after.lines
        tag = tag.strip().rstrip(":")
        if (tag.startswith("-") or _LETTER_TAG.fullmatch(tag)) and body:
            entries.append((tag, sentence(" ".join(body))))
    return entries


def parse_help(name: str, text: str) -> Page:
    """`--help` text: `  -a, --all   description` lines."""
    options: dict[str, str] = {}
    for line in text.splitlines():
        match = re.match(r"\s+(-[^\s].*?)(?:\s{2,}|\t)(\S.*)$", line)
        if match:
            for option in _TAG_OPTION.findall(match.group(1)):
                options.setdefault(option.rstrip(".-"), sentence(match.group(2)))
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    summary = "" if first.lower().startswith("usage") else sentence(first)
    return Page(name, summary, options)


def sentence(text: str, limit: int = 110) -> str:
    """The first sentence of `text`, on one line, at most `limit` characters."""
    text = " ".join(text.split())
    # A full stop ends it, not one in "e.g.", after a space (`ls -a`: "starting with .") or
    # in "..".
    match = re.search(r"(?<![. ][a-z])(?<!e\.g)(?<!i\.e)(?<![ .])[.;](?=\s+[A-Z(]|$)", text)
    text = (text[: match.start()] if match else text).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
