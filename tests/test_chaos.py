"""Order and chaos: closed forms, a second independent computation, and the phase boundary."""

import math

import numpy as np
import pytest

from weight_init.theory import (
    chi1,
    correlation_fixed_point,
    correlation_map,
    critical_sigma_w2,
    depth_scales,
    fixed_point,
    gaussian_moments,
)


def relu_kernel(c):
    """E[relu(u1) relu(u2)] / q for unit-variance pre-activations (Cho & Saul 2009)."""
    c = np.asarray(c, dtype=float)
    return (np.sqrt(1 - c * c) + (math.pi - np.arccos(c)) * c) / (2 * math.pi)


# ----------------------------------------------------------------------------- closed forms


@pytest.mark.parametrize("sw, sb", [(0.5, 0.0), (1.5, 0.1), (1.9, 1.0), (2.0, 0.0), (3.0, 0.2), (4.0, 0.0)])
def test_relu_chi1_is_half_the_weight_variance(sw, sb):
    assert chi1("relu", sw, sb) == pytest.approx(sw / 2, rel=1e-12)


def test_relu_fixed_point_closed_form_and_divergence():
    sw = np.array([0.5, 1.0, 1.5, 1.9])
    # Quadrature error ~1e-12 in E[phi^2], amplified by 1 / (1 - sigma_w^2 / 2) <= 20.
    np.testing.assert_allclose(fixed_point("relu", sw, 0.3), 0.3 / (1 - sw / 2), rtol=1e-10)
    assert fixed_point("relu", 2.5, 0.1) == math.inf  # chaotic: the length diverges
    assert fixed_point("selu", 1.9, 0.05) == math.inf  # E[selu^2] ~ 1.05^2 q / 2 for large q
    assert fixed_point("relu", 1.5, 0.0) == pytest.approx(0.0, abs=1e-20)
    assert fixed_point("relu", 2.0, 0.0, q0=3.0) == pytest.approx(3.0, rel=1e-9)  # every length is fixed


def test_critical_points():
    assert critical_sigma_w2("relu", 0.0) == pytest.approx(2.0, rel=1e-10)
    np.testing.assert_allclose(critical_sigma_w2("relu", [0.1, 1.0]), 2.0, rtol=1e-10)
    assert critical_sigma_w2("tanh", 0.0) == pytest.approx(1.0, rel=1e-9)
    # On the line chi_1 = 1, and the line bends to larger weights with the bias.
    sb = np.array([0.05, 0.3, 1.0])
    sw = critical_sigma_w2("tanh", sb)
    assert np.all(np.diff(sw) > 0) and np.all(sw > 1)
    np.testing.assert_allclose(chi1("tanh", sw, sb), 1.0, atol=1e-9)


def test_relu_correlation_map_is_the_arc_cosine_kernel():
    c = np.array([-0.9, -0.3, 0.0, 0.4, 0.9, 0.999, 1.0])
    # Ordered, with a bias: c' = (sigma_w^2 q* k(c) + sigma_b^2) / q*.
    q = fixed_point("relu", 1.5, 0.1)
    np.testing.assert_allclose(
        correlation_map("relu", 1.5, 0.1, c), (1.5 * q * relu_kernel(c) + 0.1) / q, atol=1e-11
    )
    # q* = inf (chaotic) or 0 (no bias, ordered): the normalized limit 2 k(c), whatever sigma_w^2.
    for sw in (3.0, 1.5):
        np.testing.assert_allclose(correlation_map("relu", sw, 0.0, c), 2 * relu_kernel(c), atol=1e-11)
    ds = depth_scales("relu", [1.5, 3.0], 0.0)
    np.testing.assert_array_equal(ds.c_star, 1.0)
    np.testing.assert_allclose(ds.chi_c, 1.0, atol=1e-12)  # marginal: polynomial convergence


# ----------------------------------------------------------------------------- independent checks


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "elu", "selu"])
@pytest.mark.parametrize("sw, sb", [(0.7, 0.05), (1.3, 0.3), (1.7, 0.05)])
def test_fixed_point_and_chi1_against_the_mean_field_quadrature(act, sw, sb):
    # gaussian_moments is the panel rule on the x axis: a separate code path.
    q = fixed_point(act, sw, sb)
    mom = gaussian_moments(act, q)
    assert q == pytest.approx(sw * mom["second_moment"] + sb, rel=1e-11)
    assert chi1(act, sw, sb) == pytest.approx(sw * mom["deriv_second_moment"], rel=1e-11)


