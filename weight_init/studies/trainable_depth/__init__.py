"""The trainable depth of tanh networks on MNIST over depth x sigma_w^2 (Schoenholz et al. 2017),
all networks of a grid trained as one fused model (docs: ``docs/trainable-depth.md``).

``study.py`` runs it (:func:`train_trainable_depth`), ``network.py`` builds the networks,
``seeds.py`` summarizes over seeds, ``plots.py`` draws the accuracy heat map.
"""

from weight_init.studies.trainable_depth.study import train_trainable_depth

__all__ = ["train_trainable_depth"]
