"""Argument checks shared by the package's functions (numpy only)."""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

__all__ = ["is_positive_int", "check_positive_int", "check_widths", "check_seeds", "as_generator"]


def is_positive_int(value: Any) -> bool:
    """Whether ``value`` is an integer >= 1 (``True``/``False`` are not)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1


def check_positive_int(value: Any, name: str) -> int:
    """``int(value)`` if it is an integer >= 1, else a ``ValueError`` naming ``name``."""
    if not is_positive_int(value):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_widths(widths: Any, name: str, example: str) -> list[int]:
    """A non-empty list of positive layer widths, or a ``ValueError`` that names the bad one.

    ``name`` is the argument's name in the messages; ``example`` a valid value to suggest.
    """
    try:
        values = list(widths)
    except TypeError:
        raise ValueError(f"{name} must be a list of positive integers, got {widths!r}") from None
    if not values:
        raise ValueError(f"{name} is empty; give at least one layer width, e.g. {example}")
    for i, n in enumerate(values):
        if not is_positive_int(n):
            raise ValueError(f"{name}[{i}] = {n!r}: every layer width must be a positive integer")
    return [int(n) for n in values]


def as_generator(
    seed: Any, name: str = "seed", error: type[Exception] = ValueError
) -> np.random.Generator | None:
    """The package's one seed normalizer.

    ``None`` stays ``None`` (numpy's global state), a Generator is used as it is, an
    int seeds a new ``numpy.random.default_rng``; anything else raises ``error``
    (``ValueError`` for a function's ``seed=``; the initializers' ``rng=`` raises
    ``TypeError``) naming ``name`` and the value.
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise error(f"{name} must be None, an int or a numpy.random.Generator, got {seed!r}")


def check_seeds(seeds: Iterable[int]) -> list[int]:
    """The seeds as a list of distinct non-negative ints (else ``ValueError``)."""
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"seeds must be non-negative integers, got {s!r}")
        out.append(int(s))
    if not out:
        raise ValueError("seeds is empty; give at least one seed")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct, got {out}")
    return out
