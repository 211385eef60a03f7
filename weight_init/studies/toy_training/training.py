"""The post's training loop, for one network or many of one architecture at once.

:func:`train_networks` serves both :meth:`MLP.fit
<weight_init.studies.toy_training.mlp.MLP.fit>` (one network) and
:func:`~weight_init.studies.toy_training.batch.fit_many` (many): the parameters are
stacked (:class:`~weight_init.studies.toy_training.backprop.NetworkStack`) and every step
is one batched forward and backward pass for all networks still training. A network
that converges leaves the stack; the others go on. Each network's numbers are its own,
whatever trains beside it (see :mod:`weight_init.studies.toy_training.backprop`).

Loss. The gradient is that of ``E = mean((o - y)^2) / 2``, while the *recorded* loss is
the post's ``avg_loss``, the mean squared error ``mean((o - y)^2) = 2 E``; the training
error is the fraction of misclassified points (prediction ``1[o >= 0.5]``).

Update. (Mini-)batch gradient descent with step ``eta``. With ``averaging=True`` (the
post's ``fit`` always does it) the update is the post's iterate averaging:

.. math::

    w_{t} = w_{t-1} - \\eta \\nabla E(\\bar w_{t-1}), \\qquad
    \\bar w_t = \\frac{t \\bar w_{t-1} + w_t}{t + 1}
              = \\frac{1}{t + 1} \\sum_{s=0}^{t} w_s, \\qquad \\bar w_0 = w_0,

the network holds the running average ``w_bar`` and gradients are evaluated there.
``averaging=False`` is plain gradient descent ``w_t = w_{t-1} - eta grad E(w_{t-1})``.
After every iteration the training error on the whole training set is computed and a
network stops as soon as it is below ``max_error`` ("converged during epoch N"), or
after ``max_epochs`` epochs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from weight_init.initializers import RNGLike, as_sampler
from weight_init.studies.toy_training.backprop import Architecture, NetworkStack, check_inputs
from weight_init.validation import is_positive_int

__all__ = ["TrainHistory", "check_fit_args", "train_networks"]


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


def check_fit_args(
    x: Any, y: Any, n_inputs: int, eta: Any, max_epochs: Any, batch_size: Any
) -> tuple[np.ndarray, np.ndarray, int]:
    """``(x, y, batch size)`` checked for training; ``ValueError`` on a bad one."""
    x = check_inputs(x, n_inputs)
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


def train_networks(
    architecture: Architecture,
    params: Sequence[np.ndarray],
    x: Any,
    y: Any,
    *,
    eta: float = 0.1,
    max_error: float = 1e-4,
    max_epochs: int = 1000,
    batch_size: int | None = None,
    averaging: bool = True,
    rngs: Sequence[RNGLike] | None = None,
    labels: Sequence[str] | None = None,
    progress: Callable[[int, int, np.ndarray, np.ndarray, bool], None] | None = None,
) -> list[TrainHistory]:
    """Train networks of one architecture together, each as if alone; in place.

    Parameters
    ----------
    architecture : Architecture
        Of every network.
    params : sequence of ndarray (P,)
        Each network's flat parameters (the layout of ``architecture.split``); each
        is overwritten with the network's trained parameters at the end.
    x, y, eta, max_error, max_epochs, batch_size, averaging :
        As in :meth:`MLP.fit <weight_init.studies.toy_training.mlp.MLP.fit>`, the same
        for every network.
    rngs : sequence, optional
        One mini-batch shuffling seed or generator per network; unused for the full
        batch. Without it, mini-batches are shuffled by numpy's global generator,
        which the networks then share in turn.
    labels : sequence of str, optional
        Each history's label (default: the activation's name).
    progress : callable, optional
        Called as ``progress(epoch, max_epochs, train_errors, training, done)`` about
        twice a second (checked every 500 epochs, so it costs nothing) with
        ``done=False``, and once at the end with ``done=True``: ``train_errors`` holds
        every network's latest training error and ``training`` (bool) marks those
        still training.

    Returns
    -------
    list of TrainHistory
        One per network, in order: training error and loss at the end of every epoch
        (epoch 0 = start). The training error is checked after every step; a run that
        converges mid-epoch records its final state as that epoch. ``seconds`` is the
        time of the whole loop.
    """
    n_nets = len(params)
    if n_nets == 0:
        raise ValueError("training needs at least one network")
    x, y, bs = check_fit_args(x, y, architecture.n_inputs, eta, max_epochs, batch_size)
    if rngs is not None and len(rngs) != n_nets:
        raise ValueError(f"got {len(rngs)} rngs for {n_nets} networks")
    if labels is not None and len(labels) != n_nets:
        raise ValueError(f"got {len(labels)} labels for {n_nets} networks")
    n = x.shape[0]
    full_batch = bs == n
    batches = n // bs
    shufflers = None
    if not full_batch:
        shufflers = [as_sampler(None if rngs is None else r) for r in rngs or [None] * n_nets]
    eta = float(eta)
    max_epochs = int(max_epochs)

    active = np.arange(n_nets)  # networks still training, in order
    rows: slice | np.ndarray = slice(None)  # their rows of the records (all, at first)
    stack = NetworkStack(architecture, np.stack([np.asarray(p, dtype=float) for p in params]))
    raw = stack.flat.copy()  # the iterates w_t; the stack holds their averages
    grad = np.empty_like(stack.flat)
    grad_views = architecture.split(grad)
    errors = np.zeros((n_nets, max_epochs + 1))
    losses = np.zeros((n_nets, max_epochs + 1))
    latest = np.zeros(n_nets)  # each network's latest training error, for progress
    last_epoch = np.full(n_nets, max_epochs)
    converged_epoch: list[int | None] = [None] * n_nets
    steps = np.zeros(n_nets, dtype=int)
    final = np.empty_like(stack.flat)  # each network's parameters when it stopped
    positive = y == 1.0

    def evaluate(st: NetworkStack) -> tuple[list, list, np.ndarray, np.ndarray, np.ndarray]:
        zs, hs, o = st.forward(x)
        err = ((o >= 0.5) != positive).sum(axis=1) / n  # each one's misclassified share
        r = o - y
        loss = np.matmul(r[:, None, :], r[:, :, None])[:, 0, 0] / n  # each one's r @ r
        return zs, hs, o, err, loss

    def report(epoch: int, done: bool) -> None:
        if active.size:
            latest[active] = err
        training = np.zeros(n_nets, dtype=bool)
        training[active] = True
        progress(epoch, max_epochs, latest.copy(), training, done)

    start = reported = time.perf_counter()
    zs, hs, o, err, loss = evaluate(stack)
    errors[:, 0], losses[:, 0] = err, loss
    t = 1
    epoch = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(1, max_epochs + 1):
            orders = None if full_batch else [shufflers[i].permutation(n) for i in active]
            for b in range(batches):
                if full_batch:
                    stack.backward(zs, hs, o, y, grad, grad_views)
                else:
                    idx = np.stack([order[b * bs : (b + 1) * bs] for order in orders])
                    bz, bh, bo = stack.forward(x[idx])
                    stack.backward(bz, bh, bo, y[idx], grad, grad_views)
                grad *= eta
                raw -= grad
                params_bar = stack.flat
                if averaging:  # (t * w_bar + w) / (t + 1), as the post computes it
                    params_bar *= t
                    params_bar += raw
                    params_bar /= t + 1
                else:
                    params_bar[...] = raw
                t += 1
                zs, hs, o, err, loss = evaluate(stack)
                if err.min() < max_error:
                    done = err < max_error
                    for j in np.flatnonzero(done):
                        i = active[j]
                        converged_epoch[i] = epoch
                        last_epoch[i] = epoch
                        steps[i] = t - 1
                        errors[i, epoch], losses[i, epoch] = err[j], loss[j]
                        latest[i] = err[j]
                        final[i] = params_bar[j]
                    keep = ~done
                    active = rows = active[keep]
                    if active.size == 0:
                        break
                    stack = stack.subset(keep)
                    raw, grad = raw[keep], grad[keep]
                    grad_views = architecture.split(grad)
                    zs = [z[keep] for z in zs]
                    hs = [hs[0]] + [h[keep] for h in hs[1:]]
                    o, err, loss = o[keep], err[keep], loss[keep]
                    if orders is not None:
                        orders = [order for order, k in zip(orders, keep) if k]
            if active.size == 0:
                break
            errors[rows, epoch], losses[rows, epoch] = err, loss
            if progress is not None and epoch % 500 == 0:
                now = time.perf_counter()
                if now - reported >= 0.5:
                    report(epoch, False)
                    reported = now
    if active.size:  # the networks still training at the end (none if all converged)
        final[active] = stack.flat
        steps[active] = t - 1
        last_epoch[active] = epoch
    if progress is not None:
        report(epoch, True)
    seconds = time.perf_counter() - start

    histories = []
    settings = dict(eta=eta, max_epochs=max_epochs, batch_size=int(bs), averaging=bool(averaging))
    for i, p in enumerate(params):
        p[...] = final[i]
        last = int(last_epoch[i]) + 1
        histories.append(
            TrainHistory(
                epoch=np.arange(last),
                train_error=errors[i, :last].copy(),
                loss=losses[i, :last].copy(),
                converged=converged_epoch[i] is not None,
                converged_epoch=converged_epoch[i],
                iterations=int(steps[i]),
                max_error=float(max_error),
                seconds=seconds,
                label=labels[i] if labels is not None else architecture.activation.name,
                settings=dict(settings),
            )
        )
    return histories
