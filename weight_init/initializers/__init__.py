"""Weight initializers as plain numpy functions.

Every initializer is called as ``init(fan_in, fan_out, rng=None)`` and returns an
array of shape ``(fan_in, fan_out)``, so that a layer computes ``H = X @ W``;
``init.sample(shape, rng)`` draws any shape (a convolution kernel in Keras' layout
``(*kernel, in_channels, out_channels)``; a shape with a zero dimension gives an empty
array).

``rng`` may be an ``int`` seed, a :class:`numpy.random.Generator` (or a legacy
``RandomState``), or ``None``. With ``None`` the draw comes from numpy's *global*
random state, exactly like ``np.random.randn``: ``np.random.seed(0)`` in a notebook makes
a run repeatable, and ``small_random(fan_in, fan_out)`` after ``np.random.seed(s)``
returns the very numbers ``0.01 * np.random.randn(fan_in, fan_out)`` would.

Most initializers are presets of Keras' ``VarianceScaling``: one mechanism,

.. math::

    \\operatorname{Var}(W_{ij}) = \\frac{\\text{scale}}{n}, \\qquad
    n = \\begin{cases} \\text{fan\\_in} \\\\ \\text{fan\\_out} \\\\
    (\\text{fan\\_in} + \\text{fan\\_out}) / 2 \\end{cases}

drawn from a truncated normal (re-scaled so that the *truncated* variable has exactly
that variance), an untruncated normal or a uniform distribution. The laws are the
classes of :mod:`weight_init.initializers.laws`; :func:`get` (in :mod:`weight_init.initializers.names`)
maps Keras', PyTorch's and the notebook's names, with their parameters, onto them.
"""

from weight_init.initializers.base import (
    Initializer,
    InitLike,
    RNGLike,
    accepts_rng,
    as_sampler,
    as_shape,
    call_init,
    compute_fans,
    init_name,
)
from weight_init.initializers.laws import (
    DISTRIBUTIONS,
    MODES,
    TRUNCATED_STD_CORRECTION,
    Constant,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from weight_init.initializers.names import get, names, parse_init, weight_variance
from weight_init.initializers.presets import (
    GAIN_NAMES,
    big_random,
    calculate_gain,
    constant,
    delta_orthogonal,
    dirac,
    eye,
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_normal_untruncated,
    he_uniform,
    identity,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    lsuv,
    normal,
    ones,
    orthogonal,
    random_normal,
    random_uniform,
    small_random,
    trunc_normal,
    truncated_normal,
    uniform,
    variance_scaling,
    xavier,
    xavier_normal,
    xavier_uniform,
    zeros,
)
from weight_init.initializers.structured import DeltaOrthogonal, Dirac, Identity, Orthogonal, Sparse

__all__ = [
    "Initializer",
    "VarianceScaling",
    "Constant",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "Orthogonal",
    "Identity",
    "Dirac",
    "DeltaOrthogonal",
    "Sparse",
    "variance_scaling",
    "zeros",
    "ones",
    "constant",
    "normal",
    "uniform",
    "small_random",
    "big_random",
    "xavier",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "identity",
    "kaiming_normal",
    "kaiming_uniform",
    "xavier_normal",
    "xavier_uniform",
    "he_normal_untruncated",
    "trunc_normal",
    "eye",
    "dirac",
    "delta_orthogonal",
    "orthogonal",
    "lsuv",
    "calculate_gain",
    "compute_fans",
    "as_sampler",
    "as_shape",
    "MODES",
    "DISTRIBUTIONS",
    "TRUNCATED_STD_CORRECTION",
    "GAIN_NAMES",
    "get",
    "names",
    "weight_variance",
    "parse_init",
    "InitLike",
    "RNGLike",
    "init_name",
    "accepts_rng",
    "call_init",
]
