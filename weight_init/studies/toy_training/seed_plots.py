"""The distribution of convergence epochs over seeds (matplotlib, imported when used).

One empirical CDF per network: the share of seeds that have converged by each epoch,
``F(e) = #{seeds with convergence epoch <= e} / S``. Seeds that never converged have no
epoch: the curve ends at ``max_epochs`` below 1, and the gap to 1 (their share) is
marked at the right edge. The function returns the figure and never calls ``plt.show()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.studies.toy_training.seeds import ToySeedStudy
from weight_init.studies.toy_training.study import PAIRINGS

__all__ = ["plot_convergence_ecdf"]


def plot_convergence_ecdf(
    study: ToySeedStudy,
    *,
    figsize: tuple[float, float] = (9, 5.5),
    title: str | None = None,
) -> Any:
    """ECDF of the convergence epoch of each network over the study's seeds.

    Returns
    -------
    weight_init.plotting.PlotResult
        ``.figure`` is the matplotlib ``Figure`` (shown once in a notebook).
        One axis: a step curve per network (``C0`` tanh, ``C1`` ReLU), x = epoch from 0
        to ``max_epochs``, y = share of seeds converged; a dotted segment from the curve's end up to 1 marks the seeds that did not
        converge, just right of ``max_epochs`` (the legend gives their number).
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")

    max_epochs = int(study.settings["max_epochs"])
    fig, ax = plt.subplots(figsize=figsize)
    for k, (key, hists) in enumerate(study.histories.items()):
        colour = f"C{k}"
        n = len(hists)
        epochs = np.sort([h.converged_epoch for h in hists if h.converged])
        share = np.arange(1, len(epochs) + 1) / n
        xs = np.concatenate([[0], epochs, [max_epochs]])
        ys = np.concatenate([[0], share, [share[-1] if len(share) else 0.0]])
        name = f"{key} + {PAIRINGS[key][3]}" if key in PAIRINGS else key
        label = f"{name}: {len(epochs)}/{n} converged"
        ax.step(xs, ys, where="post", color=colour, label=label)
        if len(epochs) < n:
            edge = max_epochs * (1 + 0.012 * (k + 1))  # beside each other, right of the end
            ax.plot(
                [xs[-1], edge, edge],
                [ys[-1], ys[-1], 1.0],
                ":",
                color=colour,
                lw=3,
                label=f"{name}: {n - len(epochs)} not converged by epoch {max_epochs}",
            )
    ax.set_xlim(0, max_epochs * 1.04)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("convergence epoch")
    ax.set_ylabel(f"share of the {len(study.seeds)} seeds converged")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    from weight_init.plotting import PlotResult

    return PlotResult(fig)
