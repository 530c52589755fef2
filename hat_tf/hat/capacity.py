"""The capacity regulariser (paper Eq. 5)."""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf


def capacity_regulariser(current: Sequence[tf.Tensor], previous: Sequence[tf.Tensor]) -> tf.Tensor:
    """R = Σ_l Σ_i a^t_{l,i}(1 − a^{<t}_{l,i}) / Σ_l Σ_i (1 − a^{<t}_{l,i})  (paper Eq. 5).

    Only units that earlier tasks left free cost capacity; for the first task (a^{<1} = 0)
    R is the mean gate value.

    Args:
        current: Per gated layer, a^t at the current s (N_l,).
        previous: Per gated layer, a^{<t}, the cumulative attention of earlier tasks (N_l,).
    """
    free = [1.0 - p for p in previous]
    used = tf.add_n([tf.reduce_sum(a * f) for a, f in zip(current, free)])
    # No free unit left means nothing to pay for: 0 rather than 0/0.
    return tf.math.divide_no_nan(used, tf.add_n([tf.reduce_sum(f) for f in free]))
