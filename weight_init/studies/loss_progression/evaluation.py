"""The loss study's validation after every epoch: every network's logits on the test images
in one inference pass (:func:`evaluate_networks`, in batches of
:func:`default_validation_batch_size`), scored in float64 (:func:`validation_scores`).

Keras is passed in by the caller; this module imports only numpy at import time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from weight_init.studies.loss_progression.precision import computes_on_cpu

__all__ = ["default_validation_batch_size", "validation_scores", "evaluate_networks"]


def default_validation_batch_size(keras: Any) -> int:
    """The validation pass's batch size when none is given: 128 when Keras computes on
    the CPU (measured on this project's 2-core CPU, TensorFlow: about 1.5x the speed of
    batches of 1,000, presumably because a smaller batch's activations stay in the
    caches), 1,000 on an accelerator (fewer calls)."""
    return 128 if computes_on_cpu(keras) else 1000


def validation_scores(logits: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean cross-entropy and accuracy per network from stacked logits.

    ``logits``: ``(n, N, 10)``; ``y``: one-hot ``(n, 10)``. In float64:
    ``loss_k = mean_i [logsumexp(z_ik) - z_ik[label_i]]``,
    ``accuracy_k = mean_i [argmax z_ik == label_i]``.
    """
    z = np.asarray(logits, dtype=np.float64)
    top = z.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(z - top).sum(axis=-1)) + top[..., 0]
    label = np.argmax(y, axis=-1)
    picked = np.take_along_axis(z, label[:, None, None].repeat(z.shape[1], 1), axis=-1)[..., 0]
    loss = (lse - picked).mean(axis=0)
    accuracy = (np.argmax(z, axis=-1) == label[:, None]).mean(axis=0)
    return loss, accuracy


def evaluate_networks(
    model: Any, x: np.ndarray, y: np.ndarray, batch_size: int, n_inputs: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`validation_scores` of every network of a fused model on ``(x, y)``: one
    inference pass in batches of ``batch_size``, the same images to each of the model's
    ``n_inputs`` inputs."""
    logits = [
        np.asarray(model.predict_on_batch([x[i : i + batch_size]] * n_inputs))
        for i in range(0, len(x), batch_size)
    ]
    return validation_scores(np.concatenate(logits), y)
