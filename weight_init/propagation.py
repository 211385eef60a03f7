"""Forward and backward layer statistics, measured and predicted, side by side.

:func:`propagation_stats` runs the experiment of
:func:`weight_init.experiment.forward_prop` (same arguments, same seed, same numbers),
back-propagates a standard-normal upstream gradient through the same network, and puts
next to every measured statistic what mean-field theory (:mod:`weight_init.theory`)
predicts for infinitely wide layers::

    from weight_init.propagation import propagation_stats, plot_propagation
    df = propagation_stats([500] * 10, 'xavier', activation='tanh', seed=0)
    df[['layer', 'act_std', 'theory_act_std', 'grad_std', 'theory_grad_std']]
    plot_propagation(df)

Backward pass. With ``H_0 = X``, ``Z_l = H_{l-1} W_l`` and ``H_l = f(Z_l)`` (layers
``l = 1 .. L``), the upstream gradient ``dL/dH_L = G`` has independent ``N(0, 1)``
entries, i.e. the loss is ``L = (1/N) sum_n G_n . H_{L,n}`` over the ``N`` samples.
Per sample,

.. math::

    \\delta_l = \\frac{\\partial L}{\\partial Z_l}
              = \\frac{\\partial L}{\\partial H_l} \\odot f'(Z_l), \\qquad
    \\frac{\\partial L}{\\partial H_{l-1}} = \\delta_l W_l^T,

(``delta`` without the ``1/N``: the gradient of sample ``n``'s own term), and the weight
gradient is the batch mean ``dL/dW_l = H_{l-1}^T delta_l / N``, as Keras averages a loss
over the batch; its std therefore shrinks like ``1/sqrt(N)``.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from weight_init.activations import ActivationLike
from weight_init.correlation import correlation_stats, plot_correlation
from weight_init.experiment import forward_pass
from weight_init.initializers import Initializer, InitLike, get
from weight_init.theory import DEFAULT_N_QUAD, mean_field
from weight_init.validation import as_generator

__all__ = ["propagation_stats", "backward_pass", "plot_propagation", "correlation_stats", "plot_correlation"]

COLUMNS = [
    "layer",
    "width",
    "act_mean",
    "act_std",
    "preact_std",
    "grad_std",
    "weight_grad_std",
    "theory_act_mean",
    "theory_act_std",
    "theory_preact_std",
    "theory_grad_std",
    "theory_weight_grad_std",
]


def backward_pass(
    weights: Sequence[np.ndarray],
    inputs: np.ndarray,
    preactivations: Sequence[np.ndarray],
    activations: Sequence[np.ndarray],
    activation: Any,
    upstream: np.ndarray,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Back-propagate ``upstream = dL/dH_L`` through a forward pass.

    Parameters
    ----------
    weights, inputs, preactivations, activations, activation
        The fields of a :class:`weight_init.experiment.ForwardPass`.
    upstream : ndarray, shape of ``activations[-1]``
        ``dL/dH_L`` per sample.

    Returns
    -------
    deltas : list of ndarray
        ``delta_l = dL/dZ_l = (dL/dH_l) * f'(Z_l)``, per sample, ``l = 1 .. L``.
    weight_grads : list of ndarray
        ``dL/dW_l = H_{l-1}^T delta_l / N`` (batch mean over the ``N`` rows).
    """
    upstream = np.asarray(upstream, dtype=float)
    if upstream.shape != np.shape(activations[-1]):
        raise ValueError(
            f"upstream has shape {upstream.shape}; expected the last layer's shape "
            f"{np.shape(activations[-1])}"
        )
    n = upstream.shape[0]
    L = len(weights)
    deltas: list = [None] * L
    wgrads: list = [None] * L
    d_h = upstream
    with np.errstate(over="ignore", invalid="ignore"):
        for l in range(L - 1, -1, -1):
            delta = d_h * np.asarray(activation.derivative(preactivations[l]), dtype=float)
            h_prev = inputs if l == 0 else activations[l - 1]
            wgrads[l] = h_prev.T @ delta / n
            deltas[l] = delta
            if l > 0:
                d_h = delta @ weights[l].T
    return deltas, wgrads


def _weight_second_moment(init: Any, W: np.ndarray) -> float:
    """From the initializer's parameters where it has them, else from the drawn ``W``."""
    if isinstance(init, Initializer):
        moment = init.second_moment(*W.shape)
        if moment is not None:
            return float(moment)
    return float(np.mean(np.square(W)))


