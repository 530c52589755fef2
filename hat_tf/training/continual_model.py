"""The one Keras model that owns the train step; methods contribute only hooks."""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.data.rotations import check_square, with_rotated_copies
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
    `capacity_reg`, `s_lowest`, `s_highest`); validation logs only the loss and the accuracy.

    Under a tf.distribute strategy (create the model in its scope) every replica runs the
    step on its share of the global batch. Each replica's loss is the sum of its examples'
    losses divided by the global batch size, so the gradients the optimizer sums over the
    replicas are those of the global batch's mean loss: the single-device step, whatever
    the split (an uneven last share included).

    When the network's heads have the output "not this task" (`RunConfig.reject_rotations`),
    the step appends rotated copies of half the batch's images labelled with it
    (data/rotations.py) and takes the cross-entropy over every head output, the reject
    one included: the loss logged is that of the whole step, the accuracy that of the
    batch's own images over their task's classes. Validation and every accuracy after it
    read the classes alone.

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
        self.rejects = network.head.reject_output
        if self.rejects:
            check_reject_output(network, method)
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

    def _forward(self, inputs, labels, training, s, with_reject=False):
        """(per-example loss, own-task logits): the cross-entropy of each example's head
        (over its reject output too, `with_reject`), plus the method's extra loss, which
        may see every head's logits (LwF distils the old ones)."""
        all_head_logits = None
        outputs = {"training": training, "s": s, "with_reject": with_reject}
        if self.method.needs_all_heads:
            all_head_logits = tf.cast(  # float16 under mixed precision
                self.network(inputs, all_heads=True, **outputs), tf.float32)
            logits = select_task_logits(all_head_logits, inputs["task_id"])
            all_head_logits = all_head_logits[..., :self.network.head.max_classes]
        else:
            logits = tf.cast(self.network(inputs, **outputs), tf.float32)
        cross_entropy = keras.losses.sparse_categorical_crossentropy(labels, logits,
                                                                     from_logits=True)
        return cross_entropy + self.method.extra_loss(inputs, all_head_logits, s), logits

    def train_step(self, data):
        self.traces_of_train_step += 1  # Python runs this line only while tracing
        inputs, labels = data
        own_labels = labels
        if self.rejects:
            inputs, labels = with_rotated_copies(inputs, labels, self.network.head.max_classes)
        variables = self.method.variables_to_train
        s = self.method.next_gate_scale()
        global_batch_size = replica_sum(tf.cast(tf.shape(labels)[0], tf.float32))
        with tf.GradientTape() as tape:
            losses, logits = self._forward(inputs, labels, training=True, s=s,
                                           with_reject=self.rejects)
            loss = tf.reduce_sum(losses) / global_batch_size
            # The identity unless compile wrapped the optimizer for mixed_float16; inside
            # the tape, so the gradients flow through the scaling.
            scaled_loss = self.optimizer.scale_loss(loss)
        gradients = tape.gradient(scaled_loss, variables)
        self.method.apply_gradients(self.optimizer, gradients, variables, s)
        own = tf.shape(own_labels)[0]  # the batch's own images, first: their classes alone
        self._track(losses, own_labels, logits[:own, :self.network.head.max_classes])
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


def check_reject_output(network: keras.Model, method: Method) -> None:
    """Refuses heads with the output "not this task" where training them cannot serve:
    a method without HAT's gates (paper Eq. 2), under which a later task changes what an
    earlier task's head, reject output included, makes of an image, so no head's
    rejection can be compared with another's; and images a quarter turn would reshape.

    Raises:
        ValueError: One line, what was expected and what was received.
    """
    if not method.needs_gates:
        raise ValueError(f"reject_rotations: expected a method with HAT's gates, received "
                         f"{method.name or type(method).__name__}, which has none")
    check_square(network.image_shape)
