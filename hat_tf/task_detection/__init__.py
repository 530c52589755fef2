"""Prediction without the task id (issue 19; our addition, not the HAT paper's): a task
detector that keeps per-task statistics, never images, and the rules it can apply."""

from hat_tf.task_detection.detector import DEFAULT_RULE, TaskDetector, TaskOutputs
from hat_tf.task_detection.rule import TASK_RULES, TaskRule

__all__ = ["DEFAULT_RULE", "TASK_RULES", "TaskDetector", "TaskOutputs", "TaskRule"]
