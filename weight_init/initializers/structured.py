"""Structured laws: orthogonal and identity matrices, identity and delta-orthogonal
convolutions, sparse weights (numpy only).

Shapes are in Keras' layout (see :mod:`weight_init.initializers.laws`); each class reports its
moments for any shape, like every :class:`~weight_init.initializers.laws.Initializer`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from weight_init.initializers.base import Initializer, check_number

__all__ = ["Orthogonal", "Identity", "Dirac", "DeltaOrthogonal", "Sparse"]


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014; Keras and PyTorch).

    Draw ``A ~ N(0, 1)`` of shape ``(rows, cols)`` with ``rows`` the product of all
    dimensions but the last, take ``A = QR`` and return ``gain * Q * sign(diag(R))`` so
    that the result is Haar-distributed. If ``rows >= cols`` the columns are orthonormal,
    otherwise the rows are; hence ``E[mean(W^2)] = gain^2 / max(rows, cols)``
    (``1/288`` for a ``(3, 3, 32, 64)`` kernel: 288 rows, 64 orthonormal columns).
    """

    def __init__(self, gain: float = 1.0, name: str | None = None) -> None:
        self.gain = check_number(gain, "gain")
        self.name = name or ("orthogonal" if gain == 1.0 else f"orthogonal({gain:g})")

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) < 2:
            raise ValueError(f"{self.name} needs a shape of 2 or more dimensions, got {shape}")

    @staticmethod
    def _rows_cols(shape: tuple[int, ...]) -> tuple[int, int]:
        return math.prod(shape[:-1]), (shape[-1] if shape else 1)

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        rows, cols = self._rows_cols(shape)
        a = gen.standard_normal(size=(max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q = q * np.sign(np.where(np.diag(r) == 0, 1.0, np.diag(r)))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape)

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        rows, cols = self._rows_cols(shape)
        return 0.0, self.gain**2 / max(1, rows, cols)


class Identity(Initializer):
    """``gain`` times the identity matrix (ones on the diagonal of a 2-D shape).

    Keras' ``Identity(gain=1)``; PyTorch's ``eye_`` (gain 1). Non-square shapes get
    ``min(rows, cols)`` ones, so ``E[mean(W^2)] = gain^2 min(r, c) / (r c)``.
    """

    def __init__(self, gain: float = 1.0, name: str | None = None) -> None:
        self.gain = check_number(gain, "gain")
        self.name = name or ("identity" if gain == 1.0 else f"identity({gain:g})")

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 2:
            raise ValueError(f"{self.name} needs a 2-D shape, got {shape}")

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        return self.gain * np.eye(*shape)

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        size = max(1, math.prod(shape))
        ones = min(shape) if len(shape) == 2 else 0
        return self.gain * ones / size, self.gain**2 * ones / size


def _check_conv(name: str, shape: tuple[int, ...], dims: tuple[int, ...] = (3, 4, 5)) -> None:
    if len(shape) not in dims:
        raise ValueError(
            f"{name} is for convolution kernels (kernel..., in_channels, out_channels) of "
            f"{'/'.join(str(d) for d in dims)} dimensions, got the shape {shape}"
        )


class Dirac(Initializer):
    """PyTorch's ``dirac_(groups=1)``: a convolution that passes its input through.

    In Keras' layout ``(*kernel, in, out)``: with ``g`` groups of ``out / g`` output
    channels and ``m = min(out / g, in)``, ``W[centre, d, k * out / g + d] = 1`` for
    ``d < m`` and every group ``k``, zeros elsewhere (the centre tap is ``size // 2``
    in every kernel dimension). ``E[mean(W^2)] = g m / size``.
    """

    def __init__(self, groups: int = 1, name: str | None = None) -> None:
        whole = isinstance(groups, (int, np.integer)) or (isinstance(groups, float) and groups.is_integer())
        if isinstance(groups, bool) or not whole or groups < 1:
            raise ValueError(f"groups must be a positive integer, got {groups!r}")
        self.groups = int(groups)
        self.name = name or ("dirac" if self.groups == 1 else f"dirac({self.groups})")

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        _check_conv(self.name, shape)
        if shape[-1] % self.groups:
            raise ValueError(
                f"{self.name}: out_channels {shape[-1]} is not divisible by groups {self.groups}"
            )

    def _ones(self, shape: tuple[int, ...]) -> int:
        return self.groups * min(shape[-1] // self.groups, shape[-2]) if len(shape) > 2 else 0

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        w = np.zeros(shape)
        centre = tuple(k // 2 for k in shape[:-2])
        per_group = shape[-1] // self.groups
        m = min(per_group, shape[-2])
        for g in range(self.groups):
            for d in range(m):
                w[centre + (d, g * per_group + d)] = 1.0
        return w

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        p = self._ones(shape) / max(1, math.prod(shape))
        return p, p


class DeltaOrthogonal(Initializer):
    """Delta-orthogonal convolution kernels (Xiao et al. 2018, dynamical isometry).

    In Keras' layout ``(*kernel, in, out)``: a Haar (semi-)orthogonal ``(in, out)`` matrix
    times ``gain`` at the centre tap (``size // 2`` in every kernel dimension), zeros at
    every other tap, so the convolution is an orthogonal map of the channels at each
    position. ``E[mean(W^2)] = gain^2 min(in, out) / size``. For an isometry of the
    input use ``out >= in`` (orthonormal rows). A 2-D ``(in, out)`` weight (a dense layer,
    a kernel without spatial taps) is :class:`Orthogonal`'s matrix, so an MLP can use it.
    """

    def __init__(self, gain: float = 1.0, name: str | None = None) -> None:
        self.gain = check_number(gain, "gain")
        self.name = name or ("delta_orthogonal" if gain == 1.0 else f"delta_orthogonal({gain:g})")

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        _check_conv(self.name, shape, (2, 3, 4, 5, 6))

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        w = np.zeros(shape)
        centre = tuple(k // 2 for k in shape[:-2])
        w[centre] = Orthogonal(self.gain)._draw(shape[-2:], gen)
        return w

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        ones = min(shape[-2:]) if len(shape) >= 2 else 0
        return 0.0, self.gain**2 * ones / max(1, math.prod(shape))


class Sparse(Initializer):
    """PyTorch's ``sparse_(sparsity, std=0.01)`` (Martens 2010), for 2-D weights.

    ``W ~ N(0, std^2)``, then in PyTorch's ``(out, in)`` weight each column (one input)
    gets ``ceil(sparsity * out)`` zeros at random rows; in this package's
    ``(fan_in, fan_out)`` layout each row ``W[i, :]`` gets ``ceil(sparsity * fan_out)``
    zeros. ``E[mean(W^2)] = std^2 (fan_out - zeros) / fan_out``.
    """

    def __init__(self, sparsity: float, std: float = 0.01, name: str | None = None) -> None:
        self.sparsity = check_number(sparsity, "sparsity", 0.0)
        if self.sparsity > 1:
            raise ValueError(f"sparsity must be between 0 and 1, got {sparsity!r}")
        self.std = check_number(std, "std", 0.0)
        self.name = name or f"sparse({sparsity:g})"

    def _check_shape(self, shape: tuple[int, ...]) -> None:
        if len(shape) != 2:
            raise ValueError(f"{self.name} needs a 2-D shape, got {shape}")

    def _zeros(self, fan_out: int) -> int:
        return int(math.ceil(self.sparsity * fan_out))

    def _draw(self, shape: tuple[int, ...], gen: Any) -> np.ndarray:
        w = self.std * gen.standard_normal(size=shape)
        k = self._zeros(shape[1])
        if k:
            cols = np.argsort(gen.uniform(size=shape), axis=1)[:, :k]
            np.put_along_axis(w, cols, 0.0, axis=1)
        return w

    def _moments(self, shape: tuple[int, ...]) -> tuple[float, float]:
        fan_out = shape[-1] if shape else 1
        kept = (fan_out - self._zeros(fan_out)) / max(1, fan_out)
        return 0.0, self.std**2 * kept
