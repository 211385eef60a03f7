"""LayerStatsCallback: per-layer statistics during the user's own ``fit``.

Tiny models (a 3-layer MLP on 20 features, a linear model, a small CNN), a few dozen
steps each: seconds in all.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from weight_init.keras_tools.statistics import STAT_COLUMNS

N, D, EVERY, BATCH, EPOCHS = 96, 20, 3, 16, 2  # 6 steps per epoch, 12 in all
PROBE = 32


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, D)).astype(np.float32)
    y = rng.integers(0, 3, N)
    return x, y


def mlp(keras, seed=0, extra=()):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((D,)),
            keras.layers.Dense(16, activation="relu", name="hidden"),
            *extra,
            keras.layers.Dense(8, activation="tanh", name="squash"),
            keras.layers.Dense(3, name="out"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    return model


@pytest.fixture(scope="module")
def keras():
    from weight_init._optional import import_keras

    return import_keras()


@pytest.fixture(scope="module")
def trained(keras, tmp_path_factory):
    """The MLP trained 2 epochs with the callback every 3 steps, with TensorBoard logs."""
    from weight_init.keras_tools import LayerStatsCallback

    x, y = data()
    model = mlp(keras)
    initial = [np.asarray(keras.ops.convert_to_numpy(w), np.float64) for w in model.weights]
    log_dir = tmp_path_factory.mktemp("logs")
    cb = LayerStatsCallback(x[:PROBE], every=EVERY, log_dir=log_dir, seed=1)
    history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0, callbacks=[cb])
    return cb, initial, log_dir, history.history["loss"]


def test_table_has_one_row_per_record_and_layer(trained):
    from weight_init.keras_tools.callback import TABLE_COLUMNS

    cb, _, _, _ = trained
    t = cb.table
    assert list(t.columns) == ["step", "epoch", "layer", *STAT_COLUMNS] == list(TABLE_COLUMNS)
    steps = [0, 3, 6, 9]  # 12 updates: every 3, from before the first
    assert cb.steps == steps
    assert list(t["step"]) == [s for s in steps for _ in range(3)]
    assert list(t["layer"]) == ["hidden", "squash", "out"] * len(steps)
    assert list(t["epoch"]) == [1] * 6 + [2] * 6  # steps 0, 3 in epoch 1; 6, 9 in epoch 2
    # Defined where the activation says so, NaN elsewhere.
    assert t[t["layer"] == "hidden"]["dead_fraction"].notna().all()
    assert t[t["layer"] != "hidden"]["dead_fraction"].isna().all()
    assert t[t["layer"] == "squash"]["saturated_fraction"].notna().all()
    assert t[t["layer"] != "squash"]["saturated_fraction"].isna().all()
    assert t[["act_std", "preact_std", "weight_std", "grad_std", "update_ratio"]].gt(0).all().all()
    for name, units in (("hidden", 16), ("squash", 8), ("out", 3)):
        edges, counts = cb.histograms[name]
        assert len(counts) == len(steps)
        assert all(c.sum() == PROBE * units for c in counts)  # nothing dropped: end bins clip
    # Fixed log-magnitude bins: ReLU's from 0 (a zero bin, then 39 up to 1e3), the others
    # symmetric (19 a side and (-1e-8, 1e-8) between).
    relu, tanh = cb.histograms["hidden"][0], cb.histograms["squash"][0]
    assert (
        len(relu) == 41 and relu[0] == 0 and relu[1] == pytest.approx(1e-8) and relu[-1] == pytest.approx(1e3)
    )
    np.testing.assert_allclose(np.diff(np.log10(relu[1:])), 11 / 39)
    assert len(tanh) == 40 and tanh[19:21] == pytest.approx([-1e-8, 1e-8])
    np.testing.assert_allclose(tanh, -tanh[::-1])


def test_first_record_equals_numpy_by_hand(trained):
    """Step 0 is before the first update: the initial weights, the probe batch, and the
    seeded upstream gradient G (seed 1) of ``L = sum(G * out) / N``, back-propagated by
    hand (relative tolerance 1e-5, float32 forward)."""
    cb, (w1, b1, w2, b2, w3, b3), _, _ = trained
    x = data()[0][:PROBE].astype(np.float64)
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.tanh(z2)
    out = h2 @ w3 + b3
    g = np.random.default_rng(1).standard_normal(out.shape).astype(np.float32).astype(np.float64)
    d3 = g / PROBE
    d2 = (d3 @ w3.T) * (1 - h2**2)
    d1 = (d2 @ w2.T) * (z1 > 0)
    expect = {
        "hidden": (h1, z1, w1, x.T @ d1),
        "squash": (h2, z2, w2, h1.T @ d2),
        "out": (out, out, w3, h2.T @ d3),
    }
    first = cb.table[cb.table["step"] == 0].set_index("layer")
    for name, (h, z, w, grad) in expect.items():
        row = first.loc[name]
        for column, value in (
            ("act_mean", h.mean()),
            ("act_std", h.std()),
            ("preact_std", z.std()),
            ("weight_std", w.std()),
            ("grad_std", grad.std()),
        ):
            assert row[column] == pytest.approx(value, rel=1e-5, abs=1e-7), (name, column)
    assert first.loc["hidden", "dead_fraction"] == np.mean(np.all(z1 <= 0, axis=0))
    assert first.loc["squash", "saturated_fraction"] == np.mean(np.abs(h2) > 0.99)
    edges, counts = trained[0].histograms["out"]
    np.testing.assert_array_equal(counts[0], np.histogram(np.clip(out, edges[0], edges[-1]), edges)[0])


def test_update_ratio_and_gradient_of_one_sgd_step_on_a_linear_model(keras):
    """Full-batch SGD on ``out = x w`` with the mean squared error: the step's gradient is
    ``g = 2 x^T (x w - y) / N`` and the update ``lr g``, so ``update_ratio = lr ||g|| /
    ||w||`` and ``grad_std = std(g)`` (the probe batch is the training batch, ``y``
    given); every step recorded, each against its own closed form."""
    from weight_init.keras_tools import LayerStatsCallback

    rng = np.random.default_rng(3)
    x = rng.normal(size=(32, 5)).astype(np.float32)
    y = rng.normal(size=(32, 1)).astype(np.float32)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1, use_bias=False, name="w")])
    lr = 0.1
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    w = np.asarray(keras.ops.convert_to_numpy(model.layers[0].kernel), np.float64)
    cb = LayerStatsCallback(x, y, every=1)
    model.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0, callbacks=[cb])
    t = cb.table
    assert list(t["step"]) == [0, 1, 2]
    xd, yd = x.astype(np.float64), y.astype(np.float64)
    for step in range(3):
        g = 2 * xd.T @ (xd @ w - yd) / len(x)
        row = t.iloc[step]
        assert row["grad_std"] == pytest.approx(g.std(), rel=1e-5)
        assert row["update_ratio"] == pytest.approx(lr * np.linalg.norm(g) / np.linalg.norm(w), rel=1e-4)
        assert row["weight_std"] == pytest.approx(w.std(), rel=1e-5)
        w = w - lr * g


def test_losses_of_fit_are_unchanged_by_the_callback(keras, tmp_path):
    """Same seed, float32, shuffled batches, dropout and batch-norm (whose random and
    moving states the probe must not touch): the very same losses and weights, recording
    at every step. The first seeded ``fit`` of a TensorFlow process shuffles differently
    from the later ones (measured without any callback), hence one run to warm up."""
    from weight_init.keras_tools import LayerStatsCallback

    x, y = data()

    def run(callbacks):
        extra = (keras.layers.Dropout(0.3), keras.layers.BatchNormalization())
        model = mlp(keras, seed=5, extra=extra)
        hist = model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=callbacks)
        return hist.history["loss"], [keras.ops.convert_to_numpy(w) for w in model.weights]

    run([])
    plain, w_plain = run([])
    cb = LayerStatsCallback(x[:PROBE], y[:PROBE], every=1, log_dir=tmp_path)
    watched, w_watched = run([cb])
    assert watched == plain
    for a, b in zip(w_watched, w_plain):
        np.testing.assert_array_equal(a, b)
    assert len(cb.table) == 12 * 3


def test_event_files_hold_the_table(trained):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cb, _, log_dir, _ = trained
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "histograms": 0})
    acc.Reload()
    tags = acc.Tags()
    t = cb.table
    for name in ("hidden", "squash", "out"):
        rows = t[t["layer"] == name]
        for column in STAT_COLUMNS:
            values = rows[column].to_numpy(float)
            tag = f"{name}/{column}"
            if np.all(np.isnan(values)):
                assert tag not in tags["scalars"]  # undefined statistics are not logged
                continue
            events = acc.Scalars(tag)
            assert [e.step for e in events] == cb.steps
            np.testing.assert_array_equal([e.value for e in events], values.astype(np.float32))
        hist = acc.Histograms(f"{name}/activations")
        assert [h.step for h in hist] == cb.steps
        edges, counts = cb.histograms[name]
        np.testing.assert_array_equal(hist[-1].histogram_value.bucket, counts[-1])
        np.testing.assert_allclose(hist[-1].histogram_value.bucket_limit, edges[1:])
        grads = acc.Histograms(f"{name}/gradients")
        assert len(grads) == len(cb.steps) and sum(grads[0].histogram_value.bucket) > 0


def test_plot_returns_a_four_row_plot_result(trained):
    import matplotlib.pyplot as plt

    from weight_init.plotting import PlotResult

    cb, _, _, _ = trained
    result = cb.plot()
    assert isinstance(result, PlotResult)
    rows = result.figure.axes[:4]
    tops = [ax.get_position().y0 for ax in rows]
    assert tops == sorted(tops, reverse=True)  # one column of four rows, top to bottom
    assert [line.get_label() for line in rows[0].get_lines()] == ["hidden", "squash", "out"]
    assert [t.get_text() for t in rows[0].get_legend().get_texts()] == ["1 hidden", "2 squash", "3 out"]
    assert rows[0].get_ylim()[0] == 0  # std from 0: these stds span less than two decades
    assert any(line.get_ydata()[0] == 1e-3 for line in rows[2].get_lines())
    steps, edges, counts = cb.heat_map()  # default: the last hidden layer
    assert counts.shape == (39, 4) and rows[3].get_ylabel() == "2 squash activation"
    mesh = rows[3].collections[0]
    np.testing.assert_allclose(np.asarray(mesh.get_array()).ravel(), np.log1p(counts).ravel())
    assert len(result.figure.axes) == 5  # and the colour bar
    plt.close(result.figure)
    with pytest.raises(ValueError, match="no layer 'nope'"):
        cb.plot("nope")


def test_subclassed_and_nested_models_are_watched(keras):
    from weight_init.keras_tools import LayerStatsCallback
    from weight_init.keras_tools.callback import watched_layers

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.a = keras.layers.Dense(8, activation="relu", name="a")
            self.b = keras.layers.Dense(3, name="b")

        def call(self, x):
            return self.b(self.a(x))

    x, y = data()

    def run(callbacks):
        keras.utils.set_random_seed(0)
        net = Net()
        net.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        fit = net.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
        return fit.history["loss"]

    cb = LayerStatsCallback(x[:PROBE], y[:PROBE], every=4)
    # Unbuilt until its first step: the callback builds it on x, and the training is the same.
    assert run([cb]) == run([])
    assert list(cb.table["layer"]) == ["a", "b"] * 2 and cb.table["grad_std"].gt(0).all()

    inner = keras.Sequential([keras.Input((D,)), keras.layers.Dense(4, name="in1")], name="block")
    inp = keras.Input((D,))
    outer = keras.Model(inp, keras.layers.Dense(2, name="top")(inner(inp)))
    assert [name for name, _ in watched_layers(outer)] == ["block/in1", "top"]


def test_a_conv_layer_agrees_with_layer_stats(keras):
    """Channels are the units of the dead fraction; the statistics at step 0 equal
    ``layer_stats`` (which probes through the graph, not through the layers' calls)."""
    from weight_init.keras_tools import LayerStatsCallback, layer_stats

    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 2, 16)
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(6, 3, activation="relu", name="conv"),
            keras.layers.Flatten(),
            keras.layers.Dense(2, name="dense"),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = layer_stats(model, x, seed=0).set_index("layer")
    cb = LayerStatsCallback(x, every=5, seed=0)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[cb])
    first = cb.table[cb.table["step"] == 0].set_index("layer")
    for column in STAT_COLUMNS[:-1]:
        np.testing.assert_allclose(first[column], before.loc[first.index, column], rtol=1e-6, equal_nan=True)


