"""The package's initializers against the libraries whose names they take.

Keras: samples drawn from ``keras.initializers`` itself, for every Keras name the package
shares (snake_case identifiers and configs), on a dense and a conv shape, compared with a
two-sample Kolmogorov-Smirnov test and the bounds (or exactly, for the constant ones).

PyTorch is not a dependency: the formulas and defaults of ``torch.nn.init`` are written
out below from PyTorch's ``torch/nn/init.py`` (v2.x: ``calculate_gain``,
``_calculate_fan_in_and_fan_out``, ``_calculate_correct_fan``, ``uniform_``, ``normal_``,
``trunc_normal_``/``_no_grad_trunc_normal_``, ``constant_``, ``ones_``, ``zeros_``,
``eye_``, ``dirac_``, ``xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``,
``kaiming_normal_``, ``orthogonal_``, ``sparse_``), transcribed from memory of that file
(the source could not be fetched here), in PyTorch's weight layout ``(out, in, *kernel)``,
and checked by KS against the package's samples in Keras' layout ``(*kernel, in, out)``.

The KS p-value comes from scipy when it is installed, else from the asymptotic
Kolmogorov distribution computed with numpy. Seeds are fixed: each comparison is
deterministic; a correct law passes a p > 1e-4 threshold for all but ~1e-4 of seeds, while
a wrong one (truncated vs untruncated, a factor in the variance) gives p < 1e-10 here.
"""

import math

import numpy as np
import pytest

from weight_init import initializers as I

P_MIN = 1e-4
DENSE, CONV = (256, 128), (3, 3, 16, 32)


