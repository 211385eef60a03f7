#!/usr/bin/env python
"""Violin plots of the hidden-layer outputs of an untrained MLP on MNIST.

A thin wrapper: the script lives in :mod:`weight_init.cli.activation_layers` (also installed as
the console command ``plot-activation-layers``); ``python plot_activation_layers.py --help`` lists
every flag.
"""

import sys

from weight_init.cli.activation_layers import cli

if __name__ == "__main__":
    sys.exit(cli())
