"""Watch a Keras model train: LayerStatsCallback on a ReLU MLP, and its four-row figure.

A plain Keras MLP (--depth Dense layers of --width ReLU units and a 10-way linear output,
every kernel drawn by --init, zero biases, Adam) is trained on --n-train digits of the
MNIST sample for --epochs epochs with weight_init.keras_tools.LayerStatsCallback
recording every --every steps on a fixed probe batch of --probe training digits (with
their labels: the gradients are the loss's). The figure is the callback's plot():
activation std, dead fraction and update ratio per layer over the steps, and the
activation histograms of --heat-layer (default the last hidden layer). --table writes
the callback's table as CSV, --log-dir TensorBoard events (tensorboard --logdir DIR).

The committed images/watch-training.png is --init normal:0.01 (a failing
initialization: every layer shrinks the signal), the docs' page watch-training.md reads it.

Examples:
  python -m weight_init.cli.watch_training --no-show
  python -m weight_init.cli.watch_training --init he_normal --log-dir logs/he
  python -m weight_init.cli.watch_training --init normal:0.01 --table stats.csv --output watch.png
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from weight_init.cli.common import (
    add_figure_args,
    atomic_write_csv,
    check_output_path,
    check_writable,
    finish_figure,
    init_spec,
    make_parser,
    positive_float,
    positive_int,
    run,
)

__all__ = ["build_parser", "main", "cli"]


def build_parser():
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1], prog="watch_training")
    parser.add_argument(
        "--init",
        type=init_spec,
        default="normal:0.01",
        help="initializer of every kernel (any name of the package)",
    )
    parser.add_argument("--depth", type=positive_int, default=6, help="hidden Dense layers")
    parser.add_argument("--width", type=positive_int, default=128, help="units per hidden layer")
    parser.add_argument("--n-train", type=positive_int, default=2000, help="training digits")
    parser.add_argument("--epochs", type=positive_int, default=4)
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--learning-rate", type=positive_float, default=1e-3, help="Adam's step size")
    parser.add_argument("--every", type=positive_int, default=4, help="record every this many steps")
    parser.add_argument("--probe", type=positive_int, default=256, help="digits in the probe batch")
    parser.add_argument(
        "--heat-layer", default=None, help="layer of the histogram row (a Dense layer's name)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the weights and the batch order")
    parser.add_argument("--table", type=Path, default=None, metavar="PATH", help="write the table as CSV")
    parser.add_argument("--log-dir", type=Path, default=None, metavar="DIR", help="write TensorBoard events")
    add_figure_args(parser, "watch-training.png")
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    check_output_path(args.output)
    check_writable(args.table, "--table", "stats.csv")
    import numpy as np

    from weight_init._optional import UserError, import_keras
    from weight_init.keras_tools import LayerStatsCallback, keras_initializer
    from weight_init.studies.mnist import load_mnist

    keras = import_keras()
    data = load_mnist("mnist-sample", verbose=False)
    if args.n_train > len(data.x_train) or args.probe > args.n_train:
        raise UserError(
            f"--n-train must be at most {len(data.x_train)} and --probe at most --n-train "
            f"(got {args.n_train} and {args.probe})"
        )
    x = np.asarray(data.x_train[: args.n_train], np.float32).reshape(args.n_train, -1)
    y = np.asarray(data.y_train[: args.n_train]).astype(np.int64)
    keras.utils.set_random_seed(args.seed)
    init = keras_initializer(args.init, seed=args.seed)
    model = keras.Sequential(
        [keras.Input((x.shape[1],))]
        + [
            keras.layers.Dense(args.width, activation="relu", kernel_initializer=init, name=f"dense{i}")
            for i in range(1, args.depth + 1)
        ]
        + [keras.layers.Dense(10, kernel_initializer=init, name="logits")]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    cb = LayerStatsCallback(x[: args.probe], y[: args.probe], every=args.every, log_dir=args.log_dir)
    start = time.perf_counter()

    def report(epoch: int, logs: dict) -> None:
        print(
            f"epoch {epoch + 1}/{args.epochs}: loss {logs['loss']:.4f}, accuracy {logs['accuracy']:.3f} "
            f"({time.perf_counter() - start:.0f} s)",
            file=sys.stderr,
        )

    model.fit(
        x,
        y,
        batch_size=args.batch_size,
        epochs=args.epochs,
        verbose=0,
        callbacks=[cb, keras.callbacks.LambdaCallback(on_epoch_end=report)],
    )
    if args.table is not None:
        print(f"saved the layer statistics to {atomic_write_csv(cb.table, args.table)}", file=sys.stderr)
    if args.log_dir is not None:
        print(f"TensorBoard events in {args.log_dir}: tensorboard --logdir {args.log_dir}", file=sys.stderr)
    fig = cb.plot(
        args.heat_layer,
        title=f"{args.depth} x {args.width} ReLU MLP, {args.init}, Adam {args.learning_rate:g}",
    )
    finish_figure(fig, args.output, args.no_show, "watch-training.png")


def cli() -> int:
    """Console entry point: :func:`main` with a user's mistake as one line and exit 2."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
