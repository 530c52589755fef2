"""One output head per task (docs/algorithm.md §1: multi-head, task-incremental)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np
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

    With `reject_output`, every head has one output more than its classes, "not this
    task" (trained on rotated copies of the task's images: hat_tf/data/rotations.py; read
    by the task-inference rule `reject`). It is not a class: the heads' logits leave it
    out unless called `with_reject`, which appends it after the padding, as logit
    `max_classes`; accuracies, exports and predictions see the task's classes alone.

    Args:
        classes_per_task: Number of classes of each task's head.
        reject_output: Give every head the output "not this task".
    """

    def __init__(self, classes_per_task: Sequence[int], reject_output: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.classes_per_task = list(classes_per_task)
        self.max_classes = max(self.classes_per_task)
        self.reject_output = reject_output
        self.heads = [
            keras.layers.Dense(classes + reject_output, kernel_initializer="glorot_uniform",
                               name=f"head_{task}")
            for task, classes in enumerate(self.classes_per_task)
        ]

    def build(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape] * len(self.heads)
        for head, shape in zip(self.heads, shapes):
            head.build(shape)

    def call(self, features, task_id=None, with_reject=False):
        if with_reject and not self.reject_output:
            raise ValueError("with_reject: expected heads with a reject output, received "
                             "heads without one")
        if not isinstance(features, (list, tuple)):
            features = [features] * len(self.heads)
        if task_id is None:
            return self._all_heads(features, with_reject)
        first = tf.reduce_min(task_id)
        return tf.cond(
            tf.reduce_all(tf.equal(task_id, first)),
            lambda: tf.switch_case(first, [
                lambda task=task: self._head(task, features[task], with_reject)
                for task in range(len(self.heads))]),
            lambda: select_task_logits(self._all_heads(features, with_reject), task_id))

    def _head(self, task: int, features, with_reject: bool):
        """Task `task`'s logits, padded with MASKED_LOGIT to `max_classes`, then its reject
        logit if `with_reject`."""
        logits = self.heads[task](features)
        classes = self.classes_per_task[task]
        padded = tf.pad(logits[:, :classes], [[0, 0], [0, self.max_classes - classes]],
                        constant_values=MASKED_LOGIT)
        return tf.concat([padded, logits[:, classes:]], axis=-1) if with_reject else padded

    def _all_heads(self, features, with_reject: bool):
        return tf.stack([self._head(task, task_features, with_reject)
                         for task, task_features in enumerate(features)], axis=1)

    def class_weights(self, task: int) -> tuple[np.ndarray, np.ndarray]:
        """(kernel (units, classes), bias (classes,)) of task `task`'s head, its reject
        output left out: what the task's class probabilities are computed from."""
        classes = self.classes_per_task[task]
        head = self.heads[task]
        return head.kernel.numpy()[:, :classes], head.bias.numpy()[:classes]

    def variables_per_task(self) -> list[list]:
        """Each task's head variables: private to that task."""
        return [head.trainable_variables for head in self.heads]

    def get_config(self) -> dict:
        return {**super().get_config(), "classes_per_task": self.classes_per_task,
                "reject_output": self.reject_output}
