"""The HAT gate: a learned, almost-binary attention mask per task (paper Eq. 1)."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable("hat_tf")
class ClipConstraint(keras.constraints.Constraint):
    """Keeps a variable in [-limit, limit] after every optimizer step (paper §2.5)."""

    def __init__(self, limit: float):
        self.limit = limit

    def __call__(self, weight):
        return tf.clip_by_value(weight, -self.limit, self.limit)

    def get_config(self) -> dict:
        return {"limit": self.limit}


@keras.saving.register_keras_serializable("hat_tf")
class TaskGate(keras.layers.Layer):
    """Gates the units of the layer before it: h' = a^t ⊙ h with a^t = σ(s·e^t) (paper Eq. 1).

    Holds the task embeddings E (num_tasks × units, initialised N(0, 1), clipped to
    [-embedding_clip, embedding_clip]) and the cumulative attention a^{≤t} of the tasks
    learned so far (paper Eq. 2 context), which HAT updates between tasks. A conv output is
    gated per channel, broadcast over space. A network may instead fold the gate into
    the weights before it, which gates without a pass over the activations: into a
    BatchNorm's affine parameters (`channel_scale`; ResNet18) or, in training, into a
    conv's kernel and bias (`folded_conv`; AlexNet).

    Args:
        num_tasks: Rows of the embedding, one per task.
        units: Units (channels) gated.
        embedding_clip: Bound of the embeddings (reference: 6).
    """

    def __init__(self, num_tasks: int, units: int, embedding_clip: float = 6.0, **kwargs):
        super().__init__(**kwargs)
        self.num_tasks = num_tasks
        self.units = units
        self.embedding_clip = embedding_clip

    def build(self, input_shape=None):
        self.embedding = self.add_weight(
            name="embedding",
            shape=(self.num_tasks, self.units),
            initializer=keras.initializers.RandomNormal(0.0, 1.0),
            constraint=ClipConstraint(self.embedding_clip),
        )
        self.cumulative = self.add_weight(
            name="cumulative", shape=(self.units,), initializer="zeros", trainable=False
        )

    def attention(self, task_id, s):
        """a^t = σ(s·e^t) for a task id (scalar → (units,), vector → (batch, units))."""
        if not self.built:  # a network that folds the gate never calls it
            self.build()  # in the caller's name scope, as a call would
        return tf.sigmoid(s * tf.gather(self.embedding, task_id))

    def channel_scale(self, task_id, s, rank: int, training=False):
        """a^t shaped to multiply a (batch, …, units) tensor of `rank` dimensions: the
        batch's one row in training, each example's row at inference.

        A training batch holds one task (as TaskBatchNormalization assumes): its first id's
        gate scales the whole batch, which spares the per-example rows and their gradient.
        """
        # task_id[:1], not [0]: a replica's share of the last batch may be empty.
        gate = self.attention(task_id[:1] if training else task_id, s)
        return tf.reshape(gate, [-1] + [1] * (rank - 2) + [self.units])

    def folded_conv(self, conv: keras.layers.Conv2D, inputs, task_id, s):
        """conv(inputs) ⊙ a^t of the training batch's one task, with a^t multiplied into
        the conv's kernel and bias (their output channels) instead of its outputs.

        For a ≥ 0 the gate commutes with ReLU, dropout and max-pooling, so an AlexNet stage
        conv → ReLU → dropout → max-pool → gate (paper Eq. 1) equals the same stage with this
        conv and no gate, and spares a pass over the activations and two over their
        gradient. The gradients of the kernel, the bias and the embedding are those of the
        unfolded stage.
        """
        if not conv.built:
            conv.build(inputs.shape)
        # The batch's one row, summed so that an empty replica share gets zeros.
        gate = tf.reduce_sum(self.attention(task_id[:1], s), axis=0)
        gate = tf.cast(gate, inputs.dtype)
        outputs = tf.nn.conv2d(inputs, tf.cast(conv.kernel, inputs.dtype) * gate,
                               strides=conv.strides, padding=conv.padding.upper(),
                               dilations=conv.dilation_rate)
        # oneDNN (TF 2.21, on this project's CPUs) answers an empty batch (a replica's
        # empty share of the last batch) in the input's shape; give it the conv's.
        outputs = tf.reshape(outputs, [-1, *conv.compute_output_shape(inputs.shape)[1:]])
        if conv.use_bias:
            outputs = tf.nn.bias_add(outputs, tf.cast(conv.bias, inputs.dtype) * gate)
        return outputs

    def call(self, inputs, task_id, s, training=False):
        """inputs ⊙ a^t (paper Eq. 1), each example under its task's gate."""
        scale = self.channel_scale(task_id, s, len(inputs.shape), training)
        return inputs * tf.cast(scale, inputs.dtype)

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tasks": self.num_tasks, "units": self.units,
                "embedding_clip": self.embedding_clip}
