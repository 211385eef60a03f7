"""Summaries of the per-batch table of :func:`weight_init.studies.loss_progression.study.train_loss_progression`:
per epoch, and the final validation accuracy per initializer (with its spread over seeds).

Importable from :mod:`weight_init.studies.loss_progression.study`; pandas methods of the table only, no import.
"""

from __future__ import annotations

from typing import Any

__all__ = ["epoch_table", "final_accuracy", "final_accuracy_spread"]


def epoch_table(df: Any) -> Any:
    """One row per network and epoch: ``init, [seed,] epoch, loss`` (mean of the epoch's
    batch losses), ``val_loss, val_accuracy``; networks in the table's order."""
    order = list(dict.fromkeys(df["init"]))
    keys = ["init", "seed"] if "seed" in df.columns else ["init"]
    out = (
        df.groupby([*keys, "epoch"], sort=False)
        .agg(loss=("loss", "mean"), val_loss=("val_loss", "last"), val_accuracy=("val_accuracy", "last"))
        .reset_index()
    )
    out["_k"] = out["init"].map({label: k for k, label in enumerate(order)})
    return (
        out.sort_values(["_k", *keys[1:], "epoch"], kind="stable").drop(columns="_k").reset_index(drop=True)
    )


def final_accuracy(df: Any) -> dict[str, float]:
    """Validation accuracy after the last epoch, per initializer (in the table's order);
    with a ``seed`` column, the mean over seeds (see :func:`final_accuracy_spread`)."""
    spread = final_accuracy_spread(df)
    return {label: float(spread.loc[label, "mean"]) for label in spread.index}


def final_accuracy_spread(df: Any) -> Any:
    """Per initializer the final validation accuracy over seeds: a DataFrame indexed by
    ``init`` (table order) with ``mean``, ``sd`` (sample sd, ``ddof=1``; NaN for one
    seed), ``min``, ``max`` and ``n`` (seeds)."""
    table = epoch_table(df)
    last = table[
        table["epoch"]
        == table.groupby([c for c in ("init", "seed") if c in table], sort=False)["epoch"].transform("max")
    ]
    out = last.groupby("init", sort=False)["val_accuracy"].agg(["mean", "std", "min", "max", "count"])
    return out.rename(columns={"std": "sd", "count": "n"})
