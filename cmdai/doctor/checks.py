"""The checks of `cmdai doctor`. Each returns Checks: what it looked at, ok / fail / skip, and
for a failure the exact fix. A check that cannot run yet (no helper to ask) is a skip that
says so, never a failure."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cmdai import __version__
from cmdai.config import Config, config_path, load_config
from cmdai.doctor import keys
from cmdai.errors import CmdaiError

OK, FAIL, SKIP = "ok", "fail", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    fix: str = ""


def versions() -> list[Check]:
    python = platform.python_version()
    good = sys.version_info >= (3, 11)
    return [Check("versions", OK if good else FAIL, f"cmdai {__version__}, Python {python}",
                  "" if good else "install cmdai with Python 3.11 or newer")]  # fmt: skip


def configuration() -> tuple[list[Check], Config | None]:
    path = config_path()
    try:
        config = load_config()
    except CmdaiError as exc:
        return [Check("config", FAIL, exc.message, exc.hint or f"edit {path}")], None
    where = f"{path}" if path.exists() else f"{path} (not there: every default applies)"
    found = [Check("config", OK, f"valid: {where}")]
    for warning in config.warnings:  # a file with an API key that others can read
        found.append(Check("config permissions", FAIL, warning, f"chmod 600 {path}"))
    return found, config


def backends(config: Config) -> list[Check]:
    return [_backend(config, name) for name in config.backend]


def _backend(config: Config, name: str) -> Check:
    spec = config.spec(name)
    options = config.options(name)
    label = f"backend {name}"
    if spec.capabilities.needs_download and spec.stored_model is not None:
        from cmdai.models.pull import resolve_model

        model = spec.stored_model(config, options)
        try:
            # Verified against its pin: re-hashed when the file changed since its last check.
            path = resolve_model(model, config, backend=name, allow_download=False)
        except CmdaiError as exc:
            return Check(label, FAIL, exc.message, exc.hint or f"cmdai model pull {model}")
        detail = f"model {model} present and verified ({path})"
    else:
        detail = ""
    try:
        probe = spec.probe(config, options)
    except Exception as exc:  # a plug-in's probe: report it, do not crash the doctor
        return Check(label, FAIL, f"its probe failed: {type(exc).__name__}: {exc}")
    if not probe.ok:
        fix = (f"start the server, or fix [backends.{name}] (see `cmdai config`)"
               if spec.capabilities.remote else "see `cmdai backends`")  # fmt: skip
        return Check(label, FAIL, probe.detail, fix)
    took = f" in {probe.latency_ms} ms" if probe.latency_ms is not None else ""
    return Check(label, OK, (detail or probe.detail) + took)


def helper() -> tuple[list[Check], dict | None]:
    from cmdai import client, protocol

    try:
        hello = client.hello(3.0)
    except client.HelperError as exc:
        if exc.code != protocol.VERSION_MISMATCH:
            return [Check("helper", FAIL, f"the helper refused: {exc.message}",
                          "cmdai helper restart")], None  # fmt: skip
        # It says which version it is, then stops itself: the next Ctrl-G starts ours.
        detail = f"a stale helper was running ({exc.message}); it stopped"
        fix = "cmdai helper start (or press Ctrl-G: it starts this version)"
        return [Check("helper", FAIL, detail, fix)], None
    except client.ClientError as exc:
        return [Check("helper", FAIL, f"the helper does not answer properly: {exc}",
                      "cmdai helper restart")], None  # fmt: skip
    if hello is None:
        return [Check("helper", SKIP, "not running (it starts on the first Ctrl-G)",
                      "to check it too: cmdai helper start, then cmdai doctor")], None  # fmt: skip
    if hello.get("version") != __version__:
        return [Check("helper", FAIL,
                      f"a helper of cmdai {hello.get('version')} is running, this is {__version__}",
                      "cmdai helper restart")], None  # fmt: skip
    if hello.get("state") == "failed":
        return [Check("helper", FAIL, f"its backend did not load: {hello.get('load_error')}",
                      "see `cmdai helper logs`, then `cmdai helper restart`")], None  # fmt: skip
    detail = (f"running (pid {hello['pid']}, cmdai {hello['version']}, {hello['backend']} "
              f"with {hello['model']}, {hello['state']})")  # fmt: skip
    return [Check("helper", OK, detail)], hello


def warm_request(hello: dict | None, config: Config | None) -> list[Check]:
    """One request through the running helper, timed: what Ctrl-G costs now."""
    if hello is None or config is None or hello.get("state") != "ready":
        return [Check("warm request", SKIP, "no ready helper to ask")]
    from cmdai import client, protocol

    frame = protocol.generate(
        __version__, "list the files here", len("list the files here"), config.shell,
        str(Path.home()), os.environ.get("PATH", ""), "doctor",
        settings=client.settings_env(),
    )  # fmt: skip
    started = time.monotonic()
    try:
        reply = client.request(frame, timeout=60)
    except client.ClientError as exc:
        return [Check("warm request", FAIL, f"the helper did not answer: {exc}",
                      "see `cmdai helper logs`")]  # fmt: skip
    took = round((time.monotonic() - started) * 1000)
    return [Check("warm request", OK, f"{took} ms ({reply.get('command', '')!r})")]


def cache(config: Config) -> list[Check]:
    """The model directory can be written, with room for the model when it is not there."""
    from cmdai.models.registry import ARTIFACTS
    from cmdai.models.store import SPACE_MARGIN, ModelStore

    directory = config.model_dir
    existing = next(p for p in (directory, *directory.parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        return [Check("model cache", FAIL, f"{existing} cannot be written",
                      "set model_dir to a directory of yours (cmdai config)")]  # fmt: skip
    free = shutil.disk_usage(existing).free
    spec = config.spec(config.backend[0])
    model = spec.stored_model(config, config.options(spec.name)) if spec.stored_model else ""
    artifact = ARTIFACTS.get(model)
    missing = artifact is not None and not ModelStore(directory).is_installed(artifact)
    if artifact is not None and missing and free < artifact.size + SPACE_MARGIN:
        detail = f"{existing} has {free >> 20} MB free; {model} needs {artifact.size_label}"
        return [Check("model cache", FAIL, detail,
                      "free some space, or set model_dir to a disk with room")]  # fmt: skip
    return [Check("model cache", OK, f"{directory} is writable, {free >> 30} GB free")]


def shell_integration(shell: str) -> list[Check]:
    if shell not in keys.KEYMAPS:
        return [Check(f"{shell} widget", SKIP, f"{shell} cannot be inspected from here")]
    listing = keys.read_bindings(shell)
    if listing is None:
        return [Check(f"{shell} widget", SKIP, f"{shell} is not installed")]
    key = os.environ.get("CMDAI_KEY") or keys.DEFAULT_KEY[shell]
    found = keys.keymaps(shell, listing, key)
    widget = keys.WIDGET[shell]
    if not any(k.bound_to == widget for k in found):
        stock = keys.STOCK[shell]
        taken = [f"{k.name}: {k.bound_to}" for k in found if k.bound_to and k.bound_to not in stock]
        if taken:
            return [Check(f"{shell} widget", FAIL,
                          f"{key} runs something else ({', '.join(taken)}): cmdai left it alone",
                          "unbind it in your start-up file, or give cmdai another key with "
                          "CMDAI_KEY")]  # fmt: skip
        fix = f"add this line to {keys.RC_FILE[shell]}: {keys.INIT_LINE[shell]}"
        return [Check(f"{shell} widget", FAIL, f"the cmdai widget is not loaded in {shell}", fix)]
    checks = [_keymap_check(shell, key, keymap, widget, "CMDAI_KEY") for keymap in found]
    return checks + explain_key(shell, listing)


def explain_key(shell: str, listing: str) -> list[Check]:
    """Alt-G, per keymap: a key the user had bound to something of their own was left alone on
    purpose, so it is reported, not failed."""
    key = os.environ.get("CMDAI_EXPLAIN_KEY") or keys.EXPLAIN_KEY[shell]
    widget = keys.EXPLAIN_WIDGET[shell]
    checks = []
    for keymap in keys.keymaps(shell, listing, key):
        bound = keymap.bound_to
        if bound and bound != widget and bound not in keys.EXPLAIN_STOCK[shell]:
            checks.append(Check(f"{shell} key {key} ({keymap.name})", SKIP,
                                f"runs {bound}, yours: cmdai left it alone",
                                "to explain commands with another key, set "
                                "CMDAI_EXPLAIN_KEY"))  # fmt: skip
        else:
            checks.append(_keymap_check(shell, key, keymap, widget, "CMDAI_EXPLAIN_KEY"))
    return checks


def _keymap_check(shell: str, key: str, keymap: keys.Keymap, widget: str, setting: str) -> Check:
    name = f"{shell} key {key} ({keymap.name})"
    if keymap.bound_to != widget:
        what = keymap.bound_to or "nothing"
        return Check(name, FAIL, f"runs {what}, not cmdai",
                     f"unbind it there, or give cmdai another key with {setting}")  # fmt: skip
    if keymap.prefix_of or keymap.shadowed:
        others = ", ".join(f"{seq} ({action})" for seq, action in keymap.prefix_of[:3])
        detail = (f"bound to cmdai, but other bindings start with it ({others or 'longer keys'}):"
                  " the shell waits for another key before running cmdai")  # fmt: skip
        return Check(name, FAIL, detail,
                     f"move those bindings, or give cmdai another key with {setting}")  # fmt: skip
    return Check(name, OK, "bound to cmdai")
