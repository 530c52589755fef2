"""Joint (multitask) training: the upper bound of the HAT paper's forgetting ratio."""

from __future__ import annotations

from hat_tf.methods.initial_weights import FromInitialWeights
from hat_tf.methods.registry import register_method


@register_method("joint")
class Joint(FromInitialWeights):
    """At task t, trains the network from its initial weights on the union of tasks 1..t
    (and their heads), each example scored by its own task's head (docs/algorithm.md §11: A_J).

    As the reference (`approaches/joint.py`: `self.model = deepcopy(self.initial_model)`
    at every task), each task starts again from the weights the run began with, so A_J[t]
    is what multitask learning of tasks 1..t reaches, not a warm start from tasks 1..t−1.
    The rest of the per-task protocol is every method's: a fresh optimizer, the lr
    schedule, the best weights restored. The initial weights are method state that a
    checkpoint keeps, so a resumed run resets to the weights it began with.
    """

    final_network_serves_all_tasks = True  # the last task's network learned all tasks

    def training_tasks(self, task_id: int) -> range:
        return range(task_id + 1)

    def protocol(self) -> dict:
        return {**super().protocol(), "retrained_from_initial_weights": True}
