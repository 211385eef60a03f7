"""The backpropagation post's study: a from-scratch numpy MLP trained on three 2-D toy
datasets, Xavier + tanh against He + ReLU, without and with biases (docs:
``docs/studies/toy-training.md``).

``study.py`` runs it (:func:`compare_pairings`), ``mlp.py`` is the network and its
backprop, ``batch.py`` trains many networks at once, ``data.py`` makes the datasets,
``seeds.py`` repeats it over seeds, ``plots.py`` and ``seed_plots.py`` draw.
"""

from weight_init.studies.toy_training.plots import plot_toy_training
from weight_init.studies.toy_training.study import compare_pairings

__all__ = ["compare_pairings", "plot_toy_training"]
