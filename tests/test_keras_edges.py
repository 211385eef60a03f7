"""lsuv and layer_stats at the edges: checks before any change, NaN and empty batches,
layers without a plain kernel, shared layers, bounded activations, fused or separate
activations. Small synthetic models; runs on whatever KERAS_BACKEND is set.
"""

from __future__ import annotations

import numpy as np
import pytest

from weight_init._optional import import_keras
from weight_init.keras_tools.lsuv import BOUNDED, lsuv
from weight_init.keras_tools.model_stats import layer_stats

pytestmark = pytest.mark.keras
keras = import_keras()
L = keras.layers


def numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value), dtype=np.float64)


def snapshot(model) -> list[np.ndarray]:
    return [numpy(w) for w in model.weights]


def assert_unchanged(model, before) -> None:
    for a, b in zip(snapshot(model), before):
        np.testing.assert_array_equal(a, b)


def mlp(*, separate: bool | str = False, act: str = "relu", n_in: int = 8, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    inp = keras.Input((n_in,))
    h = inp
    for i in range(2):
        if separate:
            after = L.ReLU(name=f"a{i}") if separate == "ReLU" else L.Activation(act, name=f"a{i}")
            h = after(L.Dense(16, name=f"d{i}")(h))
        else:
            h = L.Dense(16, activation=act, name=f"d{i}")(h)
    return keras.Model(inp, L.Dense(3, name="out")(h))


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((64, 8)).astype(np.float32)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros((64, 5), np.float32), "cannot run on x"),
        (np.zeros((0, 8), np.float32), "empty batch"),
        ("nan", "1 NaN or infinite"),
    ],
)
def test_a_bad_batch_is_an_error_before_any_kernel_changes(x, bad, message):
    if isinstance(bad, str):
        bad = x.copy()
        bad[3, 2] = np.nan
    model = mlp()
    before = snapshot(model)
    with pytest.raises(ValueError, match=message):
        lsuv(model, bad, seed=0)
    assert_unchanged(model, before)
    with pytest.raises(ValueError, match=message):
        layer_stats(model, bad)


def test_a_lora_kernel_is_an_error_before_any_kernel_changes(x):
    model = mlp()
    model.get_layer("d1").enable_lora(2)
    before = snapshot(model)
    with pytest.raises(ValueError, match="'d1'.*not one variable.*LoRA"):
        lsuv(model, x, seed=0)
    assert_unchanged(model, before)


def test_a_shared_layer_is_an_error_in_both(x):
    inp = keras.Input((8,))
    shared = L.Dense(8, activation="relu", name="shared")
    model = keras.Model(inp, L.Dense(2, name="out")(shared(shared(inp))))
    before = snapshot(model)
    with pytest.raises(ValueError, match="'shared'.*called more than once"):
        lsuv(model, x, seed=0)
    assert_unchanged(model, before)
    with pytest.raises(ValueError, match="called more than once"):
        layer_stats(model, x)


def test_a_sequential_built_by_add_is_not_taken_for_shared_layers(x):
    """Sequential.add rebuilds the graph, calling the earlier layers again (Keras keeps
    every call's node): only the calls in the model's current graph count."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential()
    model.add(keras.Input((8,)))
    for units in (16, 16, 3):
        model.add(L.Dense(units, activation="relu" if units == 16 else None))
    assert len(model.layers[0]._inbound_nodes) > 1  # the situation this test is about
    _, log = lsuv(model, x, seed=0)
    assert log["converged"].all() and (abs(log["final_var"] - 1) < 0.1).all()  # tol=0.1
    assert len(layer_stats(model, x)) == 3


def test_separable_and_depthwise_convolutions_are_rescaled_to_unit_variance():
    """SeparableConv2D by its pointwise kernel (the depthwise one kept); DepthwiseConv2D by
    its kernel; each layer's output variance on the batch within tol of 1 afterwards."""
    keras.utils.set_random_seed(1)
    inp = keras.Input((10, 10, 3))
    h = L.SeparableConv2D(6, 3, activation="relu", name="sep")(inp)
    h = L.DepthwiseConv2D(3, activation="relu", name="dw")(h)
    model = keras.Model(inp, L.Dense(2, name="out")(L.Flatten()(h)))
    xs = np.random.default_rng(2).standard_normal((32, 10, 10, 3)).astype(np.float32)
    depthwise = numpy(model.get_layer("sep").depthwise_kernel)
    _, log = lsuv(model, xs, tol=0.05, seed=0)
    assert log["layer"].tolist() == ["sep", "dw", "out"] and log["converged"].all()
    np.testing.assert_array_equal(numpy(model.get_layer("sep").depthwise_kernel), depthwise)
    for name in ("sep", "dw"):
        out = keras.Model(inp, model.get_layer(name).output)(xs)
        assert abs(np.var(numpy(out)) - 1) < 0.05
    df = layer_stats(model, xs).set_index("layer")
    assert df.loc["sep", "weight_std"] == pytest.approx(
        np.std(numpy(model.get_layer("sep").pointwise_kernel))
    )
    assert df.loc["dw", "fan_in"] == 9 and df.loc["sep", "fan_in"] == 3  # 3x3 per channel; 1x1x3


