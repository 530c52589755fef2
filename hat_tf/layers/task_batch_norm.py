"""BatchNormalization with separate statistics and affine parameters per task (seed deck's
conclusion; HAT_SPEC §9 ResNet18-HAT-BN)."""

from __future__ import annotations

import functools

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable("hat_tf")
class TaskBatchNormalization(keras.layers.Layer):
    """Per-task gamma, beta, moving mean and moving variance, selected by the task id.

    A shared BatchNorm's moving statistics drift towards each new task, which changes the
    outputs of earlier tasks however well their weights are protected; keeping them per
    task removes that forgetting. Training normalises with the batch's statistics and moves
    only the training task's slot, through a one-hot row mask (a training batch holds one
    task; its id is read from the first example, and its slot's gamma and beta scale the whole
    batch). Inference gathers each example's slot.

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

    def call(self, inputs, task_id, training=False):
        """Normalises in float32 (the statistics of float16 activations lose precision)
        and returns the inputs' dtype."""
        x = tf.cast(inputs, tf.float32)
        if training:
            task = task_id[0]
            mean, variance = tf.nn.moments(x, list(range(len(x.shape) - 1)))
            self._update_moving_statistics(task, mean, variance)
            gamma, beta = (tf.gather(table, task) for table in (self.gamma, self.beta))
        else:
            mean, variance, gamma, beta = (
                self._per_example(table, task_id, x)
                for table in (self.moving_mean, self.moving_variance, self.gamma, self.beta))
        normalized = tf.nn.batch_normalization(x, mean, variance, beta, gamma, self.epsilon)
        return tf.cast(normalized, inputs.dtype)

    @staticmethod
    def _per_example(table, task_id, inputs):
        rows = tf.gather(table, task_id)
        return tf.reshape(rows, [-1] + [1] * (len(inputs.shape) - 2) + [inputs.shape[-1]])

    def _update_moving_statistics(self, task, mean, variance):
        step = (1.0 - self.momentum) * tf.one_hot(task, self.num_tasks)[:, None]
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            moving.assign(moving - step * (moving - batch[None, :]))

    def get_config(self) -> dict:
        return {**super().get_config(), "num_tasks": self.num_tasks,
                "momentum": self.momentum, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable("hat_tf")
class SharedBatchNormalization(keras.layers.BatchNormalization):
    """One BatchNorm for all tasks, called like TaskBatchNormalization (the id is unused);
    PyTorch's momentum and epsilon, like its per-task sibling."""

    def __init__(self, momentum: float = 0.9, epsilon: float = 1e-5, **kwargs):
        super().__init__(momentum=momentum, epsilon=epsilon, **kwargs)

    def call(self, inputs, task_id=None, training=None, mask=None):
        return super().call(inputs, training=training, mask=mask)
