"""The heads' certainty made comparable across class counts: one minus the entropy of the
softmax over its largest value, log C."""

from __future__ import annotations

import tensorflow as tf

from hat_tf.task_detection.rule import TASK_RULES, TaskRule


@TASK_RULES.register("entropy")
class NormalisedEntropy(TaskRule):
    """score_t(x) = 1 − H(softmax(logits_t(x))) / log C_t, in [0, 1] for every class count
    (1: certain, 0: uniform); the padding's zero probabilities add nothing."""

    def scores(self, logits, features, tasks=None):
        probabilities = tf.nn.softmax(logits)
        entropy = -tf.reduce_sum(tf.math.multiply_no_nan(tf.math.log(probabilities),
                                                         probabilities), axis=-1)
        return 1.0 - entropy / self.log_classes(logits, tasks)
