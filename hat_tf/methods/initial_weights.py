"""What Joint and SGD-R share: every task starts from the network the run began with."""

from __future__ import annotations

import keras
import tensorflow as tf

from hat_tf.methods.base import Method


class FromInitialWeights(Method):
    """Sets every variable of the network back to its value at the run's start when a task
    begins, as the reference's `self.model = deepcopy(self.initial_model)` does (its
    `joint.py` and `sgd_restart.py`). The initial weights are method state that a
    checkpoint keeps, so a resumed run resets to the weights it began with."""

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        # Every variable of the network: weights, BatchNorm statistics, dropout seed states.
        self.initial_weights = [tf.Variable(v, trainable=False, name="initial_weights")
                                for v in network.variables]

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        super().on_task_begin(task_id, steps_per_epoch)
        for variable, initial in zip(self.network.variables, self.initial_weights):
            variable.assign(initial)

    def checkpoint_variables(self) -> list:
        return self.initial_weights
