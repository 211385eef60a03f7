#!/usr/bin/env python
"""The trainable depth of tanh networks on MNIST, against 6 xi_c (Schoenholz et al. 2017).

A thin wrapper: the script lives in :mod:`weight_init.cli.trainable_depth` (also installed as
the console command ``plot-trainable-depth``); ``python plot_trainable_depth.py --help`` lists
every flag.
"""

import sys

from weight_init.cli.trainable_depth import cli

if __name__ == "__main__":
    sys.exit(cli())
