#!/usr/bin/env python
"""Benchmark: the fused three-way training measured against the machine's own kernels.

One run reports, per precision (float32, bfloat16):

* the **kernel roofline**: GFLOP/s of a large matmul (``N^3``, ``2 N^3`` FLOP) and of
  the forward convolution of ``conv2`` alone (batch 128, 26x26x32 -> 24x24x64, 3x3,
  ``2 * 128 * 24 * 24 * 64 * 3 * 3 * 32 = 2.72`` GFLOP), through ``keras.ops``;
* the two **backward kernels** of ``conv2`` alone (the input gradient and the filter
  gradient, each ``2.72`` GFLOP, timed through the backend's autodiff) and the
  **training roofline** they imply, ``3 / (1/forward + 1/backward_input +
  1/backward_filter)``: the rate of a step made of conv2's three kernels and nothing else;
* the **fused training** (:func:`weight_init.studies.loss_progression.study.train_loss_progression`) as a
  whole: wall time and effective GFLOP/s from the analytic FLOP count below, and its
  share of the conv2 forward kernel's rate and of the training roofline;
* the **split of one training step**, by timing variants of the same fused model on the
  same batches after warm-up: ``forward`` (``predict_on_batch``, no dropout),
  ``full`` (``train_on_batch`` with RMSprop), ``sgd`` (the same with plain SGD: the
  difference is RMSprop's own cost), ``overhead`` (``train_on_batch`` on a batch of one
  image: the per-step cost that does not scale with the batch); backward is the rest,
  ``full - forward - optimizer - overhead``; and the validation pass per epoch;
* the **start-up**: seconds from the start of the process to the Keras import, to the
  data, and to the first training step done (building, compiling, tracing).

FLOPs per image and network, forward (multiply-adds count 2): conv1
``26*26*32*9*2 = 0.39 M``, conv2 ``24*24*64*288*2 = 21.2 M``, dense1 ``9216*128*2 =
2.36 M``, logits ``128*10*2 = 0.003 M``: 23.99 MFLOP. A training step costs about 3x
the forward (the backward computes the gradients of the inputs and of the weights, each
about the forward's cost; conv1's input gradient is not needed, which the count
ignores): 71.96 MFLOP per image and network. Validation is forward only.

Examples::

    python benchmarks/bench_roofline.py                        # offline sample, 4 epochs
    python benchmarks/bench_roofline.py --dataset mnist10k.npz --epochs 12 --n-train 10000
    KERAS_BACKEND=jax python benchmarks/bench_roofline.py --json out.json
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

START = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from weight_init._optional import import_keras  # noqa: E402
from weight_init.cli.common import make_parser, positive_int, run  # noqa: E402

#: Forward FLOPs per image and network (see the module docstring).
FORWARD_FLOP = {
    "conv1": 26 * 26 * 32 * 9 * 2,
    "conv2": 24 * 24 * 64 * 288 * 2,
    "dense1": 9216 * 128 * 2,
    "logits": 128 * 10 * 2,
}
FORWARD_PER_IMAGE = sum(FORWARD_FLOP.values())
TRAIN_PER_IMAGE = 3 * FORWARD_PER_IMAGE
CONV2_FLOP = 2 * 128 * 24 * 24 * 64 * 3 * 3 * 32
PRECISIONS = {"float32": "float32", "bfloat16": "mixed_bfloat16"}


def _sync(ops, y) -> None:
    """Wait for ``y`` (JAX and torch dispatch asynchronously): read one element."""
    ops.convert_to_numpy(ops.reshape(y, (-1,))[:1])


def _rate(fn, flop: float, ops, min_time: float = 1.0) -> float:
    """GFLOP/s of ``fn()`` (after two warm-up calls), timed over >= ``min_time`` s."""
    for _ in range(2):
        _sync(ops, fn())
    n, start = 0, time.perf_counter()
    while True:
        y = fn()
        n += 1
        if time.perf_counter() - start >= min_time:
            break
    _sync(ops, y)
    return flop * n / (time.perf_counter() - start) / 1e9


def conv2_backward_kernels(keras, x, k, dy):
    """The two backward kernels of ``conv2``, each alone, as the backend's autodiff calls
    them: ``dL/dx`` (backprop to the input) and ``dL/dk`` (the filter gradient) of
    ``L = sum(conv(x, k) * dy)``, compiled where the backend compiles a training step (a
    ``tf.function`` on TensorFlow, ``jax.jit`` on JAX; torch runs eagerly), so the unused
    forward convolution is pruned. This is the one backend-specific part of the benchmark:
    ``keras.ops`` has no gradient."""
    ops = keras.ops
    backend = keras.backend.backend()
    loss = lambda xx, kk: ops.sum(ops.conv(xx, kk, padding="valid") * dy)  # noqa: E731
    if backend == "tensorflow":
        import tensorflow as tf

        def grad(argnum):
            @tf.function
            def fn():
                with tf.GradientTape() as tape:
                    watched = (x, k)[argnum]
                    tape.watch(watched)
                    value = loss(x, k)
                return tape.gradient(value, watched)

            return fn

        return grad(0), grad(1)
    if backend == "jax":
        import jax

        gx, gk = jax.jit(jax.grad(loss, argnums=0)), jax.jit(jax.grad(loss, argnums=1))
        return (lambda: gx(x, k)), (lambda: gk(x, k))
    if backend == "torch":
        import torch

        xt = x.permute(0, 3, 1, 2).contiguous()
        kt = k.permute(3, 2, 0, 1).contiguous()
        dyt = dy.permute(0, 3, 1, 2).contiguous()
        return (lambda: torch.nn.grad.conv2d_input(xt.shape, kt, dyt)), (
            lambda: torch.nn.grad.conv2d_weight(xt, kt.shape, dyt)
        )
    raise ValueError(f"no backward-kernel timing for the {backend} backend")


def kernel_rates(keras, dtype: str, n: int) -> dict[str, float]:
    """GFLOP/s of the matmul and of conv2's forward and two backward kernels, and the
    training step's own roofline: ``3 / (1/forward + 1/backward_input +
    1/backward_filter)``, the rate of a step whose FLOPs split as conv2's do (forward,
    input gradient, filter gradient: one third each) and each run at its lone kernel's
    rate, with nothing else in between."""
    ops = keras.ops
    rng = np.random.default_rng(0)
    a = ops.cast(rng.standard_normal((n, n), dtype=np.float32), dtype)
    b = ops.cast(rng.standard_normal((n, n), dtype=np.float32), dtype)
    x = ops.cast(rng.standard_normal((128, 26, 26, 32), dtype=np.float32), dtype)
    k = ops.cast(rng.standard_normal((3, 3, 32, 64), dtype=np.float32) * 0.1, dtype)
    dy = ops.cast(rng.standard_normal((128, 24, 24, 64), dtype=np.float32), dtype)
    rates = {
        "matmul": _rate(lambda: ops.matmul(a, b), 2.0 * n**3, ops),
        "conv2_forward": _rate(lambda: ops.conv(x, k, padding="valid"), CONV2_FLOP, ops),
    }
    back_input, back_filter = conv2_backward_kernels(keras, x, k, dy)
    rates["conv2_backward_input"] = _rate(back_input, CONV2_FLOP, ops)
    rates["conv2_backward_filter"] = _rate(back_filter, CONV2_FLOP, ops)
    rates["training_roofline"] = 3.0 / sum(
        1.0 / rates[f"conv2_{part}"] for part in ("forward", "backward_input", "backward_filter")
    )
    return rates


def _mean_time(fn, steps: int) -> float:
    fn(0)
    start = time.perf_counter()
    for i in range(steps):
        out = fn(i)
    np.asarray(out if not isinstance(out, dict) else list(out.values())[0])
    return (time.perf_counter() - start) / steps


def step_split(
    keras, x, y, x_val, precision: str, labels, fns, steps: int, batch_size: int
) -> dict[str, float]:
    """Seconds per training step of each variant, and of one validation pass."""
    from weight_init.studies.fused import batch_loss_metrics, summed_loss
    from weight_init.studies.loss_progression.cnn import build_cnns
    from weight_init.studies.loss_progression.evaluation import default_validation_batch_size

    def model_with(optimizer):
        model = build_cnns(fns, labels, seed=0, precision=precision)
        model.compile(
            optimizer=optimizer, loss=summed_loss(keras), metrics=batch_loss_metrics(keras, len(labels))
        )
        return model

    n_batches = len(x) // batch_size
    batch = lambda i: slice((i % n_batches) * batch_size, (i % n_batches + 1) * batch_size)  # noqa: E731
    rms = model_with(keras.optimizers.RMSprop())
    sgd = model_with(keras.optimizers.SGD())
    full = _mean_time(lambda i: rms.train_on_batch(x[batch(i)], y[batch(i)], return_dict=True), steps)
    plain = _mean_time(lambda i: sgd.train_on_batch(x[batch(i)], y[batch(i)], return_dict=True), steps)
    forward = _mean_time(lambda i: rms.predict_on_batch(x[batch(i)]), steps)
    one = _mean_time(lambda i: rms.train_on_batch(x[i : i + 1], y[i : i + 1], return_dict=True), steps)
    vb = default_validation_batch_size(keras)  # as the training validates
    val = _mean_time(
        lambda i: np.concatenate(
            [np.asarray(rms.predict_on_batch(x_val[j : j + vb])) for j in range(0, len(x_val), vb)]
        ),
        3,
    )
    optimizer = max(full - plain, 0.0)
    return {
        "full": full,
        "forward": forward,
        "optimizer": optimizer,
        "overhead": one,
        "backward": max(full - forward - optimizer - one, 0.0),
        "validation_pass": val,
    }


def main() -> int:
    parser = make_parser(__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--dataset", default="auto", help="auto, mnist, mnist-sample or an .npz path")
    parser.add_argument("--epochs", type=positive_int, default=4, help="epochs of the fused run")
    parser.add_argument("--n-train", type=positive_int, default=5000, help="training images")
    parser.add_argument("--matmul-n", type=positive_int, default=4096, help="size of the square matmul")
    parser.add_argument(
        "--split-steps", type=positive_int, default=20, help="timed steps per variant of the step split"
    )
    parser.add_argument(
        "--precisions",
        nargs="+",
        choices=list(PRECISIONS),
        default=list(PRECISIONS),
        help="precisions to measure",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()

    keras = import_keras()
    t_import = time.perf_counter() - START
    from weight_init.studies.loss_progression.study import (
        DEFAULT_INITS,
        prepare_data,
        resolve_init,
        train_loss_progression,
    )
    from weight_init.studies.mnist import load_mnist

    data = load_mnist(args.dataset)
    x, y, x_val, _ = prepare_data(data, args.n_train, verbose=True)
    t_data = time.perf_counter() - START
    resolved = [resolve_init(s) for s in DEFAULT_INITS]
    labels, fns = [r[0] for r in resolved], [r[1] for r in resolved]
    n_net = len(labels)
    backend = keras.backend.backend()
    print(
        f"backend {backend}, {os.cpu_count()} CPUs, data {data.name}: {len(x)} training, "
        f"{len(x_val)} validation images, {args.epochs} epochs, {n_net} networks",
        flush=True,
    )
    print(f"start-up: Keras imported at {t_import:.2f} s, data ready at {t_data:.2f} s", flush=True)

    # The first training step of the real run, timed from the process start.
    first = {}

    def progress_probe():
        import weight_init.studies.fused as fused

        original = fused.Progress.batch

        def batch(self, epoch, step, losses):
            first.setdefault("t", time.perf_counter() - START)
            return original(self, epoch, step, losses)

        fused.Progress.batch = batch

    results = {
        "backend": backend,
        "data": data.name,
        "n_train": len(x),
        "n_validation": len(x_val),
        "epochs": args.epochs,
        "networks": n_net,
        "start_up": {"import_keras_s": t_import, "data_s": t_data},
    }
    flop_train = TRAIN_PER_IMAGE * n_net * len(x) * args.epochs
    flop_val = FORWARD_PER_IMAGE * n_net * len(x_val) * args.epochs
    results["flop"] = {"train": flop_train, "validation": flop_val}
    for name in args.precisions:
        policy = PRECISIONS[name]
        res: dict = {}
        if not first:
            progress_probe()
        start = time.perf_counter()
        devnull = open(os.devnull, "w")
        saved, sys.stderr = sys.stderr, devnull
        try:
            train_loss_progression(
                DEFAULT_INITS,
                data=data,
                n_train=args.n_train,
                epochs=args.epochs,
                precision=name,
                verbose=True,
            )
        finally:
            sys.stderr = saved
            devnull.close()
        wall = time.perf_counter() - start
        if "t" in first and "first_step_s" not in results["start_up"]:
            results["start_up"]["first_step_s"] = first["t"]
            print(
                f"start-up: first training step done at {first['t']:.2f} s after the process start",
                flush=True,
            )
        res["fused_wall_s"] = wall
        res["fused_gflops"] = (flop_train + flop_val) / wall / 1e9
        dtype = "float32" if name == "float32" else "bfloat16"
        res["kernels_gflops"] = kernel_rates(keras, dtype, args.matmul_n)
        res["share_of_conv2_kernel"] = res["fused_gflops"] / res["kernels_gflops"]["conv2_forward"]
        res["share_of_training_roofline"] = res["fused_gflops"] / res["kernels_gflops"]["training_roofline"]
        split = step_split(keras, x, y, x_val, policy, labels, fns, args.split_steps, 128)
        steps = -(-len(x) // 128) * args.epochs
        parts = {
            "forward": split["forward"] * steps,
            "backward": split["backward"] * steps,
            "optimizer": split["optimizer"] * steps,
            "per-step overhead": split["overhead"] * steps,
            "validation": split["validation_pass"] * args.epochs,
        }
        parts["other (build, compile, tracing, data)"] = max(wall - sum(parts.values()), 0.0)
        res["step_s"] = split
        res["time_parts_s"] = parts
        results[name] = res
        k = res["kernels_gflops"]
        print(
            f"\n{name}: fused training {wall:.1f} s = {res['fused_gflops']:.0f} GFLOP/s "
            f"({100 * res['share_of_conv2_kernel']:.0f} % of the conv2 forward kernel, "
            f"{100 * res['share_of_training_roofline']:.0f} % of the training roofline)",
            flush=True,
        )
        print(
            f"  kernels: matmul {k['matmul']:.0f}, conv2 forward {k['conv2_forward']:.0f}, "
            f"backward input {k['conv2_backward_input']:.0f}, backward filter "
            f"{k['conv2_backward_filter']:.0f} GFLOP/s; training roofline "
            f"{k['training_roofline']:.0f} GFLOP/s ("
            f"{100 * k['training_roofline'] / k['conv2_forward']:.0f} % of conv2 forward)",
            flush=True,
        )
        print(
            f"  one step: {1e3 * split['full']:.1f} ms (forward {1e3 * split['forward']:.1f}, "
            f"optimizer {1e3 * split['optimizer']:.1f}, overhead {1e3 * split['overhead']:.1f}, "
            f"backward {1e3 * split['backward']:.1f}); validation pass "
            f"{1e3 * split['validation_pass']:.0f} ms",
            flush=True,
        )
        for part, sec in parts.items():
            print(f"  {part:40s} {sec:7.2f} s  {100 * sec / wall:5.1f} %")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
