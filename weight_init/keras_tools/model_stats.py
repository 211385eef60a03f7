"""Per-layer statistics of *your* Keras model on a batch, forward and backward.

:func:`layer_stats` takes any built Keras 3 model (``Sequential`` or functional) and a
batch ``x``; for every layer with a ``kernel`` (``Dense``, ``Conv1D/2D/3D``, ...; layers
without weights are passed through) it reports how the signal looks at that layer, and
beside it what mean-field theory (:mod:`weight_init.theory`) predicts::

    from weight_init.keras_tools.model_stats import layer_stats, plot_model_stats
    df = layer_stats(model, x_batch)            # or layer_stats(model, x, y, loss=...)
    plot_model_stats(df)

Definitions (all over **every element** of the batch's tensors, population statistics,
``ddof = 0``, computed in float64 from the float32 values; the same definitions as the
in-training recording of issue 9):

``act_mean``, ``act_std``
    mean and std of the layer's output ``H = f(Z)`` (after its own ``activation``).
``preact_std``
    std of ``Z``, the layer's output before its activation (``Z = H`` for a linear layer).
``dead_fraction``
    for a ReLU-like activation (relu, relu6, leaky_relu, elu, selu, gelu, silu): the share
    of units (Dense) or channels (Conv) whose pre-activation is ``<= 0`` for every example
    and position of the batch, i.e. whose ReLU output is exactly 0 throughout; NaN for
    other activations.
``saturated_fraction``
    for ``tanh`` the share of outputs with ``|H| > 0.99``, for ``sigmoid`` with
    ``|H - 0.5| > 0.495`` (beyond 99 % of the range); NaN for other activations.
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

Gradients: Keras 3 has no backend-neutral gradient, so one private helper
(:func:`_kernel_gradients`) dispatches on ``keras.backend.backend()``: TensorFlow's
``GradientTape``, JAX's ``jax.grad`` of a stateless call, torch's ``autograd.grad``;
everything else uses ``keras.ops``. Keras, pandas and matplotlib are imported inside the
functions.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["COLUMNS", "kernel_layers", "layer_stats", "plot_model_stats"]

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

#: Activations whose units can die: the dead fraction is reported for them.
RELU_LIKE = ("relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu")
#: Bounded activations: the saturated fraction is reported for them, with the
#: threshold as a distance from the centre of the range.
SATURATING = {"tanh": (0.0, 0.99), "sigmoid": (0.5, 0.495)}
#: Keras activations whose law :mod:`weight_init.activations` defines identically.
THEORY_ACTIVATIONS = ("linear", "relu", "tanh", "sigmoid", "elu", "selu")
_PLAIN_LAYERS = ("Dense", "Conv1D", "Conv2D", "Conv3D")


def _keras() -> Any:
    from weight_init._optional import import_keras

    return import_keras()


def kernel_layers(model: Any) -> list:
    """The layers of ``model`` that have a ``kernel``, in the model's order.

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
    layers = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None]
    if not layers:
        raise ValueError(f"model {model.name!r} has no layer with a kernel (Dense, Conv, ...)")
    return layers


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


def _channel_axis(layer: Any, ndim: int) -> int:
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


def _probe_outputs(model: Any, layers: Sequence[Any], x: Any) -> list[tuple[Any, Any]]:
    """``(input, output)`` of every layer in ``layers`` for the batch ``x``, one pass."""
    keras = _keras()
    tensors = []
    for layer in layers:
        try:
            tensors.extend([layer.input, layer.output])
        except (AttributeError, ValueError) as exc:
            raise ValueError(
                f"layer {layer.name!r} has no single input and output in the model's graph "
                f"({exc}); a layer used twice or inside a nested model cannot be probed"
            ) from None
    probe = keras.Model(model_input(model), tensors)
    try:
        outs = probe(x, training=False)
    except Exception as exc:  # a batch of the wrong shape or dtype
        raise ValueError(f"model {model.name!r} cannot run on x: {exc}") from None
    return [(outs[2 * i], outs[2 * i + 1]) for i in range(len(layers))]


