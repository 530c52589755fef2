"""Keras layers that carry per-task state: gates, heads and BatchNorm."""

from hat_tf.layers.multi_head import MASKED_LOGIT, MultiHead, select_task_logits
from hat_tf.layers.standardize import standardization
from hat_tf.layers.task_batch_norm import (
    Norms,
    SharedBatchNormalization,
    TaskBatchNormalization,
)
from hat_tf.layers.task_gate import ClipConstraint, TaskGate

__all__ = ["MASKED_LOGIT", "ClipConstraint", "MultiHead", "Norms", "SharedBatchNormalization",
           "TaskBatchNormalization", "TaskGate",
           "select_task_logits", "standardization"]
