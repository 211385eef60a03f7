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

import textwrap
from typing import Any, Mapping, Sequence

import numpy as np

__all__ = [
    "plot_layer_stats",
    "draw_std_panel",
    "mean_axis_limits",
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


#: Font sizes for figures shown at a notebook's width (about 10 inches at 100 dpi).
TITLE_SIZE, LABEL_SIZE, LEGEND_SIZE = 12, 11, 9


def draw_std_panel(
    ax: Any,
    x: Sequence[float],
    measured: Sequence[float] | None,
    theory: Sequence[float] | None = None,
    *,
    color: str = "r",
    title: str = "layer std",
    logy: bool | str = "auto",
    theory_caveat: str | None = None,
) -> bool:
    """One per-layer std panel: measured points, theory dashed, an honest y-axis.

    The y-axis is logarithmic when ``logy`` says so (``'auto'``: the positive values span
    more than two decades, :func:`wants_log`), else linear **from 0**, so that noise
    around a flat line looks as small as it is. On a log axis a measured value of exactly
    0 cannot be drawn; it is marked by a triangle at the bottom edge ("measured 0").
    When every value is 0 the linear axis runs 0 .. 1 and says "all 0" (no axis scaled to
    a tiny epsilon). ``theory_caveat``: why the mean-field assumptions fail for this
    network (see :func:`weight_init.propagation.theory_caveat`); the theory curve is
    then faded and the panel says "theory does not apply" with the reason.

    Returns
    -------
    bool
        Whether the axis is logarithmic.
    """
    x = np.asarray(x, dtype=float)
    series = [np.asarray(v, dtype=float) for v in (measured, theory) if v is not None]
    log = wants_log(logy, series) if series else False
    if log and not any(np.any(np.isfinite(v) & (v > 0)) for v in series):
        log = False  # nothing a log axis could show: the linear axis says "all 0"
    if measured is not None:
        ax.plot(x, measured, f"o{color}-", label="measured")
    if theory is not None:
        faded = {"alpha": 0.45} if theory_caveat else {}
        label = "theory (does not apply)" if theory_caveat else "theory (infinite width)"
        ax.plot(x, theory, f"{color}--", label=label, **faded)
    finite = np.concatenate([v[np.isfinite(v)] for v in series]) if series else np.zeros(0)
    if log:
        ax.set_yscale("log", nonpositive="mask")
        if measured is not None:
            zero = np.asarray(measured, dtype=float) == 0
            if zero.any():  # at the bottom edge: x in data, y in axes coordinates
                ax.plot(
                    x[zero],
                    np.full(zero.sum(), 0.02),
                    "v",
                    color=color,
                    mfc="none",
                    transform=ax.get_xaxis_transform(),
                    clip_on=False,
                    label="measured 0 (off the log axis)",
                )
    else:
        top = float(np.max(np.abs(finite))) if finite.size else 0.0
        if top > 0:
            ax.set_ylim(0, 1.15 * top)
        else:
            ax.set_ylim(0, 1)
            ax.text(0.5, 0.5, "all 0", transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_title(title, fontsize=TITLE_SIZE)
    ax.set_xlabel("hidden layer", fontsize=LABEL_SIZE)
    if 0 < len(x) <= 12:  # every layer's number
        ax.set_xticks(x)
    if theory_caveat:  # in the legend's title: the legend is placed where the data are not
        legend = ax.legend(
            fontsize=LEGEND_SIZE,
            title="theory does not apply here:\n" + textwrap.fill(theory_caveat, 36),
            title_fontsize=LEGEND_SIZE,
        )
        legend.get_title().set_color("darkred")
    elif len(ax.get_lines()) > 1:
        ax.legend(fontsize=LEGEND_SIZE)
    return log


def mean_axis_limits(means: Sequence[float], scale: float) -> tuple[float, float]:
    """y-limits for a layer-mean panel: 0 included, at least ``+-0.1 * scale`` tall.

    ``scale`` is the largest std of the figure: a mean of 1e-4 beside stds of 0.6 then
    looks like the 0 it is instead of filling the panel with noise.
    """
    values = np.asarray(means, dtype=float)
    values = values[np.isfinite(values)]
    lo = min(0.0, float(values.min())) if values.size else 0.0
    hi = max(0.0, float(values.max())) if values.size else 0.0
    floor = 0.1 * scale if np.isfinite(scale) and scale > 0 else 1.0
    pad = max(0.1 * (hi - lo), 0.0)
    lo, hi = lo - pad, hi + pad
    if hi - lo < 2 * floor:
        mid = 0.5 * (hi + lo)
        lo, hi = min(lo, mid - floor), max(hi, mid + floor)
    return lo, hi


def plot_layer_stats(
    hidden_layer_means: Sequence[float],
    hidden_layer_stds: Sequence[float],
    *,
    layers: Sequence[int] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (12, 3.4),
    theory_means: Sequence[float] | None = None,
    theory_stds: Sequence[float] | None = None,
    grad_stds: Sequence[float] | None = None,
    theory_grad_stds: Sequence[float] | None = None,
    logy: bool | str = False,
    theory_caveat: str | None = None,
):
    """Per-layer mean (blue) and standard deviation (red), as the notebook draws them.

    Optionally with the mean-field prediction as dashed curves over the measured points,
    and a third panel (green) for the std of the gradient with respect to each layer's
    pre-activations, ``dL/dZ_l`` (see :func:`weight_init.propagation.propagation_stats`,
    whose table :func:`weight_init.propagation.plot_propagation` plots in one call).
    The std panels are drawn by :func:`draw_std_panel`: linear from 0, or logarithmic.

    Parameters
    ----------
    hidden_layer_means, hidden_layer_stds : sequence of float
        The second and third results of :func:`weight_init.experiment.forward_prop`.
    layers : sequence of int, optional
        x positions; by default ``1 .. L``, the layer numbers the histograms, the tables
        of :func:`~weight_init.propagation.propagation_stats` and ``forward_prop``'s
        printout use.
    title : str, optional
        Figure title (``suptitle``).
    figsize : (float, float)
        Figure size in inches; (12, 3.4) reads at a notebook's width.
    theory_means, theory_stds : sequence of float, optional
        Predicted mean and std per layer, drawn dashed on the first two panels.
    grad_stds, theory_grad_stds : sequence of float, optional
        Measured and predicted std of ``dL/dZ_l``; either adds a third panel,
        "gradient std".
    logy : bool or 'auto', default False
        Log y-axis for the std panels; ``'auto'`` when their positive values span more
        than two decades. Measured zeros are marked at the bottom of a log axis.
    theory_caveat : str, optional
        Why the mean-field theory does not apply (e.g. constant weights); said on each
        panel with a theory curve, which is faded.

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
    x = np.arange(1, len(means) + 1) if layers is None else np.asarray(layers)
    if len(x) != len(means):
        raise ValueError(f"layers has {len(x)} entries for {len(means)} layers")
    n = len(means)
    t_means = _as_series(theory_means, "theory_means", n)
    t_stds = _as_series(theory_stds, "theory_stds", n)
    g_stds = _as_series(grad_stds, "grad_stds", n)
    t_g_stds = _as_series(theory_grad_stds, "theory_grad_stds", n)
    with_grad = g_stds is not None or t_g_stds is not None

    plt = pyplot()
    fig, axes = plt.subplots(1, 3 if with_grad else 2, figsize=figsize)
    ax_mean, ax_std = axes[0], axes[1]
    ax_mean.plot(x, means, "ob-", label="measured")
    if t_means is not None:
        kw = {"alpha": 0.45} if theory_caveat else {}
        ax_mean.plot(x, t_means, "b--", label="theory (infinite width)", **kw)
        ax_mean.legend(fontsize=LEGEND_SIZE)
    finite_stds = np.concatenate([s[np.isfinite(s)] for s in (stds, t_stds) if s is not None])
    scale = float(finite_stds.max()) if finite_stds.size else 0.0
    both = means if t_means is None else np.r_[means, t_means]
    ax_mean.set_ylim(*mean_axis_limits(both, scale))
    ax_mean.set_title("layer mean", fontsize=TITLE_SIZE)
    ax_mean.set_xlabel("hidden layer", fontsize=LABEL_SIZE)
    draw_std_panel(
        ax_std, x, stds, t_stds, color="r", title="layer std", logy=logy, theory_caveat=theory_caveat
    )
    if with_grad:
        draw_std_panel(
            axes[2],
            x,
            g_stds,
            t_g_stds,
            color="g",
            title="gradient std (dL/dZ)",
            logy=logy,
            theory_caveat=theory_caveat,
        )
    if len(x) <= 12:
        for ax in axes:
            ax.set_xticks(x)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE + 1)
    fig.tight_layout()
    return PlotResult(fig)


def plot_layer_histograms(
    hidden_layer_acts: Mapping[int, np.ndarray],
    *,
    bins: int = 30,
    range: tuple[float, float] | None = (-1, 1),
    title: str | None = None,
    figsize: tuple[float, float] = (12, 2.8),
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
        (12, 2.8) reads at a notebook's width.

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
        ax.set_title(f"layer {key + 1}" if isinstance(key, (int, np.integer)) else str(key), fontsize=10)
        ax.tick_params(labelsize=7)
    if title:
        fig.suptitle(title, fontsize=TITLE_SIZE)
    fig.tight_layout()
    return PlotResult(fig)
