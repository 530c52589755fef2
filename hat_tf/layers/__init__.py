"""Keras layers that carry per-task state: gates and heads."""

from hat_tf.layers.multi_head import MASKED_LOGIT, MultiHead
from hat_tf.layers.standardize import standardization
from hat_tf.layers.task_gate import ClipConstraint, TaskGate

__all__ = ["MASKED_LOGIT", "ClipConstraint", "MultiHead", "TaskGate", "standardization"]
