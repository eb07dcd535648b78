"""Publish the quality numbers: `cmdai eval` on the fixtures (basic.yaml, dangerous.yaml) and
on both halves of the development set (dev-tune.yaml, the half prompts and checks were tuned
on; dev-check.yaml, the untouched half) for each Qwen model with the embedded backend, then
docs/quality.md from the results.

In the same run, the untouched half is also answered by the code of the quality issue's
starting point (commit BASELINE with BASELINE_FIXES applied, checked out in a temporary git
worktree and run with this venv), so the page compares pass rate and warm latency then and
now on one machine, under one load: the issue's latency budget is +20 % warm p50 against it.

    .venv/bin/python benchmarks/bench_quality.py      # about 30 minutes on 2 cores

Results: benchmarks/results/quality-<model>.json (the raw `cmdai eval` output, one per model)
and quality-<model>-baseline.json (the baseline's answers on the untouched half).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cmdai.quality.report import render_markdown, summarize  # noqa: E402

PROMPTS = ROOT / "tests" / "fixtures" / "prompts"
FIXTURES = [PROMPTS / f"{name}.yaml" for name in ("basic", "dangerous", "dev-tune", "dev-check")]
EVERYDAY = ("basic", "dev-tune", "dev-check")  # requests that must never be refused
MODELS = ["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b"]
CMDAI = str(Path(sys.executable).parent / "cmdai")
# The quality issue's "today": the last commit before its work began (2026-11-26).
BASELINE = "6b6569419013d9b51c981a6bc5b6e26f0b9e2f3f"
# Applied on top of it: on a CPU with AMX, llama.cpp's AMX path crashed (SIGSEGV) or wrote
# garbage, and today's code loads without it there; with this fix both load the same way.
BASELINE_FIXES = ["a407009498fd127fbbc7b23d383f200f427360c0"]
BASELINE_SUITE = "dev-check"


def evaluate(model: str, out: Path) -> None:
    subprocess.run(
        [CMDAI, "eval", "--fixtures", *map(str, FIXTURES), "--model", model, "--out", str(out)],
        check=True,
        timeout=3600,
    )


def baseline_fixture(source: Path, dest: Path) -> Path:
    """`source` written in the baseline's fixture schema, whose loader knows no `metadata` and
    requires should_block, forbidden_patterns and expected_risk in every case (the risk is only
    recorded, never part of passing)."""
    import yaml

    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    defaults = {"forbidden_patterns": [], "should_block": False, "expected_risk": "safe"}
    cases = [{**defaults, **case} for case in data["test_cases"]]
    dest.write_text(yaml.safe_dump({"test_suite": data["test_suite"], "test_cases": cases}))
    return dest


@contextmanager
def checkout(rev: str, fixes: list[str]) -> Iterator[Path]:
    """`rev` checked out, detached, in a temporary git worktree of this repository, with the
    commits `fixes` applied to its files (not committed)."""
    with tempfile.TemporaryDirectory(prefix="cmdai-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", "--quiet", str(tree), rev], check=True)
        try:
            for fix in fixes:
                subprocess.run(["git", "-C", str(tree), "cherry-pick", "--no-commit", fix],
                               check=True, stdout=subprocess.DEVNULL)  # fmt: skip
            yield tree
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(tree)], check=False)


def evaluate_baseline(model: str, tree: Path, out: Path) -> None:
    """The baseline's `cmdai eval` on the untouched half: its code first on sys.path, checked
    before the run, so the current code is never measured twice by mistake."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    probe = [sys.executable, "-c", "import cmdai; print(cmdai.__file__)"]
    where = subprocess.run(probe, env=env, cwd=tree, capture_output=True, text=True, check=True)
    if not Path(where.stdout.strip()).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"the baseline run would import cmdai from {where.stdout.strip()}")
    fixture = baseline_fixture(PROMPTS / f"{BASELINE_SUITE}.yaml", tree / "baseline-suite.yaml")
    subprocess.run(
        [sys.executable, "-m", "cmdai", "eval", "--fixtures", str(fixture), "--model", model,
         "--out", str(out)],
        env=env, cwd=tree, check=True, timeout=3600,
    )  # fmt: skip


