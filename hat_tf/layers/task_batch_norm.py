"""BatchNormalization with separate statistics and affine parameters per task
(docs/algorithm.md §9 ResNet18-HAT-BN)."""

from __future__ import annotations

import functools

import keras
import tensorflow as tf

from hat_tf.distribute import global_group_moments, global_moments


@keras.saving.register_keras_serializable("hat_tf")
class TaskBatchNormalization(keras.layers.Layer):
    """Per-task gamma, beta, moving mean and moving variance, selected by the task id.

    A shared BatchNorm's moving statistics drift towards each new task, which changes the
    outputs of earlier tasks however well their weights are protected; keeping them per
    task removes that forgetting. Training normalises each example with the statistics of
    its own task's examples in the batch (the whole batch where it holds one task, as a
    continual method's does; Joint and Multitask mix the tasks so far in a batch) and
    moves only the slots of the tasks in the batch, each towards its own statistics.
    Inference normalises each example with its task's moving statistics. Either way each
    example takes its task's gamma and beta.

    Under a tf.distribute strategy the batch statistics are the global batch's, summed over
    the replicas (a synchronised BatchNorm): every replica normalises as a single device
    would and moves its copy of the moving statistics to the same values.

    Args:
        num_tasks: Slots, one per task.
        momentum: Of the moving statistics (0.9 = PyTorch's default 0.1).
        epsilon: Added to the variance (PyTorch's default).
    """

    def __init__(self, num_tasks: int, momentum: float = 0.9, epsilon: float = 1e-5, **kwargs):
        super().__init__(**kwargs)
        self.num_tasks = num_tasks
        self.momentum = momentum
        self.epsilon = epsilon

    def build(self, input_shape):
        shape = (self.num_tasks, input_shape[-1])
        # float32 under mixed precision too (autocast off), as Keras' BatchNormalization.
        table = functools.partial(self.add_weight, shape=shape, autocast=False)
        self.gamma = table(name="gamma", initializer="ones")
        self.beta = table(name="beta", initializer="zeros")
        self.moving_mean = table(name="moving_mean", initializer="zeros", trainable=False)
        self.moving_variance = table(name="moving_variance", initializer="ones",
                                     trainable=False)

    def call(self, inputs, task_id, training=False, channel_scale=None):
        """Normalises in float32 (the statistics of float16 activations lose precision)
        and returns the inputs' dtype.

        Args:
            channel_scale: A HAT gate's a^t (TaskGate.channel_scale), multiplied into gamma
                and beta: for a ≥ 0, a ⊙ ReLU(BN(x)) = ReLU(BN_{a⊙γ, a⊙β}(x)), the gate
                of paper Eq. 1 without a pass over the activations.
        """
        x = tf.cast(inputs, tf.float32)
        if training:
            mean, variance, examples = global_group_moments(x, task_id, self.num_tasks)
            self._update_moving_statistics(tf.cast(examples > 0, tf.float32), mean, variance)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        # Per task, BN(x) = x·scale + offset (as tf.nn.batch_normalization computes it);
        # each example takes its task's row of the two.
        scale = self.gamma * tf.math.rsqrt(variance + self.epsilon)
        scale, offset = (self._per_example(table, task_id, x)
                         for table in (scale, self.beta - mean * scale))
        if channel_scale is not None:
            channel_scale = tf.cast(channel_scale, tf.float32)
            scale, offset = scale * channel_scale, offset * channel_scale
        return tf.cast(x * scale + offset, inputs.dtype)

    @staticmethod
    def _per_example(table, task_id, inputs):
        rows = tf.gather(table, task_id)
        return tf.reshape(rows, [-1] + [1] * (len(inputs.shape) - 2) + [inputs.shape[-1]])

    def _update_moving_statistics(self, tasks_present, mean, variance):
        """Moves the slots of the tasks present (a 0/1 vector) towards their batch
        statistics (per task, [num_tasks, channels])."""
        step = (1.0 - self.momentum) * tasks_present[:, None]
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.assign(moving - step * (moving - batch))

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tasks": self.num_tasks,
                "momentum": self.momentum, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable("hat_tf")
class SharedBatchNormalization(keras.layers.BatchNormalization):
    """One BatchNorm for all tasks, called like TaskBatchNormalization (the id is unused);
    PyTorch's momentum and epsilon, like its per-task sibling.

    Its batch statistics are the global batch's under a tf.distribute strategy, like its
    sibling's, so every replica moves its copy of the moving statistics to the same values.
    (Keras' `synchronized=True` computes E[x²] − E[x]²: on one device it changes the first
    update of a tiny ResNet18 by about 1 % against tf.nn.moments, two passes by 1e-5.)
    """

    def __init__(self, momentum: float = 0.9, epsilon: float = 1e-5, **kwargs):
        super().__init__(momentum=momentum, epsilon=epsilon, **kwargs)

    def _moments(self, inputs, mask):
        """Overrides Keras' batch statistics (the networks pass no mask)."""
        return global_moments(inputs, self._reduction_axes)

    def call(self, inputs, task_id=None, training=None, mask=None, channel_scale=None):
        """Keras' BatchNormalization, times `channel_scale` where given (its affine
        parameters are Keras', so the gate costs a pass over the outputs here)."""
        outputs = super().call(inputs, training=training, mask=mask)
        if channel_scale is None:
            return outputs
        return outputs * tf.cast(channel_scale, outputs.dtype)


class Norms:
    """Makes the BatchNorms of a network: one per task, or one shared by all tasks.

    Args:
        per_task: TaskBatchNormalization, else SharedBatchNormalization.
        num_tasks: Slots of a per-task BatchNorm.
    """

    def __init__(self, per_task: bool, num_tasks: int):
        self.per_task = per_task
        self.num_tasks = num_tasks

    def __call__(self, name: str, **options) -> keras.layers.Layer:
        """A BatchNorm called `name`; `options`: its momentum and epsilon."""
        if self.per_task:
            return TaskBatchNormalization(self.num_tasks, name=name, **options)
        return SharedBatchNormalization(name=name, **options)
