"""A small MLP written from scratch in numpy and trained by backpropagation.

The network of the initialization post, vectorized over the batch: the post loops over
neurons in Python, here every layer is one matrix product over all samples.

Model
-----
Inputs are rows, ``H_0 = X`` of shape ``(n, d)``. Hidden layer ``l = 1 .. L`` and the
single output unit compute

.. math::

    Z_l = H_{l-1} W_l + b_l, \\qquad H_l = f(Z_l), \\qquad
    o = \\sigma(H_L w_{out} + b_{out}), \\qquad \\sigma(z) = \\frac{1}{1 + e^{-z}},

with one activation ``f`` for all hidden layers and ``W_l`` of shape
``(n_{l-1}, n_l)`` (the package's ``init(fan_in, fan_out)`` orientation; the post's
matrices are the transposes). The prediction is ``1[o >= 0.5]``.

Biases. ``bias=False`` (the post's default) has no ``b_l``. ``bias=True`` is the post's
``has_bias=True``: it adds a constant unit (output 1) to the input and to every hidden
layer whose outgoing weights are the biases of the next layer, output unit included;
they start at ``bias_init`` (0.1 in the post) while the real weights are drawn with fans
that do not count the constant units. **Width convention:** ``hidden_widths`` here are
the *real* units. The post counts the constant unit in the width, so its
``SingleActivatorNN([6, 3], ..., has_bias=True)`` is ``MLP([5, 2], bias=True)`` here
(:func:`real_widths` converts).

Loss and gradient. Backpropagation computes the gradient of

.. math:: E = \\frac{1}{2 n} \\sum_i (o_i - y_i)^2

(output error ``delta = (o - y) * o (1 - o)``; ``dE/dW_l = H_{l-1}^T D_l / n``), while
the *recorded* loss is the post's ``avg_loss``, the mean squared error
``mean((o - y)^2) = 2 E``; the training error is the fraction of misclassified points.

Training (:meth:`MLP.fit`). (Mini-)batch gradient descent with step ``eta``. With
``averaging=True`` (the default, because the post's ``fit`` always does it) the update is
the post's iterate averaging:

.. math::

    w_{t} = w_{t-1} - \\eta \\nabla E(\\bar w_{t-1}), \\qquad
    \\bar w_t = \\frac{t \\bar w_{t-1} + w_t}{t + 1}
              = \\frac{1}{t + 1} \\sum_{s=0}^{t} w_s, \\qquad \\bar w_0 = w_0,

the network holds the running average ``w_bar`` and gradients are evaluated there.
``averaging=False`` is plain gradient descent ``w_t = w_{t-1} - eta grad E(w_{t-1})``.
After every iteration the training error on the whole training set is computed and
training stops as soon as it is below ``max_error`` ("converged during epoch N"), or
after ``max_epochs`` epochs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from weight_init.activations import ActivationLike, get_activation
from weight_init.initializers import (
    Initializer,
    InitLike,
    RNGLike,
    as_sampler,
    call_init,
    get,
    init_name,
)
from weight_init.validation import check_widths, is_positive_int

__all__ = [
    "MLP",
    "TrainHistory",
    "PostNormal",
    "post_xavier_normal",
    "post_he_normal",
    "xavier_normal",
    "he_normal",
    "real_widths",
    "sigmoid",
]


_TANH = get_activation("tanh")
_RELU = get_activation("relu")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))``, the post's formula (overflow to 0 for very negative z)."""
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


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


# ----------------------------------------------------------------------------- the post's draw


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

# Plain (non-truncated, no rejection) normal versions of the same two laws, defined once in
# weight_init.initializers: ``xavier_normal`` is ``W ~ N(0, 2 / (fan_in + fan_out))``,
# ``he_normal`` is ``W ~ N(0, 2 / fan_in)`` (PyTorch's xavier_normal_ and kaiming_normal_).
from weight_init.initializers import he_normal_untruncated as he_normal  # noqa: E402
from weight_init.initializers import xavier_normal  # noqa: E402

# ----------------------------------------------------------------------------- history


