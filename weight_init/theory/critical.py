"""The critical line ``chi_1 = 1`` of the order-to-chaos transition (numpy only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.activations import ActivationLike, get_activation
from weight_init.theory.chaos import chi1

__all__ = ["critical_sigma_w2"]


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
    sb = np.asarray(sigma_b2, dtype=float)
    scalar = sb.ndim == 0
    if np.any(~(sb >= 0)):
        raise ValueError("sigma_b2 must be non-negative (and not nan)")
    sbf = sb.ravel()
    lo = np.zeros_like(sbf)
    up = np.ones_like(sbf)

    def chi_at(sw):
        return chi1(act, sw, sbf)

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
    return float(out) if scalar else out
