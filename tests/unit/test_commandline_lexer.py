"""The tokenizer's fast path (plain words split without the shell lexer) gives exactly the
lexer's words, for every command of the safety table and for odd whitespace."""

from __future__ import annotations

import pytest

from cmdai.commandline import _cut_operator_runs, _lexer, _tokenize
from tests.fixtures.safety_cases import DANGEROUS, EVERYDAY

ODD = ["a\x0bb c", "ls\xa0-la", " a  b\t\tc\n", "rm\u2028-rf ~", "", "   ", "x=1 y=$HOME ~/*"]


@pytest.mark.parametrize("powershell", [False, True])
def test_the_fast_path_agrees_with_the_lexer(powershell: bool) -> None:
    for line in ODD + [command for _, command, _ in DANGEROUS + EVERYDAY]:
        try:
            expected = _cut_operator_runs(_lexer(line, powershell))
        except ValueError:  # unbalanced quotes: the lexer's own path reports it
            continue
        assert _tokenize(line, powershell) == expected, repr(line)


@pytest.mark.parametrize(
    ("run", "operators"),
    [
        ("&&(", ["&&", "("]),
        (");", [")", ";"]),
        (")||", [")", "||"]),
        ("));", ["))", ";"]),
        (";;&", [";;&"]),
        ("|&(", ["|&", "("]),
        (">&", [">&"]),
        ("&>>", ["&>>"]),
        (")>", [")", ">"]),
        ("()", ["()"]),
    ],
)
def test_a_run_of_operator_characters_is_cut_into_the_shells_operators(
    run: str, operators: list[str]
) -> None:
    """The lexer returns `ls&&(rm -rf ~)`'s `&&(` as one token; the shell reads two."""
    assert _cut_operator_runs([run]) == operators
