"""Shared script helpers: argument types, atomic writes, figure output, clean errors."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from weight_init.cli import common as cli  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_import_is_light():
    code = (
        "import sys, weight_init, weight_init.experiment, weight_init.studies.mnist, weight_init.cli.common, "
        "weight_init.keras_tools.initializer\n"
        "heavy = sorted(m for m in ('matplotlib', 'pandas', 'seaborn', 'keras', 'tensorflow', 'scipy') "
        "if m in sys.modules)\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    "kind,text,message",
    [
        (cli.positive_int, "0", "0 is not allowed: must be a positive integer"),
        (cli.positive_int, "x", "'x' is not an integer"),
        (cli.nonnegative_int, "-1", "-1 is not allowed: must be 0 or more"),
        (cli.positive_float, "-0.5", "-0.5 is not allowed: must be a positive number"),
        (cli.positive_float, "nan", "nan is not allowed"),
    ],
)
def test_argument_types_reject(kind, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        kind(text)


def test_argument_types_accept():
    assert cli.positive_int("3") == 3
    assert cli.nonnegative_int("0") == 0
    assert cli.positive_float("0.25") == 0.25


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("old")

    def broken(tmp):
        Path(tmp).write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        cli.atomic_write(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


def test_atomic_write_csv_and_new_folders(tmp_path):
    target = tmp_path / "a" / "b" / "t.csv"
    cli.atomic_write_csv(pd.DataFrame({"x": [1, 2]}), target)
    assert pd.read_csv(target)["x"].tolist() == [1, 2]


def test_finish_figure_saves_where_asked(tmp_path, capsys):
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    saved = cli.finish_figure(fig, tmp_path / "f.pdf", no_show=True, default_name="x.png")
    assert saved == tmp_path / "f.pdf"
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"
    assert "saved figure to" in capsys.readouterr().err


def test_finish_figure_headless_saves_in_the_current_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    fig, _ = plt.subplots()
    saved = cli.finish_figure(fig, None, no_show=False, default_name="fallback.png")
    assert saved == tmp_path / "fallback.png"
    assert plt.imread(saved).ndim == 3
    err = capsys.readouterr().err
    assert "no display" in err and f"saved figure to {saved}" in err
    # Run again: an untracked file of its own is simply replaced.
    fig, _ = plt.subplots()
    assert cli.finish_figure(fig, None, no_show=True, default_name="fallback.png") == saved
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fallback.png"]


def test_finish_figure_headless_never_overwrites_a_committed_file(tmp_path, monkeypatch, capsys):
    import subprocess

    repo = tmp_path / "repo"
    repo.mkdir()
    committed = repo / "fig.png"
    committed.write_bytes(b"committed")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(repo)]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(git + ["add", "fig.png"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "x"], check=True)
    monkeypatch.chdir(repo)
    fig, _ = plt.subplots()
    saved = cli.finish_figure(fig, None, no_show=True, default_name="fig.png")
    assert saved == repo / "fig-2.png" and plt.imread(saved).ndim == 3
    assert committed.read_bytes() == b"committed"
    assert "is a committed file: not overwriting it" in capsys.readouterr().err
    # The current directory's images/ folder is protected even where git is not there to ask.
    monkeypatch.chdir(tmp_path)
    images = tmp_path / "images"
    images.mkdir()
    (images / "a.png").write_bytes(b"figure")
    (images / "a-2.png").write_bytes(b"figure")
    assert cli.headless_figure_path("a.png", images) == images / "a-3.png"
    assert cli.headless_figure_path("b.png", images) == images / "b.png"


def test_bad_extension_is_a_user_error(tmp_path):
    fig, _ = plt.subplots()
    with pytest.raises(cli.UserError, match=r"extension must be one of .*\.png"):
        cli.atomic_savefig(fig, tmp_path / "figure.xyz")
    with pytest.raises(cli.UserError, match="--output .*figure.xyz"):
        cli.check_output_path(tmp_path / "figure.xyz")
    with pytest.raises(cli.UserError, match="is a folder"):
        cli.check_output_path(tmp_path)
    cli.check_output_path(tmp_path / "fine.svg")


def test_run_turns_user_errors_into_one_line(capsys):
    def bad():
        raise ValueError("unknown initializer 'x'")

    assert cli.run(bad) == 2
    err = capsys.readouterr().err
    assert err.strip().endswith("error: unknown initializer 'x'")
    assert "Traceback" not in err
    assert cli.run(lambda: None) == 0


def test_unwritable_places_fail_early_with_the_users_path(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("a file, not a folder")
    target = blocked / "sub" / "out.csv"  # its 'folder' is a file: cannot be created
    with pytest.raises(cli.UserError, match=r"--csv .*out\.csv: cannot write there"):
        cli.check_writable(target, "--csv")
    with pytest.raises(cli.UserError, match=r"--csv .* is a folder; give a file name such as .*stats\.csv"):
        cli.check_writable(tmp_path, "--csv", "stats.csv")
    with pytest.raises(cli.UserError, match=r"cannot write .*out\.csv") as err:
        cli.atomic_write_csv(pd.DataFrame({"x": [1]}), target)
    assert ".out." not in str(err.value)  # names the user's file, not the temporary one
    cli.check_writable(tmp_path / "new" / "ok.csv", "--csv")
    assert (tmp_path / "new").is_dir() and list((tmp_path / "new").iterdir()) == []
    cli.check_writable(None, "--csv")


def test_headless_script_saves_in_the_current_directory_which_git_ignores(tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "plot_toy_training.py"), "--max-epochs", "3"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    saved = tmp_path / "toy-training.png"
    assert plt.imread(saved).ndim == 3
    assert "no display" in proc.stderr and f"saved figure to {saved}" in proc.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["toy-training.png"]
    # Run from the checkout's root instead, the file would be ignored by git.
    ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "toy-training.png"])
    if (ROOT / ".git").exists():
        assert ignored.returncode == 0
