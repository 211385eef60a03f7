"""LSUV: layer-sequential unit-variance initialization of any Keras model.

Mishkin & Matas (2016), *All you need is a good init*:

1. **Orthogonal pre-initialization.** Every kernel ``W`` (``Dense``, ``Conv``, any layer
   with a ``kernel``) is replaced by a random (semi-)orthogonal matrix of its shape
   (:class:`weight_init.initializers.Orthogonal`, gain 1; a convolution kernel
   ``(kh, kw, c_in, c_out)`` as a ``(kh*kw*c_in, c_out)`` matrix).
2. **Layer by layer, first to last,** on a batch ``x``: measure the variance ``v`` of
   the layer's output (population variance over every element), and while
   ``|v - 1| >= tol`` and fewer than ``max_iter`` rescalings were made, set
   ``W <- W / sqrt(v)`` and measure again. Biases are left as they are.

Which layers: every layer with a kernel (:func:`weight_init.keras_tools.probe.layer_kernel`):
``Dense``, ``Conv1D/2D/3D``, ``DepthwiseConv1D/2D`` (its depthwise kernel), and a
``SeparableConv1D/2D`` by its ``pointwise_kernel`` (the part that feeds its output,
drawn orthogonal and rescaled; its ``depthwise_kernel`` is left as the layer drew it).
Left as they are, named in a ``RuntimeWarning``: recurrent layers (``SimpleRNN``,
``LSTM``, ``GRU``: kernel and recurrent kernel live in a ``cell``), ``Embedding``,
attention layers and the layers inside a nested model.

What is measured: the layer's output after its activation (the "hidden layer output"),
except for a bounded activation (:data:`BOUNDED`: ``tanh``, ``sigmoid``, ``softmax``,
``hard_sigmoid``, ``hard_tanh``, ``softsign``, ``sparse_sigmoid``, ``sparsemax``, every
Keras 3 activation whose range is at most 2 wide) whose output variance cannot reach 1;
there the pre-activation is measured. The activation is the layer's own, or for a linear
layer whose output feeds a layer that is only an activation (``Activation(f)``,
``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax``) that layer's: ``Dense(n)`` then
``Activation("relu")`` is measured after the ReLU, as ``Dense(n, activation="relu")``.
For a ReLU or linear layer with a zero bias the output is positively homogeneous in
``W``, so one rescaling lands exactly on 1.

Every check comes first: a batch that is empty, holds a NaN or an infinity, or that the
model cannot run on, a layer called more than once (shared), or a kernel that is not one
variable (a LoRA-enabled ``Dense``) is a ``ValueError`` before any kernel is redrawn.

>>> from weight_init.keras_tools.lsuv import lsuv
>>> model, log = lsuv(model, x_batch, tol=0.1, max_iter=10, seed=0)  # doctest: +SKIP
>>> log[["layer", "iterations", "initial_var", "final_var", "converged"]]  # doctest: +SKIP

Only ``keras.ops`` are used (every Keras backend); Keras and pandas are imported inside
the functions.
"""

from __future__ import annotations

import math
import sys
import warnings
from typing import Any

import numpy as np

from weight_init import initializers
from weight_init.keras_tools.probe import (
    activation_name,
    check_batch,
    check_single_calls,
    describe,
    following_activation,
    kernel_layers,
    layer_kernel,
    model_input,
    preactivation,
    probe_tensors,
    unhandled_layers,
)

__all__ = ["LOG_COLUMNS", "BOUNDED", "LSUV_INIT", "lsuv", "apply_lsuv_to_branch", "lsuv_branches"]

#: Columns of the per-layer log :func:`lsuv` returns.
LOG_COLUMNS = ("layer", "measured", "iterations", "initial_var", "final_var", "scale", "converged")
#: Activations whose output variance cannot reach 1: LSUV measures their pre-activation.
#: Every bounded activation of Keras 3 (range at most 2 wide: variance at most 1).
BOUNDED = (
    "tanh",
    "sigmoid",
    "softmax",
    "hard_sigmoid",
    "softsign",
    "hard_tanh",
    "sparse_sigmoid",
    "sparsemax",
)
#: ``--inits lsuv`` in the scripts: the networks are built with this initializer (LSUV's
#: orthogonal draw) and then passed to :func:`lsuv` on the data the script loaded.
#: Anywhere else it is just ``orthogonal``: LSUV needs the model and the data.
LSUV_INIT = initializers.lsuv
#: Images the fused training's LSUV measures on (a random minibatch, as Mishkin & Matas).
LSUV_BATCH = 256


