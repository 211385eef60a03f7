"""Initializers: shapes, variances against their formulas, seeds, names, errors."""

import math
import re

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
    untruncated = I.VarianceScaling(2.0, "fan_in", "untruncated_normal")(1000, 1000, rng=0)
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
@pytest.mark.parametrize("distribution", ["normal", "truncated_normal", "untruncated_normal", "uniform"])
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
    assert I.calculate_gain("conv_transpose3d") == 1
    assert I.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert I.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert I.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert I.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert I.calculate_gain("selu") == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unknown nonlinearity 'swish'.*relu"):
        I.calculate_gain("swish")
    # not "anything that starts with conv"
    with pytest.raises(
        ValueError,
        match="unknown nonlinearity 'conv_banana'; expected one of: "
        "linear, identity, conv1d.*leaky_relu, selu",
    ):
        I.calculate_gain("conv_banana")


def test_get_names_and_aliases():
    assert I.get("he_normal") is I.he_normal
    assert I.get("He-Normal") is I.he_normal
    assert I.get("HeNormal") is I.he_normal
    assert I.get("keras.he_normal") is I.he_normal
    assert I.get("kaiming_uniform") is I.kaiming_uniform
    assert I.get("torch.nn.init.kaiming_normal_") is I.kaiming_normal
    assert I.get("xavier_uniform") is I.xavier_uniform
    assert I.get("xavier") is I.xavier
    assert I.get("small_random") is I.small_random
    assert I.get("TruncatedNormal") is I.truncated_normal
    assert I.get("OrthogonalInitializer").name == "orthogonal"

    def mine(fan_in, fan_out):
        return np.ones((fan_in, fan_out))

    assert I.get(mine) is mine
    for name in I.names():
        if name != "sparse":  # the one name that needs a value, as in PyTorch
            assert callable(I.get(name))


def test_a_trailing_underscore_means_pytorchs_law():
    """normal_ / uniform_ are torch.nn.init's N(0, 1) and U(0, 1); bare normal / uniform Keras'."""
    for name in ("normal_", "torch.nn.init.normal_", "Normal_"):
        law = I.get(name)
        assert (law.std, law.mean) == (1.0, 0.0)
        w = law.sample((400, 500), rng=0)
        assert np.std(w) == pytest.approx(1.0, abs=0.005)  # 200,000 draws: se 0.0016
    law = I.get("uniform_")
    assert (law.minval, law.maxval) == (0.0, 1.0)
    w = law.sample((400, 500), rng=0)
    assert w.min() >= 0 and w.max() <= 1 and np.mean(w) == pytest.approx(0.5, abs=0.003)
    assert I.get("normal").std == 0.05 and (I.get("uniform").minval, I.get("uniform").maxval) == (-0.05, 0.05)
    assert I.get("normal_(std=2)").std == 2.0 and I.get("normal_(std=2)").name == "torch.normal(std=2)"
    assert I.get("kaiming_normal_") is I.kaiming_normal
    with pytest.raises(ValueError, match="trailing underscore is PyTorch's spelling"):
        I.get("keras.normal_")


def test_pytorch_names_mean_pytorchs_untruncated_laws():
    # Keras' he_normal / glorot_normal are truncated; PyTorch's kaiming_normal /
    # xavier_normal are not, and they are different objects now.
    for torch_name, keras_name in (("kaiming_normal", "he_normal"), ("xavier_normal", "glorot_normal")):
        t, k = I.get(torch_name), I.get(keras_name)
        assert (t.distribution, k.distribution) == ("untruncated_normal", "truncated_normal")
        assert t.variance(300, 200) == pytest.approx(k.variance(300, 200))
        w = t.sample((3, 3, 32, 64), rng=0)
        std = math.sqrt(t.variance(3, 3, 32, 64))
        # beyond 2 std: 4.55% for a normal, none for the truncated one
        assert np.mean(np.abs(w) > 2 * std) == pytest.approx(0.0455, abs=0.004)
    # the article's name is the same law as PyTorch's kaiming_normal
    h = I.get("he_normal_untruncated")
    assert (h.scale, h.mode, h.distribution) == (2.0, "fan_in", "untruncated_normal")


