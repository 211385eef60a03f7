#!/usr/bin/env python
"""Train a from-scratch numpy MLP on 2-D toy data: Xavier + tanh against He + ReLU.

A thin wrapper: the script lives in :mod:`weight_init.cli.toy_training` (also installed as
the console command ``plot-toy-training``); ``python plot_toy_training.py --help`` lists
every flag.
"""

import sys

from weight_init.cli.toy_training import cli

if __name__ == "__main__":
    sys.exit(cli())
