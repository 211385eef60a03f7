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
classes of :mod:`weight_init.init_laws`; :func:`get` (in :mod:`weight_init.init_names`)
maps Keras', PyTorch's and the notebook's names, with their parameters, onto them.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Union

import numpy as np

from .init_laws import (
    DISTRIBUTIONS,
    MODES,
    TRUNCATED_STD_CORRECTION,
    Constant,
    Initializer,
    RandomNormal,
    RandomUniform,
    RNGLike,
    TruncatedNormal,
    VarianceScaling,
    as_sampler,
    as_shape,
    compute_fans,
)
from .init_structured import DeltaOrthogonal, Dirac, Identity, Orthogonal, Sparse

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
]


# ----------------------------------------------------------------------------- presets


def variance_scaling(
    scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"
) -> VarianceScaling:
    """Keras' mechanism: ``Var(W_ij) = scale / n`` (see :class:`VarianceScaling`).

    ``distribution`` is ``'truncated_normal'`` (also spelled ``'normal'``, as in Keras),
    ``'untruncated_normal'`` or ``'uniform'``.
    """
    return VarianceScaling(scale, mode, distribution)


def constant(value: float) -> Constant:
    """``W_ij = value``."""
    return Constant(value)


def normal(std: float = 0.05, mean: float = 0.0) -> RandomNormal:
    """``W_ij ~ N(mean, std^2)``."""
    return RandomNormal(std, mean)


def uniform(limit: float = 0.05) -> RandomUniform:
    """``W_ij ~ U(-limit, limit)``, ``Var = limit^2 / 3``."""
    if not (isinstance(limit, (int, float)) and not isinstance(limit, bool)
            and math.isfinite(limit) and limit >= 0):
        raise ValueError(f"limit must be a non-negative number, got {limit!r}")
    return RandomUniform(-limit, limit, name=f"uniform({limit:g})")


def orthogonal(gain: float = 1.0) -> Orthogonal:
    """``gain`` times a Haar-random (semi-)orthogonal matrix (see :class:`Orthogonal`)."""
    return Orthogonal(gain)


#: ``W = 0``. All units of a layer compute the same thing and get the same update.
zeros = Constant(0.0, name="zeros")
#: ``W = 1``.
ones = Constant(1.0, name="ones")
#: The notebook's ``0.01 * np.random.randn(fan_in, fan_out)``: ``W ~ N(0, 0.01^2)``.
small_random = RandomNormal(0.01, name="small_random")
#: The notebook's ``1 * np.random.randn(fan_in, fan_out)``: ``W ~ N(0, 1)``.
big_random = RandomNormal(1.0, name="big_random")
#: The notebook's ``np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)``:
#: ``W ~ N(0, 1 / fan_in)`` (variance scaling, scale 1, fan_in, untruncated normal).
xavier = VarianceScaling(1.0, "fan_in", "untruncated_normal", name="xavier")
#: Glorot & Bengio (2010), Keras' ``glorot_normal``: truncated normal with
#: ``Var(W) = 2 / (fan_in + fan_out)``.
glorot_normal = VarianceScaling(1.0, "fan_avg", "truncated_normal", name="glorot_normal")
#: Glorot & Bengio (2010): ``W ~ U(-l, l)``, ``l = sqrt(6 / (fan_in + fan_out))``.
glorot_uniform = VarianceScaling(1.0, "fan_avg", "uniform", name="glorot_uniform")
#: He et al. (2015), Keras' ``he_normal``: truncated normal with ``Var(W) = 2 / fan_in``.
he_normal = VarianceScaling(2.0, "fan_in", "truncated_normal", name="he_normal")
#: He et al. (2015): ``W ~ U(-l, l)``, ``l = sqrt(6 / fan_in)``.
he_uniform = VarianceScaling(2.0, "fan_in", "uniform", name="he_uniform")
#: LeCun et al. (1998), Keras' ``lecun_normal``: truncated normal, ``Var(W) = 1 / fan_in``.
lecun_normal = VarianceScaling(1.0, "fan_in", "truncated_normal", name="lecun_normal")
#: LeCun et al. (1998): ``W ~ U(-l, l)``, ``l = sqrt(3 / fan_in)``.
lecun_uniform = VarianceScaling(1.0, "fan_in", "uniform", name="lecun_uniform")
#: Keras' ``RandomNormal()``: ``N(0, 0.05^2)``.
random_normal = RandomNormal(0.05, name="random_normal")
#: Keras' ``RandomUniform()``: ``U(-0.05, 0.05)``.
random_uniform = RandomUniform(-0.05, 0.05, name="random_uniform")
#: Keras' ``TruncatedNormal()``: ``N(0, 0.05^2)`` cut at 2 std, *not* re-scaled
#: (its variance is ``0.7737 * 0.05^2``).
truncated_normal = TruncatedNormal(0.0, 0.05, name="truncated_normal")
#: Keras' ``Identity()``: the identity matrix (2-D only).
identity = Identity(1.0, name="identity")
#: PyTorch's ``kaiming_normal_()`` (a=0, fan_in, leaky_relu: gain sqrt 2): the
#: *untruncated* ``N(0, 2 / fan_in)``.
kaiming_normal = VarianceScaling(2.0, "fan_in", "untruncated_normal", name="kaiming_normal")
#: PyTorch's ``kaiming_uniform_()``: ``U(-l, l)``, ``l = sqrt(6 / fan_in)`` (= he_uniform).
kaiming_uniform = VarianceScaling(2.0, "fan_in", "uniform", name="kaiming_uniform")
#: PyTorch's ``xavier_normal_()``: the *untruncated* ``N(0, 2 / (fan_in + fan_out))``.
xavier_normal = VarianceScaling(1.0, "fan_avg", "untruncated_normal", name="xavier_normal")
#: PyTorch's ``xavier_uniform_()``: ``U(-l, l)``, ``l = sqrt(6 / (fan_in + fan_out))``.
xavier_uniform = VarianceScaling(1.0, "fan_avg", "uniform", name="xavier_uniform")
#: The article's He normal: PyTorch's ``kaiming_normal`` under the package's old name.
he_normal_untruncated = kaiming_normal.renamed("he_normal_untruncated")
#: LSUV's starting point (Mishkin & Matas 2016): ``orthogonal`` with gain 1. The scripts'
#: ``--inits lsuv`` then rescale each layer on the data with :func:`weight_init.lsuv.lsuv`;
#: drawn alone, it is just the orthogonal law (LSUV needs the model and the data).
lsuv = Orthogonal(1.0, name="lsuv")
#: PyTorch's ``trunc_normal_()``: ``N(0, 1)`` restricted to ``[-2, 2]``, not re-scaled.
trunc_normal = TruncatedNormal(0.0, 1.0, -2.0, 2.0, name="trunc_normal")
#: PyTorch's ``eye_``: the identity matrix (2-D only).
eye = Identity(1.0, name="eye")
#: PyTorch's ``dirac_()``: identity convolution kernels.
dirac = Dirac(1, name="dirac")
#: Delta-orthogonal convolution kernels (Xiao et al. 2018).
delta_orthogonal = DeltaOrthogonal(1.0, name="delta_orthogonal")

