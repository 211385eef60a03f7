"""Train many copies of one :class:`~weight_init.studies.toy_training.mlp.MLP` architecture at once.

:func:`fit_many` is :meth:`MLP.fit <weight_init.studies.toy_training.mlp.MLP.fit>` vectorized over
networks: the parameters of ``S`` networks (one per seed, say) are stacked, weights as
``(S, fan_in, fan_out)``, and every step is one batched forward and backward pass
(``np.matmul`` over the leading axis) for all networks still training. A network that
converges leaves the batch; the others go on.

Each network's numbers are its own: ``np.matmul`` on a stack computes every slice with
the same BLAS call, on the same memory layout, as the single network's ``h @ w``; the
element-wise steps are the same operations; and reductions run over a network's own
samples in the same order. So a network's history (training error, loss, convergence
epoch) and final weights equal those of ``net.fit`` run alone, bit for bit, whatever
other networks train beside it (the tests check this against :meth:`MLP.fit`); with
mini-batches, give each network its own shuffling seed (``rngs``), as ``net.fit(...,
rng=seed)`` would use.

Model, loss, gradient and the post's iterate averaging are those of
:mod:`weight_init.studies.toy_training.mlp`:
``w_t = w_{t-1} - eta grad E(w_bar_{t-1})``, ``w_bar_t = (t w_bar_{t-1} + w_t) / (t + 1)``,
with ``E = mean((o - y)^2) / 2`` and training stopped per network as soon as its training
error is below ``max_error``.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable, Sequence

import numpy as np

from weight_init.initializers import RNGLike, as_sampler
from weight_init.studies.toy_training.mlp import _RELU, _TANH, MLP, TrainHistory, sigmoid

__all__ = ["fit_many"]


def _check_same_architecture(nets: Sequence[MLP]) -> None:
    first = nets[0]
    for net in nets[1:]:
        same = (
            net.hidden_widths == first.hidden_widths
            and net.activation is first.activation
            and net.bias == first.bias
            and net.n_inputs == first.n_inputs
        )
        if not same:
            raise ValueError(f"fit_many trains networks of one architecture; got {first!r} and {net!r}")


class _Stack:
    """Stacked parameters of ``S`` networks: a flat ``(S, P)`` buffer and its views."""

    def __init__(self, template: MLP, flat: np.ndarray) -> None:
        self.template = template
        self.flat = flat
        self.views = self.split(flat)
        step = 2 if template.bias else 1
        self.weights = self.views[::step]
        self.biases = self.views[1::2] if template.bias else None

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        out, start = [], 0
        for sh in self.template._shapes:
            size = math.prod(sh)
            out.append(flat[:, start : start + size].reshape((flat.shape[0], *sh)))
            start += size
        return out

    def forward(self, x: np.ndarray) -> tuple[list, list, np.ndarray]:
        """``Z_l``, ``H_l`` (``H_0 = x``) and ``o`` of shape ``(S, n)``; ``x`` is
        ``(n, d)`` (shared) or ``(S, n, d)``."""
        f = self.template.activation.fn
        zs, hs = [], [x]
        h = x
        last = len(self.weights) - 1
        for l, w in enumerate(self.weights):
            z = np.matmul(h, w)
            if self.biases is not None:
                z += self.biases[l][:, None, :]
            if l < last:
                h = f(z)
                zs.append(z)
                hs.append(h)
        return zs, hs, sigmoid(z[:, :, 0])

    def fprime(self, z: np.ndarray, h: np.ndarray) -> np.ndarray:
        act = self.template.activation
        if act is _TANH:
            return 1.0 - h * h
        if act is _RELU:
            return z > 0
        return act.grad(z)

    def backward(self, zs: list, hs: list, o: np.ndarray, y: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """The flat ``(S, P)`` gradient of ``E`` written into ``grad``; ``y`` is ``(n,)``
        or ``(S, n)``."""
        n = o.shape[1]
        views = self.split(grad)
        d = ((o - y) * (o * (1.0 - o)))[:, :, None]
        for l in range(len(self.weights) - 1, -1, -1):
            h_t = np.swapaxes(hs[l], -1, -2)
            if self.biases is not None:
                if h_t.ndim == 2:  # the shared input: broadcast it over the networks
                    h_t = np.broadcast_to(h_t, (d.shape[0], *h_t.shape))
                np.matmul(h_t, d, out=views[2 * l])
                np.sum(d, axis=1, out=views[2 * l + 1])
            else:
                if h_t.ndim == 2:
                    h_t = np.broadcast_to(h_t, (d.shape[0], *h_t.shape))
                np.matmul(h_t, d, out=views[l])
            if l > 0:
                d = np.matmul(d, np.swapaxes(self.weights[l], -1, -2)) * self.fprime(zs[l - 1], hs[l])
        grad /= n
        return grad


def fit_many(
    nets: Sequence[MLP],
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
    progress: Callable[[int, int, int, bool], None] | None = None,
) -> list[TrainHistory]:
    """Train ``nets`` (one architecture) together; each as ``net.fit`` would alone.

    Parameters
    ----------
    nets : sequence of MLP
        Networks of the same widths, activation, biases and inputs (their weights
        differ: one draw per seed). They are trained in place.
    x, y, eta, max_error, max_epochs, batch_size, averaging :
        As in :meth:`MLP.fit`, the same for every network.
    rngs : sequence, optional
        One mini-batch shuffling seed or generator per network (``net.fit``'s ``rng``);
        unused for the full batch. Without it, mini-batches are shuffled by numpy's
        global generator, which the networks then share in turn (so their batches
        differ from a lone ``net.fit``'s).
    labels : sequence of str, optional
        Each history's label (default: the activation's name).
    progress : callable, optional
        Called as ``progress(epoch, max_epochs, still_training, done)`` about twice a
        second, and once with ``done=True`` at the end.

    Returns
    -------
    list of TrainHistory
        One per network, in order, equal to what ``net.fit(x, y, ...)`` returns (but
        ``seconds``, the time of the whole batch).
    """
    nets = list(nets)
    if not nets:
        raise ValueError("fit_many needs at least one network")
    _check_same_architecture(nets)
    template = nets[0]
    x, y, bs = template._check_fit_args(x, y, eta, max_epochs, batch_size)
    n = x.shape[0]
    n_nets = len(nets)
    if rngs is not None and len(rngs) != n_nets:
        raise ValueError(f"got {len(rngs)} rngs for {n_nets} networks")
    if labels is not None and len(labels) != n_nets:
        raise ValueError(f"got {len(labels)} labels for {n_nets} networks")
    full_batch = bs == n
    batches = n // bs
    shufflers = None
    if not full_batch:
        shufflers = [as_sampler(None if rngs is None else r) for r in rngs or [None] * n_nets]
    eta = float(eta)
    max_epochs = int(max_epochs)

    active = np.arange(n_nets)  # networks still training, in order
    stack = _Stack(template, np.stack([net._flat for net in nets]))
    raw = stack.flat.copy()
    grad = np.empty_like(stack.flat)
    errors = np.zeros((n_nets, max_epochs + 1))
    losses = np.zeros((n_nets, max_epochs + 1))
    last_epoch = np.full(n_nets, max_epochs)
    converged_epoch: list[int | None] = [None] * n_nets
    steps = np.zeros(n_nets, dtype=int)
    final = np.empty_like(stack.flat)  # each network's parameters when it stopped
    positive = y == 1.0

    def evaluate(st: _Stack) -> tuple[list, list, np.ndarray, np.ndarray, np.ndarray]:
        zs, hs, o = st.forward(x)
        err = np.count_nonzero((o >= 0.5) != positive, axis=1) / n
        r = o - y
        loss = np.matmul(r[:, None, :], r[:, :, None])[:, 0, 0] / n  # each one's r @ r
        return zs, hs, o, err, loss

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
                    stack.backward(zs, hs, o, y, grad)
                else:
                    idx = np.stack([order[b * bs : (b + 1) * bs] for order in orders])
                    bz, bh, bo = stack.forward(x[idx])
                    stack.backward(bz, bh, bo, y[idx], grad)
                grad *= eta
                raw -= grad
                params = stack.flat
                if averaging:
                    params *= t
                    params += raw
                    params /= t + 1
                else:
                    params[...] = raw
                t += 1
                zs, hs, o, err, loss = evaluate(stack)
                done = err < max_error
                if done.any():
                    for j in np.flatnonzero(done):
                        i = active[j]
                        converged_epoch[i] = epoch
                        last_epoch[i] = epoch
                        steps[i] = t - 1
                        errors[i, epoch], losses[i, epoch] = err[j], loss[j]
                        final[i] = params[j]
                    keep = ~done
                    active = active[keep]
                    if active.size == 0:
                        break
                    stack = _Stack(template, params[keep])
                    raw, grad = raw[keep], grad[keep]
                    zs = [z[keep] for z in zs]
                    hs = [hs[0]] + [h[keep] for h in hs[1:]]
                    o, err, loss = o[keep], err[keep], loss[keep]
                    if orders is not None:
                        orders = [order for order, k in zip(orders, keep) if k]
            if active.size == 0:
                break
            errors[active, epoch], losses[active, epoch] = err, loss
            if progress is not None and epoch % 500 == 0:
                now = time.perf_counter()
                if now - reported >= 0.5:
                    progress(epoch, max_epochs, int(active.size), False)
                    reported = now
    if active.size:  # the networks still training at the end (none if all converged)
        final[active] = stack.flat
        steps[active] = t - 1
        last_epoch[active] = epoch
    if progress is not None:
        progress(epoch, max_epochs, int(active.size), True)
    seconds = time.perf_counter() - start

    histories = []
    settings = dict(eta=eta, max_epochs=max_epochs, batch_size=int(bs), averaging=bool(averaging))
    for i, net in enumerate(nets):
        net._flat[...] = final[i]
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
                label=labels[i] if labels is not None else net.activation.name,
                settings=dict(settings),
            )
        )
    return histories
