#!/usr/bin/env python
"""Benchmark: the per-step cost of the training loop, ``train_on_batch`` against ``fit``.

The fused model of :func:`weight_init.training.train_loss_progression` is trained for a
few epochs twice on the same batches, from the same initial weights:

* ``train_on_batch``: the package's loop, one ``train_on_batch`` call per batch;
* ``fit``: one ``model.fit(x[perm], y[perm], shuffle=False, epochs=1)`` per epoch (the
  same batches in the same order) with a callback that reads every batch's own losses.

Printed: wall time per step of each loop, and the largest difference between the
per-batch losses of the two (the same arithmetic: zero up to float rounding). On a GPU
the step's arithmetic is small and the per-call cost (moving the model's state between
Keras and the backend on every ``train_on_batch``) decides the speed.

Example::

    KERAS_BACKEND=jax python benchmarks/bench_step_loop.py --dataset mnist10k.npz --epochs 3
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from weight_init.cli import import_keras, make_parser, positive_int, run  # noqa: E402


def main() -> int:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--dataset", default="auto", help="auto, mnist, mnist-sample or an .npz path")
    parser.add_argument("--epochs", type=positive_int, default=3,
                        help="epochs per loop (the first one, with the tracing, is timed apart)")
    parser.add_argument("--n-train", type=positive_int, default=10_000, help="training images")
    args = parser.parse_args()

    keras = import_keras()
    from weight_init.cnn import build_cnns
    from weight_init.data import load_mnist
    from weight_init.fused_training import batch_loss_metrics, summed_loss
    from weight_init.training import DEFAULT_INITS, prepare_data, resolve_init

    data = load_mnist(args.dataset)
    x, y, _, _ = prepare_data(data, args.n_train)
    resolved = [resolve_init(s) for s in DEFAULT_INITS]
    labels, fns = [r[0] for r in resolved], [r[1] for r in resolved]
    keys = [f"batch_loss_{k}" for k in range(len(labels))]
    steps = math.ceil(len(x) / 128)
    perms = [np.random.default_rng([0, e]).permutation(len(x)) for e in range(args.epochs)]

    def model():
        m = build_cnns(fns, labels, seed=0, precision="float32")
        m.compile(optimizer=keras.optimizers.RMSprop(), loss=summed_loss(keras),
                  metrics=batch_loss_metrics(keras, len(labels)))
        return m

    def loop_train_on_batch(m, marks):
        out = []
        for perm in perms:
            marks.append(time.perf_counter())
            for s in range(steps):
                idx = perm[s * 128:(s + 1) * 128]
                logs = m.train_on_batch(x[idx], y[idx], return_dict=True)
                out.append([float(logs[k]) for k in keys])
        return np.array(out)

    def loop_fit(m, marks):
        out = []

        class Record(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                out.append([float(logs[k]) for k in keys])

        for perm in perms:
            marks.append(time.perf_counter())
            m.fit(x[perm], y[perm], batch_size=128, epochs=1, shuffle=False, verbose=0,
                  callbacks=[Record()])
        return np.array(out)

    results = {}
    for name, loop in (("train_on_batch", loop_train_on_batch), ("fit", loop_fit)):
        marks: list[float] = []
        losses = loop(model(), marks)
        marks.append(time.perf_counter())
        results[name] = losses
        first, rest = marks[1] - marks[0], marks[-1] - marks[1]
        per_step = 1e3 * rest / max(steps * (len(perms) - 1), 1)
        print(f"{name:15s} first epoch (tracing included) {first:6.2f} s; then {per_step:6.2f} ms "
              f"per step", flush=True)
    diff = np.abs(results["fit"] - results["train_on_batch"]).max()
    print(f"largest difference of a batch loss between the loops: {diff:.3g} "
          f"(backend {keras.backend.backend()})")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
