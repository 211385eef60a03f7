"""Order and chaos: fixed points, correlations, depth scales and the critical line (numpy only).

A deep fully connected network ``h^l = W^l phi(h^{l-1}) + b^l`` with weights
``W_ij ~ N(0, sigma_w^2 / n)`` and biases ``b_i ~ N(0, sigma_b^2)``, in the limit of wide
layers (Poole et al. 2016, "Exponential expressivity in deep neural networks through transient
chaos"; Schoenholz et al. 2017, "Deep Information Propagation"; equation numbers of their arXiv
versions). With ``Dz`` the standard normal measure:

* **Length map** (Poole eq. 3; Schoenholz eq. 3): the pre-activation variance
  ``q^l = sigma_w^2 * int Dz phi(sqrt(q^{l-1}) z)^2 + sigma_b^2``, with a stable fixed point
  ``q*`` (:func:`fixed_point`).
* **Correlation map** (Poole eqs. 4-5; Schoenholz eqs. 4-5): two inputs at the fixed length
  with correlation ``c`` have, one layer up,
  ``c' = [sigma_w^2 * int Dz1 Dz2 phi(u1) phi(u2) + sigma_b^2] / q*``, ``u1 = sqrt(q*) z1``,
  ``u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2)`` (:func:`correlation_map`). ``c = 1`` is always a
  fixed point; its slope there is
* ``chi_1 = sigma_w^2 * int Dz phi'(sqrt(q*) z)^2`` (Poole eq. 7; Schoenholz eq. 6)
  (:func:`chi1`), which also multiplies the mean squared gradient per layer going backwards.
  ``chi_1 < 1``: the ordered phase, ``c* = 1`` is stable and inputs become equal; ``chi_1 > 1``:
  the chaotic phase, a second fixed point ``c* < 1`` is stable and nearby inputs decorrelate
  (:func:`correlation_fixed_point`). ``chi_1 = 1`` is the critical line
  (:func:`critical_sigma_w2`).
* **Depth scales** (Schoenholz eqs. 7 and 9): ``|q^l - q*| ~ exp(-l / xi_q)`` with
  ``xi_q^{-1} = -ln[chi_1 + sigma_w^2 int Dz phi''(sqrt(q*) z) phi(sqrt(q*) z)]`` (the slope
  of the length map at ``q*``), and ``|c^l - c*| ~ exp(-l / xi_c)`` with
  ``xi_c^{-1} = -ln chi_c``, ``chi_c = sigma_w^2 int Dz1 Dz2 phi'(u1) phi'(u2)`` at ``c*``
  (the slope of the correlation map there; ``chi_c = chi_1`` in the ordered phase). ``xi_c``
  diverges on the critical line; Schoenholz et al. find networks trainable to a depth of about
  ``6 xi_c`` (:func:`depth_scales`).

The slope of the length map is computed without ``phi''`` through Stein's lemma,
``d/dq E[phi(x)^2] = E[x phi(x) phi'(x)] / q`` for ``x ~ N(0, q)``. At ``q* = 0`` (e.g. tanh
without bias in the ordered phase) every quantity is the limit ``q -> 0+`` (for ReLU
``E[phi'^2] -> 1/2``, not ``relu'(0)^2 = 0``); where ``q*`` is infinite (an unbounded
activation in the chaotic phase, e.g. ReLU with ``sigma_w^2 > 2`` and a bias) the limit
``q -> inf``, evaluated at ``q = 1e300``, and ``xi_q`` is ``nan``.

Every function takes an activation (a name of :func:`weight_init.activations.activation_names`
with its exact derivative, or a callable ``f(x)`` whose derivative is a central difference of
step ``1e-5 sqrt(q)``) and arrays of ``sigma_w2`` and ``sigma_b2`` that broadcast together;
scalars in give floats out. Expectations are composite Gauss-Legendre rules
(:mod:`weight_init.theory.quadrature`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from weight_init.activations import Activation, ActivationLike, get_activation
from weight_init.theory.quadrature import Q_INF, derivative, effective_q, expect_1d, expect_2d, step

__all__ = [
    "DepthScales",
    "fixed_point",
    "chi1",
    "correlation_map",
    "correlation_fixed_point",
    "depth_scales",
    "critical_sigma_w2",
]

#: The length above which the iteration declares ``q* = inf``.
Q_DIVERGED = 1e200


def _params(*arrays: Any) -> tuple[list[np.ndarray], bool]:
    """Broadcast non-negative parameters; also whether they were all scalars."""
    scalar = all(np.ndim(a) == 0 for a in arrays)
    try:
        out = [np.asarray(a, dtype=float) for a in arrays]
    except (TypeError, ValueError):
        raise ValueError(f"sigma_w2 and sigma_b2 must be numbers or arrays, got {arrays!r}") from None
    if any(np.any(~(a >= 0)) for a in out):
        raise ValueError("sigma_w2 and sigma_b2 must be non-negative (and not nan)")
    return list(np.broadcast_arrays(*out)), scalar


def _out(x: np.ndarray, scalar: bool):
    return float(x) if scalar else x


def _length_terms(act: Activation):
    """``phi^2``, ``phi^2 (z^2 - 1) / 2`` (``q`` times the slope of ``E[phi^2]`` in ``q``, by
    Stein's lemma: ``d/dq E[g(x)] = E[g(x) (x^2 - q)] / (2 q^2)``) and ``phi'^2``."""

    def terms(x, s):
        f, d = act.value_and_derivative(x, step(s))
        f2 = f * f
        return f2, 0.5 * f2 * ((x / s) ** 2 - 1.0), d * d

    return terms


def _length_only(act: Activation):
    def terms(x, s):
        f2 = act.fn(x) ** 2
        return f2, 0.5 * f2 * ((x / s) ** 2 - 1.0)

    return terms


def _fixed_point(act: Activation, sw: np.ndarray, sb: np.ndarray, q0: float, tol: float, maxiter: int):
    """Safeguarded Newton iteration for ``q = L(q)``, vectorized; returns ``q*``."""
    sw, sb = sw.ravel(), sb.ravel()
    q = np.where(sw == 0, sb, float(q0))
    active = np.flatnonzero(sw > 0)
    for _ in range(maxiter):
        if active.size == 0:
            break
        qa = q[active]
        m2, xff = expect_1d(_length_only(act), effective_q(qa))
        L = sw[active] * m2 + sb[active]
        slope = sw[active] * xff / effective_q(qa)
        h = L - qa
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = qa - h / (slope - 1.0)
        # Newton where the map crosses downwards (a stable fixed point ahead); else a map
        # step, accelerated while the length grows faster than linearly.
        use_newton = (slope < 1.0) & np.isfinite(newton) & (newton >= 0)
        grow = np.where(h > 0, np.maximum(L, 100.0 * qa), L)
        new = np.where(use_newton, newton, grow)
        new = np.where(np.isfinite(new), np.maximum(new, 0.0), np.inf)
        done = np.abs(new - qa) <= tol * np.maximum(qa, 1e-300) + 1e-300
        diverged = new > Q_DIVERGED
        q[active] = np.where(diverged, np.inf, new)
        active = active[~(done | diverged)]
    return q


def fixed_point(
    activation: ActivationLike,
    sigma_w2: Any,
    sigma_b2: Any = 0.0,
    *,
    q0: float = 1.0,
    tol: float = 1e-13,
    maxiter: int = 200,
):
    """The stable fixed point ``q*`` of the length map (Poole et al. 2016, eq. 3).

    ``q* = sigma_w^2 int Dz phi(sqrt(q*) z)^2 + sigma_b^2``: the pre-activation variance a deep
    random network settles to, reached from the starting length ``q0`` by a safeguarded Newton
    iteration (``q0`` matters only where the map has several stable fixed points or none, e.g.
    ReLU at ``sigma_w^2 = 2, sigma_b^2 = 0``, where every length is fixed and ``q0`` is
    returned). ``inf`` where the length diverges (an unbounded activation with
    ``chi_1 >= 1``); 0 for tanh without bias and ``sigma_w^2 <= 1``.

    Parameters
    ----------
    activation : name, Activation or callable
    sigma_w2, sigma_b2 : float or array_like
        Weight variance times fan-in, and bias variance; broadcast together.
    q0 : float, default 1.0
        Starting length of the iteration.
    tol : float, default 1e-13
        Relative change at which the iteration stops.
    maxiter : int, default 200

    Returns
    -------
    float or ndarray
        ``q*`` of the broadcast shape (a float for scalar parameters).
    """
    act = get_activation(activation)
    (sw, sb), scalar = _params(sigma_w2, sigma_b2)
    q = _fixed_point(act, sw, sb, q0, tol, maxiter).reshape(sw.shape)
    return _out(q, scalar)


def _chi1_at(act: Activation, sw: np.ndarray, q: np.ndarray) -> np.ndarray:
    (d2,) = expect_1d(lambda x, s: [derivative(act, x, s) ** 2], effective_q(q))
    return sw * d2


def chi1(activation: ActivationLike, sigma_w2: Any, sigma_b2: Any = 0.0):
    """``chi_1 = sigma_w^2 int Dz phi'(sqrt(q*) z)^2`` (Poole et al. 2016, eq. 7).

    The slope of the correlation map at ``c = 1`` and the factor by which the mean squared
    gradient grows per layer going backwards (Schoenholz et al. 2017, eq. 6 and Sec. 5).
    ``chi_1 < 1``: ordered (vanishing gradients); ``> 1``: chaotic (exploding). For ReLU
    ``chi_1 = sigma_w^2 / 2`` whatever the bias. At ``q* = 0`` the limit ``q -> 0+``.

    Returns
    -------
    float or ndarray
    """
    act = get_activation(activation)
    (sw, sb), scalar = _params(sigma_w2, sigma_b2)
    q = _fixed_point(act, sw, sb, 1.0, 1e-13, 200).reshape(sw.shape)
    return _out(_chi1_at(act, sw, q), scalar)


def _corr_terms(act: Activation, deriv: bool):
    def terms(u1, u2, s):
        if not deriv:
            return [act.fn(u1) * act.fn(u2)]
        f1, d1 = act.value_and_derivative(u1, step(s))
        f2, d2 = act.value_and_derivative(u2, step(s))
        return [f1 * f2, d1 * d2]

    return terms


def _corr_map(act: Activation, sw, sb, q, c, deriv: bool):
    """Next correlation and (optionally) its slope ``chi_c`` at ``(q*, c)``."""
    qe = effective_q(q)
    vals = expect_2d(_corr_terms(act, deriv), qe, c)
    nxt = (sw * vals[0] + sb) / qe
    return (nxt, sw * vals[1]) if deriv else (nxt, None)


def correlation_map(activation: ActivationLike, sigma_w2: Any, sigma_b2: Any, c: Any):
    """One step of the correlation map at the fixed length ``q*`` (Poole et al. 2016, eq. 5).

    ``c' = [sigma_w^2 int Dz1 Dz2 phi(u1) phi(u2) + sigma_b^2] / q*`` with
    ``u1 = sqrt(q*) z1``, ``u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2)``: the correlation of two
    inputs' pre-activations one layer up, given correlation ``c`` in this layer.

    Parameters
    ----------
    activation : name, Activation or callable
    sigma_w2, sigma_b2, c : float or array_like
        Broadcast together; ``c`` in ``[-1, 1]``.

    Returns
    -------
    float or ndarray
    """
    act = get_activation(activation)
    (sw, sb, cc), scalar = _params(sigma_w2, sigma_b2, np.abs(np.asarray(c, dtype=float)))
    c_arr = np.broadcast_to(np.asarray(c, dtype=float), sw.shape)
    if np.any(np.abs(c_arr) > 1):
        raise ValueError("a correlation c must lie in [-1, 1]")
    q = _fixed_point(act, sw, sb, 1.0, 1e-13, 200).reshape(sw.shape)
    nxt, _ = _corr_map(act, sw, sb, q, c_arr, False)
    return _out(np.clip(nxt, -1.0, 1.0), scalar)


def _correlation_fixed_point(act, sw, sb, q, chi, tol=1e-12, maxiter=60):
    """``c*`` and ``chi_c`` (flat arrays), Newton from ``c = 0`` in the chaotic phase."""
    sw, sb, q, chi = (a.ravel() for a in (sw, sb, q, chi))
    c = np.ones_like(q)
    chi_c = chi.copy()
    chaotic = np.flatnonzero(chi > 1.0)
    c[chaotic] = 0.0
    active = chaotic
    for _ in range(maxiter):
        if active.size == 0:
            break
        ca = c[active]
        g, slope = _corr_map(act, sw[active], sb[active], q[active], ca, True)
        chi_c[active] = slope
        h = g - ca
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = ca - h / (slope - 1.0)
        # The map is convex on [0, 1] with g(0) >= 0: Newton from the left rises monotonically
        # to c*; where its slope is >= 1 a plain map step instead.
        new = np.where((slope < 1.0) & np.isfinite(newton), newton, g)
        new = np.clip(new, 0.0, 1.0)
        done = np.abs(new - ca) <= tol
        c[active] = new
        active = active[~done]
    return c, chi_c


def correlation_fixed_point(activation: ActivationLike, sigma_w2: Any, sigma_b2: Any = 0.0):
    """The stable fixed point ``c*`` of the correlation map (Poole et al. 2016, Sec. 3).

    1 in the ordered phase (``chi_1 <= 1``); in the chaotic phase the solution ``c* < 1`` of
    ``c* = [sigma_w^2 int Dz1 Dz2 phi(u1) phi(u2) + sigma_b^2] / q*`` (0 for an odd
    activation without bias), by Newton's method from ``c = 0``.

    Returns
    -------
    float or ndarray
    """
    act = get_activation(activation)
    (sw, sb), scalar = _params(sigma_w2, sigma_b2)
    q = _fixed_point(act, sw, sb, 1.0, 1e-13, 200)
    chi = _chi1_at(act, sw.ravel(), q)
    c, _ = _correlation_fixed_point(act, sw, sb, q, chi)
    return _out(c.reshape(sw.shape), scalar)


class DepthScales(NamedTuple):
    """The result of :func:`depth_scales`: arrays (or floats) of the parameters' shape."""

    #: Depth scale of the length's convergence, ``-1 / ln(slope of the length map at q*)``.
    xi_q: Any
    #: Depth scale of the correlation's convergence, ``-1 / ln chi_c``.
    xi_c: Any
    #: The fixed length ``q*``.
    q_star: Any
    #: The stable correlation ``c*``.
    c_star: Any
    #: ``chi_1`` at ``q*``.
    chi_1: Any
    #: ``chi_c``, the slope of the correlation map at ``c*``.
    chi_c: Any


