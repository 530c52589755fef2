"""How much each task's head rejects an image: the log-odds of its classes against its
output "not this task", which a run trained with `reject_rotations` (hat_tf/data/
rotations.py) gives every head.

The heads of a run without replay never see another task's images, so their logits say
nothing of whether an image is their task's (the max-logit baseline's confusion). Trained
to reject rotated copies of its own images (the distribution-shifted instances of CSI,
Tack et al., NeurIPS 2020, §2.2), a head learns to answer "not mine" for images unlike its
task's upright ones; CLOM (Kim, Ke and Liu, CVPR Workshops 2022) infers HAT's task so,
from each task's out-of-distribution score of its own head.
"""

from __future__ import annotations

import tensorflow as tf

from hat_tf.task_detection.rule import FLOAT_BYTES, TASK_RULES, TaskRule


@TASK_RULES.register("reject")
class Reject(TaskRule):
    """score_t(x) = logsumexp_c z_{t,c}(x) − r_t(x), with z_t task t's class logits and
    r_t its reject logit: log p(one of task t's classes) − log p(not task t) under the
    head's softmax over both; the padding adds nothing. It keeps no statistics: stored per
    task is the head's reject output itself, one weight per unit of the heads' input and a
    bias, (head units + 1) floats that the network holds only for this rule.

    Args:
        classes_per_task: Classes of each task's head.
        units: Width of the detector's features.
        head_units: Width of the heads' input (None: `units`).
    """

    needs_reject = True
    needs_features = True  # a gated network's: the only ones with a reject output
    reads_head_features = True

    def __init__(self, classes_per_task, units, head_units: int | None = None):
        super().__init__(classes_per_task, units)
        self.head_units = head_units or units

    def scores(self, logits, features, tasks=None):
        return tf.reduce_logsumexp(logits[..., :-1], axis=-1) - logits[..., -1]

    def bytes_per_task(self):
        return [(self.head_units + 1) * FLOAT_BYTES] * len(self.classes_per_task)
