"""Vectorized Gaussian expectations over many variances at once (numpy only).

The order-and-chaos quantities (:mod:`weight_init.theory.chaos`) need one-dimensional
expectations ``E[g(sqrt(q) z)]`` and two-dimensional ones
``E[g(u_1) h(u_2)]`` for a pair ``(u_1, u_2)`` of centred Gaussians of variance ``q`` and
correlation ``c``, for whole arrays of ``q`` and ``c`` (a 200 x 200 grid of weight and bias
variances). Both use composite Gauss-Legendre rules whose panels are anchored where the
integrands are hard:

* **1-D**, in ``z``: panels ``[0, 12 * 2^-(K-1)], ..., [3, 6], [6, 12]`` and their mirror
  images, with ``K`` chosen from ``s = sqrt(q)`` so that the smallest panel is at most one
  unit wide on the pre-activation axis ``x = s z`` (and at least 5) (the kink of ReLU at 0 falls on a panel
  edge; the peak of ``tanh'(x)``, one unit wide, is resolved however large ``q`` is). Points
  are grouped by ``K`` so each group shares its nodes. This is the rule of
  :func:`weight_init.theory.gaussian_expectation`, written in ``z`` rather than ``x``.
* **2-D**: ``u_1 = s z_1``, ``u_2 = s (c z_1 + sqrt(1 - c^2) t)`` with ``z_1, t`` independent
  standard normal. The outer ``z_1`` rule is the 1-D one (with enough panels to resolve
  ``sqrt(1 - c^2)`` too, the width over which the inner integral smooths a kink); for each
  outer node the inner ``t`` rule has the panel edges ``0, +-0.75, +-1.5, ..., +-12`` plus a
  split at ``t_0 = -c z_1 / sqrt(1 - c^2)``, where ``u_2 = 0`` (the kink or peak of the
  second factor), and edges ``t_0 +- 12 * 2^-j`` refined down to one unit of ``u_2``. Inner
  weights are renormalized to sum to one. For products ``f(u_1) g(u_2)``
  (:func:`expect_2d_products`, the correlation map) the inner sums of ``g`` are taken
  first, so only ``g`` is evaluated on the full ``(N_1, N_2)`` grid.

Accuracy (measured, n = 10 nodes a panel): against 30 nodes a panel the 2-D rule is within
6e-13 relative for tanh, ReLU and ELU at ``q`` from 0.01 to 300 and ``c`` up to 0.999, and it
reproduces the closed-form ReLU arc-cosine kernel to 3.2e-13; the fixed points and ``chi_1``
agree with :func:`weight_init.theory.gaussian_moments` (the panel rule on the x axis) to 1e-11
(``tests/test_chaos.py``). With 6 nodes a panel (the first stage of the correlation's Newton
iteration) the 2-D rule is within 2.2e-7.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from weight_init.activations import Activation

__all__ = [
    "TAIL",
    "FD_STEP",
    "step",
    "derivative",
    "n_panels",
    "expect_1d",
    "expect_2d",
    "expect_2d_products",
]

#: Integration range in standard units: ``exp(-12^2 / 2) ~ 5e-32``.
TAIL = 12.0
#: Relative finite-difference step for a callable's derivative: ``eps = FD_STEP * sqrt(q)``.
FD_STEP = 1e-5
#: Nodes per panel of the vectorized rules.
NODES = 10
#: At least this many panels a side, ``[0, 0.75], [0.75, 1.5], ..., [6, 12]``, for the Gaussian.
MIN_PANELS = 5
#: At most this many panels a side (resolves ``x`` to one unit up to ``q ~ 2e21``).
MAX_PANELS = 40
#: A stand-in for ``q = inf`` (an unbounded activation whose length diverges): its limit.
Q_INF = 1e300
#: A stand-in for ``q = 0``: quantities at the fixed point ``q* = 0`` are the limits ``q -> 0+``.
Q_TINY = 1e-200


def step(scale: np.ndarray | float) -> np.ndarray:
    """The finite-difference step ``FD_STEP * scale`` (``FD_STEP`` where ``scale`` is 0)."""
    eps = FD_STEP * np.asarray(scale, dtype=float)
    return np.where(eps > 0, eps, FD_STEP)


def derivative(act: Activation, x: np.ndarray, scale: np.ndarray | float) -> np.ndarray:
    """``f'(x)``: exact for a built-in, else a central difference of step ``FD_STEP * scale``.

    ``scale`` is the standard deviation ``sqrt(q)`` of the pre-activation (broadcast against
    ``x``): a fixed step would be far too coarse once ``sqrt(q)`` is below ~1e-4 (for ReLU at
    ``q = 1e-10`` a fixed ``1e-5`` step gives ``E[f'^2] = 0.378`` instead of 0.5).
    """
    return act.derivative(x, step(scale))


@lru_cache(maxsize=64)
def _half_rule(k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in ``(0, 1)`` and weights (sum 1) on panels ``[0, 2^-(k-1)], ..., [1/2, 1]``."""
    edges = np.concatenate([[0.0], 2.0 ** -np.arange(k - 1, -1, -1, dtype=float)])
    t, w = np.polynomial.legendre.leggauss(n)
    a, b = edges[:-1, None], edges[1:, None]
    x = (a + 0.5 * (b - a) * (t + 1.0)).ravel()
    wt = (0.5 * (b - a) * w).ravel()
    return x, wt


@lru_cache(maxsize=64)
def _z_rule(k: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric nodes ``z`` and weights (sum 1) for ``E[g(z)]``, ``z ~ N(0, 1)``."""
    x, w = _half_rule(k, n)
    z = TAIL * x
    wz = TAIL * w * np.exp(-0.5 * z * z)
    z = np.concatenate([-z[::-1], z])
    wz = np.concatenate([wz[::-1], wz])
    return z, wz / wz.sum()


def n_panels(s: np.ndarray) -> np.ndarray:
    """Panels a side so that the smallest, ``12 s 2^-(K-1)`` on the x axis, is <= 1 (>= 5)."""
    s = np.asarray(s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.ceil(np.log2(np.maximum(TAIL * s, 1.0))) + 1.0
    return np.clip(np.nan_to_num(k, nan=1.0, posinf=MAX_PANELS), MIN_PANELS, MAX_PANELS).astype(int)


def _groups(q: np.ndarray, c: np.ndarray | None = None):
    """Flat indices grouped by the panel count their standard deviation needs.

    With correlations ``c``, also enough panels to resolve ``sqrt(1 - c^2)`` in ``z_1``: the
    inner integral smooths the second factor's kink over that width.
    """
    k = n_panels(np.sqrt(q))
    if c is not None:
        with np.errstate(divide="ignore"):
            k = np.maximum(k, n_panels(1.0 / np.sqrt(np.maximum(1.0 - c * c, 0.0))))
    for kk in np.unique(k):
        yield int(kk), np.flatnonzero(k == kk)


def effective_q(q: np.ndarray) -> np.ndarray:
    """``q`` with 0 replaced by :data:`Q_TINY` and ``inf`` by :data:`Q_INF` (the limits)."""
    q = np.asarray(q, dtype=float)
    return np.where(q == 0, Q_TINY, np.where(np.isposinf(q), Q_INF, q))


def expect_1d(
    terms: Callable[[np.ndarray, np.ndarray], Sequence[np.ndarray]],
    q: np.ndarray,
    *,
    n: int = NODES,
    chunk: int = 4096,
) -> list[np.ndarray]:
    """``E[term(x)]`` for ``x ~ N(0, q)``, every term returned by ``terms(x, s)``.

    Parameters
    ----------
    terms : callable
        ``terms(x, s)`` with ``x`` of shape ``(P, N)`` (pre-activations) and ``s`` of shape
        ``(P, 1)`` (their standard deviations) returns a sequence of arrays of that shape.
    q : ndarray
        Variances (any shape; flattened, >= 0 and finite; see :func:`effective_q`).

    Returns
    -------
    list of ndarray
        One array of ``q``'s shape per term.
    """
    q = np.asarray(q, dtype=float)
    flat = q.ravel()
    out: list[np.ndarray] | None = None
    for k, idx in _groups(flat):
        z, w = _z_rule(k, n)
        for start in range(0, idx.size, chunk):
            sel = idx[start : start + chunk]
            s = np.sqrt(flat[sel])[:, None]
            with np.errstate(over="ignore", invalid="ignore", under="ignore"):
                vals = [np.asarray(v, dtype=float) @ w for v in terms(s * z, s)]
            if out is None:
                out = [np.full(flat.shape, np.nan) for _ in vals]
            for o, v in zip(out, vals):
                o[sel] = v
    if out is None:  # empty input
        return [np.full(flat.shape, np.nan)]
    return [o.reshape(q.shape) for o in out]


def _rule_2d(qf: np.ndarray, cf: np.ndarray, n: int, chunk: int):
    """For chunks of flat ``(q, c)``: ``sel, u1, u2, s, wt, w1`` of the 2-D rule.

    ``u1`` of shape ``(P, N1, 1)`` on the outer nodes (weights ``w1``), ``u2`` of shape
    ``(P, N1, N2)`` on the inner nodes of each outer node (weights ``wt``, rows summing to 1).
    """
    g_edges = TAIL * np.array([-1, -0.5, -0.25, -0.125, -0.0625, 0, 0.0625, 0.125, 0.25, 0.5, 1.0])
    leg_t, leg_w = np.polynomial.legendre.leggauss(n)
    for k, idx in _groups(qf, cf):
        z1, w1 = _z_rule(k, n)
        for start in range(0, idx.size, chunk):
            sel = idx[start : start + chunk]
            s = np.sqrt(qf[sel])[:, None, None]
            cc = cf[sel][:, None, None]
            rho = np.sqrt(np.maximum(1.0 - cc * cc, 0.0))
            zz = z1[None, :, None]
            with np.errstate(divide="ignore", invalid="ignore"):
                t0 = np.where(rho > 0, -cc * zz / np.where(rho > 0, rho, 1.0), 0.0)
            p = np.clip(t0, -TAIL, TAIL)  # (P, N1, 1)
            # Inner edges: the fixed Gaussian panels, the split at u2 = 0 and panels refined
            # geometrically towards it down to one unit of u2 (1 / (s rho) in t).
            j = int(np.clip(np.ceil(np.log2(max(2 * TAIL * float(np.max(s * rho)), 1.0))) + 1, 1, MAX_PANELS))
            delta = TAIL * 2.0 ** -np.arange(j, dtype=float)
            kink = np.concatenate([p - delta, p, p + delta], axis=-1)
            edges = np.concatenate([np.broadcast_to(g_edges, p.shape[:2] + g_edges.shape), kink], axis=-1)
            edges = np.sort(np.clip(edges, -TAIL, TAIL), axis=-1)
            a, b = edges[..., :-1, None], edges[..., 1:, None]  # (P, N1, E-1, 1)
            half = 0.5 * (b - a)
            t = (a + half * (leg_t + 1.0)).reshape(p.shape[:2] + (-1,))
            wt = (half * leg_w).reshape(t.shape) * np.exp(-0.5 * t * t)
            wt /= wt.sum(axis=-1, keepdims=True)
            u2 = t
            u2 *= rho
            u2 += cc * zz
            u2 *= s
            yield sel, s * zz, u2, s, wt, w1


def _collect(q: np.ndarray, c: np.ndarray, n: int, chunk: int, evaluate) -> list[np.ndarray]:
    """Run ``evaluate(u1, u2, s, wt, w1) -> list of (P,)`` over the chunks of the 2-D rule."""
    q, c = np.broadcast_arrays(np.asarray(q, dtype=float), np.asarray(c, dtype=float))
    shape = q.shape
    qf, cf = q.ravel(), np.clip(c.ravel(), -1.0, 1.0)
    out: list[np.ndarray] | None = None
    for sel, u1, u2, s, wt, w1 in _rule_2d(qf, cf, n, chunk):
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            vals = evaluate(u1, u2, s, wt, w1)
        if out is None:
            out = [np.full(qf.shape, np.nan) for _ in vals]
        for o, v in zip(out, vals):
            o[sel] = v
    if out is None:
        return [np.full(qf.shape, np.nan)]
    return [o.reshape(shape) for o in out]


def expect_2d(
    terms: Callable[[np.ndarray, np.ndarray, np.ndarray], Sequence[np.ndarray]],
    q: np.ndarray,
    c: np.ndarray,
    *,
    n: int = NODES,
    chunk: int = 128,
) -> list[np.ndarray]:
    """``E[term(u1, u2)]`` for centred Gaussians of variance ``q`` and correlation ``c``.

    Parameters
    ----------
    terms : callable
        ``terms(u1, u2, s)`` with ``u1`` of shape ``(P, N1, 1)``, ``u2`` of shape
        ``(P, N1, N2)`` and ``s`` of shape ``(P, 1, 1)`` returns a sequence of arrays
        broadcastable to ``(P, N1, N2)``.
    q, c : ndarray
        Variances (finite, >= 0) and correlations in ``[-1, 1]``, broadcast together.

    Returns
    -------
    list of ndarray
        One array of the broadcast shape per term.
    """

    def evaluate(u1, u2, s, wt, w1):
        return [(np.asarray(v, dtype=float) * wt).sum(axis=-1) @ w1 for v in terms(u1, u2, s)]

    return _collect(q, c, n, chunk, evaluate)


def expect_2d_products(
    factors: Callable[[np.ndarray, np.ndarray, np.ndarray], Sequence[tuple[np.ndarray, np.ndarray]]],
    q: np.ndarray,
    c: np.ndarray,
    *,
    n: int = NODES,
    chunk: int = 16,
) -> list[np.ndarray]:
    """``E[f(u1) g(u2)]`` for products of a function of ``u1`` and one of ``u2``.

    The rule of :func:`expect_2d`, summed inner first: ``sum_i w1_i f(u1_i) sum_j wt_ij
    g(u2_ij)``, without forming the products on the ``(P, N1, N2)`` grid (the same sum in
    another order: equal to rounding).

    Parameters
    ----------
    factors : callable
        ``factors(u1, u2, s)`` (shapes as for :func:`expect_2d`) returns a sequence of pairs
        ``(f, g)``: ``f`` of shape ``(P, N1, 1)``, ``g`` of shape ``(P, N1, N2)``.
    q, c : ndarray
        Variances (finite, >= 0) and correlations in ``[-1, 1]``, broadcast together.

    Returns
    -------
    list of ndarray
        One array of the broadcast shape per pair.
    """

    def evaluate(u1, u2, s, wt, w1):
        out = []
        for f, g in factors(u1, u2, s):
            inner = np.einsum("pij,pij->pi", np.broadcast_to(np.asarray(g, dtype=float), wt.shape), wt)
            f = np.broadcast_to(np.asarray(f, dtype=float), u1.shape)[..., 0]
            out.append((f * inner) @ w1)
        return out

    return _collect(q, c, n, chunk, evaluate)


def check_finite_positive(name: str, value: float) -> float:
    """A finite number > 0, else ``ValueError`` naming ``name``."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not (math.isfinite(out) and out > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return out