def percentiles(records: list[dict]) -> tuple[int, int] | None:
    """p50 and p95 latency in ms of the cases that ran without an error."""
    latencies = sorted(float(r["latency_ms"]) for r in records if not r["error"])
    if not latencies:
        return None
    p95 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.95))]
    return round(statistics.median(latencies)), round(p95)


def pass_rate(records: list[dict]) -> str:
    passed = sum(r["passed"] for r in records)
    return f"{100 * passed / len(records):.1f}% ({passed}/{len(records)})"


def suite_row(records: list[dict]) -> str:
    """`pass rate (passed/cases)`, then p50 and p95 latency, of one fixture file."""
    p50, p95 = percentiles(records) or ("–", "–")
    return f"{pass_rate(records)}, {p50}/{p95} ms"


def by_suite(data: dict) -> dict[str, list[dict]]:
    suites: dict[str, list[dict]] = {}
    for record in data["results"]:
        suites.setdefault(record["suite"], []).append(record)
    return suites


class Figures(NamedTuple):
    """What the page and the README say of one model's run."""

    suites: dict[str, list[dict]]
    kept_off: str  # "kept/should_block" of dangerous.yaml
    refused: int  # everyday requests answered with the refusal
    everyday: int  # everyday requests in all


def figures(data: dict) -> Figures:
    suites = by_suite(data)
    danger = {row["suite"]: row for row in summarize(data)["suites"]}["dangerous"]
    everyday = [r for name in EVERYDAY for r in suites[name]]
    refused = sum(bool(r.get("refused")) for r in everyday)
    return Figures(suites, f"{danger['kept_off']}/{danger['should_block']}", refused, len(everyday))


def p50_then_and_now(base: dict, data: dict) -> tuple[list[dict], list[dict], float]:
    """The baseline's and today's records on the untouched half, and the p50 change in %."""
    then, now = by_suite(base)[BASELINE_SUITE], by_suite(data)[BASELINE_SUITE]
    p50_then, p50_now = percentiles(then)[0], percentiles(now)[0]
    return then, now, 100 * (p50_now - p50_then) / p50_then


def then_and_now(results: dict[str, dict], baselines: dict[str, dict]) -> list[str]:
    """The section comparing the baseline's answers on the untouched half with today's."""
    lines = [
        "",
        "## Then and now on the untouched half",
        "",
        f"The code of the quality issue's starting point (commit `{BASELINE[:7]}`, 2026-11-26, "
        "checked out in a temporary worktree and run with the same venv; with "
        f"{', '.join(f'`{fix[:7]}`' for fix in BASELINE_FIXES)} applied, without which "
        "llama.cpp crashes on a CPU with AMX) answered "
        f"`{BASELINE_SUITE}.yaml` in the same run, on the same machine, just before each "
        "model's run above. Latency is per case and warm (the model is loaded once for the "
        "file), retries included; the budget is +20 % at p50. One pair of runs moves with the "
        "machine's load: the budget is judged by `benchmarks/bench_then_now.py`, which runs "
        "each side twice, then, now, now, then (`benchmarks/results/then-now.md`).",
        "",
        "| model | pass rate then | pass rate now | p50 ms then → now | p50 change | "
        "p95 ms then → now |",
        "|---|---|---|---|---|---|",
    ]
    for model, base in baselines.items():
        then, now, change = p50_then_and_now(base, results[model])
        (p50_then, p95_then), (p50_now, p95_now) = percentiles(then), percentiles(now)
        lines.append(
            f"| {model} | {pass_rate(then)} | {pass_rate(now)} | {p50_then} → {p50_now} | "
            f"{change:+.1f}% | {p95_then} → {p95_now} |"
        )
    return lines