@pytest.mark.parametrize("sw, sb", [(0.8, 0.05), (1.6, 0.05), (2.5, 0.2), (4.0, 0.0)])
def test_tanh_correlation_map_against_monte_carlo(sw, sb):
    # 10^6 pairs: the standard error of a mean of tanh(u1) tanh(u2) (|.| < 1) is < 1e-3 / q*;
    # 5e-3 is over five of them at these q* (>= 0.17).
    q = fixed_point("tanh", sw, sb)
    rng = np.random.default_rng(0)
    z1, z2 = rng.standard_normal((2, 1_000_000))
    for c in (0.1, 0.5, 0.9):
        u1 = math.sqrt(q) * z1
        u2 = math.sqrt(q) * (c * z1 + math.sqrt(1 - c * c) * z2)
        mc = (sw * np.mean(np.tanh(u1) * np.tanh(u2)) + sb) / q
        assert correlation_map("tanh", sw, sb, c) == pytest.approx(mc, abs=5e-3)


def test_correlation_fixed_point_in_both_phases():
    assert correlation_fixed_point("tanh", 0.8, 0.05) == 1.0  # ordered
    assert correlation_fixed_point("tanh", 2.0, 0.0) == pytest.approx(0.0, abs=1e-12)  # odd, no bias
    sw, sb = np.array([1.8, 2.5, 4.0]), np.array([0.05, 0.2, 0.5])
    c = correlation_fixed_point("tanh", sw, sb)
    assert np.all((c > 0) & (c < 1))
    np.testing.assert_allclose(correlation_map("tanh", sw, sb, c), c, atol=1e-11)


def test_depth_scales_match_the_maps_they_summarize():
    # Ordered: chi_c = chi_1, xi_c = -1 / ln chi_1.
    ds = depth_scales("tanh", 0.8, 0.05)
    assert ds.c_star == 1.0 and ds.chi_c == pytest.approx(ds.chi_1, rel=1e-11)
    assert ds.xi_c == pytest.approx(-1 / math.log(chi1("tanh", 0.8, 0.05)), rel=1e-12)
    # Chaotic: chi_c is the slope of the correlation map at c* (central difference).
    sw, sb = 2.5, 0.2
    ds = depth_scales("tanh", sw, sb)
    h = 1e-4
    slope = (
        correlation_map("tanh", sw, sb, ds.c_star + h) - correlation_map("tanh", sw, sb, ds.c_star - h)
    ) / (2 * h)
    assert ds.chi_c == pytest.approx(slope, rel=1e-6)
    assert ds.xi_c == pytest.approx(-1 / math.log(slope), rel=1e-5)
    # xi_q: iterate the length map by hand near q*; the error shrinks by exp(-1 / xi_q).
    for sw, sb in [(0.8, 0.05), (2.5, 0.2)]:
        ds = depth_scales("tanh", sw, sb)
        q = ds.q_star * (1 + 1e-5)
        q_next = sw * gaussian_moments("tanh", q)["second_moment"] + sb
        ratio = (q_next - ds.q_star) / (q - ds.q_star)
        assert ratio == pytest.approx(math.exp(-1 / ds.xi_q), rel=1e-4)


def test_xi_c_diverges_at_the_critical_line():
    sw_c = critical_sigma_w2("tanh", 0.05)
    xi = depth_scales("tanh", sw_c * np.array([0.9, 0.99, 1.01, 1.1]), 0.05).xi_c
    assert xi[1] > 5 * xi[0] and xi[2] > 5 * xi[3] and np.all(xi > 0)


# ----------------------------------------------------------------------------- arrays and inputs


def test_parameters_broadcast_and_scalars_give_floats():
    sw = np.linspace(0.5, 3, 4)
    sb = np.array([[0.0], [0.1], [0.3]])
    assert np.shape(chi1("tanh", sw, sb)) == (3, 4)
    ds = depth_scales("tanh", sw, sb)
    assert all(np.shape(f) == (3, 4) for f in ds)
    assert isinstance(chi1("tanh", 1.0, 0.0), float) and isinstance(ds, tuple)
    assert np.shape(correlation_map("tanh", sw, 0.1, 0.5)) == (4,)
    np.testing.assert_allclose(chi1("tanh", sw, sb)[1], [chi1("tanh", s, 0.1) for s in sw], rtol=1e-14)


