"""Mean-field theory: quadrature accuracy, the recursions, and predict()."""

import math
import subprocess
import sys

import numpy as np
import pytest

from weight_init.activations import activation_names, get_activation
from weight_init.theory import gaussian_expectation, gaussian_moments, mean_field, predict

QS = [1e-4, 0.3, 1.0, 100.0, 1e6]


# ----------------------------------------------------------------------------- quadrature


@pytest.mark.parametrize("q", QS)
def test_relu_and_linear_moments_are_exact(q):
    relu = gaussian_moments("relu", q)
    assert relu["mean"] == pytest.approx(math.sqrt(q / (2 * math.pi)), rel=1e-10)
    assert relu["second_moment"] == pytest.approx(q / 2, rel=1e-10)
    assert relu["deriv_second_moment"] == pytest.approx(0.5, rel=1e-10)
    assert relu["std"] == pytest.approx(math.sqrt(q * (0.5 - 1 / (2 * math.pi))), rel=1e-9)
    lin = gaussian_moments("linear", q)
    assert lin["mean"] == pytest.approx(0.0, abs=1e-12 * math.sqrt(q))
    assert lin["second_moment"] == pytest.approx(q, rel=1e-10)
    assert lin["deriv_second_moment"] == pytest.approx(1.0, rel=1e-10)
    leaky = gaussian_moments("leaky_relu", q)
    assert leaky["second_moment"] == pytest.approx(q * (1 + 0.01**2) / 2, rel=1e-10)
    assert leaky["deriv_second_moment"] == pytest.approx((1 + 0.01**2) / 2, rel=1e-10)


@pytest.mark.parametrize("name", activation_names())
@pytest.mark.parametrize("q", [0.3, 3.0, 300.0, 1e4])
def test_stein_identity_holds_even_for_saturated_activations(name, q):
    # E[x f(x)] = q E[f'(x)] for x ~ N(0, q): ties the integrals of f and f' together,
    # and tests the narrow peak of tanh'(x) at large q that plain Gauss-Hermite misses.
    f = get_activation(name)
    lhs = gaussian_expectation(lambda x: x * f(x), q)
    rhs = q * gaussian_expectation(f.derivative, q)
    assert lhs == pytest.approx(rhs, rel=1e-8)


def test_tanh_derivative_at_large_q_matches_its_asymptote():
    # E[tanh'(x)^2] -> (4/3) / sqrt(2 pi q) as q -> inf (integral of sech^4 is 4/3).
    q = 1e6
    got = gaussian_moments("tanh", q)["deriv_second_moment"]
    assert got == pytest.approx(4 / 3 / math.sqrt(2 * math.pi * q), rel=1e-4)


def test_selu_fixed_point_and_symmetric_sigmoid():
    selu = gaussian_moments("selu", 1.0)
    assert selu["mean"] == pytest.approx(0.0, abs=1e-6)
    assert selu["second_moment"] == pytest.approx(1.0, abs=1e-6)
    for q in (0.5, 50.0):
        assert gaussian_moments("sigmoid", q)["mean"] == pytest.approx(0.5, abs=1e-12)


def test_zero_variance_gives_the_value_at_zero_without_nan():
    sig = gaussian_moments("sigmoid", 0.0)
    assert sig == {"mean": 0.5, "second_moment": 0.25, "std": 0.0, "deriv_second_moment": 0.0625}
    relu = gaussian_moments("relu", 0.0)
    assert relu["std"] == 0.0 and relu["deriv_second_moment"] == 0.0
    assert gaussian_moments("tanh", 0.0)["deriv_second_moment"] == 1.0


def test_monte_carlo_agrees_for_elu():
    rng = np.random.default_rng(0)
    x = 1.7 * rng.standard_normal(400_000)
    f = get_activation("elu")
    mom = gaussian_moments("elu", 1.7**2)
    # 400k samples: standard errors ~ 0.005; allow 5 of them.
    assert mom["mean"] == pytest.approx(np.mean(f(x)), abs=0.01)
    assert mom["second_moment"] == pytest.approx(np.mean(f(x) ** 2), rel=0.01)
    assert mom["deriv_second_moment"] == pytest.approx(np.mean(f.derivative(x) ** 2), rel=0.01)


