"""Order and chaos: fixed points, correlations, depth scales and the critical line (numpy only).

A deep fully connected network ``h^l = W^l phi(h^{l-1}) + b^l`` with weights
``W_ij ~ N(0, sigma_w^2 / n)`` and biases ``b_i ~ N(0, sigma_b^2)``, in the limit of wide
layers (Poole et al. 2016, "Exponential expressivity in deep neural networks through transient
chaos"; Schoenholz et al. 2017, "Deep Information Propagation"; equation numbers of their arXiv
versions). With ``Dz`` the standard normal measure:

* **Length map** (Poole eq. 3): the pre-activation variance
  ``q^l = sigma_w^2 * int Dz phi(sqrt(q^{l-1}) z)^2 + sigma_b^2``, with a stable fixed point
  ``q*`` (:func:`fixed_point`).
* **Correlation map** (Poole eqs. 4-5): two inputs at the fixed length
  with correlation ``c`` have, one layer up,
  ``c' = [sigma_w^2 * int Dz1 Dz2 phi(u1) phi(u2) + sigma_b^2] / q*``, ``u1 = sqrt(q*) z1``,
  ``u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2)`` (:func:`correlation_map`). ``c = 1`` is always a
  fixed point; its slope there is
* ``chi_1 = sigma_w^2 * int Dz phi'(sqrt(q*) z)^2`` (Poole eq. 7)
  (:func:`chi1`), which also multiplies the mean squared gradient per layer going backwards.
  ``chi_1 < 1``: the ordered phase, ``c* = 1`` is stable and inputs become equal; ``chi_1 > 1``:
  the chaotic phase, a second fixed point ``c* < 1`` is stable and nearby inputs decorrelate
  (:func:`correlation_fixed_point`). ``chi_1 = 1`` is the critical line
  (:func:`weight_init.theory.critical.critical_sigma_w2`).
* **Depth scales** (Schoenholz eqs. 7 and 9): ``|q^l - q*| ~ exp(-l / xi_q)`` with
  ``xi_q^{-1} = -ln[chi_1 + sigma_w^2 int Dz phi''(sqrt(q*) z) phi(sqrt(q*) z)]`` (the slope
  of the length map at ``q*``), and ``|c^l - c*| ~ exp(-l / xi_c)`` with
  ``xi_c^{-1} = -ln chi_c``, ``chi_c = sigma_w^2 int Dz1 Dz2 phi'(u1) phi'(u2)`` at ``c*``
  (the slope of the correlation map there; ``chi_c = chi_1`` in the ordered phase). ``xi_c``
  diverges on the critical line; Schoenholz et al. find networks trainable to a depth of about
  ``6 xi_c`` (:func:`depth_scales`).

The slope of the length map is computed without ``phi''`` through Stein's lemma,
``d/dq E[phi(x)^2] = E[phi(x)^2 (x^2 - q)] / (2 q^2)`` for ``x ~ N(0, q)``. The correlation map
is normalized by the next layer's length ``L(q*) = sigma_w^2 E[phi^2] + sigma_b^2``, which is
``q*`` itself at a finite fixed point (so the formulas above hold as written) and keeps it a
correlation in the two limits: at ``q* = 0`` (tanh or ReLU without bias in the ordered
phase) every quantity is the limit ``q -> 0+`` (``E[relu'^2] -> 1/2``, not ``relu'(0)^2 = 0``),
and where ``q*`` is infinite (an unbounded activation with a growing length, e.g. ReLU with
``sigma_w^2 > 2``) the limit ``q -> inf``, evaluated at ``q = 1e300``, and ``xi_q`` is ``nan``.
In both limits a positively homogeneous activation such as ReLU has the correlation map
``c' = 2 k(c)`` of the arc-cosine kernel whatever ``sigma_w^2``, with slope 1 at ``c = 1``:
without bias ReLU correlations converge to 1 only polynomially, ``xi_c = inf`` (while
``chi_1 = sigma_w^2 / 2`` still sets the gradients' growth).

``c*`` is found by a bracketed Newton iteration (the map is convex on ``[0, 1]``) started at
the root of the cubic that matches the map and its slope at ``c = 0`` and ``c = 1`` (four
1-D integrals), first with a 6-node rule, then with the full one; on a 200 x 200 tanh grid
this took 27-30 s of CPU time here (``docs/order-and-chaos.md``).

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
from weight_init.theory.quadrature import (
    NODES,
    Q_INF,
    derivative,
    effective_q,
    expect_1d,
    expect_2d_products,
    step,
)

__all__ = [
    "DepthScales",
    "fixed_point",
    "chi1",
    "correlation_map",
    "correlation_fixed_point",
    "depth_scales",
]

#: Nodes per panel of the first, coarse stage of the correlation's Newton iteration.
COARSE_NODES = 6
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
    boost = np.full(q.shape, 100.0)  # growth factor of a map step while the length grows
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
        # step, accelerated while the length grows: by 100, then by the square of the last
        # factor (up to 1e50) at each further growth step, so that a diverging length passes
        # Q_DIVERGED in about eight steps instead of a hundred.
        use_newton = (slope < 1.0) & np.isfinite(newton) & (newton >= 0)
        growing = (h > 0) & ~use_newton
        ba = boost[active]
        grow = np.where(h > 0, np.maximum(L, ba * qa), L)
        boost[active] = np.where(growing, np.minimum(ba * ba, 1e50), 100.0)
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
    gradient grows per layer going backwards (Schoenholz et al. 2017, Sec. 5).
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
    """The factor pairs ``(phi(u1), phi(u2))`` and, with ``deriv``, ``(phi'(u1), phi'(u2))``."""

    def factors(u1, u2, s):
        if not deriv:
            return [(act.fn(u1), act.fn(u2))]
        f1, d1 = act.value_and_derivative(u1, step(s))
        f2, d2 = act.value_and_derivative(u2, step(s))
        return [(f1, f2), (d1, d2)]

    return factors


def _next_length(act: Activation, sw, sb, q) -> np.ndarray:
    """``L(q) = sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2`` at the effective ``q``."""
    (m2,) = expect_1d(lambda x, s: [act.fn(x) ** 2], effective_q(q))
    return sw * m2 + sb


def _corr_map(act: Activation, sw, sb, q, c, deriv: bool, n: int = NODES, length=None):
    """Next correlation and (optionally) its slope ``chi_c`` at ``(q*, c)``.

    Normalized by the next length ``L(q*)`` (``= q*`` at a finite fixed point): the limits at
    ``q* = 0`` and ``q* = inf`` are then correlations too.
    """
    qe = effective_q(q)
    L = _next_length(act, sw, sb, q) if length is None else length
    vals = expect_2d_products(_corr_terms(act, deriv), qe, c, n=n)
    nxt = (sw * vals[0] + sb) / L
    return (nxt, sw * vals[1] * qe / L) if deriv else (nxt, None)


def correlation_map(activation: ActivationLike, sigma_w2: Any, sigma_b2: Any, c: Any):
    """One step of the correlation map at the fixed length ``q*`` (Poole et al. 2016, eq. 5).

    ``c' = [sigma_w^2 int Dz1 Dz2 phi(u1) phi(u2) + sigma_b^2] / q*`` with
    ``u1 = sqrt(q*) z1``, ``u2 = sqrt(q*) (c z1 + sqrt(1 - c^2) z2)``: the correlation of two
    inputs' pre-activations one layer up, given correlation ``c`` in this layer (divided by
    ``L(q*)``, equal to ``q*`` at a finite fixed point; see the module docstring for
    ``q* = 0`` and ``inf``).

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


