"""The training-dynamics figure: per-layer statistics over the steps of a training.

One function draws it for every recording of :mod:`weight_init.keras_tools.statistics`:
:meth:`weight_init.keras_tools.LayerStatsCallback.plot` (your model) and
:func:`weight_init.studies.loss_progression.dynamics_plots.plot_recorded_layer_stats` (the loss
study's networks, one column each). Rows (x-axis: steps, or epochs ``step /
steps_per_epoch``; one line per layer, layers numbered 1..L in the table's order):

1. activation std per layer, from 0, or on a log axis where the positive values of the
   row span more than two decades (``logy='auto'``); on a log axis a layer whose std is
   exactly 0 has no line and is named in the panel instead;
2. dead fraction per layer with a ReLU-like activation (share of units or channels whose
   pre-activation is ``<= 0`` on the whole batch); layers without one have no line;
3. update ratio ``||dW|| / ||W||`` of one step per layer (log axis), with Karpathy's rule of
   thumb 1e-3 dashed;
4. "colorful dimension" (fastai's ``ActivationStats``): the histogram of one layer's
   activations at every record as a heat map over time, colour ``log(1 + count)``, with a
   colour bar beneath it.

matplotlib is imported inside the function.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

__all__ = ["UPDATE_RULE_OF_THUMB", "plot_training_stats"]

#: Karpathy's rule of thumb for the update-to-weight ratio, dashed in row 3.
UPDATE_RULE_OF_THUMB = 1e-3

_ROWS = (
    ("act_std", "activation std"),
    ("dead_fraction", "dead fraction"),
    ("update_ratio", "update ratio ||dW|| / ||W||"),
)


def _x_edges(steps: np.ndarray, every: float) -> np.ndarray:
    last = steps[-1] + (steps[-1] - steps[-2] if len(steps) > 1 else every)
    return np.concatenate([steps, [last]])


def plot_training_stats(
    table: Any,
    heat: Mapping[Any, tuple[Sequence[float], Sequence[float], Any]],
    *,
    group: str | None = None,
    heat_layer: str = "",
    heat_linthresh: float | None = None,
    steps_per_epoch: int | None = None,
    every: int = 1,
    titles: Mapping[Any, str] | None = None,
    logy: bool | str = "auto",
    figsize: tuple[float, float] | None = None,
) -> Any:
    """Draw the four rows of the module docstring, one column per group.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy: one row per (group, record, layer) with columns ``step``, ``layer``,
        ``act_std``, ``dead_fraction``, ``update_ratio`` (and ``group`` if given); layers
        in data-flow order within each record.
    heat : mapping
        Per group value (``None`` without ``group``) ``(steps, edges, counts)`` of the heat
        map: the recorded steps, the ``bins + 1`` histogram edges and the counts, shape
        ``(bins, len(steps))``.
    group : str, optional
        The column that splits the table into columns of the figure (e.g. ``'init'``).
    heat_layer : str
        The name of the layer of the heat map (its y label).
    heat_linthresh : float, optional
        Draw the heat map's y axis on a symmetric log scale, linear within
        ``+-heat_linthresh`` (for log-magnitude bins).
    steps_per_epoch : int, optional
        Draw over epochs ``step / steps_per_epoch`` instead of steps.
    every : int
        Steps between records (the width of the last heat-map column).
    titles : mapping, optional
        Per group value the column's title.
    logy : bool or 'auto'
        Log axis for row 1 (``'auto'``: when its positive values span over two decades).
    figsize : (float, float), optional

    Returns
    -------
    weight_init.plotting.PlotResult
        ``4 x n_groups`` axes first in ``figure.axes`` (row-major), the colour bars after.
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")

    from weight_init.plotting import PlotResult, wants_log

    if len(table) == 0:
        raise ValueError("the layer statistics are empty: nothing to plot")
    for needed in ("step", "layer", *(c for c, _ in _ROWS)):
        if needed not in table.columns:
            raise ValueError(f"the table has no column {needed!r}")
    keys = list(dict.fromkeys(table[group])) if group is not None else [None]
    layers = list(dict.fromkeys(table["layer"]))
    label = {name: f"{i} {name}" for i, name in enumerate(layers, 1)}
    colors = dict(zip(layers, plt.get_cmap("viridis")(np.linspace(0, 0.85, len(layers)))))
    scale = float(steps_per_epoch) if steps_per_epoch else 1.0
    n = len(keys)
    fig, axes = plt.subplots(4, n, figsize=figsize or (5.4 * n, 12.5), squeeze=False, sharex="col")
    log_std = wants_log(logy, [table["act_std"].to_numpy(float)])
    for j, key in enumerate(keys):
        part = table if group is None else table[table[group] == key]
        if titles and key in titles:
            axes[0][j].set_title(titles[key], fontsize=10)
        for row, (column, ylabel) in enumerate(_ROWS):
            ax = axes[row][j]
            log = row == 2 or (row == 0 and log_std)
            flat, handles = [], []
            for name in layers:
                rows = part[part["layer"] == name]
                y = rows[column].to_numpy(dtype=float)
                if not np.any(np.isfinite(y)) and column == "dead_fraction":
                    continue  # no ReLU-like activation
                if log and not np.any(y > 0):
                    flat.append(label[name])
                    continue
                (line,) = ax.plot(rows["step"] / scale, y, color=colors[name], label=name, linewidth=1.3)
                handles.append(line)
            if log:
                ax.set_yscale("log")
                if not handles:
                    ax.set_ylim(1e-5, 1e-1)
            elif row == 1:
                ax.set_ylim(-0.03, 1.03)
            else:
                ax.set_ylim(bottom=0)
            if flat:
                what = "0" if column == "act_std" else "undefined (W = 0)"
                ax.text(
                    0.02, 0.04, f"{', '.join(flat)}: {what}", transform=ax.transAxes, fontsize=8, color="0.3"
                )
            if column == "update_ratio":
                handles.append(
                    ax.axhline(UPDATE_RULE_OF_THUMB, color="0.5", linestyle="--", linewidth=0.8, label="1e-3")
                )
            ax.set_ylabel(ylabel if j == 0 else "")
            ax.grid(True, alpha=0.3)
            if handles and (j == 0 or row == 2):
                texts = [label.get(h.get_label(), "1e-3 rule of thumb") for h in handles]
                ax.legend(handles, texts, fontsize=7, frameon=False, loc="best")
        ax = axes[3][j]
        steps, edges, counts = heat[key]
        steps = np.asarray(steps, dtype=float) / scale
        mesh = ax.pcolormesh(
            _x_edges(steps, every / scale),
            np.asarray(edges),
            np.log1p(counts),
            cmap="viridis",
            shading="flat",
        )
        if heat_linthresh is not None:
            ax.set_yscale("symlog", linthresh=heat_linthresh)
            ax.set_ylim(edges[0], edges[-1])
        ax.set_ylabel(f"{label.get(heat_layer, heat_layer)} activation" if j == 0 else "")
        ax.set_xlabel("Epoch" if steps_per_epoch else "Step")
        # Beneath the heat map, so that every row of the column keeps the same width.
        bar = fig.colorbar(mesh, ax=ax, orientation="horizontal", fraction=0.05, pad=0.22, aspect=40)
        bar.set_label("colour: log(1 + count)", fontsize=8)
    fig.tight_layout()
    return PlotResult(fig)
