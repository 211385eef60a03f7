"""Initializers: shapes, variances against their formulas, seeds, names, errors."""

import math

import numpy as np
import pytest

from weight_init import initializers as I

FANS = [(500, 500), (784, 100), (100, 300), (64, 1000)]

# name -> Var(W) as a function of (fan_in, fan_out), straight from the formulas.
EXPECTED_VARIANCE = {
    "small_random": lambda i, o: 0.01**2,
    "big_random": lambda i, o: 1.0,
    "xavier": lambda i, o: 1.0 / i,
    "glorot_normal": lambda i, o: 2.0 / (i + o),
    "glorot_uniform": lambda i, o: 2.0 / (i + o),
    "he_normal": lambda i, o: 2.0 / i,
    "he_uniform": lambda i, o: 2.0 / i,
    "lecun_normal": lambda i, o: 1.0 / i,
    "lecun_uniform": lambda i, o: 1.0 / i,
    "orthogonal": lambda i, o: 1.0 / max(i, o),
    "random_normal": lambda i, o: 0.05**2,
    "random_uniform": lambda i, o: 0.05**2 / 3,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANCE))
@pytest.mark.parametrize("fan_in,fan_out", FANS)
def test_variance_matches_formula(name, fan_in, fan_out):
    w = I.get(name)(fan_in, fan_out, rng=12345)
    assert w.shape == (fan_in, fan_out)
    expected = EXPECTED_VARIANCE[name](fan_in, fan_out)
    n = w.size
    # The sample variance of n iid draws has relative standard error sqrt(2/n) for a
    # normal (less for a uniform); 6 standard errors (at most 5% for these fans) is a
    # tolerance a correct implementation fails with probability < 1e-8, while a wrong
    # constant (a factor 2, a missing truncation correction: 0.774x) is always caught.
    tol = 6 * math.sqrt(2.0 / n)
    if name == "orthogonal":  # entries are not independent; exact in total
        assert np.sum(w**2) == pytest.approx(min(fan_in, fan_out), rel=1e-9)
    else:
        assert np.var(w) == pytest.approx(expected, rel=tol)
    assert abs(np.mean(w)) < 6 * math.sqrt(expected / n)
    assert I.get(name).variance(fan_in, fan_out) == pytest.approx(expected)


def test_truncation_correction_is_needed_and_right():
    # A truncated normal without the 0.8796 correction has variance 0.774 of the target.
    w = I.he_normal(1000, 1000, rng=0)
    assert np.var(w) == pytest.approx(2.0 / 1000, rel=0.01)
    assert np.max(np.abs(w)) <= 2.0 * math.sqrt(2.0 / 1000) / I.TRUNCATED_STD_CORRECTION + 1e-12
    # and the distribution really is truncated: nothing beyond the bound, ~4.6% of a
    # plain normal would be.
    untruncated = I.VarianceScaling(2.0, "fan_in", "normal")(1000, 1000, rng=0)
    assert np.mean(np.abs(untruncated) > 2 * math.sqrt(2.0 / 1000)) == pytest.approx(0.0455, abs=0.002)


def test_uniform_limits():
    fan_in, fan_out = 300, 200
    w = I.glorot_uniform(fan_in, fan_out, rng=1)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    assert np.max(np.abs(w)) <= limit
    assert np.max(np.abs(w)) > 0.99 * limit
    w = I.he_uniform(fan_in, fan_out, rng=1)
    assert np.max(np.abs(w)) <= math.sqrt(6.0 / fan_in)


@pytest.mark.parametrize("mode,n", [("fan_in", 100), ("fan_out", 400), ("fan_avg", 250)])
@pytest.mark.parametrize("distribution", ["normal", "truncated_normal", "uniform"])
def test_variance_scaling_modes(mode, n, distribution):
    init = I.variance_scaling(3.0, mode, distribution)
    w = init(100, 400, rng=7)
    assert np.var(w) == pytest.approx(3.0 / n, rel=6 * math.sqrt(2 / w.size))


def test_constants():
    assert np.array_equal(I.zeros(3, 4), np.zeros((3, 4)))
    assert np.array_equal(I.ones(2, 5), np.ones((2, 5)))
    assert np.array_equal(I.constant(0.1)(2, 2), np.full((2, 2), 0.1))
    assert I.get("zeros").second_moment(3, 3) == 0.0
    assert I.constant(0.5).second_moment(3, 3) == 0.25


def test_normal_and_uniform_parameters():
    w = I.normal(0.4)(400, 500, rng=3)
    assert np.std(w) == pytest.approx(0.4, rel=0.01)
    w = I.uniform(0.3)(400, 500, rng=3)
    assert np.max(np.abs(w)) <= 0.3
    assert np.var(w) == pytest.approx(0.09 / 3, rel=0.01)