def _kernel_gradients(model: Any, x: Any, loss_fn: Callable[[Any], Any], kernels: Sequence[Any]) -> list:
    """``d loss_fn(model(x)) / dK`` for every kernel variable ``K``, as numpy arrays.

    The one backend-specific piece of this module. ``None`` for a kernel that is not
    trainable or does not reach the loss.
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

        def loss_of(selected: list) -> Any:
            current = list(values)
            for i, value in zip(chosen, selected):
                current[i] = value
            out, _ = model.stateless_call(current, frozen, x, training=False)
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


def _as_list(out: Any) -> list:
    if isinstance(out, dict):
        return [out[k] for k in sorted(out)]
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _loss_function(model: Any, x: Any, y: Any, loss: Any, seed: Any) -> Callable[[Any], Any]:
    """The scalar loss of the model's output that the gradients are taken of."""
    keras = _keras()
    ops = keras.ops
    if y is None:
        if loss is not None:
            raise ValueError("loss= needs y; without y the upstream gradient is standard normal")
        from weight_init.validation import as_generator

        gen = as_generator(seed)
        if gen is None:
            gen = np.random.default_rng()
        shapes = [tuple(int(s) for s in o.shape) for o in _as_list(model(x, training=False))]
        upstream = [gen.standard_normal(shape).astype(np.float32) for shape in shapes]

        def probe_loss(out: Any) -> Any:
            total = 0.0
            for o, g in zip(_as_list(out), upstream):
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


def _std(values: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.std(values))


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
        A model without an input graph or kernels, a batch it rejects, ``y`` without a
        loss, or a backend without a gradient.
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    from weight_init.initializers import compute_fans

    keras = _keras()
    layers = kernel_layers(model)
    pairs = _probe_outputs(model, layers, x)
    batch = int(_as_list(x)[0].shape[0]) if not hasattr(x, "shape") else int(x.shape[0])
    grads = _kernel_gradients(
        model, x, _loss_function(model, x, y, loss, seed), [layer.kernel for layer in layers]
    )
    to_np = keras.ops.convert_to_numpy
    rows = []
    for layer, (inp, out), grad in zip(layers, pairs, grads):
        act = activation_name(layer)
        h = np.asarray(to_np(out), dtype=np.float64)
        z = h if act == "linear" else np.asarray(to_np(preactivation(layer, inp)), dtype=np.float64)
        kernel = np.asarray(to_np(layer.kernel), dtype=np.float64)
        bias_var = getattr(layer, "bias", None)
        bias = None if bias_var is None else np.asarray(to_np(bias_var), dtype=np.float64)
        axis = _channel_axis(layer, h.ndim)
        dead = math.nan
        if act in RELU_LIKE:
            others = tuple(a for a in range(z.ndim) if a != axis)
            dead = float(np.mean(np.all(z <= 0, axis=others)))
        saturated = math.nan
        if act in SATURATING:
            centre, reach = SATURATING[act]
            saturated = float(np.mean(np.abs(h - centre) > reach))
        theory_cols = (math.nan,) * 3
        if theory:
            with np.errstate(over="ignore", invalid="ignore"):
                m_in = float(np.mean(np.square(np.asarray(to_np(inp), dtype=np.float64))))
            theory_cols = _theory(layer, act, kernel, bias, m_in)
        with np.errstate(over="ignore", invalid="ignore"):
            act_mean = float(np.mean(h))
        rows.append(
            (
                layer.name,
                type(layer).__name__,
                act,
                compute_fans(kernel.shape)[0],
                int(h.shape[axis]),
                act_mean,
                _std(h),
                _std(z),
                dead,
                saturated,
                _std(kernel),
                math.nan if grad is None else _std(grad),
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
