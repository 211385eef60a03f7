"""Look inside any built Keras 3 model: its kernel layers, their inputs and outputs on a
batch, their pre-activations, and the gradient of a loss with respect to their kernels.

The pieces :mod:`weight_init.keras_tools.model_stats` (one look at a model) and
:mod:`weight_init.keras_tools.lsuv` (LSUV) share:

* :func:`kernel_layers`: the layers with a ``kernel``, in the model's order;
* :func:`model_input`, :func:`probe_outputs`: every such layer's ``(input, output)`` on a
  batch, in one forward pass (``training=False``);
* :func:`activation_name`, :func:`preactivation`, :func:`channel_axis`: a layer's own
  activation, its output before it, and the axis of its units or channels;
* :func:`loss_function`, :func:`kernel_gradients`: the scalar loss the gradients are
  taken of (the data loss with targets, else a seeded standard-normal upstream
  gradient) and ``dL/dK`` for every kernel ``K``.

Gradients: Keras 3 has no backend-neutral gradient, so :func:`kernel_gradients`
dispatches on ``keras.backend.backend()``: TensorFlow's ``GradientTape``, JAX's
``jax.grad`` of a stateless call, torch's ``autograd.grad``; everything else uses
``keras.ops``. Keras is imported inside the functions.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

__all__ = [
    "ACTIVATION_LAYERS",
    "layer_kernel",
    "kernel_layers",
    "unhandled_layers",
    "check_batch",
    "calls",
    "check_single_calls",
    "following_activation",
    "model_input",
    "activation_name",
    "channel_axis",
    "preactivation",
    "as_list",
    "batch_size",
    "describe",
    "probe_tensors",
    "probe_outputs",
    "loss_function",
    "kernel_gradients",
]

#: Keras layers that are only an activation, with the name of the function they apply.
ACTIVATION_LAYERS = {"ReLU": "relu", "LeakyReLU": "leaky_relu", "ELU": "elu", "Softmax": "softmax"}


def _keras() -> Any:
    from weight_init._optional import import_keras

    return import_keras()


def layer_kernel(layer: Any) -> Any:
    """The weight a layer's row reports and LSUV rescales, or ``None``.

    A layer's ``kernel`` (``Dense``, ``Conv*``, ``DepthwiseConv*``, ...), else the
    ``pointwise_kernel`` of a ``SeparableConv1D/2D`` (the part that feeds its output; its
    ``depthwise_kernel`` is left as it is). Recurrent layers (their kernels live in a
    ``cell``), ``Embedding`` (``embeddings``) and nested models have none.
    """
    for name in ("kernel", "pointwise_kernel"):
        value = getattr(layer, name, None)
        if value is not None:
            return value
    return None


def kernel_layers(model: Any) -> list:
    """The layers of ``model`` that have a kernel (:func:`layer_kernel`), in the model's order.

    Raises
    ------
    ValueError
        ``model`` is not a built Keras model with a graph (``Sequential`` or functional,
        called once or given an ``Input``), or has no layer with a kernel.
    """
    keras = _keras()
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}")
    try:
        model.inputs  # noqa: B018  (a subclassed or unbuilt model has none: raises)
    except (AttributeError, ValueError):
        model_inputs = None
    else:
        model_inputs = model.inputs
    if not model_inputs:
        raise ValueError(
            f"model {model.name!r} has no input graph: give it a keras.Input (Sequential or "
            "functional model) and build it before calling layer_stats or lsuv"
        )
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.Model) and layer_kernel(layer) is not None
    ]
    if not layers:
        raise ValueError(f"model {model.name!r} has no layer with a kernel (Dense, Conv, ...)")
    return layers


def unhandled_layers(model: Any, handled: Sequence[Any]) -> list:
    """The layers of ``model`` with a trainable weight of two or more axes that are not in
    ``handled``: recurrent layers, ``Embedding``, attention layers, nested models, ...

    Normalization layers and other layers with only vectors (``gamma``, ``beta``, biases)
    are not listed.
    """
    ids = {id(layer) for layer in handled}
    return [
        layer
        for layer in model.layers
        if id(layer) not in ids and any(len(w.shape) >= 2 for w in layer.trainable_weights)
    ]


def describe(layers: Sequence[Any]) -> str:
    """``'name (Class), ...'`` for a warning or an error."""
    return ", ".join(f"{layer.name!r} ({type(layer).__name__})" for layer in layers)


def check_batch(x: Any, what: str = "x") -> int:
    """The batch size of ``x``, after checking it is not empty and every value is finite.

    Raises
    ------
    ValueError
        ``x`` (or one of its arrays) has no example, or holds a NaN or an infinity.
    """
    arrays = as_list(x)
    if not arrays:
        raise ValueError(f"{what} is empty: give a batch of examples")
    for array in arrays:
        values = np.asarray(
            _keras().ops.convert_to_numpy(array) if not isinstance(array, np.ndarray) else array
        )
        if values.ndim == 0 or values.shape[0] == 0 or values.size == 0:
            raise ValueError(f"{what} is an empty batch (shape {values.shape}): statistics need examples")
        if values.dtype.kind in "fc" and not np.all(np.isfinite(values)):
            bad = int(np.sum(~np.isfinite(values)))
            raise ValueError(f"{what} holds {bad} NaN or infinite value(s): every variance would be NaN")
    return batch_size(x)


def calls(model: Any, layer: Any) -> int:
    """How many times ``layer`` is called in ``model``'s graph (1 for all but a shared layer).

    Read from Keras' (internal) graph: the layer's inbound nodes that belong to this
    model, so a ``Sequential`` rebuilt by ``add`` (which calls its layers again on each
    rebuild) still counts 1.
    """
    inbound = list(getattr(layer, "_inbound_nodes", ()))
    graph = getattr(model, "_functional", None) or model  # a Sequential's graph is its functional model
    keys = getattr(graph, "_nodes", None)
    if keys is None:
        return len(inbound)
    return sum(1 for i in range(len(inbound)) if f"{id(layer)}_ib-{i}" in keys)


def check_single_calls(model: Any, layers: Sequence[Any]) -> None:
    """Raise ``ValueError`` for a layer called more than once in ``model`` (a shared layer):
    its output differs per call, and only one call can be probed.
    """
    shared = [layer for layer in layers if calls(model, layer) > 1]
    if shared:
        raise ValueError(
            f"layer(s) {describe(shared)} are called more than once (shared layers): each call has its "
            "own statistics and only one can be probed; give each call its own layer"
        )


def following_activation(model: Any, layer: Any) -> tuple[Any, str] | None:
    """``(activation layer, its function's name)`` for a linear ``layer`` whose output
    feeds a layer that is only an activation (``Activation``, ``ReLU``, ``LeakyReLU``,
    ``ELU``, ``Softmax``), else ``None``.
    """
    if activation_name(layer) != "linear":
        return None
    keras = _keras()
    for other in model.layers:
        if isinstance(other, keras.layers.Activation):
            name = activation_name(other)
        elif type(other).__name__ in ACTIVATION_LAYERS:
            name = ACTIVATION_LAYERS[type(other).__name__]
        else:
            continue
        try:
            source = other.input
        except (AttributeError, ValueError):
            continue
        if source is layer.output:
            return other, name
    return None


def model_input(model: Any) -> Any:
    """The model's symbolic input, in the structure its call expects (one tensor or a list)."""
    inputs = list(model.inputs)
    return inputs[0] if len(inputs) == 1 else inputs


def activation_name(layer: Any) -> str:
    """The name of a layer's own activation: ``'relu'``, ``'linear'`` (none), ..."""
    fn = getattr(layer, "activation", None)
    if fn is None:
        return "linear"
    return str(getattr(fn, "__name__", type(fn).__name__))


def channel_axis(layer: Any, ndim: int) -> int:
    """The axis of a layer's units or channels in its ``ndim``-dimensional output.

    The last axis, or 1 for a ``channels_first`` layer with an output of more than two axes.
    """
    return 1 if getattr(layer, "data_format", None) == "channels_first" and ndim > 2 else ndim - 1


def preactivation(layer: Any, inputs: Any) -> Any:
    """The output of ``layer`` on ``inputs`` before its activation (its kernel and bias).

    The layer is called with its ``activation`` set to linear for the call, and restored.
    """
    keras = _keras()
    saved = getattr(layer, "activation", None)
    if saved is None or activation_name(layer) == "linear":
        return layer(inputs)
    layer.activation = keras.activations.linear
    try:
        return layer(inputs)
    finally:
        layer.activation = saved


def as_list(out: Any) -> list:
    """A model's output(s) as a list: a dict's values by sorted key, a tuple/list as is."""
    if isinstance(out, dict):
        return [out[k] for k in sorted(out)]
    return list(out) if isinstance(out, (list, tuple)) else [out]


def batch_size(x: Any) -> int:
    """The number of examples in a batch ``x`` (one array, or a list/dict of arrays)."""
    return int(x.shape[0]) if hasattr(x, "shape") else int(as_list(x)[0].shape[0])


def probe_tensors(model: Any, tensors: Sequence[Any], x: Any) -> list:
    """The values of symbolic ``tensors`` of the model's graph for the batch ``x``, one pass
    (``training=False``).

    Raises
    ------
    ValueError
        A batch the model cannot run on (wrong shape or dtype).
    """
    keras = _keras()
    probe = keras.Model(model_input(model), list(tensors))
    try:
        return list(probe(x, training=False))
    except Exception as exc:  # a batch of the wrong shape or dtype
        raise ValueError(f"model {model.name!r} cannot run on x: {exc}") from None


def probe_outputs(model: Any, layers: Sequence[Any], x: Any) -> list[tuple[Any, Any]]:
    """``(input, output)`` of every layer in ``layers`` for the batch ``x``, one pass.

    Raises
    ------
    ValueError
        A layer without a single input and output in the model's graph, or a batch the
        model cannot run on.
    """
    tensors = []
    for layer in layers:
        try:
            tensors.extend([layer.input, layer.output])
        except (AttributeError, ValueError) as exc:
            raise ValueError(
                f"layer {layer.name!r} has no single input and output in the model's graph "
                f"({exc}); a layer used twice or inside a nested model cannot be probed"
            ) from None
    outs = probe_tensors(model, tensors, x)
    return [(outs[2 * i], outs[2 * i + 1]) for i in range(len(layers))]


def loss_function(model: Any, x: Any, y: Any, loss: Any, seed: Any) -> Callable[[Any], Any]:
    """The scalar loss of the model's output that the gradients are taken of.

    With ``y``: ``mean_i loss(y_i, model(x)_i)`` (``loss`` a Keras loss name or a function
    ``loss(y, out)``; default the model's compiled loss). Without ``y``:
    ``L = (1/N) sum_i G_i . model(x)_i`` with a standard-normal upstream gradient
    ``G = dL/d(output)`` drawn once from ``seed`` (``N`` the batch size), as in
    :func:`weight_init.propagation.propagation_stats`.
    """
    keras = _keras()
    ops = keras.ops
    if y is None:
        if loss is not None:
            raise ValueError("loss= needs y; without y the upstream gradient is standard normal")
        from weight_init.validation import as_generator

        gen = as_generator(seed)
        if gen is None:
            gen = np.random.default_rng()
        shapes = [tuple(int(s) for s in o.shape) for o in as_list(model(x, training=False))]
        upstream = [gen.standard_normal(shape).astype(np.float32) for shape in shapes]

        def probe_loss(out: Any) -> Any:
            total = 0.0
            for o, g in zip(as_list(out), upstream):
                total = total + ops.sum(ops.cast(o, "float32") * ops.convert_to_tensor(g))
            return total / shapes[0][0]

        return probe_loss
    if loss is None:
        loss = getattr(model, "loss", None)
        if loss is None:
            raise ValueError(
                "layer_stats with y needs a loss: compile the model or pass loss= (a Keras "
                "loss name such as 'categorical_crossentropy', or a function loss(y, out))"
            )
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    if not callable(fn):
        raise ValueError(f"loss must be a Keras loss name or a function loss(y, out), got {loss!r}")
    y_t = ops.convert_to_tensor(np.asarray(y, dtype=np.float32))

    def data_loss(out: Any) -> Any:
        return ops.mean(fn(y_t, ops.cast(out, "float32")))

    return data_loss


def kernel_gradients(model: Any, x: Any, loss_fn: Callable[[Any], Any], kernels: Sequence[Any]) -> list:
    """``d loss_fn(model(x)) / dK`` for every kernel variable ``K``, as float64 numpy arrays.

    The one backend-specific piece of the package's Keras tools. ``None`` for a kernel that
    is not trainable or does not reach the loss.
    """
    keras = _keras()
    backend = keras.backend.backend()
    trainable = list(model.trainable_variables)
    index = {id(v): i for i, v in enumerate(trainable)}
    wanted = [index.get(id(k)) for k in kernels]
    chosen = [i for i in wanted if i is not None]
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            loss = loss_fn(model(x, training=False))
        grads = tape.gradient(loss, [trainable[i].value for i in chosen])
    elif backend == "jax":
        import jax

        values = [v.value for v in trainable]
        frozen = [v.value for v in model.non_trainable_variables]
        # stateless_call hands its keywords to call() itself: a subclassed model whose call
        # takes no `training` (as model(x, training=False) accepts) gets none
        flags = {"training": False} if _takes_training(model) else {}

        def loss_of(selected: list) -> Any:
            current = list(values)
            for i, value in zip(chosen, selected):
                current[i] = value
            out, _ = model.stateless_call(current, frozen, x, **flags)
            return loss_fn(out)

        grads = jax.grad(loss_of)([values[i] for i in chosen])
    elif backend == "torch":
        import torch

        loss = loss_fn(model(x, training=False))
        grads = torch.autograd.grad(loss, [trainable[i].value for i in chosen], allow_unused=True)
    else:
        raise ValueError(
            f"layer_stats computes gradients on the tensorflow, jax and torch backends; this is {backend!r}"
        )
    by_index = dict(zip(chosen, grads))
    return [
        None
        if i is None or by_index.get(i) is None
        else np.asarray(keras.ops.convert_to_numpy(by_index[i]), dtype=np.float64)
        for i in wanted
    ]


def _takes_training(model: Any) -> bool:
    """Whether ``model.call`` accepts a ``training`` keyword (or any keyword)."""
    import inspect

    try:
        params = inspect.signature(model.call).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.name == "training" or p.kind is p.VAR_KEYWORD for p in params)