#: ``calculate_gain`` names with gain 1 (PyTorch's ``linear_fns``, plus ``identity``).
_LINEAR_GAINS = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                 "conv_transpose2d", "conv_transpose3d", "sigmoid")
GAIN_NAMES = _LINEAR_GAINS + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    ==================================================  ============================
    linear, conv1d/2d/3d, conv_transpose1d/2d/3d,        1
    sigmoid (and ``identity``)
    tanh                                                 5/3
    relu                                                 sqrt(2)
    leaky_relu                                           sqrt(2 / (1 + slope^2)),
                                                         slope ``param`` (default 0.01)
    selu                                                 3/4
    ==================================================  ============================

    Raises
    ------
    ValueError
        Any other name (the message lists the valid ones) or a non-numeric slope.
    """
    key = str(nonlinearity).strip().lower()
    if key in _LINEAR_GAINS:
        return 1.0
    if key == "tanh":
        return 5.0 / 3.0
    if key == "relu":
        return math.sqrt(2.0)
    if key == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ValueError(f"negative_slope must be a number, got {slope!r}")
        return math.sqrt(2.0 / (1.0 + slope**2))
    if key == "selu":
        return 3.0 / 4.0
    raise ValueError(
        f"unknown nonlinearity {nonlinearity!r}; expected one of: {', '.join(GAIN_NAMES)}"
    )


InitLike = Union[str, dict, Initializer, Callable[..., np.ndarray]]


def init_name(init: InitLike) -> str:
    """A readable name for an initializer, a name or a user function."""
    if isinstance(init, str):
        return init
    if isinstance(init, Initializer):
        return init.name
    return getattr(init, "__name__", None) or repr(init)


def weight_variance(init: InitLike, fan_in: int, fan_out: int, rng: RNGLike = 0) -> float:
    """``E[W_ij^2]`` of an initializer for a ``(fan_in, fan_out)`` weight.

    Read off the initializer's parameters where it has them (variance scaling and the
    other classes here); for a user's function, estimated from one draw as
    ``mean(W ** 2)``. With ``rng=None`` such a draw uses numpy's global random state.
    """
    init = get(init)
    if isinstance(init, Initializer):
        moment = init.second_moment(fan_in, fan_out)
        if moment is not None:
            return float(moment)
    w = np.asarray(call_init(init, fan_in, fan_out, rng))
    return float(np.mean(np.square(w)))


def accepts_rng(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` takes an ``rng`` argument (ours do; a notebook's may not)."""
    if isinstance(fn, Initializer):
        return True
    import inspect

    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "rng" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def call_init(fn: Callable[..., Any], fan_in: int, fan_out: int, rng: RNGLike = None) -> Any:
    """Call ``fn(fan_in, fan_out)``, seeding it repeatably when a seed is given.

    An initializer that takes ``rng`` gets it. A plain user function
    ``init(fan_in, fan_out)`` draws from numpy's global state; when ``rng`` is not
    ``None`` that state is seeded from ``rng`` for the call and restored afterwards,
    so the same seed gives the same weights without disturbing the caller's stream.
    """
    if accepts_rng(fn):
        return fn(fan_in, fan_out, rng=rng)
    if rng is None:
        return fn(fan_in, fan_out)
    gen = as_sampler(rng)
    if isinstance(gen, np.random.Generator):
        seed = int(gen.integers(0, 2**32 - 1))
    else:
        seed = int(gen.randint(0, 2**32 - 1))
    saved = np.random.get_state()
    np.random.seed(seed)
    try:
        return fn(fan_in, fan_out)
    finally:
        np.random.set_state(saved)


# The names (Keras', PyTorch's, the notebook's) and their parameters: weight_init.init_names.
from .init_names import get, names, parse_init  # noqa: E402

__all__ += ["parse_init"]
