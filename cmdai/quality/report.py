"""`cmdai report`: turn `cmdai eval` results into markdown, JSON or one self-contained HTML page
(inline CSS, a latency histogram drawn as inline SVG, no network)."""

from __future__ import annotations

import html
import json
import statistics
from collections import defaultdict
from typing import Any

from cmdai.errors import UsageError

FIELDS: dict[str, type | tuple[type, ...]] = {
    "id": str, "prompt": str, "category": str, "generated_command": str, "passed": bool,
    "failures": list, "error": str, "expected_risk": str, "risk": str, "blocked": bool,
    "should_block": bool, "latency_ms": (int, float),
}  # fmt: skip
HISTOGRAM_BINS = 12


class ReportError(UsageError):
    """Results that cannot be reported on; the message names where."""


# --- input ------------------------------------------------------------------------------------


def parse(text: str, source: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReportError(f"{source}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{source}: expected a JSON object with metadata and results")
    if not isinstance(data.get("metadata"), dict):
        raise ReportError(f"{source}: metadata: missing or not an object")
    if not isinstance(data.get("results"), list):
        raise ReportError(f"{source}: results: missing or not a list")
    for index, record in enumerate(data["results"]):
        _check_record(record, f"{source}: results[{index}]")
    return data


def _check_record(record: Any, where: str) -> None:
    if not isinstance(record, dict):
        raise ReportError(f"{where}: expected an object")
    for name, kind in FIELDS.items():
        if name not in record:
            raise ReportError(f"{where}.{name}: missing")
        value = record[name]
        wrong_bool = isinstance(value, bool) and kind is not bool
        if not isinstance(value, kind) or wrong_bool:
            expected = kind.__name__ if isinstance(kind, type) else "a number"
            raise ReportError(f"{where}.{name}: expected {expected}, got {value!r}")
    optional = (("retry_reason", str), ("first_command", str), ("first_passed", bool),
                ("repaired", str))  # fmt: skip
    for name, kind in optional:
        if name in record and not isinstance(record[name], kind):  # older results lack them
            raise ReportError(f"{where}.{name}: expected {kind.__name__}, got {record[name]!r}")
    if record["latency_ms"] < 0:
        raise ReportError(f"{where}.latency_ms: must not be negative")


# --- numbers ----------------------------------------------------------------------------------


def summarize(data: dict[str, Any]) -> dict[str, Any]:
    records = data["results"]
    latencies = [float(r["latency_ms"]) for r in records if not r["error"]]
    blockable = [r for r in records if r["should_block"]]
    judged = [r for r in records if not r["error"] and not r.get("refused") and r["expected_risk"]]
    return {
        "metadata": data["metadata"],
        "total": len(records),
        "passed": sum(r["passed"] for r in records),
        "errors": sum(bool(r["error"]) for r in records),
        "pass_rate": _rate(sum(r["passed"] for r in records), len(records)),
        "should_block": len(blockable),
        "blocked": sum(r["blocked"] for r in blockable),
        "refused": sum(bool(r.get("refused")) for r in blockable),
        "block_rate": _rate(sum(_kept_off(r) for r in blockable), len(blockable)),
        "risk_agreement": _rate(sum(r["risk"] == r["expected_risk"] for r in judged), len(judged)),
        "latency_ms": _latency(latencies),
        "categories": _categories(records),
        "suites": _suites(records),
        "failed": [r for r in records if not r["passed"]],
        "latencies": latencies,
    }


def _kept_off(record: dict[str, Any]) -> bool:
    """Nothing runnable reached the line: blocked by safety, or refused by the model."""
    return bool(record["blocked"] or record.get("refused"))


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _latency(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    return {
        "mean": round(statistics.fmean(ordered)), "p50": round(pct(50)), "p95": round(pct(95)),
        "p99": round(pct(99)), "max": round(ordered[-1]),
    }  # fmt: skip


def _categories(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[record["category"]].append(record)
    rows = []
    for name in sorted(groups):
        group = groups[name]
        passed = sum(r["passed"] for r in group)
        times = [float(r["latency_ms"]) for r in group if not r["error"]]
        rows.append({
            "category": name, "cases": len(group), "passed": passed,
            "pass_rate": _rate(passed, len(group)), "p50_ms": _latency(times)["p50"],
        })  # fmt: skip
    return rows


def _suites(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per fixture file: the pass rate and, where it has should_block cases, the block rate."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[str(record.get("suite", "?"))].append(record)
    rows = []
    for name, group in groups.items():
        passed = sum(r["passed"] for r in group)
        blockable = [r for r in group if r["should_block"]]
        retried = [r for r in group if r.get("retry_reason")]  # absent in older results
        judged = [r for r in retried if "first_passed" in r]  # results before it lack it
        edited = [r for r in group if r.get("repaired")]
        rows.append({
            "suite": name, "cases": len(group), "passed": passed,
            "pass_rate": _rate(passed, len(group)), "should_block": len(blockable),
            "kept_off": sum(_kept_off(r) for r in blockable), "retried": len(retried),
            "retried_passed": sum(r["passed"] for r in retried),
            "retry_fixed": sum(r["passed"] and not r["first_passed"] for r in judged),
            "retry_broke": sum(r["first_passed"] and not r["passed"] for r in judged),
            "edited": len(edited),
            "edited_passed": sum(r["passed"] for r in edited),
            "retry_judged": len(judged) == len(retried),
        })  # fmt: skip
    return rows


def _kept_cell(row: dict[str, Any]) -> str:
    return f"{row['kept_off']}/{row['should_block']}" if row["should_block"] else "–"


def _retried_cell(row: dict[str, Any]) -> str:
    """Cases where a check sent the model back once, how many of them passed in the end, and
    (in results that judge the first answer too) how many the retry fixed and broke; then the
    answers cmdai edited itself (the check knew the fix), before or after a retry."""
    edited = (f"; {row['edited']} edited by cmdai ({row['edited_passed']} passed)"
              if row.get("edited") else "")  # fmt: skip
    if not row["retried"]:
        return f"0{edited}"
    if not row.get("retry_judged"):
        return f"{row['retried']} ({row['retried_passed']} passed){edited}"
    return (f"{row['retried']} ({row['retried_passed']} passed; the retry fixed "
            f"{row['retry_fixed']}, broke {row['retry_broke']}){edited}")  # fmt: skip


def _reason(record: dict[str, Any]) -> str:
    why = record["error"] or "; ".join(record["failures"]) or "failed"
    first = (record.get("first_command") or "?").replace("`", "'")
    edited = f"edited by cmdai: {record['repaired']}" if record.get("repaired") else ""
    if record.get("retry_reason"):  # did the retry make it worse? the first answer says
        then = f"; then {edited}" if edited else ""
        why += f" (retried: {record['retry_reason']}; first answer `{first}`{then})"
    elif edited:
        why += f" ({edited}; the model's answer `{first}`)"
    return why


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}%"


# --- renderers --------------------------------------------------------------------------------


def render(data: dict[str, Any], fmt: str) -> str:
    summary = summarize(data)
    if fmt == "json":
        return json.dumps({k: v for k, v in summary.items() if k != "latencies"}, indent=2) + "\n"
    if fmt == "html":
        return render_html(summary)
    return render_markdown(summary)


def _file_metadata(fixture: dict[str, Any], limit: int = 200) -> str:
    """A fixture file's own `metadata` section, compact: `; key: value, …`."""
    if not fixture.get("metadata"):
        return ""
    pairs = fixture["metadata"].items()
    text = ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in pairs)
    return "; " + (text if len(text) <= limit else text[: limit - 1] + "…")


def render_markdown(s: dict[str, Any], heading: str = "#") -> str:
    meta = s["metadata"]
    lat = s["latency_ms"]
    lines = [
        f"{heading} cmdai quality: {meta.get('model', '?')} ({meta.get('backend', '?')})",
        "",
        f"- date: {meta.get('date', '?')}; machine: {meta.get('machine', '?')}",
        f"- model sha256: `{meta.get('sha256', '?')}`; cmdai {meta.get('cmdai', '?')}",
        "- fixtures: "
        + ", ".join(
            f"{f['name']} v{f['version']} ({f['cases']} cases{_file_metadata(f)})"
            for f in meta.get("fixtures", [])
        ),
        "",
        "| cases | passed | pass rate | errors | blocked (should_block) | risk agreement |",
        "|---|---|---|---|---|---|",
        f"| {s['total']} | {s['passed']} | {_pct(s['pass_rate'])} | {s['errors']} | "
        f"{s['blocked'] + s['refused']}/{s['should_block']} ({_pct(s['block_rate'])}; "
        f"{s['refused']} refused by the model) | {_pct(s['risk_agreement'])} |",
        "",
        "| fixture file | cases | passed | pass rate | should_block kept off the line | retried |",
        "|---|---|---|---|---|---|",
        *[
            f"| {r['suite']} | {r['cases']} | {r['passed']} | {_pct(r['pass_rate'])} | "
            f"{_kept_cell(r)} | {_retried_cell(r)} |"
            for r in s["suites"]
        ],
        "",
        "| latency ms | mean | p50 | p95 | p99 | max |",
        "|---|---|---|---|---|---|",
        f"| per case | {lat['mean']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | {lat['max']} |",
        "",
        "| category | cases | passed | pass rate | p50 ms |",
        "|---|---|---|---|---|",
    ]
    for row in s["categories"]:
        lines.append(
            f"| {row['category']} | {row['cases']} | {row['passed']} | {_pct(row['pass_rate'])} "
            f"| {row['p50_ms']} |"
        )
    lines += ["", f"{heading}# Failed cases", ""]
    if not s["failed"]:
        lines.append("None.")
    for r in s["failed"]:
        command = r["generated_command"].replace("`", "'")
        lines.append(f"- **{r['id']}**: {r['prompt']} → `{command}`: {_reason(r)}")
    return "\n".join(lines) + "\n"


def histogram_svg(latencies: list[float], width: int = 560, height: int = 200) -> str:
    """An inline SVG bar chart of latencies (ms), with axis labels."""
    if not latencies:
        return '<svg class="histogram" width="560" height="40"><text y="24">no data</text></svg>'
    low, high = min(latencies), max(latencies)
    span = (high - low) or 1.0
    counts = [0] * HISTOGRAM_BINS
    for value in latencies:
        counts[min(HISTOGRAM_BINS - 1, int((value - low) / span * HISTOGRAM_BINS))] += 1
    left, bottom, top = 40, height - 30, 10
    bar_width = (width - left - 10) / HISTOGRAM_BINS
    tallest = max(counts)
    parts = [
        f'<svg class="histogram" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" role="img" aria-label="latency histogram">',
        f'<line x1="{left}" y1="{bottom}" x2="{width - 10}" y2="{bottom}" stroke="#444"/>',
        f'<text x="4" y="{top + 10}" font-size="11">{tallest}</text>',
        f'<text x="{left}" y="{height - 8}" font-size="11">{low:.0f} ms</text>',
        f'<text x="{width - 10}" y="{height - 8}" font-size="11" text-anchor="end">'
        f"{high:.0f} ms</text>",
        f'<text x="{(left + width) / 2:.0f}" y="{height - 8}" font-size="11" '
        'text-anchor="middle">latency per case</text>',
        f'<text x="4" y="{bottom}" font-size="11">0</text>',
    ]
    for index, count in enumerate(counts):
        bar_height = (bottom - top) * count / tallest
        x = left + index * bar_width
        start = low + span * index / HISTOGRAM_BINS
        parts.append(
            f'<rect class="bar" x="{x + 1:.1f}" y="{bottom - bar_height:.1f}" '
            f'width="{bar_width - 2:.1f}" height="{bar_height:.1f}" fill="#3b73b9">'
            f"<title>{count} cases from {start:.0f} ms</title></rect>"
        )
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; }
th { background: #f2f2f2; } code { background: #f6f6f6; padding: 0 .2rem; }
.fail { color: #a00; }
"""


def render_html(s: dict[str, Any]) -> str:
    e = html.escape
    meta = s["metadata"]
    lat = s["latency_ms"]
    rows = "".join(
        f"<tr><td>{e(r['category'])}</td><td>{r['cases']}</td><td>{r['passed']}</td>"
        f"<td>{_pct(r['pass_rate'])}</td><td>{r['p50_ms']}</td></tr>"
        for r in s["categories"]
    )
    failed = (
        "".join(
            f"<tr><td>{e(r['id'])}</td><td>{e(r['prompt'])}</td>"
            f"<td><code>{e(r['generated_command'])}</code></td>"
            f"<td class='fail'>{e(_reason(r))}</td></tr>"
            for r in s["failed"]
        )
        or "<tr><td colspan='4'>None.</td></tr>"
    )
    suites = "".join(
        f"<tr><td>{e(r['suite'])}</td><td>{r['cases']}</td><td>{r['passed']}</td>"
        f"<td>{_pct(r['pass_rate'])}</td>"
        f"<td>{_kept_cell(r)}</td><td>{_retried_cell(r)}</td></tr>"
        for r in s["suites"]
    )
    title = f"cmdai quality: {meta.get('model', '?')} ({meta.get('backend', '?')})"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>{STYLE}</style></head>
<body>
<h1>{e(title)}</h1>
<p>{e(str(meta.get("date", "?")))} · {e(str(meta.get("machine", "?")))} ·
sha256 <code>{e(str(meta.get("sha256", "?")))}</code></p>
<table id="summary"><tr><th>cases</th><th>passed</th><th>pass rate</th><th>errors</th>
<th>blocked (should_block)</th><th>risk agreement</th></tr>
<tr><td>{s["total"]}</td><td>{s["passed"]}</td><td>{_pct(s["pass_rate"])}</td>
<td>{s["errors"]}</td><td>{s["blocked"] + s["refused"]}/{s["should_block"]}
({_pct(s["block_rate"])})</td><td>{_pct(s["risk_agreement"])}</td></tr></table>
<table id="suites"><tr><th>fixture file</th><th>cases</th><th>passed</th><th>pass rate</th>
<th>should_block kept off the line</th><th>retried</th></tr>{suites}</table>
<h2>Latency</h2>
<table id="latency"><tr><th>mean</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>
<tr><td>{lat["mean"]}</td><td>{lat["p50"]}</td><td>{lat["p95"]}</td><td>{lat["p99"]}</td>
<td>{lat["max"]}</td></tr></table>
{histogram_svg(s["latencies"])}
<h2>By category</h2>
<table id="categories"><tr><th>category</th><th>cases</th><th>passed</th><th>pass rate</th>
<th>p50 ms</th></tr>{rows}</table>
<h2>Failed cases</h2>
<table id="failed"><tr><th>id</th><th>prompt</th><th>command</th><th>why</th></tr>{failed}</table>
</body></html>
"""
