"""Many networks trained as one fused Keras model, the machinery every study that trains
shares: the cross-entropy, the summed loss, the per-network batch-loss metrics, the
per-network scores from stacked logits, one epoch
of training (``fit`` or ``train_on_batch``) and the progress bar.

Keras is passed in by the caller; this module imports only numpy and the standard library at
import time.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "AUTO_LOOP",
    "LOOPS",
    "cross_entropy",
    "batch_loss_metrics",
    "summed_loss",
    "validation_scores",
    "check_loop",
    "resolve_loop",
    "Reordered",
    "fit_epoch",
    "Progress",
]


def cross_entropy(y_true: Any, logits: Any) -> Any:
    """Categorical cross-entropy from logits, per example: ``logsumexp(z) - sum(y * z)``.

    For one-hot ``y`` this is ``-log softmax(z)_label``, computed stably and without
    clipping, so every Keras backend gives the same numbers. ``y_true`` broadcasts
    against ``logits`` along the last axis (e.g. ``(B, 1, 10)`` against ``(B, N, 10)``).
    Either may be a numpy array or a backend tensor (Keras' torch trainer hands metrics
    a numpy ``y_true``): both are converted to backend tensors of the logits' dtype
    before any arithmetic, and only ``keras.ops`` computes.
    """
    from weight_init._optional import import_keras

    keras = import_keras()
    ops = keras.ops
    logits = ops.convert_to_tensor(logits)
    y_true = ops.convert_to_tensor(y_true, dtype=keras.backend.standardize_dtype(logits.dtype))
    return ops.subtract(ops.logsumexp(logits, axis=-1), ops.sum(ops.multiply(y_true, logits), axis=-1))


def batch_loss_metrics(keras: Any, n: int) -> list:
    """Per network ``k`` a metric ``batch_loss_k``: the mean loss of the latest batch
    (Keras' own loss log is a running mean), computed in the training step itself."""

    ops = keras.ops

    class BatchLoss(keras.metrics.Metric):
        def __init__(self, k: int) -> None:
            super().__init__(name=f"batch_loss_{k}")
            self.k = k
            self.value = self.add_variable(shape=(), initializer="zeros", name="value")

        def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
            y = y_true if len(y_true.shape) == 2 else y_true[:, self.k, :]
            self.value.assign(ops.mean(cross_entropy(y, y_pred[:, self.k, :])))

        def result(self) -> Any:
            return ops.convert_to_tensor(self.value)

        def reset_state(self) -> None:
            self.value.assign(0.0)

    return [BatchLoss(k) for k in range(n)]


def summed_loss(keras: Any) -> Any:

    ops = keras.ops

    class SummedCrossEntropy(keras.losses.Loss):
        """``sum_k CE(y_k, z_k)`` per example; Keras averages it over the batch. ``y_true``
        is ``(B, 10)`` (every network's labels) or ``(B, N, 10)`` (network ``k``'s in row ``k``)."""

        def call(self, y_true: Any, y_pred: Any) -> Any:
            y = ops.expand_dims(y_true, 1) if len(y_true.shape) == 2 else y_true
            return ops.sum(cross_entropy(y, y_pred), axis=-1)

    return SummedCrossEntropy(name="summed_cross_entropy")


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


#: What ``loop='auto'`` picks per Keras backend (measured, see ``benchmarks/README.md``):
#: ``fit`` where a ``train_on_batch`` call costs most (JAX: the state moves between Keras
#: and the device at every call), ``train_on_batch`` on TensorFlow and torch (on a CPU,
#: ``fit`` measured slower on TensorFlow, no faster on torch).
AUTO_LOOP = {"jax": "fit"}
LOOPS = ("auto", "fit", "train_on_batch")


def check_loop(loop: str) -> str:
    """``loop`` if it is one of :data:`LOOPS`, else a ``ValueError`` naming them."""
    if loop not in LOOPS:
        raise ValueError(f"loop must be one of {', '.join(LOOPS)}; got {loop!r}")
    return loop


def resolve_loop(keras: Any, loop: str = "auto") -> str:
    """``'fit'`` or ``'train_on_batch'``: ``loop`` itself, or for ``'auto'`` the
    backend's entry in :data:`AUTO_LOOP` (``'train_on_batch'`` if none)."""
    check_loop(loop)
    return AUTO_LOOP.get(keras.backend.backend(), "train_on_batch") if loop == "auto" else loop


class Reordered:
    """The rows of ``array`` in the order ``index``, gathered only when read: a slice
    gathers that slice's rows (one batch), ``numpy.asarray`` all of them (for ``fit``).
    With a list of index arrays the rows stack along a new axis 1: row ``i`` is
    ``[array[index[0][i]], array[index[1][i]], ...]``.
    """

    def __init__(self, array: Any, index: Any) -> None:
        self.array, self.index = array, index

    def __len__(self) -> int:
        return len(self.index[0] if isinstance(self.index, list) else self.index)

    def __getitem__(self, cut: slice) -> Any:
        if isinstance(self.index, list):
            return np.stack([self.array[i[cut]] for i in self.index], axis=1)
        return self.array[self.index[cut]]

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        return np.asarray(self[:], dtype=dtype)


def fit_epoch(
    keras: Any,
    model: Any,
    x: Any,
    y: Any,
    batch_size: int,
    n_networks: int,
    *,
    on_batch: Callable[[int, list[float]], None] | None = None,
    recorder: Any = None,
    first_step: int = 0,
    loop: str = "auto",
) -> list[list[float]]:
    """One epoch over ``(x, y)`` in the order given, batches of ``batch_size`` cut as
    ``fit`` cuts them (the last one smaller); returns every batch's own losses,
    ``losses[step][k]`` for network ``k`` (the ``batch_loss_k`` metrics of
    :func:`batch_loss_metrics`). ``x`` is an array or a list of arrays (one per input);
    ``x`` and ``y`` may also be :class:`Reordered` views, which ``train_on_batch`` reads a
    batch at a time (no copy of the epoch's data) and ``fit`` gathers at once.

    ``loop='fit'`` runs one ``model.fit(x, y, shuffle=False, epochs=1)``, which keeps the
    model's state inside the backend for the whole epoch; without a ``recorder`` the
    losses are read in Keras' callback thread (``async_safe``), so the next step is
    dispatched without waiting for them. ``loop='train_on_batch'`` calls
    ``model.train_on_batch`` once per batch. Both give the same numbers (tested bit for
    bit); ``'auto'`` picks per backend (:func:`resolve_loop`).

    ``on_batch(step, losses)`` is called after every step (``step`` from 0; with
    ``fit``, possibly in Keras' callback thread: keep it light). ``recorder`` (a
    :class:`weight_init.studies.loss_progression.recorder.LayerStatsRecorder`) wraps every step it
    ``records`` (numbered from ``first_step``) in its ``before(x_batch, step)`` and
    ``after()``, with the model's variables up to date (a state sync on JAX).
    """
    keys = [f"batch_loss_{k}" for k in range(n_networks)]
    losses: dict[int, list[float]] = {}
    several = isinstance(x, (list, tuple))

    def batch_of(a: Any, step: int) -> Any:
        cut = slice(step * batch_size, (step + 1) * batch_size)
        return [part[cut] for part in a] if isinstance(a, (list, tuple)) else a[cut]

    def begin(step: int) -> bool:
        record = recorder is not None and recorder.records(first_step + step)
        if record:
            recorder.before(batch_of(x, step), first_step + step)
        return record

    def end(step: int, logs: Any) -> None:
        values = [float(logs[key]) for key in keys]
        losses[step] = values
        if on_batch is not None:
            on_batch(step, values)

    if resolve_loop(keras, loop) == "train_on_batch":
        n = len(x[0]) if several else len(x)
        for step in range(-(-n // batch_size)):
            record = begin(step)
            logs = model.train_on_batch(batch_of(x, step), batch_of(y, step), return_dict=True)
            if record:
                recorder.after()
            end(step, logs)
        return [losses[step] for step in range(len(losses))]

    class BatchLosses(keras.callbacks.Callback):
        async_safe = recorder is None

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if recorder is not None and recorder.records(first_step + batch):
                self.model  # noqa: B018  (on JAX: puts the training state into the variables)
                begin(batch)

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            if recorder is not None and recorder.records(first_step + batch):
                self.model  # noqa: B018
                recorder.after()
            end(batch, logs)

    model.fit(
        [np.asarray(a) for a in x] if several else np.asarray(x),
        np.asarray(y),
        batch_size=batch_size,
        epochs=1,
        shuffle=False,
        verbose=0,
        callbacks=[BatchLosses()],
    )
    return [losses[step] for step in range(len(losses))]


class Progress:
    """A one-line progress bar on stdout (a line per epoch when it is not a terminal).

    stdout, not stderr: progress is status, and a notebook shows stderr as if it were an
    error (see :mod:`weight_init.messages`).
    """

    def __init__(self, labels: Sequence[str], epochs: int, steps: int, stream: Any = None) -> None:
        self.labels, self.epochs, self.steps = list(labels), epochs, steps
        self.stream = stream or sys.stdout
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
        line = (
            f"\repoch {epoch + 1}/{self.epochs} [{'=' * fill}{' ' * (width - fill)}] "
            f"{step}/{self.steps}  {elapsed:.0f}s, ~{eta:.0f}s left  batch loss: "
            f"{self._losses(losses)}"
        )
        self.stream.write(line[:160] + "\x1b[K")
        self.stream.flush()

    def epoch_end(self, epoch: int, val_loss: Sequence[float], val_acc: Sequence[float]) -> None:
        elapsed = time.perf_counter() - self.start
        accs = "  ".join(f"{label} {a:.4f}" for label, a in zip(self.labels, val_acc))
        line = f"epoch {epoch + 1}/{self.epochs} done ({elapsed:.0f}s)  validation accuracy: {accs}"
        self.stream.write(f"\r{line}\x1b[K\n" if self.tty else f"{line}\n")
        self.stream.flush()
