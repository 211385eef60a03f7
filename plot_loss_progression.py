#!/usr/bin/env python
"""Training loss of the Keras MNIST CNN under three weight initializations.

A thin wrapper: the script lives in :mod:`weight_init.cli.loss_progression` (also installed as
the console command ``plot-loss-progression``); ``python plot_loss_progression.py --help`` lists
every flag.
"""

import sys

from weight_init.cli.loss_progression import cli

if __name__ == "__main__":
    sys.exit(cli())
