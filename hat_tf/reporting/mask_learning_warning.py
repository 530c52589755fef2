"""A warning when a task's masks did not learn: its gates stayed at their random start
(docs/algorithm.md §11, "Mask learning")."""

from __future__ import annotations

from collections.abc import Callable

import tensorflow as tf

from hat_tf.hat.mask_snapshot import NETWORK
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
    switched on ↔ off during it (results' `mask_learning`): its mask is then still the
    random half of the units that its N(0, 1) embeddings started as (σ(s_max·e) > 0.5
    where e > 0), not one the capacity regulariser (paper Eq. 5) shaped. The warning is
    logged and, given a writer, written as TensorBoard text `masks/warning` at
    step = tasks trained. Runs without the record (methods other than HAT) get none.

    Args:
        threshold: Share of the network's gated units (default `STAYED_RANDOM_BELOW`).
        log: Where the warning line goes.
        writer: A summary writer (the run's TensorBoard log dir), or None.
    """

    def __init__(self, threshold: float = STAYED_RANDOM_BELOW,
                 log: Callable[[str], None] = print,
                 writer: tf.summary.SummaryWriter | None = None):
        self.threshold = threshold
        self.log = log
        self.writer = writer

    def on_task_end(self, task_id, model, results):
        if "mask_learning" not in results:
            return
        network = results["mask_learning"][task_id][NETWORK]
        if network["switched"] >= self.threshold:
            return
        names = results["task_names"]
        message = (
            f"warning: after task {task_id + 1}/{len(names)} ({names[task_id]}) the gates "
            f"stayed near their random start: they switched {100 * network['switched']:.1f} % "
            f"of the units (under {100 * self.threshold:.0f} %), the embeddings moved "
            f"{network['moved']:.2f} on average, and the task's mask still covers "
            f"{100 * network['capacity']:.1f} % of the units, about the random half it "
            f"started as; too few steps for HAT at this budget "
            f"({results['epochs_per_task'][task_id]} epochs): more epochs, more data or a "
            "smaller batch give the masks steps to learn")
        self.log(message)
        if self.writer is not None:
            with self.writer.as_default(step=task_id + 1):
                tf.summary.text("masks/warning", message)
            self.writer.flush()
