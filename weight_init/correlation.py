"""Two inputs through one random network: the measured correlation per layer against theory.

:func:`correlation_stats` sends pairs of inputs with pre-activation correlation ``c_0`` through
one random network ``h^l = x^{l-1} W^l + b^l``, ``x^l = phi(h^l)`` (weights from an
initializer, ``sigma_w^2 = fan_in * E[W^2]``, biases ``N(0, sigma_b2)``) and puts the measured
correlation of the two pre-activation vectors in every layer next to
:func:`weight_init.theory.correlation_map` iterated from ``c_0`` (Poole et al. 2016, eq. 5)::

    from weight_init.propagation import correlation_stats, plot_correlation
    df = correlation_stats([500] * 20, 'xavier', activation='tanh', c0=0.5, sigma_b2=0.05, seed=0)
    plot_correlation(df)

The inputs sit at the fixed length: ``x^0_a = phi(h^0_a)`` with ``h^0_a ~ N(0, q*)`` and
``corr(h^0_1, h^0_2) = c_0``, so that the theory's assumption ``q^l = q*`` holds from the
first layer (the first layer sees the statistics of a deeper one).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from weight_init.activations import ActivationLike, get_activation
from weight_init.initializers import InitLike, call_init, get, weight_variance
from weight_init.theory import correlation_map, fixed_point
from weight_init.validation import as_generator, check_positive_int, check_widths

__all__ = ["correlation_stats", "plot_correlation"]


def _pair_correlation(h: np.ndarray, n_pairs: int) -> np.ndarray:
    """Correlation over units of rows ``i`` and ``n_pairs + i`` of ``h``, per pair."""
    a, b = h[:n_pairs], h[n_pairs:]
    return np.sum(a * b, axis=1) / np.sqrt(np.sum(a * a, axis=1) * np.sum(b * b, axis=1))


def correlation_stats(
    hidden_layer_sizes: Sequence[int],
    init_fn: InitLike,
    *,
    activation: ActivationLike = "tanh",
    c0: float = 0.5,
    sigma_b2: float = 0.0,
    n_pairs: int = 20,
    seed: int | np.random.Generator | None = None,
):
    """Measured and predicted correlation of two inputs' pre-activations, layer by layer.

    All layers must be equally wide (the theory's ``sigma_w^2`` is one number).

    Parameters
    ----------
    hidden_layer_sizes : sequence of int
        E.g. ``[500] * 20``; the input is as wide as the first layer.
    init_fn : initializer, name or callable
    activation : name or callable, default 'tanh'
    c0 : float, default 0.5
        Correlation of the two inputs' pre-activations, in ``[-1, 1]``.
    sigma_b2 : float, default 0.0
        Bias variance.
    n_pairs : int, default 20
        Independent input pairs through the same network; the table averages them.
    seed : int or Generator, optional

    Returns
    -------
    pandas.DataFrame
        One row per layer: ``layer``, ``width``, ``correlation`` (mean over pairs),
        ``correlation_sem`` (its standard error), ``theory_correlation`` (the map
        iterated), ``length`` (measured mean ``h^2``) and ``theory_length`` (``q*``).
    """
    from weight_init._optional import require

    pd = require("pandas", "plots")
    sizes = check_widths(hidden_layer_sizes, "hidden_layer_sizes", "[500] * 10")
    if len(set(sizes)) != 1:
        raise ValueError(f"correlation_stats needs equally wide layers, got {sizes}")
    n_pairs = check_positive_int(n_pairs, "n_pairs")
    c0 = float(c0)
    if not -1.0 <= c0 <= 1.0:
        raise ValueError(f"c0 must lie in [-1, 1], got {c0!r}")
    act = get_activation(activation)
    fn = get(init_fn)
    rng = as_generator(seed)
    if rng is None:
        rng = np.random.default_rng()
    n = sizes[0]
    sw = n * weight_variance(fn, n, n)
    sb = float(sigma_b2)
    q = fixed_point(act, sw, sb)
    if not np.isfinite(q):
        raise ValueError(f"the length diverges (q* = inf) at sigma_w^2 = {sw:g}, sigma_b^2 = {sb:g}")
    z1, z2 = rng.standard_normal((2, n_pairs, n))
    h0 = np.sqrt(q) * np.concatenate([z1, c0 * z1 + np.sqrt(1 - c0 * c0) * z2])
    x = act(h0)
    corr, sem, length = [], [], []
    for _ in sizes:
        W = np.asarray(call_init(fn, n, n, rng), dtype=float)
        h = x @ W + (np.sqrt(sb) * rng.standard_normal(n) if sb > 0 else 0.0)
        c = _pair_correlation(h, n_pairs)
        corr.append(float(np.mean(c)))
        sem.append(float(np.std(c, ddof=1) / np.sqrt(n_pairs)) if n_pairs > 1 else np.nan)
        length.append(float(np.mean(h * h)))
        x = act(h)
    theory, c = [], c0
    for _ in sizes:
        c = float(correlation_map(act, sw, sb, c))
        theory.append(c)
    return pd.DataFrame(
        {
            "layer": np.arange(1, len(sizes) + 1),
            "width": sizes,
            "correlation": corr,
            "correlation_sem": sem,
            "theory_correlation": theory,
            "length": length,
            "theory_length": q,
        }
    )


def plot_correlation(stats: Any, *, title: str | None = None, figsize: tuple[float, float] = (6, 3.5)):
    """Plot a :func:`correlation_stats` table (or several): measured points, theory dashed.

    Parameters
    ----------
    stats : DataFrame, or a mapping of label to DataFrame
        One table, or several labelled ones drawn in one panel.

    Returns
    -------
    PlotResult
    """
    from weight_init.plotting import PlotResult, pyplot

    plt = pyplot()
    tables = dict(stats) if isinstance(stats, Mapping) else {None: stats}
    fig, ax = plt.subplots(figsize=figsize)
    for i, (label, df) in enumerate(tables.items()):
        if not hasattr(df, "columns") or "correlation" not in df.columns:
            raise ValueError("stats must be the DataFrame of correlation_stats (or a mapping of them)")
        color = f"C{i}"
        ax.errorbar(
            df["layer"],
            df["correlation"],
            yerr=df["correlation_sem"],
            fmt="o",
            ms=4,
            color=color,
            label=label,
        )
        ax.plot(df["layer"], df["theory_correlation"], "--", color=color)
    ax.set_xlabel("layer")
    ax.set_ylabel("correlation of the two inputs")
    ax.plot([], [], "k--", label="theory (correlation map)")
    ax.legend(fontsize=8)
    ax.set_title(title or "Correlation of two inputs, measured (points) and predicted (dashed)")
    fig.tight_layout()
    return PlotResult(fig)
