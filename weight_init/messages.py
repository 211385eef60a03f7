"""Status lines: what the package says while it works, on standard output.

Status is not a warning: JupyterLab shows whatever reaches stderr in a pink box that
looks like an error, and a status line there ("data: ...", "epoch 1/1 done ...") reads as
one. So status goes to stdout, shown as a cell's plain output; real problems remain
``warnings.warn`` (or errors), and a command line's error messages stay on stderr.
"""

from __future__ import annotations

import sys

__all__ = ["say"]


def say(message: str, verbose: bool = True, *, end: str = "\n") -> None:
    """Print ``message`` on ``sys.stdout`` (looked up at each call) and flush, if ``verbose``."""
    if verbose:
        stream = sys.stdout
        stream.write(message + end)
        stream.flush()