def test_keras_normal_distribution_is_truncated():
    vs = I.variance_scaling(2.0, "fan_in", "normal")
    assert vs.distribution == "truncated_normal"
    w = vs(1000, 500, rng=1)
    assert np.max(np.abs(w)) <= 2 * math.sqrt(2.0 / 1000) / I.TRUNCATED_STD_CORRECTION
    assert I.get("variance_scaling(2, distribution=untruncated_normal)").distribution == "untruncated_normal"


def test_shared_names_keras_wins_and_torch_prefix_gives_pytorchs():
    assert (I.get("normal").std, I.get("normal").mean) == (0.05, 0.0)
    assert (I.get("torch.normal").std, I.get("torch.normal").mean) == (1.0, 0.0)
    assert (I.get("uniform").minval, I.get("uniform").maxval) == (-0.05, 0.05)
    assert (I.get("torch.uniform").minval, I.get("torch.uniform").maxval) == (0.0, 1.0)
    w = I.get("torch.uniform").sample((400, 500), rng=0)
    assert 0 <= w.min() and w.max() < 1 and np.mean(w) == pytest.approx(0.5, abs=0.003)
    assert I.get("uniform(a=0, b=1)").minval == 0.0  # PyTorch's keywords work on the plain name
    assert I.get("constant").value == 0.0 and I.get("constant:0.3").value == 0.3


@pytest.mark.parametrize(
    "spec, label, attrs",
    [
        ("normal:0.4", "normal(0.4)", {"std": 0.4, "mean": 0.0}),
        (" Normal( 0.40 ) ", "normal(0.4)", {"std": 0.4}),
        ("RandomNormal(stddev=0.1, mean=2)", "random_normal(std=0.1, mean=2)", {"std": 0.1, "mean": 2.0}),
        ("uniform:0.3", "uniform(0.3)", {"minval": -0.3, "maxval": 0.3}),
        (
            "random_uniform(minval=0, maxval=2)",
            "random_uniform(minval=0, maxval=2)",
            {"minval": 0.0, "maxval": 2.0},
        ),
        ("truncated_normal(stddev=2, mean=1)", "truncated_normal(std=2, mean=1)", {"a": -3.0, "b": 5.0}),
        ("trunc_normal(std=0.02)", "trunc_normal(std=0.02)", {"a": -2.0, "b": 2.0, "std": 0.02}),
        (
            "kaiming_normal(mode=fan_out, nonlinearity=relu)",
            "kaiming_normal(mode=fan_out, nonlinearity=relu)",
            {"scale": pytest.approx(2.0), "mode": "fan_out", "distribution": "untruncated_normal"},
        ),
        ("kaiming_uniform:2.0", "kaiming_uniform(2)", {"scale": pytest.approx(2 / 5)}),
        (
            "kaiming_normal(nonlinearity=tanh)",
            "kaiming_normal(nonlinearity=tanh)",
            {"scale": pytest.approx(25 / 9)},
        ),
        ("xavier_normal(gain=2)", "xavier_normal(gain=2)", {"scale": 4.0, "mode": "fan_avg"}),
        (
            "variance_scaling(scale=3, mode=fan_avg, distribution=uniform)",
            "variance_scaling(scale=3, mode=fan_avg, distribution=uniform)",
            {"scale": 3.0, "mode": "fan_avg", "distribution": "uniform"},
        ),
        ("sparse:0.9", "sparse(0.9)", {"sparsity": 0.9, "std": 0.01}),
        ("dirac(groups=2)", "dirac(groups=2)", {"groups": 2}),
        ("orthogonal:2", "orthogonal(2)", {"gain": 2.0}),
        ("identity(gain=3)", "identity(gain=3)", {"gain": 3.0}),
        ("constant(val=0.7)", "constant(value=0.7)", {"value": 0.7}),
        (
            {"name": "sparse", "sparsity": 0.5, "std": 0.1},
            "sparse(sparsity=0.5, std=0.1)",
            {"sparsity": 0.5, "std": 0.1},
        ),
        (
            {
                "class_name": "VarianceScaling",
                "module": "keras.initializers",
                "config": {
                    "scale": 2.0,
                    "mode": "fan_out",
                    "distribution": "uniform",
                    "seed": None,
                    "input_axes": None,
                    "output_axes": None,
                },
            },
            "variance_scaling(scale=2, mode=fan_out, distribution=uniform)",
            {"scale": 2.0, "mode": "fan_out"},
        ),
    ],
)
def test_parameterized_forms(spec, label, attrs):
    init = I.get(spec)
    assert init.name == label
    for key, value in attrs.items():
        assert getattr(init, key) == value, key


