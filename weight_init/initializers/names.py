"""Names of initializers, with their parameters: the one parser every script uses.

The naming rule:

* Keras 3 identifiers (snake_case and class names, as ``keras.initializers.get`` accepts
  them: ``'he_normal'``, ``'HeNormal'``, ``'truncated_normal'``, ``'VarianceScaling'``,
  ...) mean exactly what Keras means, with Keras' defaults and parameter names.
* PyTorch's ``torch.nn.init`` names without the trailing underscore (``'kaiming_normal'``,
  ``'xavier_uniform'``, ``'trunc_normal'``, ``'eye'``, ``'dirac'``, ``'sparse'``) mean
  what PyTorch means, with its defaults and parameters (``gain``, ``a``, ``mode``,
  ``nonlinearity``, ``mean``, ``std``, ``a``/``b``, ``sparsity``, ``groups``).
* The notebook's names (``'small_random'``, ``'big_random'``, ``'xavier'``) keep the
  notebook's meaning.
* Where both libraries use one name for different laws (``normal``: Keras ``N(0, 0.05^2)``,
  PyTorch ``N(0, 1)``; ``uniform``: Keras ``U(-0.05, 0.05)``, PyTorch ``U(0, 1)``) the
  plain name is Keras'; ``'torch.normal'`` / ``'torch.uniform'`` give PyTorch's. Any name
  may carry a ``keras.`` or ``torch.`` prefix to say whose it is.
* A trailing underscore is PyTorch's spelling only (``torch.nn.init.normal_``): any name
  of ``torch.nn.init`` written with it means PyTorch's law, so ``'normal_'`` is
  ``N(0, 1)`` and ``'uniform_'`` is ``U(0, 1)`` (as ``'torch.normal'``,
  ``'torch.uniform'``), ``'kaiming_normal_'`` is ``'kaiming_normal'``; only the bare
  ``normal``/``uniform`` follow the rule above.

Parameters: ``'name:VALUE'`` or ``'name(VALUE)'`` sets the main parameter (the first one
of the entry below, as the table of docs/initializers.md lists them: ``normal:0.4`` is std 0.4), ``'name(key=value, ...)'`` any of
them, and a dict ``{'name': ..., key: value}`` or Keras' serialized form
``{'class_name': 'VarianceScaling', 'config': {...}}`` does the same.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from weight_init.initializers.base import InitLike, RNGLike, call_init
from weight_init.initializers.laws import (
    Initializer,
)
from weight_init.initializers.registry import ALIASES, CLASS_KEYS, KERAS_NAMES, REGISTRY, TORCH_NAMES, Param

__all__ = ["get", "names", "parse_init", "weight_variance"]


_PREFIXES = (
    ("torch.nn.init.", "torch"),
    ("nn.init.", "torch"),
    ("torch.", "torch"),
    ("keras.initializers.", "keras"),
    ("keras.", "keras"),
)
_CALL = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(?::(.*)|\((.*)\))?\s*$", re.S)


def names() -> list[str]:
    """All names :func:`get` accepts (besides Keras' class names and prefixes), sorted."""
    return sorted(set(REGISTRY) | set(ALIASES))


def _valued() -> str:
    return ", ".join(f"{k}:{e.params[0].name.upper()}" for k, e in sorted(REGISTRY.items()) if e.params)


def _unknown(spec: Any, detail: str = "") -> ValueError:
    return ValueError(
        f"unknown initializer {spec!r}{detail}; valid names are: {', '.join(names())} "
        f"(also Keras' class names such as HeNormal, and torch./keras. prefixes); "
        f"a value can be given to {_valued()}, keywords as name(key=value, ...)"
    )


def _canonical(text: str, spec: Any) -> tuple[str, str]:
    """``(registry key, display name)`` of a name as typed."""
    raw = text.strip()
    library = None
    for prefix, lib in _PREFIXES:
        if raw.lower().startswith(prefix):
            library, raw = lib, raw[len(prefix) :]
            break
    key = raw.lower().replace("-", "_")
    if key.endswith("_") and key[:-1] in TORCH_NAMES:  # normal_, torch.nn.init.kaiming_normal_
        if library == "keras":
            raise _unknown(spec, ": a trailing underscore is PyTorch's spelling, keras.initializers has none")
        library, key = "torch", key[:-1]
    if key not in REGISTRY and key not in ALIASES and key.replace("_", "") in CLASS_KEYS:
        key = CLASS_KEYS[key.replace("_", "")]
    if library == "torch":
        if key not in TORCH_NAMES:
            raise _unknown(spec, f": torch.nn.init has no {key}")
        return TORCH_NAMES[key], f"torch.{key}"
    if library == "keras" and key not in KERAS_NAMES:
        raise _unknown(spec, f": keras.initializers has no {key}")
    if key in ALIASES:
        return ALIASES[key], key
    if key in REGISTRY:
        return key, key
    raise _unknown(spec)


def _convert(spec: Any, param: Param, value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().strip("'\"")
        if param.kind is str:
            return text.lower()
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"initializer {spec!r}: {param.name} {text!r} is not a number") from None
        value = number
    if param.kind is int and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _format(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _build(spec: Any, key: str, shown: str, positional: list[Any], keywords: dict[str, Any]) -> Initializer:
    entry = REGISTRY[key]
    if not positional and not keywords:
        if entry.preset is None:
            main = entry.params[0].name
            raise ValueError(
                f"initializer {spec!r} needs its {main}, e.g. '{shown}:0.9' or '{shown}({main}=0.9)'"
            )
        return entry.preset
    if not entry.params:
        raise ValueError(f"initializer {spec!r}: {shown} takes no value; a value can be given to {_valued()}")
    if len(positional) > 1:
        raise ValueError(
            f"initializer {spec!r}: one value without a name sets {entry.params[0].name}; "
            "give the others as key=value"
        )
    by_name = {alias: p for p in entry.params for alias in (p.name, *p.aliases)}
    kwargs: dict[str, Any] = {}
    shown_args = []
    for value in positional:
        param = entry.params[0]
        kwargs[param.name] = _convert(spec, param, value)
        shown_args.append(_format(kwargs[param.name]))
    for name, value in keywords.items():
        param = by_name.get(str(name).strip().lower())
        if param is None:
            accepted = ", ".join(p.name for p in entry.params)
            raise ValueError(f"initializer {spec!r}: {shown} has no parameter {name!r}; it takes {accepted}")
        if param.name in kwargs:
            raise ValueError(f"initializer {spec!r}: {param.name} is given twice")
        kwargs[param.name] = _convert(spec, param, value)
        shown_args.append(f"{param.name}={_format(kwargs[param.name])}")
    try:
        init = entry.build(**kwargs)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"initializer {spec!r}: {exc}") from None
    init.name = f"{shown}({', '.join(shown_args)})"
    return init


def parse_init(spec: str | dict) -> Initializer:
    """The initializer a name, ``'name:VALUE'``, ``'name(key=value, ...)'`` or dict means.

    Examples: ``'he_normal'``, ``'HeNormal'``, ``'normal:0.4'`` (named
    ``'normal(0.4)'``), ``'kaiming_normal(mode=fan_out, nonlinearity=relu)'``,
    ``'trunc_normal(std=0.02)'``, ``'torch.uniform'``, ``{'name': 'sparse', 'sparsity': 0.9}``,
    ``{'class_name': 'VarianceScaling', 'config': {'scale': 2.0}}``.

    Raises
    ------
    ValueError
        An unknown name, parameter or value; the message says what is accepted.
    """
    if isinstance(spec, dict):
        if "class_name" in spec:
            name, config = spec["class_name"], dict(spec.get("config") or {})
        elif "name" in spec:
            name, config = spec["name"], {k: v for k, v in spec.items() if k != "name"}
        else:
            raise ValueError(
                f"an initializer dict needs 'name' (or Keras' 'class_name' and 'config'), got {spec!r}"
            )
        if not isinstance(name, str):
            raise _unknown(spec)
        config.pop("seed", None)  # the draw's randomness comes from the rng argument
        for axes in ("input_axes", "output_axes"):
            if config.get(axes, None) is None:
                config.pop(axes, None)
        key, shown = _canonical(name, spec)
        return _build(spec, key, shown, [], config)
    if not isinstance(spec, str):
        raise ValueError(f"an initializer must be a name, a dict or a callable, got {spec!r}")
    match = _CALL.match(spec)
    if not match:
        raise _unknown(spec)
    key, shown = _canonical(match.group(1), spec)
    args = match.group(2) if match.group(2) is not None else match.group(3)
    positional: list[Any] = []
    keywords: dict[str, Any] = {}
    if args is not None:
        if not args.strip():
            if match.group(2) is not None:
                raise ValueError(f"initializer {spec!r}: no value after ':'")
        else:
            for item in args.split(","):
                if "=" in item:
                    name, value = item.split("=", 1)
                    if name.strip() in keywords:
                        raise ValueError(f"initializer {spec!r}: {name.strip()} is given twice")
                    keywords[name.strip()] = value
                elif keywords:
                    raise ValueError(f"initializer {spec!r}: a value without a name after key=value")
                else:
                    positional.append(item)
    return _build(spec, key, shown, positional, keywords)


def get(identifier: Any) -> Callable[..., Any]:
    """Return the initializer for a name, a parameterized name or a dict; pass callables.

    Names are case-insensitive and may use ``-`` for ``_`` (see the module's naming rule
    and :func:`parse_init` for the forms). Any callable ``init(fan_in, fan_out)`` is
    returned unchanged.

    Raises
    ------
    ValueError
        For an unknown name or a bad parameter; the message lists the valid ones.
    """
    if callable(identifier):
        return identifier
    if isinstance(identifier, (str, dict)):
        return parse_init(identifier)
    raise ValueError(f"an initializer must be a name or a callable init(fan_in, fan_out), got {identifier!r}")


def weight_variance(init: InitLike, fan_in: int, fan_out: int, rng: RNGLike = 0) -> float:
    """``E[W_ij^2]`` of an initializer for a ``(fan_in, fan_out)`` weight.

    Read off the initializer's parameters where it has them (variance scaling and the
    other classes here); for a user's function, estimated from one draw as
    ``mean(W ** 2)``. With ``rng=None`` such a draw uses numpy's global random state.
    """
    init = get(init)
    if isinstance(init, Initializer):
        moment = init.second_moment(fan_in, fan_out)
        if moment is not None:
            return float(moment)
    w = np.asarray(call_init(init, fan_in, fan_out, rng))
    return float(np.mean(np.square(w)))
