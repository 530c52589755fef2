"""Learning without Forgetting (Li & Hoiem, 2017), as in the HAT reference code
(`approaches/lwf.py`): distil the earlier heads' outputs of the network as it was before
the task, on the new task's data."""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from hat_tf.config import Number
from hat_tf.methods.base import Method
from hat_tf.methods.registry import Option, Searched, register_method
from hat_tf.models.building import built


@dataclass(frozen=True)
class LwfConfig:
    """LwF's hyperparameters (Li & Hoiem, 2017), as the HAT reference code runs LwF
    (`approaches/lwf.py`).

    Attributes:
        weight: λ, the weight of the distillation loss (reference: 2).
        temperature: T, which divides the old and the new logits (reference: 1).
    """

    weight: float = 2.0
    temperature: float = 1.0


# λ = 0 turns the distillation off (a control); T = 0 would divide the logits by zero. The
# searched ranges are ours, log scales around the reference's values (Li & Hoiem distil at
# T = 2).
@register_method(
    "lwf", settings=LwfConfig,
    options=(Option("--lwf-lambda", "lwf", "weight", "LwF's λ, the weight of its "
                    "distillation loss (default {default:g}, the reference's)", Number(float, 0)),
             Option("--lwf-temperature", "lwf", "temperature", "LwF's temperature T (default "
                    "{default:g}, the reference's)", Number(float, 0, low_open=True))),
    search=(Searched("lwf_lambda", "lwf", "weight", 0.1, 10.0, "log", "--lwf-lambda",
                     "LwF's λ", (0.1, 0.5, 2, 10)),
            Searched("lwf_temperature", "lwf", "temperature", 0.5, 4.0, "log",
                     "--lwf-temperature", "LwF's T", (0.5, 1, 2, 4))))
class Lwf(Method):
    """Adds λ·Σ_{τ<t} CE(softmax(old_τ/T), softmax(new_τ/T)) to the loss, old_τ the logits of
    head τ of a frozen copy of the network taken when task t begins.

    Args:
        config: λ and T (`LwfConfig`; reference: 2 and 1).
    """

    needs_all_heads = True
    gradient_clip_norm = 100.0  # reference approaches/lwf.py: clipgrad=100

    def __init__(self, config: LwfConfig):
        self.weight = config.weight
        self.temperature = config.temperature

    def attach(self, network: keras.Model) -> None:
        super().attach(network)
        self.old_network = built(network.__class__.from_config(network.get_config()))
        self.classes_per_task = network.head.classes_per_task
        num_tasks = len(self.classes_per_task)
        self.old_tasks = tf.Variable(tf.zeros(num_tasks), trainable=False, name="lwf_old_tasks")

    def on_task_begin(self, task_id: int, steps_per_epoch: int) -> None:
        super().on_task_begin(task_id, steps_per_epoch)
        self.old_network.set_weights(self.network.get_weights())
        self.old_tasks.assign(tf.cast(tf.range(self.old_tasks.shape[0]) < task_id, tf.float32))

    def checkpoint_variables(self) -> list:
        return [*self.old_network.variables, self.old_tasks]

    def extra_loss(self, inputs, all_head_logits, s):
        old = tf.cast(self.old_network(inputs, training=False, all_heads=True), tf.float32)
        per_head = tf.stack([
            self._distillation(old[:, task, :classes], all_head_logits[:, task, :classes])
            for task, classes in enumerate(self.classes_per_task)])
        return self.weight * tf.reduce_sum(self.old_tasks * per_head)

    def _distillation(self, old_logits, new_logits):
        """The batch's mean of CE(softmax(old/T), softmax(new/T)), in float32 and over the
        head's own classes: MultiHead pads a smaller head with MASKED_LOGIT, which float16
        (mixed precision) turns into −inf, and the padding's 0·(−inf) would make it NaN."""
        targets = tf.nn.softmax(tf.stop_gradient(old_logits) / self.temperature)
        log_predictions = tf.nn.log_softmax(new_logits / self.temperature)
        return -tf.reduce_mean(tf.reduce_sum(targets * log_predictions, axis=-1))
