"""Cost of the toy with-biases preset over many seeds: batched against one seed at a time.

Trains the preset (``--example 3-bias``: data 3, tanh 11 5 / ReLU 5 2 with biases, eta 1,
5,000 epochs) for seeds ``0 .. N-1`` with :func:`weight_init.studies.toy_training.seeds.run_example_seeds`
(all seeds of a network in one batched pass), then the first ``K`` of those seeds one at
a time with :func:`weight_init.studies.toy_training.study.compare_pairings`, checks that their
outcomes agree, and prints wall-clock and CPU seconds per seed of both and their ratio.
The machine's load average is printed before and after: on a shared machine compare the
ratio (and CPU seconds) rather than the wall time.

    python benchmarks/bench_toy_seeds.py                 # 100 seeds batched, 5 one by one
    python benchmarks/bench_toy_seeds.py --seeds 20 --sequential 3
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from weight_init.studies.toy_training.seeds import run_example_seeds  # noqa: E402
from weight_init.studies.toy_training.study import EXAMPLES, compare_pairings  # noqa: E402


def clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=100, help="seeds trained batched (0..N-1)")
    parser.add_argument("--sequential", type=int, default=5, help="of those, how many also run one at a time")
    parser.add_argument("--example", default="3-bias", choices=list(EXAMPLES))
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)")
    w0, c0 = clocks()
    study = run_example_seeds(args.example, range(args.seeds))
    w1, c1 = clocks()
    batch_wall, batch_cpu = w1 - w0, c1 - c0
    print(study.report())
    print(
        f"batched: {args.seeds} seeds x 2 networks in {batch_wall:.1f} s wall, "
        f"{batch_cpu:.1f} s CPU ({batch_wall / args.seeds:.3f} s wall per seed)"
    )

    outcomes = study.outcomes().set_index(["seed", "network"])
    w0, c0 = clocks()
    for seed in range(args.sequential):
        one = compare_pairings(**{**EXAMPLES[args.example].settings(), "seed": seed})
        for key, hist in one.histories.items():
            row = outcomes.loc[(seed, key)]
            assert bool(row["converged"]) == hist.converged, (seed, key)
            assert row["epoch"] == (hist.converged_epoch if hist.converged else hist.epochs)
            assert row["final_error"] == hist.final_error
    w1, c1 = clocks()
    if args.sequential:
        seq_wall, seq_cpu = (w1 - w0) / args.sequential, (c1 - c0) / args.sequential
        print(
            f"one at a time: {seq_wall:.3f} s wall, {seq_cpu:.3f} s CPU per seed "
            f"(first {args.sequential} seeds; outcomes equal the batched run's)"
        )
        print(
            f"ratio one-at-a-time / batched per seed: wall {seq_wall * args.seeds / batch_wall:.2f}"
            f", CPU {seq_cpu * args.seeds / batch_cpu:.2f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
