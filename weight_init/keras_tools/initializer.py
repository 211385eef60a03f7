"""Use any initializer of this package in a Keras 3 model, and save, clone and reload it.

:func:`keras_initializer` returns a :class:`KerasInitializer`, a real
``keras.initializers.Initializer`` registered with Keras as ``'weight_init>KerasInitializer'``
(``keras.saving.register_keras_serializable(package="weight_init")``). Its
``get_config()`` is ``{"init": SPEC, "seed": SEED}``, and ``KerasInitializer(**config)``
rebuilds it, so ``keras.models.clone_model``, ``Model.from_config``, a ``.keras``
save + ``keras.models.load_model`` and ``keras.layers.MultiHeadAttention(...,
kernel_initializer=ki)`` (which clones its initializer from its config) work with it.

``SPEC`` is the name the initializer was given (``'he_normal'``, ``'normal:0.4'``,
``'kaiming_normal(mode=fan_out)'``, a dict), or the name of an
:class:`~weight_init.initializers.Initializer` when :func:`~weight_init.initializers.get`
rebuilds the same law from it (every preset and every parsed name does). ``SEED`` is the
integer seed, ``None``, or for a ``numpy.random.Generator`` the state it had when it was
wrapped (``{"bit_generator": "PCG64", "state": {...}}``).

**What a rebuilt initializer draws.** ``from_config`` (a clone, a reloaded model)
starts a *fresh* generator from ``SEED``: it draws what a new
``keras_initializer(init, seed=SEED)`` draws, i.e. what the original drew from its first
call, not where the original's stream has got to. Two consequences: a model cloned or
rebuilt from its config (``clone_model``, ``Model.from_config``) gives *every* layer the
first draw of a fresh generator (so two same-shaped layers that shared one initializer
get the same weights in the clone, different ones in the original), and
``MultiHeadAttention``, which clones its initializer once per projection, gives its
query and key kernels (same shape) the same draw when ``seed`` is an integer, as it does
with Keras' own seeded initializers. With ``seed=None`` every draw comes from numpy's
global random state. The weights a ``.keras`` file holds are loaded over the draws, so a
reloaded model has the saved weights in any case.

**Fans of attention kernels.** ``MultiHeadAttention``'s kernels are einsum kernels, e.g.
the query's ``(d_model, num_heads, key_dim)``; :func:`~weight_init.initializers.compute_fans`
reads any shape of three or more axes as a convolution's, so a fan-scaled law (``he_normal``,
``glorot_uniform``, ...) gets ``fan_in = num_heads * d_model`` there, not Keras' ``d_model``
(which Keras passes as ``input_axes`` to its own ``VarianceScaling`` only).

**A function of your own** (``init(fan_in, fan_out)``) cannot be saved by its name: Python
cannot find it again from a name alone. Register it with Keras
(``@keras.saving.register_keras_serializable()``): then its registered name is saved and
found on load. An unregistered function works in a model, but ``get_config()`` (hence a
save, ``clone_model``, ``Model.from_config`` and ``MultiHeadAttention``) raises a
``ValueError`` saying so.

**Loading in a new Python process:** Keras finds the class by its registered name, so
register it before ``load_model``: ``from weight_init.keras_tools.initializer import
KerasInitializer`` (or any call of :func:`keras_initializer`) does that. Keras is imported
on first use of either, never when this module is imported.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from weight_init.initializers import Initializer, InitLike, call_init, get, init_name

__all__ = ["keras_initializer", "KerasInitializer"]  # noqa: F822  (KerasInitializer: built by __getattr__)

_CLASS: Any = None


def _spec_of(init: Any, keras: Any) -> Any:
    """What ``get_config`` stores for ``init``, or a ``ValueError`` saying why it cannot."""
    if isinstance(init, (str, dict)):
        return init
    if isinstance(init, Initializer):
        try:
            again = get(init.name)
        except ValueError:
            again = None
        if type(again) is type(init) and vars(again) == vars(init):
            return init.name
        return ValueError(
            f"keras_initializer: the initializer {init.name!r} ({type(init).__name__}) has no name that "
            "rebuilds it, so it cannot be saved or cloned; pass it as a name with its parameters, "
            "e.g. 'variance_scaling(scale=2, mode=fan_in, distribution=uniform)'"
        )
    name = keras.saving.get_registered_name(init)
    if keras.saving.get_registered_object(name) is init:
        return keras.saving.serialize_keras_object(init)
    return ValueError(
        f"keras_initializer: the function {init_name(init)!r} cannot be saved by its name (Python "
        "cannot find a function from its name alone), so a model using it cannot be saved, cloned or "
        "rebuilt from its config (clone_model, Model.from_config, MultiHeadAttention); register it "
        "with @keras.saving.register_keras_serializable() or use a name of weight_init.initializers"
    )


def _generator(seed: Any) -> tuple[np.random.Generator | None, Any]:
    """``(generator, the seed as config stores it)`` for an int, None, Generator or its state."""
    if seed is None:
        return None, None
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed)), int(seed)
    if isinstance(seed, np.random.Generator):
        state = seed.bit_generator.state
        return seed, {"bit_generator": state["bit_generator"], "state": state}
    if isinstance(seed, dict) and "bit_generator" in seed and "state" in seed:
        bit = getattr(np.random, str(seed["bit_generator"]), None)
        if bit is None:
            raise ValueError(f"keras_initializer: unknown bit generator {seed['bit_generator']!r}")
        gen = np.random.Generator(bit())
        gen.bit_generator.state = seed["state"]
        return gen, seed
    raise ValueError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")


def _build_class() -> Any:
    from weight_init._optional import import_keras

    keras = import_keras()

    @keras.saving.register_keras_serializable(package="weight_init")
    class KerasInitializer(keras.initializers.Initializer):
        """A numpy initializer of :mod:`weight_init.initializers` as a Keras initializer.

        ``KerasInitializer(init, seed=None)``; see :func:`keras_initializer`. The
        ``input_axes``/``output_axes`` Keras passes to some clones are ignored: fans come
        from :func:`weight_init.initializers.compute_fans`.
        """

        def __init__(self, init: Any, seed: Any = None, **ignored: Any) -> None:
            if isinstance(init, dict) and init.get("class_name") == "function":
                init = keras.saving.deserialize_keras_object(init)
            self.fn = get(init)
            self.spec = _spec_of(init if isinstance(init, (str, dict)) else self.fn, keras)
            self.gen, self.seed = _generator(seed)

        def __call__(self, shape: Any, dtype: Any = None) -> Any:
            shape = tuple(int(s) for s in shape)
            if isinstance(self.fn, Initializer):
                values = self.fn.sample(shape, rng=self.gen)
            else:
                rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
                values = np.asarray(call_init(self.fn, rows, shape[-1], self.gen))
                if values.size != math.prod(shape):
                    raise ValueError(
                        f"initializer {init_name(self.fn)} returned shape {values.shape} for a "
                        f"weight of shape {shape}; expected ({rows}, {shape[-1]})"
                    )
                values = values.reshape(shape)
            return keras.ops.convert_to_tensor(np.asarray(values, dtype=np.float32), dtype=dtype or "float32")

        def get_config(self) -> dict:
            if isinstance(self.spec, ValueError):
                raise ValueError(str(self.spec))
            return {"init": self.spec, "seed": self.seed}

        def __repr__(self) -> str:
            return f"<keras initializer from weight_init: {init_name(self.fn)}, seed={self.seed!r}>"

    return KerasInitializer


def __getattr__(name: str) -> Any:
    """``KerasInitializer``: the class, built (and registered with Keras) on first use."""
    global _CLASS
    if name == "KerasInitializer":
        if _CLASS is None:
            _CLASS = _build_class()
        return _CLASS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def keras_initializer(init: InitLike, seed: int | np.random.Generator | None = None) -> Any:
    """Wrap a numpy initializer as a ``keras.initializers.Initializer`` (a :class:`KerasInitializer`).

    The weights are drawn with numpy from one ``numpy.random.Generator`` that advances
    on every call, so every layer built with the returned object gets its *own* draw
    (a Keras initializer with a fixed seed returns the same matrix on every call, which
    silently gives same-shaped layers identical weights), and the same ``seed`` gives
    the same network. The numbers do not depend on the Keras backend. Saving, cloning
    and reloading: see the module docstring (a rebuilt one draws as a fresh one with
    that seed; a function of your own must be registered with Keras to be saved).

    Parameters
    ----------
    init : str, dict or callable
        Anything :func:`weight_init.initializers.get` accepts (a Keras, PyTorch or
        notebook name, ``'name:VALUE'``, ``'name(key=value, ...)'``, a dict) or any
        ``init(fan_in, fan_out)``. For an :class:`~weight_init.initializers.Initializer`
        the kernel is drawn in Keras' layout ``(kh, kw, c_in, c_out)`` with fans
        ``kh*kw*c_in`` and ``kh*kw*c_out`` (:func:`~weight_init.initializers.compute_fans`;
        PyTorch's laws use the same numbers, which PyTorch reads from its
        ``(c_out, c_in, kh, kw)``); a shape with a zero dimension gives an empty kernel. A
        plain function is called as ``init(prod(shape[:-1]), shape[-1])`` and its result
        reshaped.
    seed : int or numpy.random.Generator, optional
        ``None`` draws from numpy's global random state. A Generator is used (and
        advanced) as it is; its config records its state at this call.

    Raises
    ------
    ValueError
        An unknown name or bad parameter (as :func:`~weight_init.initializers.get`), or a
        bad ``seed``.
    """
    return __getattr__("KerasInitializer")(init, seed)
