"""The cumulative attention a^{≤t} (paper §2.3, under Eq. 2)."""

from __future__ import annotations

from collections.abc import Sequence

import tensorflow as tf

from hat_tf.layers import TaskGate


def cumulative_max(previous: tf.Tensor, current: tf.Tensor) -> tf.Tensor:
    """a^{≤t} = max(a^{≤t−1}, a^t), element-wise; kept real-valued as in the reference."""
    return tf.maximum(previous, current)


def update_cumulative_masks(gates: Sequence[TaskGate], task_id: int, s_max: float) -> None:
    """After task `task_id`: fold its attention at s = s_max into every gate's a^{≤t}."""
    for gate in gates:
        gate.cumulative.assign(cumulative_max(gate.cumulative, gate.attention(task_id, s_max)))
