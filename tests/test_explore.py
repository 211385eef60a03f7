"""The explorer's update function draws the numbers of propagation_stats; the widgets call it."""

import importlib
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import weight_init  # noqa: E402
from weight_init.explorer import explorer_update, scaled_initializer  # noqa: E402
from weight_init.propagation import propagation_stats  # noqa: E402

explore_module = importlib.import_module("weight_init.explorer")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_update_draws_the_measured_and_predicted_stds():
    view = explorer_update("xavier", "tanh", 6, 200, 1.0, 3, n_samples=300)
    expected = propagation_stats([200] * 6, "xavier", activation="tanh", n_samples=300, seed=3)
    for column in ("act_std", "theory_act_std", "grad_std", "theory_grad_std"):
        assert np.array_equal(view.stats[column], expected[column])
    fig = view.plot.figure
    ax_act, ax_grad = fig.axes[:2]
    assert ax_act.get_title().startswith("activation std") and ax_grad.get_title().startswith("gradient std")
    for ax, column in ((ax_act, "act_std"), (ax_grad, "grad_std")):
        (x, measured), (_, theory) = (line.get_data() for line in ax.lines[:2])
        assert list(x) == [1, 2, 3, 4, 5, 6]
        assert np.allclose(measured, expected[column])
        assert np.allclose(theory, expected["theory_" + column])
    # one histogram per layer, holding every activation of that layer
    hists = fig.axes[2:]
    assert [ax.get_title() for ax in hists] == [f"layer {k}" for k in range(1, 7)]
    assert view.layers_shown == [1, 2, 3, 4, 5, 6]
    assert all(sum(b.get_height() for b in ax.patches) == 300 * 200 for ax in hists)


def test_gain_scales_the_weights_and_the_theory():
    # linear + LeCun (Var = 1/fan_in) times gain 2: Var(W) = 4/fan_in, so the std of
    # layer l is 2**l in theory; a 400-wide network is within 10% of it at 5 layers.
    view = explorer_update("lecun_normal", "linear", 5, 400, 2.0, 0, n_samples=400)
    theory = view.stats["theory_act_std"].to_numpy()
    assert np.allclose(theory, 2.0 ** np.arange(1, 6), rtol=1e-6)
    assert np.allclose(view.stats["act_std"], theory, rtol=0.10)
    # gain 0: every weight zero, every activation zero
    zero = explorer_update("he_normal", "relu", 3, 50, 0.0, 0, n_samples=50)
    assert (zero.stats["act_std"] == 0).all()
    W = scaled_initializer("he_normal", 3.0)(1000, 1000, rng=0)
    assert np.std(W) == pytest.approx(3.0 * np.sqrt(2 / 1000), rel=0.02)
    with pytest.raises(ValueError, match="gain must be a finite number >= 0, got -1.0"):
        scaled_initializer("xavier", -1)
    with pytest.raises(ValueError, match="unknown initializer 'bogus'"):
        explorer_update("bogus")


def test_bias_variance_reaches_the_network_and_the_theory():
    view = explorer_update("xavier", "tanh", 4, 200, 1.0, 3, 0.4, n_samples=300)
    expected = propagation_stats([200] * 4, "xavier", activation="tanh", n_samples=300, seed=3, sigma_b2=0.4)
    for column in ("act_std", "theory_act_std", "preact_std", "theory_preact_std"):
        assert np.array_equal(view.stats[column], expected[column])
    plain = explorer_update("xavier", "tanh", 4, 200, 1.0, 3, n_samples=300)
    assert np.all(view.stats["theory_preact_std"] > plain.stats["theory_preact_std"])
    # the histograms are of the biased network's activations
    first = view.plot.figure.axes[2]
    assert sum(b.get_height() for b in first.patches) == 300 * 200


def test_deep_networks_show_ten_spread_histograms_and_redraw_in_place():
    view = explorer_update("he_normal", "relu", 25, 20, 1.0, 0, n_samples=50)
    assert len(view.layers_shown) == 10 and view.layers_shown[0] == 1 and view.layers_shown[-1] == 25
    again = explorer_update("xavier", "tanh", 2, 20, 1.0, 0, n_samples=50, figure=view.plot)
    assert again.plot.figure is view.plot.figure
    assert len(again.plot.figure.axes) == 4  # cleared, then 2 panels + 2 histograms


def test_explore_is_lazy_and_its_widgets_call_the_update(monkeypatch):
    pytest.importorskip("ipywidgets")
    calls = []
    monkeypatch.setattr(explore_module, "explorer_update", lambda **kw: calls.append(kw))
    box = weight_init.explore(depth=4, width=100)
    assert calls[-1] == dict(
        init="xavier", activation="tanh", depth=4, width=100, gain=1.0, seed=0, bias_var=0.0, n_samples=1000
    )
    controls = {w.description: w for row in box.children[:2] for w in row.children}
    assert set(controls) == {"init", "activation", "seed", "depth", "width", "gain", "bias var"}
    assert "he_normal" in controls["init"].options and "relu" in controls["activation"].options
    controls["gain"].value = 2.5
    controls["init"].value = "he_normal"
    assert calls[-1]["gain"] == 2.5 and calls[-1]["init"] == "he_normal"
    assert callable(weight_init.explore)  # the function, also after weight_init.explorer is imported


def test_import_weight_init_imports_no_widgets_or_plotting():
    code = (
        "import sys, weight_init; assert callable(weight_init.explore); "
        "print(sorted(m for m in ('ipywidgets', 'IPython', 'matplotlib', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_explore_takes_any_get_text_and_rejects_bad_values_in_one_line():
    box = weight_init.explore("normal:0.4", "relu", depth=3, width=50)
    dropdown = box.children[0].children[0]
    assert dropdown.value == "normal:0.4" and "he_normal" in dropdown.options
    with pytest.raises(ValueError, match="unknown initializer 'nope'"):
        weight_init.explore("nope")
    with pytest.raises(ValueError, match="unknown activation 'banana'"):
        weight_init.explore("xavier", "banana")
    with pytest.raises(ValueError, match="as text"):
        weight_init.explore(lambda fan_in, fan_out: None)
    plt.close("all")
