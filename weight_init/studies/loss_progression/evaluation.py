"""The loss study's validation after every epoch: every network's logits on the test images
in one inference pass (:func:`evaluate_networks`, in batches of
:func:`default_validation_batch_size`), scored in float64 (:func:`weight_init.studies.fused.validation_scores`, shared with
the other training study).

Keras is passed in by the caller; this module imports only numpy at import time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.studies.fused import validation_scores
from weight_init.studies.loss_progression.precision import computes_on_cpu

__all__ = ["default_validation_batch_size", "evaluate_networks"]


def default_validation_batch_size(keras: Any) -> int:
    """The validation pass's batch size when none is given: 128 when Keras computes on
    the CPU (measured on this project's 2-core CPU, TensorFlow: about 1.5x the speed of
    batches of 1,000, presumably because a smaller batch's activations stay in the
    caches), 1,000 on an accelerator (fewer calls)."""
    return 128 if computes_on_cpu(keras) else 1000


def evaluate_networks(
    model: Any, x: np.ndarray, y: np.ndarray, batch_size: int, n_inputs: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~weight_init.studies.fused.validation_scores` of every network of a fused model on ``(x, y)``: one
    inference pass in batches of ``batch_size``, the same images to each of the model's
    ``n_inputs`` inputs."""
    logits = [
        np.asarray(model.predict_on_batch([x[i : i + batch_size]] * n_inputs))
        for i in range(0, len(x), batch_size)
    ]
    return validation_scores(np.concatenate(logits), y)
