"""weight-init: reproducible experiments on neural-network weight initialization.

``import weight_init`` needs numpy only. The Keras/TensorFlow parts
(:mod:`weight_init.data`, the model builders and trainers) import their framework
inside the functions that need it, and :mod:`weight_init.plotting` imports matplotlib
when first used.
"""

from . import activations, initializers
from .experiment import forward_pass, forward_prop
from .initializers import calculate_gain, get

__version__ = "0.1.0"
__all__ = [
    "activations", "initializers", "forward_prop", "forward_pass", "get", "calculate_gain", "explore",
]


def explore(*args, **kwargs):
    """The interactive explorer (ipywidgets, imported now): see :func:`weight_init.explore.explore`."""
    from .explore import explore as _explore

    return _explore(*args, **kwargs)
