"""Measured forward/backward statistics and their agreement with mean-field theory."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from weight_init.experiment import forward_pass, forward_prop
from weight_init.propagation import COLUMNS, backward_pass, plot_propagation, propagation_stats

WIDE = dict(hidden_layer_sizes=[500] * 10, n_samples=2000)
STATS = ["act_std", "preact_std", "grad_std", "weight_grad_std"]


@pytest.fixture(scope="module")
def tanh_xavier():
    return propagation_stats(init_fn="xavier", activation="tanh", seed=0, **WIDE)


def _rel_err(df, col):
    return np.abs(df[col] / df["theory_" + col] - 1)


def test_columns_layers_and_same_numbers_as_forward_prop(tanh_xavier):
    df = tanh_xavier
    assert list(df.columns) == COLUMNS
    assert list(df["layer"]) == list(range(1, 11))
    _, means, stds = forward_prop(init_fn="xavier", activation="tanh", seed=0, **WIDE)
    np.testing.assert_array_equal(df["act_mean"], means)
    np.testing.assert_array_equal(df["act_std"], stds)


def test_tanh_xavier_agrees_with_theory_within_5_percent(tanh_xavier):
    df = tanh_xavier
    for col in STATS:
        assert _rel_err(df, col).max() < 0.05, (col, df[[col, "theory_" + col]])
    np.testing.assert_allclose(df["act_mean"], 0.0, atol=0.01)
    np.testing.assert_allclose(df["theory_act_mean"], 0.0, atol=1e-12)
    # the prediction is not trivially flat: std decays forward, gradient grows backward
    assert df["theory_act_std"].iloc[-1] < 0.4 * df["theory_act_std"].iloc[0]
    assert df["theory_grad_std"].iloc[0] < 0.3 * df["theory_grad_std"].iloc[-1]


def test_linear_lecun_agrees_with_theory_within_5_percent():
    df = propagation_stats(init_fn="lecun_normal", activation="linear", seed=1, **WIDE)
    for col in STATS:
        assert _rel_err(df, col).max() < 0.05, (col, df[[col, "theory_" + col]])
    np.testing.assert_allclose(df["theory_act_std"], 1.0, rtol=1e-10)


def test_relu_he_second_moment_averaged_over_20_draws_within_10_percent():
    # A single ReLU network drifts (its log-variance is a random walk, Hanin & Rolnick
    # 2018); the average over weight draws is what the infinite-width theory predicts.
    # 1000 samples per network (not 2000) keep the test fast; the spread between
    # networks, not the sample size, dominates the error (~3 % here, 5 % at 2000).
    runs = [
        propagation_stats([500] * 10, "he_normal", activation="relu", n_samples=1000, seed=s)
        for s in range(20)
    ]
    act_m2 = np.mean([r["act_std"] ** 2 + r["act_mean"] ** 2 for r in runs], axis=0)
    grad_m2 = np.mean([r["grad_std"] ** 2 for r in runs], axis=0)
    theory = runs[0]
    theory_act_m2 = theory["theory_act_std"] ** 2 + theory["theory_act_mean"] ** 2
    np.testing.assert_allclose(theory_act_m2, 1.0, rtol=1e-10)  # He keeps E[H^2] = 1
    np.testing.assert_allclose(act_m2, theory_act_m2, rtol=0.10)
    np.testing.assert_allclose(grad_m2, theory["theory_grad_std"] ** 2, rtol=0.10)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_zero_initializer_gives_zero(activation):
    df = propagation_stats([100] * 5, "zeros", activation=activation, n_samples=200, seed=0)
    assert not df.isna().any().any()
    for col in ("act_std", "preact_std", "theory_act_std", "theory_preact_std"):
        np.testing.assert_array_equal(df[col], 0.0)
    for col in ("grad_std", "weight_grad_std", "theory_grad_std", "theory_weight_grad_std"):
        np.testing.assert_array_equal(df[col][:-1], 0.0)
    np.testing.assert_allclose(df["act_mean"], df["theory_act_mean"], atol=1e-12)
    # the top layer still sees the upstream gradient times f'(0)
    assert df["grad_std"].iloc[-1] == pytest.approx(df["theory_grad_std"].iloc[-1], rel=0.05)


def test_user_callable_initializer_and_activation():
    def my_xavier(fan_in, fan_out):
        return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)

    state = np.random.get_state()
    df = propagation_stats([400] * 6, my_xavier, activation=lambda x: np.tanh(x), n_samples=1000, seed=3)
    again = propagation_stats([400] * 6, my_xavier, activation=lambda x: np.tanh(x), n_samples=1000, seed=3)
    assert np.array_equal(np.random.get_state()[1], state[1])
    assert df.equals(again)
    for col in STATS:
        assert _rel_err(df, col).max() < 0.05, (col, df[[col, "theory_" + col]])


def test_seed_none_uses_global_state_and_generator_seed_works():
    kw = dict(hidden_layer_sizes=[50] * 3, init_fn="xavier", n_samples=100)
    np.random.seed(5)
    a = propagation_stats(seed=None, **kw)
    np.random.seed(5)
    b = propagation_stats(seed=None, **kw)
    assert a.equals(b)
    c = propagation_stats(seed=np.random.default_rng(7), **kw)
    d = propagation_stats(seed=7, **kw)
    assert c.equals(d)
    with pytest.raises(ValueError, match="seed must be None, an int or a numpy.random.Generator"):
        propagation_stats(seed="7", **kw)


def test_own_input_sets_the_input_second_moment():
    X = 3.0 * np.random.default_rng(0).standard_normal((1000, 300))
    df = propagation_stats([300] * 3, "lecun_normal", activation="linear", X=X, seed=0)
    np.testing.assert_allclose(df["theory_preact_std"], 3.0, rtol=0.01)
    assert _rel_err(df, "preact_std").max() < 0.05


def test_backward_pass_matches_finite_differences():
    # L = (1/N) sum_n G_n . H_L,n ; dL/dW_l by central differences vs the backward pass.
    fp = forward_pass([4, 3, 2], "glorot_uniform", activation="tanh", n_samples=5, seed=0)
    G = np.random.default_rng(1).standard_normal(fp.activations[-1].shape)
    deltas, wgrads = backward_pass(fp.weights, fp.inputs, fp.preactivations, fp.activations, fp.activation, G)

    def loss(weights):
        H = fp.inputs
        for W in weights:
            H = np.tanh(H @ W)
        return np.sum(G * H) / len(G)

    eps = 1e-6
    for l, W in enumerate(fp.weights):
        num = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            plus = [w.copy() for w in fp.weights]
            minus = [w.copy() for w in fp.weights]
            plus[l][idx] += eps
            minus[l][idx] -= eps
            num[idx] = (loss(plus) - loss(minus)) / (2 * eps)
        np.testing.assert_allclose(wgrads[l], num, rtol=1e-6, atol=1e-9)
    assert deltas[-1].shape == fp.preactivations[-1].shape
    with pytest.raises(ValueError, match="upstream has shape"):
        backward_pass(fp.weights, fp.inputs, fp.preactivations, fp.activations, fp.activation, G[:, :1])


def test_plot_propagation_draws_measured_and_dashed_theory(tanh_xavier):
    import matplotlib.pyplot as plt

    fig = plot_propagation(tanh_xavier, title="tanh / xavier")
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["layer mean", "layer std", "gradient std (dL/dZ)"]
    for ax in axes:
        styles = sorted(line.get_linestyle() for line in ax.get_lines())
        assert styles == ["-", "--"]
        x, _ = ax.get_lines()[1].get_data()
        assert list(x) == list(range(1, 11))
    plt.close(fig.figure)


def test_plot_layer_stats_stays_backward_compatible_and_logy_auto():
    import matplotlib.pyplot as plt

    from weight_init.plotting import plot_layer_stats

    fig = plot_layer_stats([0.0, 0.1], [1.0, 0.9])
    assert [ax.get_title() for ax in fig.axes] == ["layer mean", "layer std"]
    assert all(ax.get_legend() is None and ax.get_yscale() == "linear" for ax in fig.axes)
    plt.close(fig.figure)

    df = propagation_stats([100] * 6, "small_random", activation="tanh", n_samples=200, seed=0)
    fig = plot_propagation(df)  # stds span many decades -> log axes
    assert [ax.get_yscale() for ax in fig.axes] == ["linear", "log", "log"]
    plt.close(fig.figure)
    fig = plot_propagation(df, logy=False)
    assert [ax.get_yscale() for ax in fig.axes] == ["linear"] * 3
    plt.close(fig.figure)
    with pytest.raises(ValueError, match="logy must be True, False or 'auto'"):
        plot_layer_stats([0.0], [1.0], logy="yes")
    with pytest.raises(ValueError, match="theory_stds must be 1-D with one value per layer"):
        plot_layer_stats([0.0, 0.1], [1.0, 0.9], theory_stds=[1.0])
    with pytest.raises(ValueError, match="no column 'act_std'"):
        plot_propagation({"act_mean": [0.0]})


def test_biases_measured_against_theory():
    # tanh/Xavier with sigma_b^2 = 0.3 on 400-wide layers: one network, within 5 % per layer
    # (the O(1/sqrt(width)) scatter of a single draw, as for the bias-free tests above).
    df = propagation_stats([400] * 6, "xavier", activation="tanh", sigma_b2=0.3, seed=0)
    np.testing.assert_allclose(df["preact_std"], df["theory_preact_std"], rtol=0.05)
    np.testing.assert_allclose(df["act_std"], df["theory_act_std"], rtol=0.05)
    no_bias = propagation_stats([400] * 6, "xavier", activation="tanh", seed=0)
    assert np.all(df["theory_preact_std"] > no_bias["theory_preact_std"])


def test_correlation_measured_against_the_iterated_map():
    from weight_init.initializers import RandomNormal
    from weight_init.propagation import correlation_stats, plot_correlation

    # Ordered (sigma_w^2 = 0.7) and chaotic (2.5) tanh with a bias; 300 units and 16 pairs:
    # the mean correlation has a standard error ~ 1 / sqrt(300 * 16) < 0.02, and the finite
    # width shifts each layer's length by O(1/sqrt(300)); allow 0.05 absolute.
    tables = {}
    for sw in (0.7, 2.5):
        init = RandomNormal(std=float(np.sqrt(sw / 300)))
        df = correlation_stats([300] * 8, init, activation="tanh", c0=0.3, sigma_b2=0.05, n_pairs=16, seed=1)
        assert list(df.columns) == [
            "layer",
            "width",
            "correlation",
            "correlation_sem",
            "theory_correlation",
            "length",
            "theory_length",
        ]
        np.testing.assert_allclose(df["correlation"], df["theory_correlation"], atol=0.05)
        tables[f"sigma_w^2 = {sw}"] = df
    # The two phases part ways: ordered towards 1, chaotic towards c* < 1.
    assert tables["sigma_w^2 = 0.7"]["theory_correlation"].iloc[-1] > 0.9
    assert tables["sigma_w^2 = 2.5"]["theory_correlation"].iloc[-1] < 0.8
    res = plot_correlation(tables)
    assert len(res.figure.axes) == 1
