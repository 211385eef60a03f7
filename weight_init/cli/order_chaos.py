"""Draw the order-and-chaos figures: the phase diagram or the Jacobian spectra.

Examples:
  python -m weight_init.cli.order_chaos --figure phase --output phase-diagram.png
  python -m weight_init.cli.order_chaos --figure jacobian --width 400 --depths 1 8 64 --no-show
"""

from __future__ import annotations

import sys
import time

from weight_init.cli.common import add_figure_args, finish_figure, make_parser, positive_int, run

__all__ = ["main", "cli"]

NAMES = {"phase": "phase-diagram.png", "jacobian": "jacobian-spectra.png"}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(
        "Order and chaos in random networks (numpy theory, matplotlib figure): the "
        "(sigma_w^2, sigma_b^2) phase diagram of tanh and ReLU, or the singular values of the "
        "input-output Jacobian for Gaussian vs orthogonal weights.",
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--figure", choices=sorted(NAMES), default="phase", help="which figure to draw")
    parser.add_argument("--grid", type=positive_int, default=200, help="phase: colour grid points per axis")
    parser.add_argument(
        "--contour-grid",
        type=positive_int,
        default=120,
        help="phase: grid points per axis for the xi_c contours",
    )
    parser.add_argument("--width", type=positive_int, default=200, help="jacobian: width of every layer")
    parser.add_argument(
        "--depths", type=positive_int, nargs="+", default=[1, 4, 16, 64], help="jacobian: depths to overlay"
    )
    parser.add_argument("--seed", type=int, default=0, help="jacobian: seed of the first network")
    add_figure_args(parser, NAMES["phase"])
    args = parser.parse_args(argv)

    from weight_init.chaos_plots import plot_jacobian_spectra, plot_phase_diagram

    start = time.perf_counter()
    print(f"drawing the {args.figure} figure ...", file=sys.stderr)
    if args.figure == "phase":
        fig = plot_phase_diagram(n_colour=args.grid, n_contour=args.contour_grid)
    else:
        fig = plot_jacobian_spectra(depths=args.depths, width=args.width, seed=args.seed)
    print(f"computed in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    finish_figure(fig, args.output, args.no_show, NAMES[args.figure])
    return 0


def cli() -> int:
    """Console entry point: :func:`main` with a user's mistake as one line and exit 2."""
    return run(main)


if __name__ == "__main__":
    sys.exit(cli())
