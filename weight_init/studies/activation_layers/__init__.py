"""Docs: docs/studies/activation-layers.md

The article's activation study: violin plots of the outputs of 5 hidden layers of an
untrained Keras MLP on MNIST images, under three initializations.

``study.py`` runs it (:func:`activation_study`), ``mlp.py`` builds its network and runs
images through it, ``seeds.py`` repeats it over seeds, ``plots.py`` draws the violins.
"""

from weight_init.studies.activation_layers.plots import plot_activation_violins
from weight_init.studies.activation_layers.seeds import activation_study_seeds
from weight_init.studies.activation_layers.study import ActivationStudy, activation_study

__all__ = ["activation_study", "ActivationStudy", "activation_study_seeds", "plot_activation_violins"]