def test_a_callable_activation_matches_the_built_in():
    mine = depth_scales(lambda x: np.tanh(x), [0.8, 2.5], 0.2)
    ref = depth_scales("tanh", [0.8, 2.5], 0.2)
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a, b, rtol=1e-7)


def test_bad_parameters():
    with pytest.raises(ValueError, match="non-negative"):
        chi1("tanh", -1.0)
    with pytest.raises(ValueError, match="non-negative"):
        fixed_point("tanh", 1.0, float("nan"))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        correlation_map("tanh", 1.0, 0.0, 1.5)
    with pytest.raises(ValueError, match="unknown activation"):
        depth_scales("swish", 1.0)


def test_diverging_length_of_an_asymptotically_linear_activation_is_marginal_for_correlations():
    # ELU at sigma_w^2 = 3: q* = inf, the limit is ReLU's: chi_1 = 3 / 2, c' = 2 k(c), xi_c = inf.
    ds = depth_scales("elu", 3.0, 0.05)
    assert ds.q_star == math.inf and math.isnan(ds.xi_q)
    assert ds.chi_1 == pytest.approx(1.5, rel=1e-9)
    assert ds.c_star == 1.0 and ds.xi_c == math.inf


# ----------------------------------------------------------------------------- the fast path


def test_fast_depth_scales_agree_with_a_direct_fine_quadrature():
    # c* and chi_c (inner-first 2-D sums, staged Newton) against the generic 2-D rule at 16
    # nodes a panel, its terms formed as products on the full grid: c* is a fixed point of
    # that map to 1e-11 and chi_c its slope there to 1e-10.
    from weight_init.theory.quadrature import expect_2d

    sw, sb = np.array([1.9, 2.0, 2.5, 4.0, 3.0]), np.array([0.05, 0.1, 0.2, 0.5, 0.3])
    ds = depth_scales("tanh", sw, sb)
    assert np.all((ds.c_star > 0) & (ds.c_star < 1))

    def terms(u1, u2, s):
        f1, f2 = np.tanh(u1), np.tanh(u2)
        return [f1 * f2, (1 - f1 * f1) * (1 - f2 * f2)]

    e_ff, e_dd = expect_2d(terms, ds.q_star, ds.c_star, n=16)
    np.testing.assert_allclose((sw * e_ff + sb) / ds.q_star, ds.c_star, rtol=0, atol=1e-11)
    np.testing.assert_allclose(sw * e_dd, ds.chi_c, rtol=0, atol=1e-10)


@pytest.mark.parametrize("act", ["relu", "elu", "tanh"])
def test_inner_first_products_equal_the_generic_rule(act):
    from weight_init.activations import get_activation
    from weight_init.theory.quadrature import expect_2d, expect_2d_products

    f = get_activation(act).fn
    q, c = np.array([0.01, 1.0, 3.0, 300.0]), np.array([0.999, -0.5, 0.3, 0.9])
    (generic,) = expect_2d(lambda u1, u2, s: [f(u1) * f(u2)], q, c)
    (fast,) = expect_2d_products(lambda u1, u2, s: [(f(u1), f(u2))], q, c)
    np.testing.assert_allclose(fast, generic, rtol=1e-13, atol=1e-300)


def test_the_stable_correlation_next_to_the_critical_line():
    # chi_1 = 1.00011 and 1.000025 (points of a 200 x 200 grid): c* within 5e-4 of 1. Iterating
    # from c = 0, the previous code returned the unstable c* = 1 there (chi_c = chi_1 > 1).
    sw, sb = (
        np.array([1.9597989949748744, 2.2939698492462313]),
        np.array([0.09296482412060302, 0.20351758793969849]),
    )
    ds = depth_scales("tanh", sw, sb)
    assert np.all(ds.chi_1 > 1) and np.all(ds.chi_1 < 1.0002)
    assert np.all((ds.c_star > 0.999) & (ds.c_star < 1)) and np.all(ds.chi_c < 1) and np.all(ds.xi_c > 5000)
    np.testing.assert_allclose(correlation_map("tanh", sw, sb, ds.c_star), ds.c_star, rtol=0, atol=1e-11)
