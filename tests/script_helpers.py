"""Running the top-level scripts in tests, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_script(
    name: str, *args: str, tmp_path: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``python <name> <args>`` headless from the repository root.

    With ``tmp_path``, Keras' cache folder points into it, so ``--dataset auto`` sees no
    cached MNIST (as in CI) whatever the machine has.
    """
    env = dict(os.environ, MPLBACKEND="Agg")
    if tmp_path is not None:
        env["KERAS_HOME"] = str(tmp_path / "keras_home")
    return subprocess.run(
        [sys.executable, str(ROOT / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_clear_error(proc: subprocess.CompletedProcess, words: str) -> None:
    """A user's mistake: non-zero exit, no traceback, last line ``...error: ...words...``."""
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "error:" in last and words in last, proc.stderr