def test_orthogonal_is_orthogonal_with_gain():
    w = I.orthogonal(2.0)(300, 100, rng=0)
    assert np.allclose(w.T @ w, 4.0 * np.eye(100), atol=1e-10)
    w = I.orthogonal()(100, 300, rng=0)
    assert np.allclose(w @ w.T, np.eye(100), atol=1e-10)
    k = I.orthogonal().sample((3, 3, 8, 16), rng=0)
    flat = k.reshape(-1, 16)
    assert np.allclose(flat.T @ flat, np.eye(16), atol=1e-10)


def test_global_state_matches_notebook():
    """rng=None draws exactly what the notebook's np.random.randn code draws."""
    np.random.seed(42)
    expected_small = 0.01 * np.random.randn(50, 60)
    expected_xavier = np.random.randn(60, 70) / np.sqrt(60)
    np.random.seed(42)
    assert np.array_equal(I.small_random(50, 60), expected_small)
    assert np.allclose(I.xavier(60, 70), expected_xavier, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANCE))
def test_seed_repeatable(name):
    init = I.get(name)
    a = init(30, 40, rng=5)
    b = init(30, 40, rng=5)
    c = init(30, 40, rng=6)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    assert np.array_equal(init(30, 40, rng=g1), init(30, 40, rng=g2))
    # a generator advances: two draws from one generator differ
    g = np.random.default_rng(9)
    assert not np.array_equal(init(30, 40, rng=g), init(30, 40, rng=g))


def test_compute_fans():
    assert I.compute_fans((784, 100)) == (784, 100)
    assert I.compute_fans((3, 3, 32, 64)) == (3 * 3 * 32, 3 * 3 * 64)
    assert I.compute_fans((10,)) == (10, 10)
    w = I.he_normal.sample((3, 3, 32, 64), rng=0)
    assert w.shape == (3, 3, 32, 64)
    assert np.var(w) == pytest.approx(2.0 / 288, rel=0.03)


def test_calculate_gain():
    assert I.calculate_gain("linear") == 1
    assert I.calculate_gain("sigmoid") == 1
    assert I.calculate_gain("conv2d") == 1
    assert I.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert I.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert I.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert I.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert I.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'.*relu"):
        I.calculate_gain("swish")


def test_get_names_and_aliases():
    assert I.get("he_normal") is I.he_normal
    assert I.get("He-Normal") is I.he_normal
    assert I.get("kaiming_uniform") is I.he_uniform
    assert I.get("xavier_uniform") is I.glorot_uniform
    assert I.get("xavier") is I.xavier
    assert I.get("small_random") is I.small_random

    def mine(fan_in, fan_out):
        return np.ones((fan_in, fan_out))

    assert I.get(mine) is mine
    for name in I.names():
        assert callable(I.get(name))


def test_get_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError) as err:
        I.get("he_norm")
    message = str(err.value)
    assert "'he_norm'" in message
    for name in ("he_normal", "glorot_uniform", "xavier", "small_random", "zeros"):
        assert name in message
    with pytest.raises(ValueError, match="name or a callable"):
        I.get(3.5)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_bad_fans(bad):
    with pytest.raises(ValueError, match="fan_in must be a positive integer"):
        I.he_normal(bad, 10)


def test_bad_parameters():
    with pytest.raises(ValueError, match="mode must be one of fan_in, fan_out, fan_avg"):
        I.variance_scaling(1.0, "fan_sum")
    with pytest.raises(ValueError, match="distribution must be one of"):
        I.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="scale must be a positive number"):
        I.variance_scaling(-1.0)
    with pytest.raises(ValueError, match="std must be a non-negative number"):
        I.normal(-0.1)
    with pytest.raises(TypeError, match="rng must be"):
        I.he_normal(3, 3, rng="seed")


def test_weight_variance_reads_parameters_or_estimates():
    assert I.weight_variance("he_normal", 200, 100) == pytest.approx(0.01)
    assert I.weight_variance(I.normal(0.3, mean=0.4), 5, 5) == pytest.approx(0.25)

    def mine(fan_in, fan_out):
        return np.random.randn(fan_in, fan_out) * 0.2

    assert I.weight_variance(mine, 500, 500) == pytest.approx(0.04, rel=0.02)


def test_call_init_seeds_plain_functions_without_side_effects():
    def mine(fan_in, fan_out):
        return np.random.randn(fan_in, fan_out)

    np.random.seed(0)
    before = np.random.get_state()[1].copy()
    a = I.call_init(mine, 4, 5, rng=11)
    assert np.array_equal(np.random.get_state()[1], before)
    b = I.call_init(mine, 4, 5, rng=11)
    assert np.array_equal(a, b)
