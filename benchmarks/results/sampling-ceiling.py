"""The experiment behind sampling-ceiling.md: how many cases could a chooser among several
answers win at most? Each request is answered greedily (the published run) and again with
sampling; a case counts for the ceiling when any of its answers passes.

    # `cmdai eval` with sampling (CMDAI_TEMPERATURE) and a fresh seed for every model call:
    # without one, llama.cpp's default seed makes every process draw the same samples
    CMDAI_TEMPERATURE=0.7 .venv/bin/python benchmarks/results/sampling-ceiling.py sample 1 \\
        --fixtures tests/fixtures/prompts/dev-tune.yaml --model qwen2.5-coder-1.5b --out s1.json
    # then, per fixture file: greedy, each sampled run, any of them, a majority vote
    .venv/bin/python benchmarks/results/sampling-ceiling.py tally dev-tune \\
        benchmarks/results/quality-qwen2.5-coder-1.5b.json s1.json s2.json
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any


def sample(seed: int, eval_args: list[str]) -> int:
    """Run `cmdai eval EVAL_ARGS` with each chat completion given the next seed of a
    generator seeded with SEED (so a run can be repeated)."""
    import llama_cpp

    from cmdai.entry import main

    seeds = random.Random(seed)
    original = llama_cpp.Llama.create_chat_completion

    def seeded(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["seed"] = seeds.randrange(1, 2**31)
        return original(self, *args, **kwargs)

    llama_cpp.Llama.create_chat_completion = seeded  # type: ignore[method-assign]
    sys.argv = ["cmdai", "eval", *eval_args]
    return main()


def cases(path: str, suite: str) -> dict[str, dict]:
    results = json.loads(Path(path).read_text())["results"]
    return {r["id"]: r for r in results if r["suite"] == suite}


def tally(suite: str, greedy_path: str, sampled_paths: list[str]) -> str:
    greedy = cases(greedy_path, suite)
    runs = [cases(path, suite) for path in sampled_paths]
    any_sampled = any_at_all = voted = 0
    for case_id, first in greedy.items():
        answers = [first] + [run[case_id] for run in runs]
        any_sampled += any(answer["passed"] for answer in answers[1:])
        any_at_all += any(answer["passed"] for answer in answers)
        # The most frequent command wins; on a tie, the greedy one (max keeps the first).
        votes = Counter(answer["generated_command"] for answer in answers)
        voted += max(answers, key=lambda answer: votes[answer["generated_command"]])["passed"]
    passed = [sum(r["passed"] for r in run.values()) for run in [greedy, *runs]]
    return (
        f"{suite} ({len(greedy)} cases): greedy {passed[0]}, sampled {passed[1:]}, "
        f"any sampled {any_sampled}, any of all {any_at_all}, majority vote {voted}"
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["sample"]:
        raise SystemExit(sample(int(sys.argv[2]), sys.argv[3:]))
    if sys.argv[1:2] == ["tally"]:
        print(tally(sys.argv[2], sys.argv[3], sys.argv[4:]))
        raise SystemExit(0)
    raise SystemExit(__doc__)
