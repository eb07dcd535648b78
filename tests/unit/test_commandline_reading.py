"""How commandline.parse reads a line's quoting: the commands found are the ones the shell
would run, word for word. The safety table (tests/fixtures/safety_cases.py) checks the verdicts
these readings lead to; this checks the readings themselves."""

from __future__ import annotations

import pytest

from cmdai.commandline import (
    COMPUTED,
    MAX_NESTING,
    SUBST,
    Step,
    find_exec_commands,
    parse,
    split_find_args,
    steps,
    subcommand,
)

# (line, [(program, args), …]) in the order parse gives them: the line's own commands, then
# those of each substitution, outermost first.
READINGS: list[tuple[str, list[tuple[str, list[str]]]]] = [
    # a `;` that is part of a word
    ("find . -exec rm {} \\; -print", [("find", [".", "-exec", "rm", "{}", ";", "-print"]),
                                       ("rm", ["{}"])]),
    ("find . -exec rm {} ';' | wc -l", [("find", [".", "-exec", "rm", "{}", ";"]),
                                        ("rm", ["{}"]), ("wc", ["-l"])]),
    ("echo 'a;b' \"c;d\" e\\;f", [("echo", ["a;b", "c;d", "e;f"])]),
    ("echo \\\\; ls", [("echo", ["\\"]), ("ls", [])]),  # an escaped backslash, then `;`
    ("echo 'x';'ls'", [("echo", ["x"]), ("ls", [])]),
    ("echo 'a ';' ' ls", [("echo", ["a "]), (" ", ["ls"])]),
    # newlines
    ("ls\npwd", [("ls", []), ("pwd", [])]),
    ("ls |\nwc -l", [("ls", []), ("wc", ["-l"])]),
    ("make &&\nmake install", [("make", []), ("make", ["install"])]),
    ("ls \\\n-la", [("ls", ["-la"])]),  # a backslash joins the lines
    ("echo 'two\nlines'", [("echo", ["two\nlines"])]),
    # `#`: a comment only at the start of a word; read both ways (zsh may not have comments)
    ("echo a#b ${x#y} $#", [("echo", ["a#b", "${x#y}", "$#"])]),
    ("ls -la # all", [("ls", ["-la"]), ("ls", ["-la", "#", "all"])]),
    ("ls # it's\npwd", [("ls", []), ("pwd", []), ("ls", ["#", "it", "s", "pwd"])]),
    # bash's $'…', where \' does not end the string
    ("echo $'it\\'s' ok", [("echo", ["it's", "ok"])]),
    ("echo $'a;b'", [("echo", ["a;b"])]),
    # substitutions, nested and quoted
    ("echo $(date)", [("echo", []), ("date", [])]),
    ("echo \"$(echo \")\")\"", [("echo", [f" {SUBST} "]), ("echo", [")"])]),
    ("echo \"|\" '>' \\& x", [("echo", ["|", ">", "&", "x"])]),  # quoted operators are words
    ("echo $(a $(b $(c)))", [("echo", []), ("a", []), ("b", []), ("c", [])]),
    ("echo `a \\`b\\``", [("echo", []), ("a", []), ("b", [])]),
    ("diff <(sort a) >(wc -l)", [("diff", []), ("sort", ["a"]), ("wc", ["-l"])]),
    ("echo $(unclosed", [("echo", []), ("unclosed", [])]),
    ("echo '$(not run)' \"$(run)\"", [("echo", ["$(not run)", f" {SUBST} "]), ("run", [])]),
    # here-documents: the text is the redirection's target; an unquoted one's $( ) runs
    ("cat <<'EOF'\nrm -rf /\nEOF\npwd", [("cat", []), ("pwd", [])]),
    ("cat <<EOF\n$(date)\nEOF", [("cat", []), ("date", [])]),
    ("cat <<-END | wc -l\n\tx; y\n\tEND", [("cat", []), ("wc", ["-l"])]),
    # operators written together are apart
    ("make&&(cd dist;ls)|wc -l", [("make", []), ("cd", ["dist"]), ("ls", []), ("wc", ["-l"])]),
    ("(ls)||pwd", [("ls", []), ("pwd", [])]),
    ("((n=1));pwd", [("((", ["n=1", "))"]), ("pwd", [])]),  # arithmetic stays one word
    ("((ls) )", [("ls", [])]),  # no `))`: two subshells
    ("f () ls -la; f", [("ls", ["-la"]), ("f", [])]),  # zsh: a one-command function body
    ("ls '()' \\(\\)", [("ls", ["()", "()"])]),  # quoted, they are words
    # `case` inside $( ): its patterns' `)` end no substitution
    ("v=$(case $1 in a) echo A;; esac); pwd", [("pwd", []), ("echo", ["A"])]),
    ("echo $(echo case x) y", [("echo", ["y"]), ("echo", ["case", "x"])]),  # not a `case`
    # `!` negates only where a command starts; elsewhere it is a word (find's and test's "not")
    ("find / ! -name x -delete", [("find", ["/", "!", "-name", "x", "-delete"])]),
    ("find . -exec test ! -e {} \\; -print", [("find", [".", "-exec", "test", "!", "-e", "{}",
                                                       ";", "-print"]),
                                               ("test", ["!", "-e", "{}"])]),
    ("[ ! -d b ] || ! rm -r b", [("[", ["!", "-d", "b", "]"]), ("rm", ["-r", "b"])]),
    ("ls | ! grep -q x", [("ls", []), ("grep", ["-q", "x"])]),
    # `command -v`/`-V` looks a program up and runs nothing
    ("command -v jq", [("command", ["-v", "jq"])]),
    ("command -pV rm", [("command", ["-pV", "rm"])]),
    ("command -p rm -rf x", [("rm", ["-rf", "x"])]),
]  # fmt: skip


