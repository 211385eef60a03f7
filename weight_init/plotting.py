"""One-call versions of the notebook's plots.

Each function returns the matplotlib :class:`~matplotlib.figure.Figure` and never calls
``plt.show()``: in Jupyter the figure displays itself, in a script call ``plt.show()`` or
``fig.savefig(...)``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

__all__ = ["plot_layer_stats", "plot_layer_histograms"]


def _pyplot():
    import matplotlib.pyplot as plt

    return plt


def plot_layer_stats(
    hidden_layer_means: Sequence[float],
    hidden_layer_stds: Sequence[float],
    *,
    layers: Sequence[int] | None = None,
    title: str | None = None,
    figsize: tuple[float, float] = (15, 3),
):
    """Per-layer mean (blue) and standard deviation (red), as the notebook draws them.

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

    Returns
    -------
    matplotlib.figure.Figure
        With two axes, "layer mean" and "layer std".
    """
    means = np.asarray(hidden_layer_means, dtype=float)
    stds = np.asarray(hidden_layer_stds, dtype=float)
    if means.shape != stds.shape or means.ndim != 1:
        raise ValueError(
            f"means and stds must be 1-D and equally long, got {means.shape} and {stds.shape}"
        )
    x = np.arange(len(means)) if layers is None else np.asarray(layers)
    if len(x) != len(means):
        raise ValueError(f"layers has {len(x)} entries for {len(means)} layers")
    plt = _pyplot()
    fig, (ax_mean, ax_std) = plt.subplots(1, 2, figsize=figsize)
    ax_mean.plot(x, means, "ob-")
    ax_mean.set_title("layer mean")
    ax_std.plot(x, stds, "or-")
    ax_std.set_title("layer std")
    for ax in (ax_mean, ax_std):
        ax.set_xlabel("hidden layer")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


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
    matplotlib.figure.Figure
        With one axis per layer, titled "layer 1", "layer 2", ...
    """
    if not hidden_layer_acts:
        raise ValueError("hidden_layer_acts is empty")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"bins must be a positive integer, got {bins!r}")
    plt = _pyplot()
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
    return fig
