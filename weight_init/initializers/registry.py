"""The registry of initializer names: every name of Keras 3, PyTorch and the notebook with
its parameters, its defaults and the law it builds (:mod:`weight_init.initializers.names`
parses names against it). The registry imports the laws; no law imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from weight_init.initializers import presets as _I
from weight_init.initializers.base import Initializer
from weight_init.initializers.laws import (
    Constant,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
)
from weight_init.initializers.structured import DeltaOrthogonal, Dirac, Identity, Orthogonal, Sparse

__all__ = [
    "Param",
    "Entry",
    "REGISTRY",
    "ALIASES",
    "KERAS_CLASSES",
    "CLASS_KEYS",
    "KERAS_NAMES",
    "TORCH_NAMES",
]


@dataclass(frozen=True)
class Param:
    name: str
    kind: type  # float, int or str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    build: Callable[..., Initializer]
    params: tuple[Param, ...] = ()
    preset: Initializer | None = None  # what the bare name gives; None: a value is needed
    library: str = "Keras"


def _p(name: str, kind: type = float, *aliases: str) -> Param:
    return Param(name, kind, aliases)


def _fixed(init: Initializer, library: str) -> Entry:
    return Entry(lambda: init, (), init, library)


def _keras_uniform(
    limit: float | None = None, minval: float | None = None, maxval: float | None = None
) -> RandomUniform:
    if limit is not None:
        if minval is not None or maxval is not None:
            raise ValueError("give limit, or minval/maxval (a/b), not both")
        return _I.uniform(limit)
    return RandomUniform(-0.05 if minval is None else minval, 0.05 if maxval is None else maxval)


def _kaiming(distribution: str) -> Callable[..., Initializer]:
    def build(a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu") -> VarianceScaling:
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"mode must be fan_in or fan_out (as in PyTorch), got {mode!r}")
        gain = _I.calculate_gain(nonlinearity, a)
        return VarianceScaling(gain**2, mode, distribution)

    return build


def _xavier(distribution: str) -> Callable[..., Initializer]:
    def build(gain: float = 1.0) -> VarianceScaling:
        if isinstance(gain, bool) or not isinstance(gain, (int, float)) or gain == 0:
            raise ValueError(f"gain must be a non-zero number, got {gain!r}")
        return VarianceScaling(float(gain) ** 2, "fan_avg", distribution)

    return build


_STD = _p("std", float, "stddev")
REGISTRY: dict[str, Entry] = {
    # Keras 3 (keras.initializers), with Keras' defaults.
    "zeros": _fixed(_I.zeros, "Keras, PyTorch"),
    "ones": _fixed(_I.ones, "Keras, PyTorch"),
    "constant": Entry(
        lambda value=0.0: Constant(value),
        (_p("value", float, "val"),),
        Constant(0.0, name="constant"),
        "Keras, PyTorch",
    ),
    "random_normal": Entry(
        lambda std=0.05, mean=0.0: RandomNormal(std, mean), (_STD, _p("mean")), _I.random_normal
    ),
    "random_uniform": Entry(
        _keras_uniform, (_p("limit"), _p("minval", float, "a"), _p("maxval", float, "b")), _I.random_uniform
    ),
    "truncated_normal": Entry(
        lambda std=0.05, mean=0.0: TruncatedNormal(mean, std), (_STD, _p("mean")), _I.truncated_normal
    ),
    "variance_scaling": Entry(
        VarianceScaling,
        (_p("scale"), _p("mode", str), _p("distribution", str)),
        VarianceScaling(name="variance_scaling"),
    ),
    "glorot_normal": _fixed(_I.glorot_normal, "Keras"),
    "glorot_uniform": _fixed(_I.glorot_uniform, "Keras"),
    "he_normal": _fixed(_I.he_normal, "Keras"),
    "he_uniform": _fixed(_I.he_uniform, "Keras"),
    "lecun_normal": _fixed(_I.lecun_normal, "Keras"),
    "lecun_uniform": _fixed(_I.lecun_uniform, "Keras"),
    "orthogonal": Entry(Orthogonal, (_p("gain"),), Orthogonal(1.0), "Keras, PyTorch"),
    "identity": Entry(Identity, (_p("gain"),), _I.identity),
    # PyTorch (torch.nn.init), with PyTorch's defaults.
    "kaiming_normal": Entry(
        _kaiming("untruncated_normal"),
        (_p("a"), _p("mode", str), _p("nonlinearity", str)),
        _I.kaiming_normal,
        "PyTorch",
    ),
    "kaiming_uniform": Entry(
        _kaiming("uniform"),
        (_p("a"), _p("mode", str), _p("nonlinearity", str)),
        _I.kaiming_uniform,
        "PyTorch",
    ),
    "xavier_normal": Entry(_xavier("untruncated_normal"), (_p("gain"),), _I.xavier_normal, "PyTorch"),
    "xavier_uniform": Entry(_xavier("uniform"), (_p("gain"),), _I.xavier_uniform, "PyTorch"),
    "trunc_normal": Entry(
        lambda std=1.0, mean=0.0, a=-2.0, b=2.0: TruncatedNormal(mean, std, a, b),
        (_STD, _p("mean"), _p("a"), _p("b")),
        _I.trunc_normal,
        "PyTorch",
    ),
    "torch.normal": Entry(
        lambda std=1.0, mean=0.0: RandomNormal(std, mean),
        (_STD, _p("mean")),
        RandomNormal(1.0, name="torch.normal"),
        "PyTorch",
    ),
    "torch.uniform": Entry(
        lambda a=0.0, b=1.0: RandomUniform(a, b),
        (_p("a", float, "minval"), _p("b", float, "maxval")),
        RandomUniform(0.0, 1.0, name="torch.uniform"),
        "PyTorch",
    ),
    "eye": _fixed(_I.eye, "PyTorch"),
    "dirac": Entry(Dirac, (_p("groups", int),), _I.dirac, "PyTorch"),
    "sparse": Entry(Sparse, (_p("sparsity"), _STD), None, "PyTorch"),
    # The notebook's, and this package's own.
    "small_random": _fixed(_I.small_random, "notebook"),
    "big_random": _fixed(_I.big_random, "notebook"),
    "xavier": _fixed(_I.xavier, "notebook"),
    "he_normal_untruncated": _fixed(_I.he_normal_untruncated, "this package"),
    "lsuv": _fixed(_I.lsuv, "this package"),
    "delta_orthogonal": Entry(DeltaOrthogonal, (_p("gain"),), _I.delta_orthogonal, "this package"),
}

ALIASES: dict[str, str] = {
    "zero": "zeros",
    "one": "ones",
    "normal": "random_normal",
    "uniform": "random_uniform",
}
#: Keras' class names (matched case-insensitively, ``_`` ignored).
KERAS_CLASSES = {
    "Zeros": "zeros",
    "Ones": "ones",
    "Constant": "constant",
    "RandomNormal": "random_normal",
    "RandomUniform": "random_uniform",
    "TruncatedNormal": "truncated_normal",
    "VarianceScaling": "variance_scaling",
    "GlorotNormal": "glorot_normal",
    "GlorotUniform": "glorot_uniform",
    "HeNormal": "he_normal",
    "HeUniform": "he_uniform",
    "LecunNormal": "lecun_normal",
    "LecunUniform": "lecun_uniform",
    "Orthogonal": "orthogonal",
    "OrthogonalInitializer": "orthogonal",
    "Identity": "identity",
    "IdentityInitializer": "identity",
}
CLASS_KEYS = {k.lower(): v for k, v in KERAS_CLASSES.items()}
KERAS_NAMES = {
    "zeros",
    "ones",
    "zero",
    "one",
    "constant",
    "random_normal",
    "random_uniform",
    "normal",
    "uniform",
    "truncated_normal",
    "variance_scaling",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "orthogonal",
    "identity",
}
TORCH_NAMES = {
    "zeros": "zeros",
    "ones": "ones",
    "constant": "constant",
    "normal": "torch.normal",
    "uniform": "torch.uniform",
    "orthogonal": "orthogonal",
    "trunc_normal": "trunc_normal",
    "kaiming_normal": "kaiming_normal",
    "kaiming_uniform": "kaiming_uniform",
    "xavier_normal": "xavier_normal",
    "xavier_uniform": "xavier_uniform",
    "eye": "eye",
    "dirac": "dirac",
    "sparse": "sparse",
}
