"""The one Keras model that owns the train step; methods contribute only hooks."""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.distribute import replica_sum
from hat_tf.layers import select_task_logits
from hat_tf.methods.base import Method


class ContinualModel(keras.Model):
    """Wraps a network and a method; `fit`, callbacks and evaluation stay Keras'.

    The trainer compiles it with a fresh optimizer at every task boundary, and nowhere
    else, so `fit` traces the step anew for each task's variables (docs/algorithm.md §5).

    The step (keras-io "customizing fit()"): forward at the method's gate scale,
    cross-entropy plus the method's extra loss, the gradients, then the method's
    `apply_gradients` with the optimizer (HAT transforms them and conditions the update).
    The step's logs are the loss, the accuracy and the method's `step_metrics` (HAT:
    `capacity_reg`, `s_min`, `s_max`); validation logs only the loss and the accuracy.

    Under a tf.distribute strategy (create the model in its scope) every replica runs the
    step on its share of the global batch. Each replica's loss is the sum of its examples'
    losses divided by the global batch size, so the gradients the optimizer sums over the
    replicas are those of the global batch's mean loss: the single-device step, whatever
    the split (an uneven last share included).

    Args:
        network: A model called as `network(inputs, training=..., s=...)`.
        method: The continual-learning method's hooks.
    """

    def __init__(self, network: keras.Model, method: Method, **kwargs):
        super().__init__(name="continual_model", **kwargs)
        self.network = network
        self.method = method
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.SparseCategoricalAccuracy(name="accuracy")
        self.method_metrics = list(method.step_metrics())
        self.traces_of_train_step = 0
        self.built = True  # the network is built, and the model has no variables of its own

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        """Nothing to build: the network is built, and `train_task` builds the optimizer.

        Overrides Keras' TensorFlow trainer, which under a strategy draws the first batch
        here and averages it over the replicas: that fails when the batch splits unevenly
        (a validation set of 15 examples: 8 and 7).
        """

    def call(self, inputs, training=False):
        return self.network(inputs, training=training)

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker, *self.method_metrics]

    def _forward(self, inputs, labels, training, s):
        """(per-example loss, own-task logits): the cross-entropy of each example's head,
        plus the method's extra loss, which may see every head's logits (LwF distils the
        old ones)."""
        all_head_logits = None
        if self.method.needs_all_heads:
            all_head_logits = tf.cast(  # float16 under mixed precision
                self.network(inputs, training=training, s=s, all_heads=True), tf.float32)
            logits = select_task_logits(all_head_logits, inputs["task_id"])
        else:
            logits = tf.cast(self.network(inputs, training=training, s=s), tf.float32)
        cross_entropy = keras.losses.sparse_categorical_crossentropy(labels, logits,
                                                                     from_logits=True)
        return cross_entropy + self.method.extra_loss(inputs, all_head_logits, s), logits

    def train_step(self, data):
        self.traces_of_train_step += 1  # Python runs this line only while tracing
        inputs, labels = data
        variables = self.method.variables_to_train
        s = self.method.next_gate_scale()
        global_batch_size = replica_sum(tf.cast(tf.shape(labels)[0], tf.float32))
        with tf.GradientTape() as tape:
            losses, logits = self._forward(inputs, labels, training=True, s=s)
            loss = tf.reduce_sum(losses) / global_batch_size
            # The identity unless compile wrapped the optimizer for mixed_float16; inside
            # the tape, so the gradients flow through the scaling.
            scaled_loss = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, variables)
        self.method.apply_gradients(self.optimizer, gradients, variables, s)
        self._track(losses, labels, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        """Loss and accuracy at s = s_max; the method's step metrics are training's only."""
        inputs, labels = data
        losses, logits = self._forward(inputs, labels, training=False, s=None)
        self._track(losses, labels, logits)
        return {m.name: m.result() for m in (self.loss_tracker, self.accuracy_tracker)}

    def _track(self, losses, labels, logits):
        self.loss_tracker.update_state(losses)  # the mean over examples, not batches
        self.accuracy_tracker.update_state(labels, logits)
