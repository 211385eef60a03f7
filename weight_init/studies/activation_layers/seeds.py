"""The untrained-MLP activation study over several seeds: mean and sd over weight draws.

:func:`activation_study_seeds` runs :func:`weight_init.studies.activation_layers.study.activation_study`
once per seed (each seed's numbers are exactly those of a run with that ``seed``) and
summarizes every per-layer statistic ``v`` (``mean``, ``std``, ``frac_zero``) of each
initializer and hidden layer over the ``S`` seeds as

.. math::

    \\bar v = \\frac{1}{S} \\sum_s v_s, \\qquad
    \\mathrm{sd}(v) = \\sqrt{\\frac{1}{S - 1} \\sum_s (v_s - \\bar v)^2}

(``ddof = 1``, pandas' default; ``NaN`` for a single seed), in columns ``<v>_mean`` and
``<v>_sd``. The mean-field columns of ``theory=True`` do not depend on the seed and are
kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

import numpy as np

from weight_init.studies.activation_layers.study import ActivationStudy, activation_study

__all__ = ["ActivationSeedStudy", "activation_study_seeds", "STAT_COLUMNS"]

#: The per-layer statistics summarized over seeds.
STAT_COLUMNS = ("mean", "std", "frac_zero")


@dataclass
class ActivationSeedStudy:
    """What :func:`activation_study_seeds` computed.

    Attributes
    ----------
    seeds : list of int
    per_seed : pandas.DataFrame
        Every seed's :attr:`ActivationStudy.stats`, with a first column ``seed``.
    stats : pandas.DataFrame
        One row per initializer and layer: ``init``, ``layer``, ``seeds``, then
        ``mean_mean, mean_sd, std_mean, std_sd, frac_zero_mean, frac_zero_sd`` (and
        ``theory_mean``, ``theory_std`` when asked for).
    first : ActivationStudy
        The first seed's study, with its activations (for the violins).
    """

    seeds: list
    per_seed: Any
    stats: Any
    first: ActivationStudy


def summarize_over_seeds(per_seed: Any) -> Any:
    """Mean and sd (``ddof = 1``) of :data:`STAT_COLUMNS` over seeds, per init and layer.

    Rows keep the order of the first seed's table.
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    keys = ["init", "layer"]
    grouped = per_seed.groupby(keys, sort=False)
    out = grouped.size().rename("seeds").reset_index()
    for col in STAT_COLUMNS:
        out[f"{col}_mean"] = grouped[col].mean().to_numpy()
        out[f"{col}_sd"] = grouped[col].std(ddof=1).to_numpy()
    theory = [c for c in per_seed.columns if c.startswith("theory_")]
    if theory:
        out = out.merge(grouped[theory].first().reset_index(), on=keys, how="left")
    return pd.DataFrame(out)


def activation_study_seeds(
    x: np.ndarray,
    *,
    seeds: Iterable[int],
    progress: Callable[[str], None] | None = None,
    **settings: Any,
) -> ActivationSeedStudy:
    """:func:`~weight_init.studies.activation_layers.study.activation_study` once per seed, summarized.

    Parameters
    ----------
    x : ndarray
        The images (:func:`~weight_init.studies.activation_layers.study.study_images`).
    seeds : iterable of int
        Distinct non-negative seeds.
    progress : callable, optional
        Called with a short message before each seed's networks.
    **settings :
        ``sigmas``, ``inits``, ``activation``, ``layers``, ``width``, ``theory`` of
        ``activation_study``.

    Returns
    -------
    ActivationSeedStudy
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")

    from weight_init.validation import check_seeds

    seeds = check_seeds(seeds)
    frames, first = [], None
    for k, seed in enumerate(seeds):
        if progress is not None:
            progress(f"seed {seed} ({k + 1}/{len(seeds)})")
        study = activation_study(x, seed=seed, **settings)
        if first is None:
            first = study
        else:
            study.activations.clear()  # only the first seed's are drawn; free the memory
        frame = study.stats.copy()
        frame.insert(0, "seed", seed)
        frames.append(frame)
    per_seed = pd.concat(frames, ignore_index=True)
    return ActivationSeedStudy(seeds, per_seed, summarize_over_seeds(per_seed), first)
