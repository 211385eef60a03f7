"""weight_init.keras_tools.model_stats: per-layer statistics of any Keras model.

Small models with weights set by hand, so that every statistic has a value computed here
independently in numpy (float64; the model computes in float32, hence rtol 1e-5).
Runs on whatever KERAS_BACKEND is set.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from weight_init._optional import import_keras
from weight_init.keras_tools.model_stats import COLUMNS, layer_stats, plot_model_stats

keras = import_keras()
RTOL = 1e-5


def dense_stack(w1: np.ndarray, w2: np.ndarray, act2: str | None = None):
    """Input(n) -> Dense(no bias, linear) 'first' -> Dense(zero bias, act2) 'second'."""
    model = keras.Sequential(
        [
            keras.Input((w1.shape[0],)),
            keras.layers.Dense(w1.shape[1], use_bias=False, name="first"),
            keras.layers.Dense(w2.shape[1], activation=act2, name="second"),
        ]
    )
    model.get_layer("first").kernel.assign(w1.astype(np.float32))
    model.get_layer("second").kernel.assign(w2.astype(np.float32))
    return model


@pytest.fixture(scope="module")
def linear_case():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((16, 4)).astype(np.float32)
    w1 = np.array([[2, 0, 0], [0, 2, 0], [0, 0, 2], [1, 1, 1]], dtype=np.float64)
    w2 = np.array([[1, -1], [0.5, 0], [0, 3]], dtype=np.float64)
    return x.astype(np.float64), w1, w2, dense_stack(w1, w2)


def test_a_linear_stack_gives_the_closed_form_statistics(linear_case):
    x, w1, w2, model = linear_case
    df = layer_stats(model, x.astype(np.float32), seed=3)
    assert list(df.columns) == list(COLUMNS)
    assert df["layer"].tolist() == ["first", "second"]
    h1, h2 = x @ w1, x @ w1 @ w2
    # L = (1/N) sum_i G_i . H2_i with G ~ N(0, 1) drawn from default_rng(3)
    g = np.random.default_rng(3).standard_normal(h2.shape).astype(np.float32).astype(np.float64)
    n = len(x)
    grad2 = h1.T @ g / n
    grad1 = x.T @ (g @ w2.T) / n
    for row, h, w, grad, fan_in in ((0, h1, w1, grad1, 4), (1, h2, w2, grad2, 3)):
        r = df.iloc[row]
        assert r["activation"] == "linear" and r["fan_in"] == fan_in and r["units"] == w.shape[1]
        np.testing.assert_allclose(r["act_mean"], h.mean(), rtol=RTOL, atol=1e-6)
        np.testing.assert_allclose(r["act_std"], h.std(), rtol=RTOL)
        np.testing.assert_allclose(r["preact_std"], h.std(), rtol=RTOL)
        np.testing.assert_allclose(r["weight_std"], w.std(), rtol=RTOL)
        np.testing.assert_allclose(r["grad_std"], grad.std(), rtol=RTOL)
        assert math.isnan(r["dead_fraction"]) and math.isnan(r["saturated_fraction"])
    # theory of a linear layer: q = fan_in * E[W^2] * E[x^2] exactly, mean 0
    np.testing.assert_allclose(
        df["theory_preact_std"][0], math.sqrt(4 * np.mean(w1**2) * np.mean(x**2)), rtol=1e-6
    )
    np.testing.assert_allclose(
        df["theory_act_std"][1], math.sqrt(3 * np.mean(w2**2) * np.mean(h1**2)), rtol=1e-5
    )
    assert df["theory_act_mean"].tolist() == [0.0, 0.0]
    assert df.attrs["upstream"] == "standard_normal" and df.attrs["batch_size"] == n


def test_with_targets_the_gradient_is_that_of_the_loss(linear_case):
    x, w1, w2, model = linear_case
    y = np.arange(32, dtype=np.float64).reshape(16, 2) / 10
    df = layer_stats(model, x.astype(np.float32), y, loss="mean_squared_error")
    h1, h2 = x @ w1, x @ w1 @ w2
    d_out = 2 * (h2 - y) / h2.size  # L = mean over every element of (H2 - y)^2
    np.testing.assert_allclose(df["grad_std"][1], (h1.T @ d_out).std(), rtol=RTOL)
    np.testing.assert_allclose(df["grad_std"][0], (x.T @ (d_out @ w2.T)).std(), rtol=RTOL)
    assert df.attrs["upstream"] == "loss"
    model.compile(loss="mean_squared_error")  # the compiled loss is the default
    again = layer_stats(model, x.astype(np.float32), y)
    np.testing.assert_allclose(again["grad_std"], df["grad_std"], rtol=1e-6)


def test_the_upstream_gradient_is_seeded(linear_case):
    x, _, _, model = linear_case
    a = layer_stats(model, x.astype(np.float32), seed=1)["grad_std"]
    b = layer_stats(model, x.astype(np.float32), seed=1)["grad_std"]
    c = layer_stats(model, x.astype(np.float32), seed=2)["grad_std"]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_dead_units_and_channels_are_counted():
    x = np.random.default_rng(0).uniform(0.1, 1.0, (32, 3)).astype(np.float32)  # positive
    w2 = np.array([[1, -1, 1, -1], [1, -1, 1, -1], [1, -1, -1, -1]], dtype=np.float64)
    # units 2 and 4 get a negative input for every example: dead; unit 3 is sometimes on
    model = dense_stack(np.eye(3), w2, act2="relu")
    df = layer_stats(model, x)
    assert df["dead_fraction"][1] == 0.5
    h = np.maximum(x.astype(np.float64) @ w2, 0)
    np.testing.assert_allclose(df["act_std"][1], h.std(), rtol=RTOL)
    np.testing.assert_allclose(df["preact_std"][1], (x.astype(np.float64) @ w2).std(), rtol=RTOL)

    inputs = keras.Input((6, 6, 1))
    conv = keras.layers.Conv2D(4, 3, activation="relu", use_bias=False, name="conv")
    model = keras.Model(inputs, keras.layers.Flatten()(conv(inputs)))
    kernel = np.ones((3, 3, 1, 4), dtype=np.float32)
    kernel[..., 1] = -1.0  # channel 1 dead on positive images
    conv.kernel.assign(kernel)
    images = np.random.default_rng(1).uniform(0.1, 1.0, (8, 6, 6, 1)).astype(np.float32)
    df = layer_stats(model, images)
    assert df["layer"].tolist() == ["conv"]  # Flatten has no kernel: passed through
    assert df["dead_fraction"][0] == 0.25 and df["units"][0] == 4 and df["fan_in"][0] == 9


@pytest.mark.parametrize("act, centre, reach", [("tanh", 0.0, 0.99), ("sigmoid", 0.5, 0.495)])
def test_saturated_fraction_of_bounded_activations(act, centre, reach):
    x = np.linspace(-0.1, 0.1, 64, dtype=np.float32).reshape(32, 2)
    model = dense_stack(np.eye(2), 100 * np.eye(2), act2=act)
    df = layer_stats(model, x)
    h = np.asarray(keras.ops.convert_to_numpy(model(x)), dtype=np.float64)
    expected = np.mean(np.abs(h - centre) > reach)
    assert 0.2 < expected < 0.9  # the case has both kinds
    assert df["saturated_fraction"][1] == pytest.approx(expected, abs=1e-12)
    assert math.isnan(df["dead_fraction"][1])


def test_the_mean_field_prediction_holds_for_a_wide_he_layer():
    """Dense(2000, relu) with He-normal weights on N(0, 1) input of width 500: measured
    act_std and preact_std within 3 % of the prediction (sampling error ~1 %)."""
    inputs = keras.Input((500,))
    out = keras.layers.Dense(
        2000, activation="relu", kernel_initializer=keras.initializers.HeNormal(0), name="wide"
    )(inputs)
    model = keras.Model(inputs, out)
    x = np.random.default_rng(0).standard_normal((256, 500)).astype(np.float32)
    r = layer_stats(model, x).iloc[0]
    assert r["theory_preact_std"] == pytest.approx(
        math.sqrt(
            500
            * np.mean(np.square(keras.ops.convert_to_numpy(model.get_layer("wide").kernel)))
            * np.mean(x.astype(float) ** 2)
        )
    )
    assert r["act_std"] == pytest.approx(r["theory_act_std"], rel=0.03)
    assert r["act_mean"] == pytest.approx(r["theory_act_mean"], rel=0.03)
    assert r["preact_std"] == pytest.approx(r["theory_preact_std"], rel=0.03)


@pytest.mark.keras
def test_theory_with_a_non_zero_bias_uses_its_second_moment():
    # 400 inputs, 300 tanh units, biases N(0, 0.5): the theory adds mean(b^2) to q; 2000
    # samples and 300 units put a single layer within ~3 % (as the bias-free test above).
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((400,)), keras.layers.Dense(300, activation="tanh", name="d")])
    layer = model.get_layer("d")
    layer.kernel.assign((rng.standard_normal((400, 300)) / np.sqrt(400)).astype(np.float32))
    b = (np.sqrt(0.5) * rng.standard_normal(300)).astype(np.float32)
    layer.bias.assign(b)
    x = rng.standard_normal((2000, 400)).astype(np.float32)
    r = layer_stats(model, x).iloc[0]
    assert np.isfinite(r["theory_act_std"])
    q = float(np.mean(x.astype(np.float64) ** 2)) * 400 * float(np.mean(layer.kernel.numpy() ** 2.0))
    assert r["theory_preact_std"] == pytest.approx(np.sqrt(q + np.mean(b.astype(np.float64) ** 2)), rel=1e-5)
    assert r["preact_std"] == pytest.approx(r["theory_preact_std"], rel=0.03)
    assert r["act_std"] == pytest.approx(r["theory_act_std"], rel=0.03)


def test_no_theory_for_a_layer_with_a_bias_or_an_unknown_activation():
    model = dense_stack(np.eye(2), np.eye(2), act2="softplus")
    model.get_layer("second").bias.assign(np.ones(2, dtype=np.float32))
    df = layer_stats(model, np.ones((4, 2), dtype=np.float32))
    assert np.isfinite(df["theory_act_std"][0])  # 'first': no bias, linear
    assert df[["theory_preact_std", "theory_act_mean", "theory_act_std"]].iloc[1].isna().all()
    assert layer_stats(model, np.ones((4, 2), dtype=np.float32), theory=False)["theory_act_std"].isna().all()


def test_the_package_cnn_gives_one_row_per_kernel_layer():
    from weight_init.studies.loss_progression.cnn import build_cnn

    model = build_cnn("he_normal", seed=0)
    x = np.random.default_rng(0).uniform(0, 1, (16, 28, 28, 1)).astype(np.float32)
    y = np.eye(10, dtype=np.float32)[np.arange(16) % 10]
    from weight_init.studies.fused import cross_entropy

    df = layer_stats(model, x, y, loss=cross_entropy)
    assert df["layer"].tolist() == ["conv1", "conv2", "dense1", "logits"]
    assert df["units"].tolist() == [32, 64, 128, 10] and df["fan_in"].tolist() == [9, 288, 9216, 128]
    relu = df.iloc[:3]
    assert relu[["act_std", "preact_std", "dead_fraction", "weight_std", "grad_std"]].notna().all().all()
    assert (relu["act_std"] < relu["preact_std"]).all()  # ReLU halves the spread, roughly
    assert math.isnan(df["dead_fraction"][3]) and df["grad_std"].gt(0).all()
    # act of conv1 is the layer's own output
    conv1 = keras.Model(model.input, model.get_layer("conv1").output)(x)
    np.testing.assert_allclose(
        df["act_std"][0], np.std(keras.ops.convert_to_numpy(conv1).astype(float)), rtol=RTOL
    )


def test_user_mistakes_are_named():
    model = dense_stack(np.eye(2), np.eye(2))
    x = np.ones((4, 2), dtype=np.float32)
    with pytest.raises(ValueError, match="needs a loss"):
        layer_stats(model, x, np.ones((4, 2)))
    with pytest.raises(ValueError, match="loss= needs y"):
        layer_stats(model, x, loss="mse")
    with pytest.raises(ValueError, match="seed"):
        layer_stats(model, x, seed="one")
    with pytest.raises(ValueError, match="keras.Model"):
        layer_stats("model", x)
    no_kernel = keras.Sequential([keras.Input((2,)), keras.layers.Activation("relu")])
    with pytest.raises(ValueError, match="no layer with a kernel"):
        layer_stats(no_kernel, x)
    with pytest.raises(ValueError, match="cannot run on x"):
        layer_stats(model, np.ones((4, 5), dtype=np.float32))


def test_plot_model_stats_draws_four_panels_per_table_and_per_init(linear_case):
    import pandas as pd

    x, _, _, model = linear_case
    df = layer_stats(model, x.astype(np.float32))
    fig = plot_model_stats(df, title="t")
    assert len(fig.axes) == 4 and len(fig.axes[0].lines) == 3  # measured, preact, theory
    both = pd.concat([df.assign(init="a"), df.assign(init="b")], ignore_index=True)
    fig2 = plot_model_stats(both)
    assert len(fig2.axes[3].lines) == 2
    assert [t.get_text() for t in fig2.axes[0].get_legend().get_texts()] == ["a", "b"]
    with pytest.raises(ValueError, match="act_std"):
        plot_model_stats(df.drop(columns="act_std"))
