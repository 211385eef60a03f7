"""Train a from-scratch numpy MLP on 2-D toy data: Xavier + tanh against He + ReLU.

Both networks (same architecture, seed and data) are trained full-batch by
backpropagation on the squared error until no training point is misclassified or
--max-epochs have passed; the figure shows each network's decision surface on
[-5, 5]^2 with the training points marked TP / FN / TN / FP, and the training error
and l2 loss per epoch. Widths count real units: the post counts the bias unit in a
layer's width, so its [6, 3] with biases is --widths 5 2 --bias here.

Several seeds (--seeds S [S ...], or --n-seeds N for --seed, --seed+1, ...): every
seed's pair of networks is trained (all seeds of a network at once, each exactly as a
run with that --seed alone); the script prints per network the share of seeds that
converged, the median and quartiles of the convergence epoch and the final training
error (mean +- sd, max), --csv writes one row per (seed, network), and the figure is the
ECDF of the convergence epoch per network (saved with the suffix -seeds.png).

The post's examples (--example NAME; other flags override the example's settings):
  1       data 1, [6, 3], eta 0.25, 2,000 epochs, seed 3
  2       data 2, [6, 3], eta 0.25, 2,000 epochs, seed 3
  2b      data 2, [6, 3], eta 1, 100,000 epochs, seed 3
  3       data 3, [6, 3], eta 1, 20,000 epochs, seed 3
  3b      data 3, [10, 10, 10, 10, 5], eta 1, 100,000 epochs, seed 3
  3-bias  data 3, biases, tanh 11 5 / ReLU 5 2 real units (the post's [12, 6] / [6, 3]),
          eta 1, 5,000 epochs, seed 107 (the post's seed 10 does not reproduce its
          printed epochs; see weight_init.studies.toy_training.study.EXAMPLES)
A preset's figure is saved as toy-training-example-NAME.png (3-bias:
toy-training-with-biases.png) in the current directory when no --output is given and
no window can or may open (never over a committed file).

Examples:
  python plot_toy_training.py --example 1
  python plot_toy_training.py --example 3-bias --no-show
  python plot_toy_training.py --dataset 3 --widths 8 4 --bias --eta 0.5 --max-epochs 3000
  python plot_toy_training.py --example 2b --csv toy.csv
  python plot_toy_training.py --example 3-bias --seed 0 --n-seeds 100 --csv seeds.csv
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
    nonnegative_int,
    positive_float,
    positive_int,
    run,
    seed_list,
    seeds_from_args,
)
from weight_init.studies.toy_training.data import load_toy_data
from weight_init.studies.toy_training.study import EXAMPLES, compare_pairings


def finite_float(text: str) -> float:
    """argparse type: any finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be a finite number")
    return value


def probability(text: str) -> float:
    """argparse type: a number in (0, 1]."""
    value = positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: must be in (0, 1]")
    return value


