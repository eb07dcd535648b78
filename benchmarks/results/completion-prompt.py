"""The experiment behind completion-prompt.md: each request as a comment in a shell script,
the model (raw completion, no chat template) writing the line after it. Prints each case and
the pass count; scored with the same patterns and safety check as `cmdai eval`, without the
validation retry.

    PYTHONPATH=. .venv/bin/python benchmarks/results/completion-prompt.py \\
        qwen2.5-coder-1.5b tests/fixtures/prompts/dev-tune.yaml
"""

from __future__ import annotations

import sys
from pathlib import Path

from cmdai.config import load_config
from cmdai.errors import GenerationError
from cmdai.generate import open_backend
from cmdai.prompting import (
    FEW_SHOT,
    GIT_ONE_LINE,
    IDIOM_SHOTS,
    NO_IDIOM_SHOTS,
    clean_reply,
    is_refusal,
    relative_to_cwd,
)
from cmdai.quality import fixtures
from cmdai.quality.runner import eval_workdir, failures
from cmdai.safety import Action, action_for, classify


def script_head(model: str) -> str:
    """The same examples the chat prompt shows this model (the POSIX ones), as a script."""
    shots = [s for s in FEW_SHOT if s[0] in ("bash", "zsh") and s != GIT_ONE_LINE]
    if model not in NO_IDIOM_SHOTS:
        shots += IDIOM_SHOTS
    lines = [
        "#!/bin/bash",
        "# One-line shell commands for Linux. Each comment is a request in plain English;",
        "# the line after it is the one command that does exactly what it asks, using the",
        "# programs, options, files and numbers the request names.",
        "# The commands run in /home/ana/project.",
        "",
    ]
    for _, request, command in (*shots, GIT_ONE_LINE):
        lines += [f"# {request}", command, ""]
    return "\n".join(lines)


def main(model: str, fixture: str) -> None:
    config = load_config({"model": model})
    llama = open_backend(config)._llama  # type: ignore[attr-defined]
    cwd = str(eval_workdir())
    head = script_head(model)
    suite = fixtures.load(Path(fixture))
    passed = 0
    for case in suite.cases:
        reply = llama.create_completion(
            f"{head}# {case.prompt}\n", max_tokens=96, temperature=0, stop=["\n"]
        )
        try:
            command = relative_to_cwd(clean_reply(reply["choices"][0]["text"]), cwd)
        except GenerationError:
            command = ""
        verdict = classify(command, case.shell, config.safety_policy(), cwd=cwd)
        outcome = {
            "blocked": action_for(verdict, config.safety_mode) is Action.BLOCK,
            "refused": is_refusal(command),
            "confirm": action_for(verdict) >= Action.CONFIRM,
        }
        ok = not failures(case, command, outcome)
        passed += ok
        print(f"{'PASS' if ok else 'fail'} {case.id} | {command}", flush=True)
    print(f"{model} {suite.name}: {passed}/{len(suite.cases)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
