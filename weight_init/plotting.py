"""One-call versions of the notebook's plots.

Each function returns a :class:`~weight_init.plotting.PlotResult` (its ``.figure`` is the
matplotlib ``Figure``) and never calls ``plt.show()``: in Jupyter the figure appears
exactly once whatever the cell ends with; in a script call ``plt.show()`` or
``result.savefig(...)``.

What every plot of the package returns, :class:`PlotResult`: a figure that a notebook
shows exactly once.

A function that returned the matplotlib ``Figure`` itself was shown twice in Jupyter when
it was a cell's last line: once as the cell's value, once more by the inline backend,
which shows every open pyplot figure when the cell ends. :class:`PlotResult` wraps the
figure instead; it has no image of its own while pyplot is going to show the figure
anyway, and shows it (once) when it is not, e.g. as the last line of a later cell, after
the inline backend has closed it. The ``Figure`` stays at hand for saving:
``result.figure``, and every attribute of the figure (``savefig``, ``axes``,
``suptitle``, ...) is reached through the result.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "plot_layer_stats",
    "plot_layer_histograms",
    "PlotResult",
    "as_figure",
    "pyplot",
    "NON_INTERACTIVE",
]


#: matplotlib backends that draw no window.
NON_INTERACTIVE = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


class PlotResult:
    """A drawn figure: ``result.figure`` is the matplotlib ``Figure``.

    Attribute access falls through to the figure, so ``result.savefig(path)`` and
    ``result.axes`` work as on the figure itself. In IPython/Jupyter the figure appears
    exactly once whatever the cell ends with: :meth:`_ipython_display_` shows nothing
    while an interactive pyplot backend (the inline one included) still holds the figure
    and will show it at the end of the cell, and shows the figure otherwise.
    """

    __slots__ = ("figure",)

    def __init__(self, figure: Any) -> None:
        object.__setattr__(self, "figure", figure)

    def __getattr__(self, name: str) -> Any:
        if name == "figure":  # not set yet (e.g. while unpickling)
            raise AttributeError(name)
        return getattr(self.figure, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.figure, name, value)

    def __getstate__(self) -> dict:
        return {"figure": self.figure}

    def __setstate__(self, state: dict) -> None:
        object.__setattr__(self, "figure", state["figure"])

    def __repr__(self) -> str:
        w, h = self.figure.get_size_inches()
        titles = [ax.get_title() for ax in self.figure.axes if ax.get_title()]
        shown = ", ".join(repr(t) for t in titles[:4]) + (", ..." if len(titles) > 4 else "")
        return (
            f"<PlotResult: {w:g}x{h:g} in figure, {len(self.figure.axes)} axes"
            f"{': ' + shown if shown else ''}; .figure is the matplotlib Figure>"
        )

    def _ipython_display_(self) -> None:
        if pyplot_will_show(self.figure):
            return
        from IPython.display import display

        display(self.figure)


def pyplot_will_show(figure: Any) -> bool:
    """True when pyplot holds ``figure`` open and shows figures by itself.

    That is: an interactive backend (a window, Jupyter's inline backend, ipympl) in
    interactive mode (``plt.ion()``, Jupyter's default), and ``figure`` not closed.
    """
    import matplotlib
    from matplotlib._pylab_helpers import Gcf

    if matplotlib.get_backend().lower() in NON_INTERACTIVE or not matplotlib.is_interactive():
        return False
    return any(m.canvas.figure is figure for m in Gcf.get_all_fig_managers())


def as_figure(fig: Any) -> Any:
    """The matplotlib ``Figure`` of a :class:`PlotResult`, or ``fig`` itself."""
    return fig.figure if isinstance(fig, PlotResult) else fig


def pyplot() -> Any:
    """``matplotlib.pyplot``, or a one-line error naming what to install."""
    from weight_init._optional import require

    return require("matplotlib.pyplot", "plots")


def _as_series(values, label: str, n: int) -> np.ndarray | None:
    if values is None:
        return None
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n,):
        raise ValueError(f"{label} must be 1-D with one value per layer ({n}), got shape {arr.shape}")
    return arr


def wants_log(logy: Any, series: Sequence[Any]) -> bool:
    """``logy`` itself, or for ``'auto'`` whether the positive values span orders of magnitude."""
    if isinstance(logy, (bool, np.bool_)):
        return bool(logy)
    if isinstance(logy, str) and logy == "auto":
        values = np.concatenate([s for s in series if s is not None])
        values = values[np.isfinite(values) & (values > 0)]
        return bool(values.size > 1 and values.max() / values.min() > 100.0)
    raise ValueError(f"logy must be True, False or 'auto', got {logy!r}")


def plot_layer_stats(
    hidden_layer_means: Sequence[float],
    hidden_layer_stds: Sequence[float],
    *,
    layers: Sequence[int] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (15, 3),
    theory_means: Sequence[float] | None = None,
    theory_stds: Sequence[float] | None = None,
    grad_stds: Sequence[float] | None = None,
    theory_grad_stds: Sequence[float] | None = None,
    logy: bool | str = False,
):
    """Per-layer mean (blue) and standard deviation (red), as the notebook draws them.

    Optionally with the mean-field prediction as dashed curves over the measured points,
    and a third panel (green) for the std of the gradient with respect to each layer's
    pre-activations, ``dL/dZ_l`` (see :func:`weight_init.propagation.propagation_stats`,
    whose table :func:`weight_init.propagation.plot_propagation` plots in one call).

    Parameters
    ----------
    hidden_layer_means, hidden_layer_stds : sequence of float
        The second and third results of :func:`weight_init.experiment.forward_prop`.
    layers : sequence of int, optional
        x positions; by default ``0 .. L-1`` like ``list(hidden_layer_acts.keys())``.
    title : str, optional
        Figure title (``suptitle``).
    figsize : (float, float)
        Figure size in inches; the notebook uses (15, 3).
    theory_means, theory_stds : sequence of float, optional
        Predicted mean and std per layer, drawn dashed on the first two panels.
    grad_stds, theory_grad_stds : sequence of float, optional
        Measured and predicted std of ``dL/dZ_l``; either adds a third panel,
        "gradient std".
    logy : bool or 'auto', default False
        Log y-axis for the std panels; ``'auto'`` when their positive values span more
        than two decades. Zeros are not drawn on a log axis.

    Returns
    -------
    PlotResult
        ``.figure`` is the matplotlib ``Figure`` (its attributes, e.g. ``savefig`` and
        ``axes``, are also reached through the result); shown once in a notebook.
        With two axes, "layer mean" and "layer std", and a third, "gradient std", when
        gradient values are given. A legend ("measured", "theory") appears where a
        theory curve is drawn.
    """
    means = np.asarray(hidden_layer_means, dtype=float)
    stds = np.asarray(hidden_layer_stds, dtype=float)
    if means.shape != stds.shape or means.ndim != 1:
        raise ValueError(f"means and stds must be 1-D and equally long, got {means.shape} and {stds.shape}")
    x = np.arange(len(means)) if layers is None else np.asarray(layers)
    if len(x) != len(means):
        raise ValueError(f"layers has {len(x)} entries for {len(means)} layers")
    n = len(means)
    t_means = _as_series(theory_means, "theory_means", n)
    t_stds = _as_series(theory_stds, "theory_stds", n)
    g_stds = _as_series(grad_stds, "grad_stds", n)
    t_g_stds = _as_series(theory_grad_stds, "theory_grad_stds", n)
    with_grad = g_stds is not None or t_g_stds is not None
    log_act = wants_log(logy, [stds, t_stds])
    log_grad = with_grad and wants_log(logy, [g_stds, t_g_stds])

    plt = pyplot()
    fig, axes = plt.subplots(1, 3 if with_grad else 2, figsize=figsize)
    ax_mean, ax_std = axes[0], axes[1]
    panels = [
        (ax_mean, means, t_means, "b", "layer mean", False),
        (ax_std, stds, t_stds, "r", "layer std", log_act),
    ]
    if with_grad:
        panels.append((axes[2], g_stds, t_g_stds, "g", "gradient std (dL/dZ)", log_grad))
    for ax, measured, theory, color, label, log in panels:
        if measured is not None:
            ax.plot(x, measured, f"o{color}-", label="measured")
        if theory is not None:
            ax.plot(x, theory, f"{color}--", label="theory (infinite width)")
            ax.legend(fontsize="small")
        if log:
            ax.set_yscale("log", nonpositive="mask")
        ax.set_title(label)
        ax.set_xlabel("hidden layer")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return PlotResult(fig)


def plot_layer_histograms(
    hidden_layer_acts: Mapping[int, np.ndarray],
    *,
    bins: int = 30,
    range: tuple[float, float] | None = (-1, 1),
    title: str | None = None,
    figsize: tuple[float, float] = (15, 3),
):
    """One histogram of the activation values per hidden layer, side by side.

    Parameters
    ----------
    hidden_layer_acts : dict of int to ndarray
        The first result of :func:`weight_init.experiment.forward_prop`.
    bins : int, default 30
    range : (float, float) or None, default (-1, 1)
        Histogram range, as in the notebook's ``plt.hist(H.ravel(), 30, range=(-1, 1))``;
        ``None`` for each layer's own range.
    title : str, optional
    figsize : (float, float)

    Returns
    -------
    PlotResult
        ``.figure`` is the matplotlib ``Figure`` (its attributes, e.g. ``savefig`` and
        ``axes``, are also reached through the result); shown once in a notebook.
        With one axis per layer, titled "layer 1", "layer 2", ...
    """
    if not hidden_layer_acts:
        raise ValueError("hidden_layer_acts is empty")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    plt = pyplot()
    keys = list(hidden_layer_acts.keys())
    fig, axes = plt.subplots(1, len(keys), figsize=figsize, sharey=True, squeeze=False)
    for ax, key in zip(axes[0], keys):
        values = np.asarray(hidden_layer_acts[key], dtype=float).ravel()
        ax.hist(values[np.isfinite(values)], bins, range=range)
        ax.set_title(f"layer {key + 1}" if isinstance(key, (int, np.integer)) else str(key))
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return PlotResult(fig)
