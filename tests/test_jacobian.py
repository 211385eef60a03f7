"""Jacobian spectra: closed forms for linear networks and the predicted moments."""

import math

import numpy as np
import pytest

from weight_init.theory import chi1, jacobian_singular_values, weight_spread


def test_orthogonal_linear_network_is_an_exact_isometry_times_gain_to_the_depth():
    gain2 = 1.21
    r = jacobian_singular_values(
        depth=5, width=40, init="orthogonal", activation="linear", sigma_w2=gain2, seed=0
    )
    np.testing.assert_allclose(r.singular_values, math.sqrt(gain2) ** 5, rtol=1e-10)
    assert r.predicted_var_sq == 0.0 and r.predicted_mean_sq == pytest.approx(gain2**5)


def test_gaussian_linear_network_mean_squared_singular_value_is_chi1_to_the_depth():
    # E[tr(J J^T) / N] = sigma_w^2^L exactly; over N = 120 eigenvalues and 4 seeds the
    # relative standard error is ~ sqrt(2 L) / N / 2 ~ 1 %: allow 5 %.
    L, sw = 3, 1.5
    runs = [
        jacobian_singular_values(
            depth=L, width=120, init="glorot_normal", activation="linear", sigma_w2=sw, seed=s
        )
        for s in range(4)
    ]
    assert runs[0].predicted_mean_sq == pytest.approx(sw**L)
    assert np.mean([r.mean_sq for r in runs]) == pytest.approx(sw**L, rel=0.05)
    # Var[lambda] / E[lambda]^2 = L for products of square Gaussian matrices (Fuss-Catalan);
    # finite width adds O(L / N): allow 20 %.
    assert runs[0].predicted_var_sq == pytest.approx(L * sw ** (2 * L))
    assert np.mean([r.var_sq for r in runs]) == pytest.approx(L * sw ** (2 * L), rel=0.2)


@pytest.mark.parametrize("init, spread", [("orthogonal", 0.0), ("glorot_normal", 1.0)])
def test_tanh_moments_near_criticality(init, spread):
    # tanh at sigma_w^2 = 1.2, sigma_b^2 = 0.01 (chi_1 ~ 0.93), depth 4, width 150, 3 seeds:
    # mean within 8 % and variance within 30 % (finite-width O(L / N) and seed scatter).
    runs = [
        jacobian_singular_values(
            depth=4, width=150, init=init, activation="tanh", sigma_w2=1.2, sigma_b2=0.01, seed=s
        )
        for s in range(3)
    ]
    assert weight_spread(init) == spread
    assert runs[0].predicted_mean_sq == pytest.approx(chi1("tanh", 1.2, 0.01) ** 4, rel=1e-12)
    assert np.mean([r.mean_sq for r in runs]) == pytest.approx(runs[0].predicted_mean_sq, rel=0.08)
    assert np.mean([r.var_sq for r in runs]) == pytest.approx(runs[0].predicted_var_sq, rel=0.3)


def test_bad_arguments():
    with pytest.raises(ValueError, match="at must be"):
        jacobian_singular_values(depth=2, width=4, init="orthogonal", at="somewhere")
    with pytest.raises(ValueError, match="depth"):
        jacobian_singular_values(depth=0, width=4, init="orthogonal")
