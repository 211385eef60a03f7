#!/usr/bin/env python
"""Benchmark: the three-way MNIST training, the plain way against ours, in one run.

The plain way is what the original script did, in Keras 3: for each initializer in turn,
build the CNN, ``compile(RMSprop(), categorical cross-entropy)`` and
``model.fit(x, y, batch_size=128, epochs=12, validation_data=(x_test, y_test))`` with a
callback that records every batch's loss (recovered exactly from Keras' running epoch
mean: ``L_b = (m_b W_b - m_{b-1} W_{b-1}) / w_b`` with ``W_b`` the examples seen so far).
Ours is :func:`weight_init.studies.loss_progression.study.train_loss_progression`: the networks trained
together in one model, one validation pass per epoch; timed in float32
(``fused-float32``: the same arithmetic as the plain way) and with the default
``precision='auto'`` (``fused``: bfloat16 layers on a CPU with AMX/AVX512-BF16).

Both get the same data, the same networks (same initial weights) and the same protocol,
and the loss from logits; the timings include building, compiling and tracing. A short
warm-up first pays TensorFlow's one-time start-up for both. Printed: wall times, the
speed-up, and per network the first-batch loss, the mean batch loss of the last epoch
and the final validation accuracy of both ways (dropout masks and data order differ
between the two ways, so these agree statistically, not digit for digit).

Examples::

    python benchmarks/bench_loss_progression.py --epochs 2            # quick
    python benchmarks/bench_loss_progression.py                       # full protocol
    python benchmarks/bench_loss_progression.py --dataset /tmp/mnist10k.npz --json out.json
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from weight_init._optional import import_keras  # noqa: E402
from weight_init.cli.common import make_parser, nonnegative_int, positive_int, run  # noqa: E402
from weight_init.studies.loss_progression.precision import resolve_precision  # noqa: E402
from weight_init.studies.loss_progression.study import (  # noqa: E402
    ARTICLE_BATCH_SIZE,
    ARTICLE_EPOCHS,
    ARTICLE_N_TRAIN,
    DEFAULT_INITS,
    epoch_table,
    prepare_data,
    resolve_init,
    train_loss_progression,
)
from weight_init.studies.mnist import load_mnist  # noqa: E402

#: plain: 3 x model.fit, float32; fused-float32: ours in float32; fused: ours with the
#: precision 'auto' picks (bfloat16 arithmetic on a CPU with AMX/AVX512-BF16).
WAYS = ("plain", "fused-float32", "fused")


def plain_way(data, inits, *, n_train, epochs, batch_size, seed):
    """Three sequential ``model.fit`` calls; returns per-network batch losses and
    per-epoch validation accuracies."""
    from weight_init.studies.loss_progression.cnn import build_cnn

    keras = import_keras()
    x, y, x_val, y_val = prepare_data(data, n_train, verbose=False)
    sizes = [min(batch_size, len(x) - i) for i in range(0, len(x), batch_size)]
    results = {}
    for spec in inits:
        label, fn = resolve_init(spec)
        model = build_cnn(fn, label=label, seed=seed)
        model.compile(
            optimizer=keras.optimizers.RMSprop(),
            loss=keras.losses.CategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        losses, accs = [], []

        class BatchLoss(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.prev, self.seen = 0.0, 0

            def on_train_batch_end(self, batch, logs=None):
                seen = self.seen + sizes[batch]
                total = float(logs["loss"]) * seen
                losses.append((total - self.prev) / sizes[batch])
                self.prev, self.seen = total, seen

            def on_epoch_end(self, epoch, logs=None):
                accs.append(float(logs["val_accuracy"]))

        model.fit(
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            validation_data=(x_val, y_val),
            callbacks=[BatchLoss()],
            verbose=0,
        )
        results[label] = {"losses": np.array(losses), "val_accuracy": accs}
    return results


def warm_up(data, seed):
    """Pay TensorFlow's one-time start-up (thread pools, oneDNN kernels) for both ways."""
    plain_way(data, DEFAULT_INITS[-1:], n_train=256, epochs=1, batch_size=128, seed=seed)
    train_loss_progression(DEFAULT_INITS[-1:], data=data, n_train=256, epochs=1, seed=seed, verbose=False)


