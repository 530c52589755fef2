"""How much of the network the tasks' masks use, and how much they share (paper §4.4).

Pure NumPy: the masks come in as arrays of gate values, read from the gates elsewhere.
A unit is *used* by a mask where its gate value exceeds 0.5 (docs/algorithm.md §11: capacity).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

USED_ABOVE = 0.5


def used_units(attention: np.ndarray, threshold: float = USED_ABOVE) -> np.ndarray:
    """The binary mask of the units a mask uses: a > threshold, element-wise."""
    return np.asarray(attention) > threshold


def capacity_used(attention: np.ndarray | Sequence[np.ndarray],
                  threshold: float = USED_ABOVE) -> float:
    """The fraction of units with a > threshold (docs/algorithm.md §11).

    Of a^t: the share of a layer that task t uses. Of a^{≤t}: the share that tasks 1..t
    use together, closed to later tasks' updates by Eq. 2. A sequence of arrays (several
    layers) counts every unit of all of them once.
    """
    flat = flattened(attention)
    if flat.size == 0:
        raise ValueError("capacity of an empty mask: received no units")
    return float(np.mean(used_units(flat, threshold)))


def reuse_matrix(task_attention: np.ndarray, threshold: float = USED_ABOVE) -> np.ndarray:
    """Reuse between tasks: entry [i, j] is the fraction of task j's units that task i's
    mask uses too, |m_i ∧ m_j| / |m_j| (after the paper's Fig. 6).

    The diagonal is 1; a row i < j shows how much task j builds on task i's units. The
    paper's Fig. 6 counts weights (a weight is used where both its units are); this counts
    the units of one layer, or of all layers when their masks are concatenated.

    Args:
        task_attention: (tasks, units) gate values a^τ, one row per task.
        threshold: A unit is in a mask where its value exceeds this.

    Returns:
        (tasks, tasks) fractions; NaN in the columns of tasks whose mask is empty.
    """
    masks = used_units(task_attention, threshold).astype(np.float64)
    if masks.ndim != 2:
        raise ValueError(f"task_attention must be (tasks, units), received shape {masks.shape}")
    shared = masks @ masks.T  # [i, j] = |m_i ∧ m_j|
    sizes = masks.sum(axis=1)  # |m_j|
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sizes[None, :] > 0, shared / sizes[None, :], np.nan)


def newly_over(before: Mapping[str, float], after: Mapping[str, float],
               threshold: float) -> list[str]:
    """The names whose value exceeds `threshold` in `after` but did not in `before`
    (a missing name counts as 0): the layers whose capacity has just passed it."""
    return [name for name, value in after.items()
            if value > threshold and before.get(name, 0.0) <= threshold]


def flattened(values: np.ndarray | Sequence[np.ndarray]) -> np.ndarray:
    """One array, or a sequence of them (several layers), as one flat array of all units."""
    if isinstance(values, (list, tuple)):
        return np.concatenate([np.ravel(v) for v in values])
    return np.ravel(values)
