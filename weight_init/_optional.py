"""Import an optional dependency, or fail with one line that says what to install.

``import weight_init`` needs numpy only; plotting needs matplotlib, seaborn and pandas
(the ``plots`` extra), the Keras experiments need Keras with a backend and mlxtend (the
``keras`` extra). The functions that need them call :func:`require` instead of a bare
``import``, so a missing package gives::

    MissingDependencyError: matplotlib is not installed (needed for plotting and tables):
    pip install matplotlib, or from the weight-init checkout: pip install -e ".[plots]"

(one line; wrapped here)

and, in a script, ``prog: error: ...`` (the error is a :class:`weight_init.cli.common.UserError`).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys
from types import ModuleType
from typing import Any

__all__ = [
    "UserError",
    "MissingDependencyError",
    "require",
    "import_keras",
    "quiet_tensorflow",
    "quiet_retracing",
    "EXTRAS",
]

#: What each extra of ``pyproject.toml`` is for.
EXTRAS = {
    "plots": "plotting and tables",
    "keras": "the Keras experiments",
    "notebook": "the notebooks and weight_init.explore()",
    "tensorboard": "TensorBoard logs of LayerStatsCallback",
}

#: pip's name where it differs from the import name.
_PIP_NAMES = {"jax": '"jax[cpu]"'}


class UserError(Exception):
    """A mistake of the user's (a bad flag value, a missing file): one line, exit 2."""


def quiet_tensorflow() -> None:
    """Silence TensorFlow's start-up log noise; call before Keras/TensorFlow import.

    Sets ``TF_CPP_MIN_LOG_LEVEL=3`` (C++ info and warnings) unless the user set it.
    Messages that TensorFlow's C++ side writes while it loads (the CUDA probe, absl's
    "All log messages before absl::InitializeLog()") ignore that variable; use
    :func:`import_keras`, which also hides the process's stderr during the import.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")


class _DropRetracing(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


class quiet_retracing(contextlib.ContextDecorator):
    """Drop TensorFlow's "triggered tf.function retracing" warning while this is active.

    A context manager and a decorator. Why it is right to silence it: a study builds new
    Keras models on every call (seeded, so that a call's numbers never depend on an
    earlier one) and each new model traces its predict/train function once per input
    shape. TensorFlow counts traces per Python function *code*, across all models, so
    calling the same study twice in a process (a notebook cell run again) looks to it like
    excessive retracing of one function, and it warns, though nothing is traced more than
    a fresh model must be. Only that message of the ``tensorflow`` logger is dropped, only
    during the call; any other warning passes. On JAX and torch it does nothing.
    """

    def __init__(self) -> None:
        self._filters: list[logging.Filter] = []  # one per active call (re-entrant)

    def __enter__(self) -> quiet_retracing:
        self._filters.append(_DropRetracing())
        logging.getLogger("tensorflow").addFilter(self._filters[-1])
        return self

    def __exit__(self, *exc: object) -> None:
        logging.getLogger("tensorflow").removeFilter(self._filters.pop())


def import_keras() -> Any:
    """``import keras`` without TensorFlow's start-up log noise on stderr.

    File descriptor 2 points at ``/dev/null`` during the import only (the noise comes
    from C++ and bypasses Python's ``sys.stderr``); an import error is still raised.
    Works with any ``KERAS_BACKEND``. Keras or its backend not installed: a one-line
    :class:`weight_init._optional.MissingDependencyError` naming what to install.
    """
    if "keras" in sys.modules:
        return sys.modules["keras"]
    quiet_tensorflow()
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some notebook front-ends)
        return require("keras", "keras")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        keras = require("keras", "keras")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return keras


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
