"""The distribution laws behind every initializer (numpy only).

Each class is one law (the structured ones, orthogonal, identity, dirac,
delta-orthogonal and sparse, are in :mod:`weight_init.initializers.structured`);
:mod:`weight_init.initializers` names their presets and
:mod:`weight_init.initializers.names` maps Keras', PyTorch's and the notebook's names onto them.

Every law reports its moments for any shape: :meth:`Initializer.second_moment` is
``E[mean(W^2)]`` over the entries and :meth:`Initializer.variance` is
``E[mean(W^2)] - E[mean(W)]^2`` (the variance of an entry at a random position), so for
every initializer ``variance(shape)`` is what ``np.var(init.sample(shape))`` estimates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from weight_init.initializers.base import Initializer, check_number, compute_fans

#: Standard deviation of a standard normal truncated to [-2, 2]:
#: ``sqrt(1 - 4 * phi(2) / (Phi(2) - Phi(-2)))``. Keras' ``VarianceScaling`` divides by
#: it so that its truncated normal has the standard deviation it promises.
TRUNCATED_STD_CORRECTION = 0.87962566103423978

MODES = ("fan_in", "fan_out", "fan_avg")
#: Keras 3's distributions of ``VarianceScaling``; ``'normal'`` is Keras' old spelling
#: of ``'truncated_normal'`` (Keras converts it too).
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


class VarianceScaling(Initializer):
    """Draw weights with ``Var(W_ij) = scale / n`` (Keras 3's ``VarianceScaling``).

    Parameters
    ----------
    scale : float
        Positive scaling factor (``2.0`` for He, ``1.0`` for Glorot and LeCun; PyTorch's
        ``kaiming_*`` and ``xavier_*`` are ``gain^2``).
    mode : {'fan_in', 'fan_out', 'fan_avg'}
        ``n`` is ``fan_in``, ``fan_out`` or ``(fan_in + fan_out) / 2``; at least 1.
    distribution : {'truncated_normal', 'untruncated_normal', 'uniform'}
        ``truncated_normal`` (``'normal'`` means the same, as in Keras):
        ``W = std / 0.8796... * Z`` with ``Z`` a standard normal truncated (re-drawn)
        to ``[-2, 2]``, so that ``Var(W) = scale / n`` exactly.
        ``untruncated_normal``: ``W ~ N(0, std^2)``, ``std = sqrt(scale / n)``.
        ``uniform``: ``W ~ U(-limit, limit)`` with ``limit = sqrt(3 * scale / n)``.
    name : str, optional
        Name shown in plots and tables.
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        name: str | None = None,
    ) -> None:
        self.scale = check_number(scale, "scale", 0.0, strict=True)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        dist = "truncated_normal" if dist == "normal" else dist
        if dist not in DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {', '.join(DISTRIBUTIONS)} "
                f"('normal' is Keras' name for truncated_normal); got {distribution!r}"
            )
        self.mode = mode
        self.distribution = dist
        self.name = name or f"variance_scaling({scale:g}, {mode}, {dist})"

    def _n(self, fan_in: int, fan_out: int) -> float:
        if self.mode == "fan_in":
            n = float(fan_in)
        elif self.mode == "fan_out":
            n = float(fan_out)
        else:
            n = (fan_in + fan_out) / 2.0
        return max(1.0, n)

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        return 0.0, self.scale / self._n(*compute_fans(shape))

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        std = math.sqrt(self._moments(shape)[1])
        if self.distribution == "untruncated_normal":
            return std * gen.standard_normal(size=shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0) * std
            return gen.uniform(-limit, limit, size=shape)
        return (std / TRUNCATED_STD_CORRECTION) * truncated_standard_normal(gen, shape)