def _newton_c(act, sw, sb, q, length, c, n: int, step_tol: float, maxiter: int):
    """Bracketed Newton iteration for ``c = g(c)`` with the ``n``-node rule, in place on ``c``.

    The map is convex on ``[0, 1]`` with ``g(0) >= 0``: Newton from the left rises
    monotonically to ``c*`` (from the right, the first step lands left of it). Each point
    keeps a bracket ``[lo, hi]`` (``g(lo) >= lo``, ``g(hi) <= hi``, from ``[0, 1]``), and a
    Newton step that leaves it (the slope is >= 1 right of the minimum of ``g(c) - c``; near
    the critical line, where ``c*`` is within the rule's error of 1) is replaced by
    bisection. Stops a point once its step is below ``step_tol`` (the step is taken:
    quadratic convergence).
    """
    lo, hi = np.zeros(c.size), np.ones(c.size)
    active = np.arange(c.size)
    for _ in range(maxiter):
        if active.size == 0:
            break
        ca = c[active]
        g, slope = _corr_map(act, sw[active], sb[active], q[active], ca, True, n, length[active])
        r = g - ca
        la = lo[active] = np.where(r > 0, np.maximum(lo[active], ca), lo[active])
        ha = hi[active] = np.where(r < 0, np.minimum(hi[active], ca), hi[active])
        with np.errstate(divide="ignore", invalid="ignore"):
            new = ca - r / (slope - 1.0)
        inside = (slope < 1.0) & (new >= la) & (new <= ha)
        new = np.where(inside, new, 0.5 * (la + ha))
        c[active] = new
        active = active[np.abs(new - ca) > step_tol]
    return c


