"""The HTML report in a real browser (headless Chromium): it renders offline, the summary
table is there with its numbers, and the histogram's bars are laid out with real sizes.

A copy of the page gets a small measuring script (the report itself has none) that writes
what the browser laid out into the document; `--dump-dom` then returns it."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from cmdai.quality.report import render
from tests.helpers.shells import require
from tests.quality.test_report import RESULTS

MEASURE = """<script>
const svg = document.querySelector('svg.histogram').getBoundingClientRect();
const bars = [...document.querySelectorAll('svg.histogram rect.bar')]
  .map(b => b.getBoundingClientRect().height);
const cells = [...document.querySelectorAll('#summary td')].map(td => td.textContent.trim());
const out = document.createElement('pre');
out.id = 'measured';
out.textContent = JSON.stringify({width: svg.width, height: svg.height, bars, cells,
                                  offline: performance.getEntriesByType('resource').length});
document.body.appendChild(out);
</script>"""


def browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return name
    require("chromium")  # fails under CI, skips elsewhere
    raise AssertionError("unreachable")


def test_report_renders_in_chromium(tmp_path: Path) -> None:
    page = render(RESULTS, "html").replace("</body>", MEASURE + "</body>")
    path = tmp_path / "report.html"
    path.write_text(page)
    result = subprocess.run(
        [browser(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    found = re.search(r'<pre id="measured">(.*?)</pre>', result.stdout, re.S)
    assert found, f"no measurement in the rendered page:\n{result.stderr[-2000:]}"
    measured = json.loads(found.group(1).replace("&quot;", '"'))
    assert measured["cells"][:3] == ["6", "4", "66.7%"]
    assert measured["width"] == pytest.approx(560) and measured["height"] == pytest.approx(200)
    drawn = [h for h in measured["bars"] if h > 0]
    assert len(measured["bars"]) == 12 and len(drawn) >= 3  # latencies fall into several bins
    assert max(measured["bars"]) == pytest.approx(160, abs=1)  # the tallest bar fills the plot
    assert measured["offline"] == 0  # nothing fetched: the page is self-contained
