"""The named initializers (``he_normal``, ``xavier``, the notebook's ``small_random``, ...)
as instances of the laws, and PyTorch's ``calculate_gain``."""

from __future__ import annotations

import math

from weight_init.initializers.laws import (
    Constant,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from weight_init.initializers.structured import DeltaOrthogonal, Dirac, Identity, Orthogonal

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
    if not (
        isinstance(limit, (int, float))
        and not isinstance(limit, bool)
        and math.isfinite(limit)
        and limit >= 0
    ):
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
#: ``--inits lsuv`` then rescale each layer on the data with :func:`weight_init.keras_tools.lsuv.lsuv`;
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
_LINEAR_GAINS = (
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)
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
    raise ValueError(f"unknown nonlinearity {nonlinearity!r}; expected one of: {', '.join(GAIN_NAMES)}")
