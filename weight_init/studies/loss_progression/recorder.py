"""Per-layer statistics of every network while :func:`weight_init.studies.loss_progression.study.train_loss_progression` trains.

Why an initialization trains or fails, seen from inside (fastai's ``ActivationStats``,
TensorBoard's histograms and the update-to-weight ratio check, for all networks of the
fused run at once). Every ``K`` training steps, and once before the first update (step 0),
for every network and every layer with weights (``conv1``, ``conv2``, ``dense1``,
``logits``), on the batch the networks train on at that step:

the columns of :data:`weight_init.keras_tools.statistics.STAT_COLUMNS` but
``saturated_fraction`` (no layer of this CNN has a bounded activation), with the
definitions of that module (one implementation for this recorder,
:func:`weight_init.keras_tools.layer_stats` and
:class:`weight_init.keras_tools.LayerStatsCallback`):

* ``act_mean``, ``act_std``: mean and std of the layer's output after its activation
  (``a = relu(p)``; for ``logits`` the logits ``a = p``), over all its elements (examples,
  positions, channels or units), float64 accumulation;
* ``preact_std``: std of the pre-activation ``p = x * W + b`` (``x`` the layer's input);
* ``dead_fraction``: share of the layer's channels (conv) or units (dense) whose
  pre-activation is ``<= 0``, i.e. whose ReLU output is exactly 0, for every example and
  position of the batch (``NaN`` for ``logits``, which has no ReLU);
* ``weight_std``: std of the kernel ``W`` before that step's update;
* ``grad_std``: std of ``g = dL/dW`` of the kernel on that batch (``L`` the network's mean
  cross-entropy);
* ``update_ratio``: ``||W_after - W_before|| / ||W_before||`` (Frobenius norms) of that
  step's update (``NaN`` when ``W_before = 0``).

The activations come from a second Keras model that shares the layers and returns their
inputs and outputs; it runs on the step's batch **before** the update, in inference mode
(dropout off), so the training itself is untouched. ``g`` needs no second backward pass:
Keras' RMSprop (no momentum, not centered) updates ``v <- rho v + (1 - rho) g^2`` and
``W <- W - lr g / sqrt(v + eps)``, so ``g = (W_before - W_after) sqrt(v_after + eps) / lr``
exactly up to float rounding, from the weights before and after the step and the
optimizer's velocity ``v``. Weights are copied only on recorded steps.

Keras and pandas are imported inside the functions; only ``keras.ops`` and ``keras.layers``
are used (any backend).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from weight_init.keras_tools.probe import activation_name
from weight_init.keras_tools.statistics import STAT_COLUMNS, layer_statistics, std, update_ratio

__all__ = ["LAYERS", "STATS_COLUMNS", "RecordedLayerStats", "LayerStatsRecorder", "rmsprop_gradient"]

#: The layers with weights, in the order data flows through them.
LAYERS = ("conv1", "conv2", "dense1", "logits")
#: The columns of :attr:`RecordedLayerStats.table` (``seed`` follows ``init`` when several seeds train).
STATS_COLUMNS = (
    "init",
    "epoch",
    "step",
    "layer",
    *(c for c in STAT_COLUMNS if c != "saturated_fraction"),
)


@dataclass
class RecordedLayerStats:
    """What :class:`LayerStatsRecorder` recorded.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (network, recorded step, layer), columns :data:`STATS_COLUMNS`:
        ``step`` is the number of updates done before the record (0, K, 2K, ...), ``epoch``
        the 1-based epoch of that step's batch.
    dense1 : dict
        Per network (its ``init`` label, or ``(label, seed)`` with several seeds) the
        ``dense1`` activations of every recorded step, a list of ``(batch, 128)`` float32
        arrays in step order (for the "colorful dimension" histograms).
    steps_per_epoch : int
    every : int
        ``K``.
    seconds : float
        Wall time spent recording (not training).
    """

    table: Any
    dense1: dict = field(default_factory=dict)
    steps_per_epoch: int = 1
    every: int = 1
    seconds: float = 0.0


def rmsprop_gradient(
    w_before: np.ndarray,
    w_after: np.ndarray,
    velocity: np.ndarray,
    learning_rate: float,
    epsilon: float,
) -> np.ndarray:
    """The gradient an RMSprop step used, from its effect: ``g = (W_before - W_after)
    sqrt(v + eps) / lr`` with ``v`` the velocity after the step (float64)."""
    delta = np.asarray(w_before, np.float64) - np.asarray(w_after, np.float64)
    return delta * np.sqrt(np.asarray(velocity, np.float64) + epsilon) / learning_rate


def _preactivation_layer(keras: Any) -> type:
    ops = keras.ops

    class Preactivation(keras.layers.Layer):
        """``x * W + b`` of a Conv2D or Dense layer, with its weights and dtype policy."""

        def __init__(self, target: Any, **kwargs: Any) -> None:
            super().__init__(dtype=target.dtype_policy, **kwargs)
            self.target = target

        def call(self, x: Any) -> Any:
            t = self.target
            if isinstance(t, keras.layers.Dense):
                return ops.add(ops.matmul(x, t.kernel), t.bias)
            return ops.add(t.convolution_op(x, t.kernel), t.bias)

    return Preactivation


class LayerStatsRecorder:
    """Records :data:`STATS_COLUMNS` for the networks of a fused model while it trains.

    Call :meth:`before` ahead of the training step on a recorded step and :meth:`after`
    behind it; :meth:`result` builds the table.

    Parameters
    ----------
    model : keras.Model
        The fused model; network ``k``'s layers are named ``net<k>_conv1``, ...
    networks : sequence
        Per network ``k`` its key: the ``init`` label, or ``(label, seed)``.
    optimizer : keras.optimizers.RMSprop
        The model's optimizer (plain RMSprop: no momentum, not centered).
    every : int
        ``K``.
    steps_per_epoch : int
    """

    def __init__(
        self, model: Any, networks: Sequence[Any], optimizer: Any, every: int, steps_per_epoch: int
    ) -> None:
        from weight_init._optional import import_keras

        keras = import_keras()
        if not isinstance(optimizer, keras.optimizers.RMSprop) or optimizer.momentum or optimizer.centered:
            raise ValueError("the layer statistics need plain RMSprop (no momentum, not centered)")
        self.keras, self.model, self.optimizer = keras, model, optimizer
        self.networks = list(networks)
        self.every, self.steps_per_epoch = int(every), int(steps_per_epoch)
        Preactivation = _preactivation_layer(keras)
        outputs: list[Any] = []
        self.kernels: list[list[Any]] = []
        #: Per layer of a network its activation name and whether ``p`` is a probe output.
        self.activations: list[str] = []
        for k in range(len(self.networks)):
            kernels = []
            for name in LAYERS:
                layer = model.get_layer(f"net{k}_{name}")
                act = activation_name(layer)
                outputs.append(layer.output)
                if act != "linear":
                    outputs.append(Preactivation(layer, name=f"net{k}_{name}_preact")(layer.input))
                kernels.append(layer.kernel)
                if k == 0:
                    self.activations.append(act)
            self.kernels.append(kernels)
        self.probe = keras.Model(model.inputs, outputs, name="layer_probe")
        self.rows: list[tuple] = []
        self.dense1: dict = {key: [] for key in self.networks}
        self._pending: tuple | None = None
        #: Wall seconds spent recording (probe passes, weight copies, statistics).
        self.seconds = 0.0

    def records(self, step: int) -> bool:
        """Whether global step ``step`` (updates done so far) is recorded."""
        return step % self.every == 0

    def before(self, x: Any, step: int) -> None:
        """Activations on the batch ``x`` and the kernels before the update of ``step``."""
        start = time.perf_counter()
        out = iter(self.probe.predict_on_batch(x))
        summaries, weights = [], []
        for k, key in enumerate(self.networks):
            forward = []
            for name, act in zip(LAYERS, self.activations):
                a = np.asarray(next(out))
                p = a if act == "linear" else np.asarray(next(out))
                forward.append(layer_statistics(a, p, act))
                if name == "dense1":
                    self.dense1[key].append(np.asarray(a, np.float32))
            summaries.append(forward)
            weights.append([self.keras.ops.convert_to_numpy(v.value).copy() for v in self.kernels[k]])
        self._pending = (step, summaries, weights)
        self.seconds += time.perf_counter() - start

    def after(self) -> None:
        """Gradients and update ratios from the kernels after the update."""
        if self._pending is None:
            raise RuntimeError("after() without before()")
        start = time.perf_counter()
        step, summaries, weights = self._pending
        self._pending = None
        ops, opt = self.keras.ops, self.optimizer
        lr = float(ops.convert_to_numpy(opt.learning_rate))
        eps = float(opt.epsilon)
        epoch = step // self.steps_per_epoch + 1
        for k, key in enumerate(self.networks):
            for name, var, before, summary in zip(LAYERS, self.kernels[k], weights[k], summaries[k]):
                after = ops.convert_to_numpy(var.value)
                velocity = ops.convert_to_numpy(opt._velocities[opt._get_variable_index(var)].value)
                grad = rmsprop_gradient(before, after, velocity, lr, eps)
                row = dict(summary, weight_std=std(before), grad_std=std(grad))
                row["update_ratio"] = update_ratio(before, after)
                self.rows.append(
                    (
                        *(key if isinstance(key, tuple) else (key,)),
                        epoch,
                        step,
                        name,
                        *(row[c] for c in STATS_COLUMNS[4:]),
                    )
                )
        self.seconds += time.perf_counter() - start

    def result(self) -> RecordedLayerStats:
        """The recorded table, networks in their order, then steps, then layers."""
        from weight_init._optional import require

        pd = require("pandas", "plots")

        keys = ["init", "seed"] if self.networks and isinstance(self.networks[0], tuple) else ["init"]
        columns = keys + list(STATS_COLUMNS[1:])
        table = pd.DataFrame(self.rows, columns=columns)
        order = {key: k for k, key in enumerate(self.networks)}
        net = [order[tuple(r)] if len(keys) > 1 else order[r[0]] for r in table[keys].itertuples(index=False)]
        table["_k"] = net
        table = table.sort_values(["_k", "step"], kind="stable").drop(columns="_k")
        return RecordedLayerStats(
            table.reset_index(drop=True), self.dense1, self.steps_per_epoch, self.every, self.seconds
        )
