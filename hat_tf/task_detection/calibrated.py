"""Every rule calibrated per task on the task's own held-out data: its scores centred and
scaled so that tasks learned early and late are scored on one footing.

A rule's score of task t for the images of task t has a level and a spread of its own:
a head trained longer, or on easier classes, has larger logits, and a task whose masks
leave fewer units on has features nearer its class means. Compared across tasks, such
tasks draw the images of the others. Calibration keeps, per task, the mean and standard
deviation of the rule's score of that task on the task's own validation images (under its
own masks, no images of other tasks) and scores (score − mean) / std: how typical the
image's score is of the task's own images. This is the per-task standardisation of
detection scores that TPL (Lin et al., ICLR 2024) approximates by dividing each score by
its mean on the task's training data (its Eq. 9), and that the out-of-distribution
literature calls score normalisation; here it is the variant `<rule>_calibrated` of
every rule, two floats per task on top of what the rule keeps.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hat_tf.task_detection.rule import FLOAT_BYTES, TASK_RULES, TaskRule, own_scores

SUFFIX = "_calibrated"
MIN_SCALE = 1e-6  # a rule whose score is constant on a task's images (a saturated head)


class CalibratedRule(TaskRule):
    """score_t(x) = (s_t(x) − m_t) / σ_t, with s the `shares` rule's score and m_t, σ_t
    its mean and standard deviation over task t's own held-out examples (its validation
    set, or its training set where it has none). Stored per task: two floats, and what
    the shared rule stores.

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the features.
        shared: The rule calibrated (built and recorded by the detector first).
    """

    needs_features = True  # its statistics of a task hold only while the task's outputs do

    def __init__(self, classes_per_task, units, shared):
        super().__init__(classes_per_task, units)
        self.base = shared
        num_tasks = len(classes_per_task)
        self.location = tf.Variable(tf.zeros([num_tasks]), trainable=False,
                                    name="calibration_location")
        self.scale = tf.Variable(tf.ones([num_tasks]), trainable=False,
                                 name="calibration_scale")

    def calibrate(self, task_id, features, labels, logits):
        scores = own_scores(self.base, task_id, features, logits)
        self.location[task_id].assign(np.float32(np.mean(scores)))
        self.scale[task_id].assign(np.float32(max(np.std(scores), MIN_SCALE)))

    def scores(self, logits, features, tasks=None):
        rows = self.rows(logits, tasks)
        base = self.base.scores(logits, features, tasks)
        return ((base - tf.gather(self.location, rows)[:, None])
                / tf.gather(self.scale, rows)[:, None])

    def bytes_per_task(self):
        return [size + 2 * FLOAT_BYTES for size in self.base.bytes_per_task()]

    def state(self):
        return [self.location, self.scale]


def register_calibrated_variants() -> None:
    """Registers `<name>_calibrated` for every rule registered so far that lacks one."""
    for name in TASK_RULES.names():
        if name.endswith(SUFFIX) or f"{name}{SUFFIX}" in TASK_RULES.names():
            continue
        base = TASK_RULES.get(name)
        variant = type(f"{base.__name__}Calibrated", (CalibratedRule,),
                       {"shares": name, "needs_reject": base.needs_reject,
                        "__doc__": f"`{name}` calibrated per task (see CalibratedRule)."})
        TASK_RULES.register(f"{name}{SUFFIX}")(variant)
