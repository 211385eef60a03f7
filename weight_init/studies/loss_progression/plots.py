"""The article's second figure: training loss over time, one panel per initializer.

The x-axis is time in epochs: batch ``s`` of ``S`` in epoch ``e`` (both 1-based) ends at
``x = e - 1 + s / S``. Consecutive batches are grouped into bins of ``ceil(S / per_epoch)``
batches within an epoch; each bin is drawn at its mean ``x`` with the mean of its batch
losses as the line and the range of its batch losses (lowest to highest) as the band:
the batch-to-batch spread (the article used seaborn's ``tsplot``, removed since; this is
``seaborn.lineplot(..., errorbar=("pi", 100))``).

With several seeds (a ``seed`` column with more than one value) each panel shows instead,
per bin, the median over seeds of the seeds' binned mean losses, with a band from the
lowest to the highest seed: the spread that is the draw's, not the initializer's.

The y-axis is logarithmic by default: computed from the logits, without probability
clipping, the losses span four orders of magnitude (N(0, 0.4^2) weights start near 500,
He weights end near 0.03), and the zero-weight network's flat ``ln 10`` stays readable.

pandas, seaborn and matplotlib are imported inside the functions.
"""

from __future__ import annotations

import math
import textwrap
from typing import Any, Sequence

from weight_init import initializers
from weight_init.plotting import PlotResult

__all__ = ["CHANCE_LOSS", "init_title", "epoch_position", "bin_batches", "plot_loss_progression"]

#: ``ln 10``: the cross-entropy of a uniform guess over 10 classes, drawn as a dashed line.
CHANCE_LOSS = math.log(10)


def init_title(label: str) -> str:
    """The figure's panel title for an initializer label.

    ``'zeros'`` -> "Loss with Initial Weights Set to Zero"; ``'normal(0.4)'`` -> "Loss
    with Initial Weights Drawn from N(0, sigma = 0.4)"; ``'he_normal_untruncated'`` ->
    "Loss with Initial Weights Drawn from N(0, sigma ~ sqrt(2/n_i))"; others name the
    initializer.
    """
    try:
        fn = initializers.get(label)
    except ValueError:
        fn = None
    prefix = "Loss with Initial Weights"
    if isinstance(fn, initializers.Constant):
        return f"{prefix} Set to Zero" if fn.value == 0 else f"{prefix} Set to {fn.value:g}"
    if isinstance(fn, initializers.RandomNormal) and fn.mean == 0:
        return f"{prefix} Drawn from N(0, sigma = {fn.std:g})"
    if (
        isinstance(fn, initializers.VarianceScaling)
        and fn.mode == "fan_in"
        and fn.distribution == "untruncated_normal"
    ):
        return f"{prefix} Drawn from N(0, sigma ~ sqrt({fn.scale:g}/n_i))"
    return f"{prefix} from {label}"


def epoch_position(df: Any) -> Any:
    """``x = epoch - 1 + step / steps_in_that_epoch`` for every row (a pandas Series)."""
    steps = df.groupby(["init", "epoch"], sort=False)["step"].transform("max")
    return df["epoch"] - 1 + df["step"] / steps


def bin_batches(df: Any, per_epoch: int = 8) -> Any:
    """The per-batch table with ``epoch_float`` (the bin's mean ``x``) and ``bin`` columns.

    Parameters
    ----------
    df : pandas.DataFrame
        Columns ``init, epoch, step, loss`` (as :func:`weight_init.studies.loss_progression.study.train_loss_progression`
        returns or its CSV holds).
    per_epoch : int
        Bins per epoch; each holds ``ceil(steps / per_epoch)`` consecutive batches.
    """
    if isinstance(per_epoch, bool) or not isinstance(per_epoch, int) or per_epoch < 1:
        raise ValueError(f"per_epoch must be a positive integer, got {per_epoch!r}")
    missing = {"init", "epoch", "step", "loss"} - set(df.columns)
    if missing:
        raise ValueError(f"the table lacks the column(s) {', '.join(sorted(missing))}")
    out = df.copy()
    steps = out.groupby(["init", "epoch"], sort=False)["step"].transform("max")
    size = steps.map(lambda s: math.ceil(s / per_epoch))
    out["bin"] = (out["step"] - 1) // size
    out["x"] = out["epoch"] - 1 + out["step"] / steps
    out["epoch_float"] = out.groupby(["init", "epoch", "bin"], sort=False)["x"].transform("mean")
    return out.drop(columns="x")


