"""The studies, one folder each and each of the same shape
(``study.py`` runs it, ``seeds.py`` repeats it over seeds, ``plots.py`` draws it, and its
own network and data beside them):

* :mod:`weight_init.studies.activation_layers`: the article's violin plots of hidden-layer
  outputs under three initializations;
* :mod:`weight_init.studies.loss_progression`: the article's MNIST CNN trained under three
  initializations, with per-layer statistics during training;
* :mod:`weight_init.studies.toy_training`: the backpropagation post's numpy MLP on 2-D toy
  data, Xavier + tanh against He + ReLU;
* :mod:`weight_init.studies.trainable_depth`: tanh networks on MNIST over depth x
  ``sigma_w^2``, the trainable depth against ``6 xi_c`` (Schoenholz et al. 2017).

:mod:`weight_init.studies.mnist` loads the MNIST data the MNIST studies use. No study
imports another.
"""
