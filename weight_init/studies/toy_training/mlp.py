"""A small MLP written from scratch in numpy and trained by backpropagation.

The network of the initialization post, vectorized over the batch: the post loops over
neurons in Python, here every layer is one matrix product over all samples. Its model,
loss and gradient are those of :mod:`weight_init.studies.toy_training.backprop` (whose
passes it runs, as a stack of one network) and its training is
:func:`weight_init.studies.toy_training.training.train_networks`: hidden layers of one
activation ``f``, ``Z_l = H_{l-1} W_l + b_l``, ``H_l = f(Z_l)``, a sigmoid output
``o = 1 / (1 + exp(-(H_L w_out + b_out)))`` and the prediction ``1[o >= 0.5]``; gradient
descent on ``E = mean((o - y)^2) / 2`` with the post's iterate averaging.

Biases. ``bias=False`` (the post's default) has no ``b_l``. ``bias=True`` is the post's
``has_bias=True``: it adds a constant unit (output 1) to the input and to every hidden
layer whose outgoing weights are the biases of the next layer, output unit included;
they start at ``bias_init`` (0.1 in the post) while the real weights are drawn with fans
that do not count the constant units. **Width convention:** ``hidden_widths`` here are
the *real* units. The post counts the constant unit in the width, so its
``SingleActivatorNN([6, 3], ..., has_bias=True)`` is ``MLP([5, 2], bias=True)`` here
(:func:`real_widths` converts).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from weight_init.activations import ActivationLike, get_activation
from weight_init.initializers import InitLike, RNGLike, call_init, get, init_name
from weight_init.studies.toy_training.backprop import Architecture, NetworkStack, check_inputs
from weight_init.studies.toy_training.training import TrainHistory, train_networks
from weight_init.validation import check_widths, is_positive_int

__all__ = ["MLP", "real_widths"]


def real_widths(widths: Sequence[int], counts_bias_unit: bool) -> list[int]:
    """Convert the post's hidden widths to real units.

    With ``has_bias=True`` the post's width counts the constant unit, so a layer of
    width ``n`` has ``n - 1`` real units: ``real_widths([6, 3], True) == [5, 2]``.
    """
    widths = [int(w) for w in widths]
    if not counts_bias_unit:
        return widths
    if any(w < 2 for w in widths):
        raise ValueError(f"a layer that counts its bias unit needs width >= 2, got {widths}")
    return [w - 1 for w in widths]


class MLP:
    """Fully connected net: hidden layers of one activation, one sigmoid output.

    Parameters
    ----------
    hidden_widths : sequence of int
        Real units per hidden layer (not counting a bias unit; see the module notes).
    activation : str or Activation, default 'tanh'
        ``tanh``, ``relu`` or any name of :func:`weight_init.activations.get_activation`
        (a custom one needs a derivative).
    init : initializer, name or callable, default 'glorot_normal'
        ``init(fan_in, fan_out, rng)`` for each weight matrix, in layer order, from
        :mod:`weight_init.initializers`, or
        :data:`~weight_init.studies.toy_training.post_init.post_xavier_normal` /
        :data:`~weight_init.studies.toy_training.post_init.post_he_normal` for the post's draw.
    bias : bool, default False
        Add biases to every hidden layer and the output.
    bias_init : float, default 0.1
        Initial value of every bias (the post's 0.1).
    rng : int, Generator or RandomState, optional
        Randomness of the weight draw: an ``int`` seeds ``np.random.default_rng``; pass
        ``np.random.RandomState(seed)`` for the post's legacy stream. ``None`` uses
        numpy's global state.
    n_inputs : int, default 2
        Input features.

    Attributes
    ----------
    weights : list of ndarray
        ``W_l`` of shape ``(n_{l-1}, n_l)``, the output's last, ``(n_L, 1)``.
    biases : list of ndarray or None
        ``b_l`` of shape ``(n_l,)``; ``None`` without biases.
    architecture : Architecture
        Widths, activation and biases, what the passes of
        :mod:`~weight_init.studies.toy_training.backprop` need.
    """

    def __init__(
        self,
        hidden_widths: Sequence[int],
        activation: ActivationLike = "tanh",
        init: InitLike = "glorot_normal",
        *,
        bias: bool = False,
        bias_init: float = 0.1,
        rng: RNGLike = None,
        n_inputs: int = 2,
    ) -> None:
        self.hidden_widths = check_widths(hidden_widths, "hidden_widths", "[6, 3]")
        self.activation = get_activation(activation)
        if self.activation.grad is None:
            raise ValueError(
                f"activation {self.activation.name!r} has no exact derivative; backpropagation needs one"
            )
        if not is_positive_int(n_inputs):
            raise ValueError(f"n_inputs must be a positive integer, got {n_inputs!r}")
        if not (isinstance(bias_init, (int, float)) and math.isfinite(bias_init)):
            raise ValueError(f"bias_init must be a finite number, got {bias_init!r}")
        self.n_inputs = int(n_inputs)
        self.init = get(init)
        self.init_name = init_name(init)
        self.bias = bool(bias)
        self.bias_init = float(bias_init)
        self.architecture = Architecture(self.n_inputs, tuple(self.hidden_widths), self.activation, self.bias)
        # All parameters live in one flat buffer; weights and biases are views into it,
        # so that an update of every parameter is a single array operation.
        self._flat = np.zeros(self.architecture.n_parameters)
        views = self.architecture.split(self._flat)
        self.weights: list[np.ndarray] = views[:: 2 if self.bias else 1]
        self.biases: list[np.ndarray] | None = views[1::2] if self.bias else None
        if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
            rng = np.random.default_rng(int(rng))  # one stream for all layers
        for w in self.weights:
            fan_in, fan_out = w.shape
            drawn = np.asarray(call_init(self.init, fan_in, fan_out, rng), dtype=float)
            if drawn.shape != (fan_in, fan_out):
                raise ValueError(
                    f"the initializer returned shape {drawn.shape}; expected ({fan_in}, {fan_out})"
                )
            w[...] = drawn
        for b in self.biases or []:
            b[...] = self.bias_init

    def __repr__(self) -> str:
        return (
            f"MLP(hidden_widths={self.hidden_widths}, activation={self.activation.name!r}, "
            f"init={self.init_name!r}, bias={self.bias})"
        )

    # -- parameters ---------------------------------------------------------------------

    def parameters(self) -> list[np.ndarray]:
        """The arrays training changes, in place: ``W_1, (b_1,) W_2, (b_2,) ...``."""
        return self.architecture.split(self._flat)

    @property
    def flat_parameters(self) -> np.ndarray:
        """All parameters in one ``(P,)`` array, the order of :meth:`parameters`.

        The network's own buffer, not a copy: writing into it changes the network.
        """
        return self._flat

    @property
    def n_parameters(self) -> int:
        """Number of trainable numbers (weights and biases)."""
        return int(self._flat.size)

    def set_parameters(self, params: Sequence[np.ndarray]) -> None:
        """Copy ``params`` (same order and shapes as :meth:`parameters`) into the net."""
        mine = self.parameters()
        if len(params) != len(mine):
            raise ValueError(f"expected {len(mine)} arrays, got {len(params)}")
        for dst, src in zip(mine, params):
            src = np.asarray(src, dtype=float)
            if src.shape != dst.shape:
                raise ValueError(f"shape {src.shape} does not match {dst.shape}")
            dst[...] = src

    # -- forward / backward -------------------------------------------------------------

    def _check_x(self, x: Any) -> np.ndarray:
        return check_inputs(x, self.n_inputs)

    def _forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Pre-activations ``Z_l``, activations ``H_l`` (``H_0 = x``) and output ``o``."""
        zs, hs, o = NetworkStack(self.architecture, self._flat[None]).forward(x)
        return [z[0] for z in zs], [x] + [h[0] for h in hs[1:]], o[0]

    def predict_proba(self, x: Any) -> np.ndarray:
        """Raw output ``o`` in (0, 1), shape ``(n,)``."""
        return self._forward(self._check_x(x))[2]

    def predict(self, x: Any) -> np.ndarray:
        """Class predictions ``1[o >= 0.5]`` (ints), shape ``(n,)``."""
        return (self.predict_proba(x) >= 0.5).astype(int)

    def objective(self, x: Any, y: Any) -> float:
        """``E = 0.5 * mean((o - y)^2)``, the function :meth:`gradients` differentiates."""
        o = self.predict_proba(x)
        return 0.5 * float(np.mean((o - np.asarray(y, dtype=float).reshape(-1)) ** 2))

    def gradients(self, x: Any, y: Any) -> list[np.ndarray]:
        """Backpropagation: ``dE/dp`` for each array of :meth:`parameters`, same order.

        ``E = 0.5 * mean((o - y)^2)`` over the rows of ``x``; with
        ``D_out = (o - y) * o * (1 - o)`` and ``D_l = (D_{l+1} W_{l+1}^T) * f'(Z_l)``,
        ``dE/dW_l = H_{l-1}^T D_l / n`` and ``dE/db_l = sum_i D_l[i] / n``.
        """
        x = self._check_x(x)
        y = np.asarray(y, dtype=float).reshape(-1)
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"x has {x.shape[0]} rows but y has {y.shape[0]} labels")
        stack = NetworkStack(self.architecture, self._flat[None])
        zs, hs, o = stack.forward(x)
        return self.architecture.split(stack.backward(zs, hs, o, y)[0])

    # -- training -----------------------------------------------------------------------

    def fit(
        self,
        x: Any,
        y: Any,
        *,
        eta: float = 0.1,
        max_error: float = 1e-4,
        max_epochs: int = 1000,
        batch_size: int | None = None,
        averaging: bool = True,
        rng: RNGLike = None,
        label: str | None = None,
        progress: Callable[[int, int, float, bool], None] | None = None,
    ) -> TrainHistory:
        """Train by (mini-)batch gradient descent until the training error < ``max_error``.

        Parameters
        ----------
        x : ndarray (n, n_inputs)
            Training inputs (standardized, as in the post).
        y : ndarray (n,)
            Labels 0/1.
        eta : float, default 0.1
            Learning rate.
        max_error : float, default 1e-4
            Stop as soon as the training error (fraction misclassified) is below it; the
            post's ``0.0001`` means no error at all.
        max_epochs : int, default 1000
            At most this many epochs.
        batch_size : int, optional
            Samples per step; ``None`` (the post's examples) is the full batch. Each epoch
            shuffles the samples and takes ``floor(n / batch_size)`` batches; as in the
            post the ``n mod batch_size`` left over are skipped that epoch.
        averaging : bool, default True
            The post's iterate averaging (see
            :mod:`~weight_init.studies.toy_training.training`); ``False`` for plain
            gradient descent.
        rng : int, Generator or RandomState, optional
            Shuffling of mini-batches (unused for the full batch).
        label : str, optional
            Name for the history (default: the activation's name).
        progress : callable, optional
            Called as ``progress(epoch, max_epochs, train_error, done)`` about twice a
            second (checked every 500 epochs, so it costs nothing) with ``done=False``,
            and once at the end with ``done=True``.

        Returns
        -------
        TrainHistory
            Training error and loss at the end of every epoch (epoch 0 = start). The
            training error is checked after every step; a run that converges mid-epoch
            records its final state as that epoch.
        """

        def report(epoch: int, epochs: int, errors: np.ndarray, training: np.ndarray, done: bool) -> None:
            progress(epoch, epochs, float(errors[0]), done)

        return train_networks(
            self.architecture,
            [self._flat],
            x,
            y,
            eta=eta,
            max_error=max_error,
            max_epochs=max_epochs,
            batch_size=batch_size,
            averaging=averaging,
            rngs=[rng],
            labels=[label if label is not None else self.activation.name],
            progress=None if progress is None else report,
        )[0]
