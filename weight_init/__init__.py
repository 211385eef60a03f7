"""weight-init: reproducible experiments on neural-network weight initialization.

``import weight_init`` needs numpy only. The Keras/TensorFlow parts
(:mod:`weight_init.studies.mnist`, the model builders and trainers) import their framework
inside the functions that need it, and :mod:`weight_init.plotting` imports matplotlib
when first used.
"""

from typing import Any

from weight_init import activations, initializers
from weight_init.experiment import forward_pass, forward_prop
from weight_init.initializers import calculate_gain, get

__version__ = "0.2.0"
__all__ = [
    "activations",
    "initializers",
    "forward_prop",
    "forward_pass",
    "get",
    "calculate_gain",
    "explore",
]


def explore(*args: Any, **kwargs: Any) -> Any:
    """The interactive explorer (ipywidgets, imported now): see :func:`weight_init.explorer.explore`."""
    from weight_init.explorer import explore as _explore

    return _explore(*args, **kwargs)
