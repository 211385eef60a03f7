"""The three 2-D toy data sets of the initialization post (numpy only).

Each generator repeats the post's recipe draw for draw: the post calls
``np.random.seed(seed)`` and then the legacy global functions; here a local
``np.random.RandomState(seed)`` makes the same calls in the same order, so the points
are the post's to the last bit and numpy's global random state is left alone.

1. :func:`quadrant_blobs` (seed 8): positives ``N(0, I) - (0, 2.5)`` kept below both
   lines ``x2 = +-x1 - 0.25``; negatives: three ``N(0, I)`` blobs at ``(0, 2.5)``,
   ``(2.5, 0)`` and ``(-2.5, 0)``, each kept inside its own quadrant wedge.
2. :func:`disc_in_ring` (seed 3): positives ``N(0, 0.75^2 I)`` with ``r < 2``;
   negatives ``U[-5, 5]^2`` with ``2.5 < r < 4``.
3. :func:`vertical_stripes` (seed 6): positives ``U[-5, 5]^2`` with
   ``|x1 -+ 2.5| < 0.7``; negatives ``U[-5, 5]^2`` with both ``|x1 -+ 2.5| > 1.25``.

Every function returns a :class:`ToyData` ``(x, y, x_norm)``: the points, the labels
(1 for the positives, listed first, then 0) and the standardized points

.. math:: x^{\\text{norm}}_{ij} = \\frac{x_{ij} - \\bar x_j}{s_j}, \\qquad
          s_j = \\sqrt{\\tfrac{1}{n-1} \\textstyle\\sum_i (x_{ij} - \\bar x_j)^2},

the sample standard deviation (``ddof=1``) that the post's pandas ``.std()`` uses.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

__all__ = [
    "ToyData",
    "standardize",
    "quadrant_blobs",
    "disc_in_ring",
    "vertical_stripes",
    "load_toy_data",
    "TOY_DATASETS",
    "DEFAULT_SEEDS",
]


def standardize(x: np.ndarray, mean: np.ndarray | None = None, std: np.ndarray | None = None) -> np.ndarray:
    """``(x - mean) / std`` per column; by default ``x``'s own mean and ``ddof=1`` std.

    Parameters
    ----------
    x : ndarray (n, d)
    mean, std : ndarray (d,), optional
        Statistics to use instead of ``x``'s own (e.g. a training set's, to put new
        points on the scale the network was trained on).
    """
    x = np.asarray(x, dtype=float)
    if mean is None or std is None:
        own_mean, own_std = _column_stats(x)
        mean = own_mean if mean is None else mean
        std = own_std if std is None else std
    return (x - mean) / std


def _column_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and ``ddof=1`` std, summed in the order pandas sums them.

    pandas reduces each column as a contiguous row of its (d, n) block, that is with
    numpy's pairwise summation; doing the same here makes :func:`standardize` agree
    with the post's ``normalize_data`` to the last bit.
    """
    cols = np.ascontiguousarray(np.asarray(x, dtype=float).T)
    n = cols.shape[1]
    if n < 2:
        raise ValueError(f"need at least 2 points to standardize, got {n}")
    mean = cols.sum(axis=1) / n
    var = ((cols - mean[:, None]) ** 2).sum(axis=1) / (n - 1)
    return mean, np.sqrt(var)


class ToyData(NamedTuple):
    """A toy data set: ``x, y, x_norm = quadrant_blobs()``.

    Attributes
    ----------
    x : ndarray (n, 2)
        The points, positives first.
    y : ndarray (n,)
        Labels, 1.0 or 0.0.
    x_norm : ndarray (n, 2)
        ``standardize(x)``: zero mean, unit sample std per column.
    """

    x: np.ndarray
    y: np.ndarray
    x_norm: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """Column means of ``x``."""
        return _column_stats(self.x)[0]

    @property
    def std(self) -> np.ndarray:
        """Column sample standard deviations of ``x`` (``ddof=1``)."""
        return _column_stats(self.x)[1]

    def transform(self, points: np.ndarray) -> np.ndarray:
        """Standardize other points with *this* data's mean and std."""
        return standardize(points, self.mean, self.std)

    def to_frame(self) -> Any:
        """The post's DataFrame: columns ``x_1, x_2, y, x_1_norm, x_2_norm``."""
        from weight_init._optional import require

        pd = require("pandas", "plots")

        return pd.DataFrame(
            {
                "x_1": self.x[:, 0],
                "x_2": self.x[:, 1],
                "y": self.y,
                "x_1_norm": self.x_norm[:, 0],
                "x_2_norm": self.x_norm[:, 1],
            }
        )


def _assemble(pos: np.ndarray, neg: np.ndarray) -> ToyData:
    x = np.concatenate((pos.reshape(-1, 2), neg.reshape(-1, 2)), axis=0)
    y = np.concatenate((np.ones(len(pos)), np.zeros(len(neg))))
    return ToyData(x, y, standardize(x))


