"""One output head per task (HAT_SPEC §1: multi-head, task-incremental)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

# Logit given to the classes a task does not have, so softmax gives them probability 0.
MASKED_LOGIT = -1e9


def select_task_logits(all_head_logits, task_id):
    """(batch, tasks, classes) → (batch, classes): each example's own task's head."""
    return tf.gather(all_head_logits, task_id, batch_dims=1)


@keras.saving.register_keras_serializable("hat_tf")
class MultiHead(keras.layers.Layer):
    """A dense head per task; each example is scored by the head of its own task id.

    The output has `max(classes_per_task)` logits; a task with fewer classes gets
    MASKED_LOGIT for the missing ones, so a batch may mix tasks and the labels stay local.
    Without a task id, every head's logits come back, (batch, tasks, classes). The features
    are one tensor, or one per task (a PNN's columns). The heads are the paper's "binary
    hard-coded" last layer: never gated.

    Args:
        classes_per_task: Number of classes of each task's head.
    """

    def __init__(self, classes_per_task: Sequence[int], **kwargs):
        super().__init__(**kwargs)
        self.classes_per_task = list(classes_per_task)
        self.max_classes = max(self.classes_per_task)
        self.heads = [
            keras.layers.Dense(classes, kernel_initializer="glorot_uniform", name=f"head_{task}")
            for task, classes in enumerate(self.classes_per_task)
        ]

    def call(self, features, task_id=None):
        if not isinstance(features, (list, tuple)):
            features = [features] * len(self.heads)
        logits = tf.stack([
            tf.pad(head(task_features), [[0, 0], [0, self.max_classes - classes]],
                   constant_values=MASKED_LOGIT)
            for head, classes, task_features in zip(self.heads, self.classes_per_task, features)
        ], axis=1)
        return logits if task_id is None else select_task_logits(logits, task_id)

    def variables_per_task(self) -> list[list]:
        """Each task's head variables: private to that task."""
        return [head.trainable_variables for head in self.heads]

    def get_config(self) -> dict:
        return {**super().get_config(), "classes_per_task": self.classes_per_task}
