"""The article's untrained Keras MLP and a forward pass that keeps its hidden layers.

:func:`build_mlp` builds

    784 pixels -> Dense(width) (no activation) -> layers x Dense(width, activation)
    -> Dense(10, softmax)

with every kernel drawn from the initializer under test (each layer its own draw, see
:func:`weight_init.keras_tools.initializer.keras_initializer`) and every bias zero;
:func:`hidden_outputs` runs images through it and returns the outputs of the hidden
layers. The activations are those of :mod:`weight_init.activations`
(:func:`keras_activation` gives the Keras one computing each).

Keras is imported inside the functions, so importing this module needs numpy only. The
Keras code uses ``keras.ops`` only and runs on any Keras backend.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.initializers import InitLike

__all__ = ["ACTIVATIONS", "check_activation", "keras_activation", "build_mlp", "hidden_outputs"]

#: Activation names accepted (those of :mod:`weight_init.activations`).
ACTIVATIONS = ("relu", "linear", "tanh", "sigmoid", "leaky_relu", "elu", "selu")


def check_activation(activation: str) -> str:
    """The canonical name of one of :data:`ACTIVATIONS` (``'identity'``, ``'none'`` are
    ``'linear'``); ``ValueError`` naming the valid ones otherwise."""
    key = str(activation).strip().lower().replace("-", "_")
    key = {"identity": "linear", "none": "linear"}.get(key, key)
    if key not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; valid names are: {', '.join(ACTIVATIONS)}")
    return key


def keras_activation(activation: str) -> Any:
    """The Keras activation computing what :mod:`weight_init.activations` defines.

    ``'linear'`` gives ``None``. ``'leaky_relu'`` uses slope 0.01 (this package's and
    PyTorch's; Keras' own default is 0.2).
    """
    key = check_activation(activation)
    if key == "linear":
        return None
    if key == "leaky_relu":
        from weight_init._optional import import_keras

        keras = import_keras()

        def leaky_relu(x: Any) -> Any:
            return keras.ops.leaky_relu(x, negative_slope=0.01)

        return leaky_relu
    return key


def build_mlp(
    init: InitLike,
    *,
    layers: int = 5,
    width: int = 100,
    activation: str = "relu",
    n_inputs: int = 784,
    n_classes: int = 10,
    seed: int | np.random.Generator | None = 0,
) -> Any:
    """The article's untrained MLP as a functional ``keras.Model``.

    ``Input(n_inputs) -> Dense(width) 'dense_in' (no activation) -> Dense(width,
    activation) 'hidden_1' ... 'hidden_<layers>' -> Dense(n_classes, softmax) 'output'``.
    Every kernel is drawn from ``init`` (its own draw per layer, from one numpy
    Generator seeded by ``seed``); every bias is zero.

    Parameters
    ----------
    init : str or callable
        Any initializer :func:`weight_init.initializers.get` accepts.
    layers : int
        Number of hidden layers with the activation (the article: 5).
    width : int
        Units per hidden layer (the article: 100).
    activation : str
        One of :data:`ACTIVATIONS`.
    n_inputs, n_classes : int
        Input and output widths.
    seed : int or numpy.random.Generator or None
        Seeds the weights; the same seed gives the same network.
    """
    from weight_init._optional import import_keras
    from weight_init.keras_tools.initializer import keras_initializer

    for label, value in (
        ("layers", layers),
        ("width", width),
        ("n_inputs", n_inputs),
        ("n_classes", n_classes),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    act = keras_activation(activation)
    keras = import_keras()
    kernel = keras_initializer(init, seed=seed)
    dense = keras.layers.Dense

    inputs = keras.Input(shape=(int(n_inputs),), name="pixels")
    h = dense(width, kernel_initializer=kernel, bias_initializer="zeros", name="dense_in")(inputs)
    for i in range(int(layers)):
        h = dense(
            width, activation=act, kernel_initializer=kernel, bias_initializer="zeros", name=f"hidden_{i + 1}"
        )(h)
    outputs = dense(
        n_classes, activation="softmax", kernel_initializer=kernel, bias_initializer="zeros", name="output"
    )(h)
    return keras.Model(inputs, outputs, name="mlp")


def hidden_outputs(model: Any, x: np.ndarray, batch_size: int = 10_000) -> list[np.ndarray]:
    """Outputs of every ``hidden_<i>`` layer of :func:`build_mlp`'s model, in one pass.

    Returns a list of ``(n, width)`` float32 arrays, hidden layer 1 first.
    """
    from weight_init._optional import import_keras

    keras = import_keras()
    names = sorted(
        (layer.name for layer in model.layers if layer.name.startswith("hidden_")),
        key=lambda name: int(name.split("_")[1]),
    )
    probe = keras.Model(model.input, [model.get_layer(name).output for name in names])
    x = np.asarray(x, dtype=np.float32)
    parts: list[list[np.ndarray]] = [[] for _ in names]
    for start in range(0, len(x), batch_size):
        outs = probe(keras.ops.convert_to_tensor(x[start : start + batch_size]), training=False)
        for part, out in zip(parts, outs):
            part.append(keras.ops.convert_to_numpy(out))
    return [np.concatenate(part) for part in parts]
