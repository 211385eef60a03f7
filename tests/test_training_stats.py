"""Per-layer statistics recorded while the loss-progression networks train.

One training of the three default networks on 640 offline digits (5 steps, float32) with
the recording every 2 steps, and the same run without it; a few seconds each.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import DEFAULT_TRAINING

from weight_init.studies.loss_progression.recorder import LAYERS, STATS_COLUMNS, rmsprop_gradient

N_TRAIN = 640  # 5 batches of 128
EVERY = 2
HE = "he_normal_untruncated"
N04 = "normal(0.4)"
FAN_IN = {"conv1": 9, "conv2": 288, "dense1": 9216, "logits": 128}


@pytest.fixture(scope="module")
def recorded(sample):
    from weight_init.studies.loss_progression.study import train_loss_progression

    # conftest's default_training protocol (640 images: N_TRAIN), with the recording.
    assert DEFAULT_TRAINING["n_train"] == N_TRAIN
    result = train_loss_progression(data=sample, verbose=False, layer_stats_every=EVERY, **DEFAULT_TRAINING)
    return result.table, result.layer_stats


def at(table, label, step=0):
    part = table[(table["init"] == label) & (table["step"] == step)]
    return part.set_index("layer")


def test_recording_does_not_change_the_training(recorded, default_training):
    plain = default_training  # conftest's run of the very same protocol, without the recording
    df, _ = recorded
    # float32, same seed: the very same numbers, not merely close ones.
    np.testing.assert_array_equal(df["loss"].to_numpy(), plain["loss"].to_numpy())
    np.testing.assert_array_equal(df["val_accuracy"].to_numpy(), plain["val_accuracy"].to_numpy())
    assert list(df.columns) == list(plain.columns)


def other_loop() -> str:
    """The epoch loop ``loop='auto'`` does not pick on this backend."""
    from weight_init._optional import import_keras
    from weight_init.studies.fused import resolve_loop

    return "fit" if resolve_loop(import_keras(), "auto") == "train_on_batch" else "train_on_batch"


def test_fit_and_train_on_batch_loops_give_the_very_same_training_and_statistics(recorded, sample):
    from weight_init.studies.loss_progression.study import train_loss_progression

    df, stats = recorded
    result = train_loss_progression(
        data=sample,
        n_train=N_TRAIN,
        epochs=1,
        seed=0,
        precision="float32",
        verbose=False,
        layer_stats_every=EVERY,
        loop=other_loop(),
    )
    other, other_stats = result.table, result.layer_stats
    np.testing.assert_array_equal(other["loss"].to_numpy(), df["loss"].to_numpy())
    np.testing.assert_array_equal(other["val_loss"].to_numpy(), df["val_loss"].to_numpy())
    assert other_stats.table.shape == stats.table.shape
    numbers = stats.table.select_dtypes("number").columns
    np.testing.assert_array_equal(other_stats.table[numbers].to_numpy(), stats.table[numbers].to_numpy())


def test_one_row_per_network_recorded_step_and_layer(recorded):
    _, stats = recorded
    t = stats.table
    assert list(t.columns) == list(STATS_COLUMNS)
    assert list(dict.fromkeys(t["init"])) == ["zeros", N04, HE]
    steps = [0, 2, 4]  # 5 updates, every 2 and before the first
    assert len(t) == 3 * len(steps) * len(LAYERS)
    for label in ("zeros", N04, HE):
        part = t[t["init"] == label]
        assert list(part["step"]) == [s for s in steps for _ in LAYERS]
        assert list(part["layer"]) == list(LAYERS) * len(steps)
        assert set(part["epoch"]) == {1}
    assert (stats.steps_per_epoch, stats.every) == (5, EVERY)
    # The colorful dimension: dense1's (batch, 128) activations of every record.
    assert [a.shape for a in stats.dense1[HE]] == [(128, 128)] * len(steps)
    he = t[t["init"] == HE]
    # No NaN for He, but dead_fraction of the logits, which have no ReLU.
    assert not he.drop(columns="dead_fraction").isna().any().any()
    assert he[he["layer"] != "logits"]["dead_fraction"].notna().all()
    assert t[t["layer"] == "logits"]["dead_fraction"].isna().all()


def test_zero_weights_stay_exactly_zero_everywhere_but_the_output_bias(recorded):
    _, stats = recorded
    zeros = stats.table[stats.table["init"] == "zeros"]
    hidden = zeros[zeros["layer"] != "logits"]
    assert (hidden[["act_mean", "act_std", "preact_std"]] == 0).all().all()
    assert (hidden["dead_fraction"] == 1).all()
    assert (zeros["weight_std"] == 0).all() and (zeros["grad_std"] == 0).all()
    assert zeros["update_ratio"].isna().all()  # ||dW|| / ||W|| with W = 0 stays undefined
    # Only the output bias learns: the logits move off 0 after the first update.
    logits = zeros[zeros["layer"] == "logits"].set_index("step")
    assert logits.loc[0, "act_std"] == 0 and logits.loc[2, "act_std"] > 1e-4


def test_n04_activations_grow_layer_to_layer_as_the_fan_ins_predict(recorded, sample):
    """At step 0, ``std(p_l) = 0.4 sqrt(fan_in_l) rms(x_l)`` with ``x_l`` the layer's input;
    after a ReLU ``rms(a) = sqrt(std^2 + mean^2)`` (about ``std(p) / sqrt(2)``), and
    dense1's input is conv2's output after 2x2 max pooling (which raises the rms: dense1
    is the loosest, measured +19 %). Tolerance 25 %."""
    from weight_init.studies.loss_progression.study import prepare_data

    _, stats = recorded
    s = at(stats.table, N04)
    x, _, _, _ = prepare_data(sample, N_TRAIN, verbose=False)
    perm = np.random.default_rng([0, 0xDA7A]).permutation(len(x))
    rms_input = float(np.sqrt(np.mean(x[perm[:128]].astype(np.float64) ** 2)))
    rms = {layer: math.hypot(s.loc[layer, "act_std"], s.loc[layer, "act_mean"]) for layer in LAYERS}
    inputs = {"conv1": rms_input, "conv2": rms["conv1"], "dense1": rms["conv2"], "logits": rms["dense1"]}
    for layer in LAYERS:
        predicted = 0.4 * math.sqrt(FAN_IN[layer]) * inputs[layer]
        assert s.loc[layer, "preact_std"] == pytest.approx(predicted, rel=0.25), layer
        assert s.loc[layer, "weight_std"] == pytest.approx(0.4, rel=0.1)
    # ReLU: the activation keeps between 1/sqrt(2) and 1 of the pre-activation's rms.
    for layer in ("conv1", "conv2", "dense1"):
        ratio = rms[layer] / s.loc[layer, "preact_std"]
        assert 0.5 < ratio < 1.0, (layer, ratio)
    # Multiplied up: the logits' std is hundreds of times the input's.
    assert s.loc["logits", "act_std"] > 100 * rms_input


def test_he_keeps_the_activation_scale_and_dense1_dies_less_than_n04_at_first(recorded, sample):
    """He at step 0: every hidden act_std within a factor 3 of the input's std. The dead
    fraction of dense1: He below N(0, 0.4) at step 0 only. Measured on this run (and on the
    default offline run, README): RMSprop's first steps move every dense1 weight by about
    3 lr = 0.003 against He's weight std 0.015 (update ratio 0.15), and more than half of
    He's dense1 units go dead within two steps, while N(0, 0.4)'s huge weights barely
    move (update ratio 0.007) and keep almost all units alive."""
    from weight_init.studies.loss_progression.study import prepare_data

    _, stats = recorded
    t = stats.table
    x, _, _, _ = prepare_data(sample, N_TRAIN, verbose=False)
    perm = np.random.default_rng([0, 0xDA7A]).permutation(len(x))
    std_input = float(x[perm[:128]].std())
    s = at(t, HE)
    for layer in ("conv1", "conv2", "dense1"):
        assert std_input / 3 < s.loc[layer, "act_std"] < 3 * std_input, layer
    dead = {
        label: t[(t["init"] == label) & (t["layer"] == "dense1")].set_index("step")["dead_fraction"]
        for label in (HE, N04)
    }
    assert dead[HE][0] <= dead[N04][0] + 1 / 128
    assert dead[HE][4] > 0.3 > dead[N04][4]
    assert at(t, HE).loc["dense1", "update_ratio"] > 10 * at(t, N04).loc["dense1", "update_ratio"]


def test_gradient_from_the_rmsprop_step_equals_the_real_gradient():
    """``g = (W_before - W_after) sqrt(v + eps) / lr`` against TensorFlow's gradient of the
    same loss, over three RMSprop steps (float32; relative error 1e-3 of the largest)."""
    tf = pytest.importorskip("tensorflow")
    from weight_init._optional import import_keras

    keras = import_keras()
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the reference gradient is TensorFlow's")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 20)).astype(np.float32)
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, 64)]
    model = keras.Sequential(
        [keras.Input((20,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(5)]
    )
    opt = keras.optimizers.RMSprop()
    loss = keras.losses.CategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=opt, loss=loss)
    for _ in range(3):
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True))
        real = [g.numpy() for g in tape.gradient(value, model.trainable_weights)]
        before = [w.numpy().copy() for w in model.trainable_weights]
        model.train_on_batch(x, y)
        for var, w0, g in zip(model.trainable_weights, before, real):
            v = opt._velocities[opt._get_variable_index(var)].numpy()
            got = rmsprop_gradient(w0, var.numpy(), v, float(opt.learning_rate), opt.epsilon)
            np.testing.assert_allclose(got, g, rtol=0, atol=1e-3 * np.abs(g).max())


def test_bad_layer_stats_every_is_a_value_error(sample):
    from weight_init.studies.loss_progression.study import train_loss_progression

    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="layer_stats_every"):
            train_loss_progression(data=sample, verbose=False, layer_stats_every=bad)


def test_figure_has_four_rows_one_column_per_network(recorded):
    import matplotlib.pyplot as plt

    from weight_init.studies.loss_progression.dynamics_plots import (
        dense1_histograms,
        plot_recorded_layer_stats,
    )

    _, stats = recorded
    fig = plot_recorded_layer_stats(stats)
    axes = np.asarray(fig.axes[:12]).reshape(4, 3)
    assert "Zero" in axes[0][0].get_title() and "0.4" in axes[0][1].get_title()
    assert axes[0][0].get_yscale() == "log" and axes[2][1].get_yscale() == "log"
    # The zero network has no positive hidden activation std: no line, named instead.
    assert [line.get_label() for line in axes[0][0].get_lines()] == ["logits"]
    assert [line.get_label() for line in axes[0][2].get_lines()] == list(LAYERS)
    he = stats.table[(stats.table["init"] == HE) & (stats.table["layer"] == "dense1")]
    line = axes[1][2].get_lines()[2]
    np.testing.assert_allclose(line.get_ydata(), he["dead_fraction"])
    np.testing.assert_allclose(line.get_xdata(), he["step"] / 5)
    assert any(line.get_ydata()[0] == 1e-3 for line in axes[2][1].get_lines())  # rule of thumb
    counts, edges = dense1_histograms(stats.dense1[HE])
    assert counts.shape == (40, 3) and (counts.sum(axis=0) == 128 * 128).all()
    assert edges[0] == 0 and edges[-1] == max(a.max() for a in stats.dense1[HE])
    mesh = axes[3][2].collections[0]
    np.testing.assert_allclose(np.asarray(mesh.get_array()).ravel(), np.log1p(counts).ravel())
    plt.close(fig.figure)


def test_script_writes_the_layer_table_and_draws_the_second_figure(tmp_path):
    import matplotlib.image
    import pandas as pd
    import script_helpers

    png, csv = tmp_path / "out" / "losses.png", tmp_path / "layers.csv"
    proc = script_helpers.run_script(
        "plot_loss_progression.py",
        "--dataset",
        "mnist-sample",
        "--n-train",
        "384",
        "--epochs",
        "1",
        "--inits",
        "zeros",
        HE,
        "--layer-stats",
        str(csv),
        "--stats-every",
        "2",
        "--output",
        str(png),
        "--no-show",
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    stats_png = tmp_path / "out" / "losses-layer-stats.png"
    assert f"saved the layer statistics to {csv}" in proc.stderr
    assert f"saved figure to {png}" in proc.stderr and f"saved figure to {stats_png}" in proc.stderr
    table = pd.read_csv(csv)
    assert list(table.columns) == list(STATS_COLUMNS)
    assert len(table) == 2 * 2 * len(LAYERS)  # 3 steps: records at steps 0 and 2
    assert sorted(set(table["step"])) == [0, 2]
    image = matplotlib.image.imread(stats_png)
    assert image.shape[0] > 900 and image.shape[1] > 600
