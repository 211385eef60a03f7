"""The CNN of the Keras MNIST example, alone or as several independent copies in one model.

The network (Keras' ``mnist_cnn.py``, the article's second experiment)::

    Input(28, 28, 1)
    -> Conv2D(32, 3x3, relu) -> Conv2D(64, 3x3, relu) -> MaxPooling2D(2x2) -> Dropout(0.25)
    -> Flatten -> Dense(128, relu) -> Dropout(0.5) -> Dense(10)

Every kernel is drawn from the initializer under test (each layer its own draw, see
:func:`weight_init.keras_tools.initializer.keras_initializer`); every bias is zero. The last layer
returns **logits** ``z``; the class probabilities are ``softmax(z)`` and the loss is the
cross-entropy computed from the logits (:func:`weight_init.studies.fused.cross_entropy`), which is the same
function on every Keras backend (no probability clipping).

:func:`build_cnns` puts ``N`` such networks side by side in one ``keras.Model``: they
share nothing but their input, and the model's output stacks their logits to shape
``(batch, N, 10)``. Trained on the summed loss ``sum_k L_k``, network ``k`` receives
exactly the gradient ``dL_k / dtheta_k`` it would receive alone (the other terms do not
depend on its parameters), and RMSprop updates every parameter from its own gradient
history, so each network trains exactly as it would alone, while the framework runs
one training step instead of ``N``. Networks of different run seeds read different
inputs (one per seed: each seed has its own data order).

``precision='mixed_bfloat16'`` computes every layer but the last in bfloat16 (Keras'
mixed-precision policy: weights, gradients and optimizer state stay float32, as do the
logits and the loss); ``'float32'`` computes everything in float32.

Keras is imported inside the functions (numpy-only import); only ``keras.layers`` and
``keras.ops`` are used, so the models run on any Keras backend.
"""

from __future__ import annotations

import zlib
from typing import Any, Sequence

import numpy as np

from weight_init.initializers import InitLike

__all__ = [
    "INPUT_SHAPE",
    "N_CLASSES",
    "PRECISIONS",
    "network_seeds",
    "build_cnn",
    "build_cnns",
]

INPUT_SHAPE = (28, 28, 1)
N_CLASSES = 10
#: Keras dtype policies the builders accept.
PRECISIONS = ("float32", "mixed_bfloat16")


def _check_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}")
    return precision


def network_seeds(seed: int, label: str) -> tuple[int, int, int]:
    """The seeds of one network: ``(weights, dropout 1, dropout 2)``.

    Derived from the run's ``seed`` and the network's ``label`` (not its position), so a
    network gets the same weights and dropout masks whether it trains alone or beside
    others: ``numpy.random.SeedSequence([seed, crc32(label)]).generate_state(3)``,
    each reduced to ``[0, 2^31)``.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    state = np.random.SeedSequence([int(seed), zlib.crc32(label.encode())]).generate_state(3)
    weights, drop1, drop2 = (int(s) % 2**31 for s in state)
    return weights, drop1, drop2


def _branch(keras: Any, x: Any, init: InitLike, label: str, seed: int, prefix: str, precision: str) -> Any:
    """Apply one network's layers to ``x``; returns its float32 logits ``(batch, 10)``."""
    from weight_init.keras_tools.initializer import keras_initializer

    layers = keras.layers
    weight_seed, drop1, drop2 = network_seeds(seed, label)
    kernel = keras_initializer(init, seed=weight_seed)  # one generator: each layer its own draw
    weights = {"kernel_initializer": kernel, "bias_initializer": "zeros"}
    common = {**weights, "dtype": precision}
    h = layers.Conv2D(32, (3, 3), activation="relu", name=f"{prefix}conv1", **common)(x)
    h = layers.Conv2D(64, (3, 3), activation="relu", name=f"{prefix}conv2", **common)(h)
    h = layers.MaxPooling2D((2, 2), name=f"{prefix}pool", dtype=precision)(h)
    h = layers.Dropout(0.25, seed=drop1, name=f"{prefix}dropout1", dtype=precision)(h)
    h = layers.Flatten(name=f"{prefix}flatten", dtype=precision)(h)
    h = layers.Dense(128, activation="relu", name=f"{prefix}dense1", **common)(h)
    h = layers.Dropout(0.5, seed=drop2, name=f"{prefix}dropout2", dtype=precision)(h)
    return layers.Dense(N_CLASSES, name=f"{prefix}logits", dtype="float32", **weights)(h)