@pytest.mark.parametrize(("line", "expected"), READINGS, ids=[r[0] for r in READINGS])
def test_parse_finds_the_commands_the_shell_runs(
    line: str, expected: list[tuple[str, list[str]]]
) -> None:
    assert [(c.program, c.args) for c in parse(line).commands] == expected


def test_a_here_documents_text_is_its_redirection_target() -> None:
    (cat, wc) = parse("cat <<-'END' | wc -l\n\tone; two\n\tEND\n").commands
    assert cat.redirects == [("<<", "\tone; two\n")]
    assert wc.program == "wc" and wc.pipe_from is cat
    (cat,) = parse("cat <<EOF").commands  # no text yet: the end word stands in
    assert cat.redirects == [("<<", "EOF")]


def test_only_an_unbalanced_quote_is_a_parse_error() -> None:
    assert parse("echo 'a;b' $'c\\'d' \"e\\\"f\"").parse_error is None
    assert parse("ls -la  # it's the long listing").parse_error is None  # bash reads a comment
    assert parse("echo 'unclosed; rm -rf ~").parse_error
    (echo, rm) = parse("echo 'a\\';rm -rf ~;'").commands  # read without quotes: rm is seen
    assert (echo.program, rm.program) == ("echo", "rm")


def test_steps_leave_out_comments_and_keep_substitutions_as_written() -> None:
    found, substitutions = steps("find . -name '*.o' -exec rm {} \\; # clean up\nls $(pwd)")
    assert found == [
        Step(["find", ".", "-name", "*.o", "-exec", "rm", "{}", "\\;"], [], ";"),
        Step(["ls"], [], ""),
    ]
    assert substitutions == ["pwd"]
    assert steps("echo $(a $(b))")[1] == ["a $(b)", "b"]