@pytest.mark.parametrize(
    "spec, words",
    [
        ("VarianceScaling(3, fan_avg, uniform)", "one value without a name sets scale"),
        ("he_normal:2", "he_normal takes no value"),
        ("normal(sigma=2)", "has no parameter 'sigma'; it takes std, mean"),
        ("kaiming_normal(mode=fan_avg)", "mode must be fan_in or fan_out"),
        ("variance_scaling(distribution=cauchy)", "distribution must be one of"),
        ("sparse", "needs its sparsity"),
        ("sparse:1.5", "sparsity must be between 0 and 1"),
        ("trunc_normal(a=3, b=1)", "a < b"),
        ("torch.he_normal", "torch.nn.init has no he_normal"),
        ("keras.kaiming_normal", "keras.initializers has no kaiming_normal"),
        ("dirac:0", "groups must be a positive integer"),
        ("normal(std=1, stddev=2)", "std is given twice"),
        ("normal:", "no value after ':'"),
        ({"config": {}}, "needs 'name'"),
        ("stft", "unknown initializer 'stft'"),
    ],
)
def test_bad_parameterized_forms(spec, words):
    with pytest.raises(ValueError, match=re.escape(words)):
        I.get(spec)


def test_get_unknown_name_lists_valid_ones():
    with pytest.raises(ValueError) as err:
        I.get("he_norm")
    message = str(err.value)
    assert "'he_norm'" in message
    for name in ("he_normal", "glorot_uniform", "xavier", "small_random", "zeros"):
        assert name in message
    with pytest.raises(ValueError, match="name or a callable"):
        I.get(3.5)


@pytest.mark.parametrize("bad", [-3, 2.5, True, "10"])
def test_bad_fans(bad):
    with pytest.raises(ValueError, match="fan_in must be a non-negative integer"):
        I.he_normal(bad, 10)


def test_bad_parameters():
    with pytest.raises(ValueError, match="mode must be one of fan_in, fan_out, fan_avg"):
        I.variance_scaling(1.0, "fan_sum")
    with pytest.raises(ValueError, match="distribution must be one of"):
        I.variance_scaling(1.0, "fan_in", "cauchy")
    with pytest.raises(ValueError, match="scale must be a positive number"):
        I.variance_scaling(-1.0)
    with pytest.raises(ValueError, match="std must be 0 or a positive number"):
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


# ----------------------------------------------------------------------------- moments

DENSE, CONV = (300, 200), (3, 3, 16, 32)
TWO_D_ONLY = {"identity", "eye", "sparse:0.9", "identity(gain=2)", "sparse(sparsity=0.3, std=1)"}
CONV_ONLY = {"dirac", "dirac:2"}
SPECS = sorted(set(I.names()) - {"sparse"}) + [
    "normal:0.4",
    "normal(std=0.3, mean=0.5)",
    "uniform(minval=0, maxval=2)",
    "torch.uniform",
    "trunc_normal(mean=1, std=2, a=0, b=5)",
    "trunc_normal(std=1, a=3, b=4)",
    "trunc_normal(mean=-1, a=-inf, b=-1.5)",
    "truncated_normal(mean=0.5, stddev=2)",
    "sparse:0.9",
    "sparse(sparsity=0.3, std=1)",
    "dirac:2",
    "kaiming_normal(mode=fan_out)",
    "kaiming_uniform(a=0.2, nonlinearity=leaky_relu)",
    "xavier_uniform:3",
    "variance_scaling(3, mode=fan_avg, distribution=untruncated_normal)",
    "constant:0.5",
    "identity(gain=2)",
    "delta_orthogonal:2",
    "orthogonal:3",
]


