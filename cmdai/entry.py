"""The `cmdai` executable. `cmdai hook` is dispatched before anything else is imported: it is
the Ctrl-G hot path and must load nothing but the standard library."""

from __future__ import annotations

import sys


def main() -> int:
    if sys.argv[1:2] == ["hook"]:
        from cmdai.hook import main as hook_main

        return hook_main(sys.argv[2:])
    from cmdai.cli import main as cli_main

    return cli_main()
