"""The arithmetic the loss study's layers compute in, picked for the machine it runs on
(:func:`resolve_precision`): bfloat16 where the CPU computes it natively, else float32.
Weights, gradients, optimizer state, logits and losses are float32 either way.

Keras is imported inside the functions (or passed in).
"""

from __future__ import annotations

from typing import Any

__all__ = ["resolve_precision", "computes_on_cpu"]


def _cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (x86 AMX-BF16 or AVX512-BF16; Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as fh:
            flags = set(fh.read().split())
    except OSError:
        return False
    return bool(flags & {"amx_bf16", "avx512_bf16"})


def computes_on_cpu(keras: Any) -> bool:
    """Whether Keras' backend sees no device but the CPU."""
    try:
        devices = keras.distribution.list_devices()
    except AttributeError:  # a backend without keras.distribution (torch)
        devices = [str(keras.ops.convert_to_tensor(0.0).device)]
    return all("cpu" in str(d).lower() for d in devices)


def resolve_precision(precision: str = "auto") -> str:
    """The Keras dtype policy to train with: ``'float32'`` or ``'mixed_bfloat16'``.

    ``'auto'`` is ``'mixed_bfloat16'`` where it is measured to pay off: the TensorFlow
    backend on a CPU with native bfloat16 (AMX or AVX512-BF16, where oneDNN runs the
    convolutions about twice as fast), and ``'float32'`` everywhere else (GPUs, other
    backends, older CPUs). ``'bfloat16'`` is accepted for ``'mixed_bfloat16'``.

    Raises
    ------
    ValueError
        Anything but ``'auto'``, ``'float32'`` (``'fp32'``) or ``'bfloat16'``
        (``'bf16'``, ``'mixed_bfloat16'``).
    """
    key = str(precision).strip().lower()
    key = {"bfloat16": "mixed_bfloat16", "bf16": "mixed_bfloat16", "fp32": "float32"}.get(key, key)
    if key in ("float32", "mixed_bfloat16"):
        return key
    if key != "auto":
        raise ValueError(f"precision must be auto, float32 or bfloat16; got {precision!r}")
    from weight_init._optional import import_keras

    keras = import_keras()
    if keras.backend.backend() != "tensorflow" or not computes_on_cpu(keras):
        return "float32"
    return "mixed_bfloat16" if _cpu_has_bf16() else "float32"