def depth_scales(activation: ActivationLike, sigma_w2: Any, sigma_b2: Any = 0.0) -> DepthScales:
    """The depth scales ``xi_q`` and ``xi_c`` of Schoenholz et al. 2017 (eqs. 7 and 9).

    ``xi_q^{-1} = -ln[chi_1 + sigma_w^2 int Dz phi''(sqrt(q*) z) phi(sqrt(q*) z)]``: the
    length ``q^l`` approaches ``q*`` like ``exp(-l / xi_q)`` (computed as the slope of the
    length map by Stein's lemma, no ``phi''`` needed; ``nan`` where ``q*`` is infinite).
    ``xi_c^{-1} = -ln chi_c``, ``chi_c = sigma_w^2 int Dz1 Dz2 phi'(u1) phi'(u2)`` at ``c*``:
    the correlation approaches ``c*`` like ``exp(-l / xi_c)``; ``xi_c = inf`` on the critical
    line, where signals propagate arbitrarily deep. Schoenholz et al. trained networks of
    depth up to about ``6 xi_c``.

    Returns
    -------
    DepthScales
        Fields ``xi_q``, ``xi_c``, ``q_star``, ``c_star``, ``chi_1``, ``chi_c``.
    """
    act = get_activation(activation)
    (sw, sb), scalar = _params(sigma_w2, sigma_b2)
    shape = sw.shape
    q = _fixed_point(act, sw, sb, 1.0, 1e-13, 200)
    swf = sw.ravel()
    _, xff, d2 = expect_1d(_length_terms(act), effective_q(q))
    chi = swf * d2
    slope_q = swf * xff / effective_q(q)
    c, chi_c = _correlation_fixed_point(act, sw, sb, q, chi)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi_q = np.where(np.isinf(q) | (q >= Q_INF), np.nan, -1.0 / np.log(slope_q))
        xi_c = -1.0 / np.log(chi_c)
    xi_c = np.where(np.isclose(chi_c, 1.0, rtol=0, atol=1e-14), np.inf, xi_c)
    fields = [xi_q, xi_c, q, c, chi, chi_c]
    return DepthScales(*(_out(f.reshape(shape), scalar) for f in fields))


