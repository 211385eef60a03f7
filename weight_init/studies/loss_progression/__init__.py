"""Loss study: the article's MNIST CNN under three initializations. Docs: docs/studies/loss-progression.md.

The networks (one per initializer and seed) train together as one fused Keras model through the shared fused training of
:mod:`weight_init.studies.fused`, with per-layer statistics during training if asked.
``study.py`` runs it (:func:`train_loss_progression`, returning a
:class:`~weight_init.studies.loss_progression.study.LossProgression`), ``cnn.py`` builds the
networks, ``branch_lsuv.py`` LSUV-initializes those asked for, ``precision.py`` picks the
arithmetic, ``evaluation.py`` validates, ``recorder.py`` records the layer statistics,
``tables.py`` builds and summarizes the loss table, ``plots.py`` and ``dynamics_plots.py`` draw.
"""

from weight_init.studies.loss_progression.plots import plot_loss_progression
from weight_init.studies.loss_progression.study import LossProgression, train_loss_progression

__all__ = ["train_loss_progression", "LossProgression", "plot_loss_progression"]
