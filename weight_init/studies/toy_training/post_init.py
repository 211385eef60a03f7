"""The post's weight draw: a normal law redrawn until its sample mean and std are close.

:class:`PostNormal` repeats the initialization post's rejection draw,
``W ~ N(0, scale / n)`` drawn again while the sample std or mean is off by more than
``tol``; :data:`post_xavier_normal` (``scale = 1``, ``n = (fan_in + fan_out) / 2``) and
:data:`post_he_normal` (``scale = 2``, ``n = fan_in``) are the post's two, Glorot and
Bengio (2010) and He et al. (2015) with the post's rejection. The plain (untruncated, no
rejection) laws are :data:`weight_init.initializers.xavier_normal` and
:data:`weight_init.initializers.he_normal_untruncated`.
"""

from __future__ import annotations

import math

import numpy as np

from weight_init.initializers import Initializer, RNGLike, as_sampler

__all__ = ["PostNormal", "post_xavier_normal", "post_he_normal"]


class PostNormal(Initializer):
    """The post's weight draw: ``N(0, std^2)``, ``std^2 = scale / n``, with rejection.

    The post draws each layer as ``np.random.normal(0, std, size=(fan_out, fan_in))``
    and draws again while ``|std(W) - std| > tol`` or ``|mean(W)| > tol`` (population
    std, ``tol = 0.05``). This initializer does the same with the generator it is given
    and returns the transpose, ``(fan_in, fan_out)``; with a legacy
    ``np.random.RandomState(seed)`` shared by the layers in order, the weights are the
    post's bit for bit. ``n`` is ``fan_in``, ``fan_out`` or ``(fan_in + fan_out) / 2``.

    Raises
    ------
    ValueError
        When no draw passes in ``max_tries`` (a ``1 x 1`` matrix never can: its std is 0).
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")

    def __init__(
        self,
        scale: float,
        mode: str,
        tol: float = 0.05,
        max_tries: int = 100_000,
        name: str | None = None,
    ) -> None:
        if not (isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive number, got {scale!r}")
        if mode not in self._MODES:
            raise ValueError(f"mode must be one of {', '.join(self._MODES)}; got {mode!r}")
        self.scale, self.mode, self.tol, self.max_tries = float(scale), mode, float(tol), max_tries
        self.name = name or f"post_normal({scale:g}, {mode})"

    def variance(self, fan_in: int, fan_out: int) -> float:
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        return self.scale / n[self.mode]

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"{self.name} draws dense (fan_in, fan_out) matrices, got {shape}")
        gen = as_sampler(rng)
        fan_in, fan_out = int(shape[0]), int(shape[1])
        std = math.sqrt(self.variance(fan_in, fan_out))
        for _ in range(self.max_tries):
            w = gen.normal(0, std, size=(fan_out, fan_in))
            if not (abs(np.std(w) - std) > self.tol or abs(np.mean(w)) > self.tol):
                return np.ascontiguousarray(w.T)
        raise ValueError(
            f"{self.name}: no {fan_out} x {fan_in} draw had std within {self.tol} of "
            f"{std:.3g} and mean within {self.tol} of 0 in {self.max_tries} tries; "
            "use wider layers or another initializer"
        )


#: The post's Xavier draw: ``std = sqrt(2 / (fan_in + fan_out))``, with rejection.
post_xavier_normal = PostNormal(1.0, "fan_avg", name="xavier_normal_post")
#: The post's He draw: ``std = sqrt(2 / fan_in)``, with rejection.
post_he_normal = PostNormal(2.0, "fan_in", name="he_normal_post")
