"""Forward and backward passes of the post's MLP, written once for a stack of networks.

:class:`NetworkStack` holds the parameters of ``S`` networks of one
:class:`Architecture` as the rows of a flat ``(S, P)`` buffer; a single
:class:`~weight_init.studies.toy_training.mlp.MLP` is the stack of one (``S = 1``), and
:func:`~weight_init.studies.toy_training.batch.fit_many` trains many at once through the
same two passes.

Model
-----
Inputs are rows, ``H_0 = X`` of shape ``(n, d)``. Hidden layer ``l = 1 .. L`` and the
single output unit compute

.. math::

    Z_l = H_{l-1} W_l + b_l, \\qquad H_l = f(Z_l), \\qquad
    o = \\sigma(H_L w_{out} + b_{out}), \\qquad \\sigma(z) = \\frac{1}{1 + e^{-z}},

with one activation ``f`` for all hidden layers and ``W_l`` of shape
``(n_{l-1}, n_l)`` (the package's ``init(fan_in, fan_out)`` orientation; the post's
matrices are the transposes). Without biases there is no ``b_l``.

Gradient
--------
Backpropagation computes the gradient of

.. math:: E = \\frac{1}{2 n} \\sum_i (o_i - y_i)^2

with ``D_out = (o - y) * o (1 - o)`` and ``D_l = (D_{l+1} W_{l+1}^T) * f'(Z_l)``:
``dE/dW_l = H_{l-1}^T D_l / n`` and ``dE/db_l = sum_i D_l[i] / n``.

Stacking. Every weight of the stack is ``(S, fan_in, fan_out)`` and every product is one
``np.matmul`` over the leading axis, which computes each slice with the same BLAS call,
on the same memory layout, as a lone network's; the element-wise steps are the same
operations and reductions run over a network's own samples in the same order. So a
network's numbers do not depend on the networks stacked beside it, bit for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from weight_init.activations import Activation, get_activation

__all__ = ["Architecture", "NetworkStack", "sigmoid", "check_inputs"]

_TANH = get_activation("tanh")
_RELU = get_activation("relu")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``, the post's formula (overflow to 0 for very negative z)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def check_inputs(x: Any, n_inputs: int) -> np.ndarray:
    """``x`` as a float ``(n_samples, n_inputs)`` array, or ``ValueError``."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 2 or x.shape[1] != n_inputs:
        raise ValueError(f"x must have shape (n_samples, {n_inputs}), got {x.shape}")
    return x


@dataclass(frozen=True)
class Architecture:
    """What the passes need to know of a network: its layers, activation and biases.

    Attributes
    ----------
    n_inputs : int
    hidden_widths : tuple of int
        Real units per hidden layer; one sigmoid output unit follows.
    activation : Activation
        Of every hidden layer; it needs an exact derivative.
    bias : bool
        Biases on every hidden layer and the output.
    """

    n_inputs: int
    hidden_widths: tuple[int, ...]
    activation: Activation
    bias: bool

    @property
    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes of one network's parameters, in order: ``W_1, (b_1,) W_2, (b_2,) ...``."""
        sizes = [self.n_inputs, *self.hidden_widths, 1]
        shapes: list[tuple[int, ...]] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            shapes.append((fan_in, fan_out))
            if self.bias:
                shapes.append((fan_out,))
        return shapes

    @property
    def n_parameters(self) -> int:
        """``P``, the trainable numbers of one network."""
        return sum(math.prod(sh) for sh in self.shapes)

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of a flat buffer ``(..., P)`` as the parameter arrays ``(..., *shape)``."""
        out, start = [], 0
        lead = flat.shape[:-1]
        for sh in self.shapes:
            size = math.prod(sh)
            out.append(flat[..., start : start + size].reshape((*lead, *sh)))
            start += size
        return out


class NetworkStack:
    """``S`` networks of one architecture, their parameters the rows of ``flat`` ``(S, P)``.

    ``weights[l]`` is ``(S, n_{l-1}, n_l)`` and ``biases[l]`` ``(S, n_l)`` (``None``
    without biases), views into ``flat``: changing ``flat`` changes the networks.
    """

    def __init__(self, architecture: Architecture, flat: np.ndarray) -> None:
        if flat.ndim != 2 or flat.shape[1] != architecture.n_parameters:
            raise ValueError(f"flat must have shape (S, {architecture.n_parameters}), got {flat.shape}")
        self.architecture = architecture
        self.flat = flat
        self.views = architecture.split(flat)
        self.weights = self.views[:: 2 if architecture.bias else 1]
        self.biases = self.views[1::2] if architecture.bias else None
        # views too (training updates ``flat`` in place), made once: W_l^T, b_l as rows
        self._weights_t = [w.swapaxes(-1, -2) for w in self.weights]
        self._bias_rows = None if self.biases is None else [b[:, None, :] for b in self.biases]

    def __len__(self) -> int:
        return self.flat.shape[0]

    def subset(self, keep: np.ndarray) -> NetworkStack:
        """The stack of the networks selected by ``keep`` (a copy of their parameters)."""
        return NetworkStack(self.architecture, self.flat[keep])

    def forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Pre-activations ``Z_l``, activations ``H_l`` (``H_0 = x``) and the output ``o``.

        ``x`` is ``(n, d)``, shared by the networks, or ``(S, n, d)``, one batch each;
        ``Z_l`` and ``H_l`` (``l >= 1``) are ``(S, n, n_l)``, ``o`` is ``(S, n)``.
        """
        f = self.architecture.activation.fn
        zs, hs = [], [x]
        h = x
        last = len(self.weights) - 1
        for l, w in enumerate(self.weights):
            z = np.matmul(h, w)
            if self._bias_rows is not None:
                z += self._bias_rows[l]
            if l < last:
                h = f(z)
                zs.append(z)
                hs.append(h)
        return zs, hs, sigmoid(z[:, :, 0])

    def fprime(self, z: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``f'(z)``, from the activation ``h = f(z)`` where that is exact and cheaper."""
        act = self.architecture.activation
        if act is _TANH:
            return 1.0 - h * h  # = 1 - tanh(z)^2, the same numbers
        if act is _RELU:
            return z > 0
        return act.grad(z)

    def backward(
        self,
        zs: Sequence[np.ndarray],
        hs: Sequence[np.ndarray],
        o: np.ndarray,
        y: np.ndarray,
        grad: np.ndarray | None = None,
        grad_views: list[np.ndarray] | None = None,
    ) -> np.ndarray:
        """The flat ``(S, P)`` gradient of ``E`` from :meth:`forward`'s results.

        ``y`` is ``(n,)`` (shared) or ``(S, n)``. The gradient is written into ``grad``
        when given (``grad_views``, ``architecture.split(grad)``, saves re-slicing it
        at every step).
        """
        n = o.shape[1]
        if grad is None:
            grad = np.empty_like(self.flat)
        views = self.architecture.split(grad) if grad_views is None else grad_views
        d = ((o - y) * (o * (1.0 - o)))[:, :, None]  # n * dE/dz_out
        for l in range(len(self.weights) - 1, -1, -1):
            h_t = hs[l].swapaxes(-1, -2)  # a shared input (n, d) broadcasts over the networks
            if self.biases is not None:
                np.matmul(h_t, d, out=views[2 * l])
                np.sum(d, axis=1, out=views[2 * l + 1])
            else:
                np.matmul(h_t, d, out=views[l])
            if l > 0:
                d = np.matmul(d, self._weights_t[l]) * self.fprime(zs[l - 1], hs[l])
        grad /= n
        return grad
