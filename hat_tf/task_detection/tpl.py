"""TPL's score without replay: the max logit and the Mahalanobis score of each task, each
divided by its mean on the task's own training data, composed as TPL's Eq. 9 composes its
logit-based and feature-based scores (Lin et al., "Class Incremental Learning via
Likelihood Ratio Based Task Prediction", ICLR 2024, §4).

TPL's feature-based score is a likelihood ratio: the Mahalanobis score of the task's own
distribution against a k-nearest-neighbour score of the other tasks' replay data. HAT here
keeps no replay data, so only the first term remains (the out-of-task term is dropped).
TPL's Mahalanobis score is the inverse of the squared distance to the nearest class mean
under one covariance shared by the task's classes; `tpl` reads the statistics the
`mahalanobis` rule keeps (class means and one diagonal covariance per task) instead of a
copy, so its covariance is diagonal; `tpl_full` reads `mahalanobis_full`'s, one full
covariance in the heads' input, as TPL has it. The composition −log(e^{−a} + e^{−b}) is a
smooth minimum of the two scaled scores, as the authors' public code computes Eq. 9.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hat_tf.task_detection.rule import FLOAT_BYTES, TASK_RULES, TINY, TaskRule


@TASK_RULES.register("tpl")
class TPLScore(TaskRule):
    """score_t(x) = −log(e^{−a_t(x)} + e^{−b_t(x)}), with a_t = max_c logits_t(x)_c / A_t
    and b_t = (1 / d_t(x)) / B_t, d_t the `mahalanobis` rule's distance to the nearest
    class mean of task t (its minus score), A_t and B_t the means of max logit and 1 / d
    over task t's training set under its own masks. Stored per task: those two floats, and
    the `mahalanobis` rule's statistics it reads.

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the features.
        shared: The detector's `mahalanobis` rule.
    """

    needs_features = True
    shares = "mahalanobis"

    def __init__(self, classes_per_task, units, shared):
        super().__init__(classes_per_task, units)
        self.mahalanobis = shared
        num_tasks = len(classes_per_task)
        self.logit_scale = tf.Variable(tf.ones([num_tasks]), trainable=False,
                                       name="tpl_logit_scale")
        self.distance_scale = tf.Variable(tf.ones([num_tasks]), trainable=False,
                                          name="tpl_distance_scale")

    def record(self, task_id, features, labels, logits=None):
        self.logit_scale[task_id].assign(1.0)
        self.distance_scale[task_id].assign(1.0)
        unscaled = self.parts(tf.constant(logits[None], tf.float32),
                              tf.constant(features[None], tf.float32),
                              tf.constant([task_id], tf.int32))
        for scale, part in zip((self.logit_scale, self.distance_scale), unscaled):
            scale[task_id].assign(np.float32(max(float(np.mean(part.numpy())), TINY)))

    def parts(self, logits, features, tasks=None):
        """(a, b): the scaled max logit and inverse Mahalanobis distance, (rows, batch)."""
        rows = self.rows(logits, tasks)
        distances = self.mahalanobis.nearest_distances(features, rows)
        inverse = 1.0 / tf.maximum(distances, TINY)
        return (tf.reduce_max(logits, axis=-1) / tf.gather(self.logit_scale, rows)[:, None],
                inverse / tf.gather(self.distance_scale, rows)[:, None])

    def scores(self, logits, features, tasks=None):
        logit_part, distance_part = self.parts(logits, features, tasks)
        return -tf.reduce_logsumexp(tf.stack([-logit_part, -distance_part]), axis=0)

    def bytes_per_task(self):
        return [size + 2 * FLOAT_BYTES for size in self.mahalanobis.bytes_per_task()]

    def state(self):
        return [self.logit_scale, self.distance_scale]


@TASK_RULES.register("tpl_full")
class FullTPLScore(TPLScore):
    """`tpl` on the `mahalanobis_full` rule's distance: one full covariance shared by the
    task's classes, in the heads' input, as TPL's Mahalanobis score has it."""

    shares = "mahalanobis_full"
