"""Does the command do what the request asks for in words, where the program needs an option
for it? "copy … without overwriting existing files" is `cp -n`, "follow the logs" is `-f`,
"whatever the case" is `grep -i` or `find -iname`, "stash … including untracked files" is
`git stash -u`, "in place" is `sed -i`. A model that leaves the option out writes a command
that runs and does something else, which no other check sees. (What a request gives that the
table cannot express, a time, a port, a city, is request_details'.)

The table is written by hand, phrase by phrase, for precision: a rule speaks only when the
request says it in so many words and the command uses a program the rule knows, without any
of the ways that program has to do it. (Hints matched from the man pages' words were tried
and dropped: benchmarks/results/manual-hints.md.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from cmdai.command_edit import Finding, add_option
from cmdai.command_output import sort_modes, writes_file
from cmdai.commandline import Simple, parse, subcommand, tar_args
from cmdai.phrases import says
from cmdai.safety.words import operands, short_flags


@dataclass(frozen=True)
class Way:
    """How one program is told to do it: any of its short letters (alone or in a cluster),
    long options (`--keep`, `--keep=…`) or words (`-iname`, `status=progress`, taken as a
    prefix); a way with none of them says the program cannot (`cp` shows no progress)."""

    shorts: str = ""
    longs: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    spoils: tuple[str, ...] = ()  # words that undo it (`git reset --hard` keeps no changes)
    by_itself: bool = False  # the program always does it (find recurses, zcat writes out)
    hint: str = ""  # when the first option is not the whole story, or the program cannot

    @property
    def told(self) -> str:
        """How the model is told to do it: the hint, or the first option with its long
        spelling ("-n (--no-clobber)", "-nc (--no-clobber)", "--ignore-existing")."""
        if self.hint:
            return self.hint
        first = f"-{self.shorts[0]}" if self.shorts else next(iter(self.words), "")
        long = next(iter(self.longs), "")
        return f"{first} ({long})" if first and long else first or long

    @property
    def possible(self) -> bool:
        return bool(self.shorts or self.longs or self.words or self.spoils or self.by_itself)

    def taken(self, args: list[str]) -> bool:
        if self.by_itself:
            return True
        if self.spoils and any(arg.startswith(self.spoils) for arg in args):
            return False
        if not (self.shorts or self.longs or self.words):
            return bool(self.spoils)  # nothing to add, only something to leave out
        longs = {arg.split("=", 1)[0] for arg in args if arg.startswith("--")}
        return bool(
            short_flags(args) & set(self.shorts)
            or longs & set(self.longs)
            or (self.words and any(arg.startswith(self.words) for arg in args))
        )


@dataclass(frozen=True)
class Asked:
    """A behaviour a request asks for in words, and how each program that can do it does."""

    what: str  # "not overwrite existing files", after "the request asks to"
    said: re.Pattern[str]
    ways: dict[str, Way]  # program, or "program subcommand" ("git stash")
    needed: Callable[[Simple], bool] = lambda simple: True  # does it matter for this command?


_GREPS = ("grep", "egrep", "zgrep")
_REGEX_CHARS = re.compile(r"[.*\[\]^$\\+?(){}|]")


def _pattern_has_regex_chars(simple: Simple) -> bool:
    """`grep 'a.b*c' notes.txt`: searched for as written only with -F; `grep hello` is the same
    either way."""
    return any(_REGEX_CHARS.search(word) for word in operands(simple.args)[:1])


def _no_letters_in_both_cases(simple: Simple) -> bool:
    """`find . -name '*.[jJ][pP][gG]'`, `grep '[Ee]rror'`: the case is already spelled out."""
    classes = (found for word in simple.args for found in _BRACKET_CLASS.findall(word))
    return not any(c.lower() != c and c.upper() != c for c in classes)


# A short bracket expression's letters (bounded, so a long run of `[` takes linear time).
_BRACKET_CLASS = re.compile(r"\[([^\[\]]{1,40})\]")


def _names_a_file(simple: Simple) -> bool:
    """`git checkout -- .`, `git checkout config.yaml`: a file, not a branch (`feature/x`) or
    a tag (`v2.1.0`)."""
    return "--" in simple.args or any(_FILE_NAME.search(word) for word in simple.args)


_FILE_NAME = re.compile(r"^[^-].*\.[A-Za-z]\w{0,4}$")


def _in_place_otherwise(simple: Simple) -> bool:
    """`sed -i.bak …`, `perl -pi.orig …` (-i with a backup suffix, which short_flags does not
    read as letters), or `sed … > new && mv new file` (the output written to a file that
    replaces the old one): changed in place all the same."""
    return any(_IN_PLACE_WITH_SUFFIX.match(arg) for arg in simple.args) or writes_file(simple)


_IN_PLACE_WITH_SUFFIX = re.compile(r"-[A-Za-z]*i[^A-Za-z\s]")


def _compares_numbers_upwards(simple: Simple) -> bool:
    """`sort -h`, `sort -k 5,5n`: the smallest number first (no -r, on the key either)."""
    modes = sort_modes(simple.args)
    return bool(modes & {"n", "g", "h"}) and "r" not in modes


def _block_size(args: list[str]) -> str:
    """The unit du or df is told to count in: "G" for `-BG`, `-sBG`, `-B 1G`,
    `--block-size=GB`; "" when none is given."""
    for index, arg in enumerate(args):
        if match := re.fullmatch(r"-[A-Za-z]*B(\S*)|--block-size(?:=(\S*))?", arg):
            given = match.group(1) or match.group(2)
            value = given if given else (args[index + 1] if index + 1 < len(args) else "")
            if unit := re.fullmatch(r"\d*([KMGTP])(?:I?B)?", value.upper()):
                return unit.group(1)
    return ""


def _each(programs: tuple[str, ...], way: Way) -> dict[str, Way]:
    return dict.fromkeys(programs, way)


_IGNORE_CASE = Way("i", ("--ignore-case",))
_FOLLOW = Way("f", ("--follow",))
_KEEP = Way("kc", ("--keep", "--stdout", "--to-stdout"))
_NO_CLOBBER = Way("ni", ("--no-clobber", "--interactive"), ("--update=none",))
_DRY_RUN = Way("n", ("--dry-run",))
_DEREFERENCE = Way("L", ("--dereference",))

# fmt: off
ASKED: tuple[Asked, ...] = (
    Asked(
        "not overwrite existing files",
        re.compile(
            r"\b(?:without|not|never|don'?t|do not|no)\s+(?:overwrit|replac|clobber)\w*"
            r"|\bno-?clobber\b|\bskip(?:ping)? (?:the )?(?:ones|files) that (?:already )?exist",
            re.I,
        ),
        {
            **_each(("cp", "mv"), _NO_CLOBBER),
            "rsync": Way(longs=("--ignore-existing",)),
            "unzip": Way("n"),
            "tar": Way("k", ("--keep-old-files", "--skip-old-files")),
            "wget": Way(longs=("--no-clobber",), words=("-nc",)),
        },
    ),
    Asked(
        "follow the log as it grows",
        re.compile(
            r"\bfollow(?:ing)?\s+(?:\w+\s+){0,3}?(?:logs?|output|journal|[\w.-]+\.log)\b"
            r"|\blive$|\b(?:in real time|as it happens)\b"  # not "the live server"
            r"|\bas (?:new )?(?:lines|entries|messages) (?:come|arrive)",
            re.I,
        ),
        {
            "tail": Way("fF", ("--follow",)),
            "journalctl": _FOLLOW,
            **_each(("docker logs", "podman logs", "kubectl logs"), _FOLLOW),
        },
    ),
    Asked(
        "ignore case",
        re.compile(
            r"\bcase[- ]?insensitive(?:ly)?\b|\bignor(?:e|ing) (?:the )?case\b"
            r"|\b(?:whatever|regardless of|no matter) (?:the |what )?(?:letter )?case\b"
            r"|\b(?:in )?any (?:letter )?case\b|\b(?:upper|lower)(?:case)? or (?:upper|lower)",
            re.I,
        ),
        {
            **_each(_GREPS, Way("iy", ("--ignore-case",))),
            "rg": Way("iS", ("--ignore-case", "--smart-case")),
            "find": Way(words=("-iname", "-ipath", "-iregex", "-iwholename", "-ilname"),
                        hint="-iname (or -ipath, -iregex)"),
            "sort": Way("f", ("--ignore-case",)),
            **_each(("uniq", "diff", "locate"), _IGNORE_CASE),
        },
        needed=_no_letters_in_both_cases,
    ),
    Asked(
        "act on everything inside the directory too",
        re.compile(
            r"\brecursive(?:ly)?\b|\b(?:and|with|including) everything (?:in|under|inside|below)"
            r" (?:it|them)\b|\beverything (?:under|below|inside) \S|\band (?:all )?(?:of )?its "
            r"(?:contents|sub ?(?:folders|directories))\b",
            re.I,
        ),
        {
            **_each(("chmod", "chown", "chgrp", "ls"), Way("R", ("--recursive",))),
            **_each(("cp", "scp"), Way("rRa", ("--recursive", "--archive"), hint="-r")),
            **_each(("rm", "diff", "zip"), Way("rR", ("--recursive",), hint="-r")),
            "grep": Way("rR", ("--recursive", "--dereference-recursive"), hint="-r"),
            "rsync": Way("ar", ("--archive", "--recursive"), hint="-a (or -r)"),
            # programs that go into directories by themselves
            **_each(("find", "du", "tree", "rg", "fd", "setfacl"), Way(by_itself=True)),
        },
        # given the files one by one, or by a recursive glob (zsh, bash's globstar: **/*.md)
        needed=lambda simple: "xargs" not in simple.wrappers
        and not any("**" in arg for arg in simple.args),
    ),
    Asked(
        "show inodes",
        re.compile(r"\binodes?\b", re.I),
        {
            "ls": Way("i", ("--inode",)),
            "df": Way("i", ("--inodes",)),
            "du": Way(longs=("--inodes",)),
            **_each(("stat", "find"), Way(by_itself=True)),
        },
    ),
    Asked(
        "keep the original file",
        re.compile(
            r"\bkeep(?:ing)? (?:the |a )?(?:original|source|uncompressed|compressed)\b"
            r"|\b(?:without|not) (?:deleting|removing) (?:the )?(?:original|source)\b",
            re.I,
        ),
        _each(("gzip", "gunzip", "bzip2", "bunzip2", "xz", "unxz"), _KEEP),  # zstd, lz4 keep it
    ),
    Asked(
        "show the files side by side",
        re.compile(r"\bside[- ]by[- ]side\b", re.I),
        {"diff": Way("y", ("--side-by-side",))},
    ),
    Asked(
        "list only which files differ",
        re.compile(
            r"\b(?:only|just) (?:which|what|the names of the) files? (?:differ|are different)"
            r"|\bonly (?:the )?(?:names of (?:the )?)?files (?:that|which) differ",
            re.I,
        ),
        {"diff": Way("q", ("--brief",))},
    ),
    Asked(
        "list the files that match, not the lines",
        re.compile(
            r"\b(?:list|show|print|names? of|which) (?:only )?(?:the |all )?(?:names of )?"
            r"(?:the )?files\b[^,;.]{0,40}?\b(?:(?:that|which) )?(?:contain|mention|include)",
            re.I,
        ),
        {
            **_each(_GREPS, Way("lL", ("--files-with-matches", "--files-without-match"))),
            "rg": Way("l", ("--files-with-matches",)),
        },
        # `ls | grep x` filters names; `… | xargs grep x` is given files
        needed=lambda simple: simple.pipe_from is None or "xargs" in simple.wrappers,
    ),
    Asked(
        "include untracked files",
        re.compile(r"\b(?:including|include|with|and) (?:the )?untracked\b", re.I),
        {"git stash": Way("ua", ("--include-untracked", "--all"))},
    ),
    Asked(
        "keep the files' permissions",
        re.compile(
            r"\b(?:preserv(?:e|es|ing)|keep(?:s|ing)?) (?:the |their |its |all |file )?"
            r"(?:permissions|modes|attributes)\b",
            re.I,
        ),
        {
            "cp": Way("pa", ("--preserve", "--archive")),
            "rsync": Way("ap", ("--archive", "--perms")),
            "scp": Way("p"),
        },
    ),
    Asked(
        "change the file in place",
        re.compile(r"\bin[- ]place\b", re.I),
        {"sed": Way("i", ("--in-place",)), "perl": Way("i")},
        needed=lambda simple: not _in_place_otherwise(simple),
    ),
    Asked(
        "show each commit's changes",
        re.compile(r"\bwith (?:the |their |its |full )?(?:diffs?|patch(?:es)?)\b", re.I),
        {"git log": Way("pu", ("--patch",))},
    ),
    Asked(
        "search for the text as written, not as a pattern",
        re.compile(
            r"\bliteral(?:ly)?\b|\bfixed[- ]strings?\b|\bnot (?:as )?a (?:regex|regular "
            r"expression|pattern)\b",
            re.I,
        ),
        {
            **_each(_GREPS, Way("F", ("--fixed-strings",))),
            "rg": Way("F", ("--fixed-strings",)),
        },
        needed=_pattern_has_regex_chars,
    ),
    Asked(
        "match whole words only",
        re.compile(r"\b(?:whole|entire) words?\b|\bas a (?:whole |separate )?word\b", re.I),
        _each((*_GREPS, "rg"), Way("w", ("--word-regexp",))),
        needed=lambda simple: not any(re.search(r"\\[b<>]", word) for word in simple.args),
    ),
    Asked(
        "only show what would happen (a dry run)",
        re.compile(
            r"\bdry[- ]?run\b|\bwithout actually\b|\bwithout (?:copying|transferring|syncing|"
            r"changing|deleting|removing|doing|moving) any(?:thing| files| changes)?\b"
            r"|\b(?:show|see|list|preview) (?:me )?(?:only )?what (?:\w+ ){0,2}would\b",
            re.I,
        ),
        {
            **_each(("rsync", "make", "git clean", "git add", "git rm", "git push"), _DRY_RUN),
            **_each(("apt", "apt-get"), Way("s", ("--simulate", "--dry-run", "--just-print"))),
        },
    ),
    Asked(
        "show progress",
        re.compile(r"\b(?:show(?:ing)?|with|display(?:ing)?) (?:the |a )?progress\b|\bprogress "
                   r"bar\b", re.I),
        {
            "rsync": Way("P", ("--progress", "--info"), hint="--progress (or -P)"),
            "dd": Way(words=("status=progress",)),
            "cp": Way(hint="rsync --progress or pv can"),
        },
    ),
    Asked(
        "follow symbolic links",
        re.compile(r"\bfollow(?:ing)? (?:the |any |all )?(?:symbolic |sym|soft )?links?\b"
                   r"|\bfollow(?:ing)? symlinks\b|\bdereferenc", re.I),
        {
            "find": Way(words=("-L", "-follow")),
            **_each(("cp", "du", "ls"), _DEREFERENCE),
            "tar": Way("h", ("--dereference",)),
            "rsync": Way("L", ("--copy-links",)),
        },
    ),
    Asked(
        "follow redirects",
        re.compile(r"\bfollow(?:ing)? (?:any |all |the )?redirect", re.I),
        {"curl": Way("L", ("--location",))},
    ),
    Asked(
        "run it in the background",
        re.compile(r"\bin the background\b|\bdetached\b", re.I),
        _each(("docker run", "podman run"), Way("d", ("--detach",))),
    ),
    Asked(
        "put the largest first",
        re.compile(
            r"\b(?:largest|biggest|highest|most \w+) (?:\w+ )?first\b|\bdescending\b"
            r"|\bfrom (?:the )?(?:largest|biggest|highest|most) to\b",
            re.I,
        ),
        {"sort": Way("r", ("--reverse",))},
        needed=_compares_numbers_upwards,
    ),
    Asked(
        "sort by memory",
        re.compile(r"\b(?:sorted|sort|ordered|order) by (?:memory|mem|ram)\b", re.I),
        {"top": Way("o", ("--sort-override",), hint="-o %MEM")},
    ),
    Asked(
        "clone only the latest commit",
        re.compile(
            r"\bshallow\b|\bonly the (?:latest|last|most recent|newest) commit\b"
            r"|\bwithout (?:the |its )?(?:full |whole )?history\b",
            re.I,
        ),
        {"git clone": Way(longs=("--depth", "--shallow-since", "--shallow-exclude"),
                          hint="--depth 1")},
    ),
    Asked(
        "show the permissions in octal",
        re.compile(r"\bin octal\b|\boctal (?:form|notation|mode|permissions?)\b", re.I),
        {"ls": Way(hint="`stat -c '%a %n' FILE` shows them (ls only spells them out)")},
    ),
    Asked(
        "show it in a readable form",
        re.compile(
            r"\bhuman[- ]readable\b|\b(?:readable|pretty) (?:form|format|sizes?|units)\b", re.I
        ),
        {
            # df -H is --si, du -H and ls -H follow links; -m counts in MiB
            "df": Way("hHm", ("--human-readable", "--si", "--block-size")),
            "du": Way("hm", ("--human-readable", "--si", "--block-size")),
            "ls": Way("h", ("--human-readable", "--si")),
            "free": Way("hmg", ("--human", "--mega", "--giga", "--si")),
            "uptime": Way("p", ("--pretty",)),
        },
    ),
    Asked(
        "show sizes in gigabytes",
        re.compile(r"\bin (?:gigabytes|GB|GiB|gigs)\b", re.I),
        {
            **_each(("du", "df"), Way(longs=("--block-size",), hint="-BG (--block-size=G)")),
            "free": Way("g", ("--giga", "--gibi")),
            "ls": Way(longs=("--block-size",), hint="--block-size=G"),
        },
        needed=lambda simple: _block_size(simple.args) != "G",
    ),
    Asked(
        "show sizes in megabytes",
        re.compile(r"\bin (?:megabytes|MB|MiB|megs)\b", re.I),
        {
            **_each(("du", "df"), Way("m", ("--block-size",))),
            "free": Way("m", ("--mega", "--mebi")),
            "ls": Way(longs=("--block-size",), hint="--block-size=M"),
        },
        needed=lambda simple: _block_size(simple.args) != "M",
    ),
    Asked(
        "show the program using each socket",
        re.compile(
            r"\b(?:with|and) (?:the |their )?(?:programs?|process(?:es)?|pids?)(?: names?| ids?)?\b"
            r"(?= (?:using|that use|behind|listening|owning|holding)\b|$|[,.])",
            re.I,
        ),
        {"ss": Way("p", ("--processes",)), "netstat": Way("p", ("--program",))},
    ),
    Asked(
        "keep the changes in the working tree",
        re.compile(
            r"\bkeep(?:ing)? (?:my |the |all )?(?:local )?(?:changes|edits|work|modifications)\b"
            r"|\bwithout (?:losing|discarding) (?:my |the |any )?(?:changes|edits|work)\b",
            re.I,
        ),
        {
            "git reset": Way(spoils=("--hard",), hint="--soft or --mixed (--hard discards them)"),
            "git restore": Way("S", ("--staged",), spoils=("--worktree", "-W"),
                               hint="--staged (alone: it discards them)"),
            # given a file, checkout puts back the staged copy over the edits
            "git checkout": Way(hint="git restore --staged FILE unstages it and keeps the edits"),
        },
        needed=lambda simple: program_key(simple) != "git checkout" or _names_a_file(simple),
    ),
)
# fmt: on


def program_key(simple: Simple) -> str:
    """`git stash` for `git -C repo stash -u`, `tail` for tail: what the table is keyed by."""
    sub, _ = subcommand(simple.program, simple.args)
    return f"{simple.program} {sub}" if sub else simple.program


def check(request: str, command: str) -> str | None:
    """The first behaviour `request` asks for in words that the programs of `command` that
    could do it all leave out, as one line for the user and for the model; or None."""
    found = find(request, command)
    return found.message if found else None


def find(request: str, command: str) -> Finding | None:
    """check()'s problem, with the command that has the option when adding it is the whole
    fix: the first option of a way that needs no hint."""
    simples = parse(command).commands
    for asked in ASKED:
        if not says(asked.said, request):
            continue
        known = [
            (simple, key, asked.ways[key])
            for simple in simples
            if (key := program_key(simple)) in asked.ways and asked.needed(simple)
        ]
        if not known or any(way.taken(_option_words(simple)) for simple, _, way in known):
            continue
        _, key, way = known[0]
        if not way.possible:
            return Finding(f"the request asks to {asked.what}, which `{key}` cannot do; {way.told}")
        return Finding(f"the request asks to {asked.what}: `{key}` does that with {way.told}",
                       _with_option(command, key, way))  # fmt: skip
    return None


# tar's first word may be its old-style letters (`tar xvf a.tar`), after which a dashed
# option is read as a file name: the letter would have to join them.
_NOT_EDITED = frozenset({"tar"})


def _with_option(command: str, key: str, way: Way) -> str | None:
    """`command` with the way's first option after the program, when the option says it all:
    not for a way that needs a hint (`--depth 1`, `-BG`) or words (`-iname`)."""
    if way.hint or key in _NOT_EDITED:
        return None
    option = f"-{way.shorts[0]}" if way.shorts else next(iter(way.longs), "")
    return add_option(command, key, option) if option else None


def _option_words(simple: Simple) -> list[str]:
    """The words options are read from: tar's old style gives its first letters without a
    dash (`tar xkf a.tar` is `tar -xkf a.tar`)."""
    return tar_args(simple.args) if simple.program == "tar" else simple.args