def test_bad_arguments_are_value_errors():
    from weight_init.keras_tools import LayerStatsCallback

    x, y = data()
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="every"):
            LayerStatsCallback(x, every=bad)
    with pytest.raises(ValueError, match="y has 5 examples, x has 96"):
        LayerStatsCallback(x, y[:5])
    with pytest.raises(ValueError, match="at least one example"):
        LayerStatsCallback(x[:0])
    with pytest.raises(ValueError, match="finite"):
        LayerStatsCallback(x, hist_range=(0, math.inf))


def test_watch_training_script_errors_are_one_line():
    import os
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-m", "weight_init.cli.watch_training", "--n-train", "100", "--probe", "500"],
        env=dict(os.environ, MPLBACKEND="Agg"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "watch_training.py: error: --n-train must be at most 4000 and --probe at most --n-train (got 100 and 500)"
    )


def test_log_histogram_counts_as_the_search_among_its_edges():
    from weight_init.keras_tools.statistics import histogram, log_histogram, log_histogram_edges

    rng = np.random.default_rng(0)
    z = (rng.standard_normal(200_000) * 10.0 ** rng.uniform(-10, 4, 200_000)).astype(np.float32)
    z[:5] = [0.0, np.nan, 1e9, -1e9, 1e-12]
    for act, values in (("relu", np.maximum(z, 0)), ("tanh", z)):
        fast, slow = log_histogram(values, act), histogram(values, log_histogram_edges(act))
        assert fast.sum() == slow.sum() == len(z) - 1  # the NaN dropped, the rest all counted
        assert np.abs(fast - slow).sum() <= 20  # values within float32 rounding of an edge


