"""TensorBoard event files without TensorFlow in the model code: scalars and histograms.

:class:`EventWriter` writes ``Summary`` protos of the ``tensorboard`` package into an event
file that ``tensorboard --logdir`` and its ``EventAccumulator`` read; it works the same on
every Keras backend. (The ``tensorboard`` package itself uses TensorFlow's file system
layer when TensorFlow is installed and its own stub otherwise; nothing here calls
TensorFlow.)

Scalars are written as ``simple_value`` (float32, as TensorBoard stores them); histograms
as ``HistogramProto`` with the right bin edges in ``bucket_limit`` and the counts in
``bucket``, plus the exact ``min``, ``max``, ``num``, ``sum`` and ``sum_squares`` of the
values.

``tensorboard`` is imported when an :class:`EventWriter` is made (``pip install
tensorboard``).
"""

from __future__ import annotations

import math
import os
import time
from typing import Any

import numpy as np

__all__ = ["EventWriter"]


class EventWriter:
    """An event file in ``log_dir``; :meth:`scalar`, :meth:`histogram`, :meth:`flush`, :meth:`close`.

    Parameters
    ----------
    log_dir : str or os.PathLike
        Created if missing; each writer adds its own ``events.out.tfevents.*`` file.
    """

    def __init__(self, log_dir: str | os.PathLike) -> None:
        from weight_init._optional import require

        require("tensorboard", "tensorboard")
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.event_file_writer import EventFileWriter

        self._event, self._summary = event_pb2, summary_pb2
        self.log_dir = os.fspath(log_dir)
        self._writer = EventFileWriter(self.log_dir, flush_secs=10)

    def _add(self, value: Any, step: int) -> None:
        summary = self._summary.Summary(value=[value])
        self._writer.add_event(self._event.Event(wall_time=time.time(), step=int(step), summary=summary))

    def scalar(self, tag: str, value: float, step: int) -> None:
        """One scalar ``value`` under ``tag`` at ``step``."""
        self._add(self._summary.Summary.Value(tag=tag, simple_value=float(value)), step)

    def histogram(
        self, tag: str, values: Any, step: int, *, edges: Any = None, counts: Any = None, bins: int = 30
    ) -> None:
        """The histogram of ``values`` under ``tag`` at ``step``.

        With ``edges`` and ``counts`` (a histogram already counted, e.g. on fixed bins) those
        are written; otherwise ``bins`` equal bins from the values' min to max. Non-finite
        values are left out.
        """
        v = np.asarray(values, dtype=np.float64).ravel()
        v = v[np.isfinite(v)]
        if counts is None:
            if v.size == 0:
                edges, counts = np.array([0.0, 1.0]), np.zeros(1)
            else:
                low, high = float(v.min()), float(v.max())
                edges = np.linspace(low, high if high > low else low + 1.0, int(bins) + 1)
                counts = np.histogram(v, bins=edges)[0]
        edges = np.asarray(edges, dtype=np.float64)
        proto = self._summary.HistogramProto(
            min=float(v.min()) if v.size else float(edges[0]),
            max=float(v.max()) if v.size else float(edges[-1]),
            num=float(v.size),
            sum=float(v.sum()),
            sum_squares=float(np.dot(v, v)),
            bucket_limit=[float(e) for e in edges[1:]],
            bucket=[float(c) for c in np.asarray(counts).ravel()],
        )
        self._add(self._summary.Summary.Value(tag=tag, histo=proto), step)

    def scalars(self, prefix: str, values: dict, step: int) -> None:
        """``prefix/name`` for every finite value of ``values`` (undefined statistics are skipped)."""
        for name, value in values.items():
            if value is not None and math.isfinite(value):
                self.scalar(f"{prefix}/{name}", value, step)

    def flush(self) -> None:
        """Write everything pending to disk."""
        self._writer.flush()

    def close(self) -> None:
        """Flush and close the file."""
        self._writer.close()