@pytest.mark.parametrize("shape", [DENSE, CONV, (200, 300), (3, 3, 2, 64)], ids=str)
@pytest.mark.parametrize("spec", SPECS)
def test_moments_match_the_samples(spec, shape):
    """variance() and second_moment() are what the samples have, dense and conv shapes."""
    init = I.get(spec)
    if (len(shape) == 2 and spec in CONV_ONLY) or (len(shape) > 2 and spec in TWO_D_ONLY):
        with pytest.raises(ValueError, match="needs a 2-D shape|convolution kernels"):
            init.sample(shape, rng=0)
        return
    w = init.sample(shape, rng=3)
    assert w.shape == shape
    m2, var = init.second_moment(shape), init.variance(shape)
    assert init.second_moment(*shape) == m2  # the dimensions or the tuple
    # 6 standard errors of a mean over the entries (iid laws; exact for the structured ones)
    n = w.size
    tol2 = 6 * np.std(w**2) / math.sqrt(n) + 1e-12 * m2
    assert np.mean(w**2) == pytest.approx(m2, abs=tol2)
    mean = math.sqrt(max(m2 - var, 0.0))
    tol = (
        6 * np.std((w - np.mean(w)) ** 2) / math.sqrt(n)
        + 6 * np.std(w) / math.sqrt(n) * 2 * abs(mean)
        + 1e-12 * m2
    )
    assert np.var(w) == pytest.approx(var, abs=tol)
    if len(shape) == 2:
        assert init.variance(*shape) == pytest.approx(var)  # (fan_in, fan_out)


def test_orthogonal_variance_of_a_conv_kernel_is_its_samples():
    # (3, 3, 32, 64): 288 rows, 64 orthonormal columns: mean(W^2) = 64 / (288 * 64) = 1/288,
    # not 1 / max(fan_in, fan_out) = 1/576 (the fans of a conv kernel do not say it).
    k = I.orthogonal().sample((3, 3, 32, 64), rng=0)
    assert np.mean(k**2) == pytest.approx(1 / 288, rel=1e-12)
    assert I.orthogonal().variance((3, 3, 32, 64)) == pytest.approx(1 / 288)
    assert I.orthogonal().variance(3, 3, 32, 64) == pytest.approx(1 / 288)
    assert I.orthogonal().variance(288, 576) == pytest.approx(1 / 576)  # a dense (288, 576)


@pytest.mark.parametrize("spec", SPECS)
def test_zero_size_shapes_give_empty_arrays(spec):
    init = I.get(spec)
    for shape in ((0, 4), (4, 0), (3, 3, 0, 8), (0, 0)):
        if (len(shape) == 2 and spec in CONV_ONLY) or (len(shape) > 2 and spec in TWO_D_ONLY):
            continue
        w = init.sample(shape, rng=0)
        assert w.shape == shape and w.size == 0
    if spec not in CONV_ONLY:
        assert init(0, 4, rng=0).shape == (0, 4)
        assert math.isfinite(init.second_moment(0, 4))


def test_trunc_normal_bounds_and_far_tails():
    w = I.get("trunc_normal(mean=1, std=2, a=0, b=5)").sample((500, 400), rng=0)
    assert w.min() >= 0 and w.max() <= 5 and w.min() < 0.01 and w.max() > 4.99
    # a far tail, [8, 9] std: no NaN, no mass piled on a bound, the right mean
    init = I.get("trunc_normal(a=8, b=9)")
    w = init.sample((1000, 100), rng=0)
    assert np.all((w >= 8) & (w <= 9)) and np.isfinite(w).all()
    alpha = 8.0  # E[Z | Z > 8] ~ alpha + 1/alpha - 2/alpha^3 for a narrow far tail
    assert np.mean(w) == pytest.approx(alpha + 1 / alpha - 2 / alpha**3, rel=2e-3)
    assert np.mean(w) == pytest.approx(math.sqrt(init.second_moment(3, 3) - init.variance(3, 3)), rel=1e-3)
    # Keras' TruncatedNormal: cut at mean -+ 2 std and not re-scaled
    k = I.truncated_normal
    assert (k.a, k.b) == (-0.1, 0.1)
    assert k.variance(5, 5) == pytest.approx(0.05**2 * I.TRUNCATED_STD_CORRECTION**2)


