"""Distance to the nearest class mean of each task under one full covariance shared by its
classes: the Mahalanobis score of Lee et al. ("A Simple Unified Framework for Detecting
Out-of-Distribution Samples and Adversarial Attacks", NeurIPS 2018), which TPL's
feature-based score reads (Lin et al., ICLR 2024, §4), in the heads' input.

Under HAT a task's features under its own masks a^t = σ(s_max·e^t) (paper Eq. 1) stop
changing once it is learned (Eq. 2), so statistics of its training set taken at its end
keep describing its images. The masks switch most units off for a task (0 for every
image), so the covariance is taken on the units they leave on, and kept as a whitening:
rows W_t with ‖W_t (f − μ)‖² = (f − μ)ᵀ Σ_t⁻¹ (f − μ) on those units.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hat_tf.task_detection.mahalanobis import class_statistics
from hat_tf.task_detection.rule import (
    FLOAT_BYTES,
    TASK_RULES,
    TINY,
    TaskRule,
    open_units,
    stack_rows,
)

# Σ_t + SHRINKAGE · (mean variance) · I: keeps the inverse finite where the task's images
# span fewer directions than its open units. Picked on the validation sets of a 5-split
# CIFAR-10 AlexNet-HAT and a 10-split CIFAR-100 AlexNet-HAT-BN run, never their test sets
# (1e-6 and 1e-4 alike, 1e-2 lower; docs/results.md, "One full covariance per task").
SHRINKAGE = 1e-4


def whitening(features: np.ndarray, labels: np.ndarray, num_classes: int,
              shrinkage: float = SHRINKAGE) -> tuple[np.ndarray, np.ndarray]:
    """(class means (classes, units), W (open units, units)) of a task's features, in
    float64: W = L⁻¹ on the open units (`open_units`) and 0 elsewhere, L the Cholesky
    factor of their pooled within-class covariance, shrunk by `shrinkage` times its mean
    variance."""
    features = features.astype(np.float64)
    means, _ = class_statistics(features, labels, num_classes)
    residuals = features - means[labels]
    units = open_units(residuals)
    covariance = (residuals[:, units].T @ residuals[:, units]
                  / max(len(labels) - np.count_nonzero(np.bincount(labels)), 1))
    covariance += shrinkage * max(np.trace(covariance) / max(len(units), 1), TINY) * np.eye(
        len(units))
    rows = np.zeros((len(units), features.shape[1]))
    rows[:, units] = np.linalg.inv(np.linalg.cholesky(covariance))
    return means, rows


@TASK_RULES.register("mahalanobis_full")
class FullMahalanobis(TaskRule):
    """score_t(x) = −min_c ‖W_t (h_t(x) − μ_{t,c})‖² / m_t, with h_t(x) the head's input
    under task t's masks, μ_{t,c} its class means and W_t its whitening (module doc), m_t
    the mean of that distance over task t's own training images (to their own class), so
    that a task whose masks leave more units on is not penalised. Stored per task:
    (C_t + D_t) · head units + 1 floats, D_t its open units, as allocated (each task's
    W_t a variable of its own).

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the detector's features.
        head_units: Width of the heads' input, the last of the detector's features
            (None: all of them).
        shrinkage: The covariance's shrinkage, a share of its mean variance.
    """

    needs_features = True
    reads_head_features = True

    def __init__(self, classes_per_task, units, head_units: int | None = None,
                 shrinkage: float = SHRINKAGE):
        super().__init__(classes_per_task, units)
        self.head_units = head_units or units
        self.shrinkage = shrinkage
        num_tasks, max_classes = len(classes_per_task), max(classes_per_task)
        self.means = tf.Variable(tf.zeros([num_tasks, max_classes, self.head_units]),
                                 trainable=False, name="full_mahalanobis_means")
        self.whitenings = [
            tf.Variable(tf.zeros([0, self.head_units]), trainable=False,
                        shape=tf.TensorShape([None, self.head_units]),
                        name=f"full_mahalanobis_whitening_{task}")
            for task in range(num_tasks)]
        self.own_distances = tf.Variable(tf.ones([num_tasks]), trainable=False,
                                         name="full_mahalanobis_own_distances")
        # Classes a task lacks (padding up to the largest head) are never the nearest.
        self._padding = tf.constant([[0.0] * c + [np.inf] * (max_classes - c)
                                     for c in classes_per_task])

    def record(self, task_id, features, labels, logits=None):
        head = features[:, -self.head_units:]
        means, rows = whitening(head, labels, self.classes_per_task[task_id],
                                self.shrinkage)
        own = np.mean(np.sum(((head - means[labels]) @ rows.T) ** 2, axis=-1))
        padded = np.zeros(self.means.shape[1:], np.float32)
        padded[:len(means)] = means
        self.means[task_id].assign(padded)
        self.whitenings[task_id].assign(rows.astype(np.float32))
        self.own_distances[task_id].assign(np.float32(max(own, TINY)))

    def scores(self, logits, features, tasks=None):
        return -self.nearest_distances(features, self.rows(logits, tasks))

    def nearest_distances(self, features, tasks):
        """(rows, batch): ‖W_t (h − μ_{t,c})‖² to the nearest class mean c of each row's
        task t, over m_t (see the class doc): minus the score.

        Whitened coordinates are large where the covariance is nearly singular, so the
        distance is the squared difference of the whitened image and class means, both
        taken from the task's first class mean, not ‖Wh‖² − 2 Wh·Wμ + ‖Wμ‖², whose
        float32 cancellation moved the distances of a task's own images by 1e-4."""
        whitenings = tf.gather(stack_rows(self.whitenings), tasks)     # (rows, D, units)
        means = tf.gather(self.means, tasks)                            # (rows, classes, units)
        origin = means[:, :1]
        head = tf.einsum("tbu,tdu->tbd", features[..., -self.head_units:] - origin, whitenings)
        centres = tf.einsum("tcu,tdu->tcd", means - origin, whitenings)
        distances = tf.reduce_sum(tf.square(head[:, :, None] - centres[:, None]), axis=-1)
        nearest = tf.reduce_min(distances + tf.gather(self._padding, tasks)[:, None], axis=-1)
        return nearest / tf.gather(self.own_distances, tasks)[:, None]

    def dimensions(self) -> list[int]:
        """D_t, the open units of every task (0 for a task not recorded yet)."""
        return [int(tf.shape(rows)[0]) for rows in self.whitenings]

    def bytes_per_task(self):
        return [((classes + dimension) * self.head_units + 1) * FLOAT_BYTES
                for classes, dimension in zip(self.classes_per_task, self.dimensions())]

    def state(self):
        return [self.means, self.own_distances, *self.whitenings]
