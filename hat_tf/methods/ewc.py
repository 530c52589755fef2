"""Elastic Weight Consolidation (Kirkpatrick et al., 2017), as in the HAT reference code
(`approaches/ewc.py`): a diagonal empirical Fisher, averaged over tasks.

The Fisher is estimated as the reference's `utils.fisher_matrix_diag` does: batches of 20,
the network in training mode (dropout on). λ = 5000 was grid-searched there against that
estimator, and the estimate's scale depends on both: a batch of B contributes B·ḡ², whose
mean is B·(E g)² + Var g, so its mean-gradient part grows with B, and dropout adds its own
variance. Another estimator (we used batch 64, dropout off) would leave λ tuned for a
different penalty. Two departures: the last, smaller batch is weighted by its size (the
reference weights it by 20), and the pass leaves no trace on the network (training mode
would move a BatchNorm's moving statistics in `resnet18_ewc`; the reference's AlexNet has
none): every non-trainable variable is put back afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from hat_tf.config import Number
from hat_tf.methods.base import Method
from hat_tf.methods.registry import Option, Searched, register_method

FISHER_BATCH_SIZE = 20  # reference utils.fisher_matrix_diag: sbatch=20


@dataclass(frozen=True)
class EwcConfig:
    """EWC's hyperparameter (Kirkpatrick et al., 2017), as the HAT reference code runs EWC
    (`approaches/ewc.py`).

    Attributes:
        weight: λ, the weight of the penalty (λ/2)·Σ F·(θ − θ*)² (reference: 5000,
            grid-searched there against its Fisher estimator, which this module keeps).
    """

    weight: float = 5000.0


# λ = 0 turns the penalty off (the method is then plain fine-tuning, a control). The
# searched range is ours: a log scale around the reference's 5000.
@register_method(
    "ewc", settings=EwcConfig,
    options=(Option("--ewc-lambda", "ewc", "weight", "EWC's λ, the weight of its penalty "
                    "(default {default:g}, the HAT reference code's)", Number(float, 0)),),
    search=(Searched("ewc_lambda", "ewc", "weight", 100.0, 100000.0, "log", "--ewc-lambda",
                     "EWC's λ", (100, 1000, 5000, 100000)),))
class Ewc(Method):
    """Penalises moving the shared weights away from their values after earlier tasks:
    (λ/2)·Σ F·(θ − θ*)², F the running mean of each task's diagonal Fisher information.

    Args:
        config: λ (`EwcConfig.weight`; reference: 5000).
    """

    gradient_clip_norm = 100.0  # reference approaches/ewc.py: clipgrad=100

    def __init__(self, config: EwcConfig):
        self.weight = config.weight

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        private = {id(v) for task in self.graph.task_private for v in task}
        self.shared = [v for v in network.trainable_variables if id(v) not in private]
        self.fisher = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in self.shared]
        self.anchor = [tf.Variable(tf.zeros(v.shape), trainable=False) for v in self.shared]

    def checkpoint_variables(self) -> list:
        return self.fisher + self.anchor

    def on_task_end(self, task_id: int, train_data: tf.data.Dataset) -> None:
        fisher = diagonal_fisher(self.network, self.shared,
                                 train_data.unbatch().batch(FISHER_BATCH_SIZE))
        for running, new, anchor, variable in zip(self.fisher, fisher, self.anchor, self.shared):
            running.assign((running * task_id + new) / (task_id + 1))
            anchor.assign(variable)

    def extra_loss(self, inputs, all_head_logits, s):
        penalty = tf.add_n([tf.reduce_sum(f * tf.square(v - a))
                            for f, v, a in zip(self.fisher, self.shared, self.anchor)])
        return 0.5 * self.weight * penalty


def diagonal_fisher(network: keras.Model, variables: list, data: tf.data.Dataset) -> list:
    """E[g²] of the cross-entropy gradient, one batch gradient per batch of `data` weighted
    by its size (the reference's empirical Fisher), in training mode as the reference; the
    network's non-trainable variables (BatchNorm statistics, dropout seeds) are restored
    afterwards, so estimating changes no state."""

    @tf.function
    def batch_square_gradients(inputs, labels):
        with tf.GradientTape() as tape:
            logits = tf.cast(network(inputs, training=True), tf.float32)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                labels, logits, from_logits=True))
        size = tf.cast(tf.shape(labels)[0], tf.float32)
        return [size * tf.square(g) for g in tape.gradient(loss, variables)]

    state = [v.numpy() for v in network.non_trainable_variables]
    totals = [tf.zeros(v.shape) for v in variables]
    count = 0
    for inputs, labels in data:
        totals = [t + g for t, g in zip(totals, batch_square_gradients(inputs, labels))]
        count += int(labels.shape[0])
    for variable, value in zip(network.non_trainable_variables, state):
        variable.assign(value)
    return [t / count for t in totals]
