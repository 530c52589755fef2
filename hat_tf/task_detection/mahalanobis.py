"""Distance to the nearest class mean of each task, in that task's own features.

Under HAT a task's features under its own masks a^t = σ(s_max·e^t) (paper Eq. 1) stop
changing once it is learned (Eq. 2 closes the weights it uses), so statistics of its
training set taken at its end describe its images for the rest of the run. Per task the
rule keeps its class means and one diagonal covariance shared by its classes, no images.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hat_tf.task_detection.rule import FLOAT_BYTES, TASK_RULES, TINY, TaskRule

# The variance floor, as a share of a task's mean feature variance: units a mask switches
# (almost) off have a variance near 0 and would otherwise dominate. Picked on the validation
# sets of a digits and a cifar run (0–0.1 tried; 1e-4 was best on both), never on test sets,
# with fc2's features; on AlexNet's three layers (detector_features) 1e-2 inferred one more
# digits validation image of 216 (87.0 against 86.6 %), too little to change it.
VARIANCE_FLOOR = 1e-4


def class_statistics(features: np.ndarray, labels: np.ndarray,
                     num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(class means (classes, units), the pooled within-class variance (units,)), in
    float64; a class without examples gets a mean of 0."""
    features = features.astype(np.float64)
    counts = np.bincount(labels, minlength=num_classes)
    sums = np.zeros((num_classes, features.shape[1]))
    np.add.at(sums, labels, features)
    means = sums / np.maximum(counts, 1)[:, None]
    residuals = features - means[labels]
    variance = np.sum(residuals**2, axis=0) / max(len(labels) - np.count_nonzero(counts), 1)
    return means, variance


@TASK_RULES.register("mahalanobis")
class Mahalanobis(TaskRule):
    """score_t(x) = −min_c Σ_u w_u (f_u − μ_{t,c,u})² / Σ_u w_u σ²_{t,u}, with f the
    image's features under task t's masks, w_u = 1 / (σ²_{t,u} + floor · mean σ²_t).

    The denominator is the distance a task's own image has on average, so a task whose
    masks leave fewer units on is not favoured. Stored per task: (C_t + 1) · units floats.

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the features.
        floor: The variance floor, a share of the task's mean variance.
    """

    needs_features = True

    def __init__(self, classes_per_task, units, floor: float = VARIANCE_FLOOR):
        super().__init__(classes_per_task, units)
        self.floor = floor
        num_tasks, max_classes = len(classes_per_task), max(classes_per_task)
        self.means = tf.Variable(tf.zeros([num_tasks, max_classes, units]), trainable=False,
                                 name="class_means")
        self.variances = tf.Variable(tf.zeros([num_tasks, units]), trainable=False,
                                     name="variances")
        # Classes a task lacks (padding up to the largest head) are never the nearest.
        self._padding = tf.constant([[0.0] * c + [np.inf] * (max_classes - c)
                                     for c in classes_per_task])

    def record(self, task_id, features, labels, logits=None):
        num_classes = self.classes_per_task[task_id]
        means, variance = class_statistics(features, labels, num_classes)
        padded = np.zeros(self.means.shape[1:], np.float32)
        padded[:num_classes] = means
        self.means[task_id].assign(padded)
        self.variances[task_id].assign(variance.astype(np.float32))

    def scores(self, logits, features, tasks=None):
        return -self.nearest_distances(features, self.rows(logits, tasks))

    def nearest_distances(self, features, tasks):
        """(rows, batch): Σ_u w_u (f_u − μ_{t,c,u})² to the nearest class mean c of each
        row's task t, over Σ_u w_u σ²_{t,u} (see the class doc): minus the score."""
        means, variances = tf.gather(self.means, tasks), tf.gather(self.variances, tasks)
        floor = self.floor * tf.reduce_mean(variances, axis=-1, keepdims=True) + TINY
        weights = 1.0 / (variances + floor)                                   # (rows, units)
        distances = (tf.einsum("tbu,tu->tb", features**2, weights)[:, :, None]
                     - 2.0 * tf.einsum("tbu,tcu->tbc", features * weights[:, None], means)
                     + tf.einsum("tcu,tu->tc", means**2, weights)[:, None])
        nearest = tf.reduce_min(distances + tf.gather(self._padding, tasks)[:, None], axis=-1)
        return nearest / tf.reduce_sum(weights * variances, axis=-1, keepdims=True)

    def bytes_per_task(self):
        units = self.means.shape[-1]
        return [(classes + 1) * units * FLOAT_BYTES for classes in self.classes_per_task]

    def state(self):
        return [self.means, self.variances]
