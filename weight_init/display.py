"""What the plotting functions return: a figure that a notebook shows exactly once.

A function that returned the matplotlib ``Figure`` itself was shown twice in Jupyter when
it was a cell's last line: once as the cell's value, once more by the inline backend,
which shows every open pyplot figure when the cell ends. :class:`PlotResult` wraps the
figure instead; it has no image of its own while pyplot is going to show the figure
anyway, and shows it (once) when it is not, e.g. as the last line of a later cell, after
the inline backend has closed it. The ``Figure`` stays at hand for saving:
``result.figure``, and every attribute of the figure (``savefig``, ``axes``,
``suptitle``, ...) is reached through the result.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PlotResult", "as_figure", "NON_INTERACTIVE"]

#: matplotlib backends that draw no window.
NON_INTERACTIVE = {"agg", "cairo", "pdf", "pgf", "ps", "svg", "template"}


class PlotResult:
    """A drawn figure: ``result.figure`` is the matplotlib ``Figure``.

    Attribute access falls through to the figure, so ``result.savefig(path)`` and
    ``result.axes`` work as on the figure itself. In IPython/Jupyter the figure appears
    exactly once whatever the cell ends with: :meth:`_ipython_display_` shows nothing
    while an interactive pyplot backend (the inline one included) still holds the figure
    and will show it at the end of the cell, and shows the figure otherwise.
    """

    __slots__ = ("figure",)

    def __init__(self, figure: Any) -> None:
        object.__setattr__(self, "figure", figure)

    def __getattr__(self, name: str) -> Any:
        if name == "figure":  # not set yet (e.g. while unpickling)
            raise AttributeError(name)
        return getattr(self.figure, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.figure, name, value)

    def __getstate__(self) -> dict:
        return {"figure": self.figure}

    def __setstate__(self, state: dict) -> None:
        object.__setattr__(self, "figure", state["figure"])

    def __repr__(self) -> str:
        w, h = self.figure.get_size_inches()
        titles = [ax.get_title() for ax in self.figure.axes if ax.get_title()]
        shown = ", ".join(repr(t) for t in titles[:4]) + (", ..." if len(titles) > 4 else "")
        return (f"<PlotResult: {w:g}x{h:g} in figure, {len(self.figure.axes)} axes"
                f"{': ' + shown if shown else ''}; .figure is the matplotlib Figure>")

    def _ipython_display_(self) -> None:
        if pyplot_will_show(self.figure):
            return
        from IPython.display import display

        display(self.figure)


def pyplot_will_show(figure: Any) -> bool:
    """True when pyplot holds ``figure`` open and shows figures by itself.

    That is: an interactive backend (a window, Jupyter's inline backend, ipympl) in
    interactive mode (``plt.ion()``, Jupyter's default), and ``figure`` not closed.
    """
    import matplotlib
    from matplotlib._pylab_helpers import Gcf

    if matplotlib.get_backend().lower() in NON_INTERACTIVE or not matplotlib.is_interactive():
        return False
    return any(m.canvas.figure is figure for m in Gcf.get_all_fig_managers())


def as_figure(fig: Any) -> Any:
    """The matplotlib ``Figure`` of a :class:`PlotResult`, or ``fig`` itself."""
    return fig.figure if isinstance(fig, PlotResult) else fig
