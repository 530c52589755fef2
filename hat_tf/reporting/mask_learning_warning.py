"""A warning when a task's masks did not learn: its gates stayed at their random start
(docs/algorithm.md §11, "Mask learning")."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from hat_tf.hat.mask_snapshot import NETWORK
from hat_tf.reporting.repeated_warning import RepeatedWarning
from hat_tf.training.observer import RunObserver

# Measured on digits (network row of the record, AlexNet-HAT, default settings unless
# named): the default run (45-172 epochs of 5 steps per task), whose masks stay random
# halves (own mask 47-50 %), switched 3.0-4.5 % of its units per task, about what an
# undirected drift of its embeddings (moved 0.04-0.11) gives. Runs whose masks did shrink
# switched more: --batch-size 8 (8x the steps) 9.3 % and 16.5 % (own mask 40 %, 35 %);
# --width 0.125 10-19 %; both together 21-24 % (own mask 29-30 %). 7 % lies between the
# default run's highest share and the lowest of the runs that learned.
STAYED_RANDOM_BELOW = 0.07


class MaskLearningWarning(RunObserver):
    """Warns after a task when fewer than `threshold` of the network's gated units
    switched on ↔ off during it (results' `mask_learning`): its mask is then still where
    its embeddings started (with the paper's N(0, 1) start, a random half of the units:
    σ(s_max·e) > 0.5 where e > 0), not one the capacity regulariser (paper Eq. 5) shaped.
    The first warning is said in full, later ones briefly (`RepeatedWarning`, TensorBoard
    text `masks/warning` at step = tasks trained); the run's end sums them up. Runs without
    the record (methods other than HAT) get none.

    Args:
        threshold: Share of the network's gated units (default `STAYED_RANDOM_BELOW`).
        log: Where the warning lines go.
        writer: A summary writer (the run's TensorBoard log dir), or None.
    """

    def __init__(self, threshold: float = STAYED_RANDOM_BELOW,
                 log: Callable[[str], None] = print,
                 writer: tf.summary.SummaryWriter | None = None):
        self.threshold = threshold
        self.log = log
        self.warning = RepeatedWarning("masks/warning", log, writer)
        self.tasks_warned: list[int] = []

    def on_task_end(self, task_id, model, results):
        if "mask_learning" not in results:
            return
        network = results["mask_learning"][task_id][NETWORK]
        if network["switched"] >= self.threshold:
            return
        names = results["task_names"]
        after = f"after task {task_id + 1}/{len(names)} ({names[task_id]})"
        switched = f"{100 * network['switched']:.1f} %"
        full = (
            f"warning: {after} the gates stayed near their start: they switched {switched} "
            f"of the units (under {100 * self.threshold:.0f} %), the embeddings moved "
            f"{network['moved']:.2f} on average, and the task's mask covers "
            f"{100 * network['capacity']:.1f} % of the units, about as many as it started "
            f"with (a random half with the paper's N(0, 1) start); too few steps for HAT at "
            f"this budget ({results['epochs_per_task'][task_id]} epochs): more epochs, more "
            "data, a smaller batch or a narrower network give the masks steps to learn")
        brief = (f"warning: {after} the gates again stayed near their start (switched "
                 f"{switched}, mask {100 * network['capacity']:.1f} % of the units)")
        self.warning.say(task_id + 1, full, brief)
        self.tasks_warned.append(task_id)

    def on_run_end(self, model, results):
        if self.tasks_warned:
            tasks = ", ".join(str(t + 1) for t in self.tasks_warned)
            self.log(f"warnings: the masks of {len(self.tasks_warned)} of "
                     f"{len(results['task_names'])} tasks stayed near their start "
                     f"(task {tasks}); the first warning says why")
