"""commandline.parse against the real shells: lines built at random (fixed seeds) from bash,
zsh and fish constructs — separators written with and without spaces, subshells, groups,
substitutions of every kind, `case`, here-documents, comments, quoting — are run by the shell
with a marker program `mk` on PATH that records each run. Wherever the shell ran `mk`, parse
must find it among the line's commands: a command the shell runs and the classifier does not
see is a way past the safety check. (The reverse, a command found that the shell would not
run, only makes the classifier stricter, and is not checked.)

Only harmless programs run — `mk`, `echo`, `true`, `false`, `:`, `cat`, `diff`, and `mk`
through `env`, `nice`, `command`, `eval` and `bash -c`/`fish -c` — in a temporary directory
with an empty HOME. This check found `ls&&(rm -rf ~)`, `echo $(case …;; esac); rm -rf ~` and
here-documents ended by `EOF)` inside `$( )`, each rated safe before."""

from __future__ import annotations

import random
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cmdai.commandline import COMPUTED, parse
from tests.helpers.shells import require

LINES_PER_SHELL = 1500
POSIX_ATOMS = [
    "mk a", "\\mk b", "'mk' c", "m\\k d", '"mk" e', "command mk f", "env mk g", "nice mk h",
    "echo x", "true", "false", ":", "mk 'q;' i", "echo a#b", "echo ${x#y}", "echo $#",
    "echo 'it'\\''s'", "echo \\;", 'echo "|"', "echo $'a\\'b'", "mk '()' j", 'mk "((" \\)\\) k',
]  # fmt: skip
POSIX_SEPARATORS = [";", "&&", "||", "|", "&", "\n"]
FISH_ATOMS = [
    "mk a", "echo x", "true", "false", "mk 'q;' b", "echo a#b", "echo 'it\\'s'", "echo \\;",
    'echo "|"', "echo 'a\\\\'", "command mk c", "env mk d", "\\mk e", "'mk' f", "mk '()' g",
]  # fmt: skip
FISH_SEPARATORS = [";", "&&", "||", "|", "&", "\n", "; and", "; or"]


def _posix_forms(a: str) -> list[str]:
    """Ways bash and zsh run `a` (forms that would not parse with `a` in them are left out)."""
    forms = [
        f"( {a} )", f"({a})", f"{{ {a}; }}", f"echo $({a})", f'echo "$({a})"', f"v=$({a})",
        f"if true; then {a}; fi", f"if {a}; then :; fi", f"case x in x) {a};; esac",
        f"case x in (x) {a};; esac", f"echo $(case x in x) {a};; esac)", f"for i in 1; do {a}; done",
        f"f() {{ {a}; }}; f", f"((1))&&{a}", f"[[ -n x ]] && {a}", f"{a} # c", f"# c\n{a}",
        f"cat <<EOF\n$({a})\nEOF", f"cat <<'EOF'\nfoo)\nEOF\n{a}", f"time {a}", f"! {a}",
        f"{a} 2>&1", f"{a}>/dev/null", f"echo $(( 1<<2 )); {a}", f"(( x = 1 )) || {a}",
        f"while false; do :; done; {a}", f"until true; do :; done; {a}", f"x=1 {a}",
        f"{a} <<< 'h'", f"echo $(echo $({a}))", f"diff <({a}) <(echo)", f"echo ${{x:-$({a})}}",
        f'echo "${{x:-"$({a})"}}"', f"echo ${{x/$({a})/y}}", f"cat < <({a})", f"coproc {a}",
        f"select i in 1; do {a}; break; done <<< 1", f"function g {{ {a}; }}; g",
        f"[[ $({a}) ]]", f"cat <<-EOF\n\t$({a})\n\tEOF", f'cat <<< "$({a})"', f"{{ {a};}}",
        f"echo $(\n{a}\n)", f"echo ${{#x}}; {a}", f"echo ${{x:+'}}'}}; {a}",
        f'echo "$(echo ")")"; {a}', f"echo $(echo ')'); {a}", f'echo $(echo "("); {a}',
        f"echo $((1+(2))); {a}", f"a=( $({a}) )", f"echo {{1..2}}; {a}", f"echo \\\\\n; {a}",
        f"case x in\nx)\n{a}\n;;\nesac", f"case x in x|y) {a};; esac",
        f"case x in *\\)*) :;; *) {a};; esac", f"echo $(case x in x) :;; esac; {a})",
        f"if [ x ]; then :; elif true; then {a}; fi", f"g () {a}; g",
        f'echo "$(echo ${{x:-)}} ; {a})"', f"echo $(echo ${{x%)}}; {a})", f"echo ${{x:-${{y:-)}}}}; {a}",
    ]  # fmt: skip
    if "`" not in a:
        forms += [f"echo `{a}`", f'echo "`{a}`"']
    if "'" not in a:
        forms += [f"eval '{a}'", f"bash -c '{a}'"]
    if not a.startswith("("):
        forms.append(f"(({a}) )")  # two subshells: no `))` closes arithmetic
    return forms


