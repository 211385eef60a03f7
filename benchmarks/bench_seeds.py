#!/usr/bin/env python
"""Benchmark: the cost of an extra seed in the loss-progression training, measured in one run.

After a short warm-up, :func:`weight_init.studies.loss_progression.study.train_loss_progression` with the three
default initializers trains once with one seed (3 networks) and once with ``--n-seeds``
seeds (``3 x N`` networks in the one fused model), on the same data and settings.
Printed: both wall times, their ratio, and the cost per extra seed,
``(t_N / t_1 - 1) / (N - 1)``, as a share of the one-seed run (1.0 would mean an extra seed
costs as much as a whole separate run; less is what training the networks together saves).

Examples::

    python benchmarks/bench_seeds.py                       # offline sample, 2 epochs, 1 vs 3 seeds
    python benchmarks/bench_seeds.py --epochs 12 --n-seeds 5
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weight_init._optional import import_keras  # noqa: E402
from weight_init.cli.common import make_parser, positive_int, run  # noqa: E402
from weight_init.studies.loss_progression.study import ARTICLE_N_TRAIN, train_loss_progression  # noqa: E402
from weight_init.studies.mnist import load_mnist  # noqa: E402


def main() -> int:
    parser = make_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=positive_int, default=2, help="epochs")
    parser.add_argument("--n-train", type=positive_int, default=ARTICLE_N_TRAIN, help="training images")
    parser.add_argument("--n-seeds", type=positive_int, default=3, help="seeds of the second run")
    parser.add_argument("--dataset", default="mnist-sample", help="what load_mnist loads")
    parser.add_argument("--precision", default="auto", help="auto, float32 or bfloat16")
    args = parser.parse_args()
    if args.n_seeds < 2:
        parser.error("--n-seeds must be at least 2")
    keras = import_keras()
    data = load_mnist(args.dataset, verbose=False)
    kwargs = dict(data=data, n_train=args.n_train, precision=args.precision, verbose=False)
    train_loss_progression(epochs=1, seeds=[0, 1], **{**kwargs, "n_train": 256})  # warm-up
    start = time.perf_counter()
    one = train_loss_progression(epochs=args.epochs, seed=0, **kwargs).table
    t1 = time.perf_counter() - start
    start = time.perf_counter()
    train_loss_progression(epochs=args.epochs, seeds=list(range(args.n_seeds)), **kwargs)
    tn = time.perf_counter() - start
    per_seed = (tn / t1 - 1) / (args.n_seeds - 1)
    print(
        f"{keras.backend.backend()}, {one.attrs['precision']}, {one.attrs['n_train']} images, "
        f"{args.epochs} epochs"
    )
    print(
        f"1 seed (3 networks): {t1:.1f} s; {args.n_seeds} seeds ({3 * args.n_seeds} networks): "
        f"{tn:.1f} s; ratio {tn / t1:.2f}"
    )
    print(f"cost per extra seed: {per_seed:.2f} x the one-seed run")
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