def test_steps_say_which_read_a_pipe_and_which_sit_in_a_group() -> None:
    """A group's parentheses and braces are separators, not words: each step says whether it
    is inside one, and whether a pipe feeds it, also from a group (`( … ) | sort`)."""
    found, _ = steps("ls && (cd src; ls) | sort; { wc -l; } < f")
    assert [(s.words, s.piped, s.grouped) for s in found] == [
        (["ls"], False, False),
        (["cd", "src"], False, True),
        (["ls"], False, True),
        (["sort"], True, False),
        (["wc", "-l"], False, True),
        ([], False, False),
    ]


@pytest.mark.parametrize(
    ("args", "starting_points", "expression"),
    [(["/", "-delete"], ["/"], ["-delete"]), (["-L", "/", "-delete"], ["/"], ["-delete"]),
     (["-H", "-P", "-D", "tree", "-O3", "src", "lib"], ["src", "lib"], []),
     ([".", "(", "-name", "a", ")"], ["."], ["(", "-name", "a", ")"]),
     (["~", "!", "-name", "keep"], ["~"], ["!", "-name", "keep"]),
     (["-name", "x"], [], ["-name", "x"]), ([], [], [])],
)  # fmt: skip
def test_find_reads_its_leading_options_then_starting_points_then_the_expression(
    args: list[str], starting_points: list[str], expression: list[str]
) -> None:
    assert split_find_args(args) == (starting_points, expression)


@pytest.mark.parametrize(
    ("program", "args", "sub", "rest"),
    [("git", ["stash", "-u"], "stash", ["-u"]),
     ("git", ["-C", "repo", "reset", "--hard"], "reset", ["--hard"]),
     ("git", ["-c", "user.name=x", "--no-pager", "log", "-n", "5"], "log", ["-n", "5"]),
     ("git", ["--git-dir=.git", "push", "-f"], "push", ["-f"]),
     ("git", ["--version"], "", ["--version"]), ("git", [], "", []),
     ("git", ["-C", "repo", "--", "x"], "", ["-C", "repo", "--", "x"]),
     ("docker", ["-H", "tcp://h:2375", "rmi", "img"], "rmi", ["img"]),
     ("kubectl", ["-n", "web", "logs", "-f", "api"], "logs", ["-f", "api"]),
     ("ip", ["-br", "address", "show"], "address", ["show"]),
     ("ls", ["-l", "src"], "", ["-l", "src"])],  # not run by subcommand
)  # fmt: skip
def test_a_subcommand_is_read_after_the_global_options_before_it(
    program: str, args: list[str], sub: str, rest: list[str]
) -> None:
    assert subcommand(program, args) == (sub, rest)


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["-exec", "rm", "{}", ";", "-exec", "echo", "{}", "+"], [["rm", "{}"], ["echo", "{}"]]),
     (["-name", "x", "-execdir", "gzip", "{}", "+"], [["gzip", "{}"]]),
     (["-exec", "find", "-exec", "rm", "{}", ";", ";"], [["find", "-exec", "rm", "{}"]]),
     (["-exec", "sh", "-c", "x"], [["sh", "-c", "x"]]),  # no end: the rest
     (["-exec", ";"], [])],
)  # fmt: skip
def test_find_runs_each_exec_command_once(args: list[str], expected: list[list[str]]) -> None:
    assert find_exec_commands(args) == expected


def test_commands_run_by_commands_are_read_a_few_levels_deep() -> None:
    """`sudo sh -c "find . -exec sh -c 'rm …'"` is read to the rm; past MAX_NESTING levels
    the command is one whose program is known only when it runs. Each level was read again
    for every -exec after it (2**n commands for n nested finds: 30 would make a billion),
    and a thousand `eval`s exhausted Python's stack."""
    nested = "sudo sh -c \"find . -exec sh -c 'rm -rf {}' \\; \""
    assert "rm" in [c.program for c in parse(nested).commands]
    for line in ("find -exec " * 900 + "| xargs", "eval " * 2000 + "rm -rf /"):
        commands = parse(line).commands
        assert len(commands) <= MAX_NESTING + 3
        assert COMPUTED in [c.program for c in commands]