@dataclass
class TrainHistory:
    """Per-epoch record of one training run.

    Attributes
    ----------
    epoch : ndarray of int
        ``0`` (the initialization) then ``1 .. N``.
    train_error : ndarray
        Fraction of training points misclassified at the end of each epoch.
    loss : ndarray
        ``mean((o - y)^2)`` over the training set (the post's ``avg_loss``).
    converged : bool
        Whether the training error fell below ``max_error``.
    converged_epoch : int or None
        The epoch during which it did (the post's "converged during epoch N").
    iterations : int
        Gradient steps taken.
    seconds : float
        Wall-clock time of the training loop.
    label : str
        Name of the network (used as the ``network`` column of :meth:`to_frame`).
    """

    epoch: np.ndarray
    train_error: np.ndarray
    loss: np.ndarray
    converged: bool
    converged_epoch: int | None
    iterations: int
    max_error: float
    seconds: float = 0.0
    label: str = ""
    settings: dict = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """Number of epochs trained (the last ``epoch``)."""
        return int(self.epoch[-1])

    @property
    def final_error(self) -> float:
        return float(self.train_error[-1])

    def summary(self) -> str:
        """``converged during epoch N`` or ``no convergence after N epochs (...)``."""
        if self.converged:
            return f"converged during epoch {self.converged_epoch}"
        return f"no convergence after {self.epochs} epochs (final train error {self.final_error:.4f})"

    def to_frame(self) -> Any:
        """A tidy ``pandas.DataFrame``: ``network, epoch, train_error, loss``."""
        from weight_init._optional import require

        pd = require("pandas", "plots")

        return pd.DataFrame(
            {
                "network": self.label,
                "epoch": self.epoch,
                "train_error": self.train_error,
                "loss": self.loss,
            }
        )


