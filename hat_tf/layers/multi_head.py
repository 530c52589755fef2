"""One output head per task (HAT_SPEC §1: multi-head, task-incremental)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

# Logit given to the classes a task does not have, so softmax gives them probability 0.
MASKED_LOGIT = -1e9


@keras.saving.register_keras_serializable("hat_tf")
class MultiHead(keras.layers.Layer):
    """A dense head per task; each example is scored by the head of its own task id.

    The output has `max(classes_per_task)` logits; a task with fewer classes gets
    MASKED_LOGIT for the missing ones, so a batch may mix tasks and the labels stay local.
    The heads are the paper's "binary hard-coded" last layer: never gated.

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

    def build(self, input_shape):
        for head in self.heads:
            head.build(input_shape)

    def call(self, features, task_id):
        logits = [
            tf.pad(head(features), [[0, 0], [0, self.max_classes - classes]],
                   constant_values=MASKED_LOGIT)
            for head, classes in zip(self.heads, self.classes_per_task)
        ]
        return tf.gather(tf.stack(logits, axis=1), task_id, batch_dims=1)

    def get_config(self) -> dict:
        return {**super().get_config(), "classes_per_task": self.classes_per_task}
