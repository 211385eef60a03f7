"""The layer-statistics figure: why each initialization trains or fails, one column per network.

Rows (x-axis: epochs, ``step / steps_per_epoch``; one line per layer):

1. activation std per layer (log scale; a layer whose std is exactly 0 has no line and
   is named in the panel instead);
2. dead fraction per hidden layer (share of channels / units with ReLU output 0 on the
   whole batch);
3. update ratio ``||dW|| / ||W||`` per layer (log scale), with the rule of thumb 1e-3
   dashed;
4. "colorful dimension" (fastai): the histogram of ``dense1``'s activations at every
   recorded step as a heat map over time, colour ``log(1 + count)``, 40 bins from 0 to
   the network's largest activation.

With several seeds the first seed's networks are drawn.

pandas and matplotlib are imported inside the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.studies.loss_progression.recorder import LAYERS

__all__ = ["UPDATE_RULE_OF_THUMB", "HIST_BINS", "dense1_histograms", "plot_layer_stats"]

#: Karpathy's rule of thumb for the update-to-weight ratio, dashed in row 3.
UPDATE_RULE_OF_THUMB = 1e-3
#: Bins of the "colorful dimension" histograms.
HIST_BINS = 40


def dense1_histograms(acts: list, bins: int = HIST_BINS) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, edges)``: per recorded step the histogram of its activations.

    ``counts`` has shape ``(bins, n_steps)``; ``edges`` ``bins + 1`` values from 0 to the
    largest activation over all steps (to 1 when every activation is 0).
    """
    if not acts:
        raise ValueError("no recorded activations")
    top = max(float(np.max(a)) for a in acts)
    edges = np.linspace(0.0, top if top > 0 else 1.0, bins + 1)
    counts = np.stack([np.histogram(np.asarray(a).ravel(), bins=edges)[0] for a in acts], axis=1)
    return counts, edges


def plot_layer_stats(stats: Any, *, figsize: tuple[float, float] | None = None) -> Any:
    """Draw :class:`weight_init.studies.loss_progression.recorder.LayerStats` (see the module docstring).

    Returns
    -------
    weight_init.plotting.PlotResult
        ``.figure`` is the matplotlib ``Figure`` (shown once in a notebook).
        ``4 x n_networks`` axes; the top row titled by :func:`weight_init.studies.loss_progression.plots.init_title`
        without its "Loss with" prefix.
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")

    from weight_init.studies.loss_progression.plots import init_title

    table = stats.table
    if len(table) == 0:
        raise ValueError("the layer statistics are empty: nothing to plot")
    if "seed" in table.columns:
        table = table[table["seed"] == table["seed"].iloc[0]]
    labels = list(dict.fromkeys(table["init"]))
    n = len(labels)
    fig, axes = plt.subplots(4, n, figsize=figsize or (5.0 * n, 12.5), squeeze=False, sharex="col")
    colors = dict(zip(LAYERS, plt.get_cmap("viridis")(np.linspace(0, 0.85, len(LAYERS)))))
    per_epoch = stats.steps_per_epoch
    for j, label in enumerate(labels):
        part = table[table["init"] == label]
        title = init_title(label).replace("Loss with Initial Weights", "Weights").strip()
        axes[0][j].set_title(title, fontsize=10)
        for row, (column, ylabel, log) in enumerate(
            [
                ("act_std", "activation std", True),
                ("dead_fraction", "dead fraction", False),
                ("update_ratio", "update ratio ||dW|| / ||W||", True),
            ]
        ):
            ax = axes[row][j]
            flat, drawn = [], 0
            for layer in LAYERS:
                rows = part[part["layer"] == layer]
                y = rows[column].to_numpy(dtype=float)
                if column == "dead_fraction" and np.all(np.isnan(y)):
                    continue  # the logits have no ReLU
                if log and not np.any(y > 0):
                    flat.append(layer)
                    continue
                drawn += 1
                ax.plot(rows["step"] / per_epoch, y, color=colors[layer], label=layer, linewidth=1.3)
            if log:
                ax.set_yscale("log")
                if not drawn:
                    ax.set_ylim(1e-5, 1e-1)
            else:
                ax.set_ylim(-0.03, 1.03)
            if flat:
                what = "0" if column == "act_std" else "undefined (W = 0)"
                ax.text(
                    0.02, 0.04, f"{', '.join(flat)}: {what}", transform=ax.transAxes, fontsize=8, color="0.3"
                )
            if column == "update_ratio":
                ax.axhline(
                    UPDATE_RULE_OF_THUMB,
                    color="0.5",
                    linestyle="--",
                    linewidth=0.8,
                    label="1e-3 rule of thumb",
                )
            ax.set_ylabel(ylabel if j == 0 else "")
            ax.grid(True, alpha=0.3)
            if j == 0 or row == 2:
                ax.legend(fontsize=7, frameon=False, loc="best")
        ax = axes[3][j]
        key = next(k for k in stats.dense1 if (k[0] if isinstance(k, tuple) else k) == label)
        counts, edges = dense1_histograms(stats.dense1[key])
        steps = part[part["layer"] == "dense1"]["step"].to_numpy() / per_epoch
        x_edges = np.concatenate(
            [steps, [steps[-1] + (steps[-1] - steps[-2] if len(steps) > 1 else stats.every / per_epoch)]]
        )
        ax.pcolormesh(x_edges, edges, np.log1p(counts), cmap="viridis", shading="flat")
        ax.set_ylabel("dense1 activation\n(colour: log(1 + count))" if j == 0 else "")
        ax.set_xlabel("Epoch")
    fig.tight_layout()
    from weight_init.plotting import PlotResult

    return PlotResult(fig)
