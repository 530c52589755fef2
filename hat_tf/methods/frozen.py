"""SGD-F: the HAT paper's baseline that freezes the shared trunk after the first task."""

from hat_tf.methods.base import Method
from hat_tf.methods.registry import register_method


@register_method("sgd_frozen")
class FrozenTrunk(Method):
    """Trains the whole network on the first task; afterwards only each new task's head
    (and other task-private variables), so earlier tasks cannot be forgotten."""

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        super().on_task_begin(task_id, steps_per_epoch)
        if task_id > 0:
            private = {id(v) for v in self.graph.task_private[task_id]}
            self.variables_to_train = [v for v in self.variables_to_train if id(v) in private]
