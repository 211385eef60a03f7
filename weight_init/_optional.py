"""Import an optional dependency, or fail with one line that says what to install.

``import weight_init`` needs numpy only; plotting needs matplotlib, seaborn and pandas
(the ``plots`` extra), the Keras experiments need Keras with a backend and mlxtend (the
``keras`` extra). The functions that need them call :func:`require` instead of a bare
``import``, so a missing package gives::

    MissingDependencyError: matplotlib is not installed (needed for plotting and tables):
    pip install matplotlib, or from the weight-init checkout: pip install -e ".[plots]"

(one line; wrapped here)

and, in a script, ``prog: error: ...`` (the error is a :class:`weight_init.cli.UserError`).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .cli import UserError

__all__ = ["MissingDependencyError", "require", "EXTRAS"]

#: What each extra of ``pyproject.toml`` is for.
EXTRAS = {"plots": "plotting and tables", "keras": "the Keras experiments",
          "notebook": "the notebooks and weight_init.explore()"}

#: pip's name where it differs from the import name.
_PIP_NAMES = {"jax": '"jax[cpu]"'}


class MissingDependencyError(ModuleNotFoundError, UserError):
    """An optional dependency is not installed; the message says what to install."""


def require(module: str, extra: str) -> ModuleType:
    """``importlib.import_module(module)``, or :class:`MissingDependencyError`.

    Parameters
    ----------
    module : str
        What to import, e.g. ``'matplotlib.pyplot'``, ``'pandas'``, ``'keras'``.
    extra : str
        The ``pyproject.toml`` extra that installs it: ``'plots'``, ``'keras'`` or
        ``'notebook'``.

    Raises
    ------
    MissingDependencyError
        A ``ModuleNotFoundError`` whose one-line message names the missing package
        (the one the import could not find: for ``keras`` that may be its backend,
        e.g. ``tensorflow``) and the pip command that installs it.
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; valid: {', '.join(EXTRAS)}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        missing = (exc.name or module).split(".")[0]
        pip_name = _PIP_NAMES.get(missing, missing)
        raise MissingDependencyError(
            f"{missing} is not installed (needed for {EXTRAS[extra]}): pip install {pip_name}, "
            f'or from the weight-init checkout: pip install -e ".[{extra}]"',
            name=missing,
        ) from None
