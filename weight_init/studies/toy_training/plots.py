"""The post's 2 x 2 figure of a toy-data comparison (matplotlib, imported when used).

Top row: each network's decision surface on ``[-5, 5]^2`` (colour = raw output, cmap
``RdYlBu``: red near 0, blue near 1) with the training points marked TP (filled C0),
FN (hollow C0), TN (filled C1) and FP (hollow C1). Bottom row: training error and
``l2`` loss per epoch of both networks. The functions return the figure and never call
``plt.show()``.
"""

from __future__ import annotations

from typing import Any

from weight_init.plotting import PlotResult
from weight_init.studies.toy_training.study import PAIRINGS, ToyComparison, decision_surface, outcome_masks

__all__ = ["plot_decision_surface", "plot_toy_training", "TITLES"]

#: The post's panel titles.
TITLES = {
    "tanh": "Final Predictions: tanh activators; Xavier's initialization",
    "relu": "Final Predictions: ReLU activators; He's initialization",
}

_MARKERS = {  # outcome -> (colour, filled)
    "TP": ("C0", True),
    "FN": ("C0", False),
    "TN": ("C1", True),
    "FP": ("C1", False),
}


def plot_decision_surface(
    ax: Any,
    net: Any,
    data: Any,
    *,
    lim: float = 5.0,
    resolution: int = 100,
    alpha: float = 0.45,
    title: str | None = None,
) -> Any:
    """Draw ``net``'s raw output on ``[-lim, lim]^2`` and the training points on ``ax``.

    The grid is standardized with the training data's statistics
    (:func:`weight_init.studies.toy_training.study.decision_surface`). Returns the image.
    """
    xs, ys, proba = decision_surface(net, data, lim=lim, resolution=resolution)
    mesh = ax.imshow(
        proba,
        origin="lower",
        extent=(xs[0], xs[-1], ys[0], ys[-1]),
        cmap="RdYlBu",
        vmin=0.0,
        vmax=1.0,
        alpha=alpha,
        interpolation="bilinear",
        aspect="auto",
    )
    for name, mask in outcome_masks(net, data).items():
        colour, filled = _MARKERS[name]
        style = dict(c=colour) if filled else dict(facecolors="none", edgecolors=colour)
        ax.scatter(data.x[mask, 0], data.x[mask, 1], marker="o", s=50, label=name, **style)
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.legend(loc="upper right", facecolor="white", framealpha=1)
    if title:
        ax.set_title(title)
    return mesh


def plot_toy_training(
    result: ToyComparison,
    *,
    figsize: tuple[float, float] = (16, 12),
    resolution: int = 100,
    title: str | None = None,
) -> Any:
    """The post's figure for a :class:`~weight_init.studies.toy_training.study.ToyComparison`.

    Returns
    -------
    PlotResult
        ``.figure`` is the matplotlib ``Figure`` (its attributes, e.g. ``savefig`` and
        ``axes``, are also reached through the result); shown once in a notebook.
        Axes ``[0, 0]``/``[0, 1]``: decision surfaces of the tanh and ReLU networks;
        ``[1, 0]``: "Train Error", ``[1, 1]``: "$\\ell^2$ loss", both against epoch.
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")

    fig, ax = plt.subplots(2, 2, figsize=figsize)
    for col, key in enumerate(PAIRINGS):
        if key in result.networks:
            plot_decision_surface(
                ax[0, col],
                result.networks[key],
                result.data,
                resolution=resolution,
                title=TITLES[key],
            )
    for axis, column, name in (
        (ax[1, 0], "train_error", "Train Error"),
        (ax[1, 1], "loss", "$\\ell^2$ loss"),
    ):
        for key, hist in result.histories.items():
            axis.plot(hist.epoch, getattr(hist, column), label=key)
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.legend(loc="upper right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return PlotResult(fig)
