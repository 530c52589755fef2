"""The search's objective: the mean validation accuracy over all tasks after the last task.

Each task is scored on its own validation split with its own head (and, for HAT, its own
mask at s = s_max), once the whole sequence is learned — so a setting is rewarded both for
learning every task and for not forgetting the earlier ones. The test sets stay unseen by
the search.
"""

from __future__ import annotations

import numpy as np

from hat_tf.data.task import TaskSequence
from hat_tf.training.loop import TaskScorer
from hat_tf.training.observer import RunObserver

OBJECTIVE = "val_acc"


class ValidationScorer(RunObserver):
    """After the last task adds (returns) `val_acc_per_task` and their mean, `val_acc`, to
    the results.

    Args:
        sequence: The tasks, whose validation splits are scored.
    """

    def __init__(self, sequence: TaskSequence):
        self.sequence = sequence

    def on_run_end(self, model, results):
        per_task = TaskScorer(model.network, self.sequence).accuracies(
            range(len(self.sequence.tasks)), split="val")
        return {"val_acc_per_task": per_task, OBJECTIVE: float(np.mean(per_task))}