def test_dirac_is_an_identity_convolution():
    w = I.dirac.sample((3, 3, 4, 4))
    assert np.array_equal(w[1, 1], np.eye(4))
    assert np.sum(w) == 4 and np.count_nonzero(w) == 4
    # groups: out 8 = 2 groups of 4, each passes the 4 inputs through
    w = I.get("dirac:2").sample((3, 3, 4, 8))
    assert np.array_equal(w[1, 1], np.hstack([np.eye(4), np.eye(4)]))
    with pytest.raises(ValueError, match="out_channels 6 is not divisible by groups 4"):
        I.get("dirac:4").sample((3, 3, 4, 6))
    # a 1-D kernel (k, in, out) and a 3-D one (k, k, k, in, out)
    assert np.array_equal(I.dirac.sample((5, 2, 2))[2], np.eye(2))
    assert np.array_equal(I.dirac.sample((3, 3, 3, 2, 3))[1, 1, 1], np.eye(2, 3))


def test_delta_orthogonal_is_orthogonal_at_the_centre_tap_only():
    w = I.get("delta_orthogonal:2").sample((3, 3, 16, 32), rng=0)
    centre = w[1, 1]
    assert np.allclose(centre @ centre.T, 4 * np.eye(16), atol=1e-10)
    w[1, 1] = 0
    assert not w.any()
    # same seed, same kernel
    a = I.delta_orthogonal.sample((5, 5, 8, 8), rng=1)
    assert np.array_equal(a, I.delta_orthogonal.sample((5, 5, 8, 8), rng=1))
    assert np.allclose(a[2, 2].T @ a[2, 2], np.eye(8), atol=1e-10)
    # a dense weight (no spatial taps) is the orthogonal matrix itself
    d = I.delta_orthogonal(30, 20, rng=2)
    assert np.array_equal(d, I.orthogonal()(30, 20, rng=2))
    with pytest.raises(ValueError, match="convolution kernels .* got the shape \\(5,\\)"):
        I.delta_orthogonal.sample((5,))


def test_sparse_zeros_per_input_row_as_pytorch():
    w = I.get("sparse:0.25").sample((50, 30), rng=0)
    # PyTorch zeros ceil(0.25 * out) = 8 of the out entries of every input's column of its
    # (out, in) weight: here, 8 of the 30 entries of each row of (fan_in, fan_out).
    assert np.all(np.sum(w == 0, axis=1) == 8)
    assert np.std(w[w != 0]) == pytest.approx(0.01, rel=0.05)
    with pytest.raises(ValueError, match="needs a 2-D shape"):
        I.get("sparse:0.5").sample((3, 3, 2, 2))


def test_identity_and_eye():
    assert np.array_equal(I.get("identity:3").sample((3, 5)), 3 * np.eye(3, 5))
    assert np.array_equal(I.eye(4, 4), np.eye(4))
    with pytest.raises(ValueError, match="identity needs a 2-D shape"):
        I.identity.sample((3, 3, 4, 4))


def test_subclass_with_its_own_variance_keeps_working():
    class Half(I.Initializer):
        name = "half"

        def variance(self, fan_in, fan_out):
            return 0.5 / fan_in

        def sample(self, shape, rng=None):
            return math.sqrt(0.5 / shape[0]) * I.as_sampler(rng).standard_normal(shape)

    assert Half().second_moment(10, 3) == 0.05
    assert I.weight_variance(Half(), 10, 3) == 0.05
    assert Half()(4, 5, rng=0).shape == (4, 5)
