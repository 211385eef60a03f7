"""python -m weight_init.cli.figures: re-renders the committed figures, refuses without full MNIST."""

import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from weight_init.cli import figures  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path, *args):
    env = dict(os.environ, MPLBACKEND="Agg", KERAS_HOME=str(tmp_path / "keras_home"))
    return subprocess.run(
        [sys.executable, "-m", "weight_init.cli.figures", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_every_committed_figure_has_a_recipe():
    committed = sorted(p.name for p in (ROOT / "images").glob("*.png"))
    assert committed == sorted(figures.figure_names())


def test_refuses_without_full_mnist_and_dry_run_lists_the_commands(tmp_path):
    proc = _run(tmp_path)  # KERAS_HOME without mnist.npz: only the offline sample exists
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "error: the full MNIST is not in Keras' cache" in last and "--allow-sample" in last

    out = tmp_path / "out"
    proc = _run(tmp_path, "--allow-sample", "--dry-run", "--output-dir", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" in proc.stderr and "OFFLINE SAMPLE" in proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert [line.split(":")[0] for line in lines] == [
        f"[{k}/{len(figures.FIGURES)}] {f.name}" for k, f in enumerate(figures.FIGURES, 1)
    ]
    assert lines[1].endswith(
        f"-m weight_init.cli.activation_layers --activation linear "
        f"--dataset mnist-sample --no-show --output {out}/"
        "linear-output-progression-violinplot.png"
    )
    assert "--example 3-bias --no-show" in lines[3] and "--dataset" not in lines[3]
    assert not out.exists()  # a dry run renders nothing

    # With the full data in the cache, that file is what the scripts get.
    cache = tmp_path / "keras_home" / "datasets" / "mnist.npz"
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"")
    proc = _run(tmp_path, "--dry-run", "--only", "training-layer-stats.png")
    assert proc.returncode == 0 and "WARNING" not in proc.stderr
    # One training run draws both training figures: the layer statistics go to images/ of
    # the current directory (here the checkout's).
    assert f"--layer-stats-output {ROOT / 'images' / 'training-layer-stats.png'}" in proc.stdout
    assert f"--dataset {cache} --no-show --output" in proc.stdout
    assert "training-losses.png" in proc.stdout


def test_bad_figure_name_is_one_line(tmp_path):
    proc = _run(tmp_path, "--only", "nope.png")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "unknown figure(s) nope.png; the figures are: relu-output" in proc.stderr


def test_renders_the_explorer_figure(tmp_path, capsys):
    figures.main(["--only", "explorer.png", "--output-dir", str(tmp_path)])
    image = plt.imread(tmp_path / "explorer.png")
    assert image.ndim == 3 and image.shape[1] > 1000
    assert f"written {tmp_path / 'explorer.png'}" in capsys.readouterr().out
