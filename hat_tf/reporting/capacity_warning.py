"""A warning when a gated layer runs out of free units (paper §4.4: capacity)."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from hat_tf.hat.capacity_stats import newly_over
from hat_tf.hat.mask_snapshot import NETWORK, MaskSnapshot
from hat_tf.reporting.repeated_warning import RepeatedWarning
from hat_tf.training.observer import RunObserver

CAPACITY_WARNING_ABOVE = 0.9


class CapacityWarning(RunObserver):
    """Warns when layers' cumulative capacity, the share of units with a^{≤t} > 0.5, first
    passes `threshold`: Eq. 2 closes those units to later tasks' updates, so later tasks
    can only reuse them. Each layer is named once, after the task where it passed; the
    layers that pass after the same task share one line; the first line says it in full,
    later ones briefly (`RepeatedWarning`, TensorBoard text `capacity/warning` at step =
    tasks trained); the run's end sums them up.

    Args:
        s_max: Gate scale at evaluation, to read the masks at.
        threshold: Fraction of units (default 0.9).
        log: Where the warning lines go.
        writer: A summary writer (the run's TensorBoard log dir), or None.
    """

    def __init__(self, s_max: float, threshold: float = CAPACITY_WARNING_ABOVE,
                 log: Callable[[str], None] = print,
                 writer: tf.summary.SummaryWriter | None = None):
        self.s_max = s_max
        self.threshold = threshold
        self.log = log
        self.warning = RepeatedWarning("capacity/warning", log, writer)
        self.cumulative: dict[str, float] = {}
        self.over: list[str] = []

    def on_task_end(self, task_id, model, results):
        snapshot = MaskSnapshot.read(model.method.graph.gates, task_id + 1, self.s_max)
        cumulative = {name: row.cumulative for name, row in snapshot.capacity().items()}
        layers = newly_over(self.cumulative, cumulative, self.threshold)
        self.cumulative = cumulative
        if not layers:
            return
        self.over += layers
        names = results["task_names"]
        used = ", ".join(
            f"{'the network' if layer == NETWORK else layer} {100 * cumulative[layer]:.1f} %"
            for layer in layers)
        after = f"after task {task_id + 1}/{len(names)} ({names[task_id]})"
        full = (f"warning: {after} over {100 * self.threshold:.0f} % of the units are used "
                f"(a^<=t > 0.5) in: {used}; later tasks can barely change them; a larger "
                "capacity weight c (Eq. 5) or width leaves more room")
        brief = f"warning: {after} also over {100 * self.threshold:.0f} % used: {used}"
        self.warning.say(task_id + 1, full, brief)

    def on_run_end(self, model, results):
        if self.over:
            self.log(f"warnings: over {100 * self.threshold:.0f} % of the units used at the "
                     f"end in {len(self.over)} of {len(self.cumulative)} (layers and the "
                     f"network): {', '.join(self.over)}")
