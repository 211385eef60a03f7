"""The layer-statistics figure: why each initialization trains or fails, one column per network.

Drawn by :func:`weight_init.keras_tools.training_plot.plot_training_stats` (the same figure
as :meth:`weight_init.keras_tools.LayerStatsCallback.plot`), x-axis epochs ``step /
steps_per_epoch``, one line per layer (numbered 1-4: ``conv1, conv2, dense1, logits``):
activation std, dead fraction, update ratio with the 1e-3 rule of thumb, and the
"colorful dimension" of ``dense1``: the histogram of its activations at every recorded
step, 40 bins from 0 to the network's largest activation. With several seeds the first
seed's networks are drawn.

pandas and matplotlib are imported inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.keras_tools.statistics import HIST_BINS, histogram, histogram_edges
from weight_init.keras_tools.training_plot import UPDATE_RULE_OF_THUMB, plot_training_stats

__all__ = ["UPDATE_RULE_OF_THUMB", "HIST_BINS", "dense1_histograms", "plot_recorded_layer_stats"]


def dense1_histograms(acts: list, bins: int = HIST_BINS) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, edges)``: per recorded step the histogram of its activations.

    ``counts`` has shape ``(bins, n_steps)``; ``edges`` ``bins + 1`` values from 0 to the
    largest activation over all steps (to 1 when every activation is 0).
    """
    if not acts:
        raise ValueError("no recorded activations")
    top = max(float(np.max(a)) for a in acts)
    edges = histogram_edges(0.0, top if top > 0 else 1.0, bins)
    counts = np.stack([histogram(a, edges) for a in acts], axis=1)
    return counts, edges


def plot_recorded_layer_stats(stats: Any, *, figsize: tuple[float, float] | None = None) -> Any:
    """Draw :class:`weight_init.studies.loss_progression.recorder.RecordedLayerStats` (see the module docstring).

    Returns
    -------
    weight_init.plotting.PlotResult
        ``.figure`` is the matplotlib ``Figure`` (shown once in a notebook).
        ``4 x n_networks`` axes; the top row titled by :func:`weight_init.studies.loss_progression.plots.init_title`
        without its "Loss with" prefix.
    """
    from weight_init.studies.loss_progression.plots import init_title

    table = stats.table
    if len(table) == 0:
        raise ValueError("the layer statistics are empty: nothing to plot")
    if "seed" in table.columns:
        table = table[table["seed"] == table["seed"].iloc[0]]
    heat, titles = {}, {}
    for label in dict.fromkeys(table["init"]):
        key = next(k for k in stats.dense1 if (k[0] if isinstance(k, tuple) else k) == label)
        counts, edges = dense1_histograms(stats.dense1[key])
        part = table[(table["init"] == label) & (table["layer"] == "dense1")]
        heat[label] = (part["step"].to_numpy(), edges, counts)
        titles[label] = init_title(label).replace("Loss with Initial Weights", "Weights").strip()
    return plot_training_stats(
        table,
        heat,
        group="init",
        heat_layer="dense1",
        steps_per_epoch=stats.steps_per_epoch,
        every=stats.every,
        titles=titles,
        figsize=figsize,
    )
