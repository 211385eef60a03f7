"""Per-layer statistics of *your* Keras model on a batch, forward and backward.

:func:`layer_stats` takes any built Keras 3 model (``Sequential`` or functional) and a
batch ``x``; for every layer with a kernel (``Dense``, ``Conv1D/2D/3D``,
``DepthwiseConv*``; a ``SeparableConv*`` by its ``pointwise_kernel``; layers without
weights are passed through) it reports how the signal looks at that layer, and beside it
what mean-field theory (:mod:`weight_init.theory`) predicts::

    from weight_init.keras_tools.model_stats import layer_stats, plot_model_stats
    df = layer_stats(model, x_batch)            # or layer_stats(model, x, y, loss=...)
    plot_model_stats(df)

Definitions (all over **every element** of the batch's tensors, population statistics,
``ddof = 0``, accumulated in float64 from the float32 values), computed by
:mod:`weight_init.keras_tools.statistics`, the one implementation that
:class:`weight_init.keras_tools.LayerStatsCallback` and the loss study's in-training
recorder use too:

``act_mean``, ``act_std``
    mean and std of the layer's output ``H = f(Z)`` after its activation: its own
    ``activation``, or, for a linear layer whose output feeds a layer that is only an
    activation (``Activation(f)``, ``ReLU``, ``LeakyReLU``, ``ELU``, ``Softmax``), that
    layer's: ``Dense(n)`` then ``Activation("relu")`` gives the row of
    ``Dense(n, activation="relu")`` (``activation`` column ``'relu'``).
``preact_std``
    std of ``Z``, the layer's output before its activation (``Z = H`` for a linear layer).
``dead_fraction``
    for a ReLU-like activation (relu, relu6, leaky_relu, elu, selu, gelu, silu): the share
    of units (Dense) or channels (Conv) whose pre-activation is ``<= 0`` for every example
    and position of the batch, i.e. whose ReLU output is exactly 0 throughout; NaN for
    other activations.
``saturated_fraction``
    for ``tanh``, ``hard_tanh`` and ``softsign`` the share of outputs with ``|H| > 0.99``,
    for ``sigmoid``, ``hard_sigmoid`` and ``sparse_sigmoid`` with ``|H - 0.5| > 0.495``
    (beyond 99 % of the range); NaN for other activations.
``weight_std``
    std of the kernel (biases excluded).
``grad_std``
    std of ``dL/dW``, the gradient of the loss with respect to the kernel. With ``y`` the
    loss is ``mean_i loss(y_i, model(x)_i)`` (the model's compiled loss or ``loss=``);
    without ``y`` it is ``L = (1/N) sum_i G_i . model(x)_i`` with a standard-normal
    upstream gradient ``G = dL/d(output)`` per example (``N`` the batch size; seeded by
    ``seed``), as in :func:`weight_init.propagation.propagation_stats`.
``theory_preact_std``, ``theory_act_mean``, ``theory_act_std``
    the mean-field prediction for a plain layer (a ``Dense`` or ``Conv1D/2D/3D`` without
    groups, activation linear, relu, tanh, sigmoid, elu or selu), given the second moment
    of the layer's *measured* input ``m = E[x^2]``: ``q = fan_in * E[W^2] * m + E[b^2]``
    (``E[b^2]`` of the bias as it is, 0 without one), ``Z ~ N(0, q)`` (:func:`weight_init.theory.mean_field`
    with one layer, ``E[W^2]`` of the kernel as it is). NaN for every other layer. It is
    the infinite-width limit; a finite layer, a ``'same'``-padded border or inputs of very
    unequal norms stray from it.

The forward pass runs with ``training=False`` (no dropout, batch-norm in inference mode).

Not read (named in a ``RuntimeWarning``): layers whose matrices are not a kernel of their
own, recurrent layers (``SimpleRNN``, ``LSTM``, ``GRU``: kernels in a ``cell``),
``Embedding``, attention layers and layers inside a nested model. A batch that is empty
or holds a NaN or an infinity, and a layer called more than once (a shared layer), are a
``ValueError``.

The model is probed and its gradients taken by :mod:`weight_init.keras_tools.probe`
(the one backend-specific piece: TensorFlow's ``GradientTape``, JAX's ``jax.grad``,
torch's ``autograd.grad``). Keras, pandas and matplotlib are imported inside the
functions.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from weight_init.keras_tools.probe import (
    activation_name,
    channel_axis,
    check_batch,
    check_single_calls,
    describe,
    following_activation,
    kernel_gradients,
    kernel_layers,
    layer_kernel,
    loss_function,
    preactivation,
    probe_outputs,
    probe_tensors,
    unhandled_layers,
)
from weight_init.keras_tools.statistics import RELU_LIKE, SATURATING, layer_statistics

__all__ = ["COLUMNS", "RELU_LIKE", "SATURATING", "THEORY_ACTIVATIONS", "layer_stats", "plot_model_stats"]

#: Columns of :func:`layer_stats`' table, in order.
COLUMNS = (
    "layer",
    "class_name",
    "activation",
    "fan_in",
    "units",
    "act_mean",
    "act_std",
    "preact_std",
    "dead_fraction",
    "saturated_fraction",
    "weight_std",
    "grad_std",
    "theory_preact_std",
    "theory_act_mean",
    "theory_act_std",
)

#: Keras activations whose law :mod:`weight_init.activations` defines identically.
THEORY_ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "elu", "selu")
_PLAIN_LAYERS = ("Dense", "Conv1D", "Conv2D", "Conv3D")


def _theory(layer: Any, act: str, kernel: np.ndarray, bias: np.ndarray | None, m_in: float) -> tuple:
    """Mean-field ``(preact_std, act_mean, act_std)`` for a plain layer, else NaNs.

    ``q = fan_in * mean(W^2) * m_in + mean(b^2)``: a bias, zero or not, is its measured
    second moment.
    """
    from weight_init.initializers import compute_fans
    from weight_init.theory import mean_field

    nan = (math.nan, math.nan, math.nan)
    if type(layer).__name__ not in _PLAIN_LAYERS or act not in THEORY_ACTIVATIONS:
        return nan
    if getattr(layer, "groups", 1) != 1:
        return nan
    # A bias enters as its measured second moment E[b^2] (the theory's sigma_b^2).
    b2 = 0.0 if bias is None else float(np.mean(np.square(bias)))
    if not np.all(np.isfinite(kernel)) or not math.isfinite(m_in) or not math.isfinite(b2):
        return nan
    fan_in, fan_out = compute_fans(kernel.shape)
    v = float(np.mean(np.square(kernel)))
    res = mean_field([fan_in], [fan_out], [v], act, input_second_moment=m_in, sigma_b2=b2)
    return float(res["preact_std"][0]), float(res["act_mean"][0]), float(res["act_std"][0])


def layer_stats(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    loss: Any = None,
    seed: int | np.random.Generator | None = 0,
    theory: bool = True,
) -> Any:
    """One row of forward and backward statistics per layer with a kernel.

    Parameters
    ----------
    model : keras.Model
        A built ``Sequential`` or functional model (any Keras 3 backend).
    x : array
        A batch of inputs, e.g. 256 examples.
    y : array, optional
        Targets for the loss; without them the gradient is that of a standard-normal
        upstream gradient (see the module docstring).
    loss : str or callable, optional
        With ``y``: the loss, ``loss(y, output)`` per example or batch-averaged; default
        the model's compiled loss.
    seed : int or numpy.random.Generator or None, default 0
        Seeds the standard-normal upstream gradient (``None``: fresh entropy).
    theory : bool, default True
        Add the mean-field prediction columns (NaN where it does not apply).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` (definitions in the module docstring): ``layer`` (name),
        ``class_name``, ``activation`` (name of the layer's own activation), ``fan_in``
        and ``units`` (output units or channels), then the statistics. ``attrs`` holds
        ``backend``, ``batch_size`` and ``upstream`` (``'loss'`` or ``'standard_normal'``).

    Raises
    ------
    ValueError
        A model without an input graph or kernels, a batch it rejects (wrong shape, empty,
        a NaN or an infinity), a layer called twice, ``y`` without a loss, or a backend
        without a gradient.

    Warns
    -----
    RuntimeWarning
        Naming the layers with weights it gives no row (see the module docstring).
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    from weight_init._optional import import_keras
    from weight_init.initializers import compute_fans

    keras = import_keras()
    layers = kernel_layers(model)
    batch = check_batch(x)
    check_single_calls(model, layers)
    skipped = unhandled_layers(model, layers)
    if skipped:
        warnings.warn(
            f"layer_stats: no row for {describe(skipped)}: their weights are not a kernel it reads "
            "(recurrent cells, embeddings, attention, nested models)",
            RuntimeWarning,
            stacklevel=2,
        )
    pairs = probe_outputs(model, layers, x)
    after = [following_activation(model, layer) for layer in layers]
    fed = [a for a in after if a is not None]
    fed_values = iter(probe_tensors(model, [a[0].output for a in fed], x) if fed else [])
    kernels = [layer_kernel(layer) for layer in layers]
    grads = kernel_gradients(model, x, loss_function(model, x, y, loss, seed), kernels)
    to_np = keras.ops.convert_to_numpy
    rows = []
    for layer, (inp, out), grad, var, following in zip(layers, pairs, grads, kernels, after):
        act = activation_name(layer)
        h = np.asarray(to_np(out), dtype=np.float64)
        z = h if act == "linear" else np.asarray(to_np(preactivation(layer, inp)), dtype=np.float64)
        if following is not None:  # Dense(...) then Activation(f): as Dense(..., activation=f)
            act = following[1]
            h = np.asarray(to_np(next(fed_values)), dtype=np.float64)
        kernel = np.asarray(to_np(var), dtype=np.float64)
        bias_var = getattr(layer, "bias", None)
        bias = None if bias_var is None else np.asarray(to_np(bias_var), dtype=np.float64)
        axis = channel_axis(layer, h.ndim)
        stats = layer_statistics(h, z, act, kernel=kernel, grad=grad, channel_axis=axis)
        theory_cols = (math.nan,) * 3
        if theory:
            with np.errstate(over="ignore", invalid="ignore"):
                m_in = float(np.mean(np.square(np.asarray(to_np(inp), dtype=np.float64))))
            theory_cols = _theory(layer, act, kernel, bias, m_in)
        depthwise = "Depthwise" in type(layer).__name__  # each channel its own filter
        fan_in = int(np.prod(kernel.shape[:-2])) if depthwise else compute_fans(kernel.shape)[0]
        rows.append(
            (
                layer.name,
                type(layer).__name__,
                act,
                fan_in,
                int(h.shape[axis]),
                *(stats[c] for c in COLUMNS[5:12]),
                *theory_cols,
            )
        )
    df = pd.DataFrame(rows, columns=list(COLUMNS))
    df.attrs.update(
        backend=keras.backend.backend(), batch_size=batch, upstream="standard_normal" if y is None else "loss"
    )
    return df


def plot_model_stats(
    stats: Any,
    *,
    title: str | None = None,
    figsize: tuple[float, float] = (16, 3.6),
    logy: bool | str = "auto",
):
    """Plot a :func:`layer_stats` table in one call: four panels over the layers.

    Activation std (points) with the pre-activation std (thin) and the mean-field
    prediction (dashed); dead fraction (ReLU-like) and saturated fraction (tanh,
    sigmoid); weight std; gradient std ``dL/dW``. A table with an ``init`` column (several
    tables concatenated, e.g. one per initialization) gets one line per ``init``.

    Parameters
    ----------
    stats : pandas.DataFrame
        The result of :func:`layer_stats`, or several with an ``init`` column.
    title : str, optional
    figsize : (float, float)
    logy : bool or 'auto'
        Log y-axis for the std panels; ``'auto'`` when the positive values span more
        than two decades.

    Returns
    -------
    weight_init.plotting.PlotResult
        ``.figure`` is the matplotlib ``Figure`` (shown once in a notebook).
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")

    from weight_init.plotting import wants_log

    if not hasattr(stats, "columns"):
        raise ValueError(f"stats must be the DataFrame of layer_stats, got {type(stats).__name__}")
    for needed in ("layer", "act_std", "weight_std", "grad_std"):
        if needed not in stats.columns:
            raise ValueError(f"stats has no column {needed!r}; expected layer_stats' columns")
    groups = list(stats.groupby("init", sort=False)) if "init" in stats.columns else [(None, stats)]
    names = list(dict.fromkeys(stats["layer"]))
    pos = {name: i for i, name in enumerate(names)}
    fig, axes = plt.subplots(1, 4, figsize=figsize)
    panels = [
        (axes[0], "act_std", "activation std"),
        (axes[2], "weight_std", "weight std"),
        (axes[3], "grad_std", "gradient std dL/dW"),
    ]
    colors = plt.rcParams["axes.prop_cycle"].by_key().get("color", ["C0"])
    for k, (label, df) in enumerate(groups):
        color = colors[k % len(colors)]
        xs = np.array([pos[name] for name in df["layer"]])
        for ax, col, _ in panels:
            ax.plot(xs, df[col].to_numpy(float), "o-", color=color, ms=4, label=label)
        if "preact_std" in df.columns:
            axes[0].plot(xs, df["preact_std"].to_numpy(float), "-", color=color, lw=0.8, alpha=0.6)
        if "theory_act_std" in df.columns:
            axes[0].plot(xs, df["theory_act_std"].to_numpy(float), "--", color=color, lw=1)
        for col, marker in (("dead_fraction", "v-"), ("saturated_fraction", "^:")):
            if col in df.columns and np.any(np.isfinite(df[col].to_numpy(float))):
                axes[1].plot(
                    xs,
                    df[col].to_numpy(float),
                    marker,
                    color=color,
                    ms=4,
                    label=col.split("_")[0] if label is None else f"{label}: {col.split('_')[0]}",
                )
    for ax, col, name in panels:
        if wants_log(logy, [stats[col].to_numpy(float)]):
            ax.set_yscale("log")
        ax.set_title(name)
    axes[0].set_title("activation std (thin: pre-activation, dashed: theory)", fontsize=9)
    axes[1].set_title("dead (v) / saturated (^) fraction")
    axes[1].set_ylim(-0.03, 1.03)
    for ax in axes:
        step = max(1, len(names) // 12)
        ax.set_xticks(range(0, len(names), step))
        ax.set_xticklabels(names[::step], rotation=60, ha="right", fontsize=7)
        ax.grid(alpha=0.3)
    if groups[0][0] is not None:
        axes[0].legend(fontsize=7)
    elif axes[1].get_legend_handles_labels()[0]:
        axes[1].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    from weight_init.plotting import PlotResult

    return PlotResult(fig)
