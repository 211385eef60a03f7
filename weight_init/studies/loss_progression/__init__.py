"""The article's loss study: the Keras MNIST CNN trained under three initializations, all
networks as one fused model, with per-layer statistics during training (docs:
``docs/studies/loss-progression.md``).

``study.py`` runs it (:func:`train_loss_progression`) through the shared fused training
of :mod:`weight_init.studies.fused`, ``cnn.py`` builds the network, ``recorder.py`` records
the layer statistics, ``tables.py`` summarizes, ``plots.py`` and ``dynamics_plots.py`` draw.
"""

from weight_init.studies.loss_progression.plots import plot_loss_progression
from weight_init.studies.loss_progression.study import train_loss_progression

__all__ = ["train_loss_progression", "plot_loss_progression"]