def test_user_activation_uses_finite_difference_derivative():
    mine = gaussian_moments(lambda x: np.tanh(x), 2.0)
    ref = gaussian_moments("tanh", 2.0)
    for key in ref:
        assert mine[key] == pytest.approx(ref[key], rel=1e-8)


# ----------------------------------------------------------------------------- recursions


def test_mean_field_recursion_by_hand():
    # Two layers, unequal widths, so that fan_in/fan_out indices cannot be swapped.
    fan_ins, fan_outs, vs = [4, 3], [3, 7], [0.2, 0.5]
    res = mean_field(
        fan_ins, fan_outs, vs, "tanh", input_second_moment=2.0, output_grad_variance=3.0, n_samples=10
    )
    q1 = 4 * 0.2 * 2.0
    m1 = gaussian_moments("tanh", q1)
    q2 = 3 * 0.5 * m1["second_moment"]
    m2 = gaussian_moments("tanh", q2)
    g2 = m2["deriv_second_moment"] * 3.0
    g1 = m1["deriv_second_moment"] * 7 * 0.5 * g2
    np.testing.assert_allclose(res["preact_std"], np.sqrt([q1, q2]), rtol=1e-12)
    np.testing.assert_allclose(res["act_std"], [m1["std"], m2["std"]], rtol=1e-12)
    np.testing.assert_allclose(res["grad_std"], np.sqrt([g1, g2]), rtol=1e-12)
    np.testing.assert_allclose(
        res["weight_grad_std"], np.sqrt([2.0 * g1 / 10, m1["second_moment"] * g2 / 10]), rtol=1e-12
    )


def test_per_layer_activations_and_input_dim():
    # The violin script's MLP: a linear first layer of fan-in 784, then ReLU layers.
    df = predict(
        [100, 50, 50], "he_normal", activation=[None, "relu", "relu"], input_dim=784, input_second_moment=0.1
    )
    q1 = 784 * (2 / 784) * 0.1
    assert df["theory_preact_std"][0] == pytest.approx(math.sqrt(q1), rel=1e-12)
    assert df["theory_act_std"][0] == pytest.approx(math.sqrt(q1), rel=1e-12)
    assert df["theory_act_mean"][0] == pytest.approx(0.0, abs=1e-12)
    q2 = 100 * (2 / 100) * q1
    assert df["theory_preact_std"][1] == pytest.approx(math.sqrt(q2), rel=1e-12)
    assert df["theory_preact_std"][2] == pytest.approx(math.sqrt(q2), rel=1e-12)  # He: constant
    assert list(df["layer"]) == [1, 2, 3] and list(df["width"]) == [100, 50, 50]


def test_predict_he_relu_and_lecun_linear_are_flat():
    he = predict([500] * 10, "he_normal", activation="relu")
    np.testing.assert_allclose(he["theory_act_std"], math.sqrt(1 - 1 / math.pi), rtol=1e-10)
    np.testing.assert_allclose(he["theory_grad_std"], math.sqrt(0.5), rtol=1e-10)
    lin = predict([300] * 5, "lecun_uniform", activation="linear")
    np.testing.assert_allclose(lin["theory_act_std"], 1.0, rtol=1e-10)
    np.testing.assert_allclose(lin["theory_grad_std"], 1.0, rtol=1e-10)


def test_predict_glorot_uses_fan_average():
    df = predict([200, 400], "glorot_uniform", activation="linear", input_dim=100)
    q1 = 100 * 2 / (100 + 200)
    q2 = 200 * 2 / (200 + 400) * q1
    np.testing.assert_allclose(df["theory_preact_std"], np.sqrt([q1, q2]), rtol=1e-12)
    # backward: g2 = 1, g1 = fan_out_2 * v_2 * g2
    np.testing.assert_allclose(df["theory_grad_std"], np.sqrt([400 * 2 / 600, 1.0]), rtol=1e-12)


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_zero_initializer_predicts_zero(activation):
    df = predict([50] * 4, "zeros", activation=activation)
    assert not df.isna().any().any()
    np.testing.assert_array_equal(df["theory_act_std"], 0.0)
    np.testing.assert_array_equal(df["theory_preact_std"], 0.0)
    np.testing.assert_array_equal(df["theory_grad_std"][:-1], 0.0)
    f0 = float(get_activation(activation).derivative(np.zeros(1))[0])
    assert df["theory_grad_std"].iloc[-1] == pytest.approx(abs(f0))  # the top sees G f'(0)
    assert df["theory_act_mean"].iloc[0] == pytest.approx(float(get_activation(activation)(np.zeros(1))[0]))