def ks_pvalue(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sample KS test p-value (scipy if importable, else numpy, asymptotic)."""
    x, y = np.sort(np.ravel(x)), np.sort(np.ravel(y))
    try:
        from scipy.stats import ks_2samp
    except ImportError:
        pass
    else:
        return float(ks_2samp(x, y).pvalue)
    both = np.concatenate([x, y])
    d = np.max(
        np.abs(
            np.searchsorted(x, both, side="right") / x.size - np.searchsorted(y, both, side="right") / y.size
        )
    )
    en = math.sqrt(x.size * y.size / (x.size + y.size))
    lam = (en + 0.12 + 0.11 / en) * d
    k = np.arange(1, 101)
    return float(np.clip(2 * np.sum((-1.0) ** (k - 1) * np.exp(-2 * k**2 * lam**2)), 0, 1))


def test_numpy_ks_fallback_agrees_with_its_purpose():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(5000), rng.standard_normal(5000)
    assert ks_pvalue(a, b) > 0.01
    assert ks_pvalue(a, 1.3 * b) < 1e-6


# ----------------------------------------------------------------------------- Keras

keras = pytest.importorskip("keras")

#: Every Keras identifier the package shares (keras.initializers.get's snake_case names
#: and aliases; the class names are the same objects), and configs with parameters.
KERAS_SPECS = [
    "zeros",
    "ones",
    "zero",
    "one",
    "constant",
    "random_normal",
    "normal",
    "random_uniform",
    "uniform",
    "truncated_normal",
    "variance_scaling",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "orthogonal",
    "identity",
    {"class_name": "Constant", "config": {"value": 0.7}},
    {"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.3}},
    {"class_name": "RandomUniform", "config": {"minval": -0.2, "maxval": 0.5}},
    {"class_name": "TruncatedNormal", "config": {"mean": 0.5, "stddev": 2.0}},
    {"class_name": "Orthogonal", "config": {"gain": 2.0}},
    {"class_name": "Identity", "config": {"gain": 3.0}},
] + [
    {"class_name": "VarianceScaling", "config": {"scale": 3.0, "mode": mode, "distribution": dist}}
    for mode, dist in (
        ("fan_avg", "normal"),
        ("fan_out", "truncated_normal"),
        ("fan_in", "untruncated_normal"),
        ("fan_avg", "uniform"),
    )
]
CONSTANT = {"zeros", "ones", "zero", "one", "constant", "identity", "Constant", "Identity"}


def _keras_sample(spec, shape, seed=1234):
    if spec == "constant":  # keras.initializers.get("constant") needs a config's value
        return keras.ops.convert_to_numpy(keras.initializers.Constant()(shape)).astype(float)
    config = (
        {"class_name": spec, "config": {}}
        if isinstance(spec, str)
        else {"class_name": spec["class_name"], "config": dict(spec["config"])}
    )
    if _name(spec) not in CONSTANT:
        config["config"]["seed"] = seed
    return keras.ops.convert_to_numpy(keras.initializers.get(config)(shape)).astype(float)


def _name(spec):
    return spec if isinstance(spec, str) else spec["class_name"]


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize(
    "spec",
    KERAS_SPECS,
    ids=lambda s: (
        _name(s) + ("" if isinstance(s, str) else "(" + ",".join(map(str, s["config"].values())) + ")")
    ),
)
def test_same_law_as_keras(spec, shape):
    if _name(spec) in ("identity", "Identity") and len(shape) != 2:
        with pytest.raises(ValueError):
            I.get(spec).sample(shape)
        return
    ours = I.get(spec).sample(shape, rng=7)
    theirs = _keras_sample(spec, shape)
    assert ours.shape == theirs.shape == shape
    if _name(spec) in CONSTANT:
        assert np.allclose(ours, theirs, rtol=1e-6, atol=0)
        return
    assert ks_pvalue(ours, theirs) > P_MIN
    # the same support: bounded laws stay in Keras' range (10%: the extremes of unbounded
    # ones differ between samples, not by the 2 std of a truncation)
    span = np.ptp(theirs)
    assert ours.min() >= theirs.min() - 0.1 * span and ours.max() <= theirs.max() + 0.1 * span
    init = I.get(spec)
    if init.variance(shape) is not None:
        assert init.variance(shape) == pytest.approx(np.var(theirs), rel=0.1)


def test_ks_tells_truncated_from_untruncated():
    """The comparison has power: PyTorch's kaiming_normal is not Keras' he_normal."""
    shape = (3, 3, 64, 128)
    ours = I.get("kaiming_normal").sample(shape, rng=7)
    keras_he = _keras_sample("he_normal", shape)
    assert ks_pvalue(ours, keras_he) < 1e-10
    assert ks_pvalue(I.get("he_normal").sample(shape, rng=7), keras_he) > P_MIN


def test_keras_initializer_wraps_every_law_and_empty_shapes():
    from weight_init.keras_tools.initializer import keras_initializer

    for shape in ((0, 4), (3, 3, 0, 8)):
        w = keras_initializer("he_normal", seed=0)(shape)
        assert tuple(w.shape) == shape
        assert tuple(keras.initializers.HeNormal(seed=0)(shape).shape) == shape
    kernel = keras_initializer("delta_orthogonal", seed=0)((3, 3, 8, 8))
    centre = keras.ops.convert_to_numpy(kernel)[1, 1]
    assert np.allclose(centre.T @ centre, np.eye(8), atol=1e-5)


# ----------------------------------------------------------------------------- PyTorch
# torch.nn.init, transcribed (see the module docstring); shapes in PyTorch's layout.


def torch_calculate_gain(nonlinearity, param=None):
    linear_fns = [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
    ]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    elif nonlinearity == "tanh":
        return 5.0 / 3
    elif nonlinearity == "relu":
        return math.sqrt(2.0)
    elif nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    elif nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def torch_fans(shape):
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dims")
    receptive_field_size = math.prod(shape[2:])
    return shape[1] * receptive_field_size, shape[0] * receptive_field_size


def torch_kaiming_normal_(shape, g, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    fan = torch_fans(shape)[0 if mode == "fan_in" else 1]
    std = torch_calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return g.normal(0, std, shape)


def torch_kaiming_uniform_(shape, g, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    fan = torch_fans(shape)[0 if mode == "fan_in" else 1]
    bound = math.sqrt(3.0) * torch_calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return g.uniform(-bound, bound, shape)


def torch_xavier_normal_(shape, g, gain=1.0):
    fan_in, fan_out = torch_fans(shape)
    return g.normal(0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), shape)


def torch_xavier_uniform_(shape, g, gain=1.0):
    fan_in, fan_out = torch_fans(shape)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return g.uniform(-a, a, shape)


def torch_normal_(shape, g, mean=0.0, std=1.0):
    return g.normal(mean, std, shape)


def torch_uniform_(shape, g, a=0.0, b=1.0):
    return g.uniform(a, b, shape)


def torch_trunc_normal_(shape, g, mean=0.0, std=1.0, a=-2.0, b=2.0):
    def norm_cdf(x):
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low, up = norm_cdf((a - mean) / std), norm_cdf((b - mean) / std)
    u = g.uniform(2 * low - 1, 2 * up - 1, shape)
    try:
        from scipy.special import erfinv
    except ImportError:  # the same law by rejection
        x = g.normal(mean, std, 20 * math.prod(shape))
        x = x[(x >= a) & (x <= b)][: math.prod(shape)]
        assert x.size == math.prod(shape)
        return x.reshape(shape)
    return np.clip(erfinv(u) * std * math.sqrt(2.0) + mean, a, b)


def torch_orthogonal_(shape, g, gain=1.0):
    rows = shape[0]
    cols = math.prod(shape) // rows
    flattened = g.normal(0, 1, (rows, cols))
    if rows < cols:
        flattened = flattened.T
    q, r = np.linalg.qr(flattened)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape)


def torch_sparse_(shape, g, sparsity, std=0.01):
    rows, cols = shape
    num_zeros = int(math.ceil(sparsity * rows))
    w = g.normal(0, std, shape)
    for col_idx in range(cols):
        zero_indices = g.permutation(rows)[:num_zeros]
        w[zero_indices, col_idx] = 0
    return w


def torch_eye_(shape, g):
    return np.eye(*shape)


def torch_dirac_(shape, g, groups=1):
    if len(shape) not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out_chans_per_grp = shape[0] // groups
    min_dim = min(out_chans_per_grp, shape[1])
    w = np.zeros(shape)
    for grp in range(groups):
        for d in range(min_dim):
            w[(grp * out_chans_per_grp + d, d) + tuple(k // 2 for k in shape[2:])] = 1
    return w


def to_keras_layout(w):
    """(out, in, *kernel) -> (*kernel, in, out); (out, in) -> (in, out)."""
    return np.transpose(w, tuple(range(2, w.ndim)) + (1, 0))


T_DENSE, T_CONV = (DENSE[1], DENSE[0]), (CONV[3], CONV[2], CONV[0], CONV[1])

#: (spec for get, torch function, its keyword arguments); None: PyTorch's defaults.
TORCH_CASES = [
    ("kaiming_normal", torch_kaiming_normal_, {}),
    ("kaiming_normal(a=0.2, mode=fan_out)", torch_kaiming_normal_, {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_normal(nonlinearity=tanh)", torch_kaiming_normal_, {"nonlinearity": "tanh"}),
    ("kaiming_uniform", torch_kaiming_uniform_, {}),
    (
        "kaiming_uniform(a=2.236, nonlinearity=leaky_relu)",
        torch_kaiming_uniform_,
        {"a": 2.236},
    ),  # nn.Linear's reset_parameters: a = sqrt(5)
    ("xavier_normal", torch_xavier_normal_, {}),
    ("xavier_normal:1.6667", torch_xavier_normal_, {"gain": 1.6667}),
    ("xavier_uniform", torch_xavier_uniform_, {}),
    ("torch.normal", torch_normal_, {}),
    ("normal(mean=1, std=0.3)", torch_normal_, {"mean": 1.0, "std": 0.3}),
    ("torch.uniform", torch_uniform_, {}),
    ("uniform(a=-0.2, b=0.5)", torch_uniform_, {"a": -0.2, "b": 0.5}),
    ("trunc_normal", torch_trunc_normal_, {}),
    ("trunc_normal(std=0.02)", torch_trunc_normal_, {"std": 0.02}),
    (
        "trunc_normal(mean=1, std=2, a=0, b=5)",
        torch_trunc_normal_,
        {"mean": 1.0, "std": 2.0, "a": 0.0, "b": 5.0},
    ),
    ("orthogonal", torch_orthogonal_, {}),
    ("orthogonal:2", torch_orthogonal_, {"gain": 2.0}),
]


@pytest.mark.parametrize("shape", [T_DENSE, T_CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("spec, fn, kwargs", TORCH_CASES, ids=[c[0] for c in TORCH_CASES])
def test_same_law_as_pytorch(spec, fn, kwargs, shape):
    theirs = to_keras_layout(fn(shape, np.random.default_rng(1), **kwargs))
    ours = I.get(spec).sample(theirs.shape, rng=2)
    assert ks_pvalue(ours, theirs) > P_MIN
    span = np.ptp(theirs)
    assert ours.min() >= theirs.min() - 0.1 * span and ours.max() <= theirs.max() + 0.1 * span
    assert I.get(spec).variance(theirs.shape) == pytest.approx(np.var(theirs), rel=0.1)


def test_pytorch_layouts_of_structured_laws():
    g = np.random.default_rng(0)
    assert np.array_equal(I.eye.sample((5, 3)), to_keras_layout(torch_eye_((3, 5), g)))
    for shape, groups in (((8, 4, 3, 3), 1), ((8, 4, 3, 3), 2), ((6, 6, 5), 3), ((4, 2, 3, 3, 3), 1)):
        theirs = to_keras_layout(torch_dirac_(shape, g, groups))
        assert np.array_equal(I.get(f"dirac:{groups}").sample(theirs.shape), theirs), shape
    # orthogonal: the filters (PyTorch's rows, the package's columns) are orthonormal
    ours = I.orthogonal().sample((3, 3, 16, 32), rng=0).reshape(-1, 32)
    assert np.allclose(ours.T @ ours, np.eye(32), atol=1e-10)
    # sparse: per input unit, ceil(sparsity * out) zeros; the rest N(0, std^2)
    theirs = to_keras_layout(torch_sparse_((40, 300), g, 0.3, std=0.5))
    ours = I.get("sparse(sparsity=0.3, std=0.5)").sample(theirs.shape, rng=1)
    assert np.array_equal(np.sum(ours == 0, axis=1), np.sum(theirs == 0, axis=1))
    assert ks_pvalue(ours[ours != 0], theirs[theirs != 0]) > P_MIN
    for value in (0.0, 1.0, 0.3):
        w = I.get(f"constant:{value}").sample((3, 4))
        assert np.array_equal(w, np.full((3, 4), value))
    assert np.array_equal(I.get("zeros").sample((2, 2)), np.zeros((2, 2)))
    assert np.array_equal(I.get("ones").sample((2, 2)), np.ones((2, 2)))


@pytest.mark.parametrize(
    "name",
    [
        "linear",
        "conv1d",
        "conv2d",
        "conv3d",
        "conv_transpose1d",
        "conv_transpose2d",
        "conv_transpose3d",
        "sigmoid",
        "tanh",
        "relu",
        "leaky_relu",
        "selu",
    ],
)
def test_calculate_gain_as_pytorch(name):
    assert I.calculate_gain(name) == pytest.approx(torch_calculate_gain(name))
    if name == "leaky_relu":
        for slope in (0, 0.2, 1, 3.5):
            assert I.calculate_gain(name, slope) == pytest.approx(torch_calculate_gain(name, slope))
    with pytest.raises(ValueError, match="unknown nonlinearity"):
        I.calculate_gain(name + "_banana")