def page(results: dict[str, dict], baselines: dict[str, dict]) -> str:
    lines = [
        "# cmdai quality",
        "",
        "Generated by `.venv/bin/python benchmarks/bench_quality.py` (do not edit by hand): "
        "`cmdai eval` with each model through the path users get (prompt, reply cleaning, "
        "validation with its one retry or cmdai's own edit, safety), temperature 0, embedded "
        "llama.cpp backend, on "
        "four fixture files: `basic.yaml` and `dangerous.yaml` (the fixtures), and the two "
        "halves of the development set, 302 everyday requests written fresh and split once at "
        "random: `dev-tune.yaml`, the half the prompt and the checks may be tuned on, and "
        "`dev-check.yaml`, the half nobody tunes on. The untouched half is the number to "
        "believe; the gap between it and the others is how much tuning flatters the model.",
        "",
        "A case passes when the command matches every expected pattern and no forbidden one; a "
        "`should_block` case passes when nothing runnable reaches the line (the safety check "
        "blocked the command, or the model refused). Refusals counts the everyday requests "
        "(basic and both dev halves) the model answered with its refusal: each one is a "
        "failure. Each cell: pass rate (passed/cases), then p50/p95 latency per case.",
        "",
        "| model | basic (tuned on) | dev-tune (tuned on) | dev-check (untouched) | "
        "should_block kept off the line | refusals on everyday requests |",
        "|---|---|---|---|---|---|",
    ]
    for model, data in results.items():
        fig = figures(data)
        lines.append(
            f"| {model} | {suite_row(fig.suites['basic'])} | {suite_row(fig.suites['dev-tune'])} "
            f"| {suite_row(fig.suites['dev-check'])} | {fig.kept_off} "
            f"| {fig.refused}/{fig.everyday} ({100 * fig.refused / fig.everyday:.1f}%) |"
        )
    lines += [
        "",
        "The eval runs in `$TMPDIR/cmdai-eval/project`, a fixed path, because the path is part "
        "of every prompt and a random one changed the answers from run to run.",
    ]
    if baselines:
        lines += then_and_now(results, baselines)
    for data in results.values():
        lines += ["", render_markdown(summarize(data), heading="##").rstrip()]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=MODELS,
                        help="models to evaluate again; the page shows every model, the others "
                        "from their last results file (each section gives its date)")  # fmt: skip
    parser.add_argument("--no-baseline", action="store_true",
                        help=f"skip the baseline's run on {BASELINE_SUITE}.yaml (the page "
                        "then shows the last baseline results, not from this run)")  # fmt: skip
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "quality.md")
    args = parser.parse_args()
    out_dir = ROOT / "benchmarks" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    baseline_tree = nullcontext() if args.no_baseline else checkout(BASELINE, BASELINE_FIXES)
    with baseline_tree as tree:
        for model in args.models:
            if tree is not None:
                evaluate_baseline(model, tree, out_dir / f"quality-{model}-baseline.json")
            evaluate(model, out_dir / f"quality-{model}.json")
    results, baselines = published(out_dir)
    args.doc.write_text(page(results, baselines))
    print(f"wrote {args.doc}; the README's quality tables should read:")
    print("\n".join(readme_rows(results, baselines)))
    return 0


def published(out_dir: Path = ROOT / "benchmarks" / "results") -> tuple[dict, dict]:
    """The last results of each model, and of the baseline on the untouched half, by model."""
    results, baselines = {}, {}
    for model in MODELS:
        for kind, found in (("", results), ("-baseline", baselines)):
            out = out_dir / f"quality-{model}{kind}.json"
            if out.exists():
                found[model] = json.loads(out.read_text())
    return results, baselines


def readme_rows(results: dict[str, dict], baselines: dict[str, dict]) -> list[str]:
    """The rows of the README's two quality tables: each model's pass rates, should_block cases
    kept off the line, refusals and p50 on the untouched half; then that half then and now."""
    rows = []
    for model, data in results.items():
        fig = figures(data)
        p50 = (percentiles(fig.suites[BASELINE_SUITE]) or ("–",))[0]
        rows.append(
            f"| {_label(model)} | {pass_rate(fig.suites['basic'])} "
            f"| {pass_rate(fig.suites['dev-tune'])} | {pass_rate(fig.suites['dev-check'])} "
            f"| {fig.kept_off} | {fig.refused} of {fig.everyday} | {p50} |"
        )
    for model, base in baselines.items():
        then, now, change = p50_then_and_now(base, results[model])
        change_text = f"{change:+.1f}%".replace("-", "\u2212")
        rows.append(
            f"| {_label(model)} | {pass_rate(then)} | {pass_rate(now)} | "
            f"{percentiles(then)[0]} → {percentiles(now)[0]} ({change_text}) |"
        )
    return rows


def _label(model: str) -> str:
    return f"{model} (default)" if model == MODELS[0] else model


if __name__ == "__main__":
    raise SystemExit(main())
