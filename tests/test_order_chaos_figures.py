"""The order-and-chaos figures: the plot functions and their script, at small sizes."""

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from weight_init.chaos_plots import named_points, plot_jacobian_spectra, plot_phase_diagram  # noqa: E402
from weight_init.cli import order_chaos  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_named_points_are_fan_in_times_the_variance():
    pts = named_points(500)
    assert pts["Xavier"] == pytest.approx(1.0) and pts["He"] == pytest.approx(2.0)
    assert pts["small random"] == pytest.approx(500 * 0.01**2) and pts["big random"] == pytest.approx(500.0)


def test_phase_diagram_has_a_panel_and_colour_bar_per_activation():
    res = plot_phase_diagram(n_colour=12, n_contour=6)
    titles = [ax.get_title() for ax in res.figure.axes]
    assert sum(t.startswith("tanh") for t in titles) == 1 and sum(t.startswith("relu") for t in titles) == 1
    assert len(res.figure.axes) == 4  # two panels, two colour bars


def test_jacobian_spectra_panels_and_legends():
    res = plot_jacobian_spectra(depths=(1, 2), width=8)
    panels = [ax for ax in res.figure.axes if ax.get_legend() is not None]
    assert len(panels) == 6
    assert all(len(ax.get_legend().get_texts()) == 2 for ax in panels)


def test_script_writes_the_figure_and_rejects_bad_flags(tmp_path, capsys):
    out = tmp_path / "spectra.png"
    assert (
        order_chaos.main(["--figure", "jacobian", "--width", "6", "--depths", "1", "2", "--output", str(out)])
        == 0
    )
    assert out.stat().st_size > 0 and plt.imread(out).ndim == 3
    proc = subprocess.run(
        [sys.executable, "-m", "weight_init.cli.order_chaos", "--figure", "nope"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "invalid choice" in proc.stderr
