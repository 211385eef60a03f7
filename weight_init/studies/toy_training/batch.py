"""Train many copies of one :class:`~weight_init.studies.toy_training.mlp.MLP` architecture at once.

:func:`fit_many` is :meth:`MLP.fit <weight_init.studies.toy_training.mlp.MLP.fit>` for
many networks: both run :func:`weight_init.studies.toy_training.training.train_networks`,
which stacks the parameters of ``S`` networks (one per seed, say), weights as
``(S, fan_in, fan_out)``, and makes every step one batched forward and backward pass for
all networks still training. A network that converges leaves the batch; the others go
on.

A network's history (training error, loss, convergence epoch) and final weights equal
those of ``net.fit`` run alone, bit for bit, whatever other networks train beside it
(:mod:`weight_init.studies.toy_training.backprop` says why; the tests check it); with
mini-batches, give each network its own shuffling seed (``rngs``), as ``net.fit(...,
rng=seed)`` would use.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from weight_init.initializers import RNGLike
from weight_init.studies.toy_training.mlp import MLP
from weight_init.studies.toy_training.training import TrainHistory, train_networks

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

    def report(epoch: int, epochs: int, errors: np.ndarray, training: np.ndarray, done: bool) -> None:
        progress(epoch, epochs, int(np.count_nonzero(training)), done)

    return train_networks(
        nets[0].architecture,
        [net.flat_parameters for net in nets],
        x,
        y,
        eta=eta,
        max_error=max_error,
        max_epochs=max_epochs,
        batch_size=batch_size,
        averaging=averaging,
        rngs=rngs,
        labels=labels,
        progress=None if progress is None else report,
    )
