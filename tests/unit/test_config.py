"""Config precedence (default < file < env < flag) and every kind of invalid value."""

from __future__ import annotations

from pathlib import Path

import pytest

from cmdai import paths
from cmdai.config import SPEC, Config, load_config, toml_value
from cmdai.errors import ConfigError
from tests.helpers.cli import run_cli


def write_config(text: str) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_without_file() -> None:
    config = load_config({}, environ={})
    assert config.model == "qwen2.5-coder-1.5b"
    assert config.temperature == 0.0
    assert config.sources == ("hf", "pypi", "file")
    assert all(origin.startswith("default") for _, _, origin in config.items())
    assert config.origins["backend"].startswith("default (auto: ")


def test_paths_follow_cmdai_home(isolated_home: Path) -> None:
    assert paths.config_file() == isolated_home / "config" / "config.toml"
    assert load_config({}, environ={}).model_dir == isolated_home / "cache" / "models"


def test_file_then_env_then_flag() -> None:
    path = write_config(
        'model = "from-file"\nshell = "zsh"\nmax_tokens = 64\n[backends.llama_cpp]\nn_threads = 3\n'
    )
    env = {"CMDAI_MODEL": "from-env", "CMDAI_LLAMA_CPP_N_THREADS": "5"}
    config = load_config({"model": "from-flag", "shell": None}, environ=env)
    assert (config.model, config.origins["model"]) == ("from-flag", "flag --model")
    threads = (
        config.options("llama_cpp")["n_threads"],
        config.origins["backends.llama_cpp.n_threads"],
    )
    assert threads == (5, "env CMDAI_LLAMA_CPP_N_THREADS")
    assert (config.shell, config.origins["shell"]) == ("zsh", str(path))
    assert config.max_tokens == 64
    assert config.origins.get("temperature") is None


def test_list_values_from_env_and_file() -> None:
    write_config('sources = ["pypi", "hf"]\nmodel_paths = ["~/models"]\n')
    config = load_config({}, environ={"CMDAI_SOURCES": "file, pypi"})
    assert config.sources == ("file", "pypi")
    assert config.model_paths == (Path("~/models").expanduser(),)


def test_relative_paths_are_relative_to_the_file_or_to_where_the_variable_was_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helper works in /, so a relative path must not wait to be read against its working
    directory: config.toml's are relative to the file, the environment's to the directory
    the command ran in. Model ids are names, not paths, and stay as written."""
    here = tmp_path / "project"
    here.mkdir()
    monkeypatch.chdir(here)
    folder = write_config(
        'model = "m.gguf"\nmodel_dir = "models"\nmodel_paths = ["shared", "~/m", "/srv/m"]\n'
        '[backends.mlx]\nmodel = "./mlx-model"\n'
    ).parent
    config = load_config({}, environ={})
    assert config.model == str(folder / "m.gguf")
    assert config.model_dir == folder / "models"
    assert config.model_paths == (folder / "shared", Path("~/m").expanduser(), Path("/srv/m"))
    assert config.options("mlx")["model"] == str(folder / "mlx-model")
    env = {"CMDAI_MODEL_DIR": "../cache", "CMDAI_MODEL_PATHS": "a, /b",
           "CMDAI_MODEL": "qwen2.5-coder-0.5b", "CMDAI_MLX_MODEL": "qwen2.5-coder-1.5b-mlx"}  # fmt: skip
    config = load_config({"model": "./flag.gguf"}, environ=env)
    assert config.model_dir == tmp_path / "cache"
    assert config.model_paths == (here / "a", Path("/b"))
    assert config.model == str(here / "flag.gguf")
    assert config.options("mlx")["model"] == "qwen2.5-coder-1.5b-mlx"
    assert load_config({}, environ=env).model == "qwen2.5-coder-0.5b"


def test_settings_load_in_a_directory_that_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shell can sit in a directory removed under it; relative paths then stay as written."""
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    config = load_config({}, environ={"CMDAI_MODEL_DIR": "models", "CMDAI_CONFIG": "c.toml"})
    assert config.model_dir == Path("models")
    assert paths.anchored_env({"CMDAI_MODEL_DIR": "models"}) == {"CMDAI_MODEL_DIR": "models"}


def test_booleans_from_file_and_env() -> None:
    write_config("validate = false\n")
    assert load_config({}, environ={}).validate is False
    assert load_config({}, environ={"CMDAI_VALIDATE": "yes"}).validate is True
    assert toml_value(False) == "false"
    config = load_config({"validate": False}, environ={"CMDAI_VALIDATE": "yes"})
    assert (config.validate, config.origins["validate"]) == (False, "flag --no-validate")


