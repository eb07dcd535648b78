"""TROUBLESHOOTING.md lists every message cmdai can print, with its cause and its fix. The
messages are read from the code: every error raised (cmdai.errors' classes and the client's),
every error frame the helper sends, every line the hook prints on its own, and the fixed
messages of display.py. A formatted part of a message is written `…` in the document."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "cmdai"
DOC = REPO / "TROUBLESHOOTING.md"


def _classes(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.ClassDef)}


ERROR_CLASSES = (
    _classes(PACKAGE / "errors.py")
    | (_classes(PACKAGE / "client.py") - {"ClientError"})
    | _classes(PACKAGE / "transport.py")
)


def template(node: ast.AST) -> str | None:
    """A message as written in the code, each formatted value as `…` (None: not a literal)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "…" for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = template(node.left), template(node.right)
        return None if left is None or right is None else left + right
    return None


def _message_argument(call: ast.Call) -> ast.AST | None:
    func = call.func
    name = (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else ""
    )
    if name in ERROR_CLASSES and call.args:
        return call.args[0]
    if name == "error" and isinstance(func, ast.Attribute) and len(call.args) > 1:
        return call.args[1]  # protocol.error(code, message, hint)
    if name == "fail" and call.args:
        return call.args[0]  # the hook's status.fail(message, exit status)
    return None


def messages() -> dict[str, str]:
    """Every literal message template -> where it is written."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            argument = _message_argument(node) if isinstance(node, ast.Call) else None
            if (
                argument is None
                and isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id.endswith("_MESSAGE") for t in node.targets)
            ):
                argument = node.value
            text = template(argument) if argument is not None else None
            # A message of its own words, not one that only wraps others (f"{name} {reason}").
            if text and len(re.findall(r"[a-zA-Z]", text)) >= 3:
                found.setdefault(text, f"{path.relative_to(REPO)}:{node.lineno}")
    return found


def normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_the_extraction_finds_the_messages_it_should() -> None:
    found = messages()
    assert "the request is empty" in found  # an error
    assert "the helper hung up before answering" in found  # a client error
    assert "the helper is serving … connections already" in found  # a helper error frame
    assert "cancelled; your line is unchanged" in found  # the hook's own
    assert len(found) > 100


def test_every_message_is_in_troubleshooting() -> None:
    doc = normalised(DOC.read_text())
    missing = [f"{text!r} ({where})" for text, where in sorted(messages().items())
               if normalised(text) not in doc]  # fmt: skip
    assert missing == [], "add these to TROUBLESHOOTING.md:\n" + "\n".join(missing)
