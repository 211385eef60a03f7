"""Weight initializers as plain numpy functions.

Every initializer is called as ``init(fan_in, fan_out, rng=None)`` and returns an
array of shape ``(fan_in, fan_out)``, so that a layer computes ``H = X @ W``.

``rng`` may be an ``int`` seed, a :class:`numpy.random.Generator` (or a legacy
``RandomState``), or ``None``. With ``None`` the draw comes from numpy's *global*
random state, exactly like ``np.random.randn``: ``np.random.seed(0)`` in a notebook makes
a run repeatable, and ``small_random(fan_in, fan_out)`` after ``np.random.seed(s)``
returns the very numbers ``0.01 * np.random.randn(fan_in, fan_out)`` would.

The design follows Keras' ``VarianceScaling``: one mechanism,

.. math::

    \\operatorname{Var}(W_{ij}) = \\frac{\\text{scale}}{n}, \\qquad
    n = \\begin{cases} \\text{fan\\_in} \\\\ \\text{fan\\_out} \\\\
    (\\text{fan\\_in} + \\text{fan\\_out}) / 2 \\end{cases}

drawn from a normal, a truncated normal (re-scaled so that the *truncated* variable
has exactly that variance) or a uniform distribution, with the named initializers
(``glorot_normal``, ``he_uniform``, ``xavier``, ...) as presets. Fans of a
convolution kernel are computed as Keras and PyTorch do (:func:`compute_fans`).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Union

import numpy as np

from .validation import is_positive_int

__all__ = [
    "Initializer",
    "VarianceScaling",
    "Constant",
    "RandomNormal",
    "RandomUniform",
    "Orthogonal",
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
    "orthogonal",
    "calculate_gain",
    "compute_fans",
    "as_sampler",
    "get",
    "names",
    "weight_variance",
]

RNGLike = Union[None, int, np.random.Generator, np.random.RandomState]

#: Standard deviation of a standard normal truncated to [-2, 2]:
#: ``sqrt(1 - 4 * phi(2) / (Phi(2) - Phi(-2)))``. Dividing by it makes a truncated
#: normal have the standard deviation it promises (Keras uses the same constant).
TRUNCATED_STD_CORRECTION = 0.87962566103423978

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("normal", "truncated_normal", "uniform")


def as_sampler(rng: RNGLike) -> Any:
    """Return an object with ``standard_normal``, ``uniform`` methods for ``rng``.

    ``None`` gives the ``numpy.random`` module itself (the global state), an ``int``
    a fresh ``numpy.random.default_rng(int)``, and a Generator/RandomState itself.
    """
    if rng is None:
        return np.random
    if isinstance(rng, (np.random.Generator, np.random.RandomState)):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be None, an int seed or a numpy.random.Generator, got {rng!r}"
    )


def _check_fans(fan_in: Any, fan_out: Any) -> tuple[int, int]:
    for label, value in (("fan_in", fan_in), ("fan_out", fan_out)):
        if not is_positive_int(value):
            raise ValueError(f"{label} must be a positive integer, got {value!r}")
    return int(fan_in), int(fan_out)


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Fans of a weight of the given shape, as Keras and ``torch.nn.init`` compute them.

    For a dense kernel ``(fan_in, fan_out)`` the fans are the two dimensions. For a
    convolution kernel ``(*receptive_field, in_channels, out_channels)`` (Keras layout)
    ``fan_in = prod(receptive_field) * in_channels`` and
    ``fan_out = prod(receptive_field) * out_channels``. A 1-D shape ``(n,)`` has
    ``fan_in = fan_out = n``.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: a callable ``init(fan_in, fan_out, rng=None) -> ndarray``.

    Subclasses implement :meth:`sample`, which draws an array of any ``shape`` (fans
    from :func:`compute_fans`), and :meth:`variance`, the per-entry variance
    ``Var(W_ij)`` the initializer promises (``None`` where there is no such number).
    """

    name: str = "initializer"

    def __call__(self, fan_in: int, fan_out: int, rng: RNGLike = None) -> np.ndarray:
        fan_in, fan_out = _check_fans(fan_in, fan_out)
        return self.sample((fan_in, fan_out), rng)

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        raise NotImplementedError

    def variance(self, fan_in: int, fan_out: int) -> float | None:
        """Per-entry variance ``Var(W_ij)`` for a ``(fan_in, fan_out)`` weight."""
        return None

    def second_moment(self, fan_in: int, fan_out: int) -> float | None:
        """Per-entry ``E[W_ij^2]`` (the variance plus the squared mean)."""
        return self.variance(fan_in, fan_out)

    def __repr__(self) -> str:
        return f"<initializer {self.name}>"