def test_cmdai_config_env_points_at_another_file(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text("temperature = 0.5\n")
    config = load_config({}, environ={"CMDAI_CONFIG": str(other)})
    assert config.temperature == 0.5 and config.origins["temperature"] == str(other)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model = ", "not valid TOML"),
        ('modle = "x"', "unknown key 'modle'"),
        (
            'shell = "tcsh"',
            "invalid value 'tcsh' for 'shell': expected one of bash, zsh, fish, powershell",
        ),
        (
            "[backends.llama_cpp]\nn_threads = 0",
            "[backends.llama_cpp]: invalid value 0 for 'backends.llama_cpp.n_threads': expected a whole number from 1 to 512",
        ),
        (
            'n_threads = "many"',
            "(top-level n_threads, deprecated): invalid value 'many' for 'backends.llama_cpp.n_threads': expected a whole number",
        ),
        (
            "[backends.llama_cpp]\nn_threads = true",
            "invalid value True for 'backends.llama_cpp.n_threads'",
        ),
        (
            "[backends.llama_cpp]\nthreads = 2",
            "unknown key 'threads' in [backends.llama_cpp] (did you mean 'n_threads'?)",
        ),
        (
            "[backends.llama-cpp]\nn_threads = 2",
            "unknown backend table [backends.llama-cpp] (did you mean 'llama_cpp'?)",
        ),
        ("backends = 3", "'backends' must be a table of [backends.NAME] tables"),
        ('backend = "llama"', "unknown backend 'llama' for 'backend': expected one of llama_cpp"),
        ('backend = ["llama_cpp", "llama_cpp"]', "a non-empty list of distinct backend names"),
        ('plugins = ["no such"]', "a list of importable module names"),
        ("temperature = 3.5", "invalid value 3.5 for 'temperature': expected a number from 0 to 2"),
        ("max_tokens = 1.5", "invalid value 1.5 for 'max_tokens'"),
        ('sources = ["hf", "ftp"]', "expected a list of sources (one of hf, pypi, file)"),
        ('sources = ["hf", "hf"]', "expected a non-empty list of distinct sources"),
        ("sources = []", "expected a non-empty list of distinct sources"),
        ('sources = "hf"', None),  # a comma-separated string is accepted too
        ('hf_endpoint = "hub.local"', "expected an http(s):// or file:// URL"),
        ("model_dir = 3", "invalid value 3 for 'model_dir': expected a directory path"),
        ('model = ""', "invalid value '' for 'model': expected a non-empty string"),
        ("backend = 1", "invalid value 1 for 'backend': expected a list of backend names"),
        ('validate = "maybe"', "invalid value 'maybe' for 'validate': expected true or false"),
        ("validate = 1", "invalid value 1 for 'validate': expected true or false"),
        ('safety_mode = "yolo"', "expected one of strict, moderate, permissive"),
        ('safety_allow = ["ls", "("]', "rule 2: '(' is not a valid regular expression"),
        (
            'safety_deny = [{pattern = "x", level = "low"}]',
            "rule 1: level must be moderate, high or critical",
        ),
        ('safety_deny = [{pattern = "["}]', "rule 1: '[' is not a valid regular expression"),
        ('safety_deny = [{patern = "x"}]', "rule 1: a table with keys pattern, level, reason"),
    ],
)
def test_invalid_file_values_name_file_key_value_and_expectation(
    text: str, expected: str | None
) -> None:
    path = write_config(text + "\n")
    if expected is None:
        load_config({}, environ={})
        return
    with pytest.raises(ConfigError) as caught:
        load_config({}, environ={})
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_invalid_env_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"env CMDAI_TEMPERATURE: invalid value 'hot'"):
        load_config({}, environ={"CMDAI_TEMPERATURE": "hot"})


def test_invalid_flag_value_names_the_flag() -> None:
    with pytest.raises(ConfigError, match=r"flag --model: invalid value '  '"):
        load_config({"model": "  "}, environ={})


def test_every_setting_has_a_default_and_help() -> None:
    defaults = {f for f in Config.__dataclass_fields__} - {
        "origins",
        "notes",
        "warnings",
        "backend_options",
        "auto_reason",  # derived: why `backend = "auto"` chose what it chose
    }
    assert defaults == set(SPEC)
    assert all(setting.help for setting in SPEC.values())


def test_cmdai_config_prints_values_and_origins() -> None:
    write_config("max_tokens = 99\n")
    result = run_cli("config", env={"CMDAI_SHELL": "fish"})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("max_tokens = 99  # ") and "config.toml" in line for line in lines)
    assert 'shell = "fish"  # env CMDAI_SHELL' in lines
    assert "temperature = 0.0  # default" in lines


def test_invalid_config_exits_non_zero_with_one_line_and_no_traceback() -> None:
    path = write_config('n_ctx = "big"\n')
    result = run_cli("config")
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(
        f"cmdai: {path} (top-level n_ctx, deprecated): invalid value 'big' for "
        "'backends.llama_cpp.n_ctx'"
    )
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback() -> None:
    write_config("n_ctx = 1\n")
    result = run_cli("config", "--debug")
    assert result.returncode == 3
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


def test_safety_rules_from_the_file() -> None:
    write_config(
        'safety_mode = "strict"\n'
        'safety_allow = ["rm -rf build"]\n'
        '[[safety_deny]]\npattern = "terraform destroy"\nlevel = "critical"\nreason = "infra"\n'
    )
    policy = load_config({}, environ={}).safety_policy()
    assert policy.mode == "strict"
    assert policy.allow[0].pattern == "rm -rf build"
    assert (policy.deny[0].pattern.pattern, policy.deny[0].level.label) == (
        "terraform destroy",
        "critical",
    )