def _check(tol: Any, max_iter: Any) -> tuple[float, int]:
    if (
        isinstance(tol, bool)
        or not isinstance(tol, (int, float, np.floating))
        or not math.isfinite(tol)
        or not 0 < tol < 1
    ):
        raise ValueError(f"tol must be a number in (0, 1), got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be a non-negative integer, got {max_iter!r}")
    return float(tol), int(max_iter)


def lsuv(
    model: Any,
    x: Any,
    *,
    tol: float = 0.1,
    max_iter: int = 10,
    seed: int | np.random.Generator | None = 0,
    orthogonal: bool = True,
    verbose: bool = False,
) -> tuple[Any, Any]:
    """Initialize ``model``'s kernels in place by LSUV on the batch ``x``.

    Parameters
    ----------
    model : keras.Model
        A built ``Sequential`` or functional model.
    x : array
        The data batch the variances are measured on (e.g. 500 training images).
    tol : float, default 0.1
        Stop rescaling a layer once ``|Var - 1| < tol``.
    max_iter : int, default 10
        At most this many rescalings per layer.
    seed : int or numpy.random.Generator or None, default 0
        Seeds the orthogonal pre-initialization (layers drawn in order from one
        Generator): the same seed gives the same model.
    orthogonal : bool, default True
        Do step 1; ``False`` rescales the kernels the model has.
    verbose : bool
        One line per layer on stderr.

    Returns
    -------
    model : keras.Model
        The same object, its kernels changed.
    log : pandas.DataFrame
        One row per layer with a kernel: ``layer``, ``measured`` (``'output'`` or
        ``'preact'``), ``iterations`` (rescalings made), ``initial_var`` (after the
        orthogonal draw), ``final_var``, ``scale`` (the total factor applied to the
        kernel) and ``converged`` (``|final_var - 1| < tol``).

    Raises
    ------
    ValueError
        A bad ``tol``/``max_iter``/``seed``, a model :func:`weight_init.keras_tools.model_stats.layer_stats`
        could not probe either, a batch that is empty, holds a NaN or an infinity or does
        not fit the model, a shared layer, or a kernel that is not one variable (LoRA):
        raised before the model is changed.

    Warns
    -----
    RuntimeWarning
        For a layer whose output has zero or non-finite variance (it cannot be rescaled
        to 1; e.g. every unit dead), left as it is; and naming the layers with weights
        LSUV leaves alone (see the module docstring).
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    from weight_init._optional import import_keras
    from weight_init.validation import as_generator

    tol, max_iter = _check(tol, max_iter)
    keras = import_keras()
    ops = keras.ops
    gen = as_generator(seed)
    plan = _plan(model, x, keras)  # every check before any kernel changes
    if orthogonal:
        init = initializers.Orthogonal(1.0)
        for _, kernel, _, _, _ in plan:
            shape = tuple(int(s) for s in kernel.shape)
            values = init.sample(shape, rng=gen).astype(np.float32)
            kernel.assign(ops.convert_to_tensor(values, dtype=kernel.dtype))
    rows = []
    for layer, kernel, probe, bounded, measured in plan:

        def variance() -> float:
            out = probe(x, training=False)
            if bounded:
                out = preactivation(layer, out)
            values = np.asarray(ops.convert_to_numpy(out), dtype=np.float64)
            with np.errstate(over="ignore", invalid="ignore"):
                return float(np.var(values))

        var = first = variance()
        scale, iterations = 1.0, 0
        while iterations < max_iter and not abs(var - 1.0) < tol:
            if not (math.isfinite(var) and var > 0):
                warnings.warn(
                    f"LSUV: layer {layer.name!r} has output variance {var}; "
                    "it cannot be rescaled to 1 and is left as it is",
                    RuntimeWarning,
                    stacklevel=2,
                )
                break
            factor = 1.0 / math.sqrt(var)
            kernel.assign(kernel * factor)
            scale *= factor
            iterations += 1
            var = variance()
        rows.append(
            (
                layer.name,
                measured,
                iterations,
                first,
                var,
                scale,
                bool(abs(var - 1.0) < tol),
            )
        )
        if verbose:
            print(
                f"lsuv: {layer.name}: variance {first:.4g} -> {var:.4g} after {iterations} rescaling(s)",
                file=sys.stderr,
            )
    return model, pd.DataFrame(rows, columns=list(LOG_COLUMNS))


def _plan(model: Any, x: Any, keras: Any) -> list[tuple[Any, Any, Any, bool, str]]:
    """``(layer, kernel variable, probe model, bounded, measured)`` per layer, after every
    check: the probe gives the layer's output, or for ``bounded`` its input (the
    pre-activation is then computed from it); ``measured`` is ``'output'`` or ``'preact'``.

    Raises ``ValueError`` for a model or batch LSUV cannot work on; warns for the layers it
    leaves alone. Nothing is changed here.
    """
    layers = kernel_layers(model)
    check_batch(x)
    check_single_calls(model, layers)
    skipped = unhandled_layers(model, layers)
    if skipped:
        warnings.warn(
            f"LSUV leaves {describe(skipped)} as they are: their weights are not a kernel it can "
            "rescale (recurrent cells, embeddings, attention, nested models)",
            RuntimeWarning,
            stacklevel=3,
        )
    plan, targets = [], []
    for layer in layers:
        kernel = layer_kernel(layer)
        if getattr(layer, "lora_enabled", False) or not isinstance(kernel, keras.Variable):
            raise ValueError(
                f"layer {layer.name!r}: its kernel is not one variable (LoRA enabled or quantized: "
                "the kernel is computed from several), so LSUV cannot redraw or rescale it"
            )
        following = following_activation(model, layer)
        if following is not None:  # Dense(...) then Activation(f): measured as Dense(..., activation=f)
            preact = following[1] in BOUNDED
            target = layer.output if preact else following[0].output  # layer.output: the pre-activation
            bounded = False
        else:
            bounded = activation_name(layer) in BOUNDED
            try:
                target = layer.input if bounded else layer.output
            except (AttributeError, ValueError) as exc:
                raise ValueError(
                    f"layer {layer.name!r} cannot be probed in the model's graph ({exc})"
                ) from None
            preact = bounded
        probe = keras.Model(model_input(model), target)
        plan.append((layer, kernel, probe, bounded, "preact" if preact else "output"))
        targets.append(target)
    probe_tensors(model, targets, x)  # a batch of the wrong shape fails here, before any change
    return plan


def apply_lsuv_to_branch(model: Any, x: Any, prefix: str, input: Any = None, **kwargs: Any) -> Any:
    """LSUV on the layers whose names start with ``prefix`` (one network of a fused
    model such as :func:`weight_init.studies.loss_progression.cnn.build_cnns`' ``net<k>_``), the others untouched.

    Same arguments as :func:`lsuv`; returns its log. The other networks' layers keep
    their weights because only the chosen layers' kernels are drawn and rescaled: a
    temporary model from ``model``'s input (or ``input``, the branch's own symbolic input
    in a model of several inputs) to the branch's last kernel layer is LSUV'd.
    """
    from weight_init._optional import import_keras

    keras = import_keras()
    chosen = [layer for layer in kernel_layers(model) if layer.name.startswith(prefix)]
    if not chosen:
        raise ValueError(f"no layer with a kernel has a name starting with {prefix!r}")
    source = model_input(model) if input is None else input
    branch = keras.Model(source, chosen[-1].output, name=f"{prefix}branch")
    return lsuv(branch, x, **kwargs)[1]


def lsuv_branches(model: Any, inits: Any, x: Any, seeds: Any, inputs: Any = None) -> dict:
    """LSUV for every network ``k`` of a fused model whose initializer is :data:`LSUV_INIT`.

    ``inits`` and ``seeds`` give one initializer and one seed per network (``net<k>_``
    layers, :func:`weight_init.studies.loss_progression.cnn.build_cnns`); LSUV runs on :data:`LSUV_BATCH` images of
    ``x`` drawn at random (seeded by the network's seed), not the first ones: a data set
    in some order (MNIST's test set) gives a biased variance. ``inputs``, for a model of
    several inputs, gives each network's own symbolic input. Returns ``{k: log}``.
    """
    logs = {}
    for k, (fn, seed) in enumerate(zip(inits, seeds)):
        if fn is LSUV_INIT:
            pick = np.random.default_rng(seed).permutation(len(x))[:LSUV_BATCH]
            source = None if inputs is None else inputs[k]
            logs[k] = apply_lsuv_to_branch(model, x[np.sort(pick)], f"net{k}_", source, seed=seed)
    return logs
