"""The heads' free energy made comparable across class counts (after Liu et al., "Energy-
based Out-of-distribution Detection", NeurIPS 2020): logsumexp of the logits minus log C.
"""

from __future__ import annotations

import tensorflow as tf

from hat_tf.task_detection.rule import TASK_RULES, TaskRule


@TASK_RULES.register("energy")
class Energy(TaskRule):
    """score_t(x) = logsumexp_c logits_t(x)_c − log C_t: 0 when the head is indifferent
    (all logits 0) whatever its class count; the padding's logits add nothing."""

    def scores(self, logits, features, tasks=None):
        return tf.reduce_logsumexp(logits, axis=-1) - self.log_classes(logits, tasks)
