"""weight_init.keras_tools.initializer: the Keras wrapper survives from_config, clone_model,
Model.from_config, a .keras save and load (also in a new process) and MultiHeadAttention.

Runs on whatever KERAS_BACKEND is set (only keras.ops and numpy here).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from weight_init import initializers as I
from weight_init._optional import import_keras
from weight_init.keras_tools.initializer import keras_initializer

pytestmark = pytest.mark.keras
keras = import_keras()
ROOT = Path(__file__).resolve().parent.parent


def draw(init, shape=(6, 5)) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(init(shape)), dtype=np.float64)


def weights(model) -> list[np.ndarray]:
    return [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]


def dense_model(ki, name: str = "d") -> keras.Model:
    inp = keras.Input((6,))
    hidden = keras.layers.Dense(5, kernel_initializer=ki, name=f"{name}1")(inp)
    return keras.Model(inp, keras.layers.Dense(5, kernel_initializer=ki, name=f"{name}2")(hidden))


def test_config_rebuilds_an_initializer_that_draws_as_a_fresh_one_with_that_seed():
    ki = keras_initializer("normal:0.4", seed=3)
    assert isinstance(ki, keras.initializers.Initializer)
    assert keras.saving.get_registered_name(type(ki)) == "weight_init>KerasInitializer"
    assert ki.get_config() == {"init": "normal:0.4", "seed": 3}
    first, second = draw(ki), draw(ki)
    assert not np.array_equal(first, second)  # the original's stream advances
    rebuilt = type(ki).from_config(ki.get_config())
    np.testing.assert_array_equal(draw(rebuilt), first)  # a rebuilt one starts afresh
    np.testing.assert_array_equal(first, I.get("normal:0.4").sample((6, 5), rng=3).astype(np.float32))


def test_config_of_a_law_object_is_its_name_and_a_generator_seed_its_state():
    ki = keras_initializer(I.kaiming_normal, seed=0)
    assert ki.get_config()["init"] == I.kaiming_normal.name
    gen = np.random.default_rng(11)
    kg = keras_initializer("he_normal", seed=gen)
    config = kg.get_config()
    first = draw(kg)
    np.testing.assert_array_equal(draw(type(kg).from_config(config)), first)
    np.testing.assert_array_equal(first, I.he_normal.sample((6, 5), rng=11).astype(np.float32))


def test_config_refuses_what_cannot_be_rebuilt_by_name():
    def mine(fan_in, fan_out):
        return np.full((fan_in, fan_out), 0.5)

    ku = keras_initializer(mine, seed=0)
    model = dense_model(ku)  # it works in a model
    np.testing.assert_array_equal(weights(model)[0], 0.5)
    with pytest.raises(ValueError, match="function 'mine' cannot be saved by its name.*register"):
        ku.get_config()
    with pytest.raises(ValueError, match="cannot be saved by its name"):
        keras.models.clone_model(model)
    with pytest.raises(ValueError, match="has no name that rebuilds it"):
        keras_initializer(I.VarianceScaling(2.0, "fan_in", "uniform")).get_config()
    with pytest.raises(ValueError, match="seed must be"):
        keras_initializer("he_normal", seed=1.5)


def test_a_registered_function_is_saved_and_found_again(tmp_path):
    @keras.saving.register_keras_serializable(package="weight_init_tests")
    def halves(fan_in, fan_out):
        return np.full((fan_in, fan_out), 0.5)

    ki = keras_initializer(halves)
    again = type(ki).from_config(ki.get_config())
    np.testing.assert_array_equal(draw(again), 0.5)
    model = dense_model(ki)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert loaded.get_layer("d1").kernel_initializer.fn is halves


def test_clone_model_and_from_config_rebuild_each_layer_from_a_fresh_stream():
    """Each layer of a clone rebuilds its initializer from config: every layer gets the
    first draw of a fresh generator with the seed (the module docstring says so)."""
    ki = keras_initializer("he_normal", seed=5)
    model = dense_model(ki)
    w1, w2 = weights(model)[0], weights(model)[2]
    gen = np.random.default_rng(5)
    np.testing.assert_array_equal(w1, I.he_normal.sample((6, 5), rng=gen).astype(np.float32))
    np.testing.assert_array_equal(w2, I.he_normal.sample((5, 5), rng=gen).astype(np.float32))
    fresh_w2 = I.he_normal.sample((5, 5), rng=5).astype(np.float32)
    for other in (keras.models.clone_model(model), keras.Model.from_config(model.get_config())):
        np.testing.assert_array_equal(weights(other)[0], w1)
        np.testing.assert_array_equal(weights(other)[2], fresh_w2)
        assert other.get_layer("d1").kernel_initializer.get_config() == {"init": "he_normal", "seed": 5}


def test_save_and_load_keep_the_weights_and_the_initializer(tmp_path):
    model = dense_model(keras_initializer("kaiming_uniform(a=0.1)", seed=2))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    for a, b in zip(weights(model), weights(loaded)):
        np.testing.assert_array_equal(a, b)
    assert loaded.get_layer("d2").kernel_initializer.get_config() == {
        "init": "kaiming_uniform(a=0.1)",
        "seed": 2,
    }


def test_load_in_a_new_process_after_importing_the_class(tmp_path):
    model = dense_model(keras_initializer("orthogonal", seed=0))
    path = tmp_path / "m.keras"
    model.save(path)
    np.save(tmp_path / "w.npy", weights(model)[0])
    code = textwrap.dedent(
        f"""
        import numpy as np, keras
        from weight_init.keras_tools.initializer import KerasInitializer
        m = keras.models.load_model({str(path)!r})
        w = keras.ops.convert_to_numpy(m.get_layer("d1").kernel)
        assert np.array_equal(w, np.load({str(tmp_path / "w.npy")!r}))
        assert type(m.get_layer("d1").kernel_initializer) is KerasInitializer
        print("loaded")
        """
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "loaded"


def test_multi_head_attention_builds_with_it():
    """MHA clones its initializer from config per projection: with an int seed the query and
    key kernels (same shape) are the same first draw, as with Keras' seeded initializers."""
    inp = keras.Input((4, 8))
    for seed, same in ((0, True), (None, False)):
        mha = keras.layers.MultiHeadAttention(2, 4, kernel_initializer=keras_initializer("he_normal", seed))
        keras.Model(inp, mha(inp, inp))
        q, k = (np.asarray(keras.ops.convert_to_numpy(d.kernel)) for d in (mha._query_dense, mha._key_dense))
        assert q.shape == k.shape == (8, 2, 4)
        assert np.array_equal(q, k) is same
    expected = I.he_normal.sample((8, 2, 4), rng=0).astype(np.float32)
    mha = keras.layers.MultiHeadAttention(2, 4, kernel_initializer=keras_initializer("he_normal", 0))
    keras.Model(inp, mha(inp, inp))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(mha._query_dense.kernel), expected)
