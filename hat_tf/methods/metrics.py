"""Small Keras metrics a method adds to the train step's epoch logs (HAT: the range of the
gate scale s, Eq. 3, in `methods/hat.py`)."""

from __future__ import annotations

import keras
import tensorflow as tf


class RunningMaximum(keras.metrics.Metric):
    """The largest value seen since the last reset (e.g. of the gate scale s in an epoch).

    Under a tf.distribute strategy each replica keeps its own and the first replica's is
    read: feed it values that are the same on every replica (s is).
    """

    _combine = staticmethod(tf.maximum)
    _reduce = staticmethod(tf.reduce_max)
    _empty = -float("inf")

    def __init__(self, name: str, **kwargs):
        super().__init__(name=name, **kwargs)
        self.extremum = self.add_variable(
            shape=(), initializer=keras.initializers.Constant(self._empty), name="extremum",
            aggregation="only_first_replica")  # a sum over replicas would be no extremum

    def update_state(self, values, sample_weight=None):
        values = tf.cast(tf.convert_to_tensor(values), self.dtype)
        self.extremum.assign(self._combine(self.extremum, self._reduce(values)))

    def result(self):
        return tf.convert_to_tensor(self.extremum)

    def reset_state(self):
        self.extremum.assign(self._empty)


class RunningMinimum(RunningMaximum):
    """The smallest value seen since the last reset."""

    _combine = staticmethod(tf.minimum)
    _reduce = staticmethod(tf.reduce_min)
    _empty = float("inf")