def _predict_c(act: Activation, sw, sb, q, length, slope1) -> np.ndarray:
    """A starting ``c`` for Newton's method from four 1-D integrals: the root in ``[0, 1)`` of
    ``p(c) = c``, ``p`` the cubic matching the correlation map ``g`` and its slope at both ends.

    ``g(0) = (sigma_w^2 E[phi]^2 + sigma_b^2) / L`` and ``g'(0) = sigma_w^2 q E[phi']^2 / L``
    (independent inputs at ``c = 0``; the slope by Price's theorem), ``g(1) = 1`` and
    ``g'(1) = chi_1 q / L``. ``p(c) - c = (c - 1)(a c^2 + b c - g(0))`` with
    ``b = 1 - g(0) - g'(0)`` and ``a = g'(1) + 2 g(0) + g'(0) - 2``; its root in ``[0, 1)`` is
    ``2 g(0) / (b + sqrt(b^2 + 4 a g(0)))``.
    """
    qe = effective_q(q)
    m1, d1 = expect_1d(lambda x, s: act.value_and_derivative(x, step(s)), qe)
    g0 = (sw * m1 * m1 + sb) / length
    dg0 = sw * qe * d1 * d1 / length
    b = 1.0 - g0 - dg0
    a = slope1 + 2.0 * g0 + dg0 - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 2.0 * g0 / (b + np.sqrt(np.maximum(b * b + 4.0 * a * g0, 0.0)))
    return np.where(np.isfinite(c), np.clip(c, 0.0, 1.0 - 1e-12), 0.0)


def _correlation_fixed_point(act, sw, sb, q, chi):
    """``c*`` and ``chi_c`` (flat arrays), by bracketed Newton iterations where chaotic.

    From the cubic model's root (:func:`_predict_c`), first with a 6-node rule (error ~1e-8)
    to steps below 1e-5, then with the full rule to steps below 1e-6 (mostly one step from an
    error of ~1e-7: the error after it is of the order of its square), then ``chi_c`` at the
    final ``c`` with the full rule: about 3.6 evaluations of the 6-node rule and 2 of the full
    rule a point (from ``c = 0``, 5.6 and 2).
    """
    sw, sb, q, chi = (a.ravel() for a in (sw, sb, q, chi))
    c = np.ones_like(q)
    length = _next_length(act, sw, sb, q)
    chi_c = chi * effective_q(q) / length  # the slope at c = 1 (chi_1 at a finite q* > 0)
    # Slope 1 (ReLU without bias; an asymptotically homogeneous activation at q* = inf, where
    # the stand-in q = 1e300 leaves a rounding-level excess): marginal, c* = 1.
    marginal = np.abs(chi_c - 1.0) <= np.where(np.isinf(q), 1e-6, 1e-10)
    chi_c = np.where(marginal, 1.0, chi_c)
    ch = np.flatnonzero((chi_c > 1.0) & ~marginal)
    if ch.size:
        args = (sw[ch], sb[ch], q[ch], length[ch])
        start = _predict_c(act, *args, chi_c[ch])
        cc = _newton_c(act, *args, start, COARSE_NODES, 1e-5, 100)
        cc = _newton_c(act, *args, cc, NODES, 1e-6, 100)
        c[ch] = cc
        _, chi_c[ch] = _corr_map(act, *args[:3], cc, True, NODES, args[3])
    return c, chi_c


def correlation_fixed_point(activation: ActivationLike, sigma_w2: Any, sigma_b2: Any = 0.0):
    """The stable fixed point ``c*`` of the correlation map (Poole et al. 2016, Sec. 3).

    1 in the ordered phase (``chi_1 <= 1``); in the chaotic phase the solution ``c* < 1`` of
    ``c* = [sigma_w^2 int Dz1 Dz2 phi(u1) phi(u2) + sigma_b^2] / q*`` (0 for an odd
    activation without bias), by a bracketed Newton iteration (see the module docstring).

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
        # On the critical line of tanh without bias the slope is 1 up to rounding.
        xi_q = np.where(np.abs(slope_q - 1.0) <= 1e-9, np.inf, xi_q)
        xi_c = -1.0 / np.log(chi_c)
    xi_c = np.where(np.abs(chi_c - 1.0) <= 1e-10, np.inf, xi_c)
    fields = [xi_q, xi_c, q, c, chi, chi_c]
    return DepthScales(*(_out(f.reshape(shape), scalar) for f in fields))