class VarianceScaling(Initializer):
    """Draw weights with ``Var(W_ij) = scale / n`` (Keras' ``VarianceScaling``).

    Parameters
    ----------
    scale : float
        Positive scaling factor (``2.0`` for He, ``1.0`` for Glorot and LeCun).
    mode : {'fan_in', 'fan_out', 'fan_avg'}
        ``n`` is ``fan_in``, ``fan_out`` or ``(fan_in + fan_out) / 2``.
    distribution : {'normal', 'truncated_normal', 'uniform'}
        ``normal``: ``W ~ N(0, std^2)`` with ``std = sqrt(scale / n)``.
        ``truncated_normal``: ``W = std / 0.8796... * Z`` with ``Z`` a standard normal
        truncated (re-drawn) to ``[-2, 2]``, so that ``Var(W) = scale / n`` exactly.
        ``uniform``: ``W ~ U(-limit, limit)`` with ``limit = sqrt(3 * scale / n)``.
    name : str, optional
        Name shown in plots and tables.
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        name: str | None = None,
    ) -> None:
        if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}; got {mode!r}")
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"distribution must be one of {', '.join(_DISTRIBUTIONS)}; got {distribution!r}"
            )
        self.scale = float(scale)
        self.mode = mode
        self.distribution = distribution
        self.name = name or f"variance_scaling({scale:g}, {mode}, {distribution})"

    def _n(self, fan_in: int, fan_out: int) -> float:
        if self.mode == "fan_in":
            return float(fan_in)
        if self.mode == "fan_out":
            return float(fan_out)
        return (fan_in + fan_out) / 2.0

    def variance(self, fan_in: int, fan_out: int) -> float:
        return self.scale / self._n(fan_in, fan_out)

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        gen = as_sampler(rng)
        std = math.sqrt(self.variance(*compute_fans(shape)))
        if self.distribution == "normal":
            return std * gen.standard_normal(size=shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0) * std
            return gen.uniform(-limit, limit, size=shape)
        return (std / TRUNCATED_STD_CORRECTION) * _truncated_standard_normal(gen, shape)


def _truncated_standard_normal(gen: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal samples re-drawn until they fall in [-2, 2]."""
    z = np.asarray(gen.standard_normal(size=shape), dtype=float)
    flat = z.reshape(-1)
    bad = np.flatnonzero(np.abs(flat) > 2.0)
    while bad.size:
        flat[bad] = gen.standard_normal(size=bad.size)
        bad = bad[np.abs(flat[bad]) > 2.0]
    return z


class Constant(Initializer):
    """``W_ij = value`` for every entry (``zeros``: 0, ``ones``: 1)."""

    def __init__(self, value: float = 0.0, name: str | None = None) -> None:
        if not (isinstance(value, (int, float)) and math.isfinite(value)):
            raise ValueError(f"value must be a finite number, got {value!r}")
        self.value = float(value)
        self.name = name or f"constant({value:g})"

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        return np.full(shape, self.value)

    def variance(self, fan_in: int, fan_out: int) -> float:
        return 0.0

    def second_moment(self, fan_in: int, fan_out: int) -> float:
        return self.value**2


class RandomNormal(Initializer):
    """``W_ij ~ N(mean, std^2)``, independent of the fans.

    ``small_random`` is ``N(0, 0.01^2)`` (``0.01 * np.random.randn``), ``big_random``
    is ``N(0, 1)`` (``np.random.randn``).
    """

    def __init__(self, std: float = 0.05, mean: float = 0.0, name: str | None = None) -> None:
        if not (isinstance(std, (int, float)) and math.isfinite(std) and std >= 0):
            raise ValueError(f"std must be a non-negative number, got {std!r}")
        if not (isinstance(mean, (int, float)) and math.isfinite(mean)):
            raise ValueError(f"mean must be a finite number, got {mean!r}")
        self.std = float(std)
        self.mean = float(mean)
        self.name = name or f"normal({std:g})"

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        z = as_sampler(rng).standard_normal(size=shape)
        if self.mean == 0.0:
            return self.std * z
        return self.mean + self.std * z

    def variance(self, fan_in: int, fan_out: int) -> float:
        return self.std**2

    def second_moment(self, fan_in: int, fan_out: int) -> float:
        return self.std**2 + self.mean**2