def build_cnn(init: InitLike, *, label: str | None = None, seed: int = 0, precision: str = "float32") -> Any:
    """One CNN of the Keras MNIST example, with a logits output ``(batch, 10)``.

    Parameters
    ----------
    init : str or callable
        Initializer of every kernel (anything :func:`weight_init.initializers.get`
        accepts); biases are zero.
    label : str, optional
        The network's name; with ``seed`` it fixes the weights and dropout masks
        (:func:`network_seeds`). Default: ``init`` if a string, else ``'cnn'``.
    seed : int
        Run seed.
    precision : {'float32', 'mixed_bfloat16'}
        Keras dtype policy of every layer but the last (which is float32).

    Returns
    -------
    keras.Model
        Layers ``conv1, conv2, pool, dropout1, flatten, dense1, dropout2, logits``.
    """
    from weight_init._optional import import_keras

    precision = _check_precision(precision)
    keras = import_keras()
    label = label or (init if isinstance(init, str) else "cnn")
    x = keras.Input(INPUT_SHAPE, name="image")
    return keras.Model(x, _branch(keras, x, init, label, seed, "", precision), name="cnn")


def build_cnns(
    inits: Sequence[InitLike],
    labels: Sequence[str],
    *,
    seed: int | Sequence[int] = 0,
    precision: str = "float32",
) -> Any:
    """``N`` independent CNNs in one model: output ``(batch, N, 10)``, the stacked logits.

    Network ``k`` (layers prefixed ``net<k>_``) is exactly ``build_cnn(inits[k],
    label=labels[k], seed=seed_k, precision=precision)``: same layers, same initial
    weights, same dropout seeds.

    Parameters
    ----------
    inits : sequence of str or callable
        One initializer per network.
    labels : sequence of str
        One label per network (with the network's seed it fixes its weights and dropout
        masks, :func:`network_seeds`).
    seed : int or sequence of int
        One run seed for every network: the model has one input, ``image``. Or one seed
        per network: the model has one input per distinct seed, ``image_seed<s>`` in the
        order the seeds first appear, and network ``k`` reads that of its seed.
    precision : {'float32', 'mixed_bfloat16'}

    Raises
    ------
    ValueError
        No network, ``inits``, ``labels`` (or per-network seeds) of different lengths, or
        a network twice (the same label and seed).
    """
    from weight_init._optional import import_keras

    inits, labels = list(inits), [str(label) for label in labels]
    if not inits or len(inits) != len(labels):
        raise ValueError(
            f"give one label per initializer and at least one; got {len(inits)} "
            f"initializers and {len(labels)} labels"
        )
    one_seed = isinstance(seed, (int, np.integer))
    seeds = [seed] * len(inits) if one_seed else list(seed)  # each checked by network_seeds
    if len(seeds) != len(inits):
        raise ValueError(f"give one seed per network; got {len(seeds)} seeds for {len(inits)} networks")
    if len(set(zip(labels, seeds))) != len(labels):
        raise ValueError(f"every network needs its own label (per seed); got {labels}")
    precision = _check_precision(precision)
    keras = import_keras()
    if one_seed:
        inputs = keras.Input(INPUT_SHAPE, name="image")
        input_of = {seed: inputs}
    else:
        input_of = {s: keras.Input(INPUT_SHAPE, name=f"image_seed{s}") for s in dict.fromkeys(seeds)}
        inputs = list(input_of.values())
    rows = [
        keras.layers.Reshape((1, N_CLASSES), name=f"net{k}_row")(
            _branch(keras, input_of[s], init, label, s, f"net{k}_", precision)
        )
        for k, (init, label, s) in enumerate(zip(inits, labels, seeds))
    ]
    out = rows[0] if len(rows) == 1 else keras.layers.Concatenate(axis=1, name="stack")(rows)
    return keras.Model(inputs, out, name=f"cnns_x{len(inits)}")
