"""The notebook's experiment: standard-normal data through a deep MLP.

>>> import numpy as np
>>> from weight_init.experiment import forward_prop
>>> def xavier_init(fan_in, fan_out):
...     return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)
>>> acts, means, stds = forward_prop([500] * 10, xavier_init)
>>> for i, H in acts.items():
...     print('Hidden layer %d had mean %f and std %f' % (i + 1, means[i], stds[i]))

Protocol: ``X`` is ``n_samples x hidden_layer_sizes[0]`` standard-normal data; hidden
layer ``i`` computes

.. math:: H_i = f(H_{i-1} W_i), \\qquad W_i = \\text{init}(n_{i-1}, n_i), \\quad H_{-1} = X,

with no biases, where ``n_{-1}`` is the input width; ``f`` is ``tanh`` by default.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from weight_init.activations import ActivationLike, get_activation
from weight_init.initializers import InitLike, call_init, get
from weight_init.validation import as_generator, check_widths, is_positive_int

__all__ = ["forward_prop", "forward_pass", "ForwardPass"]


@dataclass
class ForwardPass:
    """Everything one run of the experiment computed.

    Attributes
    ----------
    inputs : ndarray, shape (n_samples, n_0)
    weights : list of ndarray, ``weights[i]`` of shape ``(n_{i-1}, n_i)``
    preactivations : list of ndarray, ``H_{i-1} @ W_i``
    activations : list of ndarray, ``f(preactivations[i])``
    activation : the :class:`~weight_init.activations.Activation` used
    biases : list of ndarray or None, ``biases[i]`` of shape ``(n_i,)`` (``None``: no biases)
    """

    inputs: np.ndarray
    weights: list
    preactivations: list
    activations: list
    activation: Any
    biases: list | None = None


def _inputs(sizes: list[int], X: Any, n_samples: Any, rng: np.random.Generator | None) -> np.ndarray:
    if X is None:
        if not is_positive_int(n_samples):
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        if rng is None:
            return np.random.randn(int(n_samples), sizes[0])
        return rng.standard_normal((int(n_samples), sizes[0]))
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] < 1:
        raise ValueError("X has no rows")
    if X.shape[1] != sizes[0]:
        raise ValueError(
            f"X has {X.shape[1]} features but the first layer has width {sizes[0]}; "
            "the protocol feeds inputs as wide as the first layer"
        )
    return X


def forward_pass(
    hidden_layer_sizes: Sequence[int],
    init_fn: InitLike,
    *,
    activation: ActivationLike = "tanh",
    X: np.ndarray | None = None,
    n_samples: int = 1000,
    seed: int | np.random.Generator | None = None,
    sigma_b2: float = 0.0,
) -> ForwardPass:
    """Run the experiment and keep the inputs, weights and pre-activations too.

    Same arguments as :func:`forward_prop`; returns a :class:`ForwardPass`. With
    ``sigma_b2 > 0`` every layer adds a bias ``b ~ N(0, sigma_b2)`` per unit (drawn after
    its weights from the same stream): ``Z_i = H_{i-1} @ W_i + b_i``; with the default 0 no
    bias is drawn and the numbers are those of :func:`forward_prop`.
    """
    sigma_b2 = float(sigma_b2)
    if not sigma_b2 >= 0:
        raise ValueError(f"sigma_b2 must be a non-negative number, got {sigma_b2!r}")
    sizes = check_widths(hidden_layer_sizes, "hidden_layer_sizes", "[500] * 10")
    init = get(init_fn)
    act = get_activation(activation)
    rng = as_generator(seed)
    H = inputs = _inputs(sizes, X, n_samples, rng)

    weights, pre, acts, biases = [], [], [], []
    first_bad = None
    for i, fan_out in enumerate(sizes):
        fan_in = H.shape[1]
        W = np.asarray(call_init(init, fan_in, fan_out, rng), dtype=float)
        if W.shape != (fan_in, fan_out):
            raise ValueError(
                f"the initializer returned shape {W.shape} for layer {i + 1}; "
                f"expected (fan_in, fan_out) = ({fan_in}, {fan_out})"
            )
        with np.errstate(over="ignore", invalid="ignore"):
            Z = H @ W
            if sigma_b2 > 0:
                draw = np.random.standard_normal(fan_out) if rng is None else rng.standard_normal(fan_out)
                b = np.sqrt(sigma_b2) * draw
                biases.append(b)
                Z = Z + b
            H = np.asarray(act(Z), dtype=float)
        if first_bad is None and not np.all(np.isfinite(H)):
            first_bad = i
        weights.append(W)
        pre.append(Z)
        acts.append(H)
    if first_bad is not None:
        warnings.warn(
            f"non-finite activations (inf or nan) first appear in hidden layer {first_bad + 1}; "
            "the weights are too large for this depth",
            RuntimeWarning,
            stacklevel=3,
        )
    return ForwardPass(
        inputs=inputs,
        weights=weights,
        preactivations=pre,
        activations=acts,
        activation=act,
        biases=biases if sigma_b2 > 0 else None,
    )


def forward_prop(
    hidden_layer_sizes: Sequence[int],
    init_fn: InitLike,
    *,
    activation: ActivationLike = "tanh",
    X: np.ndarray | None = None,
    n_samples: int = 1000,
    seed: int | np.random.Generator | None = None,
) -> tuple[dict[int, np.ndarray], list[float], list[float]]:
    """Push data through a deep MLP and return each hidden layer's activations.

    Layer ``i`` (``0 <= i < L``) computes ``H_i = f(H_{i-1} @ W_i)`` with
    ``W_i = init_fn(fan_in, fan_out)`` and no biases; ``H_{-1} = X``.

    Parameters
    ----------
    hidden_layer_sizes : sequence of int
        Width of each hidden layer, e.g. ``[500] * 10``.
    init_fn : callable or str
        ``init_fn(fan_in, fan_out) -> ndarray (fan_in, fan_out)``: any function of
        yours, an initializer of :mod:`weight_init.initializers`, or a name that
        :func:`weight_init.initializers.get` accepts (``'he_normal'``, ``'xavier'``...).
    activation : str or callable, default 'tanh'
        ``tanh``, ``relu``, ``linear``, ``sigmoid``, ``leaky_relu``, ``elu``, ``selu``,
        or any elementwise function.
    X : ndarray (n_samples, n_features), optional
        Your own input, as wide as the first layer. By default ``n_samples x hidden_layer_sizes[0]`` standard-normal
        data, drawn like the notebook's ``np.random.randn(1000, 500)``.
    n_samples : int, default 1000
        Rows of the default input.
    seed : int or numpy.random.Generator, optional
        Seeds the input and the weights. ``None`` (the default) draws from numpy's
        global random state, so ``np.random.seed(...)`` makes a run repeatable, as in
        the notebook. A function without an ``rng`` argument still gets repeatable
        draws from a seed: numpy's global state is seeded for each call and restored.

    Returns
    -------
    hidden_layer_acts : dict of int to ndarray
        ``{i: H_i}`` for ``i = 0 .. L-1``, each ``(n_samples, hidden_layer_sizes[i])``.
    hidden_layer_means : list of float
        ``mean(H_i)`` over all entries.
    hidden_layer_stds : list of float
        ``std(H_i)`` over all entries.

    Raises
    ------
    ValueError
        Empty or non-positive sizes, an ``X`` that is not 2-D or whose width is not
        ``hidden_layer_sizes[0]``, an initializer that returns the wrong shape, or an
        unknown initializer or activation name.

    Warns
    -----
    RuntimeWarning
        When activations become non-finite, naming the first such layer.
    """
    result = forward_pass(
        hidden_layer_sizes, init_fn, activation=activation, X=X, n_samples=n_samples, seed=seed
    )
    acts = dict(enumerate(result.activations))
    with np.errstate(over="ignore", invalid="ignore"):  # forward_pass warned already
        means = [float(np.mean(H)) for H in result.activations]
        stds = [float(np.std(H)) for H in result.activations]
    return acts, means, stds
