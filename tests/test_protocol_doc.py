"""docs/protocol.md is the contract: every example in it parses, the bad requests it shows
are refused with the error it shows, and its replies have the shape a running helper gives
(the helper's model is HelperScript, the documented test double in tests/helpers/scripted.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cmdai import __version__, protocol
from cmdai.display import blocked_message
from cmdai.safety import classify
from tests.helpers.helper_process import Helper

# Errors the request itself causes; the others (model, backend, …) depend on the helper's state.
PARSE_CODES = {protocol.BAD_FRAME, protocol.UNSUPPORTED_VERSION, protocol.UNKNOWN_OP,
               protocol.BAD_REQUEST}  # fmt: skip
DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def examples() -> list[tuple[str, dict]]:
    """(direction, frame) for every `→`/`←` line of the document, in order."""
    found = []
    for line in DOC.read_text().splitlines():
        if line.startswith(("→ ", "← ")):
            found.append((line[0], json.loads(line[2:])))
    return found


def exchanges() -> list[tuple[dict, list[dict]]]:
    """Each request with the replies the document shows for it."""
    pairs: list[tuple[dict, list[dict]]] = []
    for direction, frame in examples():
        if direction == "→":
            pairs.append((frame, []))
        elif pairs:
            pairs[-1][1].append(frame)
    return pairs


def test_the_document_has_examples_of_every_op_and_reply_type() -> None:
    frames = examples()
    assert {f["op"] for d, f in frames if d == "→"} >= set(protocol.OPS)
    assert {f["type"] for d, f in frames if d == "←"} == {"progress", "result", "error"}


def test_every_example_fits_in_a_frame() -> None:
    for _, frame in examples():
        assert protocol.decode(protocol.encode(frame)) == frame


def test_documented_errors_are_what_the_parser_says() -> None:
    for request, replies in exchanges():
        last = replies[-1]
        if last.get("code") not in PARSE_CODES:
            assert protocol.parse_request(request).op == request["op"]
            continue
        with pytest.raises(protocol.ProtocolError) as caught:
            protocol.parse_request(request)
        assert (caught.value.code, caught.value.message) == (last["code"], last["message"])


def test_error_codes_in_the_table_are_the_codes_in_the_code() -> None:
    text = DOC.read_text().split("| code | when |")[1]
    table = {line.split("`")[1] for line in text.splitlines() if line.startswith("| `")}
    codes = {v for k, v in vars(protocol).items() if k.isupper() and isinstance(v, str)
             and k not in ("SHELLS", "OPS")}  # fmt: skip
    assert table == codes - {protocol.CANCELLED}  # cancelled is never sent: its client is gone


def test_the_blocked_example_is_what_safety_says() -> None:
    request, replies = next(p for p in exchanges() if p[1] and p[1][-1].get("blocked"))
    blocked = replies[-1]
    verdict = classify(blocked["command"])
    assert (blocked["risk"], blocked["reason"], blocked["rule"]) == (
        verdict.level.label, verdict.reason, verdict.rule
    )  # fmt: skip
    assert blocked["action"] == "blocked"
    assert blocked["buffer"] == request["buffer"] and blocked["cursor"] == len(request["buffer"])
    assert blocked["message"].startswith(blocked_message(verdict, blocked["command"]))


def test_the_exit_table_lists_every_exit_status() -> None:
    text = DOC.read_text().split("| exit | meaning |")[1].split("\n\n")[0]
    table = {
        int(line.split("|")[1]) for line in text.splitlines() if line[:3].strip("| ").isdigit()
    }
    codes = {v for k, v in vars(protocol).items() if k.startswith("EXIT_")}
    assert table == codes


def test_a_running_helper_answers_in_the_documented_shapes(helper: Helper) -> None:
    for request, replies in exchanges():
        if request["op"] == "stop":
            continue  # done last, below
        documented = replies[-1]
        if documented["type"] == "error" and documented["code"] not in PARSE_CODES:
            continue  # the scripted helper has its model
        live = helper.raw(protocol.encode({**request, "client": __version__}))
        assert live[-1]["type"] == documented["type"]
        assert set(live[-1]) == set(documented), request
    stop_request, stop_replies = next(p for p in exchanges() if p[0]["op"] == "stop")
    live = helper.raw(protocol.encode({**stop_request, "client": __version__}))
    assert set(live[-1]) == set(stop_replies[-1])
