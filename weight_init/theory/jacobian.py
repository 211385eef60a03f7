"""Singular values of a random network's input-output Jacobian (numpy only).

For ``h^l = x^{l-1} W^l + b^l``, ``x^l = phi(h^l)`` (``l = 1 .. L``, all layers ``N`` wide),
the Jacobian ``J = dx^L / dx^0 = W^1 D^1 W^2 D^2 ... W^L D^L`` with
``D^l = diag(phi'(h^l))``. In the wide limit, with every layer at the fixed length ``q*``,
the eigenvalues ``lambda = s^2`` of ``J J^T`` (``s`` the singular values) have

.. math::

    E[\\lambda] = \\chi_1^L, \\qquad
    \\frac{Var[\\lambda]}{E[\\lambda]^2} = L \\Big(\\frac{\\mu_2}{\\mu_1^2} - 1 + v_W\\Big),
    \\qquad \\mu_k = \\int Dz\\, \\phi'(\\sqrt{q^*} z)^{2k},

with ``v_W = 1`` for weights of independent entries (the Marchenko-Pastur law of ``W^T W``)
and ``v_W = 0`` for orthogonal weights: Pennington, Schoenholz & Ganguli 2017, "Resurrecting
the sigmoid in deep learning through dynamical isometry", their variance of the spectrum
of ``J J^T`` at ``chi_1 = 1`` (with the S-transform coefficient ``s_1 = -v_W``); away from
``chi_1 = 1`` the normalized variances of free factors add up the same way. Orthogonal weights with tanh near criticality and a small ``q*``
(``mu_2 / mu_1^2`` close to 1) keep the spectrum concentrated at any depth (dynamical
isometry); Gaussian weights, and ReLU with either (``mu_2 / mu_1^2 = 2``), spread it linearly
in ``L``. Linear networks: all singular values equal ``gain^L`` for orthogonal weights.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from weight_init.activations import ActivationLike, get_activation
from weight_init.initializers import (
    InitLike,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    call_init,
    get,
    weight_variance,
)
from weight_init.theory.chaos import chi1, fixed_point
from weight_init.theory.quadrature import derivative, effective_q, expect_1d
from weight_init.validation import as_generator, check_positive_int

__all__ = ["JacobianSpectrum", "jacobian_singular_values", "weight_spread"]


class JacobianSpectrum(NamedTuple):
    """The result of :func:`jacobian_singular_values`."""

    #: Singular values of ``J``, descending (``width`` of them).
    singular_values: np.ndarray
    #: Measured mean and variance of ``s^2`` over the spectrum.
    mean_sq: float
    var_sq: float
    #: Predicted ``E[s^2] = chi_1^L`` and ``Var[s^2]`` (``nan`` where not known).
    predicted_mean_sq: float
    predicted_var_sq: float
    #: ``chi_1``, ``q*`` and ``sigma_w^2 = width * E[W^2]`` of the network.
    chi_1: float
    q_star: float
    sigma_w2: float


def weight_spread(init: InitLike) -> float:
    """``v_W``, the normalized variance of the spectrum of ``W^T W`` for a square ``W``.

    1 for independent zero-mean entries (normal, uniform, truncated normal: the
    Marchenko-Pastur law at ratio 1), 0 for orthogonal matrices, ``nan`` otherwise.
    """
    fn = get(init)
    if isinstance(fn, Orthogonal):
        return 0.0
    if isinstance(fn, (VarianceScaling, RandomNormal, RandomUniform, TruncatedNormal)):
        return 1.0
    return float("nan")


def jacobian_singular_values(
    *,
    depth: int,
    width: int,
    init: InitLike,
    activation: ActivationLike = "tanh",
    sigma_b2: float = 0.0,
    sigma_w2: float | None = None,
    seed: int | np.random.Generator | None = None,
    at: str = "fixed_point",
) -> JacobianSpectrum:
    """The singular values of one random network's input-output Jacobian, and the theory.

    Draws ``depth`` square ``width x width`` weights from ``init`` (rescaled to
    ``sigma_w2 = width * E[W^2]`` when given), biases ``b ~ N(0, sigma_b2)`` and one input,
    multiplies out ``J = W^1 D^1 ... W^L D^L`` and returns its singular values with the
    predictions of Pennington et al. 2017 (module docstring).

    Parameters
    ----------
    depth, width : int
    init : initializer, name or callable
        E.g. ``'orthogonal'`` (gain 1: ``sigma_w^2 = 1``) or ``'glorot_normal'``.
    activation : name or callable, default 'tanh'
    sigma_b2 : float, default 0.0
    sigma_w2 : float, optional
        Rescale the weights to this ``width * E[W^2]`` (an orthogonal matrix stays orthogonal,
        times ``sqrt(sigma_w2)``); default: the initializer's own.
    seed : int or Generator, optional
    at : {'fixed_point', 'random'}, default 'fixed_point'
        The input: ``x^0 = phi(h^0)`` with ``h^0 ~ N(0, q*)``, so that every layer sits at the
        fixed length the theory assumes, or ``x^0 ~ N(0, 1)``.

    Returns
    -------
    JacobianSpectrum
    """
    depth = check_positive_int(depth, "depth")
    width = check_positive_int(width, "width")
    if at not in ("fixed_point", "random"):
        raise ValueError(f"at must be 'fixed_point' or 'random', got {at!r}")
    act = get_activation(activation)
    fn = get(init)
    rng = as_generator(seed)
    if rng is None:
        rng = np.random.default_rng()
    nominal = width * weight_variance(fn, width, width)
    sw = float(nominal if sigma_w2 is None else sigma_w2)
    if not sw > 0:
        raise ValueError(f"sigma_w2 must be positive, got {sw!r}")
    scale = np.sqrt(sw / nominal) if nominal > 0 else 1.0
    sb = float(sigma_b2)
    q = fixed_point(act, sw, sb)
    if at == "fixed_point" and np.isfinite(q):
        x = act(np.sqrt(q) * rng.standard_normal(width))
    else:
        x = rng.standard_normal(width)
    J = np.eye(width)
    for _ in range(depth):
        W = scale * np.asarray(call_init(fn, width, width, rng), dtype=float)
        h = x @ W + (np.sqrt(sb) * rng.standard_normal(width) if sb > 0 else 0.0)
        d = np.asarray(act.derivative(h, 1e-5 * max(float(np.std(h)), 1e-300)), dtype=float)
        J = (J @ W) * d[None, :]
        x = act(h)
    s = np.linalg.svd(J, compute_uv=False)
    lam = s * s
    chi = chi1(act, sw, sb)
    mu1, mu2 = expect_1d(
        lambda x_, s_: [derivative(act, x_, s_) ** 2, derivative(act, x_, s_) ** 4], effective_q(q)
    )
    mu1, mu2 = float(mu1), float(mu2)
    mean = chi**depth
    spread_d = mu2 / mu1**2 - 1.0
    spread_d = 0.0 if abs(spread_d) < 1e-12 else spread_d  # a constant derivative (linear)
    var = mean**2 * depth * (spread_d + weight_spread(fn))
    return JacobianSpectrum(
        singular_values=s,
        mean_sq=float(np.mean(lam)),
        var_sq=float(np.var(lam)),
        predicted_mean_sq=float(mean),
        predicted_var_sq=float(var),
        chi_1=float(chi),
        q_star=float(q),
        sigma_w2=sw,
    )
