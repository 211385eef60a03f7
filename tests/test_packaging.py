"""The package as a user installs it: versions, console commands, missing extras."""

from __future__ import annotations

import subprocess
import sys

import pytest
import script_helpers
import tomllib

import weight_init
from weight_init._optional import MissingDependencyError, UserError, require

SCRIPTS = (
    "plot_activation_layers.py",
    "plot_loss_progression.py",
    "plot_toy_training.py",
    "plot_trainable_depth.py",
)


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_prints_the_package_version(script):
    proc = script_helpers.run_script(script, "--version", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{script} {weight_init.__version__}"


def test_console_commands_are_the_scripts_cli_functions():
    meta = tomllib.loads((script_helpers.ROOT / "pyproject.toml").read_text())
    commands = meta["project"]["scripts"]
    assert sorted(commands) == sorted(s[:-3].replace("_", "-") for s in SCRIPTS)
    for name, target in commands.items():
        module, func = target.split(":")
        mod = __import__(module, fromlist=[func])
        assert callable(getattr(mod, func))
        # The top-level script wraps the same function.
        wrapper = (script_helpers.ROOT / (name.replace("-", "_") + ".py")).read_text()
        assert f"from {module} import {func}" in wrapper
    # One version: pyproject reads it from weight_init.__version__.
    assert meta["project"]["dynamic"] == ["version"]
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "weight_init.__version__"}


def test_requirements_install_the_package_itself():
    lines = [
        line.split("#")[0].strip()
        for line in (script_helpers.ROOT / "requirements.txt").read_text().splitlines()
    ]
    assert "-e ." in lines


@pytest.mark.parametrize(
    "module, extra, missing",
    [
        ("matplotlib.pyplot", "plots", "matplotlib"),
        ("seaborn", "plots", "seaborn"),
        ("pandas", "plots", "pandas"),
        ("keras", "keras", "keras"),
    ],
)
def test_a_missing_optional_dependency_is_one_line_naming_what_to_install(
    monkeypatch, module, extra, missing
):
    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    with pytest.raises(MissingDependencyError) as info:
        require(module, extra)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{missing} is not installed")
    assert f"pip install {missing}" in message and f'pip install -e ".[{extra}]"' in message
    # Caught as ImportError by users, as a UserError by the scripts (one line, exit 2).
    assert isinstance(info.value, ModuleNotFoundError) and isinstance(info.value, UserError)
    assert info.value.name == missing


def test_require_returns_the_module_and_rejects_an_unknown_extra():
    import numpy

    assert require("numpy", "plots") is numpy
    with pytest.raises(ValueError, match="unknown extra 'plot'"):
        require("numpy", "plot")


def test_plotting_without_matplotlib_says_what_to_install(monkeypatch):
    from weight_init.plotting import plot_layer_stats

    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingDependencyError, match=r"^matplotlib is not installed .*plots"):
        plot_layer_stats([0.0, 0.1], [1.0, 0.5])


@pytest.mark.parametrize("flags", [["--output", "{tmp}/toy.png"], ["--no-show", "--csv", "{tmp}/toy.csv"]])
def test_a_script_without_matplotlib_stops_before_the_work_with_one_line(tmp_path, flags):
    code = (
        "import sys, runpy; sys.modules['matplotlib'] = None; "
        "sys.argv = ['plot_toy_training.py'] + sys.argv[1:]; "
        "runpy.run_path('plot_toy_training.py', run_name='__main__')"
    )
    args = [flag.format(tmp=tmp_path) for flag in flags]
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=script_helpers.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    script_helpers.assert_one_clear_error(proc, "matplotlib is not installed")
    # One line, before training (which would print its progress first).
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert list(tmp_path.iterdir()) == []
