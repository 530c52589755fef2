"""The contract of a task-inference rule, and their registry.

Task inference (predicting without the task id) is this repo's addition: the HAT paper
always gives the task id at test time. A rule scores, for every image, each learned task
from that task's head logits and its features under its own masks; the detector picks the
highest score. Rules keep no images: at most statistics of a task's own features.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from hat_tf.registry import Registry

TASK_RULES = Registry("task-inference rule")
FLOAT_BYTES = 4


class TaskRule(tf.Module):
    """A rule without state: it reads only the heads. Subclasses override `scores`, and
    rules that keep feature statistics `record` and `bytes_per_task` too.

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the features the detector reads (None: the network has no single
            feature tensor, as a PNN's columns).

    Attributes:
        needs_features: Whether the rule reads features (and so needs `units`).
    """

    needs_features = False

    def __init__(self, classes_per_task: Sequence[int], units: int | None):
        super().__init__()
        self.classes_per_task = list(classes_per_task)

    def record(self, task_id: int, features: np.ndarray, labels: np.ndarray) -> None:
        """At the end of task `task_id`: keep what the rule needs of its training set's
        features (batch, units) under its own masks and their labels."""

    def scores(self, logits: tf.Tensor, features: tf.Tensor | None) -> tf.Tensor:
        """(tasks, batch): how much each image looks like each task's, higher is more.

        Args:
            logits: (tasks, batch, max classes) float32, each task's head under its own
                masks, padded with MASKED_LOGIT.
            features: (tasks, batch, units) float32, each task's features under its own
                masks; None when the network has none.
        """
        raise NotImplementedError

    def bytes_per_task(self) -> list[int]:
        """What the rule stores for each task, in bytes."""
        return [0] * len(self.classes_per_task)

    def state(self) -> list[tf.Variable]:
        """The variables `record` fills (saved with a run and in its export)."""
        return []

    def log_classes(self, num_tasks: int) -> tf.Tensor:
        """(tasks, 1): log of each of the first `num_tasks` tasks' class counts."""
        return tf.math.log(tf.constant(self.classes_per_task[:num_tasks], tf.float32))[:, None]
