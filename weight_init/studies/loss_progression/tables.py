"""The per-batch loss table of :func:`weight_init.studies.loss_progression.study.train_loss_progression`,
built from the training's rows (:func:`loss_table`), and its summaries: per epoch, and the
final validation accuracy per initializer (with its spread over seeds).

The summaries are importable from :mod:`weight_init.studies.loss_progression.study` and use
the table's pandas methods only; pandas is imported inside :func:`loss_table`.
"""

from __future__ import annotations

from typing import Any, Sequence

__all__ = ["loss_table", "epoch_table", "final_accuracy", "final_accuracy_spread"]


def loss_table(
    rows: Sequence[tuple],
    scores: dict,
    networks: Sequence[tuple[str, int]],
    labels: Sequence[str],
    *,
    seed_column: bool = True,
) -> Any:
    """The per-batch table from the training's rows.

    Parameters
    ----------
    rows : sequence of tuple
        ``(init, seed, epoch, step, loss)``, one per network and batch, in any order.
    scores : dict
        Per 1-based epoch ``(val_loss, val_accuracy)``, two arrays over the networks.
    networks : sequence of (str, int)
        Network ``k``'s ``(init, seed)``: the position of its scores.
    labels : sequence of str
        The initializers in the table's order.
    seed_column : bool
        Keep the ``seed`` column.

    Returns
    -------
    pandas.DataFrame
        Columns ``init, [seed,] epoch, step, loss, val_loss, val_accuracy``, sorted by
        initializer (in ``labels``' order), seed, epoch and step; each row has its
        network's validation scores of its epoch.
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    df = pd.DataFrame(list(rows), columns=["init", "seed", "epoch", "step", "loss"])
    df["init"] = pd.Categorical(df["init"], categories=list(labels))
    df = df.sort_values(["init", "seed", "epoch", "step"], kind="stable").reset_index(drop=True)
    df["init"] = df["init"].astype(str)
    index = {(label, s): k for k, (label, s) in enumerate(networks)}
    net = [index[key] for key in zip(df["init"], df["seed"])]
    df["val_loss"] = [float(scores[e][0][k]) for k, e in zip(net, df["epoch"])]
    df["val_accuracy"] = [float(scores[e][1][k]) for k, e in zip(net, df["epoch"])]
    return df if seed_column else df.drop(columns="seed")


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
