"""Joint (multitask) training: the upper bound of the HAT paper's forgetting ratio."""

from hat_tf.methods.base import Method


class Joint(Method):
    """At task t, trains on the union of tasks 1..t (and their heads), each example scored
    by its own task's head (HAT_SPEC §11: A_J)."""

    def training_tasks(self, task_id: int) -> range:
        return range(task_id + 1)
