"""An interactive explorer of the forward/backward signal: ``weight_init.explore()``.

Pick the initializer (any :func:`weight_init.initializers.get` name), the activation,
the depth and width of the :func:`~weight_init.experiment.forward_prop` network and a
gain that multiplies every weight (``W = gain * init(fan_in, fan_out)``, so
``Var(W)`` is ``gain**2`` times the initializer's), and watch, per layer, the measured
std of the activations ``H_l`` and of the gradients ``dL/dZ_l`` with the mean-field
prediction (:func:`weight_init.propagation.propagation_stats`), and the histogram of
every layer's activations.

The drawing is done by :func:`explorer_update`, a plain function of the widget values
that returns the statistics it drew; :func:`explore` only wires ipywidgets to it.
ipywidgets and matplotlib are imported when these are called.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from weight_init.initializers import Initializer, RNGLike, get

__all__ = ["explore", "explorer_update", "ExplorerView", "scaled_initializer", "MAX_HISTOGRAMS"]

#: At most this many layer histograms are drawn (evenly spaced layers when deeper).
MAX_HISTOGRAMS = 10


class ExplorerView(NamedTuple):
    """What :func:`explorer_update` drew."""

    stats: Any
    """The :func:`~weight_init.propagation.propagation_stats` table (one row per layer)."""
    layers_shown: list[int]
    """The 1-based layers whose histograms are drawn."""
    plot: Any
    """The :class:`~weight_init.plotting.PlotResult`; ``plot.figure`` is the Figure."""


class _Scaled(Initializer):
    """``gain * base``: ``Var`` and ``E[W^2]`` are ``gain**2`` times the base's."""

    def __init__(self, base: Initializer, gain: float) -> None:
        self.base, self.gain = base, float(gain)
        self.name = f"{base.name} x {self.gain:g}"

    def sample(self, shape: tuple[int, ...], rng: RNGLike = None) -> np.ndarray:
        return self.gain * self.base.sample(shape, rng)

    def variance(self, fan_in: int, fan_out: int) -> float | None:
        v = self.base.variance(fan_in, fan_out)
        return None if v is None else self.gain**2 * v

    def second_moment(self, fan_in: int, fan_out: int) -> float | None:
        m = self.base.second_moment(fan_in, fan_out)
        return None if m is None else self.gain**2 * m


def scaled_initializer(init: Any, gain: float = 1.0) -> Any:
    """The initializer ``init`` (a name, an Initializer or a function) times ``gain``.

    ``W = gain * init(fan_in, fan_out)``: ``Var(W)`` grows by ``gain**2``. A named
    initializer keeps its exact second moment for the theory; a function of yours gets
    the second moment of its draw (as in :func:`~weight_init.propagation.propagation_stats`).

    Raises
    ------
    ValueError
        For an unknown name or a gain that is not a finite number >= 0.
    """
    base = get(init)
    gain = float(gain)
    if not np.isfinite(gain) or gain < 0:
        raise ValueError(f"gain must be a finite number >= 0, got {gain!r}")
    if gain == 1.0:
        return base
    if isinstance(base, Initializer):
        return _Scaled(base, gain)

    def scaled(fan_in: int, fan_out: int) -> np.ndarray:
        return gain * np.asarray(base(fan_in, fan_out))

    return scaled


def _shown_layers(depth: int) -> list[int]:
    if depth <= MAX_HISTOGRAMS:
        return list(range(1, depth + 1))
    return sorted({int(round(x)) for x in np.linspace(1, depth, MAX_HISTOGRAMS)})


