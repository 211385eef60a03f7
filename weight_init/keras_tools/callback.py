"""Watch your own model train: per-layer statistics during ``model.fit``, as a Keras callback.

:class:`LayerStatsCallback` is a ``keras.callbacks.Callback`` for any built Keras 3 model
(``Sequential``, functional, or subclassed: every layer with a ``kernel`` among
``model.layers`` and the layers of nested models), on the TensorFlow, JAX and torch
backends::

    cb = LayerStatsCallback(x_probe, every=10, log_dir="logs/run1")
    model.fit(x, y, epochs=3, callbacks=[cb])
    cb.table        # step, epoch, layer, act_mean, act_std, ..., update_ratio
    cb.plot()       # the four-row figure; tensorboard --logdir logs

Every ``every`` training steps (and before the first), at the start of the step, it runs
the model once on the fixed probe batch ``x`` (``training=False``: dropout off,
batch-norm in inference mode) and takes the gradient of a loss with respect to every
kernel: with ``y`` the compiled loss (or ``loss=``) on ``(x, y)``, without ``y`` the
seeded standard-normal upstream gradient of :func:`weight_init.keras_tools.layer_stats`
(:func:`weight_init.keras_tools.probe.loss_function`). At the start of the next step
(or at the end of ``fit``) it compares each kernel with its copy: the callback has only
batch-*begin* hooks, so Keras keeps dispatching steps without waiting for their logs. The statistics, columns
:data:`weight_init.keras_tools.statistics.STAT_COLUMNS`, are defined (once, for the
callback, ``layer_stats`` and the loss study) in :mod:`weight_init.keras_tools.statistics`;
``update_ratio`` is ``||dW|| / ||W||`` of that one recorded step's update (the quantity of
the 1e-3 rule of thumb; ``step`` is the number of updates done before it).

How the layers are seen: while the probe batch runs, each watched layer's ``call`` is
wrapped (:class:`weight_init.keras_tools.probe_step.Capture`): the layer runs with its
activation set to linear, giving ``Z``, and its activation is applied to ``Z``, giving
``H`` (for ``Dense`` and ``Conv`` exactly what the layer computes). The probe is one
compiled step, traced at the first record (:func:`weight_init.keras_tools.probe_step.build_probe_step`:
``tf.function`` on TensorFlow, ``jax.jit`` on JAX, eager on torch): the forward pass,
the gradients and the statistics' reductions on the device
(:mod:`weight_init.keras_tools.device_statistics`, the same numbers as the numpy
definitions to float rounding, float64 accumulation where the backend has it), so
only a few scalars per layer, the histogram counts and a copy of each kernel (for the
update ratio) reach the host. The training step itself is not touched: the losses of
``fit`` with the callback equal those without it (tested, float32).

With ``log_dir``, every record also goes to TensorBoard (:mod:`weight_init.keras_tools.event_writer`,
the ``tensorboard`` package, no TensorFlow calls): scalars ``<layer>/<statistic>`` (the
finite ones) and histograms ``<layer>/activations`` (the fixed bins of the heat map) and
``<layer>/gradients`` at the training step.

Keras, pandas and matplotlib are imported when the callback is made or used.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from typing import Any

import numpy as np

from weight_init.keras_tools.probe import activation_name, as_list, batch_size, channel_axis, layer_kernel
from weight_init.keras_tools.statistics import (
    HIST_BINS,
    LOG_HIGH,
    LOG_LOW,
    RELU_LIKE,
    SATURATING,
    STAT_COLUMNS,
    histogram_edges,
    layer_statistics,
    log_histogram_edges,
    update_ratio,
)

__all__ = ["TABLE_COLUMNS", "LayerStatsCallback", "watched_layers"]  # noqa: F822 (module __getattr__)

#: The columns of :attr:`LayerStatsCallback.table`.
TABLE_COLUMNS = ("step", "epoch", "layer", *STAT_COLUMNS)


def watched_layers(model: Any) -> list[tuple[str, Any]]:
    """``(name, layer)`` of every layer with a kernel, depth first in ``model.layers`` order.

    The kernel is :func:`weight_init.keras_tools.probe.layer_kernel`'s (a ``SeparableConv``'s
    pointwise kernel). Layers of a nested model are named ``<model>/<layer>``.

    Raises
    ------
    ValueError
        ``model`` has no layer with a kernel.
    """
    found: list[tuple[str, Any]] = []

    def walk(container: Any, prefix: str) -> None:
        for layer in getattr(container, "layers", []):
            if layer_kernel(layer) is not None:
                found.append((prefix + layer.name, layer))
            elif getattr(layer, "layers", None):
                walk(layer, f"{prefix}{layer.name}/")

    walk(model, "")
    if not found:
        raise ValueError(
            f"model {getattr(model, 'name', model)!r} has no layer with a kernel (Dense, Conv, ...)"
        )
    return found


class _Watcher:
    """The callback's recording, independent of ``keras.callbacks.Callback``."""

    def _setup(
        self,
        x: Any,
        y: Any,
        every: int,
        log_dir: Any,
        loss: Any,
        seed: Any,
        bins: int,
        hist_range: tuple[float, float] | None,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
            raise ValueError(f"every must be a positive integer (training steps), got {every!r}")
        if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
            raise ValueError(f"bins must be a positive integer, got {bins!r}")
        if batch_size(x) < 1:
            raise ValueError("x must hold at least one example (the probe batch)")
        if y is not None and len(as_list(y)[0]) != batch_size(x):
            raise ValueError(f"y has {len(as_list(y)[0])} examples, x has {batch_size(x)}")
        if hist_range is not None:
            histogram_edges(*hist_range)  # validates
        self.x, self.y, self.every, self.loss, self.seed = x, y, int(every), loss, seed
        self.log_dir = None if log_dir is None else os.fspath(log_dir)
        self.bins, self.hist_range = int(bins), hist_range
        self.rows: list[tuple] = []
        #: Per layer name: ``(edges, [counts of each record])`` of its activations.
        self.histograms: dict[str, tuple[np.ndarray, list[np.ndarray]]] = {}
        #: The recorded training steps, in order.
        self.steps: list[int] = []
        self.step, self.epoch = 0, 1
        self._layers: list[tuple[str, Any]] | None = None
        self._loss_fn: Any = None
        self._probe: Any = None
        self._pending: Any = None
        self._writer: Any = None
        self._warned: set[str] = set()
        #: Wall seconds spent recording, by part: ``probe`` (the compiled step on ``x``: forward
        #: and backward pass, the statistics' reductions and histograms on the device, their
        #: transfer), ``statistics`` (on the host: the kernel copies and the table's values),
        #: ``update`` (the update ratios), ``tensorboard`` (writing events).
        self.seconds = {"probe": 0.0, "statistics": 0.0, "update": 0.0, "tensorboard": 0.0}

    # ------------------------------------------------------------------ recording

    def _prepare(self, model: Any) -> None:
        from weight_init.keras_tools.probe import loss_function
        from weight_init.keras_tools.probe_step import build_probe_step

        if self._layers is None:
            if not model.built:  # a subclassed model before its first step: build it on x
                model(self.x, training=False)
            self._layers = watched_layers(model)
            self._x = self.x
            self._loss_fn = loss_function(model, self._x, self.y, self.loss, self.seed)
            layers = [layer for _, layer in self._layers]
            self._probe = build_probe_step(
                model,
                layers,
                [layer_kernel(layer) for layer in layers],
                self._x,
                self._loss_fn,
                [self._bins(layer) for layer in layers],
                arrays=self.log_dir is not None,
            )
        if self.log_dir is not None and self._writer is None:
            from weight_init.keras_tools.event_writer import EventWriter

            self._writer = EventWriter(self.log_dir)

    def _bins(self, layer: Any) -> tuple[np.ndarray, tuple[str, float, float] | None]:
        """``(edges, log_bins)`` of a layer's activation histogram (see ``hist_range``)."""
        act = activation_name(layer)
        if self.hist_range is None:
            return log_histogram_edges(act, bins=self.bins), (act, LOG_LOW, LOG_HIGH)
        return histogram_edges(*self.hist_range, self.bins), None

    def _forward(self, model: Any) -> None:
        """Statistics of every layer on the probe batch; kernels kept for the update ratio."""
        from weight_init._optional import import_keras

        to_np = import_keras().ops.convert_to_numpy
        start = time.perf_counter()
        calls, shapes, results = self._probe()
        mid = time.perf_counter()
        self.seconds["probe"] += mid - start
        records = []
        for (name, layer), n_calls, shape, red in zip(self._layers, calls, shapes, results):
            if n_calls > 1 and name not in self._warned:
                self._warned.add(name)
                warnings.warn(
                    f"layer {name!r} is called {n_calls} times per forward pass; "
                    "LayerStatsCallback records its first call",
                    stacklevel=2,
                )
            w = np.array(to_np(layer_kernel(layer)))  # a copy: the update ratio's W_before
            edges, log_bins = self._bins(layer)
            if name not in self.histograms:
                self.histograms[name] = (edges, [])
            stats = self._statistics(layer, red, w, shape)
            counts = np.zeros(len(edges) - 1, np.int64) if red is None else red["histogram"].astype(np.int64)
            self.histograms[name][1].append(counts)
            h = None if red is None else red.get("h")
            records.append((name, stats, w, h, None if red is None else red.get("grad")))
        self.steps.append(self.step)
        self._pending = (self.step, self.epoch, records)
        self.seconds["statistics"] += time.perf_counter() - mid

    def _statistics(self, layer: Any, red: dict | None, w: np.ndarray, shape: Any) -> dict[str, float]:
        """The columns of :data:`STAT_COLUMNS` from one layer's device reductions."""
        act = activation_name(layer)
        if red is None:  # the layer was not called: its statistics are those of no values
            return layer_statistics(
                np.zeros((0,), np.float32), np.zeros((0,), np.float32), act, kernel=np.asarray(w, np.float64)
            )
        h_mean, h_sq, z_sq, g_sq, w_sq = (float(v) for v in red["moments"])
        dead, saturated = (int(v) for v in red["counts"])
        size = math.prod(shape)
        units = shape[channel_axis(layer, len(shape))]
        return {
            "act_mean": h_mean,
            "act_std": math.sqrt(h_sq),
            "preact_std": math.sqrt(z_sq),
            "dead_fraction": dead / units if act in RELU_LIKE else math.nan,
            "saturated_fraction": saturated / size if act in SATURATING else math.nan,
            "weight_std": math.sqrt(w_sq),
            "grad_std": math.sqrt(g_sq),
            "update_ratio": math.nan,
        }

    def _update(self, model: Any) -> None:
        """The update ratio of the recorded step; the rows and TensorBoard events."""
        from weight_init._optional import import_keras

        to_np = import_keras().ops.convert_to_numpy
        step, epoch, records = self._pending
        self._pending = None
        start = time.perf_counter()
        for (name, layer), (_, stats, before, _, _) in zip(self._layers, records):
            stats["update_ratio"] = update_ratio(before, to_np(layer_kernel(layer)))
            self.rows.append((step, epoch, name, *(stats[c] for c in STAT_COLUMNS)))
        mid = time.perf_counter()
        self.seconds["update"] += mid - start
        if self._writer is None:
            return
        for name, stats, _, h, grad in records:
            self._writer.scalars(name, stats, step)
            edges, counts = self.histograms[name]
            self._writer.histogram(f"{name}/activations", h, step, edges=edges, counts=counts[-1])
            if grad is not None:
                self._writer.histogram(f"{name}/gradients", grad, step)
        self.seconds["tensorboard"] += time.perf_counter() - mid

    # ------------------------------------------------------------------ results

    @property
    def table(self) -> Any:
        """The records, tidy: columns :data:`TABLE_COLUMNS`, one row per (record, layer)."""
        from weight_init._optional import require

        pd = require("pandas", "plots")
        return pd.DataFrame(self.rows, columns=list(TABLE_COLUMNS))

    def heat_map(self, layer: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(steps, edges, counts)`` of one layer's activation histograms (default: the
        last hidden layer, i.e. the one before the last layer with a kernel); ``counts``
        has shape ``(bins, n_records)``."""
        names = list(self.histograms)
        if not names:
            raise ValueError("nothing recorded yet: train with the callback first")
        if layer is None:
            layer = names[-2] if len(names) > 1 else names[0]
        if layer not in self.histograms:
            raise ValueError(f"no layer {layer!r} recorded; recorded: {', '.join(names)}")
        edges, counts = self.histograms[layer]
        n = len(counts)
        return np.asarray(self.steps[:n]), edges, np.stack(counts, axis=1)

    def plot(
        self,
        layer: str | None = None,
        *,
        title: str | None = None,
        logy: bool | str = "auto",
        figsize: tuple[float, float] | None = None,
    ) -> Any:
        """The four-row figure of :func:`weight_init.keras_tools.training_plot.plot_training_stats`:
        activation std, dead fraction, update ratio (1e-3 dashed) and the activation
        histograms of ``layer`` over the steps (see :meth:`heat_map` for the default).

        Returns
        -------
        weight_init.plotting.PlotResult
        """
        from weight_init.keras_tools.training_plot import plot_training_stats

        steps, edges, counts = self.heat_map(layer)
        table = self.table.iloc[: len(steps) * len(self.histograms)]
        layer = layer or list(self.histograms)[-2 if len(self.histograms) > 1 else 0]
        return plot_training_stats(
            table,
            {None: (steps, edges, counts)},
            heat_layer=layer,
            heat_linthresh=None if self.hist_range is not None else float(edges[edges > 0][0]),
            every=self.every,
            titles={None: title} if title else None,
            logy=logy,
            figsize=figsize or (6.5, 12.5),
        )

    def close(self) -> None:
        """Flush and close the TensorBoard file (done at the end of every ``fit``)."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None


def _define(keras: Any) -> type:
    class LayerStatsCallback(keras.callbacks.Callback, _Watcher):
        """Per-layer statistics of your model every ``every`` steps of ``fit`` (module docstring).

        Parameters
        ----------
        x : array
            The fixed probe batch (e.g. 128 training or validation examples); one array, or
            a list/dict as the model takes its inputs.
        y : array, optional
            Targets of ``x``: the gradients are then those of the model's compiled loss (or
            ``loss``); without them, of a seeded standard-normal upstream gradient.
        every : int, default 10
            Record at training steps ``0, every, 2 every, ...`` (counted over all epochs and
            ``fit`` calls).
        log_dir : str or os.PathLike, optional
            Also write TensorBoard scalars and histograms there.
        loss : str or callable, optional
            With ``y``: a Keras loss name or ``loss(y, output)`` instead of the compiled loss.
        seed : int or numpy.random.Generator or None, default 0
            Seeds the standard-normal upstream gradient (without ``y``).
        bins : int, default 40
            Bins of the activation histograms.
        hist_range : (float, float), optional
            ``bins`` equal bins over this range for every layer. Default: fixed bins on the
            log scale of ``|H|`` from 1e-8 to 1e3
            (:func:`weight_init.keras_tools.statistics.log_histogram_edges`; a zero bin
            and positive bins for a non-negative activation such as ReLU, both signs
            otherwise), so that the heat map shows orders of magnitude.

        Attributes
        ----------
        table : pandas.DataFrame
            ``step, epoch, layer`` and the statistics, one row per (record, layer).
        histograms : dict
            Per layer ``(edges, [counts per record])``.
        steps : list of int
            The recorded steps.
        """

        def __init__(
            self,
            x: Any,
            y: Any = None,
            every: int = 10,
            log_dir: str | os.PathLike | None = None,
            *,
            loss: Any = None,
            seed: int | np.random.Generator | None = 0,
            bins: int = HIST_BINS,
            hist_range: tuple[float, float] | None = None,
        ) -> None:
            super().__init__()
            self._setup(x, y, every, log_dir, loss, seed, bins, hist_range)

        def on_train_begin(self, logs: Any = None) -> None:
            self._prepare(self.model)

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = int(epoch) + 1

        # Only batch *begin* hooks: a callback with on_train_batch_end makes Keras wait for
        # every step's logs (no asynchronous dispatch; +32 % on a 20-layer MLP here with a
        # callback that does nothing). The update of step s is read at the start of s + 1.
        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            if self._pending is not None:
                self._update(self.model)  # self.model: on JAX, the training state synced in
            if self.step % self.every == 0:
                self._forward(self.model)
            self.step += 1

        def on_train_end(self, logs: Any = None) -> None:
            if self._pending is not None:
                self._update(self.model)
            self.close()

    LayerStatsCallback.__module__ = __name__
    return LayerStatsCallback


_DEFINED: dict[str, type] = {}


def __getattr__(name: str) -> Any:
    if name == "LayerStatsCallback":
        if name not in _DEFINED:
            from weight_init._optional import import_keras

            _DEFINED[name] = _define(import_keras())
        return _DEFINED[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
