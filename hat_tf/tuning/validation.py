"""The search's objective: the mean validation accuracy over all tasks after the last task.

Each task is scored on its own validation split with its own head (and, for HAT, its own
mask at s = s_max), once the whole sequence is learned — so a setting is rewarded both for
learning every task and for not forgetting the earlier ones. The test sets stay unseen by
the search.
"""

from __future__ import annotations

import numpy as np

from hat_tf.data.task import TaskSequence
from hat_tf.training.loop import task_accuracy
from hat_tf.training.observer import RunObserver

OBJECTIVE = "val_acc"


class ValidationScorer(RunObserver):
    """After the last task adds `val_acc_per_task` and their mean, `val_acc`, to the results.

    Args:
        sequence: The tasks, whose validation splits are scored.
        batch_size: Examples per evaluation step.
    """

    def __init__(self, sequence: TaskSequence, batch_size: int):
        self.sequence = sequence
        self.batch_size = batch_size

    def on_run_end(self, model, results):
        per_task = [task_accuracy(model, self.sequence, task_id, self.batch_size, split="val")
                    for task_id in range(len(self.sequence.tasks))]
        results["val_acc_per_task"] = per_task
        results[OBJECTIVE] = float(np.mean(per_task))
