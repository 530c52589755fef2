"""A warning when a gated layer runs out of free units (paper §4.4: capacity)."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from hat_tf.hat.capacity_stats import newly_over
from hat_tf.hat.mask_snapshot import NETWORK, MaskSnapshot
from hat_tf.training.observer import RunObserver

CAPACITY_WARNING_ABOVE = 0.9


class CapacityWarning(RunObserver):
    """Warns once per layer when its cumulative capacity, the share of units with
    a^{≤t} > 0.5, first passes `threshold`: Eq. 2 closes those units to later tasks'
    updates, so later tasks can only reuse them. The warning is logged and, given a
    writer, written as TensorBoard text `capacity/warning` at step = tasks trained.

    Args:
        s_max: Gate scale at evaluation, to read the masks at.
        threshold: Fraction of units (default 0.9).
        log: Where the warning line goes.
        writer: A summary writer (the run's TensorBoard log dir), or None.
    """

    def __init__(self, s_max: float, threshold: float = CAPACITY_WARNING_ABOVE,
                 log: Callable[[str], None] = print,
                 writer: tf.summary.SummaryWriter | None = None):
        self.s_max = s_max
        self.threshold = threshold
        self.log = log
        self.writer = writer
        self.cumulative: dict[str, float] = {}

    def on_task_end(self, task_id, model, results):
        snapshot = MaskSnapshot.read(model.method.graph.gates, task_id + 1, self.s_max)
        cumulative = {name: row.cumulative for name, row in snapshot.capacity().items()}
        names = results["task_names"]
        for layer in newly_over(self.cumulative, cumulative, self.threshold):
            where = "the network's gated units" if layer == NETWORK else f"layer {layer}"
            message = (
                f"warning: after task {task_id + 1}/{len(names)} ({names[task_id]}) "
                f"{100 * cumulative[layer]:.1f} % of {where} are used (a^<=t > 0.5), over "
                f"{100 * self.threshold:.0f} %: later tasks can barely change them; a larger "
                f"capacity weight c (Eq. 5) or width leaves more room")
            self.log(message)
            if self.writer is not None:
                with self.writer.as_default(step=task_id + 1):
                    tf.summary.text("capacity/warning", message)
                self.writer.flush()
        self.cumulative = cumulative
