"""The command-line experiments behind the top-level scripts.

Each module has ``parse_args``, ``main`` and ``cli`` (the console entry point);
``plot_activation_layers.py``, ``plot_loss_progression.py`` and ``plot_toy_training.py``
at the top of the repository call ``cli``.
"""
