"""The per-layer statistics' reductions in ``keras.ops``, on the backend's device, inside a
compiled probe step: only a few scalars and the histogram counts leave the device.

The definitions are those of :mod:`weight_init.keras_tools.statistics` (the numpy
reference, used by ``layer_stats`` and the loss study); this module computes the same
numbers in the same arithmetic, and the tests compare the two:

* moments as in :func:`~weight_init.keras_tools.statistics.moments`: the mean summed in
  the accumulation dtype, then ``mean((x - mean)^2)`` with ``x - mean`` and its square in
  the tensor's own dtype, summed in the accumulation dtype. That dtype is float64 on
  TensorFlow and torch, and on JAX when ``jax_enable_x64`` is on; float32 otherwise
  (JAX's default: then a mean or a variance may differ from numpy's in the 6th or 7th
  digit). Only the order of the additions differs from numpy's;
* the dead and saturated counts exactly as numpy counts them (a maximum over the batch
  and a comparison, no arithmetic);
* the log-magnitude histogram as :func:`~weight_init.keras_tools.statistics.log_histogram`
  (a value within float rounding of an edge may land in the neighbouring bin, as
  there, since the backend's ``log10`` may round differently from numpy's), the
  equal-width one as :func:`~weight_init.keras_tools.statistics.histogram` (a search
  among the edges, in the accumulation dtype). Counted with ``segment_sum`` (static
  length, so it compiles) on JAX, ``bincount`` elsewhere; NaNs are dropped.

Keras is imported inside the functions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from weight_init.keras_tools.statistics import NONNEGATIVE, RELU_LIKE, SATURATING

__all__ = ["accumulation_dtype", "mean_and_square_mean", "layer_reductions", "histogram_counts"]


def _ops() -> Any:
    from weight_init._optional import import_keras

    return import_keras().ops


def _backend() -> str:
    from weight_init._optional import import_keras

    return import_keras().backend.backend()


def accumulation_dtype() -> str:
    """``'float64'``, or ``'float32'`` on JAX without ``jax_enable_x64``."""
    if _backend() == "jax":
        import jax

        return "float64" if jax.config.jax_enable_x64 else "float32"
    return "float64"


def mean_and_square_mean(x: Any, acc: str) -> tuple[Any, Any]:
    """``(mean(x), mean((x - mean)^2))`` as numpy's :func:`~weight_init.keras_tools.statistics.moments`
    computes them (the square root is taken on the host)."""
    ops = _ops()
    n = float(math.prod(int(s) for s in x.shape))
    mean = ops.sum(ops.cast(x, acc)) / n
    centred = ops.subtract(x, ops.cast(mean, x.dtype))
    return mean, ops.sum(ops.cast(ops.square(centred), acc)) / n


def histogram_counts(
    values: Any, edges: np.ndarray, log_bins: tuple[str, float, float] | None, acc: str
) -> Any:
    """Counts of ``values`` on ``edges`` (int32, NaNs dropped, the rest clipped to the end bins).

    ``log_bins = (activation, low, high)``: the bins of
    :func:`~weight_init.keras_tools.statistics.log_histogram_edges`, counted from
    ``log10|H|`` as :func:`~weight_init.keras_tools.statistics.log_histogram` does; ``None``:
    a search among ``edges`` as :func:`~weight_init.keras_tools.statistics.histogram`.
    """
    ops = _ops()
    v = ops.reshape(values, (-1,))
    nbins = len(edges) - 1
    nan = ops.isnan(v)
    if log_bins is None:
        e = ops.convert_to_tensor(np.asarray(edges, np.float64).astype(acc))
        index = ops.clip(ops.searchsorted(e, ops.cast(v, acc), side="right") - 1, 0, nbins - 1)
    else:
        activation, low, high = log_bins
        lo = math.log10(low)
        nonneg = activation in NONNEGATIVE
        n = nbins - 1 if nonneg else (nbins - 1) // 2
        mag = ops.abs(v)
        big = ops.greater_equal(mag, low)
        k = ops.floor((ops.log10(ops.where(big, mag, 1.0)) - lo) * (n / (math.log10(high) - lo)))
        k = ops.clip(ops.cast(k, "int32"), 0, n - 1)
        if nonneg:  # bin 0: [0, low) and anything negative; bins 1..n: the log bins
            index = ops.where(big, k + 1, 0)
        else:
            index = ops.where(big, ops.where(ops.greater(v, 0), n + 1 + k, n - 1 - k), n)
    index = ops.where(nan, nbins, ops.cast(index, "int32"))  # NaNs to an extra bin, dropped
    if _backend() == "jax":  # keras.ops.bincount does not compile on JAX (its length is dynamic)
        counts = ops.segment_sum(ops.ones_like(index), index, num_segments=nbins + 1)
    else:  # 13x faster than segment_sum on TensorFlow's CPU kernels (4.7 million values)
        counts = ops.bincount(index, minlength=nbins + 1)
    return ops.cast(counts, "int32")[:nbins]


def layer_reductions(
    h: Any,
    z: Any,
    activation: str,
    channel_axis: int,
    grad: Any,
    kernel: Any,
    edges: np.ndarray,
    log_bins: tuple[str, float, float] | None,
    acc: str,
) -> dict[str, Any]:
    """One layer's reductions: ``moments`` (acc dtype: ``mean(H)``, ``mean((H - mean)^2)``,
    the same of ``Z``, of ``G`` (NaN without one) and of ``W``, the latter from ``W`` in
    float64 as the reference copies it), ``counts`` (int32: dead units,
    saturated outputs) and ``histogram`` (int32 counts of ``H`` on ``edges``).

    :func:`weight_init.keras_tools.callback` turns them into the statistics: stds are
    square roots, fractions the counts over the number of units or outputs.
    """
    ops = _ops()
    h_mean, h_sq = mean_and_square_mean(h, acc)
    z_sq = h_sq if z is h else mean_and_square_mean(z, acc)[1]
    g_sq = mean_and_square_mean(grad, acc)[1] if grad is not None else ops.cast(math.nan, acc)
    dead = ops.convert_to_tensor(0, "int32")
    if activation in RELU_LIKE:
        axis = channel_axis % len(z.shape)
        others = tuple(a for a in range(len(z.shape)) if a != axis)
        dead = ops.sum(ops.cast(ops.less_equal(ops.max(z, axis=others), 0), "int32"))
    saturated = ops.convert_to_tensor(0, "int32")
    if activation in SATURATING:
        centre, reach = SATURATING[activation]
        saturated = ops.sum(ops.cast(ops.greater(ops.abs(ops.subtract(h, centre)), reach), "int32"))
    w_sq = mean_and_square_mean(ops.cast(kernel, acc), acc)[1]
    return {
        "moments": ops.stack([h_mean, h_sq, z_sq, ops.cast(g_sq, acc), w_sq]),
        "counts": ops.stack([dead, saturated]),
        "histogram": histogram_counts(h, edges, log_bins, acc),
    }