def propagation_stats(
    hidden_layer_sizes: Sequence[int],
    init_fn: InitLike,
    *,
    activation: ActivationLike = "tanh",
    X: np.ndarray | None = None,
    n_samples: int = 1000,
    seed: int | np.random.Generator | None = None,
    n_quad: int = DEFAULT_N_QUAD,
    sigma_b2: float = 0.0,
):
    """Measured and predicted forward and backward statistics of every hidden layer.

    Runs :func:`weight_init.experiment.forward_pass` with the same arguments as
    :func:`~weight_init.experiment.forward_prop` (so ``act_mean``/``act_std`` equal its
    means and stds for the same seed), then draws an upstream gradient
    ``dL/dH_L ~ N(0, 1)`` of the last layer's shape (from the same seeded stream, after
    the forward draws; from numpy's global state when ``seed`` is ``None``) and
    back-propagates it (formulas in the module docstring).

    The ``theory_*`` columns are the mean-field, infinite-width predictions of
    :func:`weight_init.theory.mean_field` for this network: weight second moment
    ``v_l`` from the initializer's parameters (a function of yours: ``mean(W_l ** 2)``
    of the weights actually drawn), input second moment 1 for the default
    standard-normal input or ``mean(X ** 2)`` for yours, upstream gradient variance 1.
    A single network of width ``n`` strays from them by ``O(1/sqrt(n))`` per layer,
    compounding with depth; for ReLU the per-network log-variance drifts as a random
    walk (Hanin & Rolnick 2018), so compare ReLU networks averaged over several seeds.

    Parameters
    ----------
    hidden_layer_sizes, init_fn, activation, X, n_samples, seed
        As for :func:`weight_init.experiment.forward_prop`.
    n_quad : int, default 32
        Quadrature nodes per panel for the theory.
    sigma_b2 : float, default 0.0
        Variance of a bias ``b ~ N(0, sigma_b2)`` per unit in every layer (drawn after the
        layer's weights); the theory gets the same ``sigma_b2``. 0: no biases, the numbers
        of :func:`~weight_init.experiment.forward_prop`.

    Returns
    -------
    pandas.DataFrame
        One row per hidden layer with columns

        ``layer``            1 .. L
        ``width``            the layer's width
        ``act_mean``         mean of ``H_l`` over all entries
        ``act_std``          std of ``H_l``
        ``preact_std``       std of ``Z_l``
        ``grad_std``         std of ``delta_l = dL/dZ_l`` (per-sample gradient)
        ``weight_grad_std``  std of ``dL/dW_l = H_{l-1}^T delta_l / N``
        ``theory_act_mean``, ``theory_act_std``, ``theory_preact_std``,
        ``theory_grad_std``, ``theory_weight_grad_std``  the predictions.

    Raises
    ------
    ValueError
        As :func:`~weight_init.experiment.forward_prop`, or for a bad ``seed`` or
        ``n_quad``.
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    rng = as_generator(seed)
    fp = forward_pass(
        hidden_layer_sizes,
        init_fn,
        activation=activation,
        X=X,
        n_samples=n_samples,
        seed=rng,
        sigma_b2=sigma_b2,
    )
    shape = fp.activations[-1].shape
    upstream = np.random.randn(*shape) if rng is None else rng.standard_normal(shape)
    deltas, wgrads = backward_pass(
        fp.weights, fp.inputs, fp.preactivations, fp.activations, fp.activation, upstream
    )

    init = get(init_fn)
    fan_ins = [W.shape[0] for W in fp.weights]
    widths = [W.shape[1] for W in fp.weights]
    vs = [_weight_second_moment(init, W) for W in fp.weights]
    m0 = 1.0 if X is None else float(np.mean(np.square(fp.inputs)))
    theory = mean_field(
        fan_ins,
        widths,
        vs,
        fp.activation,
        input_second_moment=m0,
        output_grad_variance=1.0,
        n_samples=fp.inputs.shape[0],
        n_quad=n_quad,
        sigma_b2=float(sigma_b2),
    )
    with np.errstate(over="ignore", invalid="ignore"):
        data = {
            "layer": np.arange(1, len(widths) + 1),
            "width": widths,
            "act_mean": [float(np.mean(H)) for H in fp.activations],
            "act_std": [float(np.std(H)) for H in fp.activations],
            "preact_std": [float(np.std(Z)) for Z in fp.preactivations],
            "grad_std": [float(np.std(d)) for d in deltas],
            "weight_grad_std": [float(np.std(g)) for g in wgrads],
            "theory_act_mean": theory["act_mean"],
            "theory_act_std": theory["act_std"],
            "theory_preact_std": theory["preact_std"],
            "theory_grad_std": theory["grad_std"],
            "theory_weight_grad_std": theory["weight_grad_std"],
        }
    return pd.DataFrame(data, columns=COLUMNS)


def plot_propagation(
    stats: Any,
    *,
    title: str | None = None,
    figsize: tuple[float, float] = (15, 3),
    logy: bool | str = "auto",
):
    """Plot a :func:`propagation_stats` table: measured points, theory dashed.

    Three panels (layer mean, activation std, gradient std ``dL/dZ``), drawn by
    :func:`weight_init.plotting.plot_layer_stats`. Columns that are missing (e.g. a
    table without ``theory_*``) are left out.

    Parameters
    ----------
    stats : pandas.DataFrame or mapping of column name to sequence
        The result of :func:`propagation_stats`.
    title : str, optional
    figsize : (float, float)
    logy : bool or 'auto', default 'auto'
        Log y-axis for the two std panels; ``'auto'`` when the positive values span
        more than two decades.

    Returns
    -------
    PlotResult
        ``.figure`` is the matplotlib ``Figure`` (its attributes, e.g. ``savefig`` and
        ``axes``, are also reached through the result); shown once in a notebook.
    """
    from weight_init.plotting import plot_layer_stats

    if not isinstance(stats, Mapping) and not hasattr(stats, "columns"):
        raise ValueError(
            f"stats must be the DataFrame of propagation_stats (or a mapping of columns), "
            f"got {type(stats).__name__}"
        )
    keys = set(stats.columns) if hasattr(stats, "columns") else set(stats)
    for needed in ("act_mean", "act_std"):
        if needed not in keys:
            raise ValueError(f"stats has no column {needed!r}; expected propagation_stats' columns")

    def col(name: str):
        return np.asarray(stats[name], dtype=float) if name in keys else None

    layers = np.asarray(stats["layer"]) if "layer" in keys else None
    return plot_layer_stats(
        col("act_mean"),
        col("act_std"),
        layers=layers,
        title=title,
        figsize=figsize,
        theory_means=col("theory_act_mean"),
        theory_stds=col("theory_act_std"),
        grad_stds=col("grad_std"),
        theory_grad_stds=col("theory_grad_std"),
        logy=logy,
    )
