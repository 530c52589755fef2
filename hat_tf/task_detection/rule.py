"""The contract of a task-inference rule, and their registry.

Task inference (predicting without the task id) is this repo's addition: the HAT paper
always gives the task id at test time. A rule scores, for every image, each learned task
from that task's head logits and its features under its own masks; the detector picks the
highest score. Rules keep no images: at most statistics of a task's own data.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from hat_tf.registry import Registry

TASK_RULES = Registry("task-inference rule")
FLOAT_BYTES = 4
# A unit is on for a task where its variance over the task's images exceeds this share of
# the largest (`open_units`).
ACTIVE_VARIANCE = 1e-6
TINY = 1e-12  # keeps a rule's divisions finite where a statistic is 0


class TaskRule(tf.Module):
    """A rule without state: it reads only the heads. Subclasses override `scores`, and
    rules that keep statistics of a task's own data `record` (or `calibrate`),
    `bytes_per_task` and `state` too.

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the features the detector reads (None: the network has no single
            feature tensor, as a PNN's columns).
        shared: The rule named by `shares`, whose statistics this rule reads (None for a
            rule that shares none).

    Attributes:
        needs_features: Whether the rule keeps statistics of a task's features or logits
            at its end, so needs a gated network whose tasks' outputs stay as they were
            (HAT paper Eq. 2) and `units`.
        shares: The registered name of another rule whose recorded statistics this one
            reads instead of keeping a copy (the detector builds and records that rule
            first), or None.
        reads_head_features: Whether the rule also takes `head_units`, the width of the
            heads' input, which the detector's features end with.
        needs_reject: Whether the rule reads the heads' output "not this task"
            (`RunConfig.reject_rotations`): the detector keeps it only for networks whose
            heads have one, and gives it the logits with each head's reject logit last,
            (rows, batch, max classes + 1); the other rules get the classes alone.
    """

    needs_features = False
    shares: str | None = None
    reads_head_features = False
    needs_reject = False

    def __init__(self, classes_per_task: Sequence[int], units: int | None,
                 shared: TaskRule | None = None):
        super().__init__()
        self.classes_per_task = list(classes_per_task)

    def record(self, task_id: int, features: np.ndarray, labels: np.ndarray,
               logits: np.ndarray | None = None) -> None:
        """At the end of task `task_id`: keep what the rule needs of its training set's
        features (batch, units) and head logits (batch, max classes, padded with
        MASKED_LOGIT) under its own masks, and their labels."""

    def calibrate(self, task_id: int, features: np.ndarray, labels: np.ndarray,
                  logits: np.ndarray) -> None:
        """After every rule recorded task `task_id`: keep what the rule needs of the
        task's own held-out examples (its validation set), as `record` gets them."""

    def scores(self, logits: tf.Tensor, features: tf.Tensor | None,
               tasks: tf.Tensor | None = None) -> tf.Tensor:
        """(rows, batch): how much each image looks like each row's task, higher is more.

        Args:
            logits: (rows, batch, max classes) float32, each row's task head under its own
                masks, padded with MASKED_LOGIT.
            features: (rows, batch, units) float32, each row's task features under its own
                masks; None when the network has none.
            tasks: (rows,) int32, the task of each row (None: row r is task r, the
                detector's case; a rule's own statistics of one task score that task's
                images alone with `tasks=[t]`).
        """
        raise NotImplementedError

    def bytes_per_task(self) -> list[int]:
        """What the rule needs stored for each task, in bytes (including the statistics
        it reads from the rule it `shares`)."""
        return [0] * len(self.classes_per_task)

    def state(self) -> list[tf.Variable]:
        """The variables `record` and `calibrate` fill (saved with a run and in its
        export); not those of the rule it `shares`, which that rule saves."""
        return []

    @staticmethod
    def rows(logits: tf.Tensor, tasks: tf.Tensor | None) -> tf.Tensor:
        """(rows,) int32: the task of each row of `logits` (see `scores`)."""
        return tf.range(logits.shape[0]) if tasks is None else tf.cast(tasks, tf.int32)

    def log_classes(self, logits: tf.Tensor, tasks: tf.Tensor | None = None) -> tf.Tensor:
        """(rows, 1): log of the class count of each row's task."""
        counts = tf.constant(self.classes_per_task, tf.float32)
        return tf.math.log(tf.gather(counts, self.rows(logits, tasks)))[:, None]


def open_units(features: np.ndarray) -> np.ndarray:
    """The indices of the units a task's masks leave on: those whose variance over its
    `features` (images, units) is not ~0."""
    variance = features.var(axis=0)
    return np.flatnonzero(variance > ACTIVE_VARIANCE * max(variance.max(), TINY))


def stack_rows(variables: Sequence[tf.Variable]) -> tf.Tensor:
    """(tasks, largest rows, columns): each task's variable of rows of its own count (a
    rule's per-task directions or whitening), padded with rows of zeros, which add nothing
    to a projection or a squared norm."""
    largest = tf.reduce_max([tf.shape(variable)[0] for variable in variables])
    return tf.stack([tf.pad(variable, [[0, largest - tf.shape(variable)[0]], [0, 0]])
                     for variable in variables])


def own_scores(rule: TaskRule, task_id: int, features: np.ndarray | None,
               logits: np.ndarray) -> np.ndarray:
    """(batch,) float64: `rule`'s score of task `task_id` for that task's own examples,
    from their features and logits under its own masks (as `record` gets them)."""
    features = None if features is None else tf.constant(features[None], tf.float32)
    scores = rule.scores(tf.constant(logits[None], tf.float32), features,
                         tf.constant([task_id], tf.int32))
    return scores.numpy()[0].astype(np.float64)
