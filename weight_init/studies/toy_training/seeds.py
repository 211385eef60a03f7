"""The post's toy comparison over many seeds: how much of the outcome is the draw.

>>> from weight_init.studies.toy_training.seeds import compare_pairings_seeds
>>> study = compare_pairings_seeds(3, seeds=range(100), widths=None, tanh_widths=[11, 5],
...                                relu_widths=[5, 2], bias=True, eta=1.0,
...                                max_epochs=5000)                    # doctest: +SKIP
>>> print(study.report())                                          # doctest: +SKIP

For every seed both networks of :func:`weight_init.studies.toy_training.study.compare_pairings` are
drawn exactly as a single-seed run draws them (the post's legacy ``RandomState(seed)``
and rejection, or ``default_rng(seed)``) and trained on the same data; all seeds of one
network are trained together by :func:`weight_init.studies.toy_training.batch.fit_many`, so a seed's
outcome equals ``compare_pairings(..., seed=seed)``'s, bit for bit.

Summary per network (:meth:`ToySeedStudy.summary`), over the ``S`` seeds:

* ``converged``: number of seeds whose training error fell below ``max_error``, and
  ``converged_share`` = that / ``S``;
* ``epoch_q1``, ``epoch_median``, ``epoch_q3``: quartiles of the convergence epoch, a
  seed that did not converge counting as converging after every finite epoch (``inf``):
  with the sorted epochs ``e_(0) <= ... <= e_(S-1)``, the ``p``-quantile is
  ``e_(j) + (h - j) (e_(j+1) - e_(j))``, ``h = (S - 1) p``, ``j = floor(h)`` (pandas'
  and numpy's linear rule), ``inf`` as soon as a term it needs with a non-zero weight
  is ``inf`` (too many seeds did not converge);
* ``final_error_mean``, ``final_error_sd`` (``ddof = 1``, 0 for one seed) and
  ``final_error_max`` of the final training error (fraction misclassified).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from weight_init.studies.toy_training.batch import fit_many
from weight_init.studies.toy_training.data import ToyData, load_toy_data
from weight_init.studies.toy_training.mlp import MLP
from weight_init.studies.toy_training.study import EXAMPLES, PAIRINGS
from weight_init.studies.toy_training.training import TrainHistory
from weight_init.validation import check_seeds

__all__ = ["ToySeedStudy", "compare_pairings_seeds", "run_example_seeds", "censored_quantile", "check_seeds"]


def censored_quantile(epochs: Sequence[float], p: float) -> float:
    """Linear-rule ``p``-quantile of ``epochs`` where ``inf`` (not converged) may occur.

    Equals ``numpy.quantile(epochs, p)`` when no neighbour it interpolates is ``inf``;
    otherwise ``inf``.
    """
    e = np.sort(np.asarray(epochs, dtype=float))
    h = (len(e) - 1) * p
    j = int(math.floor(h))
    if h == j or math.isinf(e[j]):  # no interpolation, or past every finite epoch
        return float(e[j])
    k = j + 1
    if math.isinf(e[k]):
        return math.inf
    return float(e[j] + (h - j) * (e[k] - e[j]))


@dataclass
class ToySeedStudy:
    """Both pairings trained once per seed.

    Attributes
    ----------
    seeds : list of int
    histories : dict of str to list of TrainHistory
        ``{'tanh': [one per seed], 'relu': [...]}``.
    networks : dict of str to list of MLP
        The trained networks, same order.
    data : ToyData
    settings : dict
    """

    seeds: list
    histories: dict
    networks: dict
    data: ToyData
    settings: dict = field(default_factory=dict)
    seconds: float = 0.0

    def outcomes(self) -> Any:
        """One row per (seed, network): ``seed, network, converged, epoch, final_error``.

        ``epoch`` is the convergence epoch, or the epochs trained when it did not converge.
        """
        from weight_init._optional import require

        pd = require("pandas", "plots")

        rows = []
        for i, seed in enumerate(self.seeds):
            for key, hists in self.histories.items():
                h = hists[i]
                rows.append(
                    {
                        "seed": seed,
                        "network": key,
                        "converged": bool(h.converged),
                        "epoch": int(h.converged_epoch if h.converged else h.epochs),
                        "final_error": float(h.final_error),
                    }
                )
        return pd.DataFrame(rows, columns=["seed", "network", "converged", "epoch", "final_error"])

    to_frame = outcomes

    def summary(self) -> Any:
        """Per network: seeds, converged, converged_share, epoch quartiles, final error
        mean / sd / max (see the module notes)."""
        from weight_init._optional import require

        pd = require("pandas", "plots")

        rows = []
        for key, hists in self.histories.items():
            epochs = [h.converged_epoch if h.converged else math.inf for h in hists]
            errors = np.array([h.final_error for h in hists])
            n_conv = sum(h.converged for h in hists)
            rows.append(
                {
                    "network": key,
                    "init": PAIRINGS[key][3] if key in PAIRINGS else "",
                    "seeds": len(hists),
                    "converged": n_conv,
                    "converged_share": n_conv / len(hists),
                    "epoch_q1": censored_quantile(epochs, 0.25),
                    "epoch_median": censored_quantile(epochs, 0.5),
                    "epoch_q3": censored_quantile(epochs, 0.75),
                    "final_error_mean": float(errors.mean()),
                    "final_error_sd": float(errors.std(ddof=1)) if len(errors) > 1 else 0.0,
                    "final_error_max": float(errors.max()),
                }
            )
        return pd.DataFrame(rows)

    def report(self) -> str:
        """One line per network: converged share, epoch quartiles, final error."""
        max_epochs = self.settings.get("max_epochs")
        beyond = f">{max_epochs}" if max_epochs else "never"

        def ep(v: float) -> str:
            return beyond if math.isinf(v) else f"{v:g}"

        lines = []
        for row in self.summary().itertuples():
            label = f"{row.network} + {row.init}:"
            lines.append(
                f"{label:<15}converged {row.converged}/{row.seeds} seeds "
                f"({100 * row.converged_share:.0f} %); convergence epoch median "
                f"{ep(row.epoch_median)} (quartiles {ep(row.epoch_q1)}, {ep(row.epoch_q3)}); "
                f"final train error {row.final_error_mean:.4f} +- {row.final_error_sd:.4f} "
                f"(max {row.final_error_max:.4f})"
            )
        return "\n".join(lines)


def compare_pairings_seeds(
    dataset: int = 1,
    *,
    seeds: Iterable[int] = (3,),
    widths: Sequence[int] | None = (6, 3),
    tanh_widths: Sequence[int] | None = None,
    relu_widths: Sequence[int] | None = None,
    bias: bool = False,
    bias_init: float = 0.1,
    eta: float = 0.25,
    max_epochs: int = 2000,
    max_error: float = 1e-4,
    batch_size: int | None = None,
    averaging: bool = True,
    data_seed: int | None = None,
    post_compatible: bool = True,
    progress: Callable[[str, int, int, int, bool], None] | None = None,
) -> ToySeedStudy:
    """:func:`~weight_init.studies.toy_training.study.compare_pairings` once per seed, vectorized.

    Takes the same settings as ``compare_pairings`` (``seeds`` instead of ``seed``); the
    outcome of each seed equals ``compare_pairings(..., seed=seed)``'s.

    Parameters
    ----------
    seeds : iterable of int
        Distinct non-negative seeds; each draws both networks' weights (and shuffles
        mini-batches) as a single-seed run with that seed does.
    progress : callable, optional
        ``progress(key, epoch, max_epochs, still_training, done)`` while the seeds of a
        network train (about twice a second, and once with ``done=True``).

    Returns
    -------
    ToySeedStudy
    """
    seeds = check_seeds(seeds)
    data = load_toy_data(dataset, data_seed)
    if widths is None and (tanh_widths is None or relu_widths is None):
        raise ValueError("give widths, or both tanh_widths and relu_widths")
    arch = {
        "tanh": list(widths if tanh_widths is None else tanh_widths),
        "relu": list(widths if relu_widths is None else relu_widths),
    }
    start = time.perf_counter()
    histories: dict[str, list[TrainHistory]] = {}
    networks: dict[str, list[MLP]] = {}
    for key, (activation, post_init, plain_init, _) in PAIRINGS.items():
        nets = []
        for seed in seeds:
            rng = np.random.RandomState(seed) if post_compatible else np.random.default_rng(seed)
            nets.append(
                MLP(
                    arch[key],
                    activation,
                    post_init if post_compatible else plain_init,
                    bias=bias,
                    bias_init=bias_init,
                    rng=rng,
                )
            )
        histories[key] = fit_many(
            nets,
            data.x_norm,
            data.y,
            eta=eta,
            max_error=max_error,
            max_epochs=max_epochs,
            batch_size=batch_size,
            averaging=averaging,
            rngs=seeds,
            labels=[key] * len(seeds),
            progress=None if progress is None else (lambda *a, key=key: progress(key, *a)),
        )
        networks[key] = nets
    settings = dict(
        dataset=int(dataset),
        tanh_widths=arch["tanh"],
        relu_widths=arch["relu"],
        bias=bias,
        bias_init=bias_init,
        eta=eta,
        max_epochs=max_epochs,
        max_error=max_error,
        batch_size=batch_size,
        averaging=averaging,
        seeds=seeds,
        data_seed=data_seed,
        post_compatible=post_compatible,
    )
    return ToySeedStudy(seeds, histories, networks, data, settings, seconds=time.perf_counter() - start)


def run_example_seeds(name: str, seeds: Iterable[int], **overrides: Any) -> ToySeedStudy:
    """One of the post's :data:`~weight_init.studies.toy_training.study.EXAMPLES` over ``seeds``."""
    key = str(name).strip()
    if key not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}")
    settings = EXAMPLES[key].settings()
    del settings["seed"]
    return compare_pairings_seeds(**{**settings, "seeds": seeds, **overrides})
