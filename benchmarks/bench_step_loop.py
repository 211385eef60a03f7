#!/usr/bin/env python
"""Benchmark: the per-step cost of the two epoch loops, ``train_on_batch`` against ``fit``.

The fused model of :func:`weight_init.studies.loss_progression.study.train_loss_progression` is trained for a
few epochs twice on the same batches, from the same initial weights, with the package's
own epoch function :func:`weight_init.studies.fused.fit_epoch`:

* ``train_on_batch``: one ``model.train_on_batch`` call per batch;
* ``fit``: one ``model.fit(x[perm], y[perm], shuffle=False, epochs=1)`` per epoch (the
  same batches in the same order), every batch's own losses read by a callback.

Printed: wall time per step of each loop after its first epoch (which traces), and the
largest difference between the per-batch losses of the two (the same arithmetic: zero).
On a GPU the step's arithmetic is small and the per-call cost (moving the model's state
between Keras and the backend on every ``train_on_batch``) decides the speed; a small
``--batch-size`` shows the same per-call cost on a CPU.

Example::

    KERAS_BACKEND=jax python benchmarks/bench_step_loop.py --dataset mnist10k.npz --epochs 3
    KERAS_BACKEND=jax python benchmarks/bench_step_loop.py --batch-size 4 --n-train 400
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from weight_init._optional import import_keras  # noqa: E402
from weight_init.cli.common import make_parser, positive_int, run  # noqa: E402


def main() -> int:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--dataset", default="auto", help="auto, mnist, mnist-sample or an .npz path")
    parser.add_argument(
        "--epochs",
        type=positive_int,
        default=3,
        help="epochs per loop (the first one, with the tracing, is timed apart)",
    )
    parser.add_argument("--n-train", type=positive_int, default=10_000, help="training images")
    parser.add_argument("--batch-size", type=positive_int, default=128, help="images per step")
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        help="time both loops this many times, alternating (on a noisy machine)",
    )
    args = parser.parse_args()

    keras = import_keras()
    from weight_init.studies.fused import batch_loss_metrics, fit_epoch, summed_loss
    from weight_init.studies.loss_progression.cnn import build_cnns
    from weight_init.studies.loss_progression.study import DEFAULT_INITS, prepare_data, resolve_init
    from weight_init.studies.mnist import load_mnist

    data = load_mnist(args.dataset)
    x, y, _, _ = prepare_data(data, args.n_train)
    resolved = [resolve_init(s) for s in DEFAULT_INITS]
    labels, fns = [r[0] for r in resolved], [r[1] for r in resolved]
    steps = math.ceil(len(x) / args.batch_size)
    perms = [np.random.default_rng([0, e]).permutation(len(x)) for e in range(args.epochs)]
    print(
        f"backend {keras.backend.backend()}, {len(x)} images, batches of {args.batch_size}: "
        f"{steps} steps per epoch, {args.epochs} epochs per loop",
        flush=True,
    )

    def model():
        m = build_cnns(fns, labels, seed=0, precision="float32")
        m.compile(
            optimizer=keras.optimizers.RMSprop(),
            loss=summed_loss(keras),
            metrics=batch_loss_metrics(keras, len(labels)),
        )
        return m

    results, per_step = {}, {"train_on_batch": [], "fit": []}
    for _ in range(args.repeat):
        for loop in per_step:
            m, marks, losses = model(), [], []
            for perm in perms:
                marks.append(time.perf_counter())
                losses += fit_epoch(keras, m, x[perm], y[perm], args.batch_size, len(labels), loop=loop)
            marks.append(time.perf_counter())
            results[loop] = np.array(losses)
            first, rest = marks[1] - marks[0], marks[-1] - marks[1]
            per_step[loop].append(1e3 * rest / max(steps * (len(perms) - 1), 1))
            print(
                f"{loop:15s} first epoch (tracing included) {first:6.2f} s; then "
                f"{per_step[loop][-1]:7.2f} ms per step",
                flush=True,
            )
    if args.repeat > 1:
        for loop, times in per_step.items():
            print(f"{loop:15s} median {np.median(times):7.2f} ms per step over {args.repeat} runs")
    diff = np.abs(results["fit"] - results["train_on_batch"]).max()
    print(f"largest difference of a batch loss between the loops: {diff:.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
