"""The accuracy heat map of the trainable-depth study, with ``6 xi_c`` over it.

Schoenholz et al. (2017, "Deep Information Propagation", Figs. 5-6): depth on the y-axis,
``sigma_w^2`` on the x-axis, the accuracy of each trained network as colour (mean over
seeds), the curve ``L = 6 xi_c(sigma_w^2, sigma_b^2)`` drawn over it
(:func:`weight_init.theory.depth_scales`) and the critical ``sigma_w^2``
(:func:`weight_init.theory.critical_sigma_w2`, where ``chi_1 = 1``) as a vertical line.
Each cell spans from half-way to its neighbours on both axes (the grid need not be
evenly spaced; the outer cells stop at 0), so the curve sits at the right place between the measured points.

matplotlib is imported inside the function.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.plotting import PlotResult

__all__ = ["cell_edges", "settings_note", "plot_trainable_depth"]


def cell_edges(values: Any) -> np.ndarray:
    """Edges of cells centred on the sorted ``values``: the midpoints between neighbours, and
    half a step beyond the first and last (``[v - 0.5, v + 0.5]`` for one value)."""
    v = np.sort(np.asarray(values, dtype=float))
    if v.size == 1:
        return np.array([v[0] - 0.5, v[0] + 0.5])
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def settings_note(attrs: dict) -> str:
    """The training settings of a table made by ``train_trainable_depth``, in one line
    (empty for a table without them, e.g. one read back from a CSV file)."""
    keys = ("n_train", "n_test", "width", "steps", "batch_size", "optimizer", "learning_rate", "seeds")
    if not all(k in attrs for k in keys):
        return ""
    seeds = attrs["seeds"]
    return (
        f"{attrs['n_train']:,} training / {attrs['n_test']:,} test images; width {attrs['width']}; "
        f"{attrs['steps']} steps of {attrs['batch_size']}, {attrs['optimizer']} (learning rate "
        f"{attrs['learning_rate']:g}); seed{'s' * (len(seeds) > 1)} {', '.join(map(str, seeds))}"
    )


def plot_trainable_depth(
    df: Any,
    *,
    metric: str = "train_accuracy",
    xi_multiple: float = 6.0,
    threshold: float | None = 0.5,
    title: str | None = None,
    note: str | None = None,
    cmap: str = "viridis",
) -> PlotResult:
    """Draw the heat map of ``metric`` over depth x ``sigma_w^2``.

    Parameters
    ----------
    df : pandas.DataFrame
        The per-network table (:data:`weight_init.studies.trainable_depth.study.COLUMNS`),
        one ``sigma_b2`` only; several seeds are averaged.
    metric : {'train_accuracy', 'test_accuracy'}
    xi_multiple : float
        The curve drawn is ``xi_multiple * xi_c`` (6 in the paper).
    threshold : float or None
        Mark per ``sigma_w^2`` the deepest network whose ``metric`` reaches it
        (:func:`weight_init.studies.trainable_depth.seeds.trainable_depths`); None: no marks.
    title : str, optional
        Default: says the metric, the grid's ``sigma_b^2`` and the number of seeds.
    note : str, optional
        A line under the plot (e.g. the training settings); default: built from the
        table's ``attrs`` when :func:`~weight_init.studies.trainable_depth.study.train_trainable_depth`
        made it, else none.
    cmap : str
        matplotlib colour map of the accuracy (0 to 1, with a colour bar).

    Returns
    -------
    PlotResult
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")

    from weight_init.studies.trainable_depth.seeds import summarize_over_seeds, trainable_depths
    from weight_init.theory import critical_sigma_w2, depth_scales

    if metric not in ("train_accuracy", "test_accuracy"):
        raise ValueError(f"metric must be train_accuracy or test_accuracy; got {metric!r}")
    if df.empty:
        raise ValueError("the table has no rows")
    biases = df["sigma_b2"].unique()
    if len(biases) != 1:
        raise ValueError(f"the table mixes sigma_b2 values {sorted(biases)}; draw one at a time")
    sigma_b2 = float(biases[0])
    summary = summarize_over_seeds(df)
    grid = (
        summary.pivot(index="depth", columns="sigma_w2", values=f"{metric}_mean")
        .sort_index()
        .sort_index(axis=1)
    )
    depths, sigmas = grid.index.to_numpy(dtype=float), grid.columns.to_numpy(dtype=float)
    x_edges, y_edges = cell_edges(sigmas), cell_edges(depths)
    x_edges[0], y_edges[0] = max(x_edges[0], 0.0), max(y_edges[0], 0.0)  # no negative variance or depth

    fig, ax = plt.subplots(figsize=(8, 6), constrained_layout=True)
    mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(grid.to_numpy()), cmap=cmap, vmin=0, vmax=1)
    bar = fig.colorbar(mesh, ax=ax)
    bar.set_label(metric.replace("_", " "))

    s = np.linspace(max(x_edges[0], 1e-3 * x_edges[-1]), x_edges[-1], 600)
    xi_c = np.asarray(depth_scales("tanh", s, sigma_b2).xi_c, dtype=float)
    ax.plot(
        s, xi_multiple * xi_c, color="white", lw=2.2, label=f"{xi_multiple:g} $\\xi_c$ (mean-field theory)"
    )
    critical = float(critical_sigma_w2("tanh", sigma_b2))
    if x_edges[0] <= critical <= x_edges[-1]:
        ax.axvline(
            critical,
            color="white",
            ls="--",
            lw=1.4,
            label=f"critical $\\sigma_w^2$ = {critical:.3f} ($\\chi_1 = 1$)",
        )
    if threshold is not None:
        deepest = trainable_depths(summary, metric, threshold).dropna()
        ax.plot(
            deepest.index,
            deepest.to_numpy(),
            ls="none",
            marker="o",
            mfc="none",
            mec="red",
            mew=1.6,
            ms=8,
            label=f"deepest with {metric.replace('_', ' ')} $\\geq$ {threshold:g}",
        )
    ax.set_xlim(x_edges[0], x_edges[-1])
    ax.set_ylim(y_edges[0], y_edges[-1])
    ax.set_xlabel("$\\sigma_w^2$ (weights $N(0, \\sigma_w^2 / n_{in})$)")
    ax.set_ylabel("depth (hidden tanh layers)")
    n_seeds = int(summary["seeds"].max())
    ax.set_title(
        title
        or f"Trainable depth: {metric.replace('_', ' ')} of tanh networks on MNIST, "
        f"$\\sigma_b^2$ = {sigma_b2:g}"
        + (f" (mean of {n_seeds} seeds)" if n_seeds > 1 else "")
    )
    note = note if note is not None else settings_note(df.attrs)
    if note:
        fig.text(0.01, -0.01, note, fontsize=8, color="0.3", ha="left", va="top")
    ax.legend(loc="upper right", framealpha=0.35, facecolor="black", labelcolor="white", edgecolor="none")
    return PlotResult(fig)