def test_layers_without_a_kernel_are_named_in_a_warning_and_left_alone():
    keras.utils.set_random_seed(3)
    inner = keras.Sequential([keras.Input((4,)), L.Dense(4, name="inner_dense")], name="inner")
    tokens = keras.Input((5,), dtype="int32")
    h = L.Embedding(10, 4, name="emb")(tokens)
    h = L.LSTM(4, return_sequences=True, name="lstm")(h)
    h = L.SimpleRNN(4, name="rnn")(h)
    model = keras.Model(tokens, L.Dense(2, name="out")(inner(L.Dense(4, name="d")(h))))
    xs = np.random.default_rng(0).integers(0, 10, (16, 5)).astype("int32")
    kept = {name: snapshot(model.get_layer(name)) for name in ("emb", "lstm", "rnn", "inner")}
    with pytest.warns(RuntimeWarning, match="'emb' \\(Embedding\\).*'lstm' \\(LSTM\\).*'rnn'.*'inner'"):
        _, log = lsuv(model, xs, seed=0)
    assert log["layer"].tolist() == ["d", "out"]
    for name, before in kept.items():
        assert_unchanged(model.get_layer(name), before)
    with pytest.warns(RuntimeWarning, match="no row for 'emb'"):
        assert layer_stats(model, xs)["layer"].tolist() == ["d", "out"]


def test_every_bounded_keras_activation_is_measured_before_it():
    """Each BOUNDED activation's range is at most 2 wide (variance at most 1): measured on
    a wide input here; LSUV measures the pre-activation and converges."""
    wide = np.linspace(-50, 50, 2001, dtype=np.float32)[None, :]
    for name in BOUNDED:
        values = numpy(keras.activations.get(name)(keras.ops.convert_to_tensor(wide)))
        assert values.max() - values.min() <= 2 + 1e-6, name
    xs = np.random.default_rng(1).standard_normal((64, 8)).astype(np.float32)
    for name in ("hard_tanh", "sparse_sigmoid", "hard_sigmoid"):
        _, log = lsuv(mlp(act=name), xs, tol=0.05, seed=0)
        assert log["measured"].tolist()[:2] == ["preact", "preact"], name
        assert log["converged"].all(), name


@pytest.mark.parametrize("act, how", [("relu", True), ("relu", "ReLU"), ("tanh", True)])
def test_a_separate_activation_layer_is_measured_as_a_fused_one(x, act, how):
    fused, separate = mlp(act=act), mlp(act=act, separate=how)
    _, log_f = lsuv(fused, x, seed=0)
    _, log_s = lsuv(separate, x, seed=0)
    cols = ["layer", "measured", "iterations", "initial_var", "final_var", "scale"]
    np.testing.assert_allclose(log_f[cols[2:]].to_numpy(float), log_s[cols[2:]].to_numpy(float), rtol=1e-5)
    assert log_f[cols[:2]].equals(log_s[cols[:2]])
    for name in ("d0", "d1", "out"):
        np.testing.assert_allclose(
            numpy(fused.get_layer(name).kernel), numpy(separate.get_layer(name).kernel), rtol=1e-5, atol=1e-7
        )
    stats_f, stats_s = layer_stats(fused, x), layer_stats(separate, x)
    assert stats_s["activation"].tolist() == [act, act, "linear"]
    numeric = [c for c in stats_f.columns if c not in ("layer", "class_name", "activation")]
    np.testing.assert_allclose(stats_f[numeric].to_numpy(float), stats_s[numeric].to_numpy(float), rtol=1e-5)


def test_a_non_finite_variance_during_lsuv_is_named_in_a_warning(x):
    """A finite batch, but a kernel so large the float32 output overflows: the variance is
    not finite, the layer is left as it is, with a warning (before the fix: silent)."""
    model = mlp()
    model.get_layer("d0").kernel.assign(np.full((8, 16), 1e38, np.float32))
    with pytest.warns(RuntimeWarning, match="layer 'd0' has output variance (nan|inf)"):
        _, log = lsuv(model, x, seed=0, orthogonal=False)
    assert log.loc[0, "iterations"] == 0 and not log.loc[0, "converged"]