def _rng(seed: int) -> np.random.RandomState:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    return np.random.RandomState(int(seed))


def quadrant_blobs(seed: int = 8) -> ToyData:
    """Data set 1 (the post's ``train_data_1``): one positive blob below, three negative.

    Draws, in this order, four ``50 x 2`` standard-normal blocks centred at
    ``(0, -2.5)`` (positive), ``(0, 2.5)``, ``(2.5, 0)`` and ``(-2.5, 0)`` (negative);
    keeps the positives with ``x2 < x1 - 0.25`` and ``x2 < -x1 - 0.25`` and each negative
    blob in its wedge: ``x2 > x1 + 0.25, x2 > -x1 + 0.25`` (top);
    ``x2 > -x1 + 0.25, x2 < x1 - 0.25`` (right); ``x2 > x1 + 0.25, x2 < -x1 - 0.25`` (left).

    The post's own plot of this data set used ``seed=6``; its examples use the default.
    """
    rs = _rng(seed)
    p = rs.normal(0, 1, size=(50, 2)) - (0, 2.5)
    pos = p[(p[:, 1] < p[:, 0] - 0.25) & (p[:, 1] < -p[:, 0] - 0.25)]
    n1 = rs.normal(0, 1, size=(50, 2)) + (0, 2.5)
    n1 = n1[(n1[:, 1] > n1[:, 0] + 0.25) & (n1[:, 1] > -n1[:, 0] + 0.25)]
    n2 = rs.normal(0, 1, size=(50, 2)) + (2.5, 0)
    n2 = n2[(n2[:, 1] > -n2[:, 0] + 0.25) & (n2[:, 1] < n2[:, 0] - 0.25)]
    n3 = rs.normal(0, 1, size=(50, 2)) - (2.5, 0)
    n3 = n3[(n3[:, 1] > n3[:, 0] + 0.25) & (n3[:, 1] < -n3[:, 0] - 0.25)]
    return _assemble(pos, np.concatenate((n1, n2, n3)))


def disc_in_ring(seed: int = 3) -> ToyData:
    """Data set 2 (the post's ``train_data_2``): a positive disc inside a negative ring.

    Positives: 40 draws of ``N(0, 0.75^2 I)`` with ``r^2 < 4``; negatives: 300 draws of
    ``U[-5, 5]^2`` with ``6.25 < r^2 < 16``.
    """
    rs = _rng(seed)
    p = rs.normal(0, 0.75, size=(40, 2))
    r2 = p[:, 0] ** 2 + p[:, 1] ** 2
    pos = p[r2 < 4]
    n = rs.uniform(-5, 5, size=(300, 2))
    r2 = n[:, 0] ** 2 + n[:, 1] ** 2
    neg = n[(r2 > 6.25) & (r2 < 16)]
    return _assemble(pos, neg)


def vertical_stripes(seed: int = 6) -> ToyData:
    """Data set 3 (the post's ``train_data_3``): two positive vertical stripes.

    Positives: 400 draws of ``U[-5, 5]^2`` with ``|x1 - 2.5| < 0.7`` or
    ``|x1 + 2.5| < 0.7``; negatives: 400 more with ``|x1 - 2.5| > 1.25`` and
    ``|x1 + 2.5| > 1.25``. Not radially symmetric: a network without biases struggles.
    """
    rs = _rng(seed)
    p = rs.uniform(-5, 5, size=(400, 2))
    pos = p[(np.abs(p[:, 0] - 2.5) < 0.7) | (np.abs(p[:, 0] + 2.5) < 0.7)]
    n = rs.uniform(-5, 5, size=(400, 2))
    neg = n[(np.abs(n[:, 0] - 2.5) > 1.25) & (np.abs(n[:, 0] + 2.5) > 1.25)]
    return _assemble(pos, neg)


#: The generators by the post's number.
TOY_DATASETS: dict[int, Callable[..., ToyData]] = {
    1: quadrant_blobs,
    2: disc_in_ring,
    3: vertical_stripes,
}
#: The post's default seed of each data set.
DEFAULT_SEEDS: dict[int, int] = {1: 8, 2: 3, 3: 6}


def load_toy_data(dataset: int | str, seed: int | None = None) -> ToyData:
    """Data set 1, 2 or 3 (or its function's name), with its default seed unless given."""
    key: Any = dataset
    if isinstance(dataset, str):
        names = {f.__name__: k for k, f in TOY_DATASETS.items()}
        key = names.get(dataset.strip(), dataset.strip())
        if isinstance(key, str) and key.isdigit():
            key = int(key)
    if key not in TOY_DATASETS or isinstance(key, bool):
        raise ValueError(
            f"unknown toy data set {dataset!r}; choose 1 ({TOY_DATASETS[1].__name__}), "
            f"2 ({TOY_DATASETS[2].__name__}) or 3 ({TOY_DATASETS[3].__name__})"
        )
    fn = TOY_DATASETS[key]
    return fn() if seed is None else fn(seed)