def build_parser() -> argparse.ArgumentParser:
    description, epilog = __doc__.split("\n\n", 1)
    parser = make_parser(description, epilog=epilog)
    parser.add_argument(
        "--example",
        choices=list(EXAMPLES),
        default=None,
        help="start from one of the post's examples (listed below)",
    )
    parser.add_argument(
        "--dataset",
        type=int,
        choices=[1, 2, 3],
        default=1,
        help="1: quadrant blobs, 2: disc in a ring, 3: vertical stripes",
    )
    parser.add_argument(
        "--widths",
        type=positive_int,
        nargs="+",
        default=[6, 3],
        metavar="N",
        help="hidden widths of both networks, in real units",
    )
    parser.add_argument(
        "--tanh-widths",
        type=positive_int,
        nargs="+",
        default=None,
        metavar="N",
        help="hidden widths of the tanh network only",
    )
    parser.add_argument(
        "--relu-widths",
        type=positive_int,
        nargs="+",
        default=None,
        metavar="N",
        help="hidden widths of the ReLU network only",
    )
    parser.add_argument(
        "--bias",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="biases on every hidden layer and the output",
    )
    parser.add_argument("--bias-init", type=finite_float, default=0.1, help="initial value of every bias")
    parser.add_argument("--eta", type=positive_float, default=0.25, help="learning rate")
    parser.add_argument("--max-epochs", type=positive_int, default=2000, help="stop after this many epochs")
    parser.add_argument(
        "--max-error",
        type=probability,
        default=1e-4,
        help="stop when the training error (fraction misclassified) is below it",
    )
    parser.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="samples per gradient step; None is the full batch, as in the post",
    )
    parser.add_argument(
        "--averaging",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the post's iterate averaging of the weights; --no-averaging is plain gradient descent",
    )
    add_seed_args(parser, "seed of the weights (the same for both networks)", default=3)
    parser.add_argument(
        "--data-seed",
        type=nonnegative_int,
        default=None,
        help="seed of the data set; None is the post's: 8, 3 or 6",
    )
    parser.add_argument(
        "--post-init",
        dest="post_compatible",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="draw the weights as the post does (legacy RandomState(seed), draws whose "
        "mean or std is off by more than 0.05 redrawn); --no-post-init draws plain "
        "normals from np.random.default_rng(seed)",
    )
    parser.add_argument(
        "--csv",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the per-epoch history of both networks to PATH; with "
        "several seeds one row per (seed, network): seed, network, converged, "
        "epoch, final_error",
    )
    add_figure_args(parser, "toy-training.png")
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {sys.modules['weight_init'].__version__}"
    )
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.example is not None:  # the example's settings, then the flags given again
        ex = EXAMPLES[args.example]
        example_widths = list(ex.tanh_widths)
        parser.set_defaults(
            dataset=ex.dataset,
            widths=example_widths,
            tanh_widths=list(ex.tanh_widths),
            relu_widths=list(ex.relu_widths),
            bias=ex.bias,
            eta=ex.eta,
            max_epochs=ex.max_epochs,
            seed=ex.seed,
        )
        args = parser.parse_args(argv)
        # argparse hands back the default object itself when a flag is not given, so a
        # new list means --widths was given: it then sets both architectures unless
        # --tanh-widths / --relu-widths were given too.
        if args.widths is not example_widths:
            if args.tanh_widths == list(ex.tanh_widths):
                args.tanh_widths = None
            if args.relu_widths == list(ex.relu_widths):
                args.relu_widths = None
    return args