def explorer_update(
    init: Any = "xavier",
    activation: str = "tanh",
    depth: int = 10,
    width: int = 500,
    gain: float = 1.0,
    seed: int = 0,
    bias_var: float = 0.0,
    *,
    n_samples: int = 1000,
    bins: int = 30,
    figure: Any = None,
    figsize: tuple[float, float] = (15, 6),
) -> ExplorerView:
    """Draw the explorer's figure for one set of widget values.

    Runs ``propagation_stats([width] * depth, scaled_initializer(init, gain),
    activation=activation, n_samples=n_samples, seed=seed, sigma_b2=bias_var)`` and draws: top left, the
    std of each layer's activations ``H_l`` (measured: red points; mean-field theory:
    dashed); top right, the std of the gradient ``dL/dZ_l`` (green points, theory
    dashed); both on a log axis when their positive values span more than two decades,
    else on a linear axis from 0.
    Bottom: a histogram (``bins`` bins) of the activations of each layer, of up to
    :data:`MAX_HISTOGRAMS` evenly spaced layers. The same seed gives the same numbers;
    the histograms are of the very activations the table measures.

    Parameters
    ----------
    init, activation, depth, width, gain, seed, bias_var
        The widget values: an initializer name (or object or function), an activation
        name, the number and width of the hidden layers, the weight gain, the seed, and the
        variance of the biases ``b ~ N(0, bias_var)`` (0: no biases).
    n_samples : int
        Standard-normal inputs pushed through.
    bins : int
        Bins per histogram.
    figure : matplotlib Figure, optional
        Drawn into after clearing it; by default a new pyplot figure.

    Returns
    -------
    ExplorerView
        ``stats`` (the table drawn), ``layers_shown`` and ``plot`` (a PlotResult).

    Raises
    ------
    ValueError
        For a bad name, size, gain or seed (as :func:`propagation_stats`).
    """
    from weight_init.experiment import forward_pass
    from weight_init.plotting import PlotResult, as_figure, pyplot, wants_log
    from weight_init.propagation import propagation_stats

    depth, width = int(depth), int(width)
    scaled = scaled_initializer(init, gain)
    sizes = [width] * depth
    kw = dict(activation=activation, n_samples=n_samples, seed=seed, sigma_b2=bias_var)
    stats = propagation_stats(sizes, scaled, **kw)
    acts = dict(enumerate(forward_pass(sizes, scaled, **kw).activations))

    plt = pyplot()
    fig = plt.figure(figsize=figsize) if figure is None else as_figure(figure)
    fig.clear()
    shown = _shown_layers(depth)
    ncols = max(2, len(shown))
    grid = fig.add_gridspec(2, ncols, height_ratios=[1.4, 1])
    ax_act = fig.add_subplot(grid[0, : ncols // 2])
    ax_grad = fig.add_subplot(grid[0, ncols // 2 :])
    layer = stats["layer"].to_numpy()
    for ax, column, color, label in (
        (ax_act, "act_std", "r", "activation std  std(H_l)"),
        (ax_grad, "grad_std", "g", "gradient std  std(dL/dZ_l)"),
    ):
        measured = stats[column].to_numpy(dtype=float)
        theory = stats["theory_" + column].to_numpy(dtype=float)
        ax.plot(layer, measured, f"o{color}-", label="measured")
        ax.plot(layer, theory, f"{color}--", label="theory (infinite width)")
        if wants_log("auto", [measured, theory]):
            ax.set_yscale("log", nonpositive="mask")
        else:  # from 0, so that noise around a flat line looks as small as it is
            ax.set_ylim(0, 1.15 * max(np.nanmax(np.r_[measured, theory, 0.0]), 1e-12))
        ax.set_title(label)
        ax.set_xlabel("hidden layer")
        ax.legend(fontsize="small")
    for k, l in enumerate(shown):
        lo, hi = k * ncols // len(shown), (k + 1) * ncols // len(shown)
        ax = fig.add_subplot(grid[1, lo:hi])
        values = acts[l - 1].ravel()
        ax.hist(values[np.isfinite(values)], bins)
        ax.set_title(f"layer {l}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    name = init if isinstance(init, str) else getattr(init, "name", getattr(init, "__name__", "init"))
    fig.suptitle(f"{name} x {float(gain):g}, {activation}, {depth} x {width} units, seed {seed}")
    fig.tight_layout()
    return ExplorerView(stats, shown, PlotResult(fig))


def explore(
    init: str = "xavier",
    activation: str = "tanh",
    depth: int = 10,
    width: int = 500,
    gain: float = 1.0,
    seed: int = 0,
    bias_var: float = 0.0,
    *,
    n_samples: int = 1000,
) -> Any:
    """The interactive explorer (ipywidgets): controls above, the live figure below.

    Widgets: initializer (every :func:`weight_init.initializers.names` name, and
    ``init`` itself when it is another form ``get`` reads, e.g. ``'normal:0.4'``),
    activation, depth (1-30 layers), width (10-1000 units), gain (0-3), seed and bias
    variance (0-1; the papers' ``sigma_b^2``); every
    change redraws :func:`explorer_update`'s figure. Show it as a notebook cell's value
    (``weight_init.explore()``). Needs ``pip install ipywidgets``.

    Returns
    -------
    ipywidgets.VBox
    """
    from weight_init._optional import require

    widgets = require("ipywidgets", "notebook")
    from weight_init.activations import activation_names
    from weight_init.initializers import get, names

    if not isinstance(init, str):
        raise ValueError(
            f"explore() takes the initializer as text (a name or 'name:value', "
            f"as initializers.get reads it), got {init!r}"
        )
    get(init)  # an unknown name or a bad value: ValueError naming what is accepted
    if activation not in activation_names():
        raise ValueError(
            f"unknown activation {activation!r}; valid names are: {', '.join(activation_names())}"
        )
    options = names() if init in names() else [init, *names()]
    controls = {
        "init": widgets.Dropdown(options=options, value=init, description="init"),
        "activation": widgets.Dropdown(
            options=activation_names(), value=activation, description="activation"
        ),
        "depth": widgets.IntSlider(value=depth, min=1, max=30, description="depth"),
        "width": widgets.IntSlider(value=width, min=10, max=1000, step=10, description="width"),
        "gain": widgets.FloatSlider(value=gain, min=0.0, max=3.0, step=0.05, description="gain"),
        "seed": widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed"),
        "bias_var": widgets.FloatSlider(value=bias_var, min=0.0, max=1.0, step=0.01, description="bias var"),
    }

    def update(**values: Any) -> None:
        from weight_init._optional import require

        plt = require("matplotlib.pyplot", "plots")

        explorer_update(**values, n_samples=n_samples)
        plt.show()

    out = widgets.interactive_output(update, controls)
    rows = [
        widgets.HBox([controls["init"], controls["activation"], controls["seed"]]),
        widgets.HBox([controls["depth"], controls["width"], controls["gain"], controls["bias_var"]]),
    ]
    return widgets.VBox([*rows, out])
