"""The trainable depth, measured: tanh networks on MNIST over a grid of depth x sigma_w^2.

Schoenholz et al. (2017, "Deep Information Propagation", Figs. 5-6) train
fully connected tanh networks with weights ``N(0, sigma_w^2 / N)`` and biases
``N(0, sigma_b^2)`` for a fixed number of steps over a grid of depth and ``sigma_w^2`` at
``sigma_b^2 = 0.05``, and find that a network trains when its depth is below a few times
the correlation depth scale ``xi_c`` (``L ~ 6 xi_c``): deep networks train only near the
order-to-chaos transition, where ``xi_c`` diverges.

:func:`train_trainable_depth` does that experiment: every network of the grid (and of
every run seed) is trained **together** in one Keras model
(:func:`weight_init.studies.trainable_depth.network.build_grid`) on the summed
cross-entropy (:mod:`weight_init.studies.fused`), each exactly as it would train alone, for
``steps`` batches; then each network's loss and accuracy on the training and the test
images. The data order depends only on the seed: ``numpy.random.default_rng([seed,
0xDA7A])`` draws one permutation of the training images per pass, and the batches are cut
from it as ``fit`` cuts them.

>>> from weight_init.studies.trainable_depth.study import train_trainable_depth
>>> df = train_trainable_depth(depths=(2, 8), sigma_w2s=(1.0, 4.0), steps=50)  # doctest: +SKIP
>>> df[["depth", "sigma_w2", "test_accuracy"]]                                 # doctest: +SKIP
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, Sequence

import numpy as np

from weight_init.studies.trainable_depth.network import N_INPUTS, Network
from weight_init.validation import check_positive_int, check_seeds

__all__ = [
    "DEFAULT_DEPTHS",
    "DEFAULT_SIGMA_W2",
    "DEFAULT_SIGMA_B2",
    "DEFAULT_WIDTH",
    "DEFAULT_STEPS",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LEARNING_RATE",
    "DEFAULT_OPTIMIZER",
    "OPTIMIZERS",
    "COLUMNS",
    "grid_networks",
    "check_learning_rate",
    "make_optimizer",
    "flat_data",
    "batch_order",
    "fit_grid",
    "train_trainable_depth",
]

#: The CPU defaults (see docs/trainable-depth.md for why).
DEFAULT_DEPTHS = (2, 4, 8, 12, 16, 24, 32, 48, 64, 96)
DEFAULT_SIGMA_W2 = (0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0)
DEFAULT_SIGMA_B2 = 0.05
DEFAULT_WIDTH = 64
DEFAULT_STEPS = 300
DEFAULT_BATCH_SIZE = 64
DEFAULT_LEARNING_RATE = 0.01
DEFAULT_OPTIMIZER = "sgd"
#: ``--optimizer`` names: plain SGD, SGD with Nesterov momentum 0.9, RMSprop, Adam (Keras'
#: other defaults).
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
#: Columns of the table :func:`train_trainable_depth` returns, one row per network.
COLUMNS = (
    "sigma_w2",
    "sigma_b2",
    "depth",
    "seed",
    "train_accuracy",
    "test_accuracy",
    "train_loss",
    "test_loss",
    "last_batch_loss",
)


def _check_values(values: Sequence[Any], name: str, kind: type, minimum: float, strict: bool) -> list:
    try:
        out = list(values)
    except TypeError:
        raise ValueError(f"{name} must be a list of numbers, got {values!r}") from None
    if not out:
        raise ValueError(f"{name} is empty; give at least one value")
    checked = []
    for v in out:
        ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        if kind is int:
            ok = ok and float(v) == int(v)
        if not ok or not math.isfinite(float(v)) or (v <= minimum if strict else v < minimum):
            bound = f"> {minimum:g}" if strict else f">= {minimum:g}"
            raise ValueError(
                f"{name}: {v!r} is not allowed; every value must be a finite {kind.__name__} {bound}"
            )
        checked.append(kind(v))
    if len(set(checked)) != len(checked):
        raise ValueError(f"{name}: a value is given twice ({checked})")
    return checked


def grid_networks(
    depths: Sequence[int], sigma_w2s: Sequence[float], sigma_b2: float, seeds: Sequence[int]
) -> list[Network]:
    """The grid's networks, depth-major, then ``sigma_w2``, then seed (checked: positive
    depths, positive ``sigma_w2``, ``sigma_b2 >= 0``, distinct values)."""
    depths = _check_values(depths, "depths", int, 0, strict=True)
    sigma_w2s = _check_values(sigma_w2s, "sigma_w2", float, 0.0, strict=True)
    (sigma_b2,) = _check_values([sigma_b2], "sigma_b2", float, 0.0, strict=False)
    seeds = check_seeds(seeds)
    return [Network(d, w, sigma_b2, s) for d in depths for w in sigma_w2s for s in seeds]


def check_learning_rate(learning_rate: Any) -> float:
    """``float(learning_rate)`` if it is a finite number > 0, else a ``ValueError``."""
    number = isinstance(learning_rate, (int, float, np.floating)) and not isinstance(learning_rate, bool)
    if not (number and math.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    return float(learning_rate)


def make_optimizer(keras: Any, name: str, learning_rate: float) -> Any:
    """A Keras optimizer by :data:`OPTIMIZERS` name."""
    check_learning_rate(learning_rate)
    opt = keras.optimizers
    if name == "sgd":
        return opt.SGD(learning_rate)
    if name == "momentum":
        return opt.SGD(learning_rate, momentum=0.9, nesterov=True)
    if name == "rmsprop":
        return opt.RMSprop(learning_rate)
    if name == "adam":
        return opt.Adam(learning_rate)
    raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {name!r}")


def flat_data(data: Any, n_train: int | None = None, *, verbose: bool = True) -> tuple[np.ndarray, ...]:
    """``(x, y, x_test, y_test)``: images flattened to 784 float32 pixels in [0, 1], labels
    one-hot float32; the first ``n_train`` training images (all, said on stderr, when
    there are fewer)."""
    have = len(data.x_train)
    if n_train is not None:
        n_train = check_positive_int(n_train, "n_train")
        if n_train > have and verbose:
            print(
                f"note: {getattr(data, 'name', 'the data')} has {have} training images, "
                f"fewer than n_train={n_train}; training on all {have}",
                file=sys.stderr,
            )
    eye = np.eye(10, dtype=np.float32)
    x = np.asarray(data.x_train[:n_train], dtype=np.float32).reshape(-1, N_INPUTS)
    x_test = np.asarray(data.x_test, dtype=np.float32).reshape(-1, N_INPUTS)
    return x, eye[np.asarray(data.y_train[:n_train])], x_test, eye[np.asarray(data.y_test)]


def batch_order(seed: int, n: int, steps: int, batch_size: int) -> list[np.ndarray]:
    """The training indices of a run seed, one array per pass over the ``n`` images:
    ``default_rng([seed, 0xDA7A]).permutation(n)`` per pass, batches cut as ``fit`` cuts
    them (the last one of a pass smaller), the last pass cut after ``steps`` batches."""
    rng = np.random.default_rng([int(seed), 0xDA7A])
    per_pass = -(-n // batch_size)
    passes, left = [], steps
    while left > 0:
        perm = rng.permutation(n)
        take = min(left, per_pass)
        passes.append(perm[: take * batch_size])
        left -= take
    return passes


def _scores(model: Any, x: np.ndarray, y: np.ndarray, n_seeds: int, batch: int) -> tuple:
    from weight_init.studies.fused import validation_scores

    logits = np.concatenate(
        [
            np.asarray(model.predict_on_batch(np.repeat(x[i : i + batch, None, :], n_seeds, axis=1)))
            for i in range(0, len(x), batch)
        ]
    )
    return validation_scores(logits, y)


def fit_grid(
    keras: Any,
    model: Any,
    nets: Sequence[Network],
    seeds: Sequence[int],
    x: np.ndarray,
    y: np.ndarray,
    steps: int,
    batch_size: int,
    *,
    loop: str = "auto",
    progress: Any = None,
    shown: Sequence[int] = (),
) -> np.ndarray:
    """Train a compiled :func:`~weight_init.studies.trainable_depth.network.build_grid` model
    for ``steps`` batches, each seed in its :func:`batch_order`; returns every step's own
    batch loss per network, shape ``(steps, len(nets))`` (the ``batch_loss_k`` metrics of
    :func:`weight_init.studies.fused.batch_loss_metrics`). ``progress``: a
    :class:`weight_init.studies.fused.Progress` showing the networks ``shown`` (a bar on a
    terminal, else a line per pass over the data)."""
    from weight_init.studies.fused import Reordered, fit_epoch

    seeds = list(seeds)
    orders = [batch_order(s, len(x), steps, batch_size) for s in seeds]
    where = [seeds.index(n.seed) for n in nets]
    out: list[list[float]] = []
    for p in range(len(orders[0])):
        perms = [order[p] for order in orders]
        on_batch, done = None, len(out)
        if progress is not None:
            on_batch = lambda step, losses, done=done: progress.batch(  # noqa: E731
                0, done + step + 1, [losses[k] for k in shown]
            )
        out.extend(
            fit_epoch(
                keras,
                model,
                Reordered(x, perms),
                Reordered(y, [perms[w] for w in where]),
                batch_size,
                len(nets),
                on_batch=on_batch,
                loop=loop,
            )
        )
        if progress is not None and not progress.tty:  # no bar: a line per pass over the data
            elapsed = time.perf_counter() - progress.start
            losses = "  ".join(f"{label} {out[-1][k]:.4g}" for label, k in zip(progress.labels, shown))
            progress.stream.write(f"step {len(out)}/{steps} ({elapsed:.0f}s)  batch loss: {losses}\n")
            progress.stream.flush()
    return np.asarray(out, dtype=np.float64)


def train_trainable_depth(
    depths: Sequence[int] = DEFAULT_DEPTHS,
    sigma_w2s: Sequence[float] = DEFAULT_SIGMA_W2,
    *,
    sigma_b2: float = DEFAULT_SIGMA_B2,
    width: int = DEFAULT_WIDTH,
    steps: int = DEFAULT_STEPS,
    batch_size: int = DEFAULT_BATCH_SIZE,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    optimizer: str = DEFAULT_OPTIMIZER,
    data: Any = None,
    dataset: str = "auto",
    n_train: int | None = None,
    seeds: Sequence[int] = (0,),
    eval_batch_size: int = 1000,
    loop: str = "auto",
    verbose: bool = True,
) -> Any:
    """Train every network of the grid ``depths x sigma_w2s x seeds`` together and score it.

    Parameters
    ----------
    depths : sequence of int
        Numbers of hidden tanh layers.
    sigma_w2s : sequence of float
        Weight variances: ``W^l_ij ~ N(0, sigma_w^2 / fan_in)``.
    sigma_b2 : float
        Bias variance, ``b^l_i ~ N(0, sigma_b^2)``; 0.05 as in Schoenholz et al. (2017).
    width : int
        Units of every hidden layer.
    steps, batch_size : int
        Training steps (batches) and their size; passes over the data as needed.
    learning_rate : float
    optimizer : {'sgd', 'momentum', 'rmsprop', 'adam'}
    data : weight_init.studies.mnist.MNIST, optional
        The images; by default :func:`weight_init.studies.mnist.load_mnist` of ``dataset``.
    n_train : int, optional
        Train on (and report the training accuracy of) the first ``n_train`` images only.
    seeds : sequence of int
        Run seeds: each fixes the weights of its networks and its data order; a
        network's numbers do not depend on the rest of the grid.
    eval_batch_size : int
        Batch size of the final scoring passes (only the speed depends on it).
    loop : {'auto', 'fit', 'train_on_batch'}
        How the steps run (:func:`weight_init.studies.fused.fit_epoch`).
    verbose : bool
        Progress and notes on stderr.

    Returns
    -------
    pandas.DataFrame
        One row per network, depth-major, with columns :data:`COLUMNS`: the accuracies
        and mean cross-entropies on all training and test images after the last step
        (``NaN`` loss for a network whose numbers overflowed), and the mean loss of the
        last training batch. ``attrs``: ``source``, ``n_train``, ``n_test``, ``width``,
        ``steps``, ``batch_size``, ``learning_rate``, ``optimizer``, ``seeds``, ``backend``.
    """
    from weight_init._optional import import_keras, require

    pd = require("pandas", "plots")
    from weight_init.studies.fused import Progress, batch_loss_metrics, check_loop, summed_loss
    from weight_init.studies.trainable_depth.network import build_grid

    seeds = check_seeds(seeds)
    nets = grid_networks(depths, sigma_w2s, sigma_b2, seeds)
    width = check_positive_int(width, "width")
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    eval_batch_size = check_positive_int(eval_batch_size, "eval_batch_size")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}; got {optimizer!r}")
    learning_rate = check_learning_rate(learning_rate)
    check_loop(loop)
    if data is None:
        from weight_init.studies.mnist import load_mnist

        data = load_mnist(dataset, verbose=verbose)
    x, y, x_test, y_test = flat_data(data, n_train, verbose=verbose)
    keras = import_keras()
    if verbose:
        print(
            f"training {len(nets)} tanh networks together ({len(set(n.depth for n in nets))} depths x "
            f"{len(set(n.sigma_w2 for n in nets))} sigma_w^2 x {len(seeds)} seed(s), width {width}) on "
            f"{len(x)} images ({getattr(data, 'name', 'data')}): {steps} steps of {batch_size}, "
            f"{optimizer} lr {learning_rate:g}, on {keras.backend.backend()}; building the model ...",
            file=sys.stderr,
        )
    model = build_grid(nets, width, seeds)
    model.compile(
        optimizer=make_optimizer(keras, optimizer, learning_rate),
        loss=summed_loss(keras),
        metrics=batch_loss_metrics(keras, len(nets)),
    )
    shown = list(range(0, len(nets), max(1, len(nets) // 4)))[:4]  # the networks the progress bar shows
    progress = (
        Progress([f"L{nets[k].depth}/w{nets[k].sigma_w2:g}" for k in shown], 1, steps) if verbose else None
    )
    losses = fit_grid(
        keras, model, nets, seeds, x, y, steps, batch_size, loop=loop, progress=progress, shown=shown
    )
    train_loss, train_acc = _scores(model, x, y, len(seeds), eval_batch_size)
    test_loss, test_acc = _scores(model, x_test, y_test, len(seeds), eval_batch_size)
    if progress is not None:
        progress.epoch_end(0, [test_loss[k] for k in shown], [test_acc[k] for k in shown])
    df = pd.DataFrame(
        {
            "sigma_w2": [n.sigma_w2 for n in nets],
            "sigma_b2": [n.sigma_b2 for n in nets],
            "depth": [n.depth for n in nets],
            "seed": [n.seed for n in nets],
            "train_accuracy": train_acc,
            "test_accuracy": test_acc,
            "train_loss": train_loss,
            "test_loss": test_loss,
            "last_batch_loss": losses[-1].astype(float),
        },
        columns=list(COLUMNS),
    )
    df.attrs.update(
        source=getattr(data, "source", ""),
        n_train=len(x),
        n_test=len(x_test),
        width=width,
        steps=steps,
        batch_size=batch_size,
        learning_rate=float(learning_rate),
        optimizer=optimizer,
        seeds=seeds,
        backend=keras.backend.backend(),
    )
    return df
