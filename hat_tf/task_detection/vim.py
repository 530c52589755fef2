"""Virtual-logit matching (ViM: Wang et al., "ViM: Out-Of-Distribution with Virtual-logit
Matching", CVPR 2022) per task: how far an image's features under a task's masks lie
outside the principal subspace of that task's own training features, matched to its
head's logits as an extra, virtual logit.

ViM reads the features the logits are computed from: here the heads' input, the last
`head_units` of the detector's features (AlexNet's fc2; the whole of them for the other
networks). ViM keeps the top D principal directions, D chosen from the feature width N
(1000 for N ≥ 2048, 512 for N ≥ 768, N / 2 below). Under HAT a task's masks switch
most units off, and those units are 0 for every image, its own and the others': the
task's features span only the units its masks leave on, so D is chosen from that width
instead (with D from N the subspace would hold all of them and leave no residual).
ViM centres the features at −(Wᵀ)⁺b, the point the head maps to zero logits; here at the
task's own mean, as the features' principal subspace is usually taken.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hat_tf.task_detection.rule import (
    FLOAT_BYTES,
    TASK_RULES,
    TINY,
    TaskRule,
    open_units,
    stack_rows,
)


def vim_dimension(width: int) -> int:
    """ViM's number of principal directions for features of `width` units."""
    if width >= 2048:
        return 1000
    if width >= 768:
        return 512
    return width // 2


def principal_subspace(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean (units,), top principal directions (D, units), rows orthonormal) of a task's
    features, D = `vim_dimension` of the units whose variance is not ~0, in float64."""
    features = features.astype(np.float64)
    mean = features.mean(axis=0)
    active = open_units(features)
    centred = features[:, active] - mean[active]
    _, vectors = np.linalg.eigh(centred.T @ centred / max(len(features) - 1, 1))
    dimension = min(vim_dimension(len(active)), len(active))
    directions = np.zeros((dimension, features.shape[1]))
    directions[:, active] = vectors[:, ::-1][:, :dimension].T
    return mean, directions


def residual_norms(features, mean, directions):
    """‖x^{P⊥}‖: the norm of each row of `features` − `mean` outside the span of the
    (orthonormal) rows of `directions`."""
    centred = features - mean
    projected = (centred @ directions.T) @ directions
    return np.linalg.norm(centred - projected, axis=-1)


@TASK_RULES.register("vim")
class ViM(TaskRule):
    """score_t(x) = logsumexp_c logits_t(x)_c − log C_t − α_t ‖(h_t(x) − μ_t)^{P_t⊥}‖:
    the head's energy minus ViM's virtual logit, the log-odds of the real classes against
    the virtual one (ViM's score, ranked the same), with h_t(x) the head's input under task
    t's masks, μ_t and P_t the mean and top principal directions of task t's training
    features, and α_t = mean max logit / mean residual norm over them (ViM's matching).
    Minus log C_t as in `energy`: 0 for an indifferent head and no residual. Stored per
    task: (D_t + 1) · head units + 1 floats, as allocated (each task's D_t directions in a
    variable of its own).

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the detector's features.
        head_units: Width of the heads' input, the last of the detector's features
            (None: all of them).
    """

    needs_features = True
    reads_head_features = True

    def __init__(self, classes_per_task, units, head_units: int | None = None):
        super().__init__(classes_per_task, units)
        self.head_units = head_units or units
        num_tasks = len(classes_per_task)
        self.means = tf.Variable(tf.zeros([num_tasks, self.head_units]), trainable=False,
                                 name="vim_means")
        # One variable per task, D_t rows each: D_t is known only once the task is
        # recorded, and a padded (tasks, largest D, units) tensor would store up to twice
        # what the rule reads (1000 rows against the 512 of a CIFAR task of AlexNet).
        self.directions = [
            tf.Variable(tf.zeros([0, self.head_units]), trainable=False,
                        shape=tf.TensorShape([None, self.head_units]),
                        name=f"vim_directions_{task}")
            for task in range(num_tasks)]
        self.alphas = tf.Variable(tf.zeros([num_tasks]), trainable=False, name="vim_alphas")

    def record(self, task_id, features, labels, logits=None):
        head = features[:, -self.head_units:]
        mean, directions = principal_subspace(head)
        residuals = residual_norms(head.astype(np.float64), mean, directions)
        alpha = np.mean(np.max(logits, axis=-1)) / max(np.mean(residuals), TINY)
        self.means[task_id].assign(mean.astype(np.float32))
        self.directions[task_id].assign(directions.astype(np.float32))
        self.alphas[task_id].assign(np.float32(alpha))

    def dimensions(self) -> list[int]:
        """D_t of every task (0 for a task not recorded yet)."""
        return [int(tf.shape(directions)[0]) for directions in self.directions]

    def scores(self, logits, features, tasks=None):
        rows = self.rows(logits, tasks)
        centred = features[..., -self.head_units:] - tf.gather(self.means, rows)[:, None]
        directions = tf.gather(stack_rows(self.directions), rows)
        projected = tf.einsum("tbk,tku->tbu", tf.einsum("tbu,tku->tbk", centred, directions),
                              directions)
        residual = tf.norm(centred - projected, axis=-1)
        energy = tf.reduce_logsumexp(logits, axis=-1) - self.log_classes(logits, tasks)
        return energy - tf.gather(self.alphas, rows)[:, None] * residual

    def bytes_per_task(self):
        return [((dimension + 1) * self.head_units + 1) * FLOAT_BYTES
                for dimension in self.dimensions()]

    def state(self):
        return [self.means, self.alphas, *self.directions]
