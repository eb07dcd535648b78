"""Run a helper that says it is cmdai 0.0.1, to test the restart on a version change."""

import cmdai

cmdai.__version__ = "0.0.1"  # before the modules that copy it are imported

from cmdai.cli import main  # noqa: E402

raise SystemExit(main(["daemon", "run"]))
