"""Write a release's version, URLs and sha256 values into Formula/cmdai.rb.

    python scripts/update_formula.py 0.2.0 dist/cmdai-0.2.0.tar.gz \\
        wheelhouse/cmdai-0.2.0-wheelhouse-macos-arm64.tar.gz \\
        wheelhouse/cmdai-0.2.0-wheelhouse-macos-x86_64.tar.gz [--formula PATH]

Each `url` line names one of the release's files by its name; the `sha256` line after it gets
that file's hash. A file the formula does not name, or a URL no file matches, is an error.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from pathlib import Path

FORMULA = Path(__file__).resolve().parents[1] / "Formula" / "cmdai.rb"
URL = re.compile(r'^(\s*url ")(.*/releases/download/)v[^/]+/([^"]+)(")', re.M)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def generic_name(name: str) -> str:
    """`cmdai-0.2.0-wheelhouse-macos-arm64.tar.gz` -> `cmdai-VERSION-wheelhouse-…`."""
    return re.sub(r"^cmdai-[^-]+(?=-|\.tar\.gz$)", "cmdai-VERSION", name)


def update(text: str, version: str, files: list[Path]) -> str:
    by_name = {generic_name(f.name): f for f in files}
    lines = text.splitlines(keepends=True)
    used: set[str] = set()
    for index, line in enumerate(lines):
        match = URL.match(line)
        if not match:
            continue
        wanted = generic_name(match.group(3))
        if wanted not in by_name:
            raise SystemExit(f"the formula names {match.group(3)}, which is not among the files")
        path = by_name[wanted]
        used.add(wanted)
        lines[index] = URL.sub(rf"\g<1>\g<2>v{version}/{path.name}\g<4>", line)
        hash_line = lines[index + 1]
        if "sha256" not in hash_line:
            raise SystemExit(f"no sha256 line after the url of {path.name}")
        lines[index + 1] = re.sub(r'"[0-9a-f]{64}"', f'"{sha256(path)}"', hash_line)
    if unused := set(by_name) - used:
        raise SystemExit(f"the formula names none of: {', '.join(sorted(unused))}")
    return "".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("version")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--formula", type=Path, default=FORMULA)
    args = parser.parse_args(argv)
    formula = args.formula
    formula.write_text(update(formula.read_text(), args.version, args.files))
    print(f"{formula}: version {args.version}, {len(args.files)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
