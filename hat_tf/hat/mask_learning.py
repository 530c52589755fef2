"""Whether a task's masks learned (docs/algorithm.md §11, "Mask learning": ours, not the paper's).

Pure NumPy, on a gated layer's embedding row e^t of task t at the task's start and at its
end. The start row is still its initial value: no earlier task changes another task's row
(docs/algorithm.md §5). A gate is *on* where a = σ(s_max·e) > 0.5 (paper Eq. 1 at
evaluation; the threshold of `capacity_stats`), so from the default N(0, 1) start
(`--embedding-init normal`) an untrained mask is a random half of the units. A mask that
learned has moved its embeddings, switched gates on or off (the capacity regulariser of
Eq. 5 turns unneeded ones off) and pushed some embeddings to the ±clip bound (paper §2.5).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from hat_tf.hat.capacity_stats import flattened, used_units

# One layer's embedding row (units,), or several layers' rows (their units counted once).
Rows = np.ndarray | Sequence[np.ndarray]


def gate_values(embedding: np.ndarray, s: float) -> np.ndarray:
    """a = σ(s·e) (paper Eq. 1), in a form that does not overflow for large s·|e|."""
    return 0.5 * (1.0 + np.tanh(0.5 * s * np.asarray(embedding, np.float64)))


def embedding_moved(start: Rows, end: Rows) -> float:
    """How far the embeddings moved during the task: the mean of |e_end − e_start| over
    the units (of all layers given, each unit counted once)."""
    return float(np.mean(np.abs(flattened(end) - flattened(start))))


def switched_share(start: Rows, end: Rows, s_max: float) -> float:
    """The share of units whose gate switched on ↔ off during the task: σ(s_max·e) > 0.5
    at the start but not at the end, or the other way round."""
    was_on = used_units(gate_values(flattened(start), s_max))
    is_on = used_units(gate_values(flattened(end), s_max))
    return float(np.mean(was_on != is_on))


def clamped_share(end: Rows, clip: float) -> float:
    """The share of units whose embedding ends at the ±clip bound (paper §2.5: the
    embeddings are clipped to [−clip, clip] after every step)."""
    return float(np.mean(np.abs(flattened(end)) >= clip))


def mask_learning(start: Rows, end: Rows, s_max: float, clip: float) -> dict[str, float]:
    """`moved`, `switched` and `at_clamp` (see the functions above) of one layer's task
    row, or of several layers' rows together."""
    return {"moved": embedding_moved(start, end),
            "switched": switched_share(start, end, s_max),
            "at_clamp": clamped_share(end, clip)}