def critical_sigma_w2(
    activation: ActivationLike, sigma_b2: Any = 0.0, *, hi: float = 1e4, tol: float = 1e-12
):
    """The weight variance ``sigma_w^2`` on the critical line ``chi_1 = 1`` for a given bias.

    Bisection of ``chi_1(sigma_w^2, sigma_b^2) - 1`` in ``sigma_w^2`` (``chi_1`` grows with
    ``sigma_w^2``): 2 for ReLU at any bias, 1 for tanh without bias (the order-to-chaos
    transition of Poole et al. 2016, Fig. 2; Schoenholz et al. 2017, Fig. 1). ``nan`` where
    ``chi_1 < 1`` up to ``sigma_w^2 = hi``.

    Parameters
    ----------
    activation : name, Activation or callable
    sigma_b2 : float or array_like
    hi : float, default 1e4
        Largest ``sigma_w^2`` searched.
    tol : float, default 1e-12
        Relative width at which the bisection stops.

    Returns
    -------
    float or ndarray
    """
    act = get_activation(activation)
    (sb,), scalar = _params(sigma_b2)
    sbf = sb.ravel()
    lo = np.zeros_like(sbf)
    up = np.ones_like(sbf)

    def chi_at(sw):
        q = _fixed_point(act, sw, sbf, 1.0, 1e-13, 200)
        return _chi1_at(act, sw, q)

    # Bracket: double the upper end until chi_1 >= 1.
    need = chi_at(up) < 1.0
    while need.any() and up.max() < hi:
        lo = np.where(need, up, lo)
        up = np.where(need, np.minimum(2.0 * up, hi), up)
        need = need & (chi_at(up) < 1.0)
    found = ~need
    for _ in range(200):
        mid = 0.5 * (lo + up)
        above = chi_at(mid) >= 1.0
        up = np.where(above, mid, up)
        lo = np.where(above, lo, mid)
        if np.all(up - lo <= tol * up):
            break
    out = np.where(found, 0.5 * (lo + up), np.nan).reshape(sb.shape)
    return _out(out, scalar)
