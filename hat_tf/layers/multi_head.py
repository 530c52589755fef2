"""One output head per task (docs/algorithm.md §1: multi-head, task-incremental)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import tensorflow as tf

# Logit given to the classes a task does not have, so softmax gives them probability 0.
# In float16 (mixed precision) it is −inf: fine for softmax and an example's own
# cross-entropy, but a sum over log-probabilities must leave the padding out (LwF does).
MASKED_LOGIT = -1e9


def select_task_logits(all_head_logits, task_id):
    """(batch, tasks, classes) → (batch, classes): each example's own task's head."""
    return tf.gather(all_head_logits, task_id, batch_dims=1)


@keras.saving.register_keras_serializable("hat_tf")
class MultiHead(keras.layers.Layer):
    """A dense head per task; each example is scored by the head of its own task id.

    The output has `max(classes_per_task)` logits; a task with fewer classes gets
    MASKED_LOGIT for the missing ones, so a batch may mix tasks and the labels stay local.
    Without a task id, every head's logits come back, (batch, tasks, classes). A batch of
    one task (every training batch but Joint's) runs only that task's head, so the cost does
    not grow with the number of tasks. The features are one tensor, or one per task (a
    PNN's columns). The heads are the paper's "binary hard-coded" last layer: never gated.

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
        shapes = input_shape if isinstance(input_shape, list) else [input_shape] * len(self.heads)
        for head, shape in zip(self.heads, shapes):
            head.build(shape)

    def call(self, features, task_id=None):
        if not isinstance(features, (list, tuple)):
            features = [features] * len(self.heads)
        if task_id is None:
            return self._all_heads(features)
        first = tf.reduce_min(task_id)
        return tf.cond(
            tf.reduce_all(tf.equal(task_id, first)),
            lambda: tf.switch_case(first, [
                lambda task=task: self._head(task, features[task])
                for task in range(len(self.heads))]),
            lambda: select_task_logits(self._all_heads(features), task_id))

    def _head(self, task: int, features):
        """Task `task`'s logits, padded with MASKED_LOGIT to `max_classes`."""
        missing = self.max_classes - self.classes_per_task[task]
        return tf.pad(self.heads[task](features), [[0, 0], [0, missing]],
                      constant_values=MASKED_LOGIT)

    def _all_heads(self, features):
        return tf.stack([self._head(task, task_features)
                         for task, task_features in enumerate(features)], axis=1)

    def variables_per_task(self) -> list[list]:
        """Each task's head variables: private to that task."""
        return [head.trainable_variables for head in self.heads]

    def get_config(self) -> dict:
        return {**super().get_config(), "classes_per_task": self.classes_per_task}
