#!/usr/bin/env python
"""Benchmark: the trainable-depth grid trained as one fused model against one ``model.fit``
per network, as a ratio measured in one run.

The plain way: for each network of the grid in turn, build it from plain
``keras.layers.Dense`` layers (:func:`weight_init.studies.trainable_depth.network.build_mlp`,
the same initial weights), ``compile(SGD, categorical cross-entropy from logits)`` and
one ``model.fit`` per pass over its data in its own order (:func:`weight_init.studies.trainable_depth.study.batch_order`)
for the same number of steps. Ours: the whole grid in one model
(:func:`weight_init.studies.trainable_depth.network.build_grid`, networks of a depth stacked)
trained by :func:`weight_init.studies.trainable_depth.study.fit_grid`. Both timings include
building, compiling and tracing; a short warm-up first pays the framework's one-time start.
The two ways run alternately ``--repeats`` times (paired: the ratio of each pair is taken,
so a change in the machine's load between pairs cancels); printed: each pair's wall
times and ratio, their median, and how far the two ways' final batch losses are apart.

Examples::

    python benchmarks/bench_trainable_depth.py                    # 3 x 3 grid, 200 steps
    python benchmarks/bench_trainable_depth.py --depths 2 8 32 --repeats 5 --json out.json
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from weight_init._optional import import_keras
from weight_init.cli.common import make_parser, positive_float, positive_int, run
from weight_init.studies.fused import batch_loss_metrics, summed_loss
from weight_init.studies.mnist import load_mnist
from weight_init.studies.trainable_depth.network import build_grid, build_mlp
from weight_init.studies.trainable_depth.study import (
    batch_order,
    fit_grid,
    flat_data,
    grid_networks,
    make_optimizer,
)


def fused_way(keras, nets, seeds, x, y, *, width, steps, batch_size, lr):
    model = build_grid(nets, width, seeds)
    model.compile(
        optimizer=make_optimizer(keras, "sgd", lr),
        loss=summed_loss(keras),
        metrics=batch_loss_metrics(keras, len(nets)),
    )
    return fit_grid(keras, model, nets, seeds, x, y, steps, batch_size)[-1]


def plain_way(keras, nets, x, y, *, width, steps, batch_size, lr):
    last = []
    for net in nets:
        model = build_mlp(net, width)
        model.compile(
            optimizer=make_optimizer(keras, "sgd", lr),
            loss=keras.losses.CategoricalCrossentropy(from_logits=True),
        )
        losses = []

        class Logged(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                losses.append(float(logs["loss"]))

        for order in batch_order(net.seed, len(x), steps, batch_size):  # one fit per pass, as fit_grid
            losses.clear()
            model.fit(
                x[order],
                y[order],
                batch_size=batch_size,
                epochs=1,
                shuffle=False,
                verbose=0,
                callbacks=[Logged()],
            )
        # Keras logs the running mean of the fit call: the last batch's own loss from the last two.
        sizes = np.minimum(batch_size, len(order) - batch_size * np.arange(len(losses)))
        seen = np.cumsum(sizes)
        last.append((losses[-1] * seen[-1] - (losses[-2] * seen[-2] if len(losses) > 1 else 0)) / sizes[-1])
    return np.asarray(last)


def main() -> None:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--depths", type=positive_int, nargs="+", default=[2, 8, 16])
    parser.add_argument("--sigma-w2", type=positive_float, nargs="+", default=[0.5, 1.5, 3.0])
    parser.add_argument("--sigma-b2", type=float, default=0.05)
    parser.add_argument("--width", type=positive_int, default=64)
    parser.add_argument("--steps", type=positive_int, default=200)
    parser.add_argument("--batch-size", type=positive_int, default=64)
    parser.add_argument("--learning-rate", type=positive_float, default=0.01)
    parser.add_argument("--repeats", type=positive_int, default=3, help="pairs (fused, plain) timed")
    parser.add_argument("--dataset", default="mnist-sample")
    parser.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    args = parser.parse_args()

    keras = import_keras()
    data = load_mnist(args.dataset)
    x, y, _, _ = flat_data(data, verbose=False)
    seeds = [0]
    nets = grid_networks(args.depths, args.sigma_w2, args.sigma_b2, seeds)
    common = dict(width=args.width, batch_size=args.batch_size, lr=args.learning_rate)
    warm = grid_networks(args.depths[:1], args.sigma_w2[:1], args.sigma_b2, seeds)
    fused_way(keras, warm, seeds, x, y, steps=5, **common)
    plain_way(keras, warm, x, y, steps=5, **common)
    print(
        f"{len(nets)} networks (depths {args.depths} x sigma_w^2 {args.sigma_w2}), width {args.width}, "
        f"{args.steps} SGD steps of {args.batch_size} on {len(x)} images ({data.name}), "
        f"Keras {keras.__version__} on {keras.backend.backend()}"
    )
    pairs = []
    for r in range(args.repeats):
        t = time.perf_counter()
        fused_last = fused_way(keras, nets, seeds, x, y, steps=args.steps, **common)
        t_fused = time.perf_counter() - t
        t = time.perf_counter()
        plain_last = plain_way(keras, nets, x, y, steps=args.steps, **common)
        t_plain = time.perf_counter() - t
        pairs.append((t_fused, t_plain))
        print(
            f"  pair {r + 1}: fused {t_fused:6.1f} s   plain {t_plain:6.1f} s   plain / fused {t_plain / t_fused:5.2f}x"
        )
    ratio = statistics.median(p / f for f, p in pairs)
    rel = np.abs(fused_last - plain_last) / np.abs(plain_last)
    print(f"median speed-up of the fused grid: {ratio:.2f}x (plain time / fused time, {len(pairs)} pairs)")
    ordered = [k for k, n in enumerate(nets) if n.sigma_w2 <= 1.5]
    print(
        f"last batch loss, fused against plain: max relative difference {rel.max():.2e} "
        f"(sigma_w^2 <= 1.5: {rel[ordered].max():.2e})"
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                dict(
                    networks=len(nets),
                    depths=args.depths,
                    sigma_w2=args.sigma_w2,
                    width=args.width,
                    steps=args.steps,
                    pairs=pairs,
                    median_ratio=ratio,
                    backend=keras.backend.backend(),
                ),
                indent=2,
            )
        )


if __name__ == "__main__":
    sys.exit(run(main))