def test_device_reductions_equal_the_numpy_statistics(keras):
    """The compiled probe's keras.ops reductions against the numpy reference
    (:mod:`weight_init.keras_tools.statistics`) on a channels-last conv output with dead
    channels, a tanh output with saturated values and a NaN-free kernel and gradient:
    the same numbers to 1e-12 with float64 accumulation (1e-5 with float32, JAX's
    default), the same dead and saturated counts, the equal-width histogram exactly and
    the log-magnitude one within 2 values (a value within float rounding of an edge)."""
    from weight_init.keras_tools.device_statistics import accumulation_dtype, layer_reductions
    from weight_init.keras_tools.statistics import (
        histogram,
        histogram_edges,
        layer_statistics,
        log_histogram,
        log_histogram_edges,
    )

    rng = np.random.default_rng(4)
    z = (rng.normal(size=(8, 6, 6, 5)) * 10.0 ** rng.uniform(-9, 2, (8, 6, 6, 5))).astype(np.float32)
    z[..., 1] = -np.abs(z[..., 1])  # a dead channel
    w = rng.normal(size=(3, 3, 2, 5)).astype(np.float32)
    g = rng.normal(size=w.shape).astype(np.float32) * 1e-3
    acc = accumulation_dtype()
    rtol = 1e-12 if acc == "float64" else 1e-5
    for act, h in (("relu", np.maximum(z, 0)), ("tanh", np.tanh(z * 1e3))):
        lin = histogram_edges(-1.0, 1.0, 7)
        for edges, log_bins, counts in (
            (log_histogram_edges(act), (act, 1e-8, 1e3), log_histogram(h, act)),
            (lin, None, histogram(h, lin)),
        ):
            tensors = [keras.ops.convert_to_tensor(a) for a in (h, z, g, w)]
            red = layer_reductions(*tensors[:2], act, -1, *tensors[2:], edges, log_bins, acc)
            red = {k: keras.ops.convert_to_numpy(v) for k, v in red.items()}
            ref = layer_statistics(h, z, act, kernel=w.astype(np.float64), grad=g, channel_axis=-1)
            mean, h_sq, z_sq, g_sq, w_sq = red["moments"]
            np.testing.assert_allclose(
                [mean, np.sqrt(h_sq), np.sqrt(z_sq), np.sqrt(g_sq), np.sqrt(w_sq)],
                [ref[c] for c in ("act_mean", "act_std", "preact_std", "grad_std", "weight_std")],
                rtol=rtol,
            )
            dead, saturated = red["counts"]
            if act == "relu":
                assert dead / 5 == ref["dead_fraction"] and dead >= 1
            else:
                assert saturated / h.size == ref["saturated_fraction"] and saturated > 0
            if log_bins is None and acc == "float64":
                np.testing.assert_array_equal(red["histogram"], counts)
            else:
                assert red["histogram"].sum() == h.size and np.abs(red["histogram"] - counts).sum() <= 2