def _fish_forms(a: str) -> list[str]:
    forms = [
        f"begin; {a}; end", f"echo ({a})", f"echo $({a})", f'echo "$({a})"', f"if true; {a}; end",
        f"if {a}; true; end", f"not {a}", f"for i in 1; {a}; end", f"while false; end; {a}",
        f"switch x; case x; {a}; end", f"switch x; case '*'; {a}; end",
        f"function g; {a}; end; g", f"{a} # c", f"# c\n{a}", f"set v ({a})", f"{a} 2>&1",
        f"{a} >/dev/null", f"time {a}", f"echo (echo ({a}))", f"echo '(' ; {a}",
        f"echo \\( ; {a}", f'echo "(" ; {a}', f"echo {{a,b}}; {a}", f"echo 'x\\' ' ; {a} ; echo ''",
    ]  # fmt: skip
    if "'" not in a:
        forms += [f"fish -c '{a}'", f"eval '{a}'"]
    return forms


def _generator(
    seed: int, atoms: list[str], separators: list[str], forms: Callable[[str], list[str]]
) -> Callable[[], str]:
    rng = random.Random(seed)

    def line(depth: int = 0) -> str:
        roll = rng.random()
        if depth > 3 or roll < 0.3:
            return rng.choice(atoms)
        if roll < 0.65:
            separator = rng.choice(separators)
            space = "" if separator == "\n" else rng.choice(["", " "])
            if separator.startswith(";"):  # fish's `; and`: a space after it
                return f"{line(depth + 1)}{separator} {line(depth + 1)}"
            return f"{line(depth + 1)}{space}{separator}{space}{line(depth + 1)}"
        return rng.choice(forms(line(depth + 1)))

    return line


SHELLS = {
    "bash": (["bash", "--norc", "--noprofile", "-c"], POSIX_ATOMS, POSIX_SEPARATORS, _posix_forms),
    "zsh": (["zsh", "-f", "-c"], POSIX_ATOMS, POSIX_SEPARATORS, _posix_forms),
    "fish": (["fish", "--no-config", "-c"], FISH_ATOMS, FISH_SEPARATORS, _fish_forms),
}


@pytest.fixture(scope="module")
def marker(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding `mk`, which appends its arguments to the file $MK_LOG names."""
    bin_dir = tmp_path_factory.mktemp("bin")
    mk = bin_dir / "mk"
    mk.write_text('#!/bin/sh\necho "$*" >> "$MK_LOG"\n')
    mk.chmod(0o755)
    return bin_dir


def _runs_mk(argv: list[str], line: str, marker: Path, home: Path, log: Path) -> bool:
    env = {"PATH": f"{marker}:/usr/bin:/bin", "MK_LOG": str(log), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home), "LC_ALL": "C.UTF-8"}  # fmt: skip
    # A `mk` sent to the background has run once `wait` returns; a coprocess may wait for
    # input that never comes, so a line with one is not waited for.
    script = line if "coproc" in line else f"{line}\nwait"
    try:
        subprocess.run([*argv, script], env=env, cwd=home, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)  # fmt: skip
    except subprocess.TimeoutExpired:
        return False  # a line that hangs tells nothing
    return log.exists()


@pytest.mark.parametrize("shell", list(SHELLS))
def test_every_command_the_shell_runs_is_found(shell: str, marker: Path, tmp_path: Path) -> None:
    argv, atoms, separators, forms = SHELLS[shell]
    require(argv[0])
    generate = _generator(20261205, atoms, separators, forms)
    fish = shell == "fish"
    missed, ran = [], 0
    for number in range(LINES_PER_SHELL):
        line = generate()
        if "mk" not in line:
            continue
        if not _runs_mk(argv, line, marker, tmp_path, tmp_path / f"log{number}"):
            continue
        ran += 1
        programs = {command.program for command in parse(line, fish=fish).commands}
        if "mk" not in programs and COMPUTED not in programs:
            missed.append(line)
    assert not missed, f"{shell} ran mk in lines where parse did not find it: {missed[:10]}"
    assert ran > LINES_PER_SHELL // 4, f"only {ran} lines ran mk: the generator is broken"


# Lines the random search found, each missed by parse before its fix.
FOUND: list[tuple[str, str]] = [
    ("bash", "ls&&(mk a)"),
    ("bash", "(false)||mk a"),
    ("bash", "((x=1));mk a"),
    ("bash", "((mk a) )"),
    ("bash", "echo $(case x in x) echo hi;; esac); mk a"),
    ("bash", 'echo "`case x in x|y) echo x;; esac`"; mk a'),
    ("bash", "[[ $(echo ${x:-$(cat <<-EOF\n\t$(false)\n\tEOF)}) ]] ; mk a"),
    ("bash", "echo $(case x in x) cat <<EOF\nhi\nEOF;; esac); mk a"),
    ("zsh", "cat < <(if case x in x|y) mk a;; esac; then :; fi) <<< 'h'"),
    ("zsh", "foo () mk a; foo"),  # zsh's function whose body is one simple command
    ("bash", 'echo "$(echo ${x:-)} ; mk a)"'),  # a `)` inside ${ } closes nothing
    ("fish", "fish -c \"echo 'a\\\\' ' ; mk a ; echo ''\""),
    ("fish", 'echo "$(switch x; case x; echo "|"; end)"; mk a'),  # fish's `case` has no `)`
]


@pytest.mark.parametrize(("shell", "line"), FOUND)
def test_lines_once_missed_are_found(shell: str, line: str, marker: Path, tmp_path: Path) -> None:
    argv = SHELLS[shell][0]
    require(argv[0])
    assert _runs_mk(argv, line, marker, tmp_path, tmp_path / "log"), "the shell no longer runs mk"
    assert "mk" in {command.program for command in parse(line, fish=shell == "fish").commands}
