"""The trainable-depth table over seeds, and the deepest trainable network per sigma_w^2.

:func:`summarize_over_seeds` reduces the per-network table of
:func:`weight_init.studies.trainable_depth.study.train_trainable_depth` to one row per
``(sigma_w2, depth)``: for each accuracy and loss ``v`` over the ``S`` seeds

.. math::

    \\bar v = \\frac{1}{S} \\sum_s v_s, \\qquad
    \\mathrm{sd}(v) = \\sqrt{\\frac{1}{S - 1} \\sum_s (v_s - \\bar v)^2}

(``ddof = 1``, ``NaN`` for one seed) in columns ``<v>_mean`` and ``<v>_sd``. (Seeds are
drawn with ``--seeds`` / ``--n-seeds``; each seed's networks are exactly those of a run
with that seed alone.)

:func:`trainable_depths` reads off, per ``sigma_w2``, the deepest network of the grid whose
mean accuracy reaches a threshold: the measured trainable depth that Schoenholz et al.
(2017) compare with ``6 xi_c``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["VALUE_COLUMNS", "summarize_over_seeds", "trainable_depths"]

#: The per-network numbers summarized over seeds.
VALUE_COLUMNS = ("train_accuracy", "test_accuracy", "train_loss", "test_loss")


def summarize_over_seeds(df: Any) -> Any:
    """One row per ``(sigma_w2, sigma_b2, depth)``, in the table's order: ``seeds`` (how many),
    then ``<v>_mean`` and ``<v>_sd`` (``ddof = 1``) of :data:`VALUE_COLUMNS`."""
    keys = ["sigma_w2", "sigma_b2", "depth"]
    missing = [c for c in (*keys, "seed", *VALUE_COLUMNS) if c not in df.columns]
    if missing:
        raise ValueError(f"the table lacks the column(s) {', '.join(missing)}")
    grouped = df.groupby(keys, sort=False)
    out = grouped.size().rename("seeds").reset_index()
    for col in VALUE_COLUMNS:
        out[f"{col}_mean"] = grouped[col].mean().to_numpy()
        out[f"{col}_sd"] = grouped[col].std(ddof=1).to_numpy()
    return out


def trainable_depths(df: Any, metric: str = "train_accuracy", threshold: float = 0.5) -> Any:
    """Per ``sigma_w2`` (a pandas Series indexed by it): the largest depth of the grid whose
    ``metric`` (mean over seeds) is at least ``threshold``; ``NaN`` where none is.

    ``df`` is the per-network table or its :func:`summarize_over_seeds`. Only the depths of
    the grid can come out, so the answer is as fine as the grid: the true trainable depth
    lies between this depth and the next deeper one of the grid.
    """
    summary = df if f"{metric}_mean" in df.columns else summarize_over_seeds(df)
    column = f"{metric}_mean"
    if column not in summary.columns:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(VALUE_COLUMNS[:2])}")
    ok = summary[summary[column] >= threshold]
    deepest = ok.groupby("sigma_w2")["depth"].max()
    return deepest.reindex(sorted(summary["sigma_w2"].unique())).rename("trainable_depth")
