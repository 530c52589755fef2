"""The most confident head: the largest softmax probability (the rule before the detector).

A head of C classes never scores under 1/C, so it favours tasks with few classes.
"""

from __future__ import annotations

import tensorflow as tf

from hat_tf.task_detection.rule import TASK_RULES, TaskRule


@TASK_RULES.register("max_softmax")
class MaxSoftmax(TaskRule):
    """score_t(x) = max_c softmax(logits_t(x))_c."""

    def scores(self, logits, features, tasks=None):
        return tf.reduce_max(tf.nn.softmax(logits), axis=-1)
