"""The largest logit of each task's head: the published class-incremental baseline of HAT.

Taking the argmax over all heads' concatenated logits, as the class-incremental results of
HAT trained from scratch are reported (TPL, Lin et al., ICLR 2024, Table 8: 62.7 on
5-split CIFAR-10, 41.1 on 10-split CIFAR-100, ResNet18), picks the task whose head holds
the largest logit and, within it, that class: it is this rule (the max-logit score of
Hendrycks et al., "Scaling Out-of-Distribution Detection for Real-World Settings", ICML
2022), followed by the argmax of the chosen head.
"""

from __future__ import annotations

import tensorflow as tf

from hat_tf.task_detection.rule import TASK_RULES, TaskRule

BASELINE_RULE = "max_logit"  # what the reports call the baseline


@TASK_RULES.register(BASELINE_RULE)
class MaxLogit(TaskRule):
    """score_t(x) = max_c logits_t(x)_c; the padding (MASKED_LOGIT) is never the largest.
    The baseline: argmax over the concatenated logits of all heads. Stores nothing."""

    def scores(self, logits, features, tasks=None):
        return tf.reduce_max(logits, axis=-1)