# --- backend options -------------------------------------------------------------------------


def test_backend_options_have_defaults_and_every_layer() -> None:
    write_config('[backends.openai]\nbase_url = "http://gpu.lan:8000/v1"\nmodel = "qwen"\n')
    env = {"OPENAI_BASE_URL": "http://ignored:1/v1", "OPENAI_API_KEY": "sk-from-openai-variable-0123",
           "CMDAI_OPENAI_MODEL": "from-env"}  # fmt: skip
    config = load_config({}, environ=env)
    options = config.options("openai")
    assert options["base_url"] == "http://gpu.lan:8000/v1"  # the file beats OPENAI_BASE_URL
    assert config.origins["backends.openai.base_url"].endswith("config.toml [backends.openai]")
    assert options["api_key"] == "sk-from-openai-variable-0123"
    assert config.origins["backends.openai.api_key"] == "env OPENAI_API_KEY"
    assert (options["model"], config.origins["backends.openai.model"]) == (
        "from-env",
        "env CMDAI_OPENAI_MODEL",
    )
    assert options["read_timeout"] == 30.0 and "backends.openai.read_timeout" not in config.origins


def test_old_top_level_llama_cpp_keys_still_work_with_a_note() -> None:
    path = write_config("n_threads = 3\n")
    config = load_config({}, environ={"CMDAI_N_CTX": "2048"})
    assert config.options("llama_cpp") | {} == {"n_threads": 3, "n_ctx": 2048, "repack": "auto"}
    assert config.notes == (
        f"{path}: top-level n_threads is deprecated: move it under [backends.llama_cpp]",
        "env CMDAI_N_CTX is deprecated: use CMDAI_LLAMA_CPP_N_CTX",
    )
    result = run_cli("config", env={"CMDAI_N_CTX": "2048"})
    assert "# note: env CMDAI_N_CTX is deprecated: use CMDAI_LLAMA_CPP_N_CTX" in result.stdout
    assert "backends.llama_cpp.n_ctx = 2048  # env CMDAI_N_CTX (deprecated)" in result.stdout


def test_cmdai_config_masks_keys_and_warns_when_others_can_read_them() -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"
    path = write_config(
        f'backend = ["openai", "llama_cpp"]\n[backends.openai]\napi_key = "{key}"\n'
    )
    path.chmod(0o644)
    result = run_cli("config")
    assert key not in result.stdout + result.stderr
    assert 'backends.openai.api_key = "sk-…89"' in result.stdout
    assert 'backend = ["openai", "llama_cpp"]' in result.stdout
    assert (
        f"cmdai: warning: {path} holds backends.openai.api_key and other users can read it"
        in result.stderr
    )
    path.chmod(0o600)
    assert "warning" not in run_cli("config").stderr


def test_a_bad_key_value_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config({}, environ={"CMDAI_OPENAI_API_KEY": ""})
    assert "invalid value (hidden) for 'backends.openai.api_key'" in str(caught.value)


def test_the_identity_changes_with_backend_model_and_options_only() -> None:
    base = load_config({}, environ={})
    assert load_config({}, environ={"CMDAI_SAFETY_MODE": "strict"}).identity() == base.identity()
    for env in ({"CMDAI_MODEL": "qwen2.5-coder-0.5b"}, {"CMDAI_BACKEND": "openai"},
                {"CMDAI_LLAMA_CPP_N_CTX": "2048"}):  # fmt: skip
        assert load_config({}, environ=env).identity() != base.identity(), env


def test_a_plugin_module_registers_a_backend() -> None:
    config = load_config(
        {}, environ={"CMDAI_PLUGINS": "tests.helpers.scripted", "CMDAI_BACKEND": "scripted"}
    )
    assert config.backend == ("scripted",) and config.spec("scripted").capabilities.concurrency == 1
    with pytest.raises(
        ConfigError, match=r"unknown backend 'scripted'.*`cmdai backends` lists them"
    ):
        load_config({}, environ={"CMDAI_BACKEND": "scripted"})


def test_a_plugin_that_fails_to_load_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken_backend.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match=r"a plug-in failed to load: RuntimeError: boom"):
        load_config(
            {}, environ={"CMDAI_PLUGINS": "broken_backend", "CMDAI_BACKEND": "broken_backend"}
        )


def test_an_installed_package_registers_a_backend_through_its_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real distribution on sys.path (its dist-info with entry_points.txt), found the way
    `pip install cmdai-mybackend` would make it found."""
    from cmdai.backends import registry

    (tmp_path / "mybackend.py").write_text(
        "from tests.helpers.scripted import SPEC as _S\n"
        "import dataclasses\nSPEC = dataclasses.replace(_S, name='mine')\n"
    )
    info = tmp_path / "cmdai_mybackend-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cmdai-mybackend\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[cmdai.backends]\nmine = mybackend:SPEC\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry.cache_clear()
    try:
        config = load_config({}, environ={"CMDAI_BACKEND": "mine"})
        assert config.spec("mine").summary.startswith("the test suite's scripted model")
    finally:
        registry.cache_clear()
