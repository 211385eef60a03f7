"""Use any initializer of this package in a Keras 3 model.

Keras is imported inside :func:`keras_initializer`, so importing this module is free.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from weight_init.initializers import Initializer, InitLike, call_init, get, init_name

__all__ = ["keras_initializer"]


def keras_initializer(init: InitLike, seed: int | np.random.Generator | None = None) -> Any:
    """Wrap a numpy initializer as a ``keras.initializers.Initializer``.

    The weights are drawn with numpy from one ``numpy.random.Generator`` that advances
    on every call, so every layer built with the returned object gets its *own* draw
    (a Keras initializer with a fixed seed returns the same matrix on every call, which
    silently gives same-shaped layers identical weights), and the same ``seed`` gives
    the same network. The numbers do not depend on the Keras backend.

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
        ``None`` draws from numpy's global random state.
    """
    from weight_init._optional import import_keras

    keras = import_keras()
    fn = get(init)
    gen = np.random.default_rng(seed) if isinstance(seed, (int, np.integer)) else seed

    class _NumpyInitializer(keras.initializers.Initializer):
        def __call__(self, shape: Any, dtype: Any = None) -> Any:
            shape = tuple(int(s) for s in shape)
            if isinstance(fn, Initializer):
                values = fn.sample(shape, rng=gen)
            else:
                rows = math.prod(shape[:-1]) if len(shape) > 1 else 1
                values = np.asarray(call_init(fn, rows, shape[-1], gen))
                if values.size != math.prod(shape):
                    raise ValueError(
                        f"initializer {init_name(fn)} returned shape {values.shape} for a "
                        f"weight of shape {shape}; expected ({rows}, {shape[-1]})"
                    )
                values = values.reshape(shape)
            return keras.ops.convert_to_tensor(np.asarray(values, dtype=np.float32), dtype=dtype or "float32")

        def get_config(self) -> dict:
            return {"init": init_name(fn)}

        def __repr__(self) -> str:
            return f"<keras initializer from weight_init: {init_name(fn)}>"

    return _NumpyInitializer()
