"""The initializer protocol: the base class, weight shapes and fans, random state, and
calling any ``init(fan_in, fan_out)``, a law of this package or a user's function.

Shapes are in Keras' layout: a dense kernel is ``(fan_in, fan_out)`` (a layer computes
``X @ W``), a convolution kernel ``(*receptive_field, in_channels, out_channels)``.
PyTorch stores the same weights as ``(out_features, in_features)`` and
``(out_channels, in_channels, *receptive_field)``; its fans are the same numbers
(``fan_in = in_channels * prod(receptive_field)``), so a law such as
``kaiming_normal`` gives the same distribution of weights on the same network.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable, Union

import numpy as np

from weight_init.validation import as_generator

__all__ = [
    "RNGLike",
    "InitLike",
    "Initializer",
    "as_sampler",
    "as_shape",
    "compute_fans",
    "check_number",
    "init_name",
    "accepts_rng",
    "call_init",
]

RNGLike = Union[None, int, np.random.Generator, np.random.RandomState]


def as_sampler(rng: RNGLike) -> Any:
    """Return an object with ``standard_normal``, ``uniform`` methods for ``rng``.

    ``None`` gives the ``numpy.random`` module itself (the global state), a legacy
    ``RandomState`` is used as it is, and anything else goes through the package's one
    seed normalizer, :func:`weight_init.validation.as_generator` (an ``int`` gives a fresh
    ``numpy.random.default_rng(int)``, a Generator itself; other values: ``TypeError``).
    """
    if isinstance(rng, np.random.RandomState):
        return rng
    gen = as_generator(rng, "rng", TypeError)
    return np.random if gen is None else gen


def as_shape(args: tuple[Any, ...]) -> tuple[int, ...]:
    """A weight shape from ``(shape,)`` or the dimensions themselves.

    ``(fan_in, fan_out)`` is the shape of a dense kernel; ``((3, 3, 32, 64),)`` and
    ``(3, 3, 32, 64)`` both mean that convolution kernel. Dimensions must be
    non-negative integers.
    """
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)) and hasattr(args[0], "__iter__"):
        args = tuple(args[0])
    shape = []
    for dim in args:
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 0:
            raise ValueError(f"a weight shape needs non-negative integers, got {args!r}")
        shape.append(int(dim))
    return tuple(shape)


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Fans of a weight of the given shape, as Keras (and, in its layout, PyTorch) computes them.

    For a dense kernel ``(fan_in, fan_out)`` the fans are the two dimensions. For a
    convolution kernel ``(*receptive_field, in_channels, out_channels)`` (Keras' layout)
    ``fan_in = prod(receptive_field) * in_channels`` and
    ``fan_out = prod(receptive_field) * out_channels``; PyTorch computes the same
    numbers from its ``(out_channels, in_channels, *receptive_field)``. A 1-D shape
    ``(n,)`` has ``fan_in = fan_out = n``, a scalar ``1, 1`` (as in Keras).
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def check_number(
    value: Any, what: str, low: float | None = None, strict: bool = False, allow_inf: bool = False
) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    ok = ok and (math.isfinite(value) or (allow_inf and not math.isnan(value)))
    if ok and low is not None:
        ok = value > low if strict else value >= low
    if not ok:
        if low is None:
            kind = "a number" if allow_inf else "a finite number"
        elif low == 0:
            kind = "a positive number" if strict else "0 or a positive number"
        else:
            kind = f"a number {'>' if strict else '>='} {low:g}"
        raise ValueError(f"{what} must be {kind}, got {value!r}")
    return float(value)


class Initializer:
    """Base class: a callable ``init(fan_in, fan_out, rng=None) -> ndarray``.

    Subclasses implement ``_draw(shape, gen)`` (a non-empty shape) and
    ``_moments(shape) -> (E[mean(W)], E[mean(W^2)])``; :meth:`sample` draws any shape,
    an empty array for a shape with a zero dimension (as Keras does).
    """

    name: str = "initializer"

    def __call__(self, fan_in: int, fan_out: int, rng: RNGLike = None) -> np.ndarray:
        for label, value in (("fan_in", fan_in), ("fan_out", fan_out)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{label} must be a non-negative integer, got {value!r}")
        return self.sample((int(fan_in), int(fan_out)), rng)

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        """Draw an array of ``shape`` (fans from :func:`compute_fans`)."""
        shape = as_shape((shape,))
        gen = as_sampler(rng)
        self._check_shape(shape)
        if math.prod(shape) == 0:
            return np.zeros(shape)
        return self._draw(shape, gen)

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        """Raise ``ValueError`` for a shape the law is not defined on."""

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        raise NotImplementedError

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float] | None:
        return None

    def second_moment(self, *shape: Any) -> float | None:
        """``E[mean(W^2)]`` for a weight of this shape (``(fan_in, fan_out)`` or any).

        A subclass that only overrides :meth:`variance` (a zero-mean law) gets that.
        """
        moments = self._moments(as_shape(shape))
        if moments is not None:
            return float(moments[1])
        if type(self).variance is not Initializer.variance:
            value = self.variance(*shape)
            return None if value is None else float(value)
        return None

    def variance(self, *shape: Any) -> float | None:
        """Variance of an entry, ``E[mean(W^2)] - E[mean(W)]^2``, for this shape.

        Two numbers are the dense shape ``(fan_in, fan_out)``; give a convolution kernel
        as its whole shape (``variance((3, 3, 32, 64))``): for ``orthogonal`` and the
        other structured laws the fans alone do not determine it.
        """
        moments = self._moments(as_shape(shape))
        return None if moments is None else float(moments[1] - moments[0] ** 2)

    def renamed(self, name: str) -> Initializer:
        """The same law under another name (a copy; ``self`` is unchanged)."""
        other = copy.copy(self)
        other.name = name
        return other

    def __repr__(self) -> str:
        return f"<initializer {self.name}>"


InitLike = Union[str, dict, Initializer, Callable[..., np.ndarray]]


def init_name(init: InitLike) -> str:
    """A readable name for an initializer, a name or a user function."""
    if isinstance(init, str):
        return init
    if isinstance(init, Initializer):
        return init.name
    return getattr(init, "__name__", None) or repr(init)


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