def plot_loss_progression(
    df: Any,
    *,
    titles: Sequence[str] | None = None,
    per_epoch: int = 8,
    yscale: str = "log",
    figsize: tuple[float, float] | None = None,
) -> Any:
    """One panel per initializer: training loss against epochs, line and spread band.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per batch, columns ``init, epoch, step, loss``; panels in the order
        the ``init`` values first appear.
    titles : sequence of str, optional
        Panel titles; by default :func:`init_title` of each ``init``.
    per_epoch : int
        Bins per epoch (see :func:`bin_batches`).
    yscale : {'log', 'linear'}
        Scale of the loss axis.
    figsize : (float, float), optional
        Default ``(max(5, 3.4 * panels), 3.8)``: three panels are 10.2 inches wide, about a
        notebook's width, so that the text is shown at its size (titles wrapped).

    Returns
    -------
    PlotResult
        ``.figure`` is the matplotlib ``Figure`` (its attributes, e.g. ``savefig`` and
        ``axes``, are also reached through the result); shown once in a notebook.
        Axes titled per initializer, x-axis "Epoch", y-axis "Training loss" (first
        panel); each panel its own y-range, which always includes ``ln 10`` (the loss of
        a uniform guess, a dashed line) with room around it.
    """
    from weight_init._optional import require

    plt = require("matplotlib.pyplot", "plots")
    sns = require("seaborn", "plots")
    from matplotlib import ticker

    if len(df) == 0:
        raise ValueError("the table is empty: nothing to plot")
    labels = list(dict.fromkeys(df["init"]))
    titles = [init_title(label) for label in labels] if titles is None else list(titles)
    if len(titles) != len(labels):
        raise ValueError(f"{len(titles)} titles for {len(labels)} initializers")
    if yscale not in ("log", "linear"):
        raise ValueError(f"yscale must be 'log' or 'linear', got {yscale!r}")
    if yscale == "log" and not (df["loss"] > 0).all():
        raise ValueError("a log axis needs positive losses; use yscale='linear'")
    data = bin_batches(df, per_epoch)
    n = len(labels)
    fig, axes = plt.subplots(1, n, figsize=figsize or (max(5.0, 3.4 * n), 3.8), squeeze=False)
    palette = sns.color_palette("deep", n)
    seeded = "seed" in data.columns and data["seed"].nunique() > 1
    for k, (ax, label, title) in enumerate(zip(axes[0], labels, titles)):
        part = data[data["init"] == label]
        if seeded:
            # Per seed the binned mean; across seeds the median and the lowest to highest.
            per_seed = part.groupby(["epoch", "bin", "seed"], sort=True).agg(
                x=("epoch_float", "first"), loss=("loss", "mean")
            )
            across = per_seed.groupby(level=["epoch", "bin"], sort=True).agg(
                x=("x", "median"), median=("loss", "median"), low=("loss", "min"), high=("loss", "max")
            )
            ax.plot(
                across["x"],
                across["median"],
                color=palette[k],
                linewidth=1.5,
                label=f"median of {part['seed'].nunique()} seeds",
            )
            ax.fill_between(
                across["x"],
                across["low"],
                across["high"],
                color=palette[k],
                alpha=0.25,
                linewidth=0,
                label="lowest to highest seed",
            )
        else:
            sns.lineplot(
                data=part,
                x="epoch_float",
                y="loss",
                errorbar=("pi", 100),
                ax=ax,
                color=palette[k],
                linewidth=1.5,
            )
        ax.set_title(textwrap.fill(title, 34), fontsize=11)
        ax.set_xlabel("Epoch", fontsize=10)
        ax.set_ylabel("Training loss" if k == 0 else "", fontsize=10)
        ax.set_xlim(0, max(1, int(part["epoch"].max())))
        ax.axhline(
            CHANCE_LOSS, color="0.5", linestyle="--", linewidth=0.8, zorder=0, label="ln 10 (uniform guess)"
        )
        low, high = part["loss"].min(), part["loss"].max()
        if yscale == "log":
            ax.set_yscale("log")
            bottom, top = min(low, CHANCE_LOSS / 2) / 1.3, max(high, 2 * CHANCE_LOSS) * 1.3
            ax.set_ylim(bottom, top)
            plain = ticker.FuncFormatter(lambda v, _: f"{v:g}")
            ax.yaxis.set_major_formatter(plain)
            # Within about a decade the minor ticks are the only ones: label them too.
            few = math.log10(top / bottom) < 1.5
            ax.yaxis.set_minor_formatter(plain if few else ticker.NullFormatter())
        else:
            ax.set_ylim(0, max(high, CHANCE_LOSS) * 1.1)
        ax.grid(True, alpha=0.3)
    axes[0][0].legend(loc="lower left", fontsize=9, frameon=False)
    fig.tight_layout()
    return PlotResult(fig)