class RandomUniform(Initializer):
    """``W_ij ~ U(-limit, limit)``, independent of the fans; ``Var = limit^2 / 3``."""

    def __init__(self, limit: float = 0.05, name: str | None = None) -> None:
        if not (isinstance(limit, (int, float)) and math.isfinite(limit) and limit >= 0):
            raise ValueError(f"limit must be a non-negative number, got {limit!r}")
        self.limit = float(limit)
        self.name = name or f"uniform({limit:g})"

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        return as_sampler(rng).uniform(-self.limit, self.limit, size=shape)

    def variance(self, fan_in: int, fan_out: int) -> float:
        return self.limit**2 / 3.0


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014).

    Draw ``A ~ N(0, 1)`` of shape ``(rows, cols)`` with ``rows = fan_in`` (for a
    convolution kernel, the product of all dimensions but the last), take ``A = QR``
    and return ``gain * Q * sign(diag(R))`` so that the result is uniformly distributed
    (Haar). If ``rows >= cols`` the columns are orthonormal, otherwise the rows are;
    hence ``E[W_ij^2] = gain^2 / max(rows, cols)``.
    """

    def __init__(self, gain: float = 1.0, name: str | None = None) -> None:
        if not (isinstance(gain, (int, float)) and math.isfinite(gain) and gain > 0):
            raise ValueError(f"gain must be a positive number, got {gain!r}")
        self.gain = float(gain)
        self.name = name or ("orthogonal" if gain == 1.0 else f"orthogonal({gain:g})")

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        shape = tuple(int(s) for s in shape)
        if len(shape) < 2:
            raise ValueError(f"orthogonal needs a shape of 2 or more dimensions, got {shape}")
        rows, cols = math.prod(shape[:-1]), shape[-1]
        a = as_sampler(rng).standard_normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape)

    def variance(self, fan_in: int, fan_out: int) -> float:
        return self.gain**2 / max(fan_in, fan_out)


# ----------------------------------------------------------------------------- presets


def variance_scaling(
    scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal"
) -> VarianceScaling:
    """The general mechanism: ``Var(W_ij) = scale / n`` (see :class:`VarianceScaling`)."""
    return VarianceScaling(scale, mode, distribution)


def constant(value: float) -> Constant:
    """``W_ij = value``."""
    return Constant(value)


def normal(std: float = 0.05, mean: float = 0.0) -> RandomNormal:
    """``W_ij ~ N(mean, std^2)``."""
    return RandomNormal(std, mean)


def uniform(limit: float = 0.05) -> RandomUniform:
    """``W_ij ~ U(-limit, limit)``."""
    return RandomUniform(limit)


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
#: ``W ~ N(0, 1 / fan_in)`` (variance scaling, scale 1, fan_in, normal).
xavier = VarianceScaling(1.0, "fan_in", "normal", name="xavier")
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


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """Recommended gain for a nonlinearity (the values of ``torch.nn.init``).

    ============  ==========================================
    linear        1
    sigmoid       1
    tanh          5/3
    relu          sqrt(2)
    leaky_relu    sqrt(2 / (1 + negative_slope^2)), slope ``param`` (default 0.01)
    selu          3/4
    ============  ==========================================
    """
    key = str(nonlinearity).lower()
    if key in ("linear", "identity", "sigmoid") or key.startswith("conv"):
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
        f"unknown nonlinearity {nonlinearity!r}; "
        "expected one of: linear, identity, conv1d/2d/3d, sigmoid, tanh, relu, leaky_relu, selu"
    )


# ----------------------------------------------------------------------------- lookup

_REGISTRY: dict[str, Initializer] = {
    "zeros": zeros,
    "ones": ones,
    "small_random": small_random,
    "big_random": big_random,
    "xavier": xavier,
    "glorot_normal": glorot_normal,
    "glorot_uniform": glorot_uniform,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "orthogonal": Orthogonal(1.0),
    # Keras' parameter-free names for the distribution families, at Keras' defaults.
    "random_normal": RandomNormal(0.05, name="random_normal"),
    "random_uniform": RandomUniform(0.05, name="random_uniform"),
}

_ALIASES: dict[str, str] = {
    "zero": "zeros",
    "one": "ones",
    "xavier_normal": "glorot_normal",
    "xavier_uniform": "glorot_uniform",
    "kaiming_normal": "he_normal",
    "kaiming_uniform": "he_uniform",
}


def names() -> list[str]:
    """All names :func:`get` accepts, sorted."""
    return sorted(set(_REGISTRY) | set(_ALIASES))


InitLike = Union[str, Initializer, Callable[..., np.ndarray]]


def get(identifier: InitLike) -> Callable[..., np.ndarray]:
    """Return the initializer for a name or pass a callable through.

    Names are case-insensitive and may use ``-`` for ``_``: the Keras names
    (``'he_normal'``, ``'glorot_uniform'``, ``'zeros'``, ...), the PyTorch ones
    (``'kaiming_normal'``, ``'xavier_uniform'``) and the notebook's (``'small_random'``,
    ``'big_random'``, ``'xavier'``). Any callable ``init(fan_in, fan_out)`` is
    returned unchanged.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    if callable(identifier):
        return identifier
    if isinstance(identifier, str):
        key = identifier.strip().lower().replace("-", "_")
        key = _ALIASES.get(key, key)
        if key in _REGISTRY:
            return _REGISTRY[key]
        raise ValueError(
            f"unknown initializer {identifier!r}; valid names are: {', '.join(names())}"
        )
    raise ValueError(
        f"an initializer must be a name or a callable init(fan_in, fan_out), got {identifier!r}"
    )


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
