"""The per-layer statistics, defined once: numpy functions of a layer's arrays.

Three users compute them from these functions and nothing else:
:func:`weight_init.keras_tools.model_stats.layer_stats` (one look at a model on one
batch), :class:`weight_init.keras_tools.callback.LayerStatsCallback` (every ``K`` steps
of the user's ``fit``) and the loss study's recorder
(:mod:`weight_init.studies.loss_progression.recorder`, the fused CNN while it trains).

For one layer with output ``H = f(Z)`` (``Z`` before its own activation ``f``; ``Z = H``
for a linear layer), kernel ``W`` and kernel gradient ``G = dL/dW``, every statistic is
over **every element** of the tensor (examples, positions, channels or units), a
population statistic (``ddof = 0``), accumulated in float64 from the arrays as they are
(float32 values are not rounded first):

``act_mean``, ``act_std``
    ``mean(H)``, ``std(H)``.
``preact_std``
    ``std(Z)``.
``dead_fraction``
    for a ReLU-like ``f`` (:data:`RELU_LIKE`): the share of units (Dense) or channels
    (Conv) ``c`` with ``Z[..., c] <= 0`` at every example and position of the batch, i.e.
    whose ReLU output is exactly 0 throughout; NaN for every other ``f``.
``saturated_fraction``
    for a bounded ``f`` (:data:`SATURATING`: tanh, sigmoid, hard_tanh, hard_sigmoid,
    sparse_sigmoid, softsign): the share of outputs beyond 99 % of the range,
    ``|H - centre| > reach`` (tanh: ``|H| > 0.99``; sigmoid: ``|H - 0.5| > 0.495``); NaN
    for every other ``f``.
``weight_std``
    ``std(W)`` (biases excluded).
``grad_std``
    ``std(G)``.
``update_ratio``
    ``||W_after - W_before|| / ||W_before||`` (Frobenius norms) of one training step's
    update, the quantity of Karpathy's "about 1e-3" rule of thumb; NaN when
    ``W_before = 0``.

The activation histogram of a record counts ``H`` on fixed bin edges (:func:`histogram`):
values beyond the edges are counted in the first or last bin, so every record's counts
sum to the number of elements. The callback's default edges are the same for every
record, on the log scale of ``|H|`` (:func:`log_histogram_edges`); the loss study's are
equal bins from 0 to the largest activation of the run.

Only numpy is imported.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "STAT_COLUMNS",
    "RELU_LIKE",
    "SATURATING",
    "HIST_BINS",
    "moments",
    "std",
    "dead_fraction",
    "saturated_fraction",
    "update_ratio",
    "NONNEGATIVE",
    "LOG_LOW",
    "LOG_HIGH",
    "log_histogram_edges",
    "log_histogram",
    "histogram_edges",
    "histogram",
    "layer_statistics",
]

#: The statistics of one layer at one record, in the order every table shows them.
STAT_COLUMNS = (
    "act_mean",
    "act_std",
    "preact_std",
    "dead_fraction",
    "saturated_fraction",
    "weight_std",
    "grad_std",
    "update_ratio",
)
#: Activations whose units can die: the dead fraction is reported for them.
RELU_LIKE = ("relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu")
#: Bounded activations: ``name: (centre, reach)``, the saturated fraction is the share of
#: outputs with ``|H - centre| > reach`` (99 % of the half-range).
SATURATING = {
    "tanh": (0.0, 0.99),
    "sigmoid": (0.5, 0.495),
    "hard_tanh": (0.0, 0.99),
    "hard_sigmoid": (0.5, 0.495),
    "sparse_sigmoid": (0.5, 0.495),
    "softsign": (0.0, 0.99),
}
#: Bins of the activation histograms.
HIST_BINS = 40


def moments(values: Any) -> tuple[float, float]:
    """``(mean, std)`` over every element, float64 accumulation, ``ddof = 0``.

    Two passes, ``mean`` and then ``mean((x - mean)^2)``, in the array's own float type
    with float64 sums (no float64 copy of a float32 array). NaN for an empty array; no
    warning for overflowing values (the result is inf or NaN).
    """
    a = np.asarray(values)
    if a.size == 0:
        return math.nan, math.nan
    with np.errstate(over="ignore", invalid="ignore"):
        mean = float(np.mean(a, dtype=np.float64))
        if not np.issubdtype(a.dtype, np.floating):
            a = a.astype(np.float64)
        centred = a - a.dtype.type(mean)
        return mean, math.sqrt(float(np.mean(np.square(centred, out=centred), dtype=np.float64)))


def std(values: Any) -> float:
    """``std`` over every element (float64 accumulation, ``ddof = 0``); NaN when empty."""
    return moments(values)[1]


def dead_fraction(preact: Any, activation: str, channel_axis: int = -1) -> float:
    """Share of units/channels whose pre-activation is ``<= 0`` everywhere in the batch.

    Parameters
    ----------
    preact : array
        ``Z``, shape ``(batch, ..., channels)`` (or channels first, see ``channel_axis``).
    activation : str
        The layer's activation name; NaN unless it is in :data:`RELU_LIKE`.
    channel_axis : int
        The axis of the units or channels.
    """
    if activation not in RELU_LIKE:
        return math.nan
    z = np.asarray(preact)
    if z.size == 0:
        return math.nan
    axis = channel_axis % z.ndim
    others = tuple(a for a in range(z.ndim) if a != axis)
    with np.errstate(invalid="ignore"):
        return float(np.mean(np.max(z, axis=others) <= 0))


def saturated_fraction(act: Any, activation: str) -> float:
    """Share of outputs ``H`` with ``|H - centre| > reach`` (:data:`SATURATING`); NaN else."""
    if activation not in SATURATING:
        return math.nan
    h = np.asarray(act)
    if h.size == 0:
        return math.nan
    centre, reach = SATURATING[activation]
    return float(np.mean(np.abs(h - centre) > reach))


def _norm(a: np.ndarray) -> float:
    # Not numpy.linalg.norm: its BLAS dot spins threads against a training on the same cores.
    return math.sqrt(float(np.sum(np.square(a))))


def update_ratio(before: Any, after: Any) -> float:
    """``||after - before|| / ||before||`` (Frobenius, float64); NaN when ``before = 0``."""
    w0 = np.asarray(before, dtype=np.float64)
    norm = _norm(w0)
    if not norm > 0:
        return math.nan
    return _norm(np.asarray(after, dtype=np.float64) - w0) / norm


#: Activations whose output is never negative: their log-magnitude bins have no negative side.
NONNEGATIVE = ("relu", "relu6", "sigmoid", "hard_sigmoid", "sparse_sigmoid", "softplus", "exp")
#: The default magnitudes of the log histogram's bins: from ``LOG_LOW`` to ``LOG_HIGH``.
LOG_LOW, LOG_HIGH = 1e-8, 1e3


def log_histogram_edges(
    activation: str = "linear", *, low: float = LOG_LOW, high: float = LOG_HIGH, bins: int = HIST_BINS
) -> np.ndarray:
    """Fixed bins on the magnitude's log scale, the same for every layer and record.

    For an activation in :data:`NONNEGATIVE`: ``[0, low)`` (zeros, e.g. dead ReLU
    outputs) and ``bins - 1`` bins of equal width in ``log10|H|`` from ``low`` to
    ``high``. Otherwise symmetric: ``(-low, low)`` in the middle and ``(bins - 1) // 2``
    log bins on either side. Vanishing and exploding activations then move across the
    bins by orders of magnitude instead of piling up in one end bin.
    """
    if not 0 < low < high or not math.isfinite(high):
        raise ValueError(f"log histogram bounds need 0 < low < high < inf, got {low}, {high}")
    if activation in NONNEGATIVE:
        return np.concatenate(
            [[0.0], np.logspace(math.log10(low), math.log10(high), max(int(bins) - 1, 1) + 1)]
        )
    side = np.logspace(math.log10(low), math.log10(high), max((int(bins) - 1) // 2, 1) + 1)
    return np.concatenate([-side[::-1], side])


def histogram_edges(low: float, high: float, bins: int = HIST_BINS) -> np.ndarray:
    """``bins + 1`` equal-width edges from ``low`` to ``high`` (to ``low + 1`` when they are equal)."""
    low, high = float(low), float(high)
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"histogram range must be finite, got ({low}, {high})")
    if high <= low:
        high = low + 1.0
    return np.linspace(low, high, int(bins) + 1)


def histogram(values: Any, edges: Any) -> np.ndarray:
    """Counts of ``values`` on ``edges`` (bins ``[e_i, e_i+1)``, the last one closed, as
    ``numpy.histogram``); values beyond the edges in the first/last bin, NaNs dropped.

    Counted by a binary search of every value among the edges (no sort of the values).
    """
    e = np.asarray(edges, dtype=np.float64)
    v = np.asarray(values).ravel()
    v = v[~np.isnan(v)] if np.issubdtype(v.dtype, np.floating) else v
    index = np.clip(np.searchsorted(e, v, side="right") - 1, 0, len(e) - 2)
    return np.bincount(index, minlength=len(e) - 1)


def log_histogram(
    values: Any,
    activation: str = "linear",
    *,
    low: float = LOG_LOW,
    high: float = LOG_HIGH,
    bins: int = HIST_BINS,
) -> np.ndarray:
    """``histogram(values, log_histogram_edges(activation, low=low, high=high, bins=bins))``,
    counted from ``log10|H|`` arithmetically, several times faster than a search among the
    edges (a value within float rounding of an edge may land in the neighbouring bin:
    measured 4 to 6 of 4.7 million normal values); values beyond the edges in the end
    bins, NaNs dropped.
    """
    v = np.asarray(values).ravel()
    if not np.issubdtype(v.dtype, np.floating):
        v = v.astype(np.float64)
    v = v[~np.isnan(v)]
    lo = math.log10(low)
    nonneg = activation in NONNEGATIVE
    n = max(int(bins) - 1, 1) if nonneg else max((int(bins) - 1) // 2, 1)
    big = np.abs(v) >= v.dtype.type(low)
    vb = v[big]
    k = np.floor((np.log10(np.abs(vb)) - lo) * (n / (math.log10(high) - lo))).astype(np.int64)
    np.clip(k, 0, n - 1, out=k)
    if nonneg:  # bin 0: [0, low) and anything negative; bins 1..n: the log bins
        counts = np.bincount(k + 1, minlength=n + 1)
        counts[0] += v.size - vb.size
        return counts
    counts = np.bincount(np.where(vb > 0, n + 1 + k, n - 1 - k), minlength=2 * n + 1)
    counts[n] += v.size - vb.size
    return counts


def layer_statistics(
    act: Any,
    preact: Any,
    activation: str,
    *,
    kernel: Any = None,
    grad: Any = None,
    channel_axis: int = -1,
    before: Any = None,
    after: Any = None,
) -> dict[str, float]:
    """Every column of :data:`STAT_COLUMNS` for one layer (see the module docstring).

    ``kernel`` (``W``), ``grad`` (``G``) and the kernels ``before``/``after`` one update
    may be omitted: their columns are then NaN.
    """
    act_mean, act_std = moments(act)
    return {
        "act_mean": act_mean,
        "act_std": act_std,
        "preact_std": std(preact),
        "dead_fraction": dead_fraction(preact, activation, channel_axis),
        "saturated_fraction": saturated_fraction(act, activation),
        "weight_std": math.nan if kernel is None else std(kernel),
        "grad_std": math.nan if grad is None else std(grad),
        "update_ratio": math.nan if before is None or after is None else update_ratio(before, after),
    }
