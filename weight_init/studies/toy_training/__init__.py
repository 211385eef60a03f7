"""Docs: docs/studies/toy-training.md

The backpropagation post's study: a from-scratch numpy MLP trained on three 2-D toy
datasets, Xavier + tanh against He + ReLU, without and with biases.

``study.py`` runs it (:func:`compare_pairings`); ``mlp.py`` is the network,
``backprop.py`` its forward and backward passes (written once, for a stack of
networks), ``training.py`` the training loop and its history, ``batch.py`` trains many
networks at once (:func:`~weight_init.studies.toy_training.batch.fit_many`),
``post_init.py`` holds the post's weight draw, ``data.py`` makes the datasets,
``seeds.py`` repeats it over seeds, ``plots.py`` and ``seed_plots.py`` draw.
"""

from weight_init.studies.toy_training.plots import plot_toy_training
from weight_init.studies.toy_training.study import compare_pairings

__all__ = ["compare_pairings", "plot_toy_training"]
