"""The article's violin plots of hidden-layer outputs (seaborn 0.13).

:func:`plot_activation_violins` draws an :class:`~weight_init.studies.activation_layers.study.ActivationStudy`:
one panel per initializer, stacked vertically, each a violin per hidden layer of that
layer's outputs. seaborn, pandas and matplotlib are imported when it is called.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.plotting import PlotResult
from weight_init.studies.activation_layers.study import ActivationStudy

__all__ = ["violin_frame", "plot_activation_violins", "activation_label"]

#: Display names of the activations, where title case is not it.
_LABELS = {
    "relu": "ReLU",
    "linear": "Linear",
    "tanh": "Tanh",
    "sigmoid": "Sigmoid",
    "leaky_relu": "Leaky ReLU",
    "elu": "ELU",
    "selu": "SELU",
}


def activation_label(activation: str) -> str:
    """Display name of an activation: ``'relu'`` -> ``'ReLU'``, ``'linear'`` -> ``'Linear'``."""
    return _LABELS.get(activation, activation.replace("_", " ").title())


def violin_frame(result: ActivationStudy, every: int = 20) -> Any:
    """Long-form data for the violins: every ``every``-th output of each hidden layer.

    The article plotted every 20th value (``out.ravel()[::20]``); the statistics in
    ``result.stats`` use all of them.

    Returns
    -------
    pandas.DataFrame
        Columns ``init``, ``Hidden Layer`` (1-based) and ``Output``.
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    frames = []
    for label, outs in result.activations.items():
        for i, out in enumerate(outs):
            values = np.asarray(out).ravel()[::every]
            frames.append(
                pd.DataFrame(
                    {
                        "init": label,
                        "Hidden Layer": i + 1,
                        "Output": values,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def plot_activation_violins(
    result: ActivationStudy,
    *,
    every: int = 20,
    density_norm: str = "count",
    figsize: tuple[float, float] | None = None,
) -> Any:
    """The article's figure: one panel per initializer, a violin per hidden layer.

    Panels are stacked vertically and titled by the initializer ("Weights Drawn from
    N(mu = 0, sigma = 0.10)", ...); the middle panel's y axis is labelled "<Activation>
    Neuron Outputs" and the bottom panel's x axis "Hidden Layer". Violins are cut at
    the data's range (``cut=0``) and drawn from every ``every``-th value.

    When ``result.stats`` has a ``theory_std`` column (``activation_study(...,
    theory=True)``), every violin also gets two markers: the measured standard
    deviation of the layer's outputs (black dot) and the predicted one (red diamond).

    Parameters
    ----------
    result : ActivationStudy
        From :func:`weight_init.studies.activation_layers.study.activation_study`.
    every : int
        Subsampling stride for the violins (the article: 20).
    density_norm : {'count', 'area', 'width'}
        seaborn 0.13's replacement of the removed ``scale=``. The article used
        ``scale='count'``: every layer has as many values, so every violin is drawn
        equally wide, whatever its spread. ``'area'``: widths proportional to the
        density, common to the panel (a narrow distribution gives a wide violin).
    figsize : (float, float), optional
        Default ``(10, 2.2 * panels)``: 10 inches, about a notebook's width, so that the
        text shows at its size (the article's figure is 12 x 6).

    Returns
    -------
    PlotResult
        ``.figure`` is the matplotlib ``Figure`` (its attributes, e.g. ``savefig`` and
        ``axes``, are also reached through the result); shown once in a notebook.
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")
    sns = require("seaborn", "plots")

    frame = violin_frame(result, every)
    n = len(result.specs)
    fig, axes = plt.subplots(n, 1, figsize=figsize or (10, 2.2 * max(n, 1.5)), squeeze=False)
    palette = sns.color_palette(n_colors=result.layers)
    for k, (spec, ax) in enumerate(zip(result.specs, axes[:, 0])):
        sns.violinplot(
            data=frame[frame["init"] == spec.label],
            x="Hidden Layer",
            y="Output",
            hue="Hidden Layer",
            palette=palette,
            legend=False,
            ax=ax,
            density_norm=density_norm,
            common_norm=True,
            cut=0,
            inner=None,
        )
        if "theory_std" in result.stats:
            _mark_stds(ax, result.stats[result.stats["init"] == spec.label], legend=k == 0)
        ax.set_title(spec.title, fontsize=12)
        ax.set_ylabel(f"{activation_label(result.activation)} Neuron Outputs" if k == (n - 1) // 2 else "")
        if k == n - 1:
            ax.set_xlabel("Hidden Layer")
        else:
            ax.set_xlabel("")
            ax.tick_params(axis="x", labelbottom=False)
    fig.tight_layout()
    return PlotResult(fig)


def _mark_stds(ax: Any, stats: Any, legend: bool) -> None:
    """Measured (dot) and predicted (diamond) std of each layer, at the violin's x."""
    x = stats["layer"].to_numpy() - 1  # seaborn puts categorical violins at 0, 1, ...
    ax.plot(x, stats["std"], "o", color="black", markersize=5, label="measured std", zorder=5)
    ax.plot(
        x,
        stats["theory_std"],
        "D",
        markerfacecolor="none",
        markeredgecolor="red",
        markersize=8,
        markeredgewidth=1.5,
        label="predicted std (infinite width)",
        zorder=6,
    )
    if legend:
        ax.legend(loc="upper left", fontsize=9, frameon=False)
