"""Figures of order and chaos: the phase diagram and Jacobian spectra (matplotlib, lazily).

* :func:`plot_phase_diagram`: the ``(sigma_w^2, sigma_b^2)`` plane for tanh and ReLU,
  ``chi_1`` as colour, the critical line ``chi_1 = 1``, contours of the depth scale ``xi_c``
  and the package's named initializers where they sit (Schoenholz et al. 2017, Fig. 1).
* :func:`plot_jacobian_spectra`: singular values of the input-output Jacobian of random
  networks at criticality, Gaussian against orthogonal weights, linear / ReLU / tanh, over
  depths (Pennington, Schoenholz & Ganguli 2017, Fig. 2).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from weight_init.initializers import get, weight_variance
from weight_init.theory import chi1, critical_sigma_w2, depth_scales, jacobian_singular_values

__all__ = ["named_points", "plot_phase_diagram", "plot_jacobian_spectra", "JACOBIAN_CASES"]

#: Activation, its critical (sigma_w^2, sigma_b^2) and a label, for the spectra figure. tanh
#: sits on the critical line at sigma_b^2 = 1e-5 (q* = 0.020), where its derivative barely
#: varies: mu_2 / mu_1^2 - 1 = 0.0028.
JACOBIAN_CASES = (
    ("linear", 1.0, 0.0, "linear, $\\sigma_w^2 = 1$"),
    ("relu", 2.0, 0.0, "ReLU, $\\sigma_w^2 = 2$"),
    ("tanh", None, 1e-5, "tanh, critical at $\\sigma_b^2 = 10^{-5}$"),
)


def named_points(width: int = 500) -> dict[str, float]:
    """``sigma_w^2 = fan_in * Var(W)`` of the named initializers for square layers of ``width``.

    Xavier (Glorot) ``1``, He ``2``, the notebook's ``small_random`` (``0.01 randn``)
    ``width * 1e-4`` and ``big_random`` (``randn``) ``width``; none has a bias.
    """
    names = {
        "Xavier": "glorot_normal",
        "He": "he_normal",
        "small random": "small_random",
        "big random": "big_random",
    }
    return {label: width * weight_variance(get(name), width, width) for label, name in names.items()}


def _phase_panel(
    ax, activation: str, sw_max: float, sb_max: float, n_colour: int, n_contour: int, width: int
):
    from matplotlib.colors import TwoSlopeNorm

    sw = np.linspace(sw_max / n_colour, sw_max, n_colour)
    sb = np.linspace(0.0, sb_max, n_colour)
    chi = chi1(activation, sw[None, :], sb[:, None])
    norm = TwoSlopeNorm(vmin=0.0, vcenter=1.0, vmax=max(2.0, float(np.nanmax(chi))))
    mesh = ax.pcolormesh(sw, sb, chi, cmap="RdBu_r", norm=norm, shading="auto", rasterized=True)
    # xi_c contours on a coarser grid (the correlation's fixed point is a 2-D integral).
    swc = np.linspace(sw_max / n_contour, sw_max, n_contour)
    # From just above sigma_b^2 = 0, where q* = 0 makes the network linear (xi_c = inf).
    n_sb = max(n_contour * 2 // 3, 4)
    sbc = np.linspace(sb_max / (2 * n_sb), sb_max, n_sb)
    xi = depth_scales(activation, swc[None, :], sbc[:, None]).xi_c
    levels = [2, 5, 10, 20, 50]
    cs = ax.contour(swc, sbc, np.where(np.isfinite(xi), xi, 1e3), levels=levels, colors="k", linewidths=0.8)
    ax.clabel(cs, fmt=lambda v: f"$\\xi_c$={v:g}", fontsize=7)
    if activation == "relu":
        ax.text(
            0.75 * sw_max,
            0.55 * sb_max,
            "$\\sigma_w^2 > 2$: the length diverges;\ncorrelations follow $c' = 2k(c)$\n"
            "(arc-cosine kernel): $\\xi_c = \\infty$",
            ha="center",
            fontsize=8,
            bbox=dict(fc="w", alpha=0.8, lw=0),
        )
    line_sb = np.linspace(0.0, sb_max, 60)
    line_sw = critical_sigma_w2(activation, line_sb)
    ax.plot(line_sw, line_sb, color="gold", lw=2.5, label="critical line $\\chi_1 = 1$")
    for label, s2 in named_points(width).items():
        if s2 <= sw_max:
            ax.plot([s2], [0.0], "o", ms=8, mec="k", mfc="w", clip_on=False, zorder=5)
            ax.annotate(
                label,
                (s2, 0.0),
                xytext=(4, 12),
                textcoords="offset points",
                fontsize=8,
                bbox=dict(fc="w", alpha=0.7, lw=0, pad=1),
            )
        else:
            ax.annotate(
                f"{label} ($\\sigma_w^2$ = {s2:g}) $\\rightarrow$",
                (sw_max, 0.0),
                xytext=(-4, 8),
                textcoords="offset points",
                ha="right",
                fontsize=8,
            )
    ax.set_xlim(0, sw_max)
    ax.set_ylim(0, sb_max)
    ax.set_xlabel("$\\sigma_w^2$ = fan_in $\\times$ Var(W)")
    ax.set_ylabel("$\\sigma_b^2$ = Var(b)")
    ax.set_title(f"{activation}: ordered ($\\chi_1 < 1$, blue) | chaotic ($\\chi_1 > 1$, red)")
    ax.legend(loc="upper left", fontsize=8)
    return mesh


def plot_phase_diagram(
    activations: Sequence[str] = ("tanh", "relu"),
    *,
    sw_max: float = 4.0,
    sb_max: float = 0.5,
    n_colour: int = 200,
    n_contour: int = 120,
    width: int = 500,
    figsize: tuple[float, float] = (13, 5),
):
    """The order-to-chaos phase diagram of each activation (Schoenholz et al. 2017, Fig. 1).

    ``chi_1`` on an ``n_colour x n_colour`` grid (colour, with a colour bar centred at 1),
    the critical line from :func:`weight_init.theory.critical_sigma_w2`, contours of
    ``xi_c`` (:func:`weight_init.theory.depth_scales`, on a coarser ``n_contour`` grid) and
    :func:`named_points` on the ``sigma_b^2 = 0`` axis.

    Returns
    -------
    PlotResult
    """
    from weight_init.plotting import PlotResult, pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, len(activations), figsize=figsize, squeeze=False)
    for ax, act in zip(axes[0], activations):
        mesh = _phase_panel(ax, act, sw_max, sb_max, n_colour, n_contour, width)
        fig.colorbar(mesh, ax=ax, label="$\\chi_1$ (gradient growth per layer)")
    fig.suptitle(
        "Order and chaos: $\\chi_1$ (colour), the critical line, depth scale $\\xi_c$ (contours), "
        f"named initializers (width {width}, no bias)"
    )
    fig.tight_layout()
    return PlotResult(fig)


def plot_jacobian_spectra(
    *,
    depths: Sequence[int] = (1, 4, 16, 64),
    width: int = 200,
    seed: int = 0,
    figsize: tuple[float, float] = (14, 7),
):
    """Singular values of the input-output Jacobian: Gaussian vs orthogonal weights.

    Rows: Gaussian (``glorot_normal``) and orthogonal weights; columns: the
    :data:`JACOBIAN_CASES` at criticality (``chi_1 = 1``). Each panel overlays the
    histograms (log axis) of one network's singular values per depth, with the measured and
    predicted ``Var[s^2]`` (:func:`weight_init.theory.jacobian_singular_values`) in the legend.

    Returns
    -------
    PlotResult
    """
    from weight_init.plotting import PlotResult, pyplot

    plt = pyplot()
    fig, axes = plt.subplots(2, len(JACOBIAN_CASES), figsize=figsize, sharex=True, squeeze=False)
    bins = np.logspace(-6, 2, 65)
    for row, (init, init_label) in enumerate([("glorot_normal", "Gaussian"), ("orthogonal", "orthogonal")]):
        for col, (act, sw, sb, label) in enumerate(JACOBIAN_CASES):
            ax = axes[row, col]
            sw = critical_sigma_w2(act, sb) if sw is None else sw
            top = 1.0
            for k, depth in enumerate(depths):
                r = jacobian_singular_values(
                    depth=depth,
                    width=width,
                    init=init,
                    activation=act,
                    sigma_w2=sw,
                    sigma_b2=sb,
                    seed=seed + k,
                )
                s = np.clip(r.singular_values, bins[0], bins[-1])
                counts, _ = np.histogram(s, bins=bins)
                top = max(top, float(counts[1:].max()))
                ax.hist(
                    s,
                    bins=bins,
                    histtype="step",
                    lw=1.6,
                    color=f"C{k}",
                    label=f"L={depth}: Var[$s^2$] {r.var_sq:.3g} (theory {r.predicted_var_sq:.3g})",
                )
            ax.set_xscale("log")
            ax.set_ylim(0, 1.15 * top)  # the first bin (zeros of ReLU, s < 1e-6) may run off the top
            ax.axvline(1.0, color="0.6", lw=0.8, ls=":")
            ax.set_title(f"{init_label} weights, {label}", fontsize=10)
            ax.legend(fontsize=7, loc="upper left")
            if row == 1:
                ax.set_xlabel("singular value $s$ of the input-output Jacobian")
            if col == 0:
                ax.set_ylabel(f"count (of {width})")
    fig.suptitle(
        "Dynamical isometry: orthogonal tanh keeps the spectrum at 1 at every depth; "
        f"Gaussian weights and ReLU spread it\n(width {width}, one network per depth; "
        "$s < 10^{-6}$, e.g. ReLU's dead directions, in the first bin)"
    )
    fig.tight_layout()
    return PlotResult(fig)