def main() -> int:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--epochs", type=positive_int, default=ARTICLE_EPOCHS, help="epochs")
    parser.add_argument("--n-train", type=positive_int, default=ARTICLE_N_TRAIN, help="training images")
    parser.add_argument("--batch-size", type=positive_int, default=ARTICLE_BATCH_SIZE, help="batch size")
    parser.add_argument("--inits", nargs="+", default=list(DEFAULT_INITS), help="initializers")
    parser.add_argument("--seed", type=nonnegative_int, default=0, help="seed of both ways")
    parser.add_argument("--dataset", default="auto", help="auto, mnist, mnist-sample or an .npz path")
    parser.add_argument(
        "--ways", nargs="+", choices=WAYS, default=list(WAYS), help="what to time, in this order"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args = parser.parse_args()
    for spec in args.inits:
        resolve_init(spec)

    keras = import_keras()
    data = load_mnist(args.dataset)
    x, _, x_val, _ = prepare_data(data, args.n_train, verbose=True)
    steps = math.ceil(len(x) / args.batch_size)
    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPUs; "
        f"{len(x)} training, {len(x_val)} validation images; {args.epochs} epochs of {steps} "
        f"batches of {args.batch_size}; auto precision here: {resolve_precision('auto')}",
        file=sys.stderr,
    )
    warm_up(data, args.seed)

    kw = dict(n_train=args.n_train, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    runs = {}
    for way in args.ways:
        load = os.getloadavg()[0]
        wall, cpu = time.perf_counter(), time.process_time()
        if way == "plain":
            out = plain_way(data, args.inits, **kw)
        else:
            precision = "float32" if way == "fused-float32" else "auto"
            df = train_loss_progression(args.inits, data=data, verbose=False, precision=precision, **kw).table
            table = epoch_table(df)
            out = {
                label: {
                    "losses": df[df["init"] == label]["loss"].to_numpy(),
                    "val_accuracy": table[table["init"] == label]["val_accuracy"].tolist(),
                }
                for label in dict.fromkeys(df["init"])
            }
            way = f"fused-{df.attrs['precision']}" if way == "fused" else way
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        runs[way] = {
            "wall_s": wall,
            "cpu_s": cpu,
            "load_before": load,
            "load_after": os.getloadavg()[0],
            "networks": out,
        }
        print(
            f"{way}: {wall:.1f} s wall, {cpu:.1f} s CPU (load average before {load:.2f})",
            file=sys.stderr,
            flush=True,
        )

    print(
        f"\n{len(args.inits)} networks, {args.epochs} epochs x {steps} batches of "
        f"{args.batch_size}, {len(x)} training / {len(x_val)} validation images "
        f"({data.name}), seed {args.seed}"
    )
    base = runs.get("plain")
    for way, r in runs.items():
        ratio = f"  speed-up {base['wall_s'] / r['wall_s']:.2f} x" if base else ""
        print(f"{way:24s} {r['wall_s']:8.1f} s wall {r['cpu_s']:8.1f} s CPU{ratio}")
    print(
        f"\n{'network':24s} {'way':24s} {'first loss':>11s} {'last-epoch loss':>16s} {'final val. acc.':>16s}"
    )
    labels = list(next(iter(runs.values()))["networks"])
    for label in labels:
        for way, r in runs.items():
            net = r["networks"][label]
            print(
                f"{label:24s} {way:24s} {net['losses'][0]:11.4g} "
                f"{net['losses'][-steps:].mean():16.4g} {net['val_accuracy'][-1]:16.4f}"
            )
    if args.json is not None:
        report = {
            "epochs": args.epochs,
            "n_train": len(x),
            "n_validation": len(x_val),
            "batch_size": args.batch_size,
            "seed": args.seed,
            "source": data.source,
            "backend": keras.backend.backend(),
            "runs": {
                way: {
                    **{k: v for k, v in r.items() if k != "networks"},
                    "networks": {
                        label: {
                            "batch_losses": np.asarray(net["losses"]).tolist(),
                            "val_accuracy": list(net["val_accuracy"]),
                        }
                        for label, net in r["networks"].items()
                    },
                }
                for way, r in runs.items()
            },
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
