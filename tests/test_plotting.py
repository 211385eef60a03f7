"""Notebook plots return figures, never show, and draw what they are given."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from weight_init.experiment import forward_prop  # noqa: E402
from weight_init.plotting import plot_layer_histograms, plot_layer_stats  # noqa: E402


@pytest.fixture(autouse=True)
def no_show(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("plotting functions must not call plt.show()")

    monkeypatch.setattr(plt, "show", fail)
    yield
    plt.close("all")


def test_plot_layer_stats_draws_means_and_stds(tmp_path):
    acts, means, stds = forward_prop([50] * 4, "xavier", seed=0, n_samples=100)
    fig = plot_layer_stats(means, stds, title="xavier")
    ax_mean, ax_std = fig.axes
    assert ax_mean.get_title() == "layer mean" and ax_std.get_title() == "layer std"
    x, y = ax_std.lines[0].get_data()
    assert list(x) == [k + 1 for k in acts.keys()] == [1, 2, 3, 4]  # as the histograms number them
    assert np.allclose(y, stds)
    assert np.allclose(ax_mean.lines[0].get_data()[1], means)
    # the std axis starts at 0 (a std that holds looks flat), the mean axis includes 0
    assert ax_std.get_ylim()[0] == 0 and ax_std.get_ylim()[1] == pytest.approx(1.15 * max(stds))
    lo, hi = ax_mean.get_ylim()
    assert lo <= min(0, min(means)) and hi >= max(0, max(means)) and hi - lo >= 0.2 * max(stds)
    fig.savefig(tmp_path / "stats.png")
    assert plt.imread(tmp_path / "stats.png").ndim == 3


def test_plot_layer_stats_rejects_mismatch():
    with pytest.raises(ValueError, match="equally long"):
        plot_layer_stats([0.0, 0.1], [1.0])


def test_plot_layer_histograms_one_panel_per_layer():
    acts, _, _ = forward_prop([40] * 3, "xavier", seed=0, n_samples=100)
    fig = plot_layer_histograms(acts)
    assert len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes] == ["layer 1", "layer 2", "layer 3"]
    # 30 bins over (-1, 1) holding every value of the layer (tanh outputs lie inside)
    bars = fig.axes[0].patches
    assert len(bars) == 30
    assert sum(b.get_height() for b in bars) == acts[0].size
    assert bars[0].get_x() == pytest.approx(-1.0)
    fig = plot_layer_histograms(acts, bins=10, range=None)
    assert len(fig.axes[0].patches) == 10


def test_plot_layer_histograms_errors():
    with pytest.raises(ValueError, match="empty"):
        plot_layer_histograms({})
    with pytest.raises(ValueError, match="bins must be a positive integer, got 0"):
        plot_layer_histograms({0: np.zeros(3)}, bins=0)


def test_plots_return_a_result_whose_figure_is_reachable(tmp_path, monkeypatch):
    import matplotlib.figure

    from weight_init import plotting as display

    acts, means, stds = forward_prop([20] * 3, "xavier", seed=0, n_samples=50)
    result = plot_layer_stats(means, stds)
    assert isinstance(result, display.PlotResult)
    assert isinstance(result.figure, matplotlib.figure.Figure)
    assert display.as_figure(result) is result.figure and display.as_figure(result.figure) is result.figure
    assert result.axes == result.figure.axes  # attributes pass through to the Figure
    result.suptitle("through the result")
    assert result.figure._suptitle.get_text() == "through the result"
    result.savefig(tmp_path / "r.png")
    assert plt.imread(tmp_path / "r.png").ndim == 3
    assert "2 axes: 'layer mean', 'layer std'" in repr(result)
    # Under Agg pyplot shows nothing by itself, so the result displays its figure (once).
    shown = []
    ipython_display = pytest.importorskip("IPython.display")
    monkeypatch.setattr(ipython_display, "display", lambda obj: shown.append(obj))
    assert not display.pyplot_will_show(result.figure)
    result._ipython_display_()
    assert shown == [result.figure]


def test_std_panels_of_zeros_and_on_a_log_axis_say_what_they_cannot_draw():
    # all zero: a linear axis 0 .. 1 saying so, not one scaled to a tiny epsilon
    fig = plot_layer_stats(np.zeros(3), np.zeros(3))
    ax_std = fig.axes[1]
    assert ax_std.get_ylim() == (0, 1)
    assert [t.get_text() for t in ax_std.texts] == ["all 0"]
    forced = plot_layer_stats(np.zeros(3), np.zeros(3), logy=True).axes[1]  # no log axis of nothing
    assert forced.get_yscale() == "linear" and forced.get_ylim() == (0, 1)
    # a measured 0 on a log axis: a marker at the bottom edge, one per zero
    fig = plot_layer_stats(
        np.zeros(3),
        [1.0, 1e-3, 1e-6],
        grad_stds=[0.0, 0.0, 1.0],
        theory_grad_stds=[1e4, 1e2, 1.0],
        logy="auto",
    )
    ax_grad = fig.axes[2]
    assert ax_grad.get_yscale() == "log"
    zeros = [ln for ln in ax_grad.lines if ln.get_label().startswith("measured 0")]
    assert len(zeros) == 1 and list(zeros[0].get_data()[0]) == [1, 2]
    assert fig.axes[1].get_yscale() == "log"


def test_a_theory_caveat_fades_the_theory_and_says_so():
    fig = plot_layer_stats([0.0, 0.0], [1.0, 1.0], theory_stds=[0.9, 0.9], theory_caveat="constant weights")
    ax_std = fig.axes[1]
    theory = ax_std.lines[1]
    assert theory.get_label() == "theory (does not apply)" and theory.get_alpha() < 1
    title = ax_std.get_legend().get_title().get_text()
    assert title.startswith("theory does not apply here:") and "constant weights" in title
    plain = plot_layer_stats([0.0, 0.0], [1.0, 1.0], theory_stds=[0.9, 0.9])
    assert plain.axes[1].get_legend().get_title().get_text() == ""