def show_progress(key: str, epoch: int, max_epochs: int, train_error: float, done: bool) -> None:
    """One self-overwriting line on stderr while a network trains."""
    end = "\n" if done else ""
    width = 24
    done = int(width * epoch / max_epochs)
    print(
        f"\r{key:>4}: [{'=' * done}{' ' * (width - done)}] epoch {epoch}/{max_epochs}  "
        f"train error {train_error:.4f}",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def show_seed_progress(key: str, epoch: int, max_epochs: int, training: int, done: bool) -> None:
    """One self-overwriting line on stderr while the seeds of a network train."""
    end = "\n" if done else ""
    width = 24
    filled = int(width * epoch / max_epochs)
    print(
        f"\r{key:>4}: [{'=' * filled}{' ' * (width - filled)}] epoch {epoch}/{max_epochs}  "
        f"{training} seed(s) still training ",
        end=end,
        file=sys.stderr,
        flush=True,
    )


def run_seeds(args: argparse.Namespace, seeds: list[int]) -> None:
    """Several seeds: train them all, print the spread, write the outcomes, draw the ECDF."""
    from weight_init.studies.toy_training.seeds import compare_pairings_seeds

    study = compare_pairings_seeds(
        args.dataset,
        seeds=seeds,
        widths=args.widths,
        tanh_widths=args.tanh_widths,
        relu_widths=args.relu_widths,
        bias=args.bias,
        bias_init=args.bias_init,
        eta=args.eta,
        max_epochs=args.max_epochs,
        max_error=args.max_error,
        batch_size=args.batch_size,
        averaging=args.averaging,
        data_seed=args.data_seed,
        post_compatible=args.post_compatible,
        progress=show_seed_progress,
    )
    print(study.report())
    print(f"trained {2 * len(seeds)} networks in {study.seconds:.1f} s")
    if args.example is not None:
        post = EXAMPLES[args.example].post_report
        print(f"the post (one seed): tanh {post[0]}, relu {post[1]}")
    sys.stdout.flush()
    if args.csv is not None:
        saved = atomic_write_csv(study.outcomes(), args.csv)
        print(f"saved the per-seed outcomes to {saved}", file=sys.stderr)

    from weight_init.studies.toy_training.seed_plots import plot_convergence_ecdf

    heading = EXAMPLES[args.example].title if args.example else f"Data set {args.dataset}"
    fig = plot_convergence_ecdf(study, title=f"{heading}: convergence over {len(seeds)} seeds")
    stem = EXAMPLES[args.example].image if args.example else "toy-training.png"
    finish_figure(fig, args.output, args.no_show, stem.replace(".png", "-seeds.png"))


def main() -> None:
    args = parse_args()
    check_output_path(args.output)
    check_writable(args.csv, "--csv", "toy.csv")

    if args.batch_size is not None:
        n = len(load_toy_data(args.dataset, args.data_seed).y)
        if args.batch_size > n:
            raise UserError(
                f"--batch-size {args.batch_size} is larger than data set {args.dataset}, which has {n} points"
            )
    seeds = seeds_from_args(args)
    tanh_w = args.tanh_widths or args.widths
    relu_w = args.relu_widths or args.widths
    what = f"example {args.example}" if args.example else f"data set {args.dataset}"
    seed_text = f"seed {seeds[0]}" if len(seeds) == 1 else f"{len(seeds)} seeds ({seed_list(seeds)})"
    print(
        f"{what}: tanh {tanh_w}, ReLU {relu_w} hidden units"
        f"{' + biases' if args.bias else ''}, eta {args.eta:g}, "
        f"max {args.max_epochs} epochs, {seed_text}",
        flush=True,
    )
    if len(seeds) > 1:
        run_seeds(args, seeds)
        return
    start = time.perf_counter()
    result = compare_pairings(
        args.dataset,
        widths=args.widths,
        tanh_widths=args.tanh_widths,
        relu_widths=args.relu_widths,
        bias=args.bias,
        bias_init=args.bias_init,
        eta=args.eta,
        max_epochs=args.max_epochs,
        max_error=args.max_error,
        batch_size=args.batch_size,
        averaging=args.averaging,
        seed=seeds[0],
        data_seed=args.data_seed,
        post_compatible=args.post_compatible,
        progress=show_progress,
    )
    print(result.report())
    print(f"trained both in {time.perf_counter() - start:.1f} s")
    if args.example is not None:
        post = EXAMPLES[args.example].post_report
        print(f"the post: tanh {post[0]}, relu {post[1]}")
    sys.stdout.flush()
    if args.csv is not None:
        saved = atomic_write_csv(result.to_frame(), args.csv)
        print(f"saved the training history to {saved}", file=sys.stderr)

    from weight_init.studies.toy_training.plots import plot_toy_training

    summary = "; ".join(f"{key}: {hist.summary()}" for key, hist in result.histories.items())
    heading = f"{EXAMPLES[args.example].title}. " if args.example else ""
    fig = plot_toy_training(result, title=heading + summary)
    name = EXAMPLES[args.example].image if args.example else "toy-training.png"
    finish_figure(fig, args.output, args.no_show, name)


def cli() -> int:
    """Console entry point: :func:`main` with a user's mistake as one line and exit 2."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
