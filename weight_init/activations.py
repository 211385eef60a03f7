"""Activation functions by name, each with its derivative (numpy only).

=============  ==============================================  ======================
name           f(x)                                            f'(x)
=============  ==============================================  ======================
linear         x                                               1
tanh           tanh(x)                                         1 - tanh(x)^2
relu           max(x, 0)                                       1[x > 0]
sigmoid        1 / (1 + exp(-x))                               f(x) (1 - f(x))
leaky_relu     x if x > 0 else 0.01 x                          1 or 0.01
elu            x if x > 0 else exp(x) - 1                      1 or exp(x)
selu           lambda * (x if x > 0 else alpha (exp(x) - 1))   lambda or lambda alpha exp(x)
=============  ==============================================  ======================

with SELU's ``lambda = 1.0507009873554805`` and ``alpha = 1.6732632423543772``
(Klambauer et al. 2017, the values Keras and PyTorch use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

import numpy as np

__all__ = ["Activation", "get_activation", "activation_names"]

Array = np.ndarray
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
LEAKY_SLOPE = 0.01


@dataclass(frozen=True)
class Activation:
    """An elementwise nonlinearity ``fn`` with its derivative ``grad`` (or ``None``).

    ``grad_of_value``, where given, computes ``f'(x)`` from ``f(x)`` (``1 - f^2`` for tanh),
    saving a second transcendental evaluation in :meth:`value_and_derivative`.
    """

    name: str
    fn: Callable[[Array], Array]
    grad: Callable[[Array], Array] | None = None
    grad_of_value: Callable[[Array], Array] | None = None

    def __call__(self, x: Array) -> Array:
        return self.fn(x)

    def derivative(self, x: Array, eps: Array | float = 1e-5) -> Array:
        """``f'(x)``: exact where known, else a central finite difference of step ``eps``.

        ``eps`` may be an array broadcasting against ``x``; the theory passes
        ``1e-5 sqrt(q)`` so that the step scales with the pre-activations.
        """
        if self.grad is not None:
            return self.grad(x)
        return (self.fn(x + eps) - self.fn(x - eps)) / (2.0 * eps)

    def value_and_derivative(self, x: Array, eps: Array | float = 1e-5) -> tuple[Array, Array]:
        """``(f(x), f'(x))``, sharing work where ``grad_of_value`` is known."""
        f = self.fn(x)
        if self.grad_of_value is not None:
            return f, self.grad_of_value(f)
        return f, self.derivative(x, eps)


def _sigmoid(x: Array) -> Array:
    # exp of a non-positive number only: no overflow warning for large |x|.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _sigmoid_grad(x: Array) -> Array:
    s = _sigmoid(x)
    return s * (1.0 - s)


def _elu(x: Array) -> Array:
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))


def _elu_grad(x: Array) -> Array:
    return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))


_BUILTIN: dict[str, Activation] = {
    "linear": Activation("linear", lambda x: x, lambda x: np.ones_like(x)),
    "tanh": Activation("tanh", np.tanh, lambda x: 1.0 - np.tanh(x) ** 2, lambda f: 1.0 - f * f),
    "relu": Activation(
        "relu", lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(np.result_type(x, 1.0))
    ),
    "sigmoid": Activation("sigmoid", _sigmoid, _sigmoid_grad, lambda f: f * (1.0 - f)),
    "leaky_relu": Activation(
        "leaky_relu",
        lambda x: np.where(x > 0, x, LEAKY_SLOPE * x),
        lambda x: np.where(x > 0, 1.0, LEAKY_SLOPE),
    ),
    "elu": Activation("elu", _elu, _elu_grad),
    "selu": Activation(
        "selu",
        lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0))),
        lambda x: SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0))),
    ),
}
_ALIASES = {"identity": "linear", "none": "linear"}


def activation_names() -> list[str]:
    """The names :func:`get_activation` accepts (without aliases)."""
    return list(_BUILTIN)


ActivationLike = Union[str, Activation, Callable[[Array], Array], None]


def get_activation(identifier: ActivationLike) -> Activation:
    """Return the :class:`Activation` for a name, or wrap a user's callable.

    ``None`` means linear. A callable ``f(x)`` gets a finite-difference derivative.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the valid ones.
    """
    if identifier is None:
        return _BUILTIN["linear"]
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        key = identifier.strip().lower().replace("-", "_")
        key = _ALIASES.get(key, key)
        if key in _BUILTIN:
            return _BUILTIN[key]
        raise ValueError(f"unknown activation {identifier!r}; valid names are: {', '.join(_BUILTIN)}")
    if callable(identifier):
        return Activation(getattr(identifier, "__name__", "custom"), identifier, None)
    raise ValueError(
        f"an activation must be a name or a callable f(x), got {identifier!r}; "
        f"valid names are: {', '.join(_BUILTIN)}"
    )