def truncated_standard_normal(gen: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal samples re-drawn until they fall in [-2, 2] (Keras' law)."""
    z = np.asarray(gen.standard_normal(size=shape), dtype=float)
    flat = z.reshape(-1)
    bad = np.flatnonzero(np.abs(flat) > 2.0)
    while bad.size:
        flat[bad] = gen.standard_normal(size=bad.size)
        bad = bad[np.abs(flat[bad]) > 2.0]
    return z


class Constant(Initializer):
    """``W_ij = value`` for every entry (``zeros``: 0, ``ones``: 1)."""

    def __init__(self, value: float = 0.0, name: str | None = None) -> None:
        self.value = check_number(value, "value")
        self.name = name or f"constant({value:g})"

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        return np.full(shape, self.value)

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        return self.value, self.value**2


class RandomNormal(Initializer):
    """``W_ij ~ N(mean, std^2)``, independent of the fans.

    ``small_random`` is ``N(0, 0.01^2)`` (``0.01 * np.random.randn``), ``big_random``
    is ``N(0, 1)`` (``np.random.randn``); Keras' ``RandomNormal`` defaults to std 0.05,
    PyTorch's ``normal_`` to std 1.
    """

    def __init__(self, std: float = 0.05, mean: float = 0.0, name: str | None = None) -> None:
        self.std = check_number(std, "std", 0.0)
        self.mean = check_number(mean, "mean")
        self.name = name or f"normal({std:g})"

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        z = gen.standard_normal(size=shape)
        if self.mean == 0.0:
            return self.std * z
        return self.mean + self.std * z

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        return self.mean, self.std**2 + self.mean**2


class RandomUniform(Initializer):
    """``W_ij ~ U(minval, maxval)``, independent of the fans.

    ``Var = (maxval - minval)^2 / 12``. Keras' default is ``U(-0.05, 0.05)``, PyTorch's
    ``uniform_`` ``U(0, 1)``.
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, name: str | None = None) -> None:
        self.minval = check_number(minval, "minval")
        self.maxval = check_number(maxval, "maxval")
        if self.maxval < self.minval:
            raise ValueError(f"the upper bound {maxval!r} is below the lower bound {minval!r}")
        self.name = name or f"uniform({minval:g}, {maxval:g})"

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        return gen.uniform(self.minval, self.maxval, size=shape)

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        m = (self.minval + self.maxval) / 2.0
        return m, (self.maxval - self.minval) ** 2 / 12.0 + m**2


def _phi(x: float) -> float:
    return 0.0 if math.isinf(x) else math.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _ndtri(p: np.ndarray) -> np.ndarray:
    """Inverse of the standard normal CDF (Acklam's rational approximation, rel. error
    below 1.2e-9), for ``0 < p < 1``."""
    a = (
        -3.969683028665376e01,
        2.209460984245205e02,
        -2.759285104469687e02,
        1.383577518672690e02,
        -3.066479806614716e01,
        2.506628277459239e00,
    )
    b = (
        -5.447609879822406e01,
        1.615858368580409e02,
        -1.556989798598866e02,
        6.680131188771972e01,
        -1.328068155288572e01,
    )
    c = (
        -7.784894002430293e-03,
        -3.223964580411365e-01,
        -2.400758277161838e00,
        -2.549732539343734e00,
        4.374664141464968e00,
        2.938163982698783e00,
    )
    d = (7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e00, 3.754408661907416e00)
    p = np.asarray(p, dtype=float)
    x = np.empty_like(p)
    low, high = p < 0.02425, p > 1 - 0.02425
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    x[mid] = (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    )
    for sel, sign, prob in ((low, 1.0, p[low]), (high, -1.0, 1 - p[high])):
        q = np.sqrt(-2 * np.log(prob))
        x[sel] = sign * (
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        )
    return x


class TruncatedNormal(Initializer):
    """``N(mean, std^2)`` restricted to ``[a, b]`` (absolute bounds), not re-scaled.

    Keras' ``TruncatedNormal(mean=0, stddev=0.05)`` is the case ``a, b = mean -+ 2 std``
    (the default when ``a``/``b`` are ``None``); PyTorch's
    ``trunc_normal_(mean=0, std=1, a=-2, b=2)`` gives the bounds. With
    ``alpha = (a - mean) / std``, ``beta = (b - mean) / std``,
    ``Z = Phi(beta) - Phi(alpha)``:

    .. math::

        E[W] = \\mu + \\sigma \\frac{\\phi(\\alpha) - \\phi(\\beta)}{Z}, \\quad
        \\operatorname{Var}(W) = \\sigma^2 \\Bigl[1 + \\frac{\\alpha\\phi(\\alpha)
        - \\beta\\phi(\\beta)}{Z} - \\Bigl(\\frac{\\phi(\\alpha) - \\phi(\\beta)}{Z}\\Bigr)^2\\Bigr]

    Drawn by inverting the CDF (as PyTorch does), on the side of the mean where the
    tail probabilities are small, so far tails stay accurate.
    """

    def __init__(
        self,
        mean: float = 0.0,
        std: float = 0.05,
        a: float | None = None,
        b: float | None = None,
        name: str | None = None,
    ) -> None:
        self.mean = check_number(mean, "mean")
        self.std = check_number(std, "std", 0.0, strict=True)
        self.a = self.mean - 2 * self.std if a is None else check_number(a, "a", allow_inf=True)
        self.b = self.mean + 2 * self.std if b is None else check_number(b, "b", allow_inf=True)
        if not self.a < self.b:
            raise ValueError(f"the bounds must have a < b, got a={self.a:g}, b={self.b:g}")
        alpha, beta = self._standard_bounds()
        if self._mass(alpha, beta) <= 1e-300:
            raise ValueError(
                f"N({self.mean:g}, {self.std:g}^2) has no probability in "
                f"[{self.a:g}, {self.b:g}]; bring the bounds nearer the mean"
            )
        self.name = name or f"truncated_normal({self.mean:g}, {self.std:g}, {self.a:g}, {self.b:g})"

    def _standard_bounds(self) -> tuple[float, float]:
        return (self.a - self.mean) / self.std, (self.b - self.mean) / self.std

    @staticmethod
    def _mass(alpha: float, beta: float) -> float:
        if alpha > 0:  # both in the upper tail: use the accurate lower one
            return _cdf(-alpha) - _cdf(-beta)
        return _cdf(beta) - _cdf(alpha)

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        alpha, beta = self._standard_bounds()
        z = self._mass(alpha, beta)
        pa, pb = _phi(alpha), _phi(beta)
        apa = 0.0 if math.isinf(alpha) else alpha * pa
        bpb = 0.0 if math.isinf(beta) else beta * pb
        shift = (pa - pb) / z
        mean = self.mean + self.std * shift
        var = self.std**2 * (1.0 + (apa - bpb) / z - shift**2)
        return mean, var + mean**2

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        alpha, beta = self._standard_bounds()
        flip = alpha > 0  # sample the mirror image [-beta, -alpha], in the lower tail
        lo, hi = (-beta, -alpha) if flip else (alpha, beta)
        u = gen.uniform(_cdf(lo), _cdf(hi), size=shape)
        u = np.clip(u, np.nextafter(0.0, 1.0), np.nextafter(1.0, 0.0))
        x = np.clip(_ndtri(u), lo, hi)
        return self.mean + self.std * (-x if flip else x)
