"""forward_prop: the notebook's protocol and results, seeds, errors."""

import warnings

import numpy as np
import pytest

from weight_init import initializers as I
from weight_init.experiment import forward_pass, forward_prop

SIZES = [500] * 10


def small_random_init(fan_in, fan_out):
    return 0.01 * np.random.randn(fan_in, fan_out)


def big_random_init(fan_in, fan_out):
    return 1 * np.random.randn(fan_in, fan_out)


def xavier_init(fan_in, fan_out):
    return np.random.randn(fan_in, fan_out) / np.sqrt(fan_in)


def test_notebook_usage_shapes_and_keys():
    acts, means, stds = forward_prop(SIZES, xavier_init)
    assert list(acts.keys()) == list(range(10))
    for i, H in acts.items():
        assert H.shape == (1000, 500)
        assert means[i] == pytest.approx(np.mean(H))
        assert stds[i] == pytest.approx(np.std(H))
    assert len(means) == len(stds) == 10


def test_small_random_shrinks_toward_zero():
    np.random.seed(0)
    _, means, stds = forward_prop(SIZES, small_random_init)
    # The notebook: 0.213, 0.048, 0.011, ... each layer ~0.22x the one before.
    assert stds[0] == pytest.approx(0.2135, rel=0.02)
    ratios = np.array(stds[1:]) / np.array(stds[:-1])
    assert np.all(ratios < 0.25) and np.all(ratios > 0.2)
    assert stds[-1] < 1e-5
    assert max(abs(m) for m in means) < 1e-3


def test_big_random_saturates_tanh():
    np.random.seed(1)
    acts, _, stds = forward_prop(SIZES, big_random_init)
    assert np.allclose(stds, 0.9818, atol=0.003)  # notebook: 0.9815 .. 0.9819
    for H in acts.values():
        assert np.mean(np.abs(H) > 0.99) > 0.9  # saturated at -1 or 1


def test_xavier_decays_slowly():
    np.random.seed(2)
    _, _, stds = forward_prop(SIZES, xavier_init)
    # notebook: 0.6285, 0.4859, ..., 0.2270
    assert stds[0] == pytest.approx(0.628, abs=0.01)
    assert np.all(np.diff(stds) < 0)
    assert stds[-1] > 0.1
    assert stds[-1] == pytest.approx(0.227, abs=0.015)


def test_zeros_give_zero_activations():
    _, means, stds = forward_prop([20, 20], I.zeros, n_samples=50)
    assert stds == [0.0, 0.0] and means == [0.0, 0.0]


def test_package_initializers_and_names_match_notebook_functions():
    np.random.seed(3)
    a1, _, s1 = forward_prop(SIZES[:3], xavier_init)
    np.random.seed(3)
    a2, _, s2 = forward_prop(SIZES[:3], "xavier")
    np.random.seed(3)
    a3, _, s3 = forward_prop(SIZES[:3], I.xavier)
    assert np.allclose(a1[2], a2[2]) and np.allclose(a1[2], a3[2])
    assert s1 == pytest.approx(s2)
    assert s1 == pytest.approx(s3)


def test_seed_repeatable_and_leaves_global_state_alone():
    np.random.seed(0)
    state = np.random.get_state()[1].copy()
    _, _, s1 = forward_prop([50, 40, 30], xavier_init, seed=7, n_samples=100)
    _, _, s2 = forward_prop([50, 40, 30], xavier_init, seed=7, n_samples=100)
    _, _, s3 = forward_prop([50, 40, 30], xavier_init, seed=8, n_samples=100)
    _, _, s4 = forward_prop([50, 40, 30], "he_normal", seed=7, n_samples=100)
    _, _, s5 = forward_prop([50, 40, 30], "he_normal", seed=7, n_samples=100)
    assert s1 == s2 and s1 != s3 and s4 == s5
    assert np.array_equal(np.random.get_state()[1], state)


def test_global_state_makes_runs_repeatable():
    np.random.seed(5)
    _, _, s1 = forward_prop([30, 30], small_random_init, n_samples=20)
    np.random.seed(5)
    _, _, s2 = forward_prop([30, 30], small_random_init, n_samples=20)
    assert s1 == s2


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear", "sigmoid", "leaky_relu", "elu", "selu"])
def test_activations(activation):
    acts, _, _ = forward_prop([40, 30], "lecun_normal", activation=activation, seed=0, n_samples=64)
    result = forward_pass([40, 30], "lecun_normal", activation=activation, seed=0, n_samples=64)
    assert np.allclose(acts[1], result.activations[1])
    Z = result.preactivations[1]
    assert np.allclose(result.activations[1], result.activation(Z))
    assert np.allclose(result.preactivations[1], result.activations[0] @ result.weights[1])
    if activation == "relu":
        assert acts[1].min() == 0.0
    if activation == "sigmoid":
        assert 0 < acts[1].min() and acts[1].max() < 1


def test_custom_activation_and_input():
    X = np.random.default_rng(0).standard_normal((10, 8))
    acts, _, _ = forward_prop([8, 4], "xavier", activation=np.sin, X=X, seed=1)
    result = forward_pass([8, 4], "xavier", activation=np.sin, X=X, seed=1)
    assert np.allclose(acts[0], np.sin(X @ result.weights[0]))
    assert acts[1].shape == (10, 4)


@pytest.mark.parametrize(
    "sizes,match",
    [
        ([], "empty"),
        ([10, 0], r"hidden_layer_sizes\[1\] = 0"),
        ([10, -5], r"hidden_layer_sizes\[1\] = -5"),
        ([10, 2.5], "positive integer"),
        (5, "list of positive integers"),
    ],
)
def test_bad_sizes(sizes, match):
    with pytest.raises(ValueError, match=match):
        forward_prop(sizes, xavier_init)


def test_wrong_shape_from_init():
    def transposed(fan_in, fan_out):
        return np.random.randn(fan_out, fan_in)

    with pytest.raises(
        ValueError, match=r"returned shape \(20, 10\) for layer 2; expected \(fan_in, fan_out\) = \(10, 20\)"
    ):
        forward_prop([10, 20], transposed, n_samples=5)


def test_bad_X_and_n_samples():
    with pytest.raises(ValueError, match="X has 7 features but the first layer has width 10"):
        forward_prop([10, 10], xavier_init, X=np.zeros((5, 7)))
    with pytest.raises(ValueError, match="2-D"):
        forward_prop([10], xavier_init, X=np.zeros(10))
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        forward_prop([10], xavier_init, n_samples=0)
    with pytest.raises(ValueError, match="seed must be None, an int or a numpy.random.Generator, got 'abc'"):
        forward_prop([10], xavier_init, seed="abc")


def test_unknown_names():
    with pytest.raises(ValueError, match="unknown initializer 'hee_normal'; valid names are: .*he_normal"):
        forward_prop([10], "hee_normal")
    with pytest.raises(ValueError, match="unknown activation 'rellu'; valid names are: .*relu"):
        forward_prop([10], "xavier", activation="rellu")


def test_non_finite_warning_names_first_layer():
    def huge(fan_in, fan_out):
        return np.full((fan_in, fan_out), 1e200)

    with pytest.warns(RuntimeWarning, match="first appear in hidden layer 2"):
        forward_prop([100, 100, 100], huge, activation="linear", n_samples=4, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        forward_prop([100, 100], "xavier", activation="linear", n_samples=4, seed=0)
