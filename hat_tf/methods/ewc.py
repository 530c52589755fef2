"""Elastic Weight Consolidation (Kirkpatrick et al., 2017), as in the HAT reference code
(`approaches/ewc.py`): a diagonal empirical Fisher, averaged over tasks."""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.methods.base import Method

DEFAULT_WEIGHT = 5000.0  # the reference code's λ for EWC


class Ewc(Method):
    """Penalises moving the shared weights away from their values after earlier tasks:
    (λ/2)·Σ F·(θ − θ*)², F the running mean of each task's diagonal Fisher information.

    Args:
        weight: λ (reference: 5000).
    """

    gradient_clip_norm = 100.0  # reference approaches/ewc.py: clipgrad=100

    def __init__(self, weight: float = DEFAULT_WEIGHT):
        self.weight = weight

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        private = {id(v) for task in self.graph.task_private for v in task}
        self.shared = [v for v in network.trainable_variables if id(v) not in private]
        self.fisher = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in self.shared]
        self.anchor = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in self.shared]

    def checkpoint_variables(self) -> list:
        return self.fisher + self.anchor

    def on_task_end(self, task_id: int, train_data: tf.data.Dataset) -> None:
        fisher = diagonal_fisher(self.network, self.shared, train_data)
        for running, new, anchor, variable in zip(self.fisher, fisher, self.anchor, self.shared):
            running.assign((running * task_id + new) / (task_id + 1))
            anchor.assign(variable)

    def extra_loss(self, inputs, all_head_logits, s):
        penalty = tf.add_n([tf.reduce_sum(f * tf.square(v - a))
                            for f, v, a in zip(self.fisher, self.shared, self.anchor)])
        return 0.5 * self.weight * penalty


def diagonal_fisher(network: keras.Model, variables: list, data: tf.data.Dataset) -> list:
    """E[g²] of the cross-entropy gradient, one batch gradient per batch weighted by its size
    (the reference's empirical Fisher). Dropout is off here and BatchNorm uses its moving
    statistics, so estimating changes no state (the reference ran in training mode)."""

    @tf.function
    def batch_square_gradients(inputs, labels):
        with tf.GradientTape() as tape:
            logits = network(inputs, training=False)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                labels, logits, from_logits=True))
        size = tf.cast(tf.shape(labels)[0], tf.float32)
        return [size * tf.square(g) for g in tape.gradient(loss, variables)]

    totals = [tf.zeros(v.shape) for v in variables]
    count = 0
    for inputs, labels in data:
        totals = [t + g for t, g in zip(totals, batch_square_gradients(inputs, labels))]
        count += int(labels.shape[0])
    return [t / count for t in totals]