def test_user_callable_variance_is_estimated_from_one_draw():
    def my_xavier(fan_in, fan_out):
        return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)

    state = np.random.get_state()
    mine = predict([400] * 5, my_xavier, seed=1)
    again = predict([400] * 5, my_xavier, seed=1)
    assert np.array_equal(np.random.get_state()[1], state[1])  # global stream untouched
    ref = predict([400] * 5, "xavier")
    assert mine.equals(again)  # same seed, same numbers
    # mean(W^2) of 160,000 draws: relative error ~ sqrt(2 / 160000) = 0.35 % per layer
    np.testing.assert_allclose(mine["theory_act_std"], ref["theory_act_std"], rtol=0.02)
    np.testing.assert_allclose(mine["theory_grad_std"], ref["theory_grad_std"], rtol=0.02)


def test_per_layer_initializers():
    df = predict([100, 100], ["he_normal", "zeros"], activation="relu")
    assert df["theory_preact_std"][0] == pytest.approx(math.sqrt(2.0))
    assert df["theory_preact_std"][1] == 0.0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(activation=["tanh", "relu"]), "activations has 2 entries for 3 layers"),
        (dict(activation="swish"), "unknown activation 'swish'"),
        (dict(input_second_moment=-1.0), "input_second_moment"),
        (dict(n_quad=1), "n_quad"),
        (dict(input_dim=0), "input_dim"),
        (dict(n_samples=0), "n_samples"),
    ],
)
def test_predict_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        predict([10, 10, 10], "xavier", **kwargs)


def test_bad_sizes_and_q():
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        predict([], "xavier")
    with pytest.raises(ValueError, match="non-negative"):
        gaussian_moments("tanh", -1.0)
    with pytest.raises(ValueError, match="equally long"):
        mean_field([10, 10], [10], [0.1, 0.1])


def test_non_finite_variance_gives_nan_not_an_error():
    assert math.isnan(gaussian_expectation(np.tanh, math.inf))


def test_import_stays_numpy_only():
    code = (
        "import sys, weight_init, weight_init.theory, weight_init.propagation; "
        "bad = [m for m in ('pandas', 'scipy', 'matplotlib') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------------------- biases, small q


def test_callable_derivative_step_scales_with_the_variance():
    # A fixed step of 1e-5 gave 0.378 at q = 1e-10; the step is now 1e-5 sqrt(q).
    for q in (1e-10, 1e-4, 1.0, 1e4):
        got = gaussian_moments(lambda x: np.maximum(x, 0), q)["deriv_second_moment"]
        assert got == pytest.approx(0.5, abs=1e-4)


def test_mean_field_adds_the_bias_second_moment_per_layer():
    res = mean_field([4, 3], [3, 2], [0.2, 0.5], "tanh", input_second_moment=2.0, sigma_b2=[0.1, 0.3])
    q1 = 4 * 0.2 * 2.0 + 0.1
    q2 = 3 * 0.5 * gaussian_moments("tanh", q1)["second_moment"] + 0.3
    np.testing.assert_allclose(res["preact_std"], np.sqrt([q1, q2]), rtol=1e-12)
    zero_w = mean_field([5], [5], [0.0], "linear", sigma_b2=0.25)
    assert zero_w["preact_std"][0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="sigma_b2"):
        mean_field([4, 3], [3, 2], [0.2, 0.5], sigma_b2=[0.1])
    # predict passes it on; at a fixed point (ReLU, sigma_w^2 = 1) the length stays put.
    df = predict([200] * 3, "lecun_normal", activation="relu", sigma_b2=0.5, input_second_moment=0.5)
    np.testing.assert_allclose(df["theory_preact_std"], 1.0, rtol=1e-12)
