"""The callback's probe as one compiled step: forward pass, kernel gradients and the
statistics' reductions on the device, built once per model and probe batch.

:class:`Capture` sees every watched layer's output ``H`` and pre-activation ``Z`` by
wrapping its ``call`` while the model runs (the layer runs with a linear activation,
giving ``Z``, and its own activation is applied to ``Z``, giving ``H``: for ``Dense`` and
``Conv`` exactly what the layer computes). :func:`build_probe_step` runs that inside the
backend's compiled gradient, once traced and then replayed:

* TensorFlow: a ``tf.function`` around a ``GradientTape`` (the variables are read when it
  runs);
* JAX: ``jax.jit`` of ``jax.value_and_grad`` of the model's ``stateless_call``, the
  captured tensors as auxiliary outputs (the variables' values are its arguments);
* torch: eager (``torch.autograd.grad``), the reductions under ``torch.no_grad``.

Each layer's reductions are :func:`weight_init.keras_tools.device_statistics.layer_reductions`;
the step returns them (and, for TensorBoard, the first call's ``H`` and the gradients)
as numpy arrays. Keras and the backend are imported inside the functions.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Sequence

import numpy as np

from weight_init.keras_tools.probe import activation_name, channel_axis

__all__ = ["Capture", "build_probe_step"]


class Capture:
    """While active, each layer's calls record ``(H, Z)``: output and pre-activation.

    ``seen[id(layer)]`` lists one ``(H, Z)`` per call (``Z is H`` for a linear layer).
    """

    def __init__(self, keras: Any, layers: Sequence[Any]) -> None:
        self.keras, self.layers = keras, list(layers)
        self.seen: dict[int, list[tuple[Any, Any]]] = {}

    def _wrap(self, layer: Any) -> Any:
        original = layer.call
        linear = self.keras.activations.linear
        seen = self.seen.setdefault(id(layer), [])

        def call(*args: Any, **kwargs: Any) -> Any:
            act = getattr(layer, "activation", None)
            if act is None or activation_name(layer) == "linear":
                h = original(*args, **kwargs)
                seen.append((h, h))
                return h
            layer.activation = linear
            try:
                z = original(*args, **kwargs)
            finally:
                layer.activation = act
            h = act(z)
            seen.append((h, z))
            return h

        return call

    def __enter__(self) -> Capture:
        self.seen.clear()
        for layer in self.layers:
            layer.call = self._wrap(layer)
        return self

    def __exit__(self, *exc: Any) -> None:
        for layer in self.layers:
            layer.__dict__.pop("call", None)


def build_probe_step(
    model: Any,
    layers: Sequence[Any],
    kernels: Sequence[Any],
    x: Any,
    loss_fn: Callable[[Any], Any],
    bins: Sequence[tuple[np.ndarray, tuple[str, float, float] | None]],
    *,
    arrays: bool = False,
) -> Callable[[], tuple[list[int], list, list[dict[str, np.ndarray] | None]]]:
    """A function ``step()`` that probes ``model`` on ``x`` and returns ``(calls, shapes, results)``.

    ``calls[i]``: how many times ``layers[i]`` was called in the pass (its first call is
    measured); ``shapes[i]``: the shape of its output ``H`` (``None`` if not called). ``results[i]``: ``None`` for a layer not called, else the numpy values of
    :func:`~weight_init.keras_tools.device_statistics.layer_reductions` for ``H``, ``Z``,
    ``G = d loss_fn(model(x)) / d kernels[i]`` and the kernel ``W`` on the histogram bins ``bins[i] =
    (edges, log_bins)``, plus ``"h"`` and ``"grad"`` (``None`` when the kernel does not
    reach the loss) with ``arrays``.
    """
    from weight_init._optional import import_keras
    from weight_init.keras_tools.device_statistics import accumulation_dtype, layer_reductions

    keras = import_keras()
    backend = keras.backend.backend()
    acc = accumulation_dtype()
    capture = Capture(keras, layers)
    trainable = list(model.trainable_variables)
    index = {id(v): i for i, v in enumerate(trainable)}
    wanted = [index.get(id(k)) for k in kernels]
    chosen = sorted({i for i in wanted if i is not None})
    x_t = keras.tree.map_structure(keras.ops.convert_to_tensor, x)
    calls: list[int] = []
    shapes: list[tuple[int, ...] | None] = []

    def reduce(grads: Sequence[Any], kernel_values: Sequence[Any]) -> list:
        """The reductions of the pass just captured; ``grads`` in the order of ``chosen``."""
        by_index = dict(zip(chosen, grads))
        calls[:] = [len(capture.seen.get(id(layer), [])) for layer in layers]
        shapes[:] = [
            tuple(int(d) for d in capture.seen[id(layer)][0][0].shape) if n else None
            for layer, n in zip(layers, calls)
        ]
        out = []
        for layer, i, w, (edges, log_bins) in zip(layers, wanted, kernel_values, bins):
            seen = capture.seen.get(id(layer), [])
            if not seen:
                out.append(None)
                continue
            h, z = seen[0]
            grad = None if i is None else by_index.get(i)
            act = activation_name(layer)
            red = layer_reductions(
                h, z, act, channel_axis(layer, len(h.shape)), grad, w, edges, log_bins, acc
            )
            if arrays:
                red["h"] = h
                if grad is not None:
                    red["grad"] = grad
            out.append(red)
        return out

    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function
        def compiled(x_in: Any) -> list:
            with capture:
                with tf.GradientTape() as tape:
                    loss = loss_fn(model(x_in, training=False))
                grads = tape.gradient(loss, [trainable[i].value for i in chosen])
                return reduce(grads, [k.value for k in kernels])

        def run() -> list:
            return compiled(x_t)

    elif backend == "jax":
        import jax

        def loss_of(selected: list, values: list, frozen: list, x_in: Any) -> Any:
            current = list(values)
            for i, value in zip(chosen, selected):
                current[i] = value
            with capture:
                out, _ = model.stateless_call(current, frozen, x_in, **training)
                seen = {key: list(v) for key, v in capture.seen.items()}
            return loss_fn(out), seen

        def probe(values: list, frozen: list, x_in: Any) -> list:
            (_, seen), grads = jax.value_and_grad(loss_of, has_aux=True)(
                [values[i] for i in chosen], values, frozen, x_in
            )
            capture.seen = seen
            every = dict(zip(all_ids, values + frozen))
            return reduce(grads, [every[id(k)] for k in kernels])

        # stateless_call hands its keywords to call(): only a call() that takes training gets it
        params = inspect.signature(model.call).parameters
        takes = "training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())
        training = {"training": False} if takes else {}
        all_ids = [id(v) for v in model.trainable_variables + model.non_trainable_variables]
        compiled = jax.jit(probe)

        def run() -> list:
            return compiled(
                [v.value for v in model.trainable_variables],
                [v.value for v in model.non_trainable_variables],
                x_t,
            )

    elif backend == "torch":
        import torch

        def run() -> list:
            with capture:
                loss = loss_fn(model(x_t, training=False))
                grads = torch.autograd.grad(loss, [trainable[i].value for i in chosen], allow_unused=True)
                with torch.no_grad():
                    return reduce(grads, [k.value for k in kernels])

    else:
        raise ValueError(
            f"LayerStatsCallback runs on the tensorflow, jax and torch backends; this is {backend!r}"
        )

    to_np = keras.ops.convert_to_numpy

    def step() -> tuple[list[int], list, list]:
        results = run()
        host = [
            None if r is None else {key: None if v is None else np.asarray(to_np(v)) for key, v in r.items()}
            for r in results
        ]
        return list(calls), list(shapes), host

    return step