# ----------------------------------------------------------------------------- network


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
        :mod:`weight_init.initializers`, or :data:`post_xavier_normal` /
        :data:`post_he_normal` for the post's draw.
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
        sizes = [self.n_inputs, *self.hidden_widths, 1]
        shapes: list[tuple[int, ...]] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            shapes.append((fan_in, fan_out))
            if self.bias:
                shapes.append((fan_out,))
        # All parameters live in one flat buffer; weights and biases are views into it,
        # so that an update of every parameter is a single array operation.
        self._shapes = shapes
        self._flat = np.zeros(sum(math.prod(sh) for sh in shapes))
        views = self._views(self._flat)
        self.weights: list[np.ndarray] = views[:: 2 if self.bias else 1]
        self.biases: list[np.ndarray] | None = views[1::2] if self.bias else None
        if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
            rng = np.random.default_rng(int(rng))  # one stream for all layers
        for w, (fan_in, fan_out) in zip(self.weights, zip(sizes[:-1], sizes[1:])):
            drawn = np.asarray(call_init(self.init, fan_in, fan_out, rng), dtype=float)
            if drawn.shape != (fan_in, fan_out):
                raise ValueError(
                    f"the initializer returned shape {drawn.shape}; expected ({fan_in}, {fan_out})"
                )
            w[...] = drawn
        for b in self.biases or []:
            b[...] = self.bias_init

    def _views(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of a flat buffer with the shapes of :meth:`parameters`."""
        out, start = [], 0
        for sh in self._shapes:
            size = math.prod(sh)
            out.append(flat[start : start + size].reshape(sh))
            start += size
        return out

    def __repr__(self) -> str:
        return (
            f"MLP(hidden_widths={self.hidden_widths}, activation={self.activation.name!r}, "
            f"init={self.init_name!r}, bias={self.bias})"
        )

    # -- parameters ---------------------------------------------------------------------

    def parameters(self) -> list[np.ndarray]:
        """The arrays training changes, in place: ``W_1, (b_1,) W_2, (b_2,) ...``."""
        return self._views(self._flat)

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
        x = np.asarray(x, dtype=float)
        if x.ndim != 2 or x.shape[1] != self.n_inputs:
            raise ValueError(f"x must have shape (n_samples, {self.n_inputs}), got {x.shape}")
        return x

    def _forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray]:
        """Pre-activations ``Z_l``, activations ``H_l`` (``H_0 = x``) and output ``o``."""
        f = self.activation.fn
        zs, hs = [], [x]
        h = x
        last = len(self.weights) - 1
        for l, w in enumerate(self.weights):
            z = h @ w
            if self.biases is not None:
                z += self.biases[l]
            if l < last:
                h = f(z)
                zs.append(z)
                hs.append(h)
        return zs, hs, sigmoid(z[:, 0])

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

    def _fprime(self, z: np.ndarray, h: np.ndarray) -> np.ndarray:
        """``f'(z)``, from the activation ``h = f(z)`` where that is exact and cheaper."""
        act = self.activation
        if act is _TANH:
            return 1.0 - h * h  # = 1 - tanh(z)^2, the same numbers
        if act is _RELU:
            return z > 0
        return act.grad(z)

    def _backward(
        self,
        zs: list,
        hs: list,
        o: np.ndarray,
        y: np.ndarray,
        out: np.ndarray | None = None,
        out_views: list | None = None,
    ) -> np.ndarray:
        """The flat gradient (layout of :meth:`parameters`), written into ``out``.

        ``out_views`` are ``self._views(out)``, passed in by the training loop to save
        re-slicing the buffer at every step.
        """
        n = y.shape[0]
        grad = np.empty_like(self._flat) if out is None else out
        views = self._views(grad) if out_views is None else out_views
        d = ((o - y) * (o * (1.0 - o)))[:, None]  # n * dE/dz_out
        for l in range(len(self.weights) - 1, -1, -1):
            if self.biases is not None:
                np.matmul(hs[l].T, d, out=views[2 * l])
                np.sum(d, axis=0, out=views[2 * l + 1])
            else:
                np.matmul(hs[l].T, d, out=views[l])
            if l > 0:
                d = (d @ self.weights[l].T) * self._fprime(zs[l - 1], hs[l])
        grad /= n
        return grad

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
        zs, hs, o = self._forward(x)
        return self._views(self._backward(zs, hs, o, y))

    # -- training -----------------------------------------------------------------------

    def _check_fit_args(
        self, x: Any, y: Any, eta: Any, max_epochs: Any, batch_size: Any
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """``(x, y, batch size)`` checked for :meth:`fit` (and the batched trainer)."""
        x = self._check_x(x)
        y = np.asarray(y, dtype=float).reshape(-1)
        n = x.shape[0]
        if y.shape[0] != n:
            raise ValueError(f"x has {n} rows but y has {y.shape[0]} labels")
        if not (isinstance(eta, (int, float)) and math.isfinite(eta) and eta > 0):
            raise ValueError(f"eta must be a positive number, got {eta!r}")
        if not is_positive_int(max_epochs):
            raise ValueError(f"max_epochs must be a positive integer, got {max_epochs!r}")
        bs = n if batch_size is None else batch_size
        if isinstance(bs, bool) or not isinstance(bs, (int, np.integer)) or not 1 <= bs <= n:
            raise ValueError(f"batch_size must be an integer in [1, {n}], got {batch_size!r}")
        return x, y, bs

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
            The post's iterate averaging (see the module notes); ``False`` for plain
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
        x, y, bs = self._check_fit_args(x, y, eta, max_epochs, batch_size)
        n = x.shape[0]
        full_batch = bs == n
        batches = n // bs
        shuffler = None if full_batch else as_sampler(rng)
        eta = float(eta)

        params = self._flat  # the averaged weights, what the network holds
        raw = params.copy()
        grad = np.empty_like(params)
        grad_views = self._views(grad)
        epochs = np.zeros(max_epochs + 1, dtype=int)
        errors = np.zeros(max_epochs + 1)
        losses = np.zeros(max_epochs + 1)
        positive = y == 1.0

        def evaluate() -> tuple[list, list, np.ndarray, float, float]:
            zs, hs, o = self._forward(x)
            err = np.count_nonzero((o >= 0.5) != positive) / n
            r = o - y
            return zs, hs, o, err, float(r @ r) / n

        start = reported = time.perf_counter()
        zs, hs, o, err, loss = evaluate()
        errors[0], losses[0] = err, loss
        t = 1
        converged_epoch = None
        epoch = 0
        with np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(1, max_epochs + 1):
                order = None if full_batch else shuffler.permutation(n)
                for b in range(batches):
                    if full_batch:
                        self._backward(zs, hs, o, y, grad, grad_views)
                    else:
                        idx = order[b * bs : (b + 1) * bs]
                        bz, bh, bo = self._forward(x[idx])
                        self._backward(bz, bh, bo, y[idx], grad, grad_views)
                    grad *= eta
                    raw -= grad
                    if averaging:  # (t * w_bar + w) / (t + 1), as the post computes it
                        params *= t
                        params += raw
                        params /= t + 1
                    else:
                        params[...] = raw
                    t += 1
                    zs, hs, o, err, loss = evaluate()
                    if err < max_error:
                        converged_epoch = epoch
                        break
                epochs[epoch], errors[epoch], losses[epoch] = epoch, err, loss
                if converged_epoch is not None:
                    break
                if progress is not None and epoch % 500 == 0:
                    now = time.perf_counter()
                    if now - reported >= 0.5:
                        progress(epoch, int(max_epochs), err, False)
                        reported = now
        if progress is not None:
            progress(epoch, int(max_epochs), err, True)
        seconds = time.perf_counter() - start
        last = epoch + 1
        return TrainHistory(
            epoch=epochs[:last],
            train_error=errors[:last],
            loss=losses[:last],
            converged=converged_epoch is not None,
            converged_epoch=converged_epoch,
            iterations=t - 1,
            max_error=float(max_error),
            seconds=seconds,
            label=label if label is not None else self.activation.name,
            settings=dict(eta=eta, max_epochs=int(max_epochs), batch_size=int(bs), averaging=bool(averaging)),
        )
