"""The annealing of the gate scale s inside each epoch (paper Eq. 3)."""

from __future__ import annotations

import tensorflow as tf


def annealed_s(batch_index, batches_per_epoch, s_max: float) -> tf.Tensor:
    """s = 1/s_max + (s_max − 1/s_max)·(b − 1)/(B − 1) for batch b = batch_index + 1 of B.

    The schedule restarts every epoch, as the reference code does; with B = 1, s = s_max.

    Args:
        batch_index: 0-based index of the batch inside its epoch (b − 1).
        batches_per_epoch: B.
        s_max: The largest scale, reached at the last batch.
    """
    progress = tf.cast(batch_index, tf.float32) / tf.cast(
        tf.maximum(batches_per_epoch - 1, 1), tf.float32)
    progress = tf.where(batches_per_epoch > 1, progress, 1.0)
    return 1.0 / s_max + (s_max - 1.0 / s_max) * progress
