"""LSUV (Mishkin & Matas, 2016) for the networks of the fused CNN, each on its own.

``--inits lsuv`` builds a network with :data:`weight_init.keras_tools.lsuv.LSUV_INIT` (LSUV's
orthogonal draw); before training, :func:`lsuv_branches` runs the generic
:func:`weight_init.keras_tools.lsuv.lsuv` on that network alone (the layers ``net<k>_...``
of :func:`weight_init.studies.loss_progression.cnn.build_cnns`), on :data:`LSUV_BATCH`
random training images, and leaves the other networks' weights as they are.

Keras is imported inside the functions.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from weight_init.keras_tools.lsuv import LSUV_INIT, lsuv
from weight_init.keras_tools.probe import kernel_layers, model_input

__all__ = ["LSUV_BATCH", "apply_lsuv_to_branch", "lsuv_branches"]

#: Images the fused training's LSUV measures on (a random minibatch, as Mishkin & Matas).
LSUV_BATCH = 256


def apply_lsuv_to_branch(model: Any, x: Any, prefix: str, input: Any = None, **kwargs: Any) -> Any:
    """LSUV on the layers whose names start with ``prefix`` (one network of a fused
    model such as :func:`weight_init.studies.loss_progression.cnn.build_cnns`' ``net<k>_``),
    the others untouched.

    Same arguments as :func:`weight_init.keras_tools.lsuv.lsuv`; returns its log. The other
    networks' layers keep their weights because only the chosen layers' kernels are drawn
    and rescaled: a temporary model from ``model``'s input (or ``input``, the branch's own
    symbolic input in a model of several inputs) to the branch's last kernel layer is LSUV'd.

    Raises
    ------
    ValueError
        No layer with a kernel has a name starting with ``prefix``.
    """
    from weight_init._optional import import_keras

    keras = import_keras()
    chosen = [layer for layer in kernel_layers(model) if layer.name.startswith(prefix)]
    if not chosen:
        raise ValueError(f"no layer with a kernel has a name starting with {prefix!r}")
    source = model_input(model) if input is None else input
    branch = keras.Model(source, chosen[-1].output, name=f"{prefix}branch")
    return lsuv(branch, x, **kwargs)[1]


def lsuv_branches(
    model: Any, inits: Sequence[Any], x: Any, seeds: Sequence[int], inputs: Sequence[Any] | None = None
) -> dict:
    """LSUV for every network ``k`` of a fused model whose initializer is
    :data:`weight_init.keras_tools.lsuv.LSUV_INIT`.

    ``inits`` and ``seeds`` give one initializer and one seed per network (``net<k>_``
    layers, :func:`weight_init.studies.loss_progression.cnn.build_cnns`); LSUV runs on
    :data:`LSUV_BATCH` images of ``x`` drawn at random (seeded by the network's seed), not
    the first ones: a data set in some order (MNIST's test set) gives a biased variance.
    ``inputs``, for a model of several inputs, gives each network's own symbolic input.
    Returns ``{k: log}``.
    """
    logs = {}
    for k, (fn, seed) in enumerate(zip(inits, seeds)):
        if fn is LSUV_INIT:
            pick = np.random.default_rng(seed).permutation(len(x))[:LSUV_BATCH]
            source = None if inputs is None else inputs[k]
            logs[k] = apply_lsuv_to_branch(model, x[np.sort(pick)], f"net{k}_", source, seed=seed)
    return logs
