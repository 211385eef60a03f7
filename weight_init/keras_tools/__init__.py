"""For your own Keras model: the package's initializers as Keras initializers, a look at
every layer's signal on one batch, and LSUV.

* :func:`keras_initializer`: any initializer of :mod:`weight_init.initializers` (or a
  name, or your own ``init(fan_in, fan_out)``) as a ``keras.initializers.Initializer``.
* :func:`layer_stats` and :func:`plot_model_stats`: per-layer activation, pre-activation,
  weight and gradient statistics of a built model, beside the mean-field theory.
* :func:`lsuv`: Mishkin & Matas' layer-sequential unit-variance initialization.
* :class:`LayerStatsCallback`: the same statistics every ``K`` steps of your own
  ``model.fit``, with update ratios, activation histograms, :meth:`~LayerStatsCallback.plot`
  and TensorBoard logs (:mod:`weight_init.keras_tools.callback`).
* :mod:`weight_init.keras_tools.probe`: the look inside a built model both share (its
  kernel layers, their inputs, outputs and pre-activations on a batch, kernel gradients).

Keras is imported when these are called, not when this package is imported.
"""

from weight_init.keras_tools.initializer import keras_initializer
from weight_init.keras_tools.lsuv import lsuv
from weight_init.keras_tools.model_stats import layer_stats, plot_model_stats

__all__ = ["keras_initializer", "layer_stats", "plot_model_stats", "lsuv", "LayerStatsCallback"]


def __getattr__(name: str):
    # The callback subclasses keras.callbacks.Callback: defined (Keras imported) on first use.
    if name == "LayerStatsCallback":
        from weight_init.keras_tools import callback

        return callback.LayerStatsCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
