"""What every script shares: argument types, figure output, atomic writes, clean errors.

The top-level scripts stay thin: they build a parser with :func:`make_parser`, add the
figure flags with :func:`add_figure_args`, call the package and end with
:func:`finish_figure`; :func:`run` turns a user's mistake into one line on stderr and a
non-zero exit instead of a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from weight_init._optional import UserError

__all__ = [
    "make_parser",
    "add_figure_args",
    "positive_int",
    "nonnegative_int",
    "positive_float",
    "finish_figure",
    "headless_figure_path",
    "atomic_write",
    "atomic_savefig",
    "atomic_write_csv",
    "check_output_path",
    "check_writable",
    "run",
]

#: The folder of committed figures, relative to the current directory (the checkout's
#: ``images/`` when run from it; ``python -m weight_init.cli.figures`` re-renders them).
IMAGES_DIR = Path("images")


# ----------------------------------------------------------------------------- argparse


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each flag's default and keeps the description's line breaks."""


def make_parser(
    description: str, epilog: str | None = None, prog: str | None = None
) -> argparse.ArgumentParser:
    """An ``ArgumentParser`` whose ``--help`` shows every default."""
    return argparse.ArgumentParser(
        prog=prog, description=description, epilog=epilog, formatter_class=_HelpFormatter
    )


def add_figure_args(parser: argparse.ArgumentParser, default_name: str) -> None:
    """Add ``--output PATH`` and ``--no-show``."""
    parser.add_argument(
        "--output",
        metavar="PATH",
        type=Path,
        default=None,
        help="save the figure to PATH (format from the extension: .png, .pdf, .svg, ...). "
        f"Without it, a headless run or --no-show saves {default_name} in the current "
        "directory (never over a committed file)",
    )
    parser.add_argument("--no-show", action="store_true", help="do not open a plot window")


def _number(kind: Callable[[str], Any], text: str, what: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
    return value


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    value = _number(int, text, "an integer")
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be a positive integer")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0."""
    value = _number(int, text, "an integer")
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: must be 0 or more")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    value = _number(float, text, "a number")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be a positive number")
    return value


