"""The Keras code runs on the backend KERAS_BACKEND names, with backend tensors only.

Run on each backend (``KERAS_BACKEND=jax|torch python -m pytest -m keras``): these tests
check the places where numpy arrays meet backend tensors.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from weight_init._optional import import_keras


@pytest.fixture(scope="module")
def keras():
    return import_keras()


def test_the_backend_is_the_one_asked_for(keras):
    wanted = os.environ.get("KERAS_BACKEND")
    if wanted:
        assert keras.backend.backend() == wanted


def _reference(y: np.ndarray, z: np.ndarray) -> np.ndarray:
    top = z.max(-1, keepdims=True)
    return np.log(np.exp(z - top).sum(-1)) + top[..., 0] - (y * z).sum(-1)


@pytest.mark.parametrize(
    "y_kind, z_kind", [("numpy", "tensor"), ("tensor", "numpy"), ("tensor", "tensor"), ("numpy", "numpy")]
)
def test_cross_entropy_takes_numpy_or_tensors_in_any_mix(keras, y_kind, z_kind):
    # Keras' torch trainer hands a metric a numpy y_true and tensor logits: this mix
    # raised TypeError (numpy * torch.Tensor) before cross_entropy converted its inputs.
    from weight_init.studies.fused import cross_entropy

    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, size=(4, 2, 10)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, size=4)][:, None, :]  # (4, 1, 10)
    as_kind = {"numpy": lambda a: a, "tensor": keras.ops.convert_to_tensor}
    got = cross_entropy(as_kind[y_kind](y), as_kind[z_kind](z))
    assert keras.ops.is_tensor(got)
    got = keras.ops.convert_to_numpy(got)
    assert got.shape == (4, 2)
    np.testing.assert_allclose(got, _reference(y, z), rtol=1e-5, atol=1e-5)


def test_cross_entropy_in_a_training_step_on_this_backend(keras):
    # The path that failed on torch: the loss and a metric both call cross_entropy with
    # Keras' own y_true inside train_on_batch.
    from weight_init.studies.fused import cross_entropy

    ops = keras.ops

    class MeanCE(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="mean_ce")
            self.value = self.add_variable(shape=(), initializer="zeros", name="value")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.value.assign(ops.mean(cross_entropy(y_true, y_pred)))

        def result(self):
            return ops.convert_to_tensor(self.value)

    keras.utils.set_random_seed(0)
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(4, kernel_initializer="zeros")(inputs))
    model.compile(
        optimizer=keras.optimizers.SGD(0.0), metrics=[MeanCE()], loss=lambda y, z: cross_entropy(y, z)
    )
    x = np.ones((8, 3), dtype=np.float32)
    y = np.eye(4, dtype=np.float32)[np.arange(8) % 4]
    logs = model.train_on_batch(x, y, return_dict=True)
    # Zero weights: uniform softmax over 4 classes, loss ln 4 for every example.
    assert float(logs["mean_ce"]) == pytest.approx(np.log(4), rel=1e-5)
    assert float(logs["loss"]) == pytest.approx(np.log(4), rel=1e-5)


def test_keras_initializer_gives_backend_tensors(keras):
    from weight_init.keras_tools.initializer import keras_initializer

    init = keras_initializer("he_normal", seed=0)
    w = init((50, 40))
    assert keras.ops.is_tensor(w) and tuple(w.shape) == (50, 40)
    assert keras.backend.standardize_dtype(w.dtype) == "float32"
    # Same seed, same numbers: drawn by numpy, so on every backend.
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(w), keras.ops.convert_to_numpy(keras_initializer("he_normal", 0)((50, 40)))
    )