def init_spec(text: str) -> str:
    """argparse type of ``--inits``: anything :func:`weight_init.initializers.get` accepts.

    A name (Keras', PyTorch's or the notebook's), ``name:VALUE`` or
    ``name(key=value, ...)``; the text is returned unchanged, a bad one is an argparse
    error naming what is accepted.
    """
    from weight_init.initializers import get

    try:
        get(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_seed_args(parser: argparse.ArgumentParser, seed_help: str, default: int = 0) -> None:
    """``--seed S``, ``--seeds S [S ...]`` and ``--n-seeds N``; read them with :func:`seeds_from_args`."""
    parser.add_argument("--seed", type=nonnegative_int, default=default, help=seed_help)
    parser.add_argument(
        "--seeds",
        type=nonnegative_int,
        nargs="+",
        default=None,
        metavar="S",
        help="run the experiment once per seed in this list (instead of --seed) "
        "and report the spread over seeds",
    )
    parser.add_argument(
        "--n-seeds",
        type=positive_int,
        default=None,
        metavar="N",
        help="run the experiment for the N seeds --seed, --seed+1, ..., --seed+N-1 "
        "and report the spread over seeds",
    )


def seeds_from_args(args: argparse.Namespace) -> list[int]:
    """The seeds that ``--seed`` / ``--seeds`` / ``--n-seeds`` name: ``[seed]`` by default.

    Raises
    ------
    UserError
        ``--seeds`` with ``--n-seeds``, or a seed listed twice.
    """
    if args.seeds is not None and args.n_seeds is not None:
        raise UserError("--seeds and --n-seeds cannot be used together; give one of them")
    if args.seeds is not None:
        repeated = sorted({s for s in args.seeds if args.seeds.count(s) > 1})
        if repeated:
            raise UserError(
                f"--seeds: seed(s) {', '.join(map(str, repeated))} given twice; list each seed once"
            )
        return list(args.seeds)
    return [args.seed + i for i in range(args.n_seeds or 1)]


def seed_list(seeds: list[int]) -> str:
    """The seeds for a message: ``0, 1, 2``; a long run of consecutive seeds as
    ``0, 1, ..., 99``."""
    consecutive = all(b == a + 1 for a, b in zip(seeds, seeds[1:]))
    if len(seeds) <= 6 or not consecutive:
        return ", ".join(map(str, seeds))
    return f"{seeds[0]}, {seeds[1]}, ..., {seeds[-1]}"


# ----------------------------------------------------------------------------- writing


def _new_file_mode(path: Path) -> int:
    """The mode of the file being replaced, else 0666 less the process's umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        pass
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, write: Callable[[str], None]) -> Path:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it.

    A reader never sees a half-written file and an existing file survives a failed
    write. The temporary file keeps ``path``'s extension so writers that pick a format
    from it (``savefig``) still do. Missing parent folders are created.
    """
    path = Path(path)
    if path.exists() and path.is_dir():
        raise UserError(f"{path} is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    try:
        write(tmp)
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_savefig(fig: Any, path: str | os.PathLike, **kwargs: Any) -> Path:
    """``fig.savefig`` through :func:`atomic_write`; an unknown extension is a UserError."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise UserError(
            f"cannot save a figure as {path.name!r}: the extension must be one of "
            + ", ".join("." + k for k in sorted(supported))
        )
    kwargs.setdefault("dpi", 120)
    kwargs.setdefault("bbox_inches", "tight")
    return atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, **kwargs))


def atomic_write_csv(df: Any, path: str | os.PathLike) -> Path:
    """``df.to_csv(path, index=False)`` through :func:`atomic_write`."""
    return atomic_write(path, lambda tmp: df.to_csv(tmp, index=False))


def _has_display() -> bool:
    from weight_init._optional import require

    matplotlib = require("matplotlib", "plots")

    from weight_init.plotting import NON_INTERACTIVE

    return matplotlib.get_backend().lower() not in NON_INTERACTIVE


def check_writable(path: Path | None, flag: str, example: str = "out.csv") -> None:
    """Fail early (before minutes of work) when ``path`` cannot be written.

    ``path`` must not be a folder, and its folder must exist or be creatable and take a
    new file (tried with a temporary file, removed at once). ``None`` passes.
    """
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{flag} {path} is a folder; give a file name such as {path / example}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise UserError(f"{flag} {path}: cannot write there ({exc.strerror or exc})") from None


def check_output_path(path: Path | None, flag: str = "--output") -> None:
    """Fail early (before minutes of work) on an --output the figure cannot be saved as:
    an unknown extension, a folder, or a place that cannot be written; and on a missing
    matplotlib, which every script needs to draw (also when ``path`` is None). ``flag``
    names the flag in the message."""
    from weight_init._optional import require

    require("matplotlib", "plots")
    if path is None:
        return
    import matplotlib.figure

    check_writable(path, flag, "figure.png")
    supported = matplotlib.figure.Figure().canvas.get_supported_filetypes()
    if path.suffix.lower().lstrip(".") not in supported:
        raise UserError(
            f"{flag} {path}: the extension must be one of " + ", ".join("." + k for k in sorted(supported))
        )


def _tracked_by_git(path: Path) -> bool:
    """True when ``path`` is a file that git tracks (False without git or outside a repository)."""
    import subprocess

    try:
        proc = subprocess.run(
            ["git", "-C", str(path.parent), "ls-files", "--error-unmatch", "--", path.name],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return proc.returncode == 0


def _protected(path: Path) -> bool:
    """A file a headless run must not overwrite: any file git tracks, and (where git is not
    there to ask) any file in the ``images/`` folder of the current directory."""
    if not path.exists():
        return False
    try:
        in_images = path.resolve().parent == IMAGES_DIR.resolve()
    except OSError:
        in_images = False
    return in_images or _tracked_by_git(path)


def headless_figure_path(default_name: str, folder: str | os.PathLike | None = None) -> Path:
    """Where a figure goes when no ``--output`` is given and no window opens.

    ``folder`` (default: the current directory) ``/ default_name``, unless that is a
    file git tracks or a file in ``images/`` of the current directory: then the first free
    ``<stem>-2<ext>``, ``<stem>-3<ext>``, ... , so a headless run never overwrites a
    committed file (``python -m weight_init.cli.figures`` re-renders those).
    """
    folder = Path.cwd() if folder is None else Path(folder).resolve()
    path = folder / default_name
    k = 2
    while _protected(path):
        path = folder / f"{Path(default_name).stem}-{k}{Path(default_name).suffix}"
        k += 1
    return path


def finish_figure(fig: Any, output: Path | None, no_show: bool, default_name: str) -> Path | None:
    """Save and/or show a finished figure, as the scripts' flags ask.

    ``fig`` is a matplotlib ``Figure`` or a :class:`weight_init.plotting.PlotResult`.
    ``--output PATH`` saves there. Without it, when the window cannot (no display) or
    must not (``--no-show``) open, the figure is saved in the current directory as
    ``default_name`` (:func:`headless_figure_path`: never over a committed file) so
    nothing is lost; either way the path is printed. Returns the saved path, if any.
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")

    from weight_init.plotting import as_figure

    fig = as_figure(fig)
    saved = None
    show = not no_show and _has_display()
    if output is None and not show:
        output = headless_figure_path(default_name)
        if not no_show:
            print(
                "no display: saving the figure in the current directory instead of showing it",
                file=sys.stderr,
            )
        if output.name != default_name:
            print(
                f"{output.with_name(default_name)} is a committed file: not overwriting it "
                "(python -m weight_init.cli.figures re-renders the committed figures)",
                file=sys.stderr,
            )
    if output is not None:
        saved = atomic_savefig(fig, output)
        print(f"saved figure to {saved}", file=sys.stderr)
    if show:
        plt.show()
    plt.close(fig)
    return saved


def run(main: Callable[[], int | None]) -> int:
    """Run a script's ``main``; a user's mistake becomes one line and exit status 2.

    ``UserError``, ``ValueError``, ``FileNotFoundError`` and other ``OSError`` are
    printed as ``<script>: error: <message>``; Ctrl-C exits with 130.
    """
    prog = Path(sys.argv[0]).name
    try:
        return int(main() or 0)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except (UserError, ValueError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
